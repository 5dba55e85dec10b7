package cel

import (
	"regexp"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/ext"
)

// Options are the environment options every expression of the server
// gets: cel-go's standard extensions as kube-apiserver enables them, and
// kube's lists, regex, quantity, url, ip, cidr, format and authz libraries.
func Options() []cel.EnvOption {
	return []cel.EnvOption{
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		ext.Encoders(),
		ext.Math(),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		// has() is free, as in kube since cel-go began to charge for it.
		cel.CostEstimatorOptions(checker.PresenceTestHasCost(false)),
		listsLibrary(),
		regexLibrary(),
		quantityLibrary(),
		urlLibrary(),
		ipLibrary(),
		formatLibrary(),
		authzLibrary(),
	}
}

var paramT = cel.TypeParamType("T")

// listsLibrary is kube's: isSorted, sum, min, max, indexOf and
// lastIndexOf on lists of comparable values.
func listsLibrary() cel.EnvOption {
	listT := cel.ListType(paramT)
	summable := []*cel.Type{cel.IntType, cel.UintType, cel.DoubleType, cel.DurationType}
	var sums, mins, maxs []cel.FunctionOpt
	for _, t := range summable {
		sums = append(sums, cel.MemberOverload("list_"+t.String()+"_sum", []*cel.Type{cel.ListType(t)}, t, cel.UnaryBinding(sum(t))))
	}
	comparable := []*cel.Type{cel.IntType, cel.UintType, cel.DoubleType, cel.BoolType, cel.StringType, cel.BytesType, cel.DurationType, cel.TimestampType}
	for _, t := range comparable {
		mins = append(mins, cel.MemberOverload("list_"+t.String()+"_min", []*cel.Type{cel.ListType(t)}, t, cel.UnaryBinding(extreme("min", -1))))
		maxs = append(maxs, cel.MemberOverload("list_"+t.String()+"_max", []*cel.Type{cel.ListType(t)}, t, cel.UnaryBinding(extreme("max", 1))))
	}
	var sorted []cel.FunctionOpt
	for _, t := range comparable {
		sorted = append(sorted, cel.MemberOverload("list_"+t.String()+"_is_sorted", []*cel.Type{cel.ListType(t)}, cel.BoolType, cel.UnaryBinding(isSorted)))
	}
	return cel.Lib(funcs{
		cel.Function("isSorted", sorted...),
		cel.Function("sum", sums...),
		cel.Function("min", mins...),
		cel.Function("max", maxs...),
		cel.Function("indexOf", cel.MemberOverload("list_a_index_of_int", []*cel.Type{listT, paramT}, cel.IntType,
			cel.BinaryBinding(func(l, v ref.Val) ref.Val { return indexOf(l, v, false) }))),
		cel.Function("lastIndexOf", cel.MemberOverload("list_a_last_index_of_int", []*cel.Type{listT, paramT}, cel.IntType,
			cel.BinaryBinding(func(l, v ref.Val) ref.Val { return indexOf(l, v, true) }))),
	})
}

// funcs is a cel.Library of function declarations.
type funcs []cel.EnvOption

func (f funcs) CompileOptions() []cel.EnvOption     { return f }
func (f funcs) ProgramOptions() []cel.ProgramOption { return nil }

func items(v ref.Val) ([]ref.Val, ref.Val) {
	l, ok := v.(traits.Lister)
	if !ok {
		return nil, types.MaybeNoSuchOverloadErr(v)
	}
	var out []ref.Val
	for it := l.Iterator(); it.HasNext() == types.True; {
		out = append(out, it.Next())
	}
	return out, nil
}

func sum(t *cel.Type) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		vals, err := items(v)
		if err != nil {
			return err
		}
		var acc ref.Val
		switch t {
		case cel.IntType:
			acc = types.Int(0)
		case cel.UintType:
			acc = types.Uint(0)
		case cel.DoubleType:
			acc = types.Double(0)
		default:
			acc = types.Duration{}
		}
		for _, x := range vals {
			adder, ok := acc.(traits.Adder)
			if !ok {
				return types.MaybeNoSuchOverloadErr(acc)
			}
			acc = adder.Add(x)
			if types.IsError(acc) {
				return acc
			}
		}
		return acc
	}
}

func extreme(name string, want int64) func(ref.Val) ref.Val {
	return func(v ref.Val) ref.Val {
		vals, err := items(v)
		if err != nil {
			return err
		}
		if len(vals) == 0 {
			return types.NewErr("%s called on empty list", name)
		}
		best := vals[0]
		for _, x := range vals[1:] {
			c, ok := x.(traits.Comparer)
			if !ok {
				return types.MaybeNoSuchOverloadErr(x)
			}
			if cmp := c.Compare(best); types.IsError(cmp) {
				return cmp
			} else if cmp.(types.Int) == types.Int(want) {
				best = x
			}
		}
		return best
	}
}

func isSorted(v ref.Val) ref.Val {
	vals, err := items(v)
	if err != nil {
		return err
	}
	for i := 1; i < len(vals); i++ {
		c, ok := vals[i].(traits.Comparer)
		if !ok {
			return types.MaybeNoSuchOverloadErr(vals[i])
		}
		if cmp := c.Compare(vals[i-1]); types.IsError(cmp) {
			return cmp
		} else if cmp.(types.Int) < 0 {
			return types.False
		}
	}
	return types.True
}

func indexOf(l, v ref.Val, last bool) ref.Val {
	vals, err := items(l)
	if err != nil {
		return err
	}
	found := -1
	for i, x := range vals {
		if x.Equal(v) == types.True {
			found = i
			if !last {
				break
			}
		}
	}
	return types.Int(found)
}

// regexLibrary is kube's: find and findAll on strings.
func regexLibrary() cel.EnvOption {
	return cel.Lib(funcs{
		cel.Function("find", cel.MemberOverload("string_find_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(s, re ref.Val) ref.Val {
				r, err := compileRegex(re)
				if err != nil {
					return err
				}
				return types.String(r.FindString(string(s.(types.String))))
			}))),
		cel.Function("findAll",
			cel.MemberOverload("string_find_all_string", []*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
				cel.BinaryBinding(func(s, re ref.Val) ref.Val { return findAll(s, re, -1) })),
			cel.MemberOverload("string_find_all_string_int", []*cel.Type{cel.StringType, cel.StringType, cel.IntType}, cel.ListType(cel.StringType),
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					n, ok := args[2].(types.Int)
					if !ok {
						return types.MaybeNoSuchOverloadErr(args[2])
					}
					return findAll(args[0], args[1], int(n))
				}))),
	})
}

func findAll(s, re ref.Val, n int) ref.Val {
	r, err := compileRegex(re)
	if err != nil {
		return err
	}
	return types.DefaultTypeAdapter.NativeToValue(r.FindAllString(string(s.(types.String)), n))
}

// regexes caches compiled patterns: a rule evaluates the same few ones
// for every object.
var regexes sync.Map

func compileRegex(v ref.Val) (*regexp.Regexp, ref.Val) {
	pattern, ok := v.(types.String)
	if !ok {
		return nil, types.MaybeNoSuchOverloadErr(v)
	}
	if r, ok := regexes.Load(string(pattern)); ok {
		return r.(*regexp.Regexp), nil
	}
	r, err := regexp.Compile(string(pattern))
	if err != nil {
		return nil, types.NewErr("invalid regex %q: %v", string(pattern), err)
	}
	regexes.Store(string(pattern), r)
	return r, nil
}
