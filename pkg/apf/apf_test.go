package apf

import (
	"context"
	"fmt"
	"testing"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/flowcontrol/flowschema"
	"github.com/apiserver/apiserver/pkg/registry/flowcontrol/prioritylevelconfiguration"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

type fixture struct {
	catalog        *rest.Catalog
	levels, schema *generic.Store
}

// newFixture serves both resources (and flowschemas/status) over a real
// etcd, as the server declares them.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	store := func(ty rest.Type, sub string) *generic.Store {
		s, err := generic.NewStore(backend, ty, nil, sub)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f := &fixture{catalog: rest.NewCatalog(), levels: store(prioritylevelconfiguration.Type(), ""), schema: store(flowschema.Type(), "")}
	schemas := f.schema.Declaration()
	schemas.Subresources = []rest.Subresource{{Name: "status", Storage: store(flowschema.StatusType(), "status"), Verbs: []string{"get", "patch", "update"}}}
	f.catalog.Set(rest.GroupVersion{GroupVersion: flowcontrolv1.SchemeGroupVersion, Resources: []rest.Resource{f.levels.Declaration(), schemas}}, true)
	return f
}

func (f *fixture) schemaNamed(t *testing.T, name string) *flowcontrolv1.FlowSchema {
	t.Helper()
	obj, err := f.schema.Get(t.Context(), "", name, &metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return obj.(*flowcontrolv1.FlowSchema)
}

// TestEnsure: the bootstrap objects appear, twice is harmless, and a
// changed spec of an auto-updated object is put back.
func TestEnsure(t *testing.T) {
	f := newFixture(t)
	for range 2 {
		if err := Ensure(t.Context(), f.catalog); err != nil {
			t.Fatal(err)
		}
	}
	b, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.PriorityLevelConfigurations) != 8 || len(b.FlowSchemas) != 13 {
		t.Fatalf("bootstrap: %d levels, %d schemas", len(b.PriorityLevelConfigurations), len(b.FlowSchemas))
	}
	list, err := f.schema.List(t.Context(), "", &metav1.ListOptions{})
	if err != nil || len(list.(*flowcontrolv1.FlowSchemaList).Items) != 13 {
		t.Fatalf("schemas after Ensure: %v %v", list, err)
	}
	_, _, err = f.schema.Update(t.Context(), "", "global-default", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		fs := cur.(*flowcontrolv1.FlowSchema).DeepCopy()
		fs.Spec.MatchingPrecedence = 42
		return fs, nil
	}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ensure(t.Context(), f.catalog); err != nil {
		t.Fatal(err)
	}
	if p := f.schemaNamed(t, "global-default").Spec.MatchingPrecedence; p != 9900 {
		t.Errorf("auto-updated spec: precedence %d, want 9900", p)
	}
}

// TestDangling: each schema's condition follows whether its level exists.
func TestDangling(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, f.catalog) }()
	defer func() { cancel(); <-done }()
	fs := &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: flowcontrolv1.FlowSchemaSpec{
		PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "l"}, MatchingPrecedence: 5}}
	if _, err := f.schema.Create(t.Context(), "", fs, false); err != nil {
		t.Fatal(err)
	}
	wait := func(status flowcontrolv1.ConditionStatus) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var got []string
			for _, c := range f.schemaNamed(t, "s").Status.Conditions {
				got = append(got, fmt.Sprint(c.Type, c.Status))
				if c.Type == flowcontrolv1.FlowSchemaConditionDangling && c.Status == status && c.Message == Dangling("l", status == flowcontrolv1.ConditionTrue).Message {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("conditions %v, want Dangling %s", got, status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait(flowcontrolv1.ConditionTrue)
	level := &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "l"}, Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
		Type: flowcontrolv1.PriorityLevelEnablementLimited, Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject}}}}
	if _, err := f.levels.Create(t.Context(), "", level, false); err != nil {
		t.Fatal(err)
	}
	wait(flowcontrolv1.ConditionFalse)
	if _, _, err := f.levels.Delete(t.Context(), "", "l", &metav1.DeleteOptions{}, false); err != nil {
		t.Fatal(err)
	}
	wait(flowcontrolv1.ConditionTrue)
}
