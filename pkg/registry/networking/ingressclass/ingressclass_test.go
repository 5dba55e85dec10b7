package ingressclass

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// TestValidate: kube-apiserver 1.31's messages for the same objects,
// recorded with the reference script.
func TestValidate(t *testing.T) {
	ic := func(controller string, p *networkingv1.IngressClassParametersReference) *networkingv1.IngressClass {
		c := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "ic"}, Spec: networkingv1.IngressClassSpec{Controller: controller, Parameters: p}}
		Default(c)
		return c
	}
	params := func(kind, name string, scope *string, ns *string) *networkingv1.IngressClassParametersReference {
		return &networkingv1.IngressClassParametersReference{Kind: kind, Name: name, Scope: scope, Namespace: ns}
	}
	for _, tc := range []struct {
		name string
		ic   *networkingv1.IngressClass
		want []string
	}{
		{"plain", ic("example.com/ingress", nil), nil},
		{"with parameters", ic("example.com/x", params("P", "p", nil, nil)), nil},
		{"no controller", ic("", nil), []string{"spec.controller: Required value"}},
		{"not a path", ic("Bad Controller", nil), []string{`spec.controller: Invalid value: "Bad Controller": must be a domain-prefixed path (such as "acme.io/foo")`}},
		{"too long", ic("example.com/"+strings.Repeat("a", 245), nil), []string{"spec.controller: Too long: must have at most 250 bytes"}},
		{"no kind or name", ic("example.com/x", params("", "", nil, nil)), []string{"spec.parameters.kind: Required value: kind is required", "spec.parameters.name: Required value: name is required"}},
		{"namespace scope without one", ic("example.com/x", params("P", "p", ptr.To("Namespace"), nil)), []string{"spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"}},
		{"cluster scope with one", ic("example.com/x", params("P", "p", ptr.To("Cluster"), ptr.To("ns"))), []string{"spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"}},
		{"an unknown scope", ic("example.com/x", params("P", "p", ptr.To("Everywhere"), nil)), []string{`spec.parameters.scope: Unsupported value: "Everywhere": supported values: "Cluster", "Namespace"`}},
		{"bad group and kind", ic("example.com/x", &networkingv1.IngressClassParametersReference{APIGroup: ptr.To("Bad_Group"), Kind: "P/x", Name: "p"}),
			[]string{`spec.parameters.apiGroup: Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain must consist of`, `spec.parameters.kind: Invalid value: "P/x": may not contain '/'`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := Validate(tc.ic)
			if len(errs) != len(tc.want) {
				t.Fatalf("errors = %v, want %q", errs, tc.want)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error\n%s\nwant\n%s", e, tc.want[i])
				}
			}
		})
	}
	if errs := (Strategy{}).ValidateUpdate(nil, ic("example.com/other", nil), ic("example.com/ingress", nil)); len(errs) != 1 ||
		errs[0].Error() != `spec.controller: Invalid value: "example.com/other": field is immutable` {
		t.Errorf("update errors = %v", errs)
	}
	withParams := ic("example.com/x", params("P", "p", nil, nil))
	if *withParams.Spec.Parameters.Scope != "Cluster" {
		t.Errorf("defaulted scope = %s", *withParams.Spec.Parameters.Scope)
	}
	cells, err := Table().Cells(ic("example.com/x", &networkingv1.IngressClassParametersReference{APIGroup: ptr.To("k8s.example.com"), Kind: "P", Name: "p"}))
	if err != nil || cells[2] != "P.k8s.example.com/p" {
		t.Errorf("parameters cell = %v, %v", cells, err)
	}
	if cells, _ := Table().Cells(ic("example.com/x", nil)); cells[2] != "<none>" {
		t.Errorf("parameters cell without parameters = %v", cells[2])
	}
}
