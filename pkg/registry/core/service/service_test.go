package service

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/core/service/allocator"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// store serves Services over a real etcd, allocating from ranges (the
// first CIDR primary) and node ports 30000-30005, as kube-apiserver was
// started to record the messages below.
func store(t *testing.T, cidrs ...string) (*generic.Store, *Allocators) {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	a := &Allocators{Ports: allocator.NewPortRange(backend.Client(), "/registry/ranges/servicenodeports", 30000, 6)}
	for _, c := range cidrs {
		a.IPs = append(a.IPs, allocator.NewIPRange(backend.Client(), "/registry/ranges/serviceips", netip.MustParsePrefix(c)))
	}
	s, err := generic.NewStore(backend, Type(a), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

// decode reads a manifest as the server does: JSON, then defaults.
func decode(t *testing.T, manifest string) *corev1.Service {
	t.Helper()
	var s corev1.Service
	if err := json.Unmarshal([]byte(manifest), &s); err != nil {
		t.Fatal(err)
	}
	if s.Namespace == "" {
		s.Namespace = "default"
	}
	Default(&s)
	return &s
}

func create(t *testing.T, st *generic.Store, manifest string) (*corev1.Service, error) {
	t.Helper()
	obj, err := st.Create(t.Context(), "default", decode(t, manifest), false)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Service), nil
}

func mustCreate(t *testing.T, st *generic.Store, manifest string) *corev1.Service {
	t.Helper()
	s, err := create(t, st, manifest)
	if err != nil {
		t.Fatalf("creating %s: %v", manifest, err)
	}
	return s
}

// causes prints an Invalid error's causes as kubectl prints them.
func causes(err error) []string {
	st, ok := err.(apierrors.APIStatus)
	if !ok || st.Status().Details == nil {
		return []string{"not a Status: " + err.Error()}
	}
	var out []string
	for _, c := range st.Status().Details.Causes {
		out = append(out, c.Field+": "+c.Message)
	}
	return out
}

// TestInvalid: kube-apiserver 1.31's causes for the same manifests,
// recorded with the reference script (10.96.0.0/16,fd00::/108 and node
// ports 30000-30005 for the dual-stack ones, 10.0.0.0/24 otherwise).
func TestInvalid(t *testing.T) {
	st, _ := store(t, "10.96.0.0/16")
	taken := mustCreate(t, st, `{"metadata":{"name":"taken"},"spec":{"type":"NodePort","clusterIP":"10.96.4.84","ports":[{"port":80,"nodePort":30004}]}}`)
	if taken.Spec.ClusterIP != "10.96.4.84" || taken.Spec.Ports[0].NodePort != 30004 {
		t.Fatalf("static values not kept: %+v", taken.Spec)
	}
	for _, tc := range []struct{ name, manifest, want string }{
		{"no ports", `{"spec":{"selector":{"a":"b"}}}`, "spec.ports: Required value"},
		{"two ports, no names", `{"spec":{"ports":[{"port":80},{"port":81}]}}`, "spec.ports[0].name: Required value|spec.ports[1].name: Required value"},
		{"same name", `{"spec":{"ports":[{"port":80,"name":"a"},{"port":81,"name":"a"}]}}`, `spec.ports[1].name: Duplicate value: "a"`},
		{"bad ports", `{"spec":{"ports":[{"port":0},{"port":70000,"name":"x","protocol":"FOO"}]}}`,
			"spec.ports[0].name: Required value|spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive|" +
				"spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive|spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive|" +
				`spec.ports[1].protocol: Unsupported value: "FOO": supported values: "SCTP", "TCP", "UDP"|spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive`},
		{"bad type", `{"spec":{"type":"Foo","ports":[{"port":80}]}}`, `spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`},
		{"bad IP", `{"spec":{"clusterIP":"1.2.3","ports":[{"port":80}]}}`, `spec.clusterIPs[0]: Invalid value: "1.2.3": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`},
		{"out of range", `{"spec":{"clusterIP":"10.1.2.3","ports":[{"port":80}]}}`,
			`spec.clusterIPs: Invalid value: []string{"10.1.2.3"}: failed to allocate IP 10.1.2.3: the provided IP (10.1.2.3) is not in the valid range. The range of valid IPs is 10.96.0.0/16`},
		{"no external name", `{"spec":{"type":"ExternalName"}}`, "spec.externalName: Required value"},
		{"node port out of range", `{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":40000}]}}`,
			"spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-30005"},
		{"node port of a ClusterIP", `{"spec":{"ports":[{"port":80,"nodePort":30002}]}}`, "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"},
		{"cluster IP taken", `{"spec":{"clusterIP":"10.96.4.84","ports":[{"port":80}]}}`,
			`spec.clusterIPs: Invalid value: []string{"10.96.4.84"}: failed to allocate IP 10.96.4.84: provided IP is already allocated`},
		{"node port taken", `{"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30004}]}}`, "spec.ports[0].nodePort: Invalid value: 30004: provided port is already allocated"},
		{"bad selector", `{"spec":{"selector":{"a b":"c"},"ports":[{"port":80}]}}`,
			`spec.selector: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`},
		{"bad affinity", `{"spec":{"sessionAffinity":"X","ports":[{"port":80}]}}`, `spec.sessionAffinity: Unsupported value: "X": supported values: "ClientIP", "None"`},
		{"a family twice", `{"spec":{"ipFamilies":["IPv6","IPv6"],"ports":[{"port":80}]}}`, `spec.ipFamilies[1]: Duplicate value: "IPv6"`},
		{"bad target port", `{"spec":{"ports":[{"port":80,"targetPort":"Bad_Name"}]}}`, `spec.ports[0].targetPort: Invalid value: "Bad_Name": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)`},
		{"external policy of a ClusterIP", `{"spec":{"externalTrafficPolicy":"Local","ports":[{"port":80}]}}`, `spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services`},
		{"two families, one policy", `{"spec":{"ipFamilyPolicy":"SingleStack","ipFamilies":["IPv4","IPv6"],"ports":[{"port":80}]}}`,
			`spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`},
		{"two families, no policy", `{"spec":{"ipFamilies":["IPv4","IPv6"],"ports":[{"port":80}]}}`,
			`spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`},
		{"bad family", `{"spec":{"ipFamilies":["IPv5"],"ports":[{"port":80}]}}`, `spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"`},
		{"bad policy", `{"spec":{"ipFamilyPolicy":"Foo","ports":[{"port":80}]}}`, `spec.ipFamilyPolicy: Unsupported value: "Foo": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`},
		{"ExternalName with an IP", `{"spec":{"type":"ExternalName","externalName":"a.b","clusterIP":"10.96.0.50"}}`, "spec.clusterIPs: Forbidden: may not be set for ExternalName services"},
		{"bad external name", `{"spec":{"type":"ExternalName","externalName":"A_B"}}`,
			`spec.externalName: Invalid value: "A_B": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		{"headless NodePort", `{"spec":{"type":"NodePort","clusterIP":"None","ports":[{"port":80}]}}`, `spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`},
		{"clusterIP not first", `{"spec":{"clusterIP":"10.96.0.50","clusterIPs":["10.96.0.51"],"ports":[{"port":80}]}}`, "spec.clusterIPs: Invalid value: []string{\"10.96.0.51\"}: first value must match `clusterIP`"},
		{"bad external IP", `{"spec":{"externalIPs":["x"],"ports":[{"port":80}]}}`, `spec.externalIPs[0]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)`},
		{"bad internal policy", `{"spec":{"internalTrafficPolicy":"X","ports":[{"port":80}]}}`, `spec.internalTrafficPolicy: Unsupported value: "X": supported values: "Cluster", "Local"`},
		{"bad timeout", `{"spec":{"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":0}},"ports":[{"port":80}]}}`,
			"spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400"},
		{"same port twice", `{"spec":{"ports":[{"port":80,"name":"a"},{"port":80,"name":"b"}]}}`,
			`spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`},
		{"same node port twice", `{"spec":{"type":"NodePort","ports":[{"port":80,"name":"a","nodePort":30000},{"port":81,"name":"b","nodePort":30000}]}}`,
			"spec.ports[1].nodePort: Invalid value: 30000: provided port is already allocated"},
		{"IPv6 asked of an IPv4 cluster", `{"spec":{"ipFamilies":["IPv6"],"ports":[{"port":80}]}}`, `spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
		{"dual stack required of an IPv4 cluster", `{"spec":{"ipFamilyPolicy":"RequireDualStack","ports":[{"port":80}]}}`,
			`spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{"an IPv6 address of an IPv4 cluster", `{"spec":{"clusterIP":"fd00::5","ports":[{"port":80}]}}`, `spec.clusterIPs[0]: Invalid value: []string{"fd00::5"}: IPv6 is not configured on this cluster`},
		{"address and family disagree", `{"spec":{"clusterIP":"10.96.0.9","ipFamilies":["IPv6"],"ports":[{"port":80}]}}`,
			"spec.clusterIPs[0]: Invalid value: \"10.96.0.9\": expected an IPv6 value as indicated by `ipFamilies[0]`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			manifest := strings.Replace(tc.manifest, `{"spec"`, `{"metadata":{"name":"bad"},"spec"`, 1)
			_, err := create(t, st, manifest)
			if err == nil {
				t.Fatal("created")
			}
			if got := strings.Join(causes(err), "|"); got != tc.want {
				t.Errorf("causes\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
	// Nothing the refused writes took is held.
	ips, _, _ := st.Type.Strategy.(Strategy).alloc.IPs[0].List(t.Context())
	ports, _, _ := st.Type.Strategy.(Strategy).alloc.Ports.List(t.Context())
	if len(ips) != 1 || len(ports) != 1 {
		t.Errorf("held after refused writes: %v %v", ips, ports)
	}
}

// TestDefaultsAndAllocation: the specs kube-apiserver 1.31 answers for the
// same manifests on a dual-stack cluster, allocated values aside.
func TestDefaultsAndAllocation(t *testing.T) {
	st, _ := store(t, "10.96.0.0/16", "fd00::/108")
	for _, tc := range []struct{ manifest, want string }{
		{`{"metadata":{"name":"plain"},"spec":{"selector":{"app":"a"},"ports":[{"port":80}]}}`,
			`{"clusterIP":"*","clusterIPs":["*"],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"a"},"sessionAffinity":"None","type":"ClusterIP"}`},
		{`{"metadata":{"name":"np"},"spec":{"type":"NodePort","selector":{"app":"a"},"ports":[{"port":80,"name":"http"},{"port":443,"name":"https","protocol":"UDP","targetPort":"web"}]}}`,
			`{"clusterIP":"*","clusterIPs":["*"],"externalTrafficPolicy":"Cluster","internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"name":"http","nodePort":"*","port":80,"protocol":"TCP","targetPort":80},{"name":"https","nodePort":"*","port":443,"protocol":"UDP","targetPort":"web"}],"selector":{"app":"a"},"sessionAffinity":"None","type":"NodePort"}`},
		{`{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","sessionAffinity":"ClientIP","ipFamilyPolicy":"PreferDualStack","ports":[{"port":80}]}}`,
			`{"allocateLoadBalancerNodePorts":true,"clusterIP":"*","clusterIPs":["*","*"],"externalTrafficPolicy":"Cluster","internalTrafficPolicy":"Cluster","ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"PreferDualStack","ports":[{"nodePort":"*","port":80,"protocol":"TCP","targetPort":80}],"sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":10800}},"type":"LoadBalancer"}`},
		{`{"metadata":{"name":"headless"},"spec":{"clusterIP":"None","selector":{"app":"a"},"ports":[{"port":80}]}}`,
			`{"clusterIP":"None","clusterIPs":["None"],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"port":80,"protocol":"TCP","targetPort":80}],"selector":{"app":"a"},"sessionAffinity":"None","type":"ClusterIP"}`},
		{`{"metadata":{"name":"headless-nosel"},"spec":{"clusterIP":"None"}}`,
			`{"clusterIP":"None","clusterIPs":["None"],"internalTrafficPolicy":"Cluster","ipFamilies":["IPv4","IPv6"],"ipFamilyPolicy":"RequireDualStack","sessionAffinity":"None","type":"ClusterIP"}`},
		{`{"metadata":{"name":"ext"},"spec":{"type":"ExternalName","externalName":"example.com"}}`,
			`{"externalName":"example.com","sessionAffinity":"None","type":"ExternalName"}`},
		{`{"metadata":{"name":"shared"},"spec":{"type":"NodePort","ports":[{"port":80,"name":"a"},{"port":80,"name":"b","protocol":"UDP"}]}}`,
			`{"clusterIP":"*","clusterIPs":["*"],"externalTrafficPolicy":"Cluster","internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"name":"a","nodePort":"*","port":80,"protocol":"TCP","targetPort":80},{"name":"b","nodePort":"*","port":80,"protocol":"UDP","targetPort":80}],"sessionAffinity":"None","type":"NodePort"}`},
		{`{"metadata":{"name":"local"},"spec":{"type":"LoadBalancer","externalTrafficPolicy":"Local","ports":[{"port":80}]}}`,
			`{"allocateLoadBalancerNodePorts":true,"clusterIP":"*","clusterIPs":["*"],"externalTrafficPolicy":"Local","healthCheckNodePort":"*","internalTrafficPolicy":"Cluster","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","ports":[{"nodePort":"*","port":80,"protocol":"TCP","targetPort":80}],"sessionAffinity":"None","type":"LoadBalancer"}`},
	} {
		s := mustCreate(t, st, tc.manifest)
		if got := masked(t, s); got != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", s.Name, got, tc.want)
		}
		if s.Name == "shared" && s.Spec.Ports[0].NodePort != s.Spec.Ports[1].NodePort {
			t.Errorf("ports of one number and two protocols got node ports %d and %d", s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort)
		}
		if s.Name == "lb" && (!strings.HasPrefix(s.Spec.ClusterIPs[0], "10.96.") || !strings.HasPrefix(s.Spec.ClusterIPs[1], "fd00::")) {
			t.Errorf("dual-stack addresses %v", s.Spec.ClusterIPs)
		}
	}
}

// masked prints the spec as JSON with allocated values as "*".
func masked(t *testing.T, s *corev1.Service) string {
	t.Helper()
	spec := s.Spec.DeepCopy()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if ip, ok := m["clusterIP"].(string); ok && ip != "None" {
		m["clusterIP"] = "*"
		ips := m["clusterIPs"].([]any)
		for i := range ips {
			ips[i] = "*"
		}
	}
	if _, ok := m["healthCheckNodePort"]; ok {
		m["healthCheckNodePort"] = "*"
	}
	if ports, ok := m["ports"].([]any); ok {
		for _, p := range ports {
			if pm := p.(map[string]any); pm["nodePort"] != nil {
				pm["nodePort"] = "*"
			}
		}
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func held(t *testing.T, a *Allocators) (ips, ports []string) {
	t.Helper()
	for _, r := range a.IPs {
		cs, _, err := r.List(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			ips = append(ips, c.Value)
		}
	}
	cs, _, err := a.Ports.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		ports = append(ports, c.Value)
	}
	return ips, ports
}

func update(t *testing.T, st *generic.Store, name string, edit func(*corev1.Service)) (*corev1.Service, error) {
	t.Helper()
	obj, _, err := st.Update(t.Context(), "default", name, func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		s := cur.(*corev1.Service).DeepCopy()
		edit(s)
		Default(s)
		return s, nil
	}, false, false)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Service), nil
}

