// Package rbac authorizes requests from the cluster's RBAC objects (Roles,
// ClusterRoles and their bindings), as kube-apiserver's RBAC authorizer
// does. It decides from an in-memory copy of those objects that watches
// keep current, so that a decision costs no etcd read.
package rbac

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/auth/authz"
	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/controller"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Authorizer allows what a role bound to the user allows; it has no
// opinion otherwise, so that a later authorizer, or the denial, decides.
type Authorizer struct {
	roles, clusterRoles, bindings, clusterBindings cache.Indexer
	synced                                         atomic.Bool
	// syncedCh is closed with synced set.
	syncedCh chan struct{}
}

var _ authz.Authorizer = (*Authorizer)(nil)

// New returns an authorizer that allows nothing until Run has read the
// RBAC objects.
func New() *Authorizer {
	newIndexer := func(extra cache.Indexers) cache.Indexer {
		indexers := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
		for k, v := range extra {
			indexers[k] = v
		}
		return cache.NewIndexer(cache.MetaNamespaceKeyFunc, indexers)
	}
	bySubject := cache.Indexers{subjectIndex: subjectKeys}
	return &Authorizer{roles: newIndexer(nil), clusterRoles: newIndexer(nil), bindings: newIndexer(bySubject), clusterBindings: newIndexer(bySubject), syncedCh: make(chan struct{})}
}

// subjectIndex finds the bindings of a user or group without reading the
// others: a decision costs the same with 10 or 10,000 bindings.
const subjectIndex = "subject"

// subjectKeys indexes a binding under each of its subjects, "User:<name>"
// or "Group:<name>" (a service account is its user), prefixed by the
// binding's namespace for a RoleBinding.
func subjectKeys(obj any) ([]string, error) {
	var ns string
	var subjects []rbacv1.Subject
	switch b := obj.(type) {
	case *rbacv1.RoleBinding:
		ns, subjects = b.Namespace, b.Subjects
	case *rbacv1.ClusterRoleBinding:
		subjects = b.Subjects
	default:
		return nil, nil
	}
	keys := make([]string, 0, len(subjects))
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.UserKind:
			keys = append(keys, subjectKey(ns, rbacv1.UserKind, s.Name))
		case rbacv1.GroupKind:
			keys = append(keys, subjectKey(ns, rbacv1.GroupKind, s.Name))
		case rbacv1.ServiceAccountKind:
			saNS := s.Namespace
			if saNS == "" {
				saNS = ns
			}
			if saNS != "" {
				keys = append(keys, subjectKey(ns, rbacv1.UserKind, serviceaccount.UserName(saNS, s.Name)))
			}
		}
	}
	return keys, nil
}

func subjectKey(ns, kind, name string) string { return ns + "/" + kind + ":" + name }

// boundTo returns the bindings of indexer (in namespace ns, "" for
// ClusterRoleBindings) whose subjects include u, its groups or its
// service account.
func boundTo(indexer cache.Indexer, u *user.Info, ns string) []any {
	out, _ := indexer.ByIndex(subjectIndex, subjectKey(ns, rbacv1.UserKind, u.Name))
	for _, g := range u.Groups {
		objs, _ := indexer.ByIndex(subjectIndex, subjectKey(ns, rbacv1.GroupKind, g))
		out = append(out, objs...)
	}
	return out
}

// Run follows the RBAC resources of catalog until ctx ends.
func (a *Authorizer) Run(ctx context.Context, catalog *rest.Catalog) {
	var synced []cache.InformerSynced
	for resource, into := range map[string]cache.Indexer{
		"roles": a.roles, "clusterroles": a.clusterRoles, "rolebindings": a.bindings, "clusterrolebindings": a.clusterBindings,
	} {
		r, ok := catalog.Resource(schema.GroupResource{Group: rbacv1.GroupName, Resource: resource})
		if !ok {
			klog.FromContext(ctx).Error(nil, "RBAC resource not served; RBAC allows nothing", "resource", resource)
			return
		}
		lw, ok := rest.ListWatch(r.Storage)
		if !ok {
			klog.FromContext(ctx).Error(nil, "RBAC resource cannot be followed; RBAC allows nothing", "resource", resource)
			return
		}
		inf := cache.NewSharedIndexInformer(lw, r.Storage.New(), 0, cache.Indexers{})
		if _, err := inf.AddEventHandler(copyTo(into)); err != nil {
			klog.FromContext(ctx).Error(err, "Following an RBAC resource failed", "resource", resource)
			return
		}
		go inf.RunWithContext(ctx)
		synced = append(synced, inf.HasSynced)
	}
	if controller.WaitForSync(ctx, synced...) {
		a.synced.Store(true)
		close(a.syncedCh)
		klog.FromContext(ctx).V(1).Info("RBAC objects read; authorizing from them")
	}
	<-ctx.Done()
}

// HasSynced reports whether the RBAC objects have been read.
func (a *Authorizer) HasSynced() bool { return a.synced.Load() }

// WaitForSync returns once the RBAC objects have been read, or ctx ended.
func (a *Authorizer) WaitForSync(ctx context.Context) error {
	select {
	case <-a.syncedCh:
	case <-ctx.Done():
	}
	return nil
}

