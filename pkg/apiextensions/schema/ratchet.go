package schema

import (
	"reflect"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ratchet drops the errors on values an update left unchanged. This is a
// simplification of kube-apiserver's ratcheting validator, which
// correlates old and new values node by node along the schema: here an
// error is dropped when the value at its path (for Required, the object
// missing the field) is deeply equal in obj and old.
func ratchet(errs field.ErrorList, obj, old map[string]any) field.ErrorList {
	if old == nil || len(errs) == 0 {
		return errs
	}
	out := errs[:0]
	for _, e := range errs {
		p := parsePath(e.Field)
		if e.Type == field.ErrorTypeRequired && len(p) > 0 {
			p = p[:len(p)-1]
		}
		nv, nok := lookup(obj, p)
		ov, ook := lookup(old, p)
		if nok && ook && reflect.DeepEqual(nv, ov) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// pathElem is a key or an index of a field path.
type pathElem struct {
	key   string
	index int
	isIdx bool
}

// parsePath splits a field path as field.Path.String writes it:
// a.b[0][key].c. Keys in brackets are not distinguished from indices
// that do not parse as numbers.
func parsePath(s string) []pathElem {
	var out []pathElem
	for s != "" {
		switch {
		case s[0] == '.':
			s = s[1:]
		case s[0] == '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return append(out, pathElem{key: s})
			}
			inner := s[1:end]
			if i, err := strconv.Atoi(inner); err == nil {
				out = append(out, pathElem{index: i, isIdx: true})
			} else {
				out = append(out, pathElem{key: inner})
			}
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, ".[")
			if end < 0 {
				end = len(s)
			}
			out = append(out, pathElem{key: s[:end]})
			s = s[end:]
		}
	}
	return out
}

func lookup(x any, p []pathElem) (any, bool) {
	for _, e := range p {
		switch v := x.(type) {
		case map[string]any:
			if e.isIdx {
				return nil, false
			}
			var ok bool
			if x, ok = v[e.key]; !ok {
				return nil, false
			}
		case []any:
			if !e.isIdx || e.index < 0 || e.index >= len(v) {
				return nil, false
			}
			x = v[e.index]
		default:
			return nil, false
		}
	}
	return x, true
}
