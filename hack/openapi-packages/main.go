// Command openapi-packages prints the Go packages of the built-in types the
// server declares, one per line, for hack/update-openapi.sh: the OpenAPI
// definitions are generated for exactly what is served, with no second
// list to keep.
package main

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/apiserver/apiserver/pkg/controlplane"
	"github.com/apiserver/apiserver/pkg/crd"
	"github.com/apiserver/apiserver/pkg/registry/review"
)

func main() {
	var pkgs []string
	var objs []any
	for _, t := range append(controlplane.BuiltinTypes(), crd.BuiltinTypes()...) {
		objs = append(objs, t.New())
	}
	for _, r := range review.Resources(nil, nil, nil) {
		objs = append(objs, r.Storage.New())
	}
	for _, obj := range objs {
		pkg := reflect.TypeOf(obj).Elem().PkgPath()
		if !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
	}
	slices.Sort(pkgs)
	for _, p := range pkgs {
		fmt.Println(p)
	}
}
