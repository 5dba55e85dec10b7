package openapi

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// BenchmarkStartup measures what a server pays before it is ready: the
// built-in definitions, NewService and core/v1's v3 document. The first
// call of builtins is the one-time part; -benchtime=1x with -count shows it
// (see TestStartupCost), later iterations the per-service part.
func BenchmarkStartup(b *testing.B) {
	for b.Loop() {
		svc := NewService()
		if err := svc.AddGroupVersion(coreV1, coreV1Resources()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderV2 measures the all-in-one v2 document, rendered on the
// first request after a change, with its protobuf form.
func BenchmarkRenderV2(b *testing.B) {
	svc := NewService()
	if err := svc.AddGroupVersion(coreV1, coreV1Resources()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		doc, err := svc.renderV2(svc.state.Load().v2Entries(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := doc.body(true, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAddCustomGroupVersion measures registering one custom resource
// group-version: its v3 document and the index.
func BenchmarkAddCustomGroupVersion(b *testing.B) {
	svc := NewService()
	if err := svc.AddGroupVersion(coreV1, coreV1Resources()); err != nil {
		b.Fatal(err)
	}
	r := cronTabResource(b)
	for b.Loop() {
		if err := svc.AddGroupVersion(stableV1, []Resource{r}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStartupCost measures, in a fresh process, the cost of serving
// OpenAPI from cold: built-in definitions, NewService, core/v1. It logs the
// time, and fails only far above the budget so a loaded CI machine passes.
func TestStartupCost(t *testing.T) {
	if os.Getenv("OPENAPI_STARTUP_CHILD") == "1" {
		start := time.Now()
		svc := NewService()
		if err := svc.AddGroupVersion(coreV1, coreV1Resources()); err != nil {
			t.Fatal(err)
		}
		t.Logf("startup=%s", time.Since(start))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestStartupCost$", "-test.v")
	cmd.Env = append(os.Environ(), "OPENAPI_STARTUP_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "startup=")
	if !ok {
		t.Fatalf("child printed no time:\n%s", out)
	}
	d, err := time.ParseDuration(strings.Fields(after)[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cold start of the OpenAPI service with core/v1: %s", d)
	if d > 500*time.Millisecond {
		t.Errorf("cold start took %s, budget 100ms", d)
	}
}
