package e2e

import (
	"strings"
	"testing"
)

// TestIngressesAndNetworkPolicies: every kubectl 1.27–1.33 creates,
// lists and describes Ingresses and NetworkPolicies, with kube-apiserver
// 1.31's defaults, columns and messages.
func TestIngressesAndNetworkPolicies(t *testing.T) {
	p := startBinary(t, "", nil)
	for name, bin := range kubectls(t) {
		t.Run(name, func(t *testing.T) {
			k := kubectl{t: t, bin: bin, kubeconfig: p.DataDir + "/admin.kubeconfig", home: t.TempDir()}
			ing := "ing-" + strings.ReplaceAll(name, ".", "-")
			k.run("create", "ingress", ing, "--rule=foo.com/bar*=svc1:8080,tls=my-cert", "--class=nginx")
			if out := k.run("get", "ing", ing, "-o", "jsonpath={.spec.rules[0].http.paths[0].pathType} {.spec.tls[0].secretName} {.metadata.generation}"); out != "Prefix my-cert 1" {
				t.Errorf("created ingress: %q", out)
			}
			if out := strings.Join(strings.Fields(k.run("get", "ing", ing)), " "); !strings.Contains(out, ing+" nginx foo.com 80, 443") {
				t.Errorf("get ing: %s", out)
			}
			if out := strings.Join(strings.Fields(k.run("describe", "ing", ing)), " "); !strings.Contains(out, "Ingress Class: nginx") || !strings.Contains(out, "/bar svc1:8080") {
				t.Errorf("describe ing: %s", out)
			}
			np := "np-" + strings.ReplaceAll(name, ".", "-")
			k.stdin(`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"`+np+`"},"spec":{"podSelector":{"matchLabels":{"app":"db"}},"egress":[{"ports":[{"port":5432}]}]}}`, "create", "-f", "-")
			if out := k.run("get", "netpol", np, "-o", "jsonpath={.spec.policyTypes} {.spec.egress[0].ports[0].protocol}"); out != `["Ingress","Egress"] TCP` {
				t.Errorf("created network policy: %q", out)
			}
			if out := strings.Join(strings.Fields(k.run("get", "netpol", np)), " "); !strings.Contains(out, np+" app=db") {
				t.Errorf("get netpol: %s", out)
			}
			if out := strings.Join(strings.Fields(k.run("describe", "netpol", np)), " "); !strings.Contains(out, "PodSelector: app=db") {
				t.Errorf("describe netpol: %s", out)
			}
			if out, err := k.stdinTry(`{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"bad"},"spec":{}}`, "create", "-f", "-"); err == nil ||
				!strings.Contains(out, "The Ingress \"bad\" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified") {
				t.Errorf("an empty ingress: %v\n%s", err, out)
			}
			k.run("delete", "ing", ing)
			k.run("delete", "netpol", np)
		})
	}
}
