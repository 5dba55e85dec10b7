package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupName is the API group of APIServices.
const GroupName = "apiregistration.k8s.io"

// SchemeGroupVersion is apiregistration.k8s.io/v1.
var SchemeGroupVersion = schema.GroupVersion{Group: GroupName, Version: "v1"}

// AutomanagedLabel marks the APIServices the server keeps for its own
// group versions: "onstart" for built-in ones, "true" for custom
// resources'.
const AutomanagedLabel = "kube-aggregator.kubernetes.io/automanaged"

// Name is the name an APIService of gv must have: version.group.
func Name(gv schema.GroupVersion) string { return gv.Version + "." + gv.Group }

// IsLocal reports whether s is served by this server itself.
func (s *APIService) IsLocal() bool { return s.Spec.Service == nil }

// Available returns the Available condition of s, if set.
func (s *APIService) Available() (APIServiceCondition, bool) {
	for _, c := range s.Status.Conditions {
		if c.Type == Available {
			return c, true
		}
	}
	return APIServiceCondition{}, false
}

// SetAvailable sets the Available condition, moving its transition time
// only when the status changes.
func (s *APIService) SetAvailable(c APIServiceCondition) {
	c.Type = Available
	for i := range s.Status.Conditions {
		old := &s.Status.Conditions[i]
		if old.Type != Available {
			continue
		}
		if old.Status == c.Status {
			c.LastTransitionTime = old.LastTransitionTime
		} else if c.LastTransitionTime.IsZero() {
			c.LastTransitionTime = metav1.Now()
		}
		*old = c
		return
	}
	if c.LastTransitionTime.IsZero() {
		c.LastTransitionTime = metav1.Now()
	}
	s.Status.Conditions = append(s.Status.Conditions, c)
}
