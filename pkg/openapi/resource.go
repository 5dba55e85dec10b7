package openapi

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Resource describes one resource of a group-version: how it is addressed,
// which verbs and subresources it serves, and the schema of its kind.
type Resource struct {
	// Kind is the kind of the objects, e.g. "ConfigMap".
	Kind string
	// ListKind is the kind of lists of them; empty means Kind+"List".
	ListKind string
	// Plural is the resource name in paths, e.g. "configmaps".
	Plural string
	// Namespaced tells whether objects live in a namespace.
	Namespaced bool
	// Verbs are the Kubernetes verbs served: get, list, watch, create,
	// update, patch, delete and deletecollection. Empty means all of them.
	Verbs []string
	// Subresources served: "status", "approval" and "ephemeralcontainers"
	// (get, update and patch of the kind), "scale" (the same for
	// autoscaling/v1 Scale), "finalize" (update), and "token", "binding"
	// and "eviction" (create of an authentication/v1 TokenRequest, a v1
	// Binding, a policy/v1 Eviction).
	Subresources []string
	// Definition names the schema of Kind, e.g. "io.k8s.api.core.v1.ConfigMap".
	// For a built-in type it must name a built-in definition, and its list
	// definition is the same name with ListKind in place of Kind. With
	// Schema set, empty means DefinitionName of the group-version-kind.
	Definition string
	// Schema, when set, is the OpenAPI v3 schema of Kind, e.g. the
	// openAPIV3Schema of a CustomResourceDefinition version. The service
	// completes it as kube-apiserver does for custom resources (apiVersion,
	// kind and metadata properties, a list definition) and derives the
	// Swagger 2.0 form by dropping what OpenAPI v2 cannot express. The
	// service never changes it and keeps it: do not change it afterwards.
	Schema *spec.Schema
}

// The kinds of the subresources whose kind is not the resource's.
var (
	gvkScale        = gvkExtension{Group: "autoscaling", Version: "v1", Kind: "Scale"}
	gvkTokenRequest = gvkExtension{Group: "authentication.k8s.io", Version: "v1", Kind: "TokenRequest"}
)

// createSubresources are the subresources served by create only, of a kind
// of their own: their definitions and kinds.
var createSubresources = map[string]struct {
	def string
	gvk gvkExtension
}{
	"token":    {defTokenRequest, gvkTokenRequest},
	"binding":  {"io.k8s.api.core.v1.Binding", gvkExtension{Version: "v1", Kind: "Binding"}},
	"eviction": {"io.k8s.api.policy.v1.Eviction", gvkExtension{Group: "policy", Version: "v1", Kind: "Eviction"}},
}

// Verbs in the order kube-apiserver lists them.
var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// ErrInvalidResource is wrapped by the errors AddGroupVersion returns for a
// resource that cannot be described.
var ErrInvalidResource = errors.New("invalid resource")

// DefinitionName returns the definition name kube-apiserver gives a custom
// resource kind: the group reversed, then the version and the kind, as in
// "com.example.stable.v1.CronTab" for stable.example.com/v1 CronTab.
func DefinitionName(gvk schema.GroupVersionKind) string {
	parts := strings.Split(gvk.Group, ".")
	slices.Reverse(parts)
	return strings.Join(append(parts, gvk.Version, gvk.Kind), ".")
}

// normalize validates r and fills in its defaults.
func (r Resource) normalize(gv schema.GroupVersion) (Resource, error) {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w %s/%s: %s", ErrInvalidResource, gv.String(), r.Plural, fmt.Sprintf(format, args...))
	}
	if r.Kind == "" || r.Plural == "" {
		return r, invalid("kind and plural are required")
	}
	if strings.Contains(r.Plural, "/") {
		return r, invalid("plural %q has a slash", r.Plural)
	}
	if r.ListKind == "" {
		r.ListKind = r.Kind + "List"
	}
	if len(r.Verbs) == 0 {
		r.Verbs = allVerbs
	}
	for _, v := range r.Verbs {
		if !slices.Contains(allVerbs, v) {
			return r, invalid("unknown verb %q", v)
		}
	}
	for _, sub := range r.Subresources {
		if !describesSubresource(sub) {
			return r, invalid("unsupported subresource %q", sub)
		}
	}
	if r.Definition == "" {
		if r.Schema == nil {
			return r, invalid("a built-in resource needs a definition name")
		}
		r.Definition = DefinitionName(gv.WithKind(r.Kind))
	}
	if !strings.HasSuffix(r.Definition, "."+r.Kind) {
		return r, invalid("definition %q does not end in the kind", r.Definition)
	}
	r.Verbs = slices.Clone(r.Verbs)
	r.Subresources = slices.Clone(r.Subresources)
	return r, nil
}

// describedSubresources are the subresources the documents describe.
var describedSubresources = []string{"status", "approval", "ephemeralcontainers", "scale", "finalize"}

// describesSubresource reports whether the documents can describe a
// subresource of this name.
func describesSubresource(name string) bool {
	_, create := createSubresources[name]
	return create || slices.Contains(describedSubresources, name)
}

// listDefinition is the name of the definition of ListKind.
func (r Resource) listDefinition() string {
	return strings.TrimSuffix(r.Definition, r.Kind) + r.ListKind
}

func (r Resource) serves(verb string) bool { return slices.Contains(r.Verbs, verb) }

// BuiltinDefinition returns the name of the generated definition of obj's
// Go type ("io.k8s.api.core.v1.ConfigMap" for a *corev1.ConfigMap), and
// whether this server has that definition.
func BuiltinDefinition(obj any) (string, bool) {
	name, ok := GoDefinitionName(obj)
	if !ok {
		return "", false
	}
	_, ok = builtinNames()[name]
	return name, ok
}

// GoDefinitionName returns the name a generated definition of obj's Go type
// has, without loading the definitions; false for an unnamed type.
func GoDefinitionName(obj any) (string, bool) {
	t := reflect.TypeOf(obj)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return "", false
	}
	return friendlyName(t.PkgPath() + "." + t.Name()), true
}
