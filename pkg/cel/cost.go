package cel

import (
	"math"

	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Costs prices the calls of kube's libraries (and the ext strings ones
// kube prices itself) so that a static estimate and the runtime cost of
// an expression are kube-apiserver's: cel-go prices only its standard
// library and charges 1 for any other call, which would let an
// expression over a long string or list pass here that kube refuses.
// Sizes answers the size of a variable's value (a schema's bounds); nil
// leaves sizes unknown. Costs is a checker.CostEstimator and an
// interpreter.ActualCostEstimator.
type Costs struct{ Sizes checker.CostEstimator }

const (
	// traverse is what reading one byte of a string costs.
	traverse = common.StringTraversalCostFactor
	// regexByte is what one byte of a regular expression costs.
	regexByte = common.RegexStringLengthCostFactor
	// maxNameFormatRegex bounds the regular expression of a named format.
	maxNameFormatRegex = 128
	// maxFormatSize bounds a format value.
	maxFormatSize = 64
)

var one = checker.CostEstimate{Min: 1, Max: 1}

// constantCalls cost 1 each, statically and at run time.
var constantCalls = map[string]bool{
	// authz, but check
	"serviceAccount": true, "path": true, "group": true, "resource": true, "subresource": true,
	"namespace": true, "name": true, "allowed": true, "reason": true, "error": true, "errored": true,
	// ip and cidr accessors
	"masked": true, "prefixLength": true, "family": true, "isUnspecified": true, "isLoopback": true,
	"isLinkLocalMulticast": true, "isLinkLocalUnicast": true, "isGlobalUnicast": true,
	// quantity arithmetic and comparisons
	"sign": true, "asInteger": true, "isInteger": true, "asApproximateFloat": true, "isGreaterThan": true,
	"isLessThan": true, "compareTo": true, "add": true, "sub": true,
	// url accessors
	"getScheme": true, "getHostname": true, "getHost": true, "getPort": true, "getEscapedPath": true, "getQuery": true,
	"format.named": true,
}

// authzCheck is what one authorization check costs, as kube prices it.
const authzCheck = 350000

// EstimateSize implements checker.CostEstimator.
func (c *Costs) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if c.Sizes == nil {
		return nil
	}
	return c.Sizes.EstimateSize(n)
}

func (c *Costs) size(n checker.AstNode) checker.SizeEstimate {
	if sz := n.ComputedSize(); sz != nil {
		return *sz
	}
	if sz := c.EstimateSize(n); sz != nil {
		return *sz
	}
	return checker.SizeEstimate{Min: 0, Max: math.MaxUint64}
}

// EstimateCallCost implements checker.CostEstimator; nil leaves the call
// to cel-go's pricing.
func (c *Costs) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	est := func(ce checker.CostEstimate) *checker.CallEstimate { return &checker.CallEstimate{CostEstimate: ce} }
	if constantCalls[function] {
		return est(one)
	}
	switch function {
	case "check":
		return est(checker.CostEstimate{Min: authzCheck, Max: authzCheck})
	case "isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "includes":
		if target == nil {
			return nil
		}
		// One pass over the list, each element compared once.
		if elem := c.itemsOf(*target); elem != nil {
			perItem := one
			if k := elem.Type().Kind(); k == types.StringKind || k == types.BytesKind {
				perItem = perItem.Add(c.size(elem).MultiplyByCostFactor(traverse))
			}
			return est(c.size(*target).MultiplyByCost(perItem))
		}
		if function == "includes" {
			return est(c.size(*target).MultiplyByCost(one))
		}
		return est(c.size(*target).MultiplyByCostFactor(traverse))
	case "url", "jsonpatch.escapeKey":
		if len(args) == 1 {
			sz := c.size(args[0])
			return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(traverse), ResultSize: &sz}
		}
	case "lowerAscii", "upperAscii", "substring", "trim":
		if target != nil {
			sz := c.size(*target)
			return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(traverse), ResultSize: &sz}
		}
	case "replace":
		if target != nil && len(args) >= 2 {
			return c.replaceCost(c.size(*target), c.size(args[0]), c.size(args[1]))
		}
	case "split":
		if target != nil {
			sz := c.size(*target)
			parts := sz.Max
			if len(args) > 1 {
				if lit := args[1].Expr().AsLiteral(); lit != nil {
					if n, ok := lit.Value().(int64); ok {
						parts = uint64(n)
					}
				}
			}
			return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(2 * traverse), ResultSize: &checker.SizeEstimate{Max: parts}}
		}
	case "join":
		if target != nil {
			return c.joinCost(*target, args)
		}
	case "find", "findAll":
		if target != nil && len(args) >= 1 {
			sz := c.size(*target)
			scan := sz.Add(checker.SizeEstimate{Min: 1, Max: 1}).MultiplyByCostFactor(traverse)
			return &checker.CallEstimate{
				CostEstimate: scan.Multiply(c.size(args[0]).MultiplyByCostFactor(regexByte)),
				ResultSize:   &checker.SizeEstimate{Max: sz.Max},
			}
		}
	case "cidr", "isIP", "isCIDR", "quantity", "isQuantity", "semver", "isSemver":
		if len(args) >= 1 {
			return est(c.size(args[0]).MultiplyByCostFactor(traverse))
		}
	case "ip":
		if overloadID == "cidr_ip" {
			return est(one)
		}
		if len(args) >= 1 {
			return est(c.size(args[0]).MultiplyByCostFactor(traverse))
		}
	case "ip.isCanonical":
		if len(args) >= 1 {
			return est(c.size(args[0]).MultiplyByCostFactor(2 * traverse))
		}
	case "containsIP", "containsCIDR":
		if len(args) >= 1 {
			addr := checker.SizeEstimate{Min: 4, Max: 16} // an IPv4 to an IPv6 address
			ce := addr.Add(addr).MultiplyByCostFactor(traverse)
			if function == "containsCIDR" {
				ce = ce.Add(addr.MultiplyByCostFactor(traverse)).Add(one)
			}
			if overloadID == "cidr_contains_ip_string" || overloadID == "cidr_contains_cidr_string" {
				ce = ce.Add(checker.CostEstimate(c.size(args[0])).MultiplyByCostFactor(traverse))
			}
			return est(ce)
		}
	case "validate":
		if len(args) >= 1 {
			return est(c.size(args[0]).MultiplyByCostFactor(traverse).MultiplyByCostFactor(maxNameFormatRegex * regexByte))
		}
	case "_==_":
		return c.equalityCost(args)
	}
	return nil
}

