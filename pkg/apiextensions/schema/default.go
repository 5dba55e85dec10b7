package schema

import "k8s.io/apimachinery/pkg/runtime"

// Default sets the default of every field of obj that is missing, or null
// while not nullable, as kube-apiserver does when it decodes a request body
// and when it reads an object from storage. A property's default applies
// only where its parent object exists; defaults are applied top-down, so a
// defaulted object gets the defaults of its own properties too.
func (s *Schema) Default(obj map[string]any) {
	Default(obj, s.structural)
}

// Default applies the defaults of s to x; see Schema.Default.
func Default(x any, s *Structural) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, prop := range s.Properties {
			if prop.Default == nil {
				continue
			}
			if v, found := x[k]; !found || isNonNullableNull(v, prop) {
				x[k] = runtime.DeepCopyJSONValue(prop.Default)
			}
		}
		for k, v := range x {
			if prop, found := s.Properties[k]; found {
				Default(v, prop)
			} else if s.HasAdditionalProperties && s.AdditionalProperties != nil {
				if isNonNullableNull(v, s.AdditionalProperties) && s.AdditionalProperties.Default != nil {
					x[k] = runtime.DeepCopyJSONValue(s.AdditionalProperties.Default)
				}
				Default(x[k], s.AdditionalProperties)
			}
		}
	case []any:
		for i := range x {
			if isNonNullableNull(x[i], s.Items) && s.Items.Default != nil {
				x[i] = runtime.DeepCopyJSONValue(s.Items.Default)
			}
			Default(x[i], s.Items)
		}
	}
}

func isNonNullableNull(x any, s *Structural) bool {
	return x == nil && s != nil && !s.Nullable
}
