package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"sigs.k8s.io/yaml"

	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// This file checks that custom resources cannot hurt the rest of the
// server: a refused or useless definition leaves every other resource
// serving, a large definition does not slow a small one, and a new
// definition never serves what an older one of the same name left in etcd.

const definitionsPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

// crdAPI is an admin HTTP/2 client of one apiserver, for the checks of
// this file.
type crdAPI struct {
	t *testing.T
	p *process
	c *http.Client
}

func newCRDAPI(t *testing.T, p *process) crdAPI {
	t.Helper()
	return crdAPI{t: t, p: p, c: adminHTTP(t, p)}
}

// send makes one request and reads the answer; unlike do it does not fail
// the test, so that goroutines may call it.
func (a crdAPI) send(method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequest(method, a.p.URL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// expect makes one request and fails the test unless it answers want.
func (a crdAPI) expect(want int, method, path string, body []byte) []byte {
	a.t.Helper()
	code, data, err := a.send(method, path, body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		a.t.Fatalf("%s %s = %d, want %d: %s", method, path, code, want, data)
	}
	return data
}

// createDefinition POSTs a definition given as YAML and returns the answer.
func (a crdAPI) createDefinition(manifest string) (int, status) {
	a.t.Helper()
	body, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		a.t.Fatal(err)
	}
	code, data, err := a.send(http.MethodPost, definitionsPath, body)
	if err != nil {
		a.t.Fatalf("creating a definition: %v", err)
	}
	var s status
	if code != http.StatusCreated {
		if err := json.Unmarshal(data, &s); err != nil {
			a.t.Fatalf("%d: not a Status: %s", code, data)
		}
	}
	return code, s
}

// waitServed waits until a list of path answers 200.
func (a crdAPI) waitServed(path string) {
	a.t.Helper()
	waitUntil(a.t, 10*time.Second, path+" served", func() bool {
		code, _, err := a.send(http.MethodGet, path, nil)
		return err == nil && code == http.StatusOK
	})
}

// names lists path and returns the names of its items.
func (a crdAPI) names(path string) []string {
	a.t.Helper()
	var list struct {
		Items []struct {
			Metadata struct{ Name string }
		}
	}
	if err := json.Unmarshal(a.expect(http.StatusOK, http.MethodGet, path, nil), &list); err != nil {
		a.t.Fatalf("decoding the list of %s: %v", path, err)
	}
	var names []string
	for _, it := range list.Items {
		names = append(names, it.Metadata.Name)
	}
	slices.Sort(names)
	return names
}

func widgetsPath(group, ns string) string {
	return "/apis/" + group + "/v1/namespaces/" + ns + "/widgets"
}

func widgetBody(group, name string, size int) []byte {
	return fmt.Appendf(nil, `{"apiVersion":"%s/v1","kind":"Widget","metadata":{"name":%q},"spec":{"size":%d}}`, group, name, size)
}

// othersStillServe checks, after a bad definition, that ConfigMaps and the
// good definition's Widgets are still created, read and listed, and the
// discovery of the good group still names widgets.
func (a crdAPI) othersStillServe(group, suffix string) {
	a.t.Helper()
	cms := "/api/v1/namespaces/default/configmaps"
	a.expect(http.StatusCreated, http.MethodPost, cms, fmt.Appendf(nil, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%s"}}`, suffix))
	a.expect(http.StatusOK, http.MethodGet, cms+"/cm-"+suffix, nil)
	widgets := widgetsPath(group, "default")
	a.expect(http.StatusCreated, http.MethodPost, widgets, widgetBody(group, "w-"+suffix, 2))
	a.expect(http.StatusOK, http.MethodGet, widgets+"/w-"+suffix, nil)
	if got := a.names(widgets); !slices.Contains(got, "w-good") || !slices.Contains(got, "w-"+suffix) {
		a.t.Errorf("widgets = %v, want w-good and w-%s among them", got, suffix)
	}
	if got := a.expect(http.StatusOK, http.MethodGet, "/apis/"+group+"/v1", nil); !bytes.Contains(got, []byte(`"widgets"`)) {
		a.t.Errorf("discovery of %s/v1 lacks widgets: %s", group, got)
	}
}

// badDefinitions are definitions kube-apiserver refuses with 422, each
// with the field its first cause names.
var badDefinitions = []struct {
	name, manifest, field string
}{
	{"name not plural.group", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: wrong.bad.example.com}
spec:
  group: bad.example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`, "metadata.name"},
	{"no storage version", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.bad.example.com}
spec:
  group: bad.example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: false, schema: {openAPIV3Schema: {type: object}}}]
`, "spec.versions"},
	{"non-structural schema", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.bad.example.com}
spec:
  group: bad.example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {properties: {size: {type: integer}}}
`, "spec.validation.openAPIV3Schema.properties[spec].type"},
	{"default its own schema refuses", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.bad.example.com}
spec:
  group: bad.example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer, minimum: 1, default: 0}}}
`, "spec.validation.openAPIV3Schema.properties[spec].properties[size].default"},
}

// TestBadDefinitionsLeaveOthersServing creates a good definition, then
// definitions that are refused, one whose schema no object can satisfy and
// one whose kind is taken: after each, ConfigMaps and the good Widgets
// still work.
func TestBadDefinitionsLeaveOthersServing(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	const group = "good.example.com"
	if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
		t.Fatalf("creating the good definition = %d %+v", code, s)
	}
	a.waitServed(widgetsPath(group, "default"))
	a.expect(http.StatusCreated, http.MethodPost, widgetsPath(group, "default"), widgetBody(group, "w-good", 1))

	for i, tc := range badDefinitions {
		t.Run(tc.name, func(t *testing.T) {
			a := newCRDAPI(t, p)
			code, s := a.createDefinition(tc.manifest)
			if code != http.StatusUnprocessableEntity || s.Reason != "Invalid" {
				t.Fatalf("create = %d %+v, want 422 Invalid", code, s)
			}
			if len(s.Details.Causes) == 0 || s.Details.Causes[0].Field != tc.field {
				t.Errorf("causes %+v, want the first on %s", s.Details.Causes, tc.field)
			}
			a.expect(http.StatusNotFound, http.MethodGet, definitionsPath+"/gadgets.bad.example.com", nil)
			a.expect(http.StatusNotFound, http.MethodGet, "/apis/bad.example.com/v1", nil)
			a.othersStillServe(group, fmt.Sprint("bad", i))
		})
	}

	t.Run("every object invalid", func(t *testing.T) {
		// Accepted (kube does not check that minLength ≤ maxLength), in
		// the good definition's group, so the two share a group version.
		a := newCRDAPI(t, p)
		code, s := a.createDefinition(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.` + group + `}
spec:
  group: ` + group + `
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        required: [spec]
        properties:
          spec:
            type: object
            required: [never]
            properties: {never: {type: string, minLength: 2, maxLength: 1}}
`)
		if code != http.StatusCreated {
			t.Fatalf("create = %d %+v, want 201", code, s)
		}
		gadgets := "/apis/" + group + "/v1/namespaces/default/gadgets"
		a.waitServed(gadgets)
		for _, spec := range []string{``, `,"spec":{}`, `,"spec":{"never":"a"}`, `,"spec":{"never":"ab"}`} {
			obj := `{"apiVersion":"` + group + `/v1","kind":"Gadget","metadata":{"name":"g"}` + spec + `}`
			a.expect(http.StatusUnprocessableEntity, http.MethodPost, gadgets, []byte(obj))
		}
		a.othersStillServe(group, "impossible")
		if got := a.expect(http.StatusOK, http.MethodGet, "/apis/"+group+"/v1", nil); !bytes.Contains(got, []byte(`"gadgets"`)) {
			t.Errorf("discovery of %s/v1 lacks gadgets: %s", group, got)
		}
	})

	t.Run("kind taken", func(t *testing.T) {
		a := newCRDAPI(t, p)
		code, s := a.createDefinition(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.` + group + `}
spec:
  group: ` + group + `
  names: {kind: Widget, plural: gizmos}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`)
		if code != http.StatusCreated {
			t.Fatalf("create = %d %+v, want 201", code, s)
		}
		// Kind and listKind (WidgetList, defaulted) are both taken; like
		// kube-apiserver, the condition names the last conflict checked.
		waitUntil(t, 10*time.Second, "NamesAccepted False with ListKindConflict", func() bool {
			return conditionReason(a, "gizmos."+group, "NamesAccepted") == "False/ListKindConflict"
		})
		if got := conditionReason(a, "gizmos."+group, "Established"); got == "True/InitialNamesAccepted" {
			t.Errorf("a definition whose kind is taken is established")
		}
		a.expect(http.StatusNotFound, http.MethodGet, "/apis/"+group+"/v1/namespaces/default/gizmos", nil)
		a.othersStillServe(group, "conflict")
	})
}

