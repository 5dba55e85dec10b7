package generic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/coordination/lease"
	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// recorder is an admission plugin that records what it sees and can refuse
// or label in either phase.
type recorder struct {
	mu     sync.Mutex
	seen   []admission.Attributes
	refuse string // "admit" or "validate"
	label  bool
}

func (r *recorder) Admit(_ context.Context, a *admission.Attributes) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, *a)
	if r.refuse == "admit" {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New("refused by admit"))
	}
	if cm, ok := a.Object.(*corev1.ConfigMap); ok && r.label {
		if cm.Labels == nil {
			cm.Labels = map[string]string{}
		}
		cm.Labels["admitted"] = "yes"
	}
	return nil
}

func (r *recorder) Validate(_ context.Context, a *admission.Attributes) error {
	if r.refuse == "validate" {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New("refused by validate"))
	}
	return nil
}

func (r *recorder) ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, a := range r.seen {
		out = append(out, string(a.Operation))
	}
	return out
}

func newStore(t *testing.T, plugin admission.Interface) *generic.Store {
	t.Helper()
	return newTypeStore(t, configmap.Type(), plugin)
}

func newTypeStore(t *testing.T, ty rest.Type, plugin admission.Interface) *generic.Store {
	t.Helper()
	backend, err := etcd3.OpenBackend(t.Context(), etcdtest.StartEmbedded(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { backend.Close() })
	s, err := generic.NewStore(backend, ty, plugin, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func cm(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}
}

func replace(obj runtime.Object) func(context.Context, runtime.Object) (runtime.Object, error) {
	return func(context.Context, runtime.Object) (runtime.Object, error) { return obj.DeepCopyObject(), nil }
}

func TestAdmissionOnCreate(t *testing.T) {
	rec := &recorder{label: true}
	s := newStore(t, rec)
	alice := &user.Info{Name: "alice", Groups: []string{"devs"}}
	ctx := request.WithUser(t.Context(), alice)

	out, err := s.Create(ctx, "ns", cm("dry"), true)
	if err != nil {
		t.Fatal(err)
	}
	if out.(*corev1.ConfigMap).Labels["admitted"] != "yes" {
		t.Errorf("dry run answer lacks the mutating plugin's label: %v", out.(*corev1.ConfigMap).Labels)
	}
	if _, err := s.Get(ctx, "ns", "dry", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("a dry-run create was stored: %v", err)
	}
	if _, err := s.Create(ctx, "ns", cm("real"), false); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "ns", "real", &metav1.GetOptions{})
	if err != nil || got.(*corev1.ConfigMap).Labels["admitted"] != "yes" {
		t.Fatalf("stored object: %v, %v", got, err)
	}
	if len(rec.seen) != 2 {
		t.Fatalf("admission saw %d writes, want 2", len(rec.seen))
	}
	a := rec.seen[1]
	if a.Operation != admission.Create || a.Namespace != "ns" || a.Name != "real" || a.User != alice || a.DryRun ||
		a.Kind.Kind != "ConfigMap" || a.Resource.Resource != "configmaps" || a.OldObject != nil {
		t.Errorf("attributes = %+v", a)
	}
	if !rec.seen[0].DryRun {
		t.Error("the dry-run create was not marked DryRun")
	}
}

func TestAdmissionRefusalWritesNothing(t *testing.T) {
	for _, phase := range []string{"admit", "validate"} {
		t.Run(phase, func(t *testing.T) {
			rec := &recorder{}
			s := newStore(t, rec)
			if _, err := s.Create(t.Context(), "ns", cm("a"), false); err != nil {
				t.Fatal(err)
			}
			rec.refuse = phase
			if _, err := s.Create(t.Context(), "ns", cm("b"), false); !apierrors.IsForbidden(err) {
				t.Errorf("create: %v, want Forbidden", err)
			}
			changed := cm("a")
			changed.Data["k"] = "changed"
			if _, _, err := s.Update(t.Context(), "ns", "a", replace(changed), false, false); !apierrors.IsForbidden(err) {
				t.Errorf("update: %v, want Forbidden", err)
			}
			if _, _, err := s.Delete(t.Context(), "ns", "a", &metav1.DeleteOptions{}, false); !apierrors.IsForbidden(err) {
				t.Errorf("delete: %v, want Forbidden", err)
			}
			got, err := s.Get(t.Context(), "ns", "a", &metav1.GetOptions{})
			if err != nil || got.(*corev1.ConfigMap).Data["k"] != "v" {
				t.Errorf("after refusals: %v, %v", got, err)
			}
			if _, err := s.Get(t.Context(), "ns", "b", &metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("refused create stored: %v", err)
			}
		})
	}
}

// Admission runs inside the update retry loop: when another write lands
// between the read and the compare-and-swap, the plugins see the fresh
// object on the retry.
func TestAdmissionRunsAgainOnConflict(t *testing.T) {
	rec := &recorder{}
	s := newStore(t, rec)
	if _, err := s.Create(t.Context(), "ns", cm("a"), false); err != nil {
		t.Fatal(err)
	}
	calls := 0
	_, _, err := s.Update(t.Context(), "ns", "a", func(ctx context.Context, current runtime.Object) (runtime.Object, error) {
		calls++
		if calls == 1 {
			// Another client writes first.
			other := current.DeepCopyObject().(*corev1.ConfigMap)
			other.Data["other"] = "x"
			if _, _, err := s.Update(ctx, "ns", "a", replace(other), false, false); err != nil {
				return nil, err
			}
		}
		next := current.DeepCopyObject().(*corev1.ConfigMap)
		next.ResourceVersion = ""
		next.Data["mine"] = "y"
		return next, nil
	}, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("update function ran %d times, want 2", calls)
	}
	got, _ := s.Get(t.Context(), "ns", "a", &metav1.GetOptions{})
	if d := got.(*corev1.ConfigMap).Data; d["other"] != "x" || d["mine"] != "y" {
		t.Errorf("data = %v: a write was lost", d)
	}
	last := rec.seen[len(rec.seen)-1]
	if last.Operation != admission.Update || last.OldObject.(*corev1.ConfigMap).Data["other"] != "x" {
		t.Errorf("the retry's admission saw old object %v", last.OldObject)
	}
	if got, want := strings.Join(rec.ops(), ","), "CREATE,UPDATE,UPDATE,UPDATE"; got != want {
		t.Errorf("admission operations = %s, want %s", got, want)
	}
}

func TestAdmissionOnDelete(t *testing.T) {
	rec := &recorder{}
	s := newStore(t, rec)
	if _, err := s.Create(t.Context(), "ns", cm("a"), false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Delete(t.Context(), "ns", "a", &metav1.DeleteOptions{}, true); err != nil {
		t.Fatal(err)
	}
	last := rec.seen[len(rec.seen)-1]
	if last.Operation != admission.Delete || last.Object != nil || last.OldObject == nil || !last.DryRun || last.Name != "a" {
		t.Errorf("delete attributes = %+v", last)
	}
}

func TestEmptyListHasItems(t *testing.T) {
	s := newStore(t, nil)
	list, err := s.List(t.Context(), "ns", &metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(list)
	if !strings.Contains(string(data), `"items":[]`) {
		t.Errorf("empty list = %s, want \"items\":[]", data)
	}
}

func TestResourceVersionErrors(t *testing.T) {
	s := newStore(t, nil)
	if _, err := s.Create(t.Context(), "ns", cm("a"), false); err != nil {
		t.Fatal(err)
	}
	bad := cm("a")
	bad.ResourceVersion = "abc"
	_, _, err := s.Update(t.Context(), "ns", "a", replace(bad), false, false)
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Code != http.StatusInternalServerError || status.Status().Reason != "" ||
		status.Status().Message != `strconv.ParseUint: parsing "abc": invalid syntax` {
		t.Errorf("non-numeric resourceVersion: %v", err)
	}
}

// A type that refuses unconditional updates (leases) answers a PUT without
// resourceVersion as kube-apiserver does, naming the resource.
func TestResourceVersionRequired(t *testing.T) {
	s := newTypeStore(t, lease.Type(), nil)
	l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "l"}}
	// Leases may be created by PUT.
	if _, created, err := s.Update(t.Context(), "ns", "l", replace(l), false, false); err != nil || !created {
		t.Fatalf("create by update: created %v, %v", created, err)
	}
	_, _, err := s.Update(t.Context(), "ns", "l", replace(l), false, false)
	want := `leases.coordination.k8s.io "l" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update`
	if err == nil || err.Error() != want {
		t.Errorf("update without resourceVersion: %v, want %s", err, want)
	}
}

// An error of the caller's own update function comes back as it is, so
// that the caller can test for it (the garbage collector's "nothing to
// change").
func TestUpdateFuncErrorReturned(t *testing.T) {
	s := newStore(t, nil)
	if _, err := s.Create(t.Context(), "ns", cm("a"), false); err != nil {
		t.Fatal(err)
	}
	mine := errors.New("nothing to change")
	_, _, err := s.Update(t.Context(), "ns", "a", func(context.Context, runtime.Object) (runtime.Object, error) { return nil, mine }, false, false)
	if !errors.Is(err, mine) {
		t.Errorf("update error = %v, want the update function's", err)
	}
}

// reserving is a ConfigMap strategy that holds the value of data["hold"]
// and records what the store asks of it.
type reserving struct {
	rest.PlainStrategy
	mu  *sync.Mutex
	log *[]string
}

func (r reserving) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	if obj.(*corev1.ConfigMap).Data["bad"] != "" {
		return field.ErrorList{field.Invalid(field.NewPath("data", "bad"), "", "bad")}
	}
	return nil
}

