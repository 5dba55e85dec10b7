// Package generated holds the OpenAPI definitions of the Go API types the
// server serves (k8s.io/api core/v1 and autoscaling/v1, and the
// k8s.io/apimachinery types they reference), produced by kube-openapi's
// openapi-gen. Do not edit zz_generated.openapi.go: run
// hack/update-openapi.sh, which also lists the input packages.
//
// Package openapi turns these definitions into the documents served at
// /openapi/v2 and /openapi/v3.
package generated
