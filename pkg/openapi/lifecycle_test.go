package openapi

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestAddAndRemoveGroupVersion(t *testing.T) {
	svc := newTestService(t, false)
	h := handlerOf(svc)
	indexKeys := func() []string {
		var keys []string
		for k := range at(decode(t, get(t, h, "/openapi/v3")), "paths").(map[string]any) {
			keys = append(keys, k)
		}
		return sortedStrings(keys)
	}
	hasCronTab := func() bool { return at(v2Doc(t, svc), "definitions", cronTabV1) != nil }
	hashOf := func(key string) string {
		return at(decode(t, get(t, h, "/openapi/v3")), "paths", key, "serverRelativeURL").(string)
	}

	if got, want := indexKeys(), []string{"api", "api/v1", "apis", "version"}; !equalStrings(got, want) {
		t.Fatalf("index %v, want %v", got, want)
	}
	etag := get(t, h, "/openapi/v2").Header().Get("Etag")
	coreURL := hashOf("api/v1")

	steps := []struct {
		name      string
		do        func() error
		wantKeys  []string
		wantCron  bool
		v2Changes bool
	}{
		{"add v1", func() error { return svc.AddGroupVersion(stableV1, []Resource{cronTabResource(t)}) },
			[]string{"api", "api/v1", "apis", "apis/stable.example.com", "apis/stable.example.com/v1", "version"}, true, true},
		{"add v2", func() error { return svc.AddGroupVersion(stableV2, []Resource{cronTabResource(t)}) },
			[]string{"api", "api/v1", "apis", "apis/stable.example.com", "apis/stable.example.com/v1", "apis/stable.example.com/v2", "version"}, true, true},
		{"remove v1", func() error { return removed(svc.RemoveGroupVersion(stableV1)) },
			[]string{"api", "api/v1", "apis", "apis/stable.example.com", "apis/stable.example.com/v2", "version"}, false, true},
		{"remove v1 again", func() error { return notRemoved(svc.RemoveGroupVersion(stableV1)) },
			[]string{"api", "api/v1", "apis", "apis/stable.example.com", "apis/stable.example.com/v2", "version"}, false, false},
		{"remove v2", func() error { return removed(svc.RemoveGroupVersion(stableV2)) },
			[]string{"api", "api/v1", "apis", "version"}, false, true},
	}
	for _, step := range steps {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if got := indexKeys(); !equalStrings(got, step.wantKeys) {
			t.Errorf("%s: index %v, want %v", step.name, got, step.wantKeys)
		}
		if got := hasCronTab(); got != step.wantCron {
			t.Errorf("%s: v2 has %s: %v, want %v", step.name, cronTabV1, got, step.wantCron)
		}
		next := get(t, h, "/openapi/v2").Header().Get("Etag")
		if (next != etag) != step.v2Changes {
			t.Errorf("%s: v2 ETag changed %v, want %v", step.name, next != etag, step.v2Changes)
		}
		etag = next
		if hashOf("api/v1") != coreURL {
			t.Errorf("%s: api/v1 URL changed though core/v1 did not", step.name)
		}
	}
	// Replacing a group-version with other content changes its hash.
	if err := svc.AddGroupVersion(coreV1, coreV1Resources()[:2]); err != nil {
		t.Fatal(err)
	}
	if hashOf("api/v1") == coreURL {
		t.Error("api/v1 URL unchanged after its resources changed")
	}
	if at(v2Doc(t, svc), "definitions", "io.k8s.api.core.v1.Secret") != nil {
		t.Error("v2 still describes secrets after they were dropped")
	}
}

func removed(ok bool) error {
	if !ok {
		return errors.New("RemoveGroupVersion reported nothing removed")
	}
	return nil
}

func notRemoved(ok bool) error {
	if ok {
		return errors.New("RemoveGroupVersion reported a removal of nothing")
	}
	return nil
}

// TestConcurrentChanges serves documents while group-versions come and go;
// run with -race it checks the snapshot handling.
func TestConcurrentChanges(t *testing.T) {
	svc := newTestService(t, false)
	h := handlerOf(svc)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gv := schema.GroupVersion{Group: fmt.Sprintf("g%d.example.com", w), Version: "v1"}
			r := cronTabResource(t)
			for range 20 {
				if err := svc.AddGroupVersion(gv, []Resource{r}); err != nil {
					t.Error(err)
					return
				}
				svc.RemoveGroupVersion(gv)
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				for _, p := range []string{"/openapi/v2", "/openapi/v3", "/openapi/v3/api/v1"} {
					if rec := get(t, h, p, "Accept", "application/json"); rec.Code != 200 {
						t.Errorf("%s: status %d", p, rec.Code)
					}
				}
			}
		}()
	}
	wg.Wait()
	if got := svc.GroupVersions(); len(got) != 1 || got[0] != coreV1 {
		t.Errorf("GroupVersions() = %v, want only core/v1", got)
	}
}
