package openapi

import (
	"cmp"
	"slices"
	"sync"
)

// Query parameters of the operations. Like kube-apiserver, which derives
// them from the meta/v1 option types, they take their types and
// descriptions from the generated definitions of those types.

var listParams = sync.OnceValue(func() []param {
	return optionParams(defListOptions, "allowWatchBookmarks", "continue", "fieldSelector", "labelSelector",
		"limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch")
})

var deleteParams = sync.OnceValue(func() []param {
	return optionParams(defDeleteOptions, "dryRun", "gracePeriodSeconds",
		"ignoreStoreReadErrorWithClusterBreakingPotential", "orphanDependents", "propagationPolicy")
})

var deleteCollectionParams = sync.OnceValue(func() []param {
	return sortParams(append(append([]param(nil), deleteParams()...), optionParams(defListOptions,
		"continue", "fieldSelector", "labelSelector", "limit", "resourceVersion", "resourceVersionMatch",
		"sendInitialEvents", "timeoutSeconds")...))
})

var createParams = sync.OnceValue(func() []param {
	return optionParams(defCreateOptions, "dryRun", "fieldManager", "fieldValidation")
})

var patchParams = sync.OnceValue(func() []param {
	return optionParams(defPatchOptions, "dryRun", "fieldManager", "fieldValidation", "force")
})

// writeParams returns the parameters of create and update (def is
// CreateOptions) or of patch (def is PatchOptions).
func writeParams(def string) []param {
	if def == defPatchOptions {
		return patchParams()
	}
	return createParams()
}

// optionParams returns the named properties of an options definition as
// query parameters, in the order given.
func optionParams(def string, names ...string) []param {
	props := mustBuiltin(def).v2.Properties
	out := make([]param, 0, len(names))
	for _, name := range names {
		p := props[name]
		typ := "string" // arrays (dryRun) are repeated string parameters
		if len(p.Type) == 1 && p.Type[0] != "array" {
			typ = p.Type[0]
		}
		out = append(out, param{name: name, in: "query", typ: typ, desc: p.Description})
	}
	return out
}

func sortParams(ps []param) []param {
	slices.SortFunc(ps, func(a, b param) int { return cmp.Compare(a.name, b.name) })
	return ps
}