// conditionReason is "Status/Reason" of a definition's condition, or ""
// while it has none.
func conditionReason(a crdAPI, name, condition string) string {
	a.t.Helper()
	var crd struct {
		Status struct {
			Conditions []struct{ Type, Status, Reason string }
		}
	}
	if err := json.Unmarshal(a.expect(http.StatusOK, http.MethodGet, definitionsPath+"/"+name, nil), &crd); err != nil {
		a.t.Fatal(err)
	}
	for _, c := range crd.Status.Conditions {
		if c.Type == condition {
			return c.Status + "/" + c.Reason
		}
	}
	return ""
}

// TestDefinitionInBuiltinGroup creates definitions in the
// apiextensions.k8s.io group the server serves itself (an admin may, with
// the api-approved.kubernetes.io annotation): whether refused or accepted,
// the definitions API and the other definitions must keep working, as in
// kube-apiserver, whose built-in group versions take precedence.
func TestDefinitionInBuiltinGroup(t *testing.T) {
	for _, tc := range []struct {
		name, plural, version string
	}{
		// Once replaced the apiextensions.k8s.io/v1 group version, so
		// customresourcedefinitions answered 404.
		{"another resource in apiextensions.k8s.io/v1", "shadows", "v1"},
		// Once deleted every stored definition: its objects' storage
		// prefix is the definitions' own.
		{"customresourcedefinitions in a new version", "customresourcedefinitions", "v9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startBinary(t, "", nil)
			a := newCRDAPI(t, p)
			const group = "kept.example.com"
			if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
				t.Fatalf("creating the good definition = %d %+v", code, s)
			}
			a.waitServed(widgetsPath(group, "default"))
			a.expect(http.StatusCreated, http.MethodPost, widgetsPath(group, "default"), widgetBody(group, "w-good", 1))
			name := tc.plural + ".apiextensions.k8s.io"
			code, s := a.createDefinition(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ` + name + `
  annotations: {api-approved.kubernetes.io: "https://github.com/kubernetes/kubernetes/pull/1"}
spec:
  group: apiextensions.k8s.io
  names: {kind: Shadow, plural: ` + tc.plural + `}
  scope: Cluster
  versions: [{name: ` + tc.version + `, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}]
`)
			t.Logf("creating %s: %d %s", name, code, s.Message)
			// The controller acts on a definition within ~30 ms; whatever it
			// does to this one is done after a second.
			time.Sleep(time.Second)
			if got := a.names(definitionsPath); !slices.Contains(got, "widgets."+group) {
				t.Fatalf("definitions = %v, want widgets.%s among them", got, group)
			}
			a.othersStillServe(group, "builtin")
		})
	}
}

// timings are the latencies of one kind of request.
type timings []time.Duration

func (ts timings) median() time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

// timeEach makes n requests, the i-th being req(i), expects want of each,
// and times them one after the other.
func (a crdAPI) timeEach(n, want int, method string, req func(i int) (path string, body []byte)) timings {
	a.t.Helper()
	ts := make(timings, 0, n)
	for i := range n {
		path, body := req(i)
		start := time.Now()
		a.expect(want, method, path, body)
		ts = append(ts, time.Since(start))
	}
	return ts
}

// smallTimings are the medians of list, get and create of the small
// definition.
type smallTimings struct{ list, get, create time.Duration }

func (s smallTimings) String() string {
	return fmt.Sprintf("list of 10 %s, get %s, create %s", s.list, s.get, s.create)
}

// measureSmall times lists of the 10 Widgets of group in default, gets of
// them, and creates in namespace creates (so that the list stays 10 long),
// named after round.
func (a crdAPI) measureSmall(group, round string) smallTimings {
	a.t.Helper()
	const n = 40
	list := widgetsPath(group, "default")
	return smallTimings{
		list: a.timeEach(n, http.StatusOK, http.MethodGet, func(int) (string, []byte) { return list, nil }).median(),
		get: a.timeEach(n, http.StatusOK, http.MethodGet, func(i int) (string, []byte) {
			return fmt.Sprintf("%s/b-%02d", list, i%10), nil
		}).median(),
		create: a.timeEach(n/2, http.StatusCreated, http.MethodPost, func(i int) (string, []byte) {
			return widgetsPath(group, "creates"), widgetBody(group, fmt.Sprintf("%s-%02d", round, i), 1)
		}).median(),
	}
}

// watchEvents watches path from resourceVersion rv and sends "TYPE name"
// of each event to the returned channel until the test ends.
func (a crdAPI) watchEvents(path, rv string) <-chan string {
	a.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.p.URL+path+"?watch=true&resourceVersion="+rv, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		cancel()
		a.t.Fatalf("watching %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		a.t.Fatalf("watching %s: %d %s", path, resp.StatusCode, body)
	}
	events := make(chan string, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ev struct {
				Type   string
				Object struct{ Metadata struct{ Name string } }
			}
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				select {
				case events <- ev.Type + " " + ev.Object.Metadata.Name:
				default: // more than the test reads: it fails anyway
				}
			}
		}
	}()
	a.t.Cleanup(func() {
		cancel()
		<-done
	})
	return events
}

// TestThousandInstancesDoNotSlowAnother fills one definition with 1,000
// objects and checks that list, get and create of another, small one are
// about as fast as before, and that a watch of the small one sees none of
// them. Only a generous bound is asserted, for loaded CI machines; the
// figures are logged.
func TestThousandInstancesDoNotSlowAnother(t *testing.T) {
	p := startBinary(t, "", nil)
	a := newCRDAPI(t, p)
	const big, small = "big.example.com", "small.example.com"
	for _, g := range []string{big, small} {
		if code, s := a.createDefinition(widgetCRD(g)); code != http.StatusCreated {
			t.Fatalf("creating widgets.%s = %d %+v", g, code, s)
		}
	}
	a.expect(http.StatusCreated, http.MethodPost, "/api/v1/namespaces", []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"creates"}}`))
	a.waitServed(widgetsPath(big, "default"))
	a.waitServed(widgetsPath(small, "default"))
	for i := range 10 {
		a.expect(http.StatusCreated, http.MethodPost, widgetsPath(small, "default"), widgetBody(small, fmt.Sprintf("b-%02d", i), 1))
	}
	a.measureSmall(small, "warmup")
	before := a.measureSmall(small, "before")
	t.Logf("before: %s", before)

	listed := a.expect(http.StatusOK, http.MethodGet, widgetsPath(small, "default"), nil)
	var list struct {
		Metadata struct{ ResourceVersion string }
	}
	if err := json.Unmarshal(listed, &list); err != nil {
		t.Fatal(err)
	}
	events := a.watchEvents(widgetsPath(small, "default"), list.Metadata.ResourceVersion)

	const n = 1000
	start := time.Now()
	parallel(t, n, func(i int) error {
		code, body, err := a.send(http.MethodPost, widgetsPath(big, "default"), widgetBody(big, fmt.Sprintf("a-%04d", i), i+1))
		if err == nil && code != http.StatusCreated {
			err = fmt.Errorf("creating a-%04d: %d %s", i, code, body)
		}
		return err
	})
	t.Logf("created %d widgets.%s in %s", n, big, time.Since(start).Round(time.Millisecond))

	after := a.measureSmall(small, "after")
	t.Logf("after:  %s", after)
	// A load spike can slow one round; a server that scans the big
	// definition's objects slows every round.
	if !within(before, after) {
		again := a.measureSmall(small, "again")
		t.Logf("again:  %s", again)
		after = smallTimings{list: min(after.list, again.list), get: min(after.get, again.get), create: min(after.create, again.create)}
	}
	for _, c := range []struct {
		op            string
		before, after time.Duration
	}{{"list", before.list, after.list}, {"get", before.get, after.get}} {
		if c.after > 5*c.before || c.after > 100*time.Millisecond {
			t.Errorf("%s of the small definition: median %s with 1,000 other objects, %s before; want under 5× and 100 ms", c.op, c.after, c.before)
		}
	}
	if got := a.names(widgetsPath(small, "default")); len(got) != 10 {
		t.Errorf("the small definition lists %d objects in default, want its 10: %v", len(got), got)
	}
	a.expect(http.StatusCreated, http.MethodPost, widgetsPath(small, "default"), widgetBody(small, "b-last", 1))
	select {
	case ev := <-events:
		if ev != "ADDED b-last" {
			t.Errorf("the small definition's watch got %q first, want ADDED b-last", ev)
		}
	case <-time.After(10 * time.Second):
		t.Error("the small definition's watch got nothing in 10s")
	}
}

