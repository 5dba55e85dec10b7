package resourcequota

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
)

func quota(hard, used corev1.ResourceList) corev1.ResourceQuota {
	return corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: "ns", ResourceVersion: "1"},
		Spec: corev1.ResourceQuotaSpec{Hard: hard}, Status: corev1.ResourceQuotaStatus{Hard: hard, Used: used}}
}

func list(pairs ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(pairs); i += 2 {
		out[corev1.ResourceName(pairs[i])] = resource.MustParse(pairs[i+1])
	}
	return out
}

func service(typ corev1.ServiceType) *admission.Attributes {
	return &admission.Attributes{Operation: admission.Create, Namespace: "ns", Name: "s",
		Resource: corev1.SchemeGroupVersion.WithResource("services"), Kind: corev1.SchemeGroupVersion.WithKind("Service"),
		Object: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"}, Spec: corev1.ServiceSpec{Type: typ,
			Ports: []corev1.ServicePort{{Port: 80}}}}}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		quotas  []corev1.ResourceQuota
		a       *admission.Attributes
		want    string // a substring of the refusal; "" admits
		charged corev1.ResourceList
	}{
		{name: "no quota", a: service(corev1.ServiceTypeClusterIP)},
		{name: "within quota", quotas: []corev1.ResourceQuota{quota(list("services", "2"), list("services", "1"))},
			a: service(corev1.ServiceTypeClusterIP), charged: list("services", "2")},
		{name: "over quota", quotas: []corev1.ResourceQuota{quota(list("services", "2", "services.loadbalancers", "0"), list("services", "1", "services.loadbalancers", "0"))},
			a:    service(corev1.ServiceTypeLoadBalancer),
			want: `services "s" is forbidden: exceeded quota: q, requested: services.loadbalancers=1, used: services.loadbalancers=0, limited: services.loadbalancers=0`},
		{name: "not counted", quotas: []corev1.ResourceQuota{quota(list("configmaps", "0"), list("configmaps", "0"))}, a: service(corev1.ServiceTypeClusterIP)},
		{name: "status not yet counted", quotas: []corev1.ResourceQuota{quota(list("services", "2"), nil)},
			a: service(corev1.ServiceTypeClusterIP), want: "status unknown for quota: q, resources: services"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var charged corev1.ResourceList
			p := Plugin{
				Quotas: func(context.Context, string) ([]corev1.ResourceQuota, error) { return tc.quotas, nil },
				Charge: func(_ context.Context, _ *corev1.ResourceQuota, used corev1.ResourceList) error {
					charged = used
					return nil
				},
			}
			err := p.Validate(t.Context(), tc.a)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!apierrors.IsForbidden(err) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.charged != nil && (charged == nil || charged.Name("services", resource.DecimalSI).Cmp(tc.charged["services"]) != 0) {
				t.Errorf("charged %v, want %v", charged, tc.charged)
			}
		})
	}
}

// A dry run is checked and not charged; a quota changed meanwhile is read
// again and charged once.
func TestDryRunAndConflicts(t *testing.T) {
	reads, charges := 0, 0
	p := Plugin{
		Quotas: func(context.Context, string) ([]corev1.ResourceQuota, error) {
			reads++
			return []corev1.ResourceQuota{quota(list("services", "5"), list("services", "1"))}, nil
		},
		Charge: func(context.Context, *corev1.ResourceQuota, corev1.ResourceList) error {
			charges++
			if charges == 1 {
				return apierrors.NewConflict(corev1.Resource("resourcequotas"), "q", nil)
			}
			return nil
		},
	}
	a := service(corev1.ServiceTypeClusterIP)
	a.DryRun = true
	if err := p.Validate(t.Context(), a); err != nil || charges != 0 {
		t.Fatalf("dry run: %v, %d charges", err, charges)
	}
	a.DryRun = false
	if err := p.Validate(t.Context(), a); err != nil || charges != 2 || reads != 3 {
		t.Errorf("after a conflict: %v, %d charges, %d reads", err, charges, reads)
	}
}

// A Pod a quota of compute resources counts must state them.
func TestPodMustSpecify(t *testing.T) {
	q := quota(list("requests.cpu", "1", "limits.memory", "1Gi", "pods", "5"), list("requests.cpu", "0", "limits.memory", "0", "pods", "0"))
	p := Plugin{
		Quotas: func(context.Context, string) ([]corev1.ResourceQuota, error) { return []corev1.ResourceQuota{q}, nil },
		Charge: func(context.Context, *corev1.ResourceQuota, corev1.ResourceList) error { return nil },
	}
	pod := func(res corev1.ResourceRequirements) *admission.Attributes {
		return &admission.Attributes{Operation: admission.Create, Namespace: "ns", Name: "p",
			Resource: corev1.SchemeGroupVersion.WithResource("pods"), Kind: corev1.SchemeGroupVersion.WithKind("Pod"),
			Object: &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: res}}}}}
	}
	if err := p.Validate(t.Context(), pod(corev1.ResourceRequirements{})); !apierrors.IsForbidden(err) ||
		!strings.Contains(err.Error(), `pods "p" is forbidden: failed quota: q: must specify limits.memory for: c; requests.cpu for: c`) {
		t.Errorf("a Pod stating nothing: %v", err)
	}
	if err := p.Validate(t.Context(), pod(corev1.ResourceRequirements{Requests: list("cpu", "100m"), Limits: list("memory", "100Mi")})); err != nil {
		t.Errorf("a Pod stating both: %v", err)
	}
}
