package openapi

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// route is one operation on one path, in a form both document formats are
// rendered from.
type route struct {
	path       string
	method     string // lower case: get, put, post, patch, delete
	opID       string
	desc       string
	tag        string
	action     string        // x-kubernetes-action; empty for discovery
	gvk        *gvkExtension // x-kubernetes-group-version-kind
	pathParams []param       // path parameters and pretty, shared by the path
	params     []param       // query parameters of this operation
	body       string        // definition of the request body, if any
	consumes   []string
	produces   []string
	responses  []response
}

type param struct {
	name, in, typ, desc string
	required            bool
}

type response struct {
	code int
	desc string
	def  string // definition of the body; empty for none
}

// Media types, as kube-apiserver lists them.
const (
	mtJSON            = "application/json"
	mtYAML            = "application/yaml"
	mtProtobuf        = "application/vnd.kubernetes.protobuf"
	mtJSONWatch       = "application/json;stream=watch"
	mtProtobufWatch   = "application/vnd.kubernetes.protobuf;stream=watch"
	mtJSONPatch       = "application/json-patch+json"
	mtMergePatch      = "application/merge-patch+json"
	mtStrategicPatch  = "application/strategic-merge-patch+json"
	mtApplyPatch      = "application/apply-patch+yaml"
	mtAny             = "*/*"
	descOK            = "OK"
	descCreated       = "Created"
	descAccepted      = "Accepted"
	descUnauthorized  = "Unauthorized"
	codeOK            = 200
	codeCreated       = 201
	codeAccepted      = 202
	codeUnauthorized  = 401
	namespaceParamDoc = "object name and auth scope, such as for teams and projects"
)

// resourceRoutes returns the operations of one resource of gv.
func resourceRoutes(gv schema.GroupVersion, r Resource) []route {
	b := routeBuilder{gv: gv, r: r, custom: r.Schema != nil}
	b.gvk = gvkExtension{Group: gv.Group, Version: gv.Version, Kind: r.Kind}
	b.prefix, b.tag = gvPrefix(gv), gvTag(gv)
	b.opName = gvOperationName(gv)
	var out []route
	out = append(out, b.collection()...)
	out = append(out, b.item()...)
	out = append(out, b.watches()...)
	for _, sub := range r.Subresources {
		out = append(out, b.subresource(sub)...)
	}
	return out
}

type routeBuilder struct {
	gv     schema.GroupVersion
	r      Resource
	custom bool
	gvk    gvkExtension
	prefix string // "/api/v1" or "/apis/<group>/<version>"
	tag    string
	opName string // "CoreV1", "StableExampleComV1"
}

// scoped returns the path of the collection and the operation name infix.
func (b routeBuilder) scoped() (path, infix string) {
	if b.r.Namespaced {
		return b.prefix + "/namespaces/{namespace}/" + b.r.Plural, "Namespaced"
	}
	return b.prefix + "/" + b.r.Plural, ""
}

func (b routeBuilder) base(path, method, verb, suffix, action, desc string) route {
	_, infix := b.scoped()
	gvk := b.gvk
	rt := route{
		path: path, method: method, action: action, gvk: &gvk, tag: b.tag,
		opID: verb + b.opName + infix + b.r.Kind + suffix, desc: desc,
		pathParams: pathParams(path, b.r.Kind),
		consumes:   []string{mtAny}, produces: b.objectTypes(),
	}
	return rt
}

func (b routeBuilder) objectTypes() []string {
	if b.custom {
		return []string{mtJSON, mtYAML}
	}
	return []string{mtJSON, mtYAML, mtProtobuf}
}

func (b routeBuilder) streamTypes() []string {
	if b.custom {
		return []string{mtJSON, mtYAML, mtJSONWatch}
	}
	return []string{mtJSON, mtYAML, mtProtobuf, mtJSONWatch, mtProtobufWatch}
}

func (b routeBuilder) patchTypes() []string {
	if b.custom {
		return []string{mtJSONPatch, mtMergePatch, mtApplyPatch}
	}
	return []string{mtJSONPatch, mtMergePatch, mtStrategicPatch, mtApplyPatch}
}