func within(before, after smallTimings) bool {
	return after.list <= 5*before.list && after.list <= 100*time.Millisecond &&
		after.get <= 5*before.get && after.get <= 100*time.Millisecond
}

// TestNewDefinitionIgnoresLeftovers writes objects straight into etcd under
// the storage keys of a definition that does not exist (as an older
// definition of the same name would have left them, were the server
// stopped while deleting it, or etcd restored from a backup), then creates
// the definition: it must serve none of them.
func TestNewDefinitionIgnoresLeftovers(t *testing.T) {
	ext := etcdtest.StartExternal(t)
	p := startBinary(t, "", nil, "--etcd-servers", ext.Config.Servers[0])
	etcd := etcdtest.NewClient(t, ext.Config)
	object := func(group, ns, name, extraMeta string) string {
		return `{"apiVersion":"` + group + `/v1","kind":"Widget","metadata":{"name":"` + name + `","namespace":"` + ns +
			`","uid":"6f1d7e1c-0000-4000-8000-000000000001","creationTimestamp":"2020-01-01T00:00:00Z"` + extraMeta + `},"spec":{"size":3}}`
	}
	for i, tc := range []struct {
		name      string
		ns        string
		extraMeta string // more metadata fields
		raw       string // the value, instead of an object, if not empty
	}{
		{name: "plain object", ns: "default"},
		{name: "in a namespace that does not exist", ns: "gone"},
		// A finalizer does not keep a leftover: it belongs to no object.
		{name: "with a finalizer", ns: "default", extraMeta: `,"finalizers":["example.com/hold"]`},
		// Leftovers are removed without being read.
		{name: "not JSON", ns: "default", raw: "\x00\x01 not an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newCRDAPI(t, p)
			group := fmt.Sprintf("leftover%d.example.com", i)
			key := "/registry/" + group + "/widgets/" + tc.ns + "/old"
			value := tc.raw
			if value == "" {
				value = object(group, tc.ns, "old", tc.extraMeta)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			if _, err := etcd.Put(ctx, key, value); err != nil {
				t.Fatalf("writing %s: %v", key, err)
			}
			if code, s := a.createDefinition(widgetCRD(group)); code != http.StatusCreated {
				t.Fatalf("creating widgets.%s = %d %+v", group, code, s)
			}
			waitUntil(t, 10*time.Second, "definition established", func() bool {
				return conditionReason(a, "widgets."+group, "Established") == "True/InitialNamesAccepted"
			})
			a.waitServed(widgetsPath(group, "default"))
			if got := a.names("/apis/" + group + "/v1/widgets"); len(got) != 0 {
				t.Errorf("the new definition lists %v, want nothing", got)
			}
			if code, body, err := a.send(http.MethodGet, widgetsPath(group, tc.ns)+"/old", nil); err != nil || code != http.StatusNotFound {
				t.Errorf("GET of the leftover = %d %s %v, want 404", code, body, err)
			}
			resp, err := etcd.Get(ctx, key, clientv3.WithCountOnly())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("leftover key still in etcd: %t", resp.Count > 0)
			// The definition serves new objects of that name.
			a.expect(http.StatusCreated, http.MethodPost, widgetsPath(group, "default"), widgetBody(group, "old", 1))
		})
	}
}
