// Package secret is the core/v1 Secret resource (secrets, no short name) as
// kube-apiserver 1.31 serves it.
//
// Where kube folds stringData into data: in its conversion from v1, before
// any strategy or validation runs, so an update through stringData is
// compared and validated as data. Here PrepareForCreate and
// PrepareForUpdate do it (the store calls them first), along with the
// defaulting of type to Opaque; Canonicalize does it again so that no
// stored Secret ever has stringData. The base64 of data is only its JSON
// encoding ([]byte).
//
// Validation: keys are config keys, values total at most 1 MiB, each
// built-in type requires its keys (tls.crt and tls.key for
// kubernetes.io/tls, ...), type never changes, and an immutable Secret
// keeps its data. It prints as NAME, TYPE, DATA, AGE and may be selected by
// the type field.
package secret
