package admission

import (
	"context"
	"errors"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// recorder notes the phases it is called in.
type recorder struct {
	name   string
	calls  *[]string
	failIn string
}

func (r recorder) Admit(_ context.Context, _ *Attributes) error {
	*r.calls = append(*r.calls, r.name+".admit")
	if r.failIn == "admit" {
		return errors.New(r.name + " refuses")
	}
	return nil
}

func (r recorder) Validate(_ context.Context, _ *Attributes) error {
	*r.calls = append(*r.calls, r.name+".validate")
	if r.failIn == "validate" {
		return errors.New(r.name + " refuses")
	}
	return nil
}

// validateOnly implements only ValidationInterface.
type validateOnly struct{ recorder }

func (v validateOnly) Admit() {} // not the interface's signature: not a mutating plugin

func TestChainOrder(t *testing.T) {
	tests := []struct {
		name      string
		failIn    map[string]string
		wantCalls []string
		wantErr   string
	}{
		{
			name:      "all accept",
			wantCalls: []string{"a.admit", "b.admit", "a.validate", "b.validate", "c.validate"},
		},
		{
			name:      "a mutating plugin refuses",
			failIn:    map[string]string{"a": "admit"},
			wantCalls: []string{"a.admit"},
			wantErr:   "a refuses",
		},
		{
			name:      "a validating plugin refuses",
			failIn:    map[string]string{"b": "validate"},
			wantCalls: []string{"a.admit", "b.admit", "a.validate", "b.validate"},
			wantErr:   "b refuses",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			chain := Chain{
				recorder{name: "a", calls: &calls, failIn: tc.failIn["a"]},
				recorder{name: "b", calls: &calls, failIn: tc.failIn["b"]},
				validateOnly{recorder{name: "c", calls: &calls, failIn: tc.failIn["c"]}},
			}
			a := &Attributes{Operation: Create}
			err := chain.Admit(t.Context(), a)
			if err == nil {
				err = chain.Validate(t.Context(), a)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if !slices.Equal(calls, tc.wantCalls) {
				t.Errorf("calls = %v, want %v", calls, tc.wantCalls)
			}
		})
	}
}

func TestIsConfiguration(t *testing.T) {
	for gvr, want := range map[schema.GroupVersionResource]bool{
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations"}:   true,
		{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings"}: true,
		{Version: "v1", Resource: "configmaps"}: false,
	} {
		if got := IsConfiguration(&Attributes{Resource: gvr}); got != want {
			t.Errorf("%v: %v", gvr, got)
		}
	}
}
