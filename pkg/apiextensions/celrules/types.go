package celrules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// provider declares the object types of a schema to CEL: every object
// node with properties is a struct type named by its path, whose fields
// have the types of its properties. Values stay JSON maps; the field
// getters read them.
type provider struct {
	*types.Registry
	structs map[string]map[string]*types.FieldType
}

func newProvider() (*provider, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	return &provider{Registry: reg, structs: map[string]map[string]*types.FieldType{}}, nil
}

func (p *provider) FindStructType(name string) (*types.Type, bool) {
	if _, ok := p.structs[name]; ok {
		return types.NewTypeTypeWithParam(types.NewObjectType(name)), true
	}
	return p.Registry.FindStructType(name)
}

func (p *provider) FindStructFieldNames(name string) ([]string, bool) {
	if fields, ok := p.structs[name]; ok {
		names := make([]string, 0, len(fields))
		for n := range fields {
			names = append(names, n)
		}
		sort.Strings(names)
		return names, true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p *provider) FindStructFieldType(name, fieldName string) (*types.FieldType, bool) {
	if fields, ok := p.structs[name]; ok {
		f, ok := fields[fieldName]
		return f, ok
	}
	return p.Registry.FindStructFieldType(name, fieldName)
}

func (p *provider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if _, ok := p.structs[name]; ok {
		return types.NewErr("object construction is not supported for %s", name)
	}
	return p.Registry.NewValue(name, fields)
}

// typeOf declares the CEL type of a schema node named name (a path),
// registering its object types. root restricts metadata to name and
// generateName, as kube does.
func (p *provider) typeOf(s *apiextensionsv1.JSONSchemaProps, name string, root bool) *types.Type {
	if s == nil || s.XIntOrString || (s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields && len(s.Properties) == 0) {
		return types.DynType
	}
	switch s.Type {
	case "string":
		switch s.Format {
		case "byte":
			return types.BytesType
		case "duration":
			return types.DurationType
		case "date", "date-time":
			return types.TimestampType
		}
		return types.StringType
	case "integer":
		return types.IntType
	case "number":
		return types.DoubleType
	case "boolean":
		return types.BoolType
	case "array":
		if s.Items == nil || s.Items.Schema == nil {
			return types.NewListType(types.DynType)
		}
		return types.NewListType(p.typeOf(s.Items.Schema, name+".@idx", false))
	case "object":
		if len(s.Properties) == 0 && !s.XEmbeddedResource {
			if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
				return types.NewMapType(types.StringType, p.typeOf(s.AdditionalProperties.Schema, name+".@elem", false))
			}
			return types.NewMapType(types.StringType, types.DynType)
		}
		fields := map[string]*types.FieldType{}
		for k := range s.Properties {
			prop := s.Properties[k]
			ft := p.typeOf(&prop, name+"."+k, false)
			if root && k == "metadata" && !hasObjectMeta(s) {
				ft = p.metadataType(name + ".metadata")
			}
			// A property whose name CEL cannot spell is not seen.
			if cname, ok := escape(k); ok {
				fields[cname] = jsonField(k, ft)
			}
		}
		if s.XEmbeddedResource || root {
			for _, k := range []string{"apiVersion", "kind"} {
				if _, ok := fields[k]; !ok {
					fields[k] = jsonField(k, types.StringType)
				}
			}
			if _, ok := fields["metadata"]; !ok {
				fields["metadata"] = jsonField("metadata", p.metadataType(name+".metadata"))
			}
		}
		p.structs[name] = fields
		return types.NewObjectType(name)
	}
	return types.DynType
}

// hasObjectMeta reports whether a resource's schema declares its
// apiVersion, kind and metadata with name and generateName, as a
// built-in kind does: kube then types metadata by the schema; otherwise
// (a CRD's schema) a rule sees only metadata's name and generateName.
func hasObjectMeta(s *apiextensionsv1.JSONSchemaProps) bool {
	meta, ok := s.Properties["metadata"]
	return ok && s.Properties["kind"].Type == "string" && s.Properties["apiVersion"].Type == "string" &&
		meta.Type == "object" && meta.Properties["name"].Type == "string" && meta.Properties["generateName"].Type == "string"
}

