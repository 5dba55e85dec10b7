package rbac

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// bootstrapLabel marks the objects of the bootstrap policy, as kube labels
// its own.
var bootstrapLabel = map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}

func clusterRole(name string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	return &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: bootstrapLabel}, Rules: rules}
}

func clusterRoleBinding(name string, groups ...string) *rbacv1.ClusterRoleBinding {
	b := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: bootstrapLabel},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
	}
	for _, g := range groups {
		b.Subjects = append(b.Subjects, rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: g})
	}
	return b
}

func urls(verbs []string, paths ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, NonResourceURLs: paths}
}

func resources(verbs []string, group string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: names}
}

// BootstrapRoles are the cluster roles of kube-apiserver's bootstrap
// policy that this server's API needs: the superuser's, discovery, the
// public health and version paths, and the self reviews.
func BootstrapRoles() []*rbacv1.ClusterRole {
	get := []string{"get"}
	return []*rbacv1.ClusterRole{
		clusterRole("cluster-admin",
			rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
			urls([]string{"*"}, "*")),
		clusterRole("system:discovery",
			urls(get, "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")),
		clusterRole("system:public-info-viewer",
			urls(get, "/healthz", "/livez", "/readyz", "/version", "/version/")),
		clusterRole("system:service-account-issuer-discovery",
			urls(get, "/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/")),
		clusterRole("system:auth-delegator",
			resources([]string{"create"}, "authentication.k8s.io", "tokenreviews"),
			resources([]string{"create"}, "authorization.k8s.io", "subjectaccessreviews")),
		clusterRole("system:basic-user",
			resources([]string{"create"}, "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
			resources([]string{"create"}, "authentication.k8s.io", "selfsubjectreviews")),
		// The user-facing roles gather what the roles labelled for them
		// hold (the aggregation controller fills their rules): a view of
		// namespaced objects but Secrets, their edit, and their admin
		// with the namespace's RBAC. Each level's label also feeds the
		// levels above it.
		aggregated("view", "edit"), aggregated("edit", "admin"), aggregated("admin", ""),
		aggregateTo("system:aggregate-to-view", []string{"view", "edit", "admin"},
			resources(read, "", "configmaps", "endpoints", "events", "limitranges", "namespaces", "namespaces/status",
				"persistentvolumeclaims", "pods", "pods/log", "pods/status", "replicationcontrollers", "resourcequotas", "serviceaccounts", "services"),
			resources(read, "coordination.k8s.io", "leases")),
		aggregateTo("system:aggregate-to-edit", []string{"edit", "admin"},
			resources(write, "", "configmaps", "endpoints", "events", "persistentvolumeclaims", "pods", "replicationcontrollers", "secrets", "serviceaccounts", "services"),
			resources(read, "", "secrets"),
			resources([]string{"impersonate"}, "", "serviceaccounts"),
			resources([]string{"create"}, "", "serviceaccounts/token"),
			resources(write, "coordination.k8s.io", "leases")),
		aggregateTo("system:aggregate-to-admin", []string{"admin"},
			resources(append(read, write...), rbacv1.GroupName, "roles", "rolebindings"),
			resources([]string{"create"}, "authorization.k8s.io", "localsubjectaccessreviews")),
	}
}

var (
	read  = []string{"get", "list", "watch"}
	write = []string{"create", "delete", "deletecollection", "patch", "update"}
)

// aggregated is a user-facing role whose rules are those of the roles
// labelled rbac.authorization.k8s.io/aggregate-to-NAME; its own go to the
// role named into, as view's go to edit and edit's to admin.
func aggregated(name, into string) *rbacv1.ClusterRole {
	r := clusterRole(name)
	if into != "" {
		r.Labels = map[string]string{"rbac.authorization.k8s.io/aggregate-to-" + into: "true"}
		for k, v := range bootstrapLabel {
			r.Labels[k] = v
		}
	}
	r.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: []metav1.LabelSelector{
		{MatchLabels: map[string]string{"rbac.authorization.k8s.io/aggregate-to-" + name: "true"}},
	}}
	return r
}

// aggregateTo is a role whose rules go to the aggregated roles named.
func aggregateTo(name string, to []string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
	r := clusterRole(name, rules...)
	r.Labels = map[string]string{}
	for k, v := range bootstrapLabel {
		r.Labels[k] = v
	}
	for _, t := range to {
		r.Labels["rbac.authorization.k8s.io/aggregate-to-"+t] = "true"
	}
	return r
}

// BootstrapBindings bind them as kube-apiserver does.
func BootstrapBindings() []*rbacv1.ClusterRoleBinding {
	return []*rbacv1.ClusterRoleBinding{
		clusterRoleBinding("cluster-admin", user.SystemPrivilegedGroup),
		clusterRoleBinding("system:discovery", user.AllAuthenticated),
		clusterRoleBinding("system:public-info-viewer", user.AllAuthenticated, user.AllUnauthenticated),
		clusterRoleBinding("system:basic-user", user.AllAuthenticated),
		clusterRoleBinding("system:service-account-issuer-discovery", serviceaccount.AllGroup),
	}
}

// Bootstrap creates the bootstrap policy objects that are missing. One an
// administrator changed is left as it is; several replicas may run it at
// once.
func Bootstrap(ctx context.Context, catalog *rest.Catalog) error {
	create := func(resource string, obj runtime.Object) error {
		r, ok := catalog.Resource(schema.GroupResource{Group: rbacv1.GroupName, Resource: resource})
		if !ok {
			return fmt.Errorf("%s are not served", resource)
		}
		creater, ok := r.Storage.(rest.Creater)
		if !ok {
			return fmt.Errorf("%s cannot be created", resource)
		}
		if _, err := creater.Create(ctx, "", obj, false); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating the bootstrap %s: %w", resource, err)
		}
		return nil
	}
	// All at once: the objects are independent, and a server is not ready
	// before they exist.
	var g errgroup.Group
	for _, role := range BootstrapRoles() {
		g.Go(func() error { return create("clusterroles", role) })
	}
	for _, b := range BootstrapBindings() {
		g.Go(func() error { return create("clusterrolebindings", b) })
	}
	return g.Wait()
}