// copyTo keeps into equal to what an informer sees.
func copyTo(into cache.Indexer) cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { _ = into.Add(obj) },
		UpdateFunc: func(_, obj any) { _ = into.Update(obj) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			_ = into.Delete(obj)
		},
	}
}

// Authorize implements authz.Authorizer: cluster role bindings first, then
// the role bindings of the request's namespace.
func (a *Authorizer) Authorize(_ context.Context, attrs authz.Attributes) (authz.Decision, string, error) {
	if attrs.User == nil {
		return authz.DecisionNoOpinion, "", nil
	}
	if !a.HasSynced() {
		return authz.DecisionNoOpinion, "the RBAC objects are not read yet", nil
	}
	for _, obj := range boundTo(a.clusterBindings, attrs.User, "") {
		b := obj.(*rbacv1.ClusterRoleBinding)
		if b.RoleRef.Kind == "ClusterRole" && a.allows(a.clusterRoles, b.RoleRef.Name, attrs) {
			return authz.DecisionAllow, "", nil
		}
	}
	if attrs.Namespace != "" {
		for _, obj := range boundTo(a.bindings, attrs.User, attrs.Namespace) {
			b := obj.(*rbacv1.RoleBinding)
			roles, key := a.clusterRoles, b.RoleRef.Name
			if b.RoleRef.Kind == "Role" {
				roles, key = a.roles, b.Namespace+"/"+b.RoleRef.Name
			}
			if a.allows(roles, key, attrs) {
				return authz.DecisionAllow, "", nil
			}
		}
	}
	return authz.DecisionNoOpinion, "", nil
}

// RulesFor implements authz.RuleResolver: the rules of the roles bound to
// u cluster-wide and in namespace.
func (a *Authorizer) RulesFor(_ context.Context, u *user.Info, namespace string) ([]rbacv1.PolicyRule, bool) {
	if !a.HasSynced() {
		return nil, true
	}
	var rules []rbacv1.PolicyRule
	add := func(roles cache.Indexer, key string) {
		obj, ok, _ := roles.GetByKey(key)
		if !ok {
			return
		}
		switch r := obj.(type) {
		case *rbacv1.Role:
			rules = append(rules, r.Rules...)
		case *rbacv1.ClusterRole:
			rules = append(rules, r.Rules...)
		}
	}
	// A binding that names the user twice (as itself and a group) counts
	// once.
	seen := map[any]bool{}
	for _, obj := range boundTo(a.clusterBindings, u, "") {
		if b := obj.(*rbacv1.ClusterRoleBinding); b.RoleRef.Kind == "ClusterRole" && !seen[obj] {
			seen[obj] = true
			add(a.clusterRoles, b.RoleRef.Name)
		}
	}
	if namespace != "" {
		for _, obj := range boundTo(a.bindings, u, namespace) {
			b := obj.(*rbacv1.RoleBinding)
			if seen[obj] {
				continue
			}
			seen[obj] = true
			if b.RoleRef.Kind == "Role" {
				add(a.roles, b.Namespace+"/"+b.RoleRef.Name)
			} else {
				add(a.clusterRoles, b.RoleRef.Name)
			}
		}
	}
	return rules, false
}

// allows reports whether the role stored under key in roles has a rule
// that allows attrs.
func (a *Authorizer) allows(roles cache.Indexer, key string, attrs authz.Attributes) bool {
	obj, ok, _ := roles.GetByKey(key)
	if !ok {
		return false
	}
	var rules []rbacv1.PolicyRule
	switch r := obj.(type) {
	case *rbacv1.Role:
		rules = r.Rules
	case *rbacv1.ClusterRole:
		rules = r.Rules
	}
	for i := range rules {
		if RuleAllows(attrs, &rules[i]) {
			return true
		}
	}
	return false
}

// RuleAllows reports whether rule allows the request, as kube matches RBAC
// rules: "*" matches any verb, group, resource or URL; a resource may name
// a subresource ("pods/log", or "*/scale" for any resource's); resource
// names limit a rule to those objects (never to a list or create, which
// name none); a URL ending in "*" is a prefix.
func RuleAllows(attrs authz.Attributes, rule *rbacv1.PolicyRule) bool {
	if !matches(rule.Verbs, attrs.Verb) {
		return false
	}
	if !attrs.IsResourceRequest {
		for _, u := range rule.NonResourceURLs {
			if u == "*" || u == attrs.Path || (strings.HasSuffix(u, "*") && strings.HasPrefix(attrs.Path, strings.TrimSuffix(u, "*"))) {
				return true
			}
		}
		return false
	}
	if !matches(rule.APIGroups, attrs.APIGroup) {
		return false
	}
	resource := attrs.Resource
	if attrs.Subresource != "" {
		resource += "/" + attrs.Subresource
	}
	found := false
	for _, r := range rule.Resources {
		if r == "*" || r == resource || (attrs.Subresource != "" && r == "*/"+attrs.Subresource) {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	return len(rule.ResourceNames) == 0 || (attrs.Name != "" && slices.Contains(rule.ResourceNames, attrs.Name))
}

func matches(values []string, v string) bool {
	return slices.Contains(values, "*") || slices.Contains(values, v)
}
