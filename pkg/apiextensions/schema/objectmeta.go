package schema

import (
	"fmt"
	"sort"
	"strings"

	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	runtimeschema "k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
)

// ValidateEmbeddedResources checks apiVersion, kind and metadata of every
// x-kubernetes-embedded-resource value below obj, as kube-apiserver does.
// The root object itself is not checked: its metadata is the caller's.
func ValidateEmbeddedResources(fldPath *field.Path, obj any, s *Structural) field.ErrorList {
	return validateEmbedded(fldPath, obj, s)
}

func validateEmbedded(pth *field.Path, x any, s *Structural) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	switch x := x.(type) {
	case map[string]any:
		if s.XEmbeddedResource {
			errs = append(errs, validateEmbeddedResource(pth, x)...)
		}
		for k, v := range x {
			if prop, ok := s.Properties[k]; ok {
				errs = append(errs, validateEmbedded(pth.Child(k), v, prop)...)
			} else if s.HasAdditionalProperties {
				errs = append(errs, validateEmbedded(pth.Key(k), v, s.AdditionalProperties)...)
			}
		}
	case []any:
		for i, v := range x {
			errs = append(errs, validateEmbedded(pth.Index(i), v, s.Items)...)
		}
	}
	return errs
}

func validateEmbeddedResource(pth *field.Path, x map[string]any) field.ErrorList {
	var errs field.ErrorList
	if _, found := x["apiVersion"]; !found {
		errs = append(errs, field.Required(pth.Child("apiVersion"), "must not be empty"))
	}
	if _, found := x["kind"]; !found {
		errs = append(errs, field.Required(pth.Child("kind"), "must not be empty"))
	}
	// Sorted so that the causes come out in a stable order.
	keys := make([]string, 0, 3)
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if _, ok := x[k]; ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		v := x[k]
		switch k {
		case "apiVersion":
			errs = append(errs, validateEmbeddedAPIVersion(pth.Child(k), v)...)
		case "kind":
			errs = append(errs, validateEmbeddedKind(pth.Child(k), v)...)
		case "metadata":
			meta, _, _, err := getObjectMeta(x, false, false, nil)
			if err != nil {
				errs = append(errs, kubefield.Invalid(pth.Child("metadata"), v, err.Error()))
				continue
			}
			if meta.Name == "" {
				meta.Name = "fakename" // kube-apiserver does not require a name here
			}
			errs = append(errs, metavalidation.ValidateObjectMeta(meta, meta.Namespace != "", path.ValidatePathSegmentName, pth.Child("metadata"))...)
		}
	}
	return errs
}

func validateEmbeddedAPIVersion(p *field.Path, v any) field.ErrorList {
	apiVersion, ok := v.(string)
	switch {
	case !ok:
		return field.ErrorList{kubefield.Invalid(p, v, "must be a string")}
	case apiVersion == "":
		return field.ErrorList{field.Invalid(p, apiVersion, "must not be empty")}
	}
	if _, err := runtimeschema.ParseGroupVersion(apiVersion); err != nil {
		return field.ErrorList{field.Invalid(p, apiVersion, err.Error())}
	}
	return nil
}

func validateEmbeddedKind(p *field.Path, v any) field.ErrorList {
	kind, ok := v.(string)
	switch {
	case !ok:
		return field.ErrorList{kubefield.Invalid(p, v, "must be a string")}
	case kind == "":
		return field.ErrorList{field.Invalid(p, kind, "must not be empty")}
	}
	if errs := utilvalidation.IsDNS1035Label(strings.ToLower(kind)); len(errs) > 0 {
		return field.ErrorList{field.Invalid(p, kind, "may have mixed case, but should otherwise match: "+strings.Join(errs, ","))}
	}
	return nil
}

