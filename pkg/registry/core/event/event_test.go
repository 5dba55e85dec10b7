package event

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/apiserver/apiserver/pkg/registry/core/internal/coretest"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables/tablestest"
)

// Causes below are kube-apiserver 1.31's answers to the same requests,
// pasted from its 422 Status.
const qualifiedMsg = `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`

func TestTypeInfo(t *testing.T) {
	// kube-apiserver 1.31 discovery: {"name":"events","singularName":"event","namespaced":true,"kind":"Event",
	// "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["ev"]}
	want := rest.ResourceInfo{
		GroupVersionResource: corev1.SchemeGroupVersion.WithResource("events"),
		Kind:                 "Event", ListKind: "EventList", Singular: "event", ShortNames: []string{"ev"}, Namespaced: true,
		Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
	}
	typ := Type()
	if !reflect.DeepEqual(typ.Info, want) {
		t.Errorf("Info = %+v, want %+v", typ.Info, want)
	}
	if _, ok := typ.New().(*corev1.Event); !ok {
		t.Errorf("New() = %T", typ.New())
	}
	if _, ok := typ.NewList().(*corev1.EventList); !ok {
		t.Errorf("NewList() = %T", typ.NewList())
	}
	if !typ.Strategy.AllowCreateOnUpdate() || !typ.Strategy.AllowUnconditionalUpdate() {
		t.Error("events: PUT may create and may skip resourceVersion")
	}
}

// kube-apiserver 1.31 answered 200 to fieldSelector=<f>=x for each of
// these, and 400 "field label not supported" to reportingController,
// message and count.
func TestSelectableFieldsAreKubes(t *testing.T) {
	want := []string{
		"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
		"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
		"reason", "reportingComponent", "source", "type",
	}
	if !reflect.DeepEqual(Type().SelectableFields, want) {
		t.Errorf("SelectableFields = %v", Type().SelectableFields)
	}
	_, f, err := Attrs(&corev1.Event{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(want, "metadata.name", "metadata.namespace") {
		if _, ok := f[k]; !ok {
			t.Errorf("Attrs has no %s", k)
		}
	}
	if len(f) != len(want)+2 {
		t.Errorf("Attrs has %d fields, want %d", len(f), len(want)+2)
	}
}

func TestAttrs(t *testing.T) {
	e := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: "default", Labels: map[string]string{"a": "b"}},
		InvolvedObject: corev1.ObjectReference{
			Kind: "Pod", Namespace: "default", Name: "p1", UID: "u1", APIVersion: "v1", ResourceVersion: "7", FieldPath: "spec.containers{app}",
		},
		Reason: "Pulled", Type: "Normal", ReportingController: "ctrl.io/x",
	}
	l, f, err := Type().Attrs(e)
	if err != nil {
		t.Fatal(err)
	}
	want := fields.Set{
		"metadata.name": "e1", "metadata.namespace": "default",
		"involvedObject.kind": "Pod", "involvedObject.namespace": "default", "involvedObject.name": "p1",
		"involvedObject.uid": "u1", "involvedObject.apiVersion": "v1", "involvedObject.resourceVersion": "7",
		"involvedObject.fieldPath": "spec.containers{app}", "reason": "Pulled", "type": "Normal",
		// kube: fieldSelector=source=ctrl.io/x finds an event with only reportingComponent set.
		"reportingComponent": "ctrl.io/x", "source": "ctrl.io/x",
	}
	if !reflect.DeepEqual(l, labels.Set{"a": "b"}) || !reflect.DeepEqual(f, want) {
		t.Errorf("Attrs = %v\n%v", l, f)
	}
	e.Source.Component = "kubelet"
	if _, f, _ := Attrs(e); f["source"] != "kubelet" {
		t.Errorf("source = %q, want kubelet", f["source"])
	}
	if _, _, err := Attrs(&corev1.Secret{}); err == nil {
		t.Error("Attrs of a Secret: no error")
	}
}

func ev(namespace string, involved corev1.ObjectReference) *corev1.Event {
	return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: namespace}, InvolvedObject: involved}
}

func newStyleEvent(namespace string, involved corev1.ObjectReference, controller, instance, action, reason, message string) *corev1.Event {
	e := ev(namespace, involved)
	e.EventTime = metav1.NewMicroTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	e.ReportingController, e.ReportingInstance, e.Action, e.Reason, e.Message = controller, instance, action, reason, message
	return e
}

