package cel

import (
	"fmt"
	"net/netip"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// ipType and cidrType are kube's net.IP and net.CIDR: addresses and
// prefixes expressions test and compare.
var (
	ipType   = cel.OpaqueType("net.IP")
	cidrType = cel.OpaqueType("net.CIDR")
)

var (
	ipKind   = &opaqueKind[netip.Addr]{typ: ipType, equal: func(a, b netip.Addr) bool { return a == b }, str: netip.Addr.String}
	cidrKind = &opaqueKind[netip.Prefix]{typ: cidrType, equal: func(a, b netip.Prefix) bool { return a == b }, str: netip.Prefix.String}
)

// parseIP accepts what kube's ip() accepts: an IPv4 or IPv6 address with
// no zone and not IPv4-mapped IPv6.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("IP Address %q parse error during conversion from string: %v", s, err)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("IP address %q with zone value is not allowed", s)
	}
	if a.Is4In6() {
		return netip.Addr{}, fmt.Errorf("IPv4-mapped IPv6 address %q is not allowed", s)
	}
	return a, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network address parse error during conversion from string: %v", err)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("IPv4-mapped IPv6 address %q is not allowed", s)
	}
	return p, nil
}

// toIP is ip(string): an address, or the parse error.
func toIP(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	a, err := parseIP(string(s))
	if err != nil {
		return types.WrapErr(err)
	}
	return ipKind.of(a)
}

// toCIDR is cidr(string): a prefix, or the parse error.
func toCIDR(v ref.Val) ref.Val {
	s, ok := v.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(v)
	}
	p, err := parseCIDR(string(s))
	if err != nil {
		return types.WrapErr(err)
	}
	return cidrKind.of(p)
}

func same(v ref.Val) ref.Val { return v }

// containsBy is a containsIP or containsCIDR overload whose argument
// toValue makes an address or a prefix.
func containsBy(id string, arg *cel.Type, toValue func(ref.Val) ref.Val) cel.FunctionOpt {
	return cel.MemberOverload(id, []*cel.Type{cidrType, arg}, cel.BoolType, cel.BinaryBinding(func(c, o ref.Val) ref.Val {
		prefix, ok := cidrKind.from(c)
		if !ok {
			return types.MaybeNoSuchOverloadErr(c)
		}
		v := toValue(o)
		if a, ok := ipKind.from(v); ok {
			return types.Bool(prefix.Contains(a))
		}
		if p, ok := cidrKind.from(v); ok {
			return types.Bool(p.Bits() >= prefix.Bits() && prefix.Contains(p.Addr()))
		}
		if types.IsError(v) {
			return v
		}
		return types.MaybeNoSuchOverloadErr(o)
	}))
}

// ipLibrary is kube's ip and cidr libraries.
func ipLibrary() cel.EnvOption {
	str := func(v ref.Val) (string, ref.Val) {
		s, ok := v.(types.String)
		if !ok {
			return "", types.MaybeNoSuchOverloadErr(v)
		}
		return string(s), nil
	}
	onIP := func(name string, out *cel.Type, f func(netip.Addr) ref.Val) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("ip_"+name, []*cel.Type{ipType}, out, cel.UnaryBinding(func(v ref.Val) ref.Val {
			a, ok := ipKind.from(v)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return f(a)
		})))
	}
	return cel.Lib(funcs{
		cel.Function("ip",
			cel.Overload("string_to_ip", []*cel.Type{cel.StringType}, ipType, cel.UnaryBinding(toIP)),
			cel.MemberOverload("cidr_ip", []*cel.Type{cidrType}, ipType, cel.UnaryBinding(func(v ref.Val) ref.Val {
				c, ok := cidrKind.from(v)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				return ipKind.of(c.Addr())
			}))),
		cel.Function("isIP", cel.Overload("is_ip", []*cel.Type{cel.StringType}, cel.BoolType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, e := str(v)
			if e != nil {
				return e
			}
			_, err := parseIP(s)
			return types.Bool(err == nil)
		}))),
		cel.Function("ip.isCanonical", cel.Overload("ip_is_canonical", []*cel.Type{cel.StringType}, cel.BoolType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, e := str(v)
			if e != nil {
				return e
			}
			a, err := parseIP(s)
			if err != nil {
				return types.WrapErr(err)
			}
			return types.Bool(a.String() == s)
		}))),
		onIP("family", cel.IntType, func(a netip.Addr) ref.Val {
			if a.Is4() {
				return types.Int(4)
			}
			return types.Int(6)
		}),
		onIP("isUnspecified", cel.BoolType, func(a netip.Addr) ref.Val { return types.Bool(a.IsUnspecified()) }),
		onIP("isLoopback", cel.BoolType, func(a netip.Addr) ref.Val { return types.Bool(a.IsLoopback()) }),
		onIP("isLinkLocalMulticast", cel.BoolType, func(a netip.Addr) ref.Val { return types.Bool(a.IsLinkLocalMulticast()) }),
		onIP("isLinkLocalUnicast", cel.BoolType, func(a netip.Addr) ref.Val { return types.Bool(a.IsLinkLocalUnicast()) }),
		onIP("isGlobalUnicast", cel.BoolType, func(a netip.Addr) ref.Val { return types.Bool(a.IsGlobalUnicast()) }),
		cel.Function("cidr", cel.Overload("string_to_cidr", []*cel.Type{cel.StringType}, cidrType, cel.UnaryBinding(toCIDR))),
		cel.Function("isCIDR", cel.Overload("is_cidr", []*cel.Type{cel.StringType}, cel.BoolType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, e := str(v)
			if e != nil {
				return e
			}
			_, err := parseCIDR(s)
			return types.Bool(err == nil)
		}))),
		cel.Function("containsIP",
			containsBy("cidr_contains_ip_ip", ipType, same), containsBy("cidr_contains_ip_string", cel.StringType, toIP)),
		cel.Function("containsCIDR",
			containsBy("cidr_contains_cidr", cidrType, same), containsBy("cidr_contains_cidr_string", cel.StringType, toCIDR)),
		cel.Function("masked", cel.MemberOverload("cidr_masked", []*cel.Type{cidrType}, cidrType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			c, ok := cidrKind.from(v)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return cidrKind.of(c.Masked())
		}))),
		cel.Function("prefixLength", cel.MemberOverload("cidr_prefix_length", []*cel.Type{cidrType}, cel.IntType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			c, ok := cidrKind.from(v)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return types.Int(c.Bits())
		}))),
		cel.Function("string",
			cel.Overload("ip_to_string", []*cel.Type{ipType}, cel.StringType, cel.UnaryBinding(func(v ref.Val) ref.Val { return v.ConvertToType(types.StringType) })),
			cel.Overload("cidr_to_string", []*cel.Type{cidrType}, cel.StringType, cel.UnaryBinding(func(v ref.Val) ref.Val { return v.ConvertToType(types.StringType) }))),
	})
}