func (b routeBuilder) collection() []route {
	path, _ := b.scoped()
	kind, def, listDef := b.r.Kind, b.r.Definition, b.r.listDefinition()
	var out []route
	if b.r.serves("list") {
		rt := b.base(path, "get", "list", "", "list", "list or watch objects of kind "+kind)
		rt.params, rt.produces = listParams(), b.streamTypes()
		rt.responses = ok(listDef)
		out = append(out, rt)
		if b.r.Namespaced {
			all := b.base(b.prefix+"/"+b.r.Plural, "get", "list", "ForAllNamespaces", "list", rt.desc)
			all.opID = "list" + b.opName + kind + "ForAllNamespaces"
			all.params, all.produces, all.responses = rt.params, rt.produces, rt.responses
			out = append(out, all)
		}
	}
	if b.r.serves("create") {
		rt := b.base(path, "post", "create", "", "post", "create "+article(kind)+" "+kind)
		rt.params, rt.body = writeParams(defCreateOptions), def
		rt.responses = []response{{codeOK, descOK, def}, {codeCreated, descCreated, def}, {codeAccepted, descAccepted, def}, unauthorized()}
		out = append(out, rt)
	}
	if b.r.serves("deletecollection") {
		rt := b.base(path, "delete", "delete", "", "deletecollection", "delete collection of "+kind)
		_, infix := b.scoped()
		rt.opID = "delete" + b.opName + "Collection" + infix + kind
		rt.params, rt.body = deleteCollectionParams(), defDeleteOptions
		rt.responses = ok(defStatus)
		out = append(out, rt)
	}
	return out
}

func (b routeBuilder) item() []route {
	coll, _ := b.scoped()
	path := coll + "/{name}"
	kind, def := b.r.Kind, b.r.Definition
	var out []route
	if b.r.serves("get") {
		rt := b.base(path, "get", "read", "", "get", "read the specified "+kind)
		rt.responses = ok(def)
		out = append(out, rt)
	}
	if b.r.serves("update") {
		rt := b.base(path, "put", "replace", "", "put", "replace the specified "+kind)
		rt.params, rt.body = writeParams(defCreateOptions), def
		rt.responses = []response{{codeOK, descOK, def}, {codeCreated, descCreated, def}, unauthorized()}
		out = append(out, rt)
	}
	if b.r.serves("patch") {
		rt := b.base(path, "patch", "patch", "", "patch", "partially update the specified "+kind)
		rt.params, rt.body, rt.consumes = writeParams(defPatchOptions), defPatch, b.patchTypes()
		rt.responses = []response{{codeOK, descOK, def}, {codeCreated, descCreated, def}, unauthorized()}
		out = append(out, rt)
	}
	if b.r.serves("delete") {
		rt := b.base(path, "delete", "delete", "", "delete", "delete "+article(kind)+" "+kind)
		rt.params, rt.body = deleteParams(), defDeleteOptions
		rt.responses = []response{{codeOK, descOK, defStatus}, {codeAccepted, descAccepted, defStatus}, unauthorized()}
		out = append(out, rt)
	}
	return out
}

// watches returns the deprecated /watch/ paths kube-apiserver still serves.
func (b routeBuilder) watches() []route {
	if !b.r.serves("watch") {
		return nil
	}
	coll, _ := b.scoped()
	coll = b.prefix + "/watch" + strings.TrimPrefix(coll, b.prefix)
	kind := b.r.Kind
	const deprecated = " deprecated: use the 'watch' parameter with a list operation instead"
	mk := func(path, suffix, action, desc string) route {
		rt := b.base(path, "get", "watch", suffix, action, desc)
		rt.params, rt.produces, rt.responses = listParams(), b.streamTypes(), ok(defWatchEvent)
		return rt
	}
	out := []route{
		mk(coll+"/{name}", "", "watch", "watch changes to an object of kind "+kind+"."+deprecated+", filtered to a single item with the 'fieldSelector' parameter."),
		mk(coll, "List", "watchlist", "watch individual changes to a list of "+kind+"."+deprecated+"."),
	}
	if b.r.Namespaced {
		all := mk(b.prefix+"/watch/"+b.r.Plural, "ListForAllNamespaces", "watchlist", out[1].desc)
		all.opID = "watch" + b.opName + kind + "ListForAllNamespaces"
		out = append(out, all)
	}
	return out
}

