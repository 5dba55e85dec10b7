package limitranger

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
)

func list(items ...corev1.LimitRangeItem) Lister {
	return func(context.Context, string) ([]corev1.LimitRange, error) {
		return []corev1.LimitRange{{Spec: corev1.LimitRangeSpec{Limits: items}}}, nil
	}
}

func rl(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// TestDefaults: the containers get what they lack, noted as kube notes it.
func TestDefaults(t *testing.T) {
	p := Plugin{LimitRanges: list(corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Default: rl("cpu", "500m", "memory", "500Mi"), DefaultRequest: rl("cpu", "100m", "memory", "250Mi")})}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "bare"},
		{Name: "partial", Resources: corev1.ResourceRequirements{Requests: rl("cpu", "300m"), Limits: rl("cpu", "300m")}},
	}}}
	if err := p.Admit(context.Background(), &admission.Attributes{Operation: admission.Create, Resource: pods, Name: "p", Object: pod}); err != nil {
		t.Fatal(err)
	}
	bare, partial := pod.Spec.Containers[0].Resources, pod.Spec.Containers[1].Resources
	if bare.Requests.Cpu().String() != "100m" || bare.Limits.Memory().String() != "500Mi" || partial.Requests.Cpu().String() != "300m" || partial.Requests.Memory().String() != "250Mi" {
		t.Errorf("defaults: %+v %+v", bare, partial)
	}
	want := "LimitRanger plugin set: cpu, memory request for container bare; cpu, memory limit for container bare; " +
		"memory request for container partial; memory limit for container partial"
	if got := pod.Annotations[annotation]; got != want {
		t.Errorf("annotation:\n got %s\nwant %s", got, want)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		item     corev1.LimitRangeItem
		requests corev1.ResourceList
		limits   corev1.ResourceList
		want     string
	}{
		{"within", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: rl("cpu", "100m"), Max: rl("cpu", "1")}, rl("cpu", "200m"), rl("cpu", "500m"), ""},
		{"below min", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: rl("cpu", "100m")}, rl("cpu", "50m"), nil,
			`pods "p" is forbidden: minimum cpu usage per Container is 100m, but request is 50m`},
		{"no request", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: rl("memory", "1Mi")}, nil, nil,
			`pods "p" is forbidden: minimum memory usage per Container is 1Mi.  No request is specified`},
		{"above max", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: rl("cpu", "1")}, nil, rl("cpu", "2"),
			`pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2`},
		{"no limit", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Max: rl("cpu", "1")}, nil, nil,
			`pods "p" is forbidden: maximum cpu usage per Container is 1.  No limit is specified`},
		{"ratio", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, MaxLimitRequestRatio: rl("cpu", "2")}, rl("cpu", "100m"), rl("cpu", "500m"),
			`pods "p" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000`},
		{"two rules", corev1.LimitRangeItem{Type: corev1.LimitTypeContainer, Min: rl("cpu", "100m"), Max: rl("memory", "1Gi")}, rl("cpu", "50m"), nil,
			`pods "p" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi.  No limit is specified]`},
		{"pod sum", corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: rl("cpu", "1")}, nil, rl("cpu", "600m"),
			`pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m`},
	}
	for _, tt := range tests {
		p := Plugin{LimitRanges: list(tt.item)}
		// Two equal containers: kube reports a broken rule once.
		c := corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{Requests: tt.requests, Limits: tt.limits}}
		pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{c, c}}}
		err := p.Validate(context.Background(), &admission.Attributes{Operation: admission.Create, Resource: pods, Name: "p", Object: pod})
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
