// Package openapi serves the OpenAPI documents of the API: the Swagger 2.0
// document of everything at /openapi/v2 (JSON, or gnostic protobuf as
// client-go's OpenAPISchema asks for it), and at /openapi/v3 the index of
// the OpenAPI 3.0 documents, one per group-version ("api/v1",
// "apis/<group>/<version>") plus the discovery endpoints ("api", "apis",
// "apis/<group>", "version"). kubectl uses them for explain, for the patch
// strategy of client-side apply and to learn whether the server validates
// fields.
//
// A Service holds the resources of each group-version. Definitions of
// built-in kinds come from pkg/openapi/generated (openapi-gen output for
// k8s.io/api and k8s.io/apimachinery types); a resource may instead carry
// its own OpenAPI v3 schema, as a CustomResourceDefinition version does.
// Documents are rendered when the API changes, not per request: a
// group-version's v3 document and the v3 index when it is added or
// removed, the all-in-one v2 document on the first request after a change,
// and the protobuf and gzip forms on their first request. Requests read an
// immutable snapshot without locking; changes may come from any goroutine.
//
// The documents follow kube-apiserver's: definition names such as
// "io.k8s.api.core.v1.ConfigMap", x-kubernetes-group-version-kind on kinds
// (a list) and on operations (one), x-kubernetes-action on operations, the
// patch and list extensions of the Go types, ETags that are the upper-case
// hex SHA-512 of the JSON, and v3 URLs whose ?hash= makes the response
// immutable for caches.
//
// Usage:
//
//	svc := openapi.NewService(openapi.WithInfo(openapi.Info{Title: "Kubernetes", Version: "v1.34.2"}))
//	if err := svc.AddGroupVersion(gv, resources); err != nil { // every resource of gv
//		return err
//	}
//	svc.InstallHandlers(mux)
//	svc.RemoveGroupVersion(gv) // gv is no longer served
//
// The server's router calls these from the declaration of each group
// version (pkg/endpoints/installer), custom resources' included; a
// resource described with Schema (a CustomResourceDefinition version's
// openAPIV3Schema) is completed as kube-apiserver completes it. Each call
// re-renders the group-version's v3 document (a few milliseconds) and invalidates the
// v2 document.
package openapi
