// Package serviceaccount is the core/v1 ServiceAccount resource
// (serviceaccounts, short name sa) and its token subresource, which issues
// bound tokens (authentication.k8s.io/v1 TokenRequest), as kube-apiserver
// 1.31 serves them.
//
// A ServiceAccount's name is a DNS subdomain; it prints as NAME, SECRETS
// (the number of secrets it lists) and AGE. A TokenRequest may ask for
// audiences (default: the server's API audiences), a lifetime of at least
// ten minutes (default one hour) and a Secret to bind the token to; the
// token stops authenticating when its account or that Secret is deleted.
// Pods and Nodes, to which kube also binds tokens, are not served here.
package serviceaccount