// itemsOf is the node of a list's elements, sized by the list's path.
func (c *Costs) itemsOf(list checker.AstNode) checker.AstNode {
	params := list.Type().Parameters()
	if len(params) == 0 {
		return nil
	}
	var path []string
	if p := list.Path(); p != nil {
		path = append(append(make([]string, 0, len(p)+1), p...), "@items")
	}
	return &itemsNode{path: path, t: params[0]}
}

func (c *Costs) replaceCost(sz, old, with checker.SizeEstimate) *checker.CallEstimate {
	// The result is at most every match replaced, plus what is kept.
	var count, kept checker.SizeEstimate
	switch {
	case old.Min == 0: // an empty match is found between every byte
		count.Max, kept.Max = sz.Max, sz.Max
		if sz.Max < math.MaxUint64 {
			count.Max++
		}
	case with.Max <= old.Min: // the string can only shrink
		kept.Max = sz.Max
	default:
		count.Max = uint64(math.Ceil(float64(sz.Max) / float64(old.Min)))
	}
	switch {
	case old.Max == 0:
		count.Min, kept.Min = sz.Min, sz.Min
		if sz.Min < math.MaxUint64 {
			count.Min++
		}
	case old.Max <= with.Min:
		kept.Min = sz.Min
	default:
		count.Min = uint64(math.Ceil(float64(sz.Min) / float64(old.Max)))
	}
	result := count.Multiply(with).Add(kept)
	return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(2 * traverse), ResultSize: &result}
}

func (c *Costs) joinCost(list checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	var sz checker.SizeEstimate
	n := c.size(list)
	if elem := c.itemsOf(list); elem != nil {
		sz = n.Multiply(c.size(elem))
	}
	if len(args) > 0 {
		var seps checker.SizeEstimate
		if n.Min > 0 {
			seps.Min = n.Min - 1
		}
		if n.Max > 0 {
			seps.Max = n.Max - 1
		}
		sz = sz.Add(c.size(args[0]).Multiply(seps))
	}
	return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(traverse), ResultSize: &sz}
}

// equalityCost prices comparing two values of kube's types, which are
// compared in constant time, or by their bounded string forms.
func (c *Costs) equalityCost(args []checker.AstNode) *checker.CallEstimate {
	if len(args) != 2 || args[0].Type().Equal(args[1].Type()) != types.True {
		return nil
	}
	switch args[0].Type().TypeName() {
	case ipType.TypeName(), cidrType.TypeName(), quantityType.TypeName(), authorizerType.TypeName(),
		pathCheckType.TypeName(), groupCheckType.TypeName(), resourceCheckType.TypeName(), decisionType.TypeName():
		return &checker.CallEstimate{CostEstimate: one}
	case formatType.TypeName():
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: maxFormatSize}.MultiplyByCostFactor(traverse)}
	case urlType.TypeName():
		size := checker.SizeEstimate{Min: 1, Max: 1}
		if sz := args[1].ComputedSize(); sz != nil {
			size = *sz
		}
		return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: 1, Max: size.Max}.MultiplyByCostFactor(traverse)}
	}
	return nil
}

