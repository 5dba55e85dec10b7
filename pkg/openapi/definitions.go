package openapi

import (
	"cmp"
	"fmt"
	"maps"
	"strings"
	"sync"

	"k8s.io/kube-openapi/pkg/builder3/util"
	"k8s.io/kube-openapi/pkg/common"
	kutil "k8s.io/kube-openapi/pkg/util"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/apiserver/apiserver/pkg/openapi/generated"
)

// Prefixes of references in the two document formats.
const (
	v2RefPrefix = "#/definitions/"
	v3RefPrefix = "#/components/schemas/"
)

// definition is one schema in both formats, with the names of the
// definitions it references. Its schemas are never changed once built:
// documents copy a schema before adding extensions.
type definition struct {
	v2   spec.Schema
	v3   spec.Schema
	deps []string
}

// builtin returns the generated definition of a REST-friendly name
// ("io.k8s.api.core.v1.ConfigMap"), built on first use and kept. Each is
// built alone: a server describes and types only the groups its clients
// use, and all of them together hold several MB (docs/benchmarks.md).
func builtin(name string) (*definition, bool) {
	builtinDefs.Lock()
	defer builtinDefs.Unlock()
	if d, ok := builtinDefs.built[name]; ok {
		return d, true
	}
	goName, ok := builtinNames()[name]
	if !ok {
		return nil, false
	}
	d := buildDefinition(goName)
	builtinDefs.built[name] = d
	return d, true
}

// builtinDefs are the definitions built so far, by REST-friendly name.
var builtinDefs = struct {
	sync.Mutex
	built map[string]*definition
}{built: map[string]*definition{}}

// builtinNames maps the REST-friendly names of the generated definitions
// to their Go names.
var builtinNames = sync.OnceValue(func() map[string]string {
	out := make(map[string]string, len(generated.DefinitionFuncs))
	for goName := range generated.DefinitionFuncs {
		out[friendlyName(goName)] = goName
	}
	return out
})

// buildDefinition builds the generated definition of a Go type name in
// both formats.
func buildDefinition(goName string) *definition {
	build := generated.DefinitionFuncs[goName]
	d2, d3 := build(refCallback(v2RefPrefix)), build(refCallback(v3RefPrefix))
	def := &definition{v2: d2.Schema, v3: d3.Schema}
	// openapi-gen embeds a separate v2 form for types whose v3 form
	// uses constructs v2 lacks (IntOrString's anyOf, for one).
	if s, ok := d2.Schema.Extensions[common.ExtensionV2Schema].(spec.Schema); ok {
		def.v2 = s
	}
	if _, ok := def.v3.Extensions[common.ExtensionV2Schema]; ok {
		def.v3.Extensions = maps.Clone(def.v3.Extensions)
		delete(def.v3.Extensions, common.ExtensionV2Schema)
	}
	// OpenAPI v3 ignores siblings of $ref: wrap such refs in allOf,
	// as kube-apiserver does.
	def.v3 = *util.WrapRefs(&def.v3)
	for _, dep := range d2.Dependencies {
		def.deps = append(def.deps, friendlyName(dep))
	}
	return def
}

// Go packages whose definitions carry the name of the package kube-apiserver
// serves the same wire format from: the CustomResourceDefinition and
// APIService types are this server's own copies of apiextensions-apiserver's
// and kube-aggregator's.
var packageAliases = map[string]string{
	"github.com/apiserver/apiserver/pkg/apiextensions/v1":   "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1",
	"github.com/apiserver/apiserver/pkg/apiregistration/v1": "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1",
}

// friendlyName is the REST-friendly definition name of a Go type name
// ("k8s.io/api/core/v1.ConfigMap" is "io.k8s.api.core.v1.ConfigMap").
func friendlyName(goName string) string {
	if i := strings.LastIndex(goName, "."); i > 0 {
		if alias, ok := packageAliases[goName[:i]]; ok {
			goName = alias + goName[i:]
		}
	}
	return kutil.ToRESTFriendlyName(goName)
}

func refCallback(prefix string) common.ReferenceCallback {
	return func(name string) spec.Ref {
		return spec.MustCreateRef(prefix + friendlyName(name))
	}
}

// Names of the meta/v1 definitions the paths reference.
const (
	defObjectMeta      = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
	defListMeta        = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
	defStatus          = "io.k8s.apimachinery.pkg.apis.meta.v1.Status"
	defDeleteOptions   = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"
	defWatchEvent      = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"
	defPatch           = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
	defAPIResourceList = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList"
	defAPIVersions     = "io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions"
	defAPIGroupList    = "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList"
	defAPIGroup        = "io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup"
	defVersionInfo     = "io.k8s.apimachinery.pkg.version.Info"
	defScale           = "io.k8s.api.autoscaling.v1.Scale"
	defTokenRequest    = "io.k8s.api.authentication.v1.TokenRequest"
	defListOptions     = "io.k8s.apimachinery.pkg.apis.meta.v1.ListOptions"
	defCreateOptions   = "io.k8s.apimachinery.pkg.apis.meta.v1.CreateOptions"
	defPatchOptions    = "io.k8s.apimachinery.pkg.apis.meta.v1.PatchOptions"
)

// gvkExtension is the value of x-kubernetes-group-version-kind on an
// operation (one) or a definition (a list of them).
type gvkExtension struct {
	Group   string `json:"group"`
	Kind    string `json:"kind"`
	Version string `json:"version"`
}

func (g gvkExtension) value() map[string]any {
	return map[string]any{"group": g.Group, "kind": g.Kind, "version": g.Version}
}

func compareGVK(a, b gvkExtension) int {
	return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Version, b.Version), cmp.Compare(a.Kind, b.Kind))
}

// mustBuiltin returns a definition this package names itself, which the
// generated definitions always hold (TestBuiltinNamesResolve).
func mustBuiltin(name string) *definition {
	d, ok := builtin(name)
	if !ok {
		panic(fmt.Sprintf("openapi: no generated definition %q", name))
	}
	return d
}
