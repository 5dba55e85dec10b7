// Package celenv declares the CEL environment of a ValidatingAdmissionPolicy's
// expressions as kube-apiserver declares it: object and oldObject, params
// (only when the policy has a paramKind), request and namespaceObject
// typed as kube types them, authorizer and authorizer.requestResource,
// and variables, an object whose fields have the types of the policy's
// variables, each seeing those declared before it. The policy plugin
// compiles with it, the registry validates with it, and the status
// controller type-checks with object and params typed by their schemas.
package celenv

import (
	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/apiserver/apiserver/pkg/apiextensions/celrules"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	kubecel "github.com/apiserver/apiserver/pkg/cel"
)

// Types types the objects of an environment; a nil schema leaves its
// variable dynamic.
type Types struct {
	Object, Params *apiextensionsv1.JSONSchemaProps
	// HasParams declares params: the policy has a paramKind.
	HasParams bool
}

// Env is a policy's environment.
type Env struct {
	*kubecel.Env
	types    *celrules.Types
	declared map[string]*cel.Type
}

// New returns the environment of a policy's expressions before any of
// its variables is declared.
func New(t Types) (*Env, error) {
	ct, err := celrules.NewTypes()
	if err != nil {
		return nil, err
	}
	object := cel.DynType
	if t.Object != nil {
		object = ct.Resource("object", t.Object)
	}
	vars := map[string]*cel.Type{
		"object": object, "oldObject": object,
		"request": requestType(ct), "namespaceObject": namespaceType(ct),
		"authorizer": nil, "authorizer.requestResource": nil,
	}
	if t.HasParams {
		vars["params"] = cel.DynType
		if t.Params != nil {
			vars["params"] = ct.Resource("params", t.Params)
		}
	}
	e := &Env{types: ct, declared: map[string]*cel.Type{}}
	vars["variables"] = ct.Object("variables", e.declared)
	if e.Env, err = kubecel.NewTypedEnv(vars, ct.Provider()); err != nil {
		return nil, err
	}
	return e, nil
}

// Declare adds variable name, of type t (nil: dynamic), for the
// expressions compiled after it: the types are looked up when an
// expression is checked, so the environment needs no rebuilding.
func (e *Env) Declare(name string, t *cel.Type) {
	if t == nil {
		t = cel.DynType
	}
	e.declared[name] = t
	e.types.Object("variables", e.declared)
}

// DeclareAll compiles a policy's variables in order, declaring each with
// the type of its expression (dynamic when it does not compile), and
// returns each one's compile error.
func (e *Env) DeclareAll(variables []admissionregistrationv1.Variable) []error {
	errs := make([]error, len(variables))
	for i, v := range variables {
		t, err := e.Check(v.Expression)
		errs[i] = err
		e.Declare(v.Name, t)
	}
	return errs
}

// requestType is the type of the request variable, kube's
// AdmissionRequest.
func requestType(t *celrules.Types) *cel.Type {
	gvk := t.Object("GroupVersionKind", map[string]*cel.Type{"group": cel.StringType, "version": cel.StringType, "kind": cel.StringType})
	gvr := t.Object("GroupVersionResource", map[string]*cel.Type{"group": cel.StringType, "version": cel.StringType, "resource": cel.StringType})
	strs := cel.ListType(cel.StringType)
	user := t.Object("UserInfo", map[string]*cel.Type{
		"username": cel.StringType, "uid": cel.StringType, "groups": strs, "extra": cel.MapType(cel.StringType, strs),
	})
	return t.Object("AdmissionRequest", map[string]*cel.Type{
		"kind": gvk, "resource": gvr, "subResource": cel.StringType, "requestKind": gvk, "requestResource": gvr,
		"requestSubResource": cel.StringType, "name": cel.StringType, "namespace": cel.StringType,
		"operation": cel.StringType, "userInfo": user, "dryRun": cel.BoolType, "options": cel.DynType,
	})
}

// namespaceType is the type of namespaceObject, the fields kube declares
// of a Namespace. Times are left dynamic: they are strings here.
func namespaceType(t *celrules.Types) *cel.Type {
	strs := cel.ListType(cel.StringType)
	labels := cel.MapType(cel.StringType, cel.StringType)
	condition := t.Object("NamespaceCondition", map[string]*cel.Type{
		"status": cel.StringType, "type": cel.StringType, "lastTransitionTime": cel.DynType,
		"message": cel.StringType, "reason": cel.StringType,
	})
	return t.Object("Namespace", map[string]*cel.Type{
		"metadata": t.Object("NamespaceMetadata", map[string]*cel.Type{
			"name": cel.StringType, "generateName": cel.StringType, "namespace": cel.StringType,
			"labels": labels, "annotations": labels, "UID": cel.StringType, "creationTimestamp": cel.DynType,
			"deletionGracePeriodSeconds": cel.IntType, "deletionTimestamp": cel.DynType, "generation": cel.IntType,
			"resourceVersion": cel.StringType, "finalizers": strs,
		}),
		"spec":   t.Object("NamespaceSpec", map[string]*cel.Type{"finalizers": strs}),
		"status": t.Object("NamespaceStatus", map[string]*cel.Type{"conditions": cel.ListType(condition), "phase": cel.StringType}),
	})
}
