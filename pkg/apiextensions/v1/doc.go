// Package v1 holds the Go types of apiextensions.k8s.io/v1
// CustomResourceDefinition, with the JSON field names, omitempty rules and
// custom marshalling (JSON, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
// JSONSchemaPropsOrStringArray) of kube-apiserver 1.31, so that objects
// round-trip byte-compatible with it.
//
// The package has no dependency on k8s.io/apiextensions-apiserver: it is a
// standalone copy of the wire format. SetDefaults applies the defaults
// kube-apiserver applies on decode (singular, listKind, conversion strategy,
// storedVersions).
//
//	var crd apiextensionsv1.CustomResourceDefinition
//	if err := json.Unmarshal(body, &crd); err != nil { ... }
//	apiextensionsv1.SetDefaults(&crd)
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
package v1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.34.2 --go-header-file /dev/null --output-file zz_generated.deepcopy.go .
