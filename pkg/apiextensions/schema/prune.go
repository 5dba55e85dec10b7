package schema

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// metaFields are kept at the root of a resource and of embedded resources.
var metaFields = map[string]bool{"apiVersion": true, "kind": true, "metadata": true}

// Prune removes from obj, a custom resource read from storage, the fields
// its schema does not specify, as kube-apiserver does on every decode when
// spec.preserveUnknownFields is false:
//
//   - unknown fields are removed, except under
//     x-kubernetes-preserve-unknown-fields (until nested properties or
//     additionalProperties are specified again);
//   - apiVersion, kind and metadata of the root and of embedded resources
//     are kept; unknown and malformed fields of their metadata are removed,
//     and so are apiVersion and kind of embedded resources that are not
//     strings;
//   - nulls of fields that are neither nullable nor defaulted are removed.
//
// It returns the paths of the removed unknown fields in kube-apiserver's
// order: root metadata first, then the pruned fields sorted, then the
// metadata of embedded resources sorted (metadata.foo, extra, spec.foo,
// spec.items[0].bar, spec.template.metadata.bar).
func (s *Schema) Prune(obj map[string]any) []string {
	unknown, _ := s.prune(obj, true)
	return unknown
}

// PruneRequest is Prune for a request body, where malformed metadata or a
// non-string apiVersion or kind of an embedded resource is an error
// rather than dropped; kube-apiserver answers it as 400 BadRequest:
// `Widget in version "v1" cannot be handled as a Widget: <err>`.
// The unknown field paths are the same as Prune's; under
// fieldValidation=Strict they make a 400 whose message is
// StrictDecodingMessage(paths), under Warn one warning each
// (UnknownFieldWarning).
func (s *Schema) PruneRequest(obj map[string]any) ([]string, error) {
	return s.prune(obj, false)
}

func (s *Schema) prune(obj map[string]any, dropInvalid bool) ([]string, error) {
	// The root metadata is decoded as ObjectMeta, dropping unknown fields,
	// and written back at the end, as kube-apiserver does.
	meta, hasMeta, unknown, err := getObjectMeta(obj, dropInvalid, true, nil)
	if err != nil {
		if !dropInvalid {
			return nil, err
		}
		hasMeta = false
	}
	p := pruner{}
	p.prune(obj, embeddedRoot(s.structural))
	sort.Strings(p.unknown)
	unknown = append(unknown, p.unknown...)
	PruneNonNullableNullsWithoutDefaults(obj, s.structural)
	ferr, paths := coerceEmbedded(nil, obj, s.structural, dropInvalid)
	if ferr != nil {
		return nil, ferr
	}
	unknown = append(unknown, paths...)
	if hasMeta {
		if err := setObjectMeta(obj, meta); err != nil {
			return nil, err
		}
	}
	return unknown, nil
}

// StrictDecodingMessage is kube-apiserver's message for unknown fields
// under fieldValidation=Strict, to follow `<Kind> in version "<v>" cannot
// be handled as a <Kind>: ` in a 400 BadRequest.
func StrictDecodingMessage(unknown []string) string {
	parts := make([]string, len(unknown))
	for i, p := range unknown {
		parts[i] = UnknownFieldWarning(p)
	}
	return "strict decoding error: " + strings.Join(parts, ", ")
}

// UnknownFieldWarning is the warning for one unknown field under
// fieldValidation=Warn: unknown field "spec.foo".
func UnknownFieldWarning(path string) string {
	return fmt.Sprintf("unknown field %q", path)
}

// pruner walks an object with its schema, tracking the JSON path for the
// report of unknown fields.
type pruner struct {
	path    []string
	unknown []string
}

func (p *pruner) push(key string) int {
	n := len(p.path)
	if n > 0 {
		p.path = append(p.path, ".")
	}
	p.path = append(p.path, key)
	return n
}

func (p *pruner) pushIndex(i int) int {
	n := len(p.path)
	p.path = append(p.path, "[", strconv.Itoa(i), "]")
	return n
}

func (p *pruner) record(key string) {
	n := p.push(key)
	p.unknown = append(p.unknown, strings.Join(p.path, ""))
	p.path = p.path[:n]
}

func (p *pruner) prune(x any, s *Structural) {
	if s != nil && s.XPreserveUnknownFields {
		p.skipPrune(x, s)
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if s != nil && s.XEmbeddedResource && metaFields[k] {
				continue
			}
			if s != nil {
				if prop, ok := s.Properties[k]; ok {
					n := p.push(k)
					p.prune(v, prop)
					p.path = p.path[:n]
					continue
				}
				if s.HasAdditionalProperties {
					n := p.push(k)
					p.prune(v, s.AdditionalProperties)
					p.path = p.path[:n]
					continue
				}
			}
			if s == nil || !metaFields[k] || len(p.path) > 0 {
				p.record(k)
			}
			delete(x, k)
		}
	case []any:
		var items *Structural
		if s != nil {
			items = s.Items
		}
		for i, v := range x {
			n := p.pushIndex(i)
			p.prune(v, items)
			p.path = p.path[:n]
		}
	}
}

// skipPrune walks a value under x-kubernetes-preserve-unknown-fields:
// nothing is removed at this level, but specified properties are pruned
// by their own schemas.
func (p *pruner) skipPrune(x any, s *Structural) {
	if s == nil {
		return
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if s.XEmbeddedResource && metaFields[k] {
				continue
			}
			if prop, ok := s.Properties[k]; ok {
				n := p.push(k)
				p.prune(v, prop)
				p.path = p.path[:n]
			} else if s.HasAdditionalProperties {
				n := p.push(k)
				p.prune(v, s.AdditionalProperties)
				p.path = p.path[:n]
			}
		}
	case []any:
		for i, v := range x {
			n := p.pushIndex(i)
			p.skipPrune(v, s.Items)
			p.path = p.path[:n]
		}
	}
}

// PruneNonNullableNullsWithoutDefaults removes the fields whose value is
// null while their schema is neither nullable nor has a default, as
// kube-apiserver does after pruning.
func PruneNonNullableNullsWithoutDefaults(x any, s *Structural) {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			ps := s.property(k)
			if v == nil && ps != nil && !ps.Nullable && ps.Default == nil {
				delete(x, k)
				continue
			}
			PruneNonNullableNullsWithoutDefaults(v, ps)
		}
	case []any:
		var items *Structural
		if s != nil {
			items = s.Items
		}
		for _, v := range x {
			PruneNonNullableNullsWithoutDefaults(v, items)
		}
	}
}
