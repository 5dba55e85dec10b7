package cel

import (
	"fmt"
	"net/url"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// urlType is kube's kubernetes.URL: a parsed URL whose parts expressions
// read.
var urlType = cel.OpaqueType("kubernetes.URL")

type urlValue struct{ u *url.URL }

func (v urlValue) ConvertToNative(t reflect.Type) (any, error) {
	if reflect.TypeOf(v.u).AssignableTo(t) {
		return v.u, nil
	}
	return nil, fmt.Errorf("type conversion error from URL to %v", t)
}

func (v urlValue) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case urlType:
		return v
	case types.TypeType:
		return urlType
	case types.StringType:
		return types.String(v.u.String())
	}
	return types.NewErr("type conversion error from %s to %s", urlType, t)
}

func (v urlValue) Equal(other ref.Val) ref.Val {
	o, ok := other.(urlValue)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(*v.u == *o.u)
}

func (v urlValue) Type() ref.Type { return urlType }
func (v urlValue) Value() any     { return v.u }

// parseURL accepts what kube's url() accepts: an absolute URI or an
// absolute path.
func parseURL(s string) (*url.URL, error) {
	u, err := url.ParseRequestURI(s)
	if err != nil {
		return nil, fmt.Errorf("URL parse error during conversion from string: %v", err)
	}
	return u, nil
}

// urlLibrary is kube's url library: url(), isURL() and the getters.
func urlLibrary() cel.EnvOption {
	getter := func(name string, out *cel.Type, f func(*url.URL) ref.Val) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("url_"+name, []*cel.Type{urlType}, out, cel.UnaryBinding(func(v ref.Val) ref.Val {
			u, ok := v.(urlValue)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return f(u.u)
		})))
	}
	return cel.Lib(funcs{
		cel.Function("url", cel.Overload("string_to_url", []*cel.Type{cel.StringType}, urlType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			u, err := parseURL(string(s))
			if err != nil {
				return types.WrapErr(err)
			}
			return urlValue{u}
		}))),
		cel.Function("isURL", cel.Overload("is_url_string", []*cel.Type{cel.StringType}, cel.BoolType, cel.UnaryBinding(func(v ref.Val) ref.Val {
			s, ok := v.(types.String)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			_, err := parseURL(string(s))
			return types.Bool(err == nil)
		}))),
		getter("getScheme", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Scheme) }),
		getter("getHost", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Host) }),
		getter("getHostname", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Hostname()) }),
		getter("getPort", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.Port()) }),
		getter("getEscapedPath", cel.StringType, func(u *url.URL) ref.Val { return types.String(u.EscapedPath()) }),
		getter("getQuery", cel.MapType(cel.StringType, cel.ListType(cel.StringType)), func(u *url.URL) ref.Val {
			return types.DefaultTypeAdapter.NativeToValue(map[string][]string(u.Query()))
		}),
	})
}