// CallCost implements interpreter.ActualCostEstimator: the runtime cost of
// a call, priced as EstimateCallCost prices it statically.
func (c *Costs) CallCost(function, overloadID string, args []ref.Val, result ref.Val) *uint64 {
	cost := func(n uint64) *uint64 { return &n }
	scan := func(v ref.Val, factor float64) *uint64 {
		return cost(uint64(math.Ceil(float64(actualSize(v)) * factor)))
	}
	if constantCalls[function] {
		return cost(1)
	}
	switch function {
	case "check":
		return cost(authzCheck)
	case "isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "includes":
		if len(args) > 0 {
			return cost(traversalCost(args[0]))
		}
	case "url", "lowerAscii", "upperAscii", "substring", "trim", "jsonpatch.escapeKey", "cidr", "isIP", "isCIDR",
		"quantity", "isQuantity", "semver", "isSemver":
		if len(args) >= 1 {
			return scan(args[0], traverse)
		}
	case "replace", "split", "ip.isCanonical":
		if len(args) >= 1 {
			return scan(args[0], 2*traverse)
		}
	case "join":
		if len(args) >= 1 {
			return scan(result, 2*traverse)
		}
	case "find", "findAll":
		if len(args) >= 2 {
			str := uint64(math.Ceil((1 + float64(actualSize(args[0]))) * traverse))
			re := uint64(math.Ceil(float64(actualSize(args[1])) * regexByte))
			return cost(str * re)
		}
	case "ip":
		if overloadID == "cidr_ip" {
			return cost(1)
		}
		if len(args) >= 1 {
			return scan(args[0], traverse)
		}
	case "containsIP", "containsCIDR":
		if len(args) >= 2 {
			cidr := actualSize(args[0])
			n := uint64(math.Ceil(float64(2*cidr) * traverse))
			if function == "containsCIDR" {
				n += uint64(math.Ceil(float64(cidr)*traverse)) + 1
			}
			if overloadID == "cidr_contains_ip_string" || overloadID == "cidr_contains_cidr_string" {
				n += uint64(math.Ceil(float64(actualSize(args[1])) * traverse))
			}
			return cost(n)
		}
	case "validate":
		if len(args) >= 2 {
			str := uint64(math.Ceil((1 + float64(actualSize(args[1]))) * traverse))
			re := uint64(math.Ceil(maxNameFormatRegex * regexByte))
			return cost(str * re)
		}
	case "_==_":
		if len(args) == 2 {
			switch args[0].Type().TypeName() {
			case ipType.TypeName(), cidrType.TypeName(), quantityType.TypeName(), urlType.TypeName(), formatType.TypeName(),
				authorizerType.TypeName(), pathCheckType.TypeName(), groupCheckType.TypeName(), resourceCheckType.TypeName(), decisionType.TypeName():
				return cost(1)
			}
		}
	}
	return nil
}

// actualSize is a value's size: a string's bytes, a list's items; 1 for
// a value without one.
func actualSize(v ref.Val) uint64 {
	if s, ok := v.(traits.Sizer); ok {
		if n, ok := s.Size().(types.Int); ok && n >= 0 {
			return uint64(n)
		}
	}
	return 1
}

// traversalCost is the cost of reading every byte of a value once.
func traversalCost(v ref.Val) uint64 {
	switch v := v.(type) {
	case types.String:
		return uint64(float64(len(v)) * traverse)
	case types.Bytes:
		return uint64(float64(len(v)) * traverse)
	case traits.Lister:
		var n uint64
		for it := v.Iterator(); it.HasNext() == types.True; {
			n += traversalCost(it.Next())
		}
		return n
	case traits.Mapper:
		var n uint64
		for it := v.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			n += traversalCost(k) + traversalCost(v.Get(k))
		}
		return n
	}
	return 1
}

// itemsNode is the element of a list, for sizing.
type itemsNode struct {
	path []string
	t    *types.Type
}

func (n *itemsNode) Path() []string                      { return n.path }
func (n *itemsNode) Type() *types.Type                   { return n.t }
func (n *itemsNode) Expr() ast.Expr                      { return nil }
func (n *itemsNode) ComputedSize() *checker.SizeEstimate { return nil }