func (p *provider) metadataType(name string) *types.Type {
	p.structs[name] = map[string]*types.FieldType{
		"name": jsonField("name", types.StringType), "generateName": jsonField("generateName", types.StringType),
	}
	return types.NewObjectType(name)
}

// jsonField reads key k of a JSON object.
func jsonField(k string, t *types.Type) *types.FieldType {
	return &types.FieldType{
		Type: t,
		IsSet: func(target any) bool {
			m, ok := target.(map[string]any)
			if !ok {
				return false
			}
			_, ok = m[k]
			return ok
		},
		GetFrom: func(target any) (any, error) {
			m, ok := target.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("no such key: %s", k)
			}
			v, ok := m[k]
			if !ok {
				return nil, fmt.Errorf("no such key: %s", k)
			}
			return v, nil
		},
	}
}

// reserved are the words CEL keeps for itself: a property so named is
// spelt __word__.
var reserved = map[string]bool{
	"true": true, "false": true, "null": true, "in": true, "as": true, "break": true, "const": true,
	"continue": true, "else": true, "for": true, "function": true, "if": true, "import": true,
	"let": true, "loop": true, "package": true, "namespace": true, "return": true, "var": true,
	"void": true, "while": true,
}

// escape is how an expression spells property name, as kube spells it:
// reserved words wrapped in double underscores, and "__", ".", "-" and
// "/" written __underscores__, __dot__, __dash__ and __slash__. A name
// that starts with a digit or holds any other character cannot be
// spelt.
func escape(name string) (string, bool) {
	if name == "" || (name[0] >= '0' && name[0] <= '9') {
		return "", false
	}
	if reserved[name] {
		return "__" + name + "__", true
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_' && i+1 < len(name) && name[i+1] == '_':
			b.WriteString("__underscores__")
			i++
		case c == '.':
			b.WriteString("__dot__")
		case c == '-':
			b.WriteString("__dash__")
		case c == '/':
			b.WriteString("__slash__")
		case c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'):
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	return b.String(), true
}

// Types declares to CEL the types of objects described by JSON schemas,
// for expressions over them other than a CRD's rules (an admission
// policy's object and params, when its expressions are type-checked).
// Values stay JSON maps.
type Types struct{ p *provider }

// NewTypes returns a set of types that declares none yet.
func NewTypes() (*Types, error) {
	p, err := newProvider()
	if err != nil {
		return nil, err
	}
	return &Types{p: p}, nil
}

// Resource declares the type of the resource objects schema s describes,
// named name, and returns it.
func (t *Types) Resource(name string, s *apiextensionsv1.JSONSchemaProps) *types.Type {
	return t.p.typeOf(s, typePrefix+name, true)
}

// Object declares an object type named name with the given fields.
func (t *Types) Object(name string, fields map[string]*types.Type) *types.Type {
	fts := make(map[string]*types.FieldType, len(fields))
	for k, ft := range fields {
		fts[k] = jsonField(k, ft)
	}
	t.p.structs[typePrefix+name] = fts
	return types.NewObjectType(typePrefix + name)
}

// Provider is the environment option that makes the types known.
func (t *Types) Provider() cel.EnvOption { return cel.CustomTypeProvider(t.p) }

// typeName is how kube names a schema type in an error's value.
func typeName(s *apiextensionsv1.JSONSchemaProps) string {
	if s.XIntOrString {
		return "int-or-string"
	}
	if s.Type == "" {
		return "object"
	}
	return strings.ToLower(s.Type)
}

// typePrefix starts the name of every object type: a name an expression
// can spell ("self.spec") would resolve to the type, not the value.
const typePrefix = "celrules/"
