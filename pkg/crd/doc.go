// Package crd is the API extensions server: it serves
// apiextensions.k8s.io/v1 CustomResourceDefinitions and, for each
// established one, its custom resources, live, with no restart. A
// controller watches the definitions, accepts their names, establishes
// them, starts and stops serving their versions (REST, discovery, OpenAPI),
// and deletes a definition's objects before the definition itself.
package crd