// TestLifecycle: what a Service holds follows its type through updates,
// a replace without the allocated values keeps them, a changed cluster IP
// is refused as kube refuses it, dry runs take nothing, and a delete
// frees everything.
func TestLifecycle(t *testing.T) {
	st, a := store(t, "10.0.0.0/24")
	ctx := t.Context()
	s := mustCreate(t, st, `{"metadata":{"name":"p"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`)
	ip, np := s.Spec.ClusterIP, s.Spec.Ports[0].NodePort
	if ips, ports := held(t, a); len(ips) != 1 || len(ports) != 1 {
		t.Fatalf("held %v %v", ips, ports)
	}

	// kubectl replace of the manifest, without the allocated values.
	s, err := update(t, st, "p", func(s *corev1.Service) {
		s.Spec.ClusterIP, s.Spec.ClusterIPs, s.Spec.Ports[0].NodePort = "", nil, 0
	})
	if err != nil || s.Spec.ClusterIP != ip || s.Spec.Ports[0].NodePort != np {
		t.Fatalf("replace without allocated values = %+v, %v; want %s and %d kept", s, err, ip, np)
	}
	_, err = update(t, st, "p", func(s *corev1.Service) { s.Spec.ClusterIP, s.Spec.ClusterIPs = "10.0.0.77", []string{"10.0.0.77"} })
	if got := strings.Join(causes(err), "|"); got != `spec.clusterIPs[0]: Invalid value: []string{"10.0.0.77"}: may not change once set` {
		t.Errorf("changing the cluster IP: %s", got)
	}

	// To ClusterIP: the node port goes; to ExternalName: the IP goes.
	if s, err = update(t, st, "p", func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeClusterIP }); err != nil || s.Spec.Ports[0].NodePort != 0 || s.Spec.ExternalTrafficPolicy != "" {
		t.Fatalf("to ClusterIP = %+v, %v", s, err)
	}
	if ips, ports := held(t, a); len(ips) != 1 || len(ports) != 0 {
		t.Errorf("held after the node port went: %v %v", ips, ports)
	}
	if s, err = update(t, st, "p", func(s *corev1.Service) { s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeExternalName, "x.y" }); err != nil ||
		s.Spec.ClusterIP != "" || s.Spec.IPFamilies != nil || s.Spec.IPFamilyPolicy != nil {
		t.Fatalf("to ExternalName = %+v, %v", s.Spec, err)
	}
	if ips, ports := held(t, a); len(ips) != 0 || len(ports) != 0 {
		t.Errorf("held by an ExternalName: %v %v", ips, ports)
	}
	if s, err = update(t, st, "p", func(s *corev1.Service) { s.Spec.Type, s.Spec.ExternalName = corev1.ServiceTypeNodePort, "" }); err != nil ||
		s.Spec.ClusterIP == "" || s.Spec.Ports[0].NodePort == 0 || *s.Spec.IPFamilyPolicy != corev1.IPFamilyPolicySingleStack {
		t.Fatalf("back to NodePort = %+v, %v", s.Spec, err)
	}

	// Dry runs take nothing, whether they create or update.
	before, beforePorts := held(t, a)
	dry := decode(t, `{"metadata":{"name":"dry"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`)
	obj, err := st.Create(ctx, "default", dry, true)
	if err != nil || obj.(*corev1.Service).Spec.ClusterIP == "" || obj.(*corev1.Service).Spec.Ports[0].NodePort == 0 {
		t.Fatalf("dry-run create = %+v, %v", obj, err)
	}
	if ips, ports := held(t, a); len(ips) != len(before) || len(ports) != len(beforePorts) {
		t.Errorf("a dry run took values: %v %v", ips, ports)
	}

	if _, _, err := st.Delete(ctx, "default", "p", &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	if ips, ports := held(t, a); len(ips) != 0 || len(ports) != 0 {
		t.Errorf("held after delete: %v %v", ips, ports)
	}
}

