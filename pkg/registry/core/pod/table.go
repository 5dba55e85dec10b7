package pod

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/tables"
)

const none = "<none>"

// Table prints Pods as kube-apiserver does: NAME, READY, STATUS,
// RESTARTS, AGE, and wide IP, NODE, NOMINATED NODE, READINESS GATES.
func Table() tables.Convertor {
	spec, status := corev1.PodSpec{}.SwaggerDoc(), corev1.PodStatus{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
			tables.Column("Status", "The aggregate status of the containers in this pod."),
			tables.Column("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
			tables.AgeColumn(),
			tables.WideColumn("IP", status["podIP"]),
			tables.WideColumn("Node", spec["nodeName"]),
			tables.WideColumn("Nominated Node", status["nominatedNodeName"]),
			tables.WideColumn("Readiness Gates", spec["readinessGates"]),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			p, ok := obj.(*corev1.Pod)
			if !ok {
				return nil, fmt.Errorf("not a Pod: %T", obj)
			}
			return cells(p), nil
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// cells computes a Pod's row as kube's printer: the status is the most
// telling reason among the phase, the init containers and the containers.
func cells(p *corev1.Pod) []interface{} {
	restarts, ready := 0, 0
	var lastRestart time.Time
	noteRestart := func(cs corev1.ContainerStatus) {
		restarts += int(cs.RestartCount)
		if t := cs.LastTerminationState.Terminated; t != nil && t.FinishedAt.After(lastRestart) {
			lastRestart = t.FinishedAt.Time
		}
	}
	reason := string(p.Status.Phase)
	if p.Status.Reason != "" {
		reason = p.Status.Reason
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonSchedulingGated {
			reason = corev1.PodReasonSchedulingGated
		}
	}
	initializing := false
	for i, cs := range p.Status.InitContainerStatuses {
		noteRestart(cs)
		w, t := cs.State.Waiting, cs.State.Terminated
		switch {
		case t != nil && t.ExitCode == 0:
			continue
		case t != nil:
			reason = "Init:" + terminatedReason(t)
		case w != nil && w.Reason != "" && w.Reason != "PodInitializing":
			reason = "Init:" + w.Reason
		default:
			reason = fmt.Sprintf("Init:%d/%d", i, len(p.Spec.InitContainers))
		}
		initializing = true
		break
	}
	if !initializing {
		restarts, lastRestart = 0, time.Time{}
		running := false
		for i := len(p.Status.ContainerStatuses) - 1; i >= 0; i-- {
			cs := p.Status.ContainerStatuses[i]
			noteRestart(cs)
			w, t := cs.State.Waiting, cs.State.Terminated
			switch {
			case w != nil && w.Reason != "":
				reason = w.Reason
			case t != nil:
				reason = terminatedReason(t)
			case cs.Ready && cs.State.Running != nil:
				running = true
				ready++
			}
		}
		if reason == "Completed" && running {
			reason = "NotReady"
			if podReady(p) {
				reason = string(corev1.PodRunning)
			}
		}
	}
	if p.DeletionTimestamp != nil {
		reason = "Terminating"
		if p.Status.Reason == "NodeLost" {
			reason = "Unknown"
		}
	}
	restartCell := fmt.Sprint(restarts)
	if !lastRestart.IsZero() {
		restartCell = fmt.Sprintf("%d (%s ago)", restarts, tables.Age(metav1.NewTime(lastRestart)))
	}
	ip := none
	if len(p.Status.PodIPs) > 0 {
		ip = p.Status.PodIPs[0].IP
	}
	gates := none
	if n := len(p.Spec.ReadinessGates); n > 0 {
		met := 0
		for _, g := range p.Spec.ReadinessGates {
			for _, c := range p.Status.Conditions {
				if c.Type == g.ConditionType && c.Status == corev1.ConditionTrue {
					met++
				}
			}
		}
		gates = fmt.Sprintf("%d/%d", met, n)
	}
	return []interface{}{
		p.Name, fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)), reason, restartCell,
		tables.Age(p.CreationTimestamp), ip, orNone(p.Spec.NodeName), orNone(p.Status.NominatedNodeName), gates,
	}
}

func terminatedReason(t *corev1.ContainerStateTerminated) string {
	switch {
	case t.Reason != "":
		return t.Reason
	case t.Signal != 0:
		return fmt.Sprintf("Signal:%d", t.Signal)
	default:
		return fmt.Sprintf("ExitCode:%d", t.ExitCode)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
