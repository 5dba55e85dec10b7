// Package crd is the API extensions server: it serves
// apiextensions.k8s.io/v1 CustomResourceDefinitions and, for each
// established one, its custom resources, live, with no restart. A
// controller watches the definitions, accepts their names, establishes
// them, starts and stops serving their versions (REST, discovery, OpenAPI),
// and deletes a definition's objects before the definition itself.
// Objects are validated by the version's schema and its CEL rules
// (package celrules). With the Webhook conversion strategy they are
// stored in the storage version and converted by the definition's
// conversion webhook (ConversionReview v1 or v1beta1) on every read,
// write and watch event in another version; with None only their
// apiVersion changes.
package crd
