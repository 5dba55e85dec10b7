// Package schema compiles the openAPIV3Schema of a CustomResourceDefinition
// version into a Schema that validates, prunes and defaults custom
// resources as kube-apiserver 1.31 does.
//
// Validation of values (types, formats, enum, bounds, lengths, patterns,
// items, required, allOf/anyOf/oneOf/not, ...) runs on the JSON-schema
// engine kube-apiserver itself uses, k8s.io/kube-openapi's
// pkg/validation/validate, so the messages are word for word those of
// kube-apiserver; this package converts the schema for it and turns its
// results into field errors the way kube-apiserver does. Embedded resources
// (x-kubernetes-embedded-resource) and x-kubernetes-list-type set and map
// are checked here.
//
// A registry uses a Schema in the order of kube-apiserver's decoding and
// strategy:
//
//	s, err := schema.New(version.Schema.OpenAPIV3Schema)
//	// on decode of a request body (and of each object read from storage):
//	unknown := s.Prune(obj)    // for fieldValidation=Strict: unknown field "spec.foo"
//	s.Default(obj)
//	// on create:
//	errs := s.Validate(obj)    // 422 with one cause per error
//	// on update:
//	errs = s.ValidateUpdate(obj, old)
//
// x-kubernetes-validations (CEL) rules are package celrules' job.
package schema
