// Package namespace is the core/v1 Namespace resource (namespaces, short
// name ns, cluster-scoped, no deletecollection) as kube-apiserver 1.31
// serves it.
//
// A new namespace is Active and carries the "kubernetes" finalizer in
// spec.finalizers, which the namespace lifecycle removes once the namespace
// is empty. Through the main resource neither spec.finalizers nor status
// change: StatusStrategy is the /status subresource (status only) and
// FinalizeStrategy the /finalize one (spec.finalizers only). Every
// namespace is labelled kubernetes.io/metadata.name with its name.
//
// Names are DNS labels (ValidateName), which the generic store checks; the
// store must be given that rule, as its default is a DNS subdomain.
package namespace
