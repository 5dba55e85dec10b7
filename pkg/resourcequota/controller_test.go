package resourcequota

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/registry/core/configmap"
	"github.com/apiserver/apiserver/pkg/registry/core/pod"
	"github.com/apiserver/apiserver/pkg/registry/core/resourcequota"
	"github.com/apiserver/apiserver/pkg/registry/core/service"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

type fixture struct {
	catalog                            *rest.Catalog
	pods, quotas, configMaps, services *generic.Store
}

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
	f := &fixture{catalog: rest.NewCatalog(), pods: store(pod.Type(), ""), quotas: store(resourcequota.Type(), ""),
		configMaps: store(configmap.Type(), ""), services: store(service.Type(nil), "")}
	quotas := f.quotas.Declaration()
	quotas.Subresources = []rest.Subresource{{Name: "status", Storage: store(resourcequota.StatusType(), "status"), Verbs: []string{"get", "patch", "update"}}}
	f.catalog.Set(rest.GroupVersion{GroupVersion: corev1.SchemeGroupVersion, Resources: []rest.Resource{
		f.pods.Declaration(), quotas, f.configMaps.Declaration(), f.services.Declaration(),
	}}, true)
	return f
}

func (f *fixture) pod(t *testing.T, name string, cpu string, deadline *int64) {
	t.Helper()
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}, Spec: corev1.PodSpec{ActiveDeadlineSeconds: deadline,
		Containers: []corev1.Container{{Name: "c", Image: "i"}}}}
	if cpu != "" {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
	}
	pod.Default(p)
	if _, err := f.pods.Create(t.Context(), "ns", p, false); err != nil {
		t.Fatal(err)
	}
}

func TestUsed(t *testing.T) {
	f := newFixture(t)
	f.pod(t, "a", "250m", nil)
	f.pod(t, "b", "500m", ptr.To[int64](60))
	f.pod(t, "c", "", nil)
	if _, err := f.configMaps.Create(t.Context(), "ns", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "ns"}}, false); err != nil {
		t.Fatal(err)
	}
	c := Counter{Catalog: f.catalog}
	tests := []struct {
		scopes []corev1.ResourceQuotaScope
		want   map[corev1.ResourceName]string
	}{
		{nil, map[corev1.ResourceName]string{"pods": "3", "requests.cpu": "750m", "cpu": "750m", "limits.memory": "2Gi", "count/configmaps": "1", "secrets": "0", "count/widgets.example.com": "0"}},
		{[]corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}, map[corev1.ResourceName]string{"pods": "1"}},
		{[]corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort, corev1.ResourceQuotaScopeTerminating}, map[corev1.ResourceName]string{"pods": "1", "requests.cpu": "500m"}},
		{[]corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotTerminating}, map[corev1.ResourceName]string{"pods": "2"}},
	}
	for _, tt := range tests {
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns"}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{}, Scopes: tt.scopes}}
		for name := range tt.want {
			q.Spec.Hard[name] = resource.MustParse("100")
		}
		used, err := c.Used(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range tt.want {
			if got := used[name]; got.String() != want {
				t.Errorf("scopes %v: %s used %s, want %s", tt.scopes, name, got.String(), want)
			}
		}
	}
}

// TestRun: the status follows the namespace, and a client's write to it
// is put right.
func TestRun(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, f.catalog) }()
	defer func() { cancel(); <-done }()
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns"}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("5")}}}
	if _, err := f.quotas.Create(t.Context(), "ns", q, false); err != nil {
		t.Fatal(err)
	}
	usedPods := func(want string) {
		t.Helper()
		deadline := time.Now().Add(3 * Resync)
		for {
			obj, err := f.quotas.Get(t.Context(), "ns", "q", &metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			st := obj.(*corev1.ResourceQuota).Status
			if u, ok := st.Used["pods"]; ok && u.String() == want && st.Hard.Pods().String() == "5" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("status %+v, want %s pods used", st, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	usedPods("0")
	f.pod(t, "a", "", nil)
	usedPods("1")
	status, _ := f.catalog.Resource(quotas)
	sub, _ := status.Subresource("status")
	if _, _, err := sub.Storage.(rest.Updater).Update(t.Context(), "ns", "q", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		next := cur.(*corev1.ResourceQuota).DeepCopy()
		next.Status.Used = corev1.ResourceList{"pods": resource.MustParse("4")}
		return next, nil
	}, false, false); err != nil {
		t.Fatal(err)
	}
	usedPods("1")
}

func TestScopes(t *testing.T) {
	withClass := func(class string) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{PriorityClassName: class, Containers: []corev1.Container{{Name: "c"}}}}
	}
	crossNS := withClass("")
	crossNS.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{Namespaces: []string{"other"}}}}}
	req := func(op corev1.ScopeSelectorOperator, values ...string) *corev1.ScopeSelector {
		return &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: op, Values: values}}}
	}
	for _, tc := range []struct {
		name     string
		pod      *corev1.Pod
		scopes   []corev1.ResourceQuotaScope
		selector *corev1.ScopeSelector
		want     bool
	}{
		{"In, matching", withClass("pclass4"), nil, req(corev1.ScopeSelectorOpIn, "pclass4"), true},
		{"In, other class", withClass("pclass3"), nil, req(corev1.ScopeSelectorOpIn, "pclass4"), false},
		{"NotIn", withClass("pclass3"), nil, req(corev1.ScopeSelectorOpNotIn, "pclass4"), true},
		{"Exists without a class", withClass(""), nil, req(corev1.ScopeSelectorOpExists), false},
		{"DoesNotExist", withClass(""), nil, req(corev1.ScopeSelectorOpDoesNotExist), true},
		{"the PriorityClass scope", withClass("x"), []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopePriorityClass}, nil, true},
		{"BestEffort and a class", withClass("x"), []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeBestEffort}, req(corev1.ScopeSelectorOpIn, "y"), false},
		{"cross-namespace affinity", crossNS, []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeCrossNamespacePodAffinity}, nil, true},
		{"no cross-namespace affinity", withClass(""), []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeCrossNamespacePodAffinity}, nil, false},
	} {
		if got := matchesScopes(tc.pod, tc.scopes, tc.selector); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
}

