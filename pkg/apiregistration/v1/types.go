package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +genclient:nonNamespaced

// APIService says which server serves one group version of the API: this
// server itself, or one reached through a Service. Its name is
// "<version>.<group>".
type APIService struct {
	metav1.TypeMeta `json:",inline"`
	// The object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says where the group version is served and how to reach it.
	Spec APIServiceSpec `json:"spec,omitempty"`
	// Status is what the server observed of the backend.
	Status APIServiceStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIServiceList is a list of APIServices.
type APIServiceList struct {
	metav1.TypeMeta `json:",inline"`
	// The list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the APIServices.
	Items []APIService `json:"items"`
}

// ServiceReference names a core/v1 Service.
type ServiceReference struct {
	// Namespace of the Service.
	Namespace string `json:"namespace,omitempty"`
	// Name of the Service.
	Name string `json:"name,omitempty"`
	// Port of the Service to reach, 1 to 65535; 443 when not given.
	// +optional
	Port *int32 `json:"port,omitempty"`
}

// APIServiceSpec says which group version this is and where it is served:
// locally when Service is nil, else over HTTPS at the Service.
type APIServiceSpec struct {
	// Service is where the group version is served; nil means by this
	// server itself.
	// +optional
	Service *ServiceReference `json:"service,omitempty"`
	// Group is the API group served.
	Group string `json:"group,omitempty"`
	// Version is the API version served, such as "v1".
	Version string `json:"version,omitempty"`

	// InsecureSkipTLSVerify, when true, does not verify the backend's
	// serving certificate. Give a CABundle instead.
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty"`
	// CABundle is the PEM-encoded CA certificates that verify the backend's
	// serving certificate; the system's roots when empty.
	// +listType=atomic
	// +optional
	CABundle []byte `json:"caBundle,omitempty"`

	// GroupPriorityMinimum is the least priority of the group, 1 to 20000:
	// discovery lists groups by their highest such value first (then by
	// name), so clients prefer those. Kubernetes' own groups sit near 18000.
	GroupPriorityMinimum int32 `json:"groupPriorityMinimum"`

	// VersionPriority orders the versions of the group, 1 to 1000, highest
	// first; equal priorities order Kubernetes-like versions (v2 > v1 >
	// v1beta1 > v1alpha1) before others, which sort alphabetically.
	VersionPriority int32 `json:"versionPriority"`
}

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

// The statuses a condition may have.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// APIServiceConditionType names a condition.
type APIServiceConditionType string

// Available is true when the group version can be served: always for a
// local one, when its backend answers discovery for a remote one.
const Available APIServiceConditionType = "Available"

// APIServiceCondition is one observation of an APIService.
type APIServiceCondition struct {
	// Type of the condition.
	Type APIServiceConditionType `json:"type"`
	// Status of the condition: True, False or Unknown.
	Status ConditionStatus `json:"status"`
	// When the status last changed.
	// +optional
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// Why the status is what it is, as one CamelCase word.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Why the status is what it is, for people.
	// +optional
	Message string `json:"message,omitempty"`
}

// APIServiceStatus is what the server observed of an APIService.
type APIServiceStatus struct {
	// Conditions of the APIService, one per type.
	// +optional
	// +patchMergeKey=type
	// +patchStrategy=merge
	// +listType=map
	// +listMapKey=type
	Conditions []APIServiceCondition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}
