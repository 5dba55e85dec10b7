// Package serviceaccount issues and verifies the tokens of service
// accounts: bound JWTs in kube-apiserver's format (issuer, audiences,
// expiry, the "kubernetes.io" claim naming the account and the object the
// token is bound to), the keys that sign and verify them, the identity a
// verified token stands for, and the OIDC discovery documents with which
// others verify them.
package serviceaccount
