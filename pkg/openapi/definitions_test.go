package openapi

import (
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/apiserver/apiserver/pkg/openapi/generated"
)

// TestDefinitionIndex checks the generated index against the generated
// definitions: the same names, and each definition built alone equal to
// the one GetOpenAPIDefinitions builds with all the others.
func TestDefinitionIndex(t *testing.T) {
	all := generated.GetOpenAPIDefinitions(refCallback(v2RefPrefix))
	if got, want := slices.Sorted(maps.Keys(generated.DefinitionFuncs)), slices.Sorted(maps.Keys(all)); !slices.Equal(got, want) {
		t.Fatalf("the index names %d definitions, GetOpenAPIDefinitions %d: run hack/update-openapi.sh", len(got), len(want))
	}
	for goName, d := range all {
		alone := generated.DefinitionFuncs[goName](refCallback(v2RefPrefix))
		if !reflect.DeepEqual(alone, d) {
			t.Errorf("%s built alone differs", goName)
		}
		def, ok := builtin(friendlyName(goName))
		if !ok || len(def.deps) != len(d.Dependencies) {
			t.Errorf("builtin(%s) = %v, %v", friendlyName(goName), def, ok)
		}
	}
	if _, ok := builtin("io.k8s.api.core.v1.NoSuchKind"); ok {
		t.Error("an unknown name resolved")
	}
}

// TestBuiltinNamesResolve checks the definitions this package names.
func TestBuiltinNamesResolve(t *testing.T) {
	for _, name := range []string{
		descriptionSource, defObjectMeta, defListMeta, defStatus, defDeleteOptions, defWatchEvent, defPatch,
		defAPIResourceList, defAPIVersions, defAPIGroupList, defAPIGroup, defVersionInfo, defScale,
		defTokenRequest, defListOptions, defCreateOptions, defPatchOptions,
	} {
		if _, ok := builtin(name); !ok {
			t.Errorf("no generated definition %s", name)
		}
	}
}
