package prioritylevelconfiguration

import (
	"encoding/json"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
)

// TestValidate: kube-apiserver 1.31's messages for the same levels,
// recorded with the reference script, in its order.
func TestValidate(t *testing.T) {
	tests := []struct {
		name, spec string
		want       []string
	}{
		{"bad", `{"type":"Limited","limited":{"nominalConcurrencyShares":-1,"lendablePercent":101,"borrowingLimitPercent":-1,"limitResponse":{"type":"Queue","queuing":{"queues":2,"handSize":3,"queueLengthLimit":-1}}}}`, []string{
			"spec.limited.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer",
			"spec.limited.limitResponse.queuing.queueLengthLimit: Invalid value: -1: must be positive",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: 3: should not be greater than queues (2)",
			"spec.limited.lendablePercent: Invalid value: 101: must be between 0 and 100, inclusive",
			"spec.limited.borrowingLimitPercent: Invalid value: -1: if specified, must be a non-negative integer",
		}},
		{"bad", `{"type":"Exempt","limited":{"limitResponse":{"type":"Reject"}}}`, []string{
			`spec.type: Invalid value: "Exempt": type must be 'Exempt' if and only if name is 'exempt'`,
			"spec.limited: Forbidden: must be nil if the type is not Limited",
		}},
		{"bad", `{"type":"Limited"}`, []string{"spec.limited: Required value: must not be empty when type is Limited"}},
		{"bad", `{"type":"Other"}`, []string{`spec.type: Unsupported value: "Other": supported values: "Exempt", "Limited"`}},
		{"bad", `{"type":"Limited","limited":{"limitResponse":{"type":"Queue"}}}`, []string{"spec.limited.limitResponse.queuing: Required value: must not be empty if limited.limitResponse.type is Limited"}},
		{"bad", `{"type":"Limited","limited":{"limitResponse":{"type":"Reject","queuing":{}}}}`, []string{"spec.limited.limitResponse.queuing: Forbidden: must be nil if limited.limitResponse.type is not Limited"}},
		{"bad", `{"type":"Limited","limited":{"limitResponse":{"type":"Queue","queuing":{"queues":-1,"handSize":-1,"queueLengthLimit":1}}}}`, []string{
			"spec.limited.limitResponse.queuing.queues: Invalid value: -1: must be positive",
			"spec.limited.limitResponse.queuing.handSize: Invalid value: -1: must be positive",
		}},
		{"exempt2", `{"type":"Exempt","exempt":{"nominalConcurrencyShares":-1,"lendablePercent":-5}}`, []string{
			`spec.type: Invalid value: "Exempt": type must be 'Exempt' if and only if name is 'exempt'`,
			"spec.exempt.nominalConcurrencyShares: Invalid value: -1: must be a non-negative integer",
			"spec.exempt.lendablePercent: Invalid value: -5: must be between 0 and 100, inclusive",
		}},
		{"fine", `{"type":"Limited","limited":{"limitResponse":{"type":"Queue","queuing":{}}}}`, nil},
	}
	for _, tt := range tests {
		var p flowcontrolv1.PriorityLevelConfiguration
		if err := json.Unmarshal([]byte(tt.spec), &p.Spec); err != nil {
			t.Fatal(err)
		}
		Default(&p)
		errs := Validate(tt.name, &p.Spec)
		if len(errs) != len(tt.want) {
			t.Errorf("%s: %d errors %v, want %d", tt.spec, len(errs), errs, len(tt.want))
			continue
		}
		for i, e := range errs {
			if e.Error() != tt.want[i] {
				t.Errorf("error %d:\n got %s\nwant %s", i, e.Error(), tt.want[i])
			}
		}
	}
	// Kube's defaults of a limited level.
	var p flowcontrolv1.PriorityLevelConfiguration
	_ = json.Unmarshal([]byte(`{"type":"Limited","limited":{"limitResponse":{"type":"Queue","queuing":{}}}}`), &p.Spec)
	Default(&p)
	if q := p.Spec.Limited.LimitResponse.Queuing; *p.Spec.Limited.NominalConcurrencyShares != 30 || *p.Spec.Limited.LendablePercent != 0 || q.Queues != 64 || q.HandSize != 8 || q.QueueLengthLimit != 50 {
		t.Errorf("defaults: %+v", p.Spec.Limited)
	}
}
