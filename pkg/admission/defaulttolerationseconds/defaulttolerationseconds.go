// Package defaulttolerationseconds is kube-apiserver's
// DefaultTolerationSeconds admission plugin: a new Pod that does not
// tolerate its node becoming not-ready or unreachable tolerates both for
// five minutes, so that it is evicted only after that long.
package defaulttolerationseconds

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/apiserver/apiserver/pkg/admission"
)

// Name is the plugin's name on kube-apiserver's command line.
const Name = "DefaultTolerationSeconds"

// Seconds is kube's default of --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds.
const Seconds = int64(300)

// Plugin is the DefaultTolerationSeconds plugin.
type Plugin struct{}

var _ admission.MutationInterface = Plugin{}

var pods = corev1.SchemeGroupVersion.WithResource("pods")

// Admit adds the tolerations a Pod lacks, on update too, as kube.
func (Plugin) Admit(_ context.Context, a *admission.Attributes) error {
	if a.Resource != pods || a.Subresource != "" || (a.Operation != admission.Create && a.Operation != admission.Update) {
		return nil
	}
	pod, ok := a.Object.(*corev1.Pod)
	if !ok {
		return nil
	}
	for _, key := range []string{corev1.TaintNodeNotReady, corev1.TaintNodeUnreachable} {
		if !tolerates(pod.Spec.Tolerations, key) {
			seconds := Seconds
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, corev1.Toleration{
				Key: key, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &seconds,
			})
		}
	}
	return nil
}

// tolerates: a toleration of the key (or of every key) with the NoExecute
// effect (or every effect) is there.
func tolerates(tolerations []corev1.Toleration, key string) bool {
	for _, t := range tolerations {
		if (t.Key == key || t.Key == "") && (t.Effect == corev1.TaintEffectNoExecute || t.Effect == "") {
			return true
		}
	}
	return false
}