func (r reserving) ValidateUpdate(ctx context.Context, obj, _ runtime.Object) field.ErrorList {
	return r.Validate(ctx, obj)
}

func (r reserving) record(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, s)
}

func (r reserving) Reserve(_ context.Context, obj, old runtime.Object, dryRun bool) (func(), field.ErrorList, error) {
	v := obj.(*corev1.ConfigMap).Data["hold"]
	if v == "taken" {
		return nil, field.ErrorList{field.Invalid(field.NewPath("data", "hold"), v, "taken")}, nil
	}
	if old != nil && old.(*corev1.ConfigMap).Data["hold"] == v || v == "" {
		return nil, nil, nil
	}
	if dryRun {
		r.record("check " + v)
		return nil, nil, nil
	}
	r.record("take " + v)
	return func() { r.record("undo " + v) }, nil, nil
}

func (r reserving) Release(_ context.Context, obj, old runtime.Object) {
	v := old.(*corev1.ConfigMap).Data["hold"]
	if v != "" && (obj == nil || obj.(*corev1.ConfigMap).Data["hold"] != v) {
		r.record("release " + v)
	}
}

// TestReserving: what a write takes is given back when the write does
// not happen (invalid, or refused), released when a later write or the
// delete gives it up, and only checked by a dry run.
func TestReserving(t *testing.T) {
	var log []string
	ty := configmap.Type()
	ty.Strategy = reserving{mu: &sync.Mutex{}, log: &log}
	s := newTypeStore(t, ty, nil)
	ctx := t.Context()
	with := func(name string, data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: data}
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"create", func() error {
			_, err := s.Create(ctx, "ns", with("a", map[string]string{"hold": "1"}), false)
			return err
		}, "take 1"},
		{"invalid create", func() error {
			_, err := s.Create(ctx, "ns", with("b", map[string]string{"hold": "2", "bad": "x"}), false)
			return expectInvalid(err)
		}, "take 2,undo 2"},
		{"existing name", func() error {
			_, err := s.Create(ctx, "ns", with("a", map[string]string{"hold": "3"}), false)
			if !apierrors.IsAlreadyExists(err) {
				return fmt.Errorf("create of an existing name: %v", err)
			}
			return nil
		}, "take 3,undo 3"},
		{"refused reservation", func() error {
			_, err := s.Create(ctx, "ns", with("c", map[string]string{"hold": "taken"}), false)
			return expectInvalid(err)
		}, ""},
		{"dry run", func() error {
			_, err := s.Create(ctx, "ns", with("d", map[string]string{"hold": "4"}), true)
			return err
		}, "check 4"},
		{"update", func() error {
			_, _, err := s.Update(ctx, "ns", "a", replace(with("a", map[string]string{"hold": "5"})), false, false)
			return err
		}, "take 5,release 1"},
		{"invalid update", func() error {
			_, _, err := s.Update(ctx, "ns", "a", replace(with("a", map[string]string{"hold": "6", "bad": "x"})), false, false)
			return expectInvalid(err)
		}, "take 6,undo 6"},
		{"delete", func() error { _, _, err := s.Delete(ctx, "ns", "a", &metav1.DeleteOptions{}, false); return err }, "release 5"},
	}
	for _, step := range steps {
		log = nil
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		got := strings.Join(log, ",")
		if step.name == "invalid update" {
			// Storage may try the update on its cached copy first, then
			// on a fresh read: each attempt takes and gives back.
			got = strings.ReplaceAll(got, "take 6,undo 6,take 6,undo 6", "take 6,undo 6")
		}
		if got != step.want {
			t.Errorf("%s: %q, want %q", step.name, got, step.want)
		}
	}
}

func expectInvalid(err error) error {
	if !apierrors.IsInvalid(err) {
		return fmt.Errorf("want 422 Invalid, got %v", err)
	}
	return nil
}
