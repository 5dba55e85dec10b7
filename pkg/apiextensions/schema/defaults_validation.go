package schema

import (
	"reflect"
	"sort"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
)

// ValidateDefaults checks every default of a structural schema as
// kube-apiserver does when a CRD is created or updated: a default must
// validate against the schema of its own node, its embedded resources must
// be valid, and with requirePruned it must have no field pruning would
// remove ("must not have unknown fields"). Defaults inside the metadata of
// a resource are not checked here: CRD validation forbids them.
func ValidateDefaults(pth *field.Path, props *apiextensionsv1.JSONSchemaProps, requirePruned bool) (field.ErrorList, error) {
	if props == nil {
		return nil, nil
	}
	root := *props
	root.XEmbeddedResource = true
	return validateDefaults(pth, &root, false, requirePruned)
}

func validateDefaults(pth *field.Path, props *apiextensionsv1.JSONSchemaProps, insideMeta, requirePruned bool) (field.ErrorList, error) {
	if props == nil {
		return nil, nil
	}
	if props.XEmbeddedResource {
		insideMeta = false
	}
	var errs field.ErrorList
	if props.Default != nil && !insideMeta {
		e, err := validateDefault(pth, props, requirePruned)
		if err != nil {
			return nil, err
		}
		errs = append(errs, e...)
	}
	if props.Items != nil && props.Items.Schema != nil {
		e, err := validateDefaults(pth.Child("items"), props.Items.Schema, insideMeta, requirePruned)
		if err != nil {
			return nil, err
		}
		errs = append(errs, e...)
	}
	keys := make([]string, 0, len(props.Properties))
	for k := range props.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sub := props.Properties[k]
		subInsideMeta := insideMeta || (props.XEmbeddedResource && metaFields[k])
		e, err := validateDefaults(pth.Child("properties").Key(k), &sub, subInsideMeta, requirePruned)
		if err != nil {
			return nil, err
		}
		errs = append(errs, e...)
	}
	return errs, nil
}

func validateDefault(pth *field.Path, props *apiextensionsv1.JSONSchemaProps, requirePruned bool) (field.ErrorList, error) {
	st, err := NewStructural(props)
	if err != nil {
		return nil, err
	}
	oa, err := ToOpenAPI(props, true)
	if err != nil {
		return nil, err
	}
	def := st.Default
	var errs field.ErrorList
	if requirePruned {
		pruned := runtime.DeepCopyJSONValue(def)
		p := pruner{}
		s := st
		if st.XEmbeddedResource {
			s = embeddedRoot(st)
		}
		p.prune(pruned, s)
		if !reflect.DeepEqual(pruned, def) {
			errs = append(errs, kubefield.Invalid(pth.Child("default"), def, "must not have unknown fields"))
		}
	}
	dpath := pth.Child("default")
	coerceTarget := st
	if st.XEmbeddedResource {
		coerceTarget = embeddedRoot(st)
	}
	if ferr, _ := coerceEmbedded(dpath, runtime.DeepCopyJSONValue(def), coerceTarget, false); ferr != nil {
		return append(errs, ferr), nil
	}
	if e := validateEmbedded(dpath, def, coerceTarget); len(e) > 0 {
		return append(errs, e...), nil
	}
	v := validate.NewSchemaValidator(oa, nil, "", strfmt.Default)
	return append(errs, resultToFieldErrors(dpath, v.Validate(def))...), nil
}
