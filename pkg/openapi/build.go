package openapi

import (
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Info is the title and version in the info object of every document.
type Info struct {
	Title   string
	Version string
}

const bearerToken = "BearerToken"

// buildV2 returns the Swagger 2.0 document of c.
func buildV2(info Info, c content) (*spec.Swagger, error) {
	defs, err := c.closure()
	if err != nil {
		return nil, err
	}
	sw := &spec.Swagger{SwaggerProps: spec.SwaggerProps{
		Swagger:     "2.0",
		Info:        &spec.Info{InfoProps: spec.InfoProps{Title: info.Title, Version: info.Version}},
		Paths:       &spec.Paths{Paths: map[string]spec.PathItem{}},
		Definitions: make(spec.Definitions, len(defs)),
		SecurityDefinitions: spec.SecurityDefinitions{bearerToken: &spec.SecurityScheme{SecuritySchemeProps: spec.SecuritySchemeProps{
			Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
		}}},
		Security: []map[string][]string{{bearerToken: {}}},
	}}
	for name, d := range defs {
		sw.Definitions[name] = c.marked(name, d.v2)
	}
	for _, rt := range c.routes {
		item := sw.Paths.Paths[rt.path]
		if item.Parameters == nil {
			for _, p := range rt.pathParams {
				item.Parameters = append(item.Parameters, v2Param(p))
			}
		}
		op := v2Operation(rt)
		switch rt.method {
		case "get":
			item.Get = op
		case "put":
			item.Put = op
		case "post":
			item.Post = op
		case "patch":
			item.Patch = op
		case "delete":
			item.Delete = op
		}
		sw.Paths.Paths[rt.path] = item
	}
	return sw, nil
}

func v2Operation(rt route) *spec.Operation {
	op := &spec.Operation{OperationProps: spec.OperationProps{
		Description: rt.desc, Consumes: rt.consumes, Produces: rt.produces,
		Schemes: []string{"https"}, Tags: []string{rt.tag}, ID: rt.opID,
		Responses: &spec.Responses{ResponsesProps: spec.ResponsesProps{StatusCodeResponses: map[int]spec.Response{}}},
	}}
	if rt.body != "" {
		op.Parameters = append(op.Parameters, spec.Parameter{ParamProps: spec.ParamProps{
			Name: "body", In: "body", Required: rt.method != "delete", Schema: refSchema(v2RefPrefix, rt.body),
		}})
	}
	for _, p := range rt.params {
		op.Parameters = append(op.Parameters, v2Param(p))
	}
	for _, resp := range rt.responses {
		r := spec.Response{ResponseProps: spec.ResponseProps{Description: resp.desc}}
		if resp.def != "" {
			r.Schema = refSchema(v2RefPrefix, resp.def)
		}
		op.Responses.StatusCodeResponses[resp.code] = r
	}
	setOperationExtensions(&op.VendorExtensible, rt)
	return op
}

func v2Param(p param) spec.Parameter {
	return spec.Parameter{
		ParamProps:        spec.ParamProps{Name: p.name, In: p.in, Description: p.desc, Required: p.required},
		SimpleSchema:      spec.SimpleSchema{Type: p.typ},
		CommonValidations: spec.CommonValidations{UniqueItems: true},
	}
}

func setOperationExtensions(v *spec.VendorExtensible, rt route) {
	if rt.action == "" {
		return
	}
	v.Extensions = spec.Extensions{extAction: rt.action}
	if rt.gvk != nil {
		v.Extensions[extGVK] = rt.gvk.value()
	}
}

func refSchema(prefix, def string) *spec.Schema {
	return &spec.Schema{SchemaProps: spec.SchemaProps{Ref: spec.MustCreateRef(prefix + def)}}
}

// buildV3 returns the OpenAPI 3.0 document of c.
func buildV3(info Info, c content) (*spec3.OpenAPI, error) {
	defs, err := c.closure()
	if err != nil {
		return nil, err
	}
	doc := &spec3.OpenAPI{
		Version: "3.0.0",
		Info:    &spec.Info{InfoProps: spec.InfoProps{Title: info.Title, Version: info.Version}},
		Paths:   &spec3.Paths{Paths: map[string]*spec3.Path{}},
		Components: &spec3.Components{
			Schemas: make(map[string]*spec.Schema, len(defs)),
			SecuritySchemes: spec3.SecuritySchemes{bearerToken: &spec3.SecurityScheme{SecuritySchemeProps: spec3.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
			}}},
		},
		SecurityRequirement: []map[string][]string{{bearerToken: {}}},
	}
	for name, d := range defs {
		s := c.marked(name, d.v3)
		doc.Components.Schemas[name] = &s
	}
	for _, rt := range c.routes {
		item := doc.Paths.Paths[rt.path]
		if item == nil {
			item = &spec3.Path{}
			for _, p := range rt.pathParams {
				item.Parameters = append(item.Parameters, v3Param(p))
			}
			doc.Paths.Paths[rt.path] = item
		}
		op := v3Operation(rt)
		switch rt.method {
		case "get":
			item.Get = op
		case "put":
			item.Put = op
		case "post":
			item.Post = op
		case "patch":
			item.Patch = op
		case "delete":
			item.Delete = op
		}
	}
	return doc, nil
}

func v3Operation(rt route) *spec3.Operation {
	op := &spec3.Operation{OperationProps: spec3.OperationProps{
		Tags: []string{rt.tag}, Description: rt.desc, OperationId: rt.opID,
		Responses: &spec3.Responses{ResponsesProps: spec3.ResponsesProps{StatusCodeResponses: map[int]*spec3.Response{}}},
	}}
	if rt.body != "" {
		op.RequestBody = &spec3.RequestBody{RequestBodyProps: spec3.RequestBodyProps{
			Content: mediaTypes(rt.consumes, rt.body), Required: rt.method != "delete",
		}}
	}
	for _, p := range rt.params {
		op.Parameters = append(op.Parameters, v3Param(p))
	}
	for _, resp := range rt.responses {
		r := &spec3.Response{ResponseProps: spec3.ResponseProps{Description: resp.desc}}
		if resp.def != "" {
			r.Content = mediaTypes(rt.produces, resp.def)
		}
		op.Responses.StatusCodeResponses[resp.code] = r
	}
	setOperationExtensions(&op.VendorExtensible, rt)
	return op
}

func mediaTypes(types []string, def string) map[string]*spec3.MediaType {
	out := make(map[string]*spec3.MediaType, len(types))
	for _, t := range types {
		out[t] = &spec3.MediaType{MediaTypeProps: spec3.MediaTypeProps{Schema: refSchema(v3RefPrefix, def)}}
	}
	return out
}

func v3Param(p param) *spec3.Parameter {
	return &spec3.Parameter{ParameterProps: spec3.ParameterProps{
		Name: p.name, In: p.in, Description: p.desc, Required: p.required,
		Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{p.typ}, UniqueItems: true}},
	}}
}