func TestValidate(t *testing.T) {
	pod := corev1.ObjectReference{Kind: "Pod", Name: "p1", Namespace: "default"}
	node := corev1.ObjectReference{Kind: "Node", Name: "n1"}
	tests := []struct {
		name string
		obj  *corev1.Event
		want []string
	}{
		{name: "old style", obj: ev("default", pod)},
		{name: "old style, cluster object in default", obj: ev("default", node)},
		{
			name: "old style, other namespace",
			obj:  ev("default", corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: "other"}),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"other\": does not match event.namespace","field":"involvedObject.namespace"}`},
		},
		{
			name: "old style, cluster object outside default",
			obj:  ev("kube-system", node),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": does not match event.namespace","field":"involvedObject.namespace"}`},
		},
		{name: "new style", obj: newStyleEvent("default", pod, "ctrl.io/x", "i", "Do", "R", "")},
		{name: "new style, cluster object in kube-system", obj: newStyleEvent("kube-system", node, "ctrl.io/x", "i", "Do", "R", "")},
		{
			name: "new style, cluster object elsewhere",
			obj:  newStyleEvent("other", node, "ctrl.io/x", "i", "Do", "R", ""),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": does not match event.namespace","field":"involvedObject.namespace"}`},
		},
		{
			name: "new style, nothing set",
			obj:  newStyleEvent("default", pod, "", "", "", "", ""),
			want: []string{
				`{"reason":"FieldValueRequired","message":"Required value","field":"reportingComponent"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": name part must be non-empty","field":"reportingComponent"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": ` + qualifiedMsg + `","field":"reportingComponent"}`,
				`{"reason":"FieldValueRequired","message":"Required value","field":"reportingInstance"}`,
				`{"reason":"FieldValueRequired","message":"Required value","field":"action"}`,
				`{"reason":"FieldValueRequired","message":"Required value","field":"reason"}`,
			},
		},
		{
			name: "new style, too long",
			obj: newStyleEvent("default", node, "bad controller", strings.Repeat("i", 129), strings.Repeat("a", 129),
				strings.Repeat("r", 129), strings.Repeat("m", 1025)),
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad controller\": ` + qualifiedMsg + `","field":"reportingComponent"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": can have at most 128 characters","field":"reportingInstance"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": can have at most 128 characters","field":"action"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": can have at most 128 characters","field":"reason"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": can have at most 1024 characters","field":"message"}`,
			},
		},
		{
			name: "new style, at the limits",
			obj: newStyleEvent("default", pod, "ctrl.io/x", strings.Repeat("i", 128), strings.Repeat("a", 128),
				strings.Repeat("r", 128), strings.Repeat("m", 1024)),
		},
		{
			name: "namespace",
			obj:  ev("Bad_NS", corev1.ObjectReference{Namespace: "Bad_NS"}),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"Bad_NS\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')","field":"namespace"}`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Type().Strategy
			coretest.ExpectCauses(t, s.Validate(context.Background(), tc.obj), tc.want...)
			// Updates through core/v1 are validated the same way, whatever changed.
			coretest.ExpectCauses(t, s.ValidateUpdate(context.Background(), tc.obj, ev("default", pod)), tc.want...)
		})
	}
}

func TestGenerationNeverBumped(t *testing.T) {
	if Type().Strategy.(rest.GenerationPolicy).SpecChanged(&corev1.Event{Reason: "a"}, &corev1.Event{}) {
		t.Error("an event's generation does not move in kube-apiserver")
	}
}

func TestTable(t *testing.T) {
	tablestest.ExpectColumns(t, Table().Columns, "testdata/kube-1.31-columns.json")
	ago := func(d time.Duration) metav1.Time { return metav1.NewTime(time.Now().Add(-d)) }
	microAgo := func(d time.Duration) metav1.MicroTime { return metav1.NewMicroTime(time.Now().Add(-d)) }
	// The same events kube-apiserver printed as (times then 2y329d ago):
	//   ["2y329d","Normal","Pulled","pod/p1","spec.containers{app}","kubelet, node1","image pulled","2y329d",3,"ev-a"]
	//   ["2y329d","Warning","X","node","","","","2y329d",1,"ev-b"]
	//   ["2y329d","Normal","R","deployment/d","","ctrl.io/x, inst-1","","2y329d",5,"ev-c"]
	//   ["<unknown>","","","","","","","<unknown>",1,"ev-d"]
	//   ["2y329d","","","pod/q","","rc, h","","<unknown>",1,"ev-e"]
	tests := []struct {
		name string
		obj  *corev1.Event
		want string
	}{
		{
			name: "old style",
			obj: &corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Name: "ev-a"},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "p1", FieldPath: "spec.containers{app}"},
				Reason:         "Pulled", Message: "  image pulled \n", Type: "Normal",
				Source:         corev1.EventSource{Component: "kubelet", Host: "node1"},
				FirstTimestamp: ago(30 * time.Minute), LastTimestamp: ago(20 * time.Minute), Count: 3,
			},
			want: `["20m","Normal","Pulled","pod/p1","spec.containers{app}","kubelet, node1","image pulled","30m",3,"ev-a"]`,
		},
		{
			name: "no count, no last seen, no name",
			obj: &corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Name: "ev-b"},
				InvolvedObject: corev1.ObjectReference{Kind: "Node"},
				Reason:         "X", Type: "Warning", FirstTimestamp: ago(30 * time.Minute),
			},
			want: `["30m","Warning","X","node","","","","30m",1,"ev-b"]`,
		},
		{
			name: "new style with series",
			obj: &corev1.Event{
				ObjectMeta:          metav1.ObjectMeta{Name: "ev-c"},
				InvolvedObject:      corev1.ObjectReference{Kind: "Deployment", Name: "d"},
				EventTime:           microAgo(30 * time.Minute),
				ReportingController: "ctrl.io/x", ReportingInstance: "inst-1", Action: "Do", Reason: "R", Type: "Normal",
				Series: &corev1.EventSeries{Count: 5, LastObservedTime: microAgo(20 * time.Minute)},
			},
			want: `["20m","Normal","R","deployment/d","","ctrl.io/x, inst-1","","30m",5,"ev-c"]`,
		},
		{
			name: "nothing",
			obj:  &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "ev-d"}},
			want: `["\u003cunknown\u003e","","","","","","","\u003cunknown\u003e",1,"ev-d"]`,
		},
		{
			name: "host and reportingComponent only",
			obj: &corev1.Event{
				ObjectMeta:     metav1.ObjectMeta{Name: "ev-e"},
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "q"},
				Source:         corev1.EventSource{Host: "h"}, ReportingController: "rc",
				LastTimestamp: ago(20 * time.Minute),
			},
			want: `["20m","","","pod/q","","rc, h","","\u003cunknown\u003e",1,"ev-e"]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			table, err := Type().Table.ConvertToTable(context.Background(), tc.obj, &metav1.TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tablestest.CellsJSON(t, table.Rows[0].Cells); got != tc.want {
				t.Errorf("cells =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
