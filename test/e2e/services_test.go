package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// TestServices: two replicas on one etcd keep one kubernetes Service whose
// Endpoints and EndpointSlice list both advertised addresses, and lose a
// replica when it stops; Services created on both at once never share a
// cluster IP or node port; every kubectl 1.27–1.33 runs cluster-info,
// create service, get all and describe against them.
func TestServices(t *testing.T) {
	cluster := etcdtest.StartCluster(t, 1)
	etcd := strings.Join(cluster.Config.Servers, ",")
	a := startBinary(t, "", nil, "--etcd-servers", etcd, "--advertise-address", "192.0.2.10", "--service-node-port-range", "30000-30099")
	b := startBinary(t, "", nil, "--etcd-servers", etcd, "--advertise-address", "192.0.2.11", "--service-node-port-range", "30000-30099")
	bins := kubectls(t)
	k := kubectl{t: t, bin: bins["kubectl"], kubeconfig: a.DataDir + "/admin.kubeconfig", home: t.TempDir()}

	if out := k.run("get", "svc", "kubernetes", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.metadata.labels.provider}"); !strings.HasPrefix(out, "10.0.0.1 443 ") {
		t.Errorf("the kubernetes Service: %q", out)
	}
	endpoints := func() string {
		out, _ := k.try("get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[*].addresses[*].ip}")
		slice, _ := k.try("get", "endpointslice", "kubernetes", "-o", "jsonpath={.endpoints[*].addresses[*]}")
		return out + "|" + slice
	}
	waitUntil(t, 15*time.Second, "both replicas in the kubernetes endpoints", func() bool {
		return endpoints() == "192.0.2.10 192.0.2.11|192.0.2.10 192.0.2.11"
	})

	// Services created on both replicas at once.
	const n = 24
	type created struct {
		ip       string
		nodePort int
	}
	var mu sync.Mutex
	var got []created
	var wg sync.WaitGroup
	for i := range n {
		p := []*process{a, b}[i%2]
		c := adminHTTP(t, p)
		wg.Go(func() {
			body := fmt.Sprintf(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s%d"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`, i)
			resp, err := c.Post(p.URL+"/api/v1/namespaces/default/services", "application/json", strings.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("creating s%d: %d %s", i, resp.StatusCode, data)
				return
			}
			var s struct {
				Spec struct {
					ClusterIP string
					Ports     []struct{ NodePort int }
				}
			}
			if err := json.Unmarshal(data, &s); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, created{s.Spec.ClusterIP, s.Spec.Ports[0].NodePort})
			mu.Unlock()
		})
	}
	wg.Wait()
	ips, ports := map[string]bool{"10.0.0.1": true}, map[int]bool{}
	for _, c := range got {
		if ips[c.ip] || ports[c.nodePort] || c.nodePort < 30000 || c.nodePort > 30099 {
			t.Errorf("cluster IP %s or node port %d handed out twice or out of range", c.ip, c.nodePort)
		}
		ips[c.ip], ports[c.nodePort] = true, true
	}

	// A deleted Service's values can be taken again at once.
	var ip string
	var nodePort int
	if _, err := fmt.Sscan(k.run("get", "svc", "s1", "-o", "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}"), &ip, &nodePort); err != nil {
		t.Fatal(err)
	}
	k.run("delete", "svc", "s1")
	k.stdin(fmt.Sprintf(`{"apiVersion":"v1","kind":"Service","metadata":{"name":"reuse"},"spec":{"type":"NodePort","clusterIP":"%s","ports":[{"port":80,"nodePort":%d}]}}`,
		ip, nodePort), "create", "-f", "-")

	for name, bin := range bins {
		t.Run(name, func(t *testing.T) {
			k := kubectl{t: t, bin: bin, kubeconfig: a.DataDir + "/admin.kubeconfig", home: t.TempDir()}
			svc := "web-" + strings.ReplaceAll(name, ".", "-")
			if out := k.run("cluster-info"); !strings.Contains(out, "Kubernetes control plane") || !strings.Contains(out, a.URL) {
				t.Errorf("cluster-info:\n%s", out)
			}
			k.run("create", "service", "clusterip", svc, "--tcp=80:8080")
			k.run("create", "service", "nodeport", svc+"-np", "--tcp=443:8443")
			out := k.run("get", "all")
			// With one kind only, kubectl prints the names without "service/".
			for _, want := range []string{"kubernetes ", svc + " ", "ClusterIP", "NodePort", "443:300"} {
				if !strings.Contains(out, want) {
					t.Errorf("get all lacks %q:\n%s", want, out)
				}
			}
			// Column widths differ between kubectl versions.
			out = strings.Join(strings.Fields(k.run("describe", "svc", svc)), " ")
			for _, want := range []string{"Name: " + svc, "Type: ClusterIP", "IP Family Policy: SingleStack", "TargetPort: 8080/TCP", "Selector: app=" + svc} {
				if !strings.Contains(out, want) {
					t.Errorf("describe svc lacks %q:\n%s", want, out)
				}
			}
			if out := k.run("get", "svc", "--field-selector", "spec.type=ClusterIP", "-o", "name"); !strings.Contains(out, "service/"+svc+"\n") || strings.Contains(out, svc+"-np") {
				t.Errorf("field selector spec.type=ClusterIP:\n%s", out)
			}
			k.run("delete", "svc", svc, svc+"-np")
		})
	}

	// Invalid Services keep kube's messages through kubectl.
	for _, tc := range []struct{ manifest, want string }{
		{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":80}]}}`,
			`The Service "bad" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: provided IP is already allocated`},
		{`{"apiVersion":"v1","kind":"Service","metadata":{"name":"bad"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":31000}]}}`,
			`The Service "bad" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port is not in the valid range. The range of valid ports is 30000-30099`},
	} {
		if out, err := k.stdinTry(tc.manifest, "create", "-f", "-"); err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %v\n%s\nwant %q", tc.manifest, err, out, tc.want)
		}
	}

	// A replica that stops leaves the endpoints.
	b.signal(t, syscall.SIGTERM)
	b.wait(t, 30*time.Second)
	waitUntil(t, 20*time.Second, "the stopped replica out of the kubernetes endpoints", func() bool {
		return endpoints() == "192.0.2.10|192.0.2.10"
	})
}