// TestRepair: a value taken for a write that never happened is freed on
// the second pass after it was taken, not the first; a Service's value
// that is not taken is taken for it.
func TestRepair(t *testing.T) {
	st, a := store(t, "10.0.0.0/24")
	ctx := t.Context()
	s := mustCreate(t, st, `{"metadata":{"name":"kept"},"spec":{"type":"NodePort","ports":[{"port":80}]}}`)
	if err := a.IPs[0].Take(ctx, "10.0.0.50", "default/ghost/uid"); err != nil {
		t.Fatal(err)
	}
	if err := a.IPs[0].Give(ctx, s.Spec.ClusterIP, Holder(s)); err != nil {
		t.Fatal(err)
	}
	r := &Repair{Allocators: a, List: func(ctx context.Context) ([]corev1.Service, error) {
		list, err := st.List(ctx, "", &metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		return list.(*corev1.ServiceList).Items, nil
	}}
	if err := r.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.IPs[0].Check(ctx, s.Spec.ClusterIP); err == nil {
		t.Error("the Service's IP was not taken back for it")
	}
	if err := a.IPs[0].Check(ctx, "10.0.0.50"); err == nil {
		// Good: not freed on the first pass, a write may be under way.
	} else if err := r.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.IPs[0].Check(ctx, "10.0.0.50"); err != nil {
		t.Errorf("a stale value is still held after two passes: %v", err)
	}
	if ips, ports := held(t, a); len(ips) != 1 || len(ports) != 1 {
		t.Errorf("held after repair: %v %v", ips, ports)
	}
}

// TestTable: kube-apiserver's cells for each type.
func TestTable(t *testing.T) {
	svc := func(manifest string) *corev1.Service { return decode(t, manifest) }
	for _, tc := range []struct {
		s    *corev1.Service
		want []any
	}{
		{svc(`{"metadata":{"name":"ext"},"spec":{"type":"ExternalName","externalName":"example.com"}}`), []any{"ext", "ExternalName", "<none>", "example.com", "<none>"}},
		{svc(`{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIPs":["10.0.0.9"],"ports":[{"port":80,"nodePort":30003}]}}`), []any{"lb", "LoadBalancer", "10.0.0.9", "<pending>", "80:30003/TCP"}},
		{svc(`{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIPs":["10.0.0.9"],"ports":[{"port":80}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"},{"hostname":"lb.example.com"}]}}}`),
			[]any{"lb", "LoadBalancer", "10.0.0.9", "192.0.2.10,lb...", "80/TCP"}},
		{svc(`{"metadata":{"name":"np"},"spec":{"type":"NodePort","clusterIPs":["10.0.0.8"],"externalIPs":["192.0.2.1"],"selector":{"app":"a"},"ports":[{"port":80,"nodePort":30004},{"port":443,"protocol":"UDP","nodePort":30001}]}}`),
			[]any{"np", "NodePort", "10.0.0.8", "192.0.2.1", "80:30004/TCP,443:30001/UDP"}},
	} {
		cells, err := Table().Cells(tc.s)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range tc.want {
			if cells[i] != w {
				t.Errorf("%s cell %d = %v, want %v", tc.s.Name, i, cells[i], w)
			}
		}
	}
}
