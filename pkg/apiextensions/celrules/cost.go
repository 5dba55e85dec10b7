package celrules

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/google/cel-go/checker"
	"k8s.io/apimachinery/pkg/util/validation/field"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// The static limits kube-apiserver puts on a CRD's rules: an expression's
// estimated worst case, times the number of times it may run, and the sum
// over the whole schema.
const (
	ExpressionCostLimit = 10_000_000
	SchemaCostLimit     = 100_000_000

	// maxRequestBytes bounds how much data a request can carry, and so
	// how long an unbounded string or list can be.
	maxRequestBytes = 3 * 1024 * 1024
)

// bounds are what the cost estimate knows of a schema node's values: how
// many elements (bytes of a string, items of a list, entries of a map)
// one can hold, and how few bytes one takes in JSON. Sizes are kube's.
type bounds struct {
	maxElements int64
	minSize     int64
	fields      map[string]*bounds
	elem, key   *bounds
}

// boundsOf sizes schema s; resource says it is an object's root (or an
// embedded resource), which always has apiVersion, kind and metadata. nil
// is a node CEL sees no type for.
func boundsOf(s *apiextensionsv1.JSONSchemaProps, resource bool) *bounds {
	if s == nil {
		return nil
	}
	unbounded := int64(maxRequestBytes - 2)
	if s.XIntOrString {
		b := &bounds{minSize: 1, maxElements: unbounded}
		if s.MaxLength != nil {
			b.maxElements = nonNegative(*s.MaxLength) * 4
		}
		return b
	}
	switch s.Type {
	case "array":
		if s.Items == nil || s.Items.Schema == nil {
			return nil
		}
		elem := boundsOf(s.Items.Schema, s.Items.Schema.XEmbeddedResource)
		if elem == nil {
			return nil
		}
		b := &bounds{minSize: 2, elem: elem, maxElements: unbounded / (elem.minSize + 1)}
		if s.MaxItems != nil {
			b.maxElements = nonNegative(*s.MaxItems)
		}
		return b
	case "object":
		if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
			elem := boundsOf(s.AdditionalProperties.Schema, s.AdditionalProperties.Schema.XEmbeddedResource)
			if elem == nil {
				return nil
			}
			// A key is at least a quoted empty string, a colon and a comma.
			b := &bounds{minSize: 2, elem: elem, key: &bounds{minSize: 2}, maxElements: unbounded / (elem.minSize + 6)}
			if s.MaxProperties != nil {
				b.maxElements = nonNegative(*s.MaxProperties)
			}
			return b
		}
		b := &bounds{minSize: 2, fields: map[string]*bounds{}}
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		for k := range s.Properties {
			prop := s.Properties[k]
			fb := boundsOf(&prop, prop.XEmbeddedResource)
			if fb == nil {
				continue
			}
			if name, ok := escape(k); ok {
				b.fields[name] = fb
			}
			if required[k] && prop.Default == nil {
				b.minSize += int64(len(k)) + fb.minSize + 4 // quotes, colon, comma
			}
		}
		if resource {
			str := func() *bounds { return &bounds{minSize: 2, maxElements: unbounded} }
			b.fields["apiVersion"], b.fields["kind"] = str(), str()
			b.fields["metadata"] = &bounds{minSize: 2, fields: map[string]*bounds{"name": str(), "generateName": str()}}
		}
		return b
	case "string":
		b := &bounds{minSize: 2, maxElements: unbounded}
		switch s.Format {
		case "byte":
			if s.MaxLength != nil {
				b.maxElements = nonNegative(*s.MaxLength)
			}
			return b
		case "duration":
			return &bounds{minSize: 3, maxElements: 32}
		case "date":
			return &bounds{minSize: 12, maxElements: 12}
		case "date-time":
			return &bounds{minSize: 21, maxElements: 32}
		}
		switch {
		case s.MaxLength != nil:
			b.maxElements = nonNegative(*s.MaxLength) * 4 // a character is at most 4 bytes
		case len(s.Enum) > 0:
			b.maxElements = 0
			for _, e := range s.Enum {
				var v any
				if err := json.Unmarshal(e.Raw, &v); err == nil {
					if str, ok := v.(string); ok && int64(len(str)) > b.maxElements {
						b.maxElements = int64(len(str))
					}
				}
			}
		}
		return b
	case "boolean":
		return &bounds{minSize: 4}
	case "number", "integer":
		return &bounds{minSize: 1}
	}
	return nil
}

