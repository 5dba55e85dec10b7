package cel

import (
	"math"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"k8s.io/apimachinery/pkg/api/resource"
)

// quantityType is kube's kubernetes.Quantity: a resource quantity
// ("100m", "1.5Gi") as a value expressions compare and add.
var quantityType = cel.OpaqueType("kubernetes.Quantity")

var quantityKind = &opaqueKind[*resource.Quantity]{typ: quantityType,
	equal: func(a, b *resource.Quantity) bool { return a.Equal(*b) }, str: (*resource.Quantity).String}

// arithmetic is add or sub: of a quantity, or of an integer.
func arithmetic(name string, op func(*resource.Quantity, resource.Quantity)) cel.EnvOption {
	q := quantityType
	apply := func(a ref.Val, b resource.Quantity) ref.Val {
		x, ok := quantityKind.from(a)
		if !ok {
			return types.MaybeNoSuchOverloadErr(a)
		}
		out := x.DeepCopy()
		op(&out, b)
		return quantityKind.of(&out)
	}
	return cel.Function(name,
		cel.MemberOverload("quantity_"+name, []*cel.Type{q, q}, q, cel.BinaryBinding(func(a, b ref.Val) ref.Val {
			y, ok := quantityKind.from(b)
			if !ok {
				return types.MaybeNoSuchOverloadErr(b)
			}
			return apply(a, *y)
		})),
		cel.MemberOverload("quantity_"+name+"_int", []*cel.Type{q, cel.IntType}, q, cel.BinaryBinding(func(a, b ref.Val) ref.Val {
			y, ok := b.(types.Int)
			if !ok {
				return types.MaybeNoSuchOverloadErr(b)
			}
			return apply(a, *resource.NewQuantity(int64(y), resource.DecimalExponent))
		})))
}

// quantityLibrary is kube's quantity library: quantity(), isQuantity(),
// comparisons, arithmetic and conversions.
func quantityLibrary() cel.EnvOption {
	q := quantityType
	unaryQ := func(f func(*resource.Quantity) ref.Val) cel.OverloadOpt {
		return cel.UnaryBinding(func(v ref.Val) ref.Val {
			x, ok := quantityKind.from(v)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return f(x)
		})
	}
	binaryQ := func(f func(a, b *resource.Quantity) ref.Val) cel.OverloadOpt {
		return cel.BinaryBinding(func(a, b ref.Val) ref.Val {
			x, ok1 := quantityKind.from(a)
			y, ok2 := quantityKind.from(b)
			if !ok1 || !ok2 {
				return types.MaybeNoSuchOverloadErr(b)
			}
			return f(x, y)
		})
	}
	return cel.Lib(funcs{
		cel.Function("quantity", cel.Overload("string_to_quantity", []*cel.Type{cel.StringType}, q,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, ok := v.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				parsed, err := resource.ParseQuantity(string(s))
				if err != nil {
					return types.WrapErr(err)
				}
				return quantityKind.of(&parsed)
			}))),
		cel.Function("isQuantity", cel.Overload("is_quantity_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				s, ok := v.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				_, err := resource.ParseQuantity(string(s))
				return types.Bool(err == nil)
			}))),
		cel.Function("sign", cel.MemberOverload("quantity_sign", []*cel.Type{q}, cel.IntType,
			unaryQ(func(a *resource.Quantity) ref.Val { return types.Int(a.Sign()) }))),
		cel.Function("isGreaterThan", cel.MemberOverload("quantity_is_greater_than", []*cel.Type{q, q}, cel.BoolType,
			binaryQ(func(a, b *resource.Quantity) ref.Val { return types.Bool(a.Cmp(*b) == 1) }))),
		cel.Function("isLessThan", cel.MemberOverload("quantity_less_than", []*cel.Type{q, q}, cel.BoolType,
			binaryQ(func(a, b *resource.Quantity) ref.Val { return types.Bool(a.Cmp(*b) == -1) }))),
		cel.Function("compareTo", cel.MemberOverload("quantity_compare_to", []*cel.Type{q, q}, cel.IntType,
			binaryQ(func(a, b *resource.Quantity) ref.Val { return types.Int(a.Cmp(*b)) }))),
		arithmetic("add", (*resource.Quantity).Add),
		arithmetic("sub", (*resource.Quantity).Sub),
		cel.Function("isInteger", cel.MemberOverload("quantity_is_integer", []*cel.Type{q}, cel.BoolType,
			unaryQ(func(a *resource.Quantity) ref.Val {
				_, ok := a.AsInt64()
				return types.Bool(ok)
			}))),
		cel.Function("asInteger", cel.MemberOverload("quantity_as_integer", []*cel.Type{q}, cel.IntType,
			unaryQ(func(a *resource.Quantity) ref.Val {
				i, ok := a.AsInt64()
				if !ok {
					return types.NewErr("cannot convert value to integer")
				}
				return types.Int(i)
			}))),
		cel.Function("asApproximateFloat", cel.MemberOverload("quantity_get_float", []*cel.Type{q}, cel.DoubleType,
			unaryQ(func(a *resource.Quantity) ref.Val {
				f := a.AsApproximateFloat64()
				if math.IsInf(f, 0) {
					return types.NewErr("value is infinite")
				}
				return types.Double(f)
			}))),
	})
}