// getObjectMeta decodes obj["metadata"] as metav1.ObjectMeta. With
// trackUnknown it also returns the paths of fields ObjectMeta does not
// have (metadata.foo, prefixed with parent). With dropMalformed a field
// that does not decode is dropped rather than failing the whole.
func getObjectMeta(obj map[string]any, dropMalformed, trackUnknown bool, parent *field.Path) (*metav1.ObjectMeta, bool, []string, error) {
	metadata, found := obj["metadata"]
	if !found {
		return nil, false, nil, nil
	}
	b, err := utiljson.Marshal(metadata)
	if err != nil {
		return nil, false, nil, err
	}
	prefix := parent.Child("metadata").String()
	meta := &metav1.ObjectMeta{}
	strictErrs, err := kjson.UnmarshalStrict(b, meta)
	if err == nil {
		return meta, true, unknownPaths(trackUnknown, prefix, strictErrs), nil
	}
	if !dropMalformed {
		return nil, true, nil, err
	}
	m, ok := metadata.(map[string]any)
	if !ok {
		return nil, false, nil, fmt.Errorf("invalid metadata: expected object, got %T", metadata)
	}
	meta = &metav1.ObjectMeta{}
	var unknown []string
	for k, v := range m {
		one, err := utiljson.Marshal(map[string]any{k: v})
		if err != nil {
			continue
		}
		if err := utiljson.Unmarshal(one, &metav1.ObjectMeta{}); err != nil {
			continue // malformed: dropped
		}
		strictErrs, _ := kjson.UnmarshalStrict(one, meta)
		unknown = append(unknown, unknownPaths(trackUnknown, prefix, strictErrs)...)
	}
	return meta, true, unknown, nil
}

func unknownPaths(track bool, prefix string, strictErrs []error) []string {
	if !track {
		return nil
	}
	var out []string
	for _, err := range strictErrs {
		if fe, ok := err.(kjson.FieldError); ok {
			out = append(out, prefix+"."+fe.FieldPath())
		}
	}
	return out
}

// setObjectMeta writes meta back as obj["metadata"], without a zero
// creationTimestamp.
func setObjectMeta(obj map[string]any, meta *metav1.ObjectMeta) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(meta)
	if err != nil {
		return err
	}
	if meta.CreationTimestamp.IsZero() {
		delete(m, "creationTimestamp")
	}
	obj["metadata"] = m
	return nil
}

// coerceEmbedded normalizes the metadata of embedded resources below x
// (the root is not touched): unknown metadata fields are dropped and their
// paths returned; with dropInvalid, malformed apiVersion, kind and
// metadata fields are dropped, else the first one is returned as an error.
func coerceEmbedded(pth *field.Path, x any, s *Structural, dropInvalid bool) (*field.Error, []string) {
	var unknown []string
	err := coerce(pth, x, s, dropInvalid, &unknown)
	sort.Strings(unknown)
	return err, unknown
}

func coerce(pth *field.Path, x any, s *Structural, dropInvalid bool, unknown *[]string) *field.Error {
	if s == nil {
		return nil
	}
	switch x := x.(type) {
	case map[string]any:
		if s.XEmbeddedResource {
			if err := coerceResource(pth, x, dropInvalid, unknown); err != nil {
				return err
			}
		}
		for k, v := range x {
			var err *field.Error
			if prop, ok := s.Properties[k]; ok {
				err = coerce(pth.Child(k), v, prop, dropInvalid, unknown)
			} else if s.HasAdditionalProperties {
				err = coerce(pth.Key(k), v, s.AdditionalProperties, dropInvalid, unknown)
			}
			if err != nil {
				return err
			}
		}
	case []any:
		for i, v := range x {
			if err := coerce(pth.Index(i), v, s.Items, dropInvalid, unknown); err != nil {
				return err
			}
		}
	}
	return nil
}

func coerceResource(pth *field.Path, x map[string]any, dropInvalid bool, unknown *[]string) *field.Error {
	for _, k := range []string{"apiVersion", "kind"} {
		v, found := x[k]
		if _, ok := v.(string); found && !ok {
			if !dropInvalid {
				return kubefield.Invalid(pth.Child(k), v, "must be a string")
			}
			delete(x, k)
		}
	}
	v, found := x["metadata"]
	if !found {
		return nil
	}
	meta, ok, paths, err := getObjectMeta(x, dropInvalid, true, pth)
	*unknown = append(*unknown, paths...)
	if err != nil {
		if !dropInvalid {
			return kubefield.Invalid(pth.Child("metadata"), v, err.Error())
		}
		return nil
	}
	if ok {
		if err := setObjectMeta(x, meta); err != nil {
			return kubefield.Invalid(pth.Child("metadata"), v, err.Error())
		}
	}
	return nil
}