func nonNegative(n int64) int64 { return max(n, 0) }

// maxElementsOf is how many children a node's value may have, nil when
// unbounded: one for an object's property, maxItems or maxProperties for
// a list's items or a map's values.
func maxElementsOf(s *apiextensionsv1.JSONSchemaProps) *uint64 {
	n := func(v *int64) *uint64 {
		if v == nil {
			return nil
		}
		u := uint64(nonNegative(*v))
		return &u
	}
	switch {
	case s.Type == "object" && s.AdditionalProperties != nil:
		return n(s.MaxProperties)
	case s.Type == "array":
		return n(s.MaxItems)
	}
	one := uint64(1)
	return &one
}

// childCardinality is how many times a child of a node that appears
// card times (nil: unboundedly often) may appear.
func childCardinality(parent *apiextensionsv1.JSONSchemaProps, card *uint64) *uint64 {
	if card == nil {
		return nil
	}
	m := maxElementsOf(parent)
	if m == nil {
		return nil
	}
	p := saturatingMul(*card, *m)
	return &p
}

func saturatingMul(a, b uint64) uint64 {
	if a == 0 {
		return 0
	}
	if math.MaxUint64/a < b {
		return math.MaxUint64
	}
	return a * b
}

// sizes answers cel-go's size questions from a rule's node's bounds: an
// expression's path starts at self (or oldSelf) and walks fields, list
// items (@items), map keys (@keys) and values (@values).
type sizes struct{ root *bounds }

func (z sizes) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	path := n.Path()
	if len(path) == 0 || z.root == nil {
		return nil
	}
	b := z.root
	for _, step := range path[1:] {
		switch step {
		case "@items", "@values":
			b = b.elem
		case "@keys":
			b = b.key
		default:
			b = b.fields[step]
		}
		if b == nil {
			return nil
		}
	}
	return &checker.SizeEstimate{Min: 0, Max: uint64(b.maxElements)}
}

func (sizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// ruleCost is a rule's estimated cost over the whole object: its worst
// case times the number of times its node may appear, or, under an
// unbounded list or map, as many times as the smallest value of the node
// fits in a request.
func ruleCost(perCall uint64, card *uint64, node *bounds) uint64 {
	if card != nil {
		return saturatingMul(perCall, *card)
	}
	minSize := int64(1)
	if node != nil {
		minSize = node.minSize
	}
	return saturatingMul(perCall, uint64(maxRequestBytes/(minSize+1)))
}

// costExceeded is kube's message for cost over limit.
func costExceeded(what string, cost, limit uint64) string {
	factor := float64(cost) / float64(limit)
	var f string
	switch {
	case factor > 100:
		f = "more than 100x"
	case factor < 1.5:
		f = fmt.Sprintf("%fx", factor)
	default:
		f = fmt.Sprintf("%.1fx", factor)
	}
	return fmt.Sprintf("%s exceeds budget by factor of %s (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)", what, f)
}

// totalCost adds up the expressions of a schema, keeping the four most
// expensive (those over 1% of the limit) to blame when the sum is over.
type totalCost struct {
	total   uint64
	blamed  []blame
	schemas *field.Path
}

type blame struct {
	path *field.Path
	cost uint64
}

func (t *totalCost) add(p *field.Path, cost uint64) {
	if math.MaxUint64-t.total < cost {
		t.total = math.MaxUint64
	} else {
		t.total += cost
	}
	if cost < SchemaCostLimit/100 {
		return
	}
	t.blamed = append(t.blamed, blame{p, cost})
	sort.SliceStable(t.blamed, func(i, j int) bool { return t.blamed[i].cost > t.blamed[j].cost })
	if len(t.blamed) > 4 {
		t.blamed = t.blamed[:4]
	}
}

func (t *totalCost) errors() field.ErrorList {
	if t.total <= SchemaCostLimit {
		return nil
	}
	var errs field.ErrorList
	for _, b := range t.blamed {
		errs = append(errs, field.Forbidden(b.path, "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"))
	}
	return append(errs, field.Forbidden(t.schemas, costExceeded("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", t.total, SchemaCostLimit)))
}
