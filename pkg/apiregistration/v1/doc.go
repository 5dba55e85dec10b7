// Package v1 holds the Go types of apiregistration.k8s.io/v1 APIService,
// with the JSON field names and omitempty rules of kube-apiserver 1.31's,
// so that objects round-trip with it and its clients. It is this server's
// own copy of the wire format, with no dependency on k8s.io/kube-aggregator.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
package v1

//go:generate go run k8s.io/code-generator/cmd/deepcopy-gen@v0.34.2 --go-header-file /dev/null --output-file zz_generated.deepcopy.go .
