package openapi

import (
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Models returns the OpenAPI v3 schemas of gv's resources and of all they
// reference, each kind marked with its x-kubernetes-group-version-kind, as
// server-side apply's type converter reads them: the same definitions the
// v3 document of gv serves.
func Models(gv schema.GroupVersion, resources []Resource) (map[string]*spec.Schema, error) {
	local := map[string]*definition{}
	normalized := make([]Resource, 0, len(resources))
	for _, r := range resources {
		r, err := r.normalize(gv)
		if err != nil {
			return nil, err
		}
		if r.Schema != nil {
			maps.Copy(local, customDefinitions(gv, r))
		}
		normalized = append(normalized, r)
	}
	c := groupVersionContent(gv, normalized, local)
	defs, err := c.closure()
	if err != nil {
		return nil, fmt.Errorf("models of %s: %w", gv, err)
	}
	out := make(map[string]*spec.Schema, len(defs))
	for name, d := range defs {
		s := c.marked(name, d.v3)
		out[name] = &s
	}
	return out, nil
}