func TestStorageClassQuotas(t *testing.T) {
	claim := func(class *string, beta, size string) runtime.Object {
		c := &corev1.PersistentVolumeClaim{Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: class,
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}}}}
		if beta != "" {
			c.Annotations = map[string]string{corev1.BetaStorageClassAnnotation: beta}
		}
		return c
	}
	claims := []runtime.Object{claim(ptr.To("gold"), "", "1Gi"), claim(nil, "gold", "2Gi"), claim(ptr.To("silver"), "", "4Gi"), claim(nil, "", "8Gi")}
	gold := "gold"
	if got := claimStorage(claims, &gold); got.String() != "3Gi" {
		t.Errorf("gold storage %s", got.String())
	}
	if got := claimStorage(claims, nil); got.String() != "15Gi" {
		t.Errorf("all storage %s", got.String())
	}
	for name, want := range map[corev1.ResourceName]bool{
		"gold.storageclass.storage.k8s.io/persistentvolumeclaims": true, "gold.storageclass.storage.k8s.io/requests.storage": true,
		"gold.storageclass.storage.k8s.io/pods": false, "requests.storage": false,
	} {
		if isStorageClassQuota(name) != want {
			t.Errorf("%s: %v", name, !want)
		}
	}
}

func TestExtendedResources(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{
		Requests: corev1.ResourceList{"example.com/dongle": resource.MustParse("2")}, Limits: corev1.ResourceList{"example.com/dongle": resource.MustParse("2")}}}}}}
	q := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"requests.example.com/dongle": resource.MustParse("3")}}}
	used := UsageOf(pod, corev1.Resource("pods"), q)
	if got := used["requests.example.com/dongle"]; got.String() != "2" {
		t.Errorf("requests.example.com/dongle = %s", got.String())
	}
}

func TestComputeOf(t *testing.T) {
	for name, want := range map[corev1.ResourceName]struct {
		res                  corev1.ResourceName
		limits, extended, ok bool
	}{
		"cpu": {"cpu", false, false, true}, "requests.memory": {"memory", false, false, true},
		"limits.ephemeral-storage":    {"ephemeral-storage", true, false, true},
		"requests.example.com/dongle": {"example.com/dongle", false, true, true},
		"pods":                        {}, "limits.example.com/dongle": {}, "requests.storage": {},
	} {
		res, limits, extended, ok := ComputeOf(name)
		if res != want.res || limits != want.limits || extended != want.extended || ok != want.ok {
			t.Errorf("%s: %s %v %v %v", name, res, limits, extended, ok)
		}
	}
}

func TestLimitsChanged(t *testing.T) {
	quota := func(hard, statusHard, used string) *corev1.ResourceQuota {
		q := &corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse(hard)}}}
		q.Status.Hard = corev1.ResourceList{"pods": resource.MustParse(statusHard)}
		q.Status.Used = corev1.ResourceList{"pods": resource.MustParse(used)}
		return q
	}
	tests := []struct {
		name         string
		old, updated *corev1.ResourceQuota
		want         bool
	}{
		{"a charge by admission", quota("5", "5", "1"), quota("5", "5", "2"), false},
		{"a new limit", quota("5", "5", "1"), quota("6", "5", "1"), true},
		{"limits not yet in the status", quota("5", "5", "1"), quota("5", "4", "1"), true},
		{"nothing", quota("5", "5", "1"), quota("5", "5", "1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := limitsChanged(tt.old, tt.updated); got != tt.want {
				t.Errorf("limitsChanged = %v, want %v", got, tt.want)
			}
		})
	}
}