func (b routeBuilder) subresource(sub string) []route {
	coll, _ := b.scoped()
	path := coll + "/{name}/" + sub
	def, gvk := b.r.Definition, b.gvk
	switch sub {
	case "scale":
		def, gvk = defScale, gvkScale
	}
	create, isCreate := createSubresources[sub]
	if isCreate {
		def, gvk = create.def, create.gvk
	}
	title := strings.ToUpper(sub[:1]) + sub[1:]
	of := sub + " of the specified " + b.r.Kind
	mk := func(method, verb, action, desc string) route {
		rt := b.base(path, method, verb, title, action, desc)
		rt.gvk = &gvk
		return rt
	}
	if isCreate {
		post := mk("post", "create", "post", "create "+sub+" of "+article(b.r.Kind)+" "+b.r.Kind)
		post.params, post.body = writeParams(defCreateOptions), def
		post.responses = []response{{codeOK, descOK, def}, {codeCreated, descCreated, def}, {codeAccepted, descAccepted, def}, unauthorized()}
		return []route{post}
	}
	get := mk("get", "read", "get", "read "+of)
	get.responses = ok(def)
	put := mk("put", "replace", "put", "replace "+of)
	put.params, put.body = writeParams(defCreateOptions), def
	put.responses = []response{{codeOK, descOK, def}, {codeCreated, descCreated, def}, unauthorized()}
	if sub == "finalize" {
		return []route{put}
	}
	patch := mk("patch", "patch", "patch", "partially update "+of)
	patch.params, patch.body, patch.consumes = writeParams(defPatchOptions), defPatch, b.patchTypes()
	patch.responses = put.responses
	return []route{get, put, patch}
}

// discoveryRoute returns the GET operation of a discovery document.
func discoveryRoute(path, opID, tag, desc, def string) route {
	return route{
		path: path, method: "get", opID: opID, tag: tag, desc: desc,
		consumes: []string{mtJSON, mtYAML, mtProtobuf}, produces: []string{mtJSON, mtYAML, mtProtobuf},
		responses: ok(def),
	}
}

func groupVersionDiscoveryRoute(gv schema.GroupVersion) route {
	return discoveryRoute(gvPrefix(gv)+"/", "get"+gvOperationName(gv)+"APIResources", gvTag(gv), "get available resources", defAPIResourceList)
}

func groupDiscoveryRoute(group string) route {
	return discoveryRoute("/apis/"+group+"/", "get"+groupOperationName(group)+"APIGroup", groupTag(group), "get information of a group", defAPIGroup)
}

func coreDiscoveryRoute() route {
	return discoveryRoute("/api/", "getCoreAPIVersions", "core", "get available API versions", defAPIVersions)
}

func groupsDiscoveryRoute() route {
	return discoveryRoute("/apis/", "getAPIVersions", "apis", "get available API versions", defAPIGroupList)
}

func versionRoute() route {
	rt := discoveryRoute("/version/", "getCodeVersion", "version", "get the version information for this server", defVersionInfo)
	rt.consumes, rt.produces = []string{mtJSON}, []string{mtJSON}
	return rt
}

func ok(def string) []response {
	return []response{{codeOK, descOK, def}, unauthorized()}
}

func unauthorized() response { return response{code: codeUnauthorized, desc: descUnauthorized} }

// pathParams returns the parameters shared by every operation of path.
func pathParams(path, kind string) []param {
	var out []param
	if strings.Contains(path, "{name}") {
		out = append(out, param{name: "name", in: "path", typ: "string", required: true, desc: "name of the " + kind})
	}
	if strings.Contains(path, "{namespace}") {
		out = append(out, param{name: "namespace", in: "path", typ: "string", required: true, desc: namespaceParamDoc})
	}
	return append(out, prettyParam())
}

func prettyParam() param {
	return param{name: "pretty", in: "query", typ: "string", desc: "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."}
}

// gvPrefix returns "/api/v1" for the core group, "/apis/<group>/<version>"
// for the others.
func gvPrefix(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "/api/" + gv.Version
	}
	return "/apis/" + gv.Group + "/" + gv.Version
}

// gvKey returns the key of gv's OpenAPI v3 document: "api/v1" or
// "apis/<group>/<version>".
func gvKey(gv schema.GroupVersion) string { return strings.TrimPrefix(gvPrefix(gv), "/") }

// groupOperationName returns the group part of operation IDs: "Core" for
// the core group, "RbacAuthorization" for rbac.authorization.k8s.io,
// "StableExampleCom" for stable.example.com.
func groupOperationName(group string) string {
	if group == "" {
		return "Core"
	}
	var sb strings.Builder
	for _, part := range strings.Split(strings.TrimSuffix(group, ".k8s.io"), ".") {
		sb.WriteString(title(part))
	}
	return sb.String()
}

func gvOperationName(gv schema.GroupVersion) string {
	return groupOperationName(gv.Group) + title(gv.Version)
}

// groupTag is the tag of a group's operations: "core", "rbacAuthorization".
func groupTag(group string) string {
	n := groupOperationName(group)
	return strings.ToLower(n[:1]) + n[1:]
}

func gvTag(gv schema.GroupVersion) string {
	return fmt.Sprintf("%s_%s", groupTag(gv.Group), gv.Version)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func article(kind string) string {
	if kind != "" && strings.ContainsRune("AEIOU", rune(kind[0])) {
		return "an"
	}
	return "a"
}
