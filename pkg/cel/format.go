package cel

import (
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/util/validation"
)

// formatType is kube's kubernetes.NamedFormat: a named string format
// whose validate() returns the reasons a string does not match.
var formatType = cel.OpaqueType("kubernetes.NamedFormat")

// namedFormat is a format and its name.
type namedFormat struct {
	name     string
	validate func(string) []string
}

var formatKind = &opaqueKind[namedFormat]{typ: formatType, equal: func(a, b namedFormat) bool { return a.name == b.name }}

// formats are kube's named formats, by their names.
var formats = map[string]func(string) []string{
	"dns1123Label":           validation.IsDNS1123Label,
	"dns1123Subdomain":       validation.IsDNS1123Subdomain,
	"dns1035Label":           validation.IsDNS1035Label,
	"qualifiedName":          validation.IsQualifiedName,
	"labelValue":             validation.IsValidLabelValue,
	"dns1123LabelPrefix":     prefix(validation.IsDNS1123Label),
	"dns1123SubdomainPrefix": prefix(validation.IsDNS1123Subdomain),
	"dns1035LabelPrefix":     prefix(validation.IsDNS1035Label),
	"uri": func(s string) []string {
		if _, err := url.ParseRequestURI(s); err != nil {
			return []string{"invalid URI"}
		}
		return nil
	},
	"uuid": func(s string) []string {
		if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
			return []string{"does not match the UUID format"}
		}
		return nil
	},
	"byte": func(s string) []string {
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return []string{"invalid base64"}
		}
		return nil
	},
	"date": func(s string) []string {
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return []string{"invalid date"}
		}
		return nil
	},
	"datetime": func(s string) []string {
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return []string{"invalid datetime"}
		}
		return nil
	},
}

// prefix validates a name that will have a suffix appended (as
// generateName): a trailing dash is allowed.
func prefix(f func(string) []string) func(string) []string {
	return func(s string) []string {
		if len(s) > 0 && s[len(s)-1] == '-' {
			s = s[:len(s)-1] + "a"
		}
		return f(s)
	}
}

// formatLibrary is kube's format library: format.named(name) (an
// optional) and format.<name>(), and validate(str), which returns an
// optional list of the reasons the string does not match.
func formatLibrary() cel.EnvOption {
	opts := funcs{
		cel.Function("format.named", cel.Overload("format_named", []*cel.Type{cel.StringType}, cel.OptionalType(formatType),
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				name, ok := v.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(v)
				}
				f, ok := formats[string(name)]
				if !ok {
					return types.OptionalNone
				}
				return types.OptionalOf(formatKind.of(namedFormat{name: string(name), validate: f}))
			}))),
		cel.Function("validate", cel.MemberOverload("format_validate", []*cel.Type{formatType, cel.StringType}, cel.OptionalType(cel.ListType(cel.StringType)),
			cel.BinaryBinding(func(f, s ref.Val) ref.Val {
				fv, ok := formatKind.from(f)
				str, ok2 := s.(types.String)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(s)
				}
				if errs := fv.validate(string(str)); len(errs) > 0 {
					return types.OptionalOf(types.DefaultTypeAdapter.NativeToValue(errs))
				}
				return types.OptionalNone
			}))),
	}
	for name, f := range formats {
		value := formatKind.of(namedFormat{name: name, validate: f})
		opts = append(opts, cel.Function("format."+name, cel.Overload("format_"+strings.ToLower(name), nil, formatType,
			cel.FunctionBinding(func(...ref.Val) ref.Val { return value }))))
	}
	return cel.Lib(opts)
}
