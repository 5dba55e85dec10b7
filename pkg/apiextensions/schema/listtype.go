package schema

import (
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
)

// ValidateListSetsAndMaps checks that the items of x-kubernetes-list-type
// set lists are unique, and the keys of x-kubernetes-list-type map lists,
// with kube-apiserver's Duplicate errors.
func ValidateListSetsAndMaps(fldPath *field.Path, s *Structural, obj map[string]any) field.ErrorList {
	if s == nil || obj == nil {
		return nil
	}
	var errs field.ErrorList
	if s.AdditionalProperties != nil {
		for k, v := range obj {
			errs = append(errs, listSetsAndMaps(fldPath.Key(k), s.AdditionalProperties, v)...)
		}
	}
	if s.Properties != nil {
		for k, v := range obj {
			if sub, ok := s.Properties[k]; ok {
				errs = append(errs, listSetsAndMaps(fldPath.Child(k), sub, v)...)
			}
		}
	}
	return errs
}

func listSetsAndMaps(fldPath *field.Path, s *Structural, obj any) field.ErrorList {
	switch obj := obj.(type) {
	case []any:
		return listSetsAndMapsArray(fldPath, s, obj)
	case map[string]any:
		return ValidateListSetsAndMaps(fldPath, s, obj)
	}
	return nil
}

func listSetsAndMapsArray(fldPath *field.Path, s *Structural, obj []any) field.ErrorList {
	if s == nil {
		return nil
	}
	var errs field.ErrorList
	switch s.XListType {
	case "set":
		nonUnique, err := nonUniqueItems(fldPath, obj)
		if err != nil {
			errs = append(errs, err)
		} else {
			for _, i := range nonUnique {
				errs = append(errs, kubefield.Duplicate(fldPath.Index(i), obj[i]))
			}
		}
	case "map":
		errs = append(errs, validateListMap(fldPath, s, obj)...)
	}
	if s.Items != nil {
		for i := range obj {
			errs = append(errs, listSetsAndMaps(fldPath.Index(i), s.Items, obj[i])...)
		}
	}
	return errs
}

// nonUniqueItems returns the index of the second occurrence of each value
// that occurs more than once.
func nonUniqueItems(fldPath *field.Path, obj []any) ([]int, *field.Error) {
	if len(obj) <= 1 {
		return nil, nil
	}
	seenScalars := make(map[any]int, len(obj))
	seenCompounds := make(map[string]int, len(obj))
	var nonUnique []int
	for i, x := range obj {
		switch x.(type) {
		case map[string]any, []any:
			bs, err := json.Marshal(x)
			if err != nil {
				return nil, kubefield.Invalid(fldPath.Index(i), x, "internal error")
			}
			seenCompounds[string(bs)]++
			if seenCompounds[string(bs)] == 2 {
				nonUnique = append(nonUnique, i)
			}
		default:
			seenScalars[x]++
			if seenScalars[x] == 2 {
				nonUnique = append(nonUnique, i)
			}
		}
	}
	return nonUnique, nil
}

// unspecifiedKey stands for a missing key field of a list-type map item.
type unspecifiedKey struct{}

func validateListMap(fldPath *field.Path, s *Structural, obj []any) field.ErrorList {
	for i, x := range obj {
		if _, ok := x.(map[string]any); x != nil && !ok {
			return field.ErrorList{kubefield.Invalid(fldPath.Index(i), x, "must be an object for an array of list-type map")}
		}
	}
	if len(obj) <= 1 {
		return nil
	}
	if len(s.XListMapKeys) == 1 {
		return validateListMapOneKey(fldPath, s.XListMapKeys[0], obj)
	}
	keys := make([]any, 0, len(obj))
	for _, x := range obj {
		key := map[string]any{}
		if m, ok := x.(map[string]any); ok {
			for _, kf := range s.XListMapKeys {
				if k, ok := m[kf]; ok {
					key[kf] = k
				}
			}
		}
		keys = append(keys, key)
	}
	nonUnique, err := nonUniqueItems(fldPath, keys)
	if err != nil {
		return field.ErrorList{err}
	}
	var errs field.ErrorList
	for _, i := range nonUnique {
		errs = append(errs, kubefield.Duplicate(fldPath.Index(i), keys[i]))
	}
	return errs
}

func validateListMapOneKey(fldPath *field.Path, keyField string, obj []any) field.ErrorList {
	keys := make([]any, 0, len(obj))
	for _, x := range obj {
		m, _ := x.(map[string]any)
		key, ok := m[keyField]
		if !ok {
			keys = append(keys, unspecifiedKey{})
			continue
		}
		keys = append(keys, key)
	}
	nonUnique, err := nonUniqueItems(fldPath, keys)
	if err != nil {
		return field.ErrorList{err}
	}
	var errs field.ErrorList
	for _, i := range nonUnique {
		if _, ok := keys[i].(unspecifiedKey); ok {
			errs = append(errs, kubefield.Duplicate(fldPath.Index(i), map[string]any{}))
			continue
		}
		errs = append(errs, kubefield.Duplicate(fldPath.Index(i), map[string]any{keyField: keys[i]}))
	}
	return errs
}
