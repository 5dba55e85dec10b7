package cel

import (
	"fmt"
	"net/url"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// urlType is kube's kubernetes.URL: a parsed URL whose parts expressions
// read.
var urlType = cel.OpaqueType("kubernetes.URL")

var urlKind = &opaqueKind[*url.URL]{typ: urlType, equal: func(a, b *url.URL) bool { return *a == *b }, str: (*url.URL).String}

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
			u, ok := urlKind.from(v)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return f(u)
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
			return urlKind.of(u)
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
