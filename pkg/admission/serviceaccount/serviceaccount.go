// Package serviceaccount is kube-apiserver's ServiceAccount admission
// plugin for Pods: a new Pod runs as its namespace's default account unless
// it names one, the account must exist, and unless the Pod or the account
// opts out, the account's token, the cluster's CA bundle and the namespace
// are mounted at /var/run/secrets/kubernetes.io/serviceaccount in every
// container, in a projected volume named as kube names it.
package serviceaccount

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilrand "k8s.io/apimachinery/pkg/util/rand"

	"github.com/apiserver/apiserver/pkg/admission"
)

// Name is the plugin's name on kube-apiserver's command line.
const Name = "ServiceAccount"

// Kube's names and numbers for the mounted token.
const (
	DefaultName       = "default"
	MountPath         = "/var/run/secrets/kubernetes.io/serviceaccount"
	volumePrefix      = "kube-api-access-"
	rootCAConfigMap   = "kube-root-ca.crt"
	tokenExpiration   = int64(3607)
	projectedFileMode = int32(0o644)
	// mirrorAnnotation marks a kubelet's mirror of a static Pod, which
	// the plugin leaves alone.
	mirrorAnnotation = "kubernetes.io/config.mirror"
)

// Getter reads a ServiceAccount with a quorum read: an account created a
// moment ago through another replica is found.
type Getter func(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)

// Plugin is the ServiceAccount plugin.
type Plugin struct {
	ServiceAccounts Getter
}

var _ admission.MutationInterface = Plugin{}

var pods = corev1.SchemeGroupVersion.WithResource("pods")

// Admit sets the account of a new Pod and mounts its token.
func (p Plugin) Admit(ctx context.Context, a *admission.Attributes) error {
	if a.Resource != pods || a.Subresource != "" || a.Operation != admission.Create {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok || pod.Annotations[mirrorAnnotation] != "" {
		return nil
	}
	if pod.Spec.ServiceAccountName == "" {
		pod.Spec.ServiceAccountName = DefaultName
	}
	pod.Spec.DeprecatedServiceAccount = pod.Spec.ServiceAccountName
	sa, err := p.ServiceAccounts(ctx, a.Namespace, pod.Spec.ServiceAccountName)
	if apierrors.IsNotFound(err) {
		// kube's lister names the resource in the singular.
		err = apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccount"}, pod.Spec.ServiceAccountName)
	}
	if err != nil {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name,
			fmt.Errorf("error looking up service account %s/%s: %w", a.Namespace, pod.Spec.ServiceAccountName, err))
	}
	if automount(pod, sa) {
		mountToken(pod)
	}
	return nil
}

// automount: the Pod's choice, else the account's, else yes.
func automount(pod *corev1.Pod, sa *corev1.ServiceAccount) bool {
	if b := pod.Spec.AutomountServiceAccountToken; b != nil {
		return *b
	}
	if b := sa.AutomountServiceAccountToken; b != nil {
		return *b
	}
	return true
}

// mountToken adds the projected volume and mounts it in every init and
// regular container that has nothing at MountPath yet.
func mountToken(pod *corev1.Pod) {
	name := ""
	for _, v := range pod.Spec.Volumes {
		if strings.HasPrefix(v.Name, volumePrefix) {
			name = v.Name // already there (a retried write)
		}
	}
	if name == "" {
		name = volumeName(pod)
		pod.Spec.Volumes = append(pod.Spec.Volumes, tokenVolume(name))
	}
	for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for i := range cs {
			if !mounted(cs[i].VolumeMounts) {
				cs[i].VolumeMounts = append(cs[i].VolumeMounts, corev1.VolumeMount{Name: name, ReadOnly: true, MountPath: MountPath})
			}
		}
	}
}

func mounted(mounts []corev1.VolumeMount) bool {
	for _, m := range mounts {
		if m.MountPath == MountPath {
			return true
		}
	}
	return false
}

// volumeName is kube-api-access- and five random characters no volume
// of the Pod has.
func volumeName(pod *corev1.Pod) string {
	for {
		name := volumePrefix + utilrand.String(5)
		taken := false
		for _, v := range pod.Spec.Volumes {
			taken = taken || v.Name == name
		}
		if !taken {
			return name
		}
	}
}

func tokenVolume(name string) corev1.Volume {
	mode, expiration := projectedFileMode, tokenExpiration
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		DefaultMode: &mode,
		Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{ExpirationSeconds: &expiration, Path: "token"}},
			{ConfigMap: &corev1.ConfigMapProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: rootCAConfigMap},
				Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
			}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{
				Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.namespace"},
			}}}},
		},
	}}}
}
