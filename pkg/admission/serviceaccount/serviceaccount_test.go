package serviceaccount

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/admission"
)

func TestAdmit(t *testing.T) {
	accounts := map[string]*corev1.ServiceAccount{
		"default": {ObjectMeta: metav1.ObjectMeta{Name: "default"}},
		"quiet":   {ObjectMeta: metav1.ObjectMeta{Name: "quiet"}, AutomountServiceAccountToken: ptr.To(false)},
	}
	p := Plugin{ServiceAccounts: func(_ context.Context, _, name string) (*corev1.ServiceAccount, error) {
		if sa, ok := accounts[name]; ok {
			return sa, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccounts"}, name)
	}}
	tests := []struct {
		name      string
		pod       corev1.PodSpec
		op        admission.Operation
		account   string
		mounted   bool
		wantError string
	}{
		{"default account, token mounted", corev1.PodSpec{}, admission.Create, "default", true, ""},
		{"account opts out", corev1.PodSpec{ServiceAccountName: "quiet"}, admission.Create, "quiet", false, ""},
		{"pod opts in over the account", corev1.PodSpec{ServiceAccountName: "quiet", AutomountServiceAccountToken: ptr.To(true)}, admission.Create, "quiet", true, ""},
		{"pod opts out", corev1.PodSpec{AutomountServiceAccountToken: ptr.To(false)}, admission.Create, "default", false, ""},
		{"missing account", corev1.PodSpec{ServiceAccountName: "nope"}, admission.Create, "", false,
			`pods "p" is forbidden: error looking up service account ns/nope: serviceaccount "nope" not found`},
		{"updates untouched", corev1.PodSpec{}, admission.Update, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.pod.InitContainers = []corev1.Container{{Name: "init"}}
			tt.pod.Containers = []corev1.Container{{Name: "c"}, {Name: "own", VolumeMounts: []corev1.VolumeMount{{Name: "mine", MountPath: MountPath}}}}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: tt.pod}
			err := p.Admit(context.Background(), &admission.Attributes{Operation: tt.op, Resource: pods, Namespace: "ns", Name: "p", Object: pod})
			if tt.wantError != "" {
				if err == nil || err.Error() != tt.wantError {
					t.Fatalf("error %v, want %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pod.Spec.ServiceAccountName != tt.account || pod.Spec.DeprecatedServiceAccount != tt.account {
				t.Errorf("account %q/%q, want %q", pod.Spec.ServiceAccountName, pod.Spec.DeprecatedServiceAccount, tt.account)
			}
			if got := len(pod.Spec.Volumes) == 1; got != tt.mounted {
				t.Fatalf("volumes %v, want mounted %v", pod.Spec.Volumes, tt.mounted)
			}
			if !tt.mounted {
				return
			}
			v := pod.Spec.Volumes[0]
			if !strings.HasPrefix(v.Name, "kube-api-access-") || len(v.Name) != len("kube-api-access-")+5 || len(v.Projected.Sources) != 3 ||
				*v.Projected.Sources[0].ServiceAccountToken.ExpirationSeconds != 3607 || *v.Projected.DefaultMode != 0o644 {
				t.Errorf("volume %+v", v)
			}
			for _, c := range []corev1.Container{pod.Spec.InitContainers[0], pod.Spec.Containers[0]} {
				if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].Name != v.Name || !c.VolumeMounts[0].ReadOnly {
					t.Errorf("container %s mounts %v", c.Name, c.VolumeMounts)
				}
			}
			if m := pod.Spec.Containers[1].VolumeMounts; len(m) != 1 || m[0].Name != "mine" {
				t.Errorf("a container with its own mount there got %v", m)
			}
			// Admitting again (a retried write) adds nothing.
			if err := p.Admit(context.Background(), &admission.Attributes{Operation: tt.op, Resource: pods, Namespace: "ns", Name: "p", Object: pod}); err != nil || len(pod.Spec.Volumes) != 1 || len(pod.Spec.Containers[0].VolumeMounts) != 1 {
				t.Errorf("second admission: %v %v", err, pod.Spec.Volumes)
			}
		})
	}
}
