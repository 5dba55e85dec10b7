package event

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestConversion: every field maps to its core/v1 twin and back.
func TestConversion(t *testing.T) {
	now := metav1.NewMicroTime(time.Unix(1700000000, 0))
	e := &eventsv1.Event{
		TypeMeta:                 metav1.TypeMeta{APIVersion: "events.k8s.io/v1", Kind: "Event"},
		ObjectMeta:               metav1.ObjectMeta{Name: "e", Namespace: "default"},
		EventTime:                now,
		Series:                   &eventsv1.EventSeries{Count: 2, LastObservedTime: now},
		ReportingController:      "example.com/ctl",
		ReportingInstance:        "i",
		Action:                   "Sync",
		Reason:                   "Done",
		Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "p"},
		Related:                  &corev1.ObjectReference{Kind: "Node", Name: "n"},
		Note:                     "hello",
		Type:                     "Normal",
		DeprecatedSource:         corev1.EventSource{Component: "c"},
		DeprecatedFirstTimestamp: metav1.NewTime(now.Time),
		DeprecatedLastTimestamp:  metav1.NewTime(now.Time),
		DeprecatedCount:          3,
	}
	core := ToCore(e)
	if core.Message != "hello" || core.InvolvedObject.Name != "p" || core.Source.Component != "c" || core.Count != 3 || core.Series.Count != 2 || core.APIVersion != "v1" {
		t.Errorf("core = %+v", core)
	}
	if back := FromCore(core); !reflect.DeepEqual(back, e) {
		t.Errorf("round trip\n%+v\nwant\n%+v", back, e)
	}
}

// TestFieldSelectors: this API's names become core/v1's, as kube's field
// label conversion makes them.
func TestFieldSelectors(t *testing.T) {
	opts, err := coreSelector(&metav1.ListOptions{FieldSelector: "regarding.name=p,reportingController=x,type=Normal"})
	if err != nil {
		t.Fatal(err)
	}
	if opts.FieldSelector != "involvedObject.name=p,reportingComponent=x,type=Normal" {
		t.Errorf("selector %q", opts.FieldSelector)
	}
}
