package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConversionStrategyType describes how custom resources are converted
// between versions.
type ConversionStrategyType string

const (
	// KubeAPIApprovedAnnotation is the annotation a CRD in a protected
	// group (*.k8s.io, *.kubernetes.io) must carry.
	KubeAPIApprovedAnnotation = "api-approved.kubernetes.io"

	// NoneConverter only changes the apiVersion of a custom resource.
	NoneConverter ConversionStrategyType = "None"
	// WebhookConverter calls an external webhook to convert a custom resource.
	WebhookConverter ConversionStrategyType = "Webhook"
)

// CustomResourceDefinitionSpec describes how a user wants their resource to appear.
type CustomResourceDefinitionSpec struct {
	// Group is the API group of the custom resources.
	Group string `json:"group"`
	// Names are the names used to serve the custom resources.
	Names CustomResourceDefinitionNames `json:"names"`
	// Scope is Namespaced or Cluster.
	Scope ResourceScope `json:"scope"`
	// Versions lists every version of the custom resources.
	Versions []CustomResourceDefinitionVersion `json:"versions"`
	// Conversion says how custom resources are converted between versions.
	Conversion *CustomResourceConversion `json:"conversion,omitempty"`
	// PreserveUnknownFields disables pruning; it must be false in v1.
	PreserveUnknownFields bool `json:"preserveUnknownFields,omitempty"`
}

// CustomResourceConversion describes how to convert different versions of a CR.
type CustomResourceConversion struct {
	// Strategy is None or Webhook.
	Strategy ConversionStrategyType `json:"strategy"`
	// Webhook configures the conversion webhook when Strategy is Webhook.
	Webhook *WebhookConversion `json:"webhook,omitempty"`
}

// WebhookConversion describes how to call a conversion webhook.
type WebhookConversion struct {
	// ClientConfig is how to reach the webhook.
	ClientConfig *WebhookClientConfig `json:"clientConfig,omitempty"`
	// ConversionReviewVersions are the ConversionReview versions the webhook accepts.
	ConversionReviewVersions []string `json:"conversionReviewVersions"`
}

// WebhookClientConfig contains the information to make a TLS connection with the webhook.
type WebhookClientConfig struct {
	// URL is the location of the webhook.
	URL *string `json:"url,omitempty"`
	// Service references the in-cluster service of the webhook.
	Service *ServiceReference `json:"service,omitempty"`
	// CABundle is a PEM encoded CA bundle to verify the webhook's certificate.
	CABundle []byte `json:"caBundle,omitempty"`
}

// ServiceReference holds a reference to a Service.
type ServiceReference struct {
	// Namespace of the service.
	Namespace string `json:"namespace"`
	// Name of the service.
	Name string `json:"name"`
	// Path is an optional URL path sent with each request.
	Path *string `json:"path,omitempty"`
	// Port of the service, 443 by default.
	Port *int32 `json:"port,omitempty"`
}

// CustomResourceDefinitionVersion describes a version of a CRD.
type CustomResourceDefinitionVersion struct {
	// Name is the version name, e.g. "v1".
	Name string `json:"name"`
	// Served enables the version in the REST API.
	Served bool `json:"served"`
	// Storage marks the one version objects are stored in.
	Storage bool `json:"storage"`
	// Deprecated marks the version deprecated; requests get a warning.
	Deprecated bool `json:"deprecated,omitempty"`
	// DeprecationWarning overrides the default deprecation warning.
	DeprecationWarning *string `json:"deprecationWarning,omitempty"`
	// Schema is the schema used for validation, pruning and defaulting.
	Schema *CustomResourceValidation `json:"schema,omitempty"`
	// Subresources are the status and scale subresources.
	Subresources *CustomResourceSubresources `json:"subresources,omitempty"`
	// AdditionalPrinterColumns are the extra table columns.
	AdditionalPrinterColumns []CustomResourceColumnDefinition `json:"additionalPrinterColumns,omitempty"`
	// SelectableFields are the extra field selectors.
	SelectableFields []SelectableField `json:"selectableFields,omitempty"`
}

// SelectableField is a field usable in field selectors.
type SelectableField struct {
	// JSONPath is a simple path to the field, e.g. .spec.color.
	JSONPath string `json:"jsonPath"`
}

// CustomResourceColumnDefinition specifies a column for server side printing.
type CustomResourceColumnDefinition struct {
	// Name is the column header.
	Name string `json:"name"`
	// Type is an OpenAPI type: integer, number, string, boolean or date.
	Type string `json:"type"`
	// Format is an optional OpenAPI format.
	Format string `json:"format,omitempty"`
	// Description is a human readable description of the column.
	Description string `json:"description,omitempty"`
	// Priority: 0 columns are shown in the short view.
	Priority int32 `json:"priority,omitempty"`
	// JSONPath selects the value of the column in each object.
	JSONPath string `json:"jsonPath"`
}

// CustomResourceDefinitionNames indicates the names to serve a CRD.
type CustomResourceDefinitionNames struct {
	// Plural is the resource name, lower case.
	Plural string `json:"plural"`
	// Singular is the lower-case singular name, the lower-cased kind by default.
	Singular string `json:"singular,omitempty"`
	// ShortNames are short lower-case aliases.
	ShortNames []string `json:"shortNames,omitempty"`
	// Kind is the serialized kind.
	Kind string `json:"kind"`
	// ListKind is the kind of lists, <kind>List by default.
	ListKind string `json:"listKind,omitempty"`
	// Categories group resources, e.g. "all".
	Categories []string `json:"categories,omitempty"`
}

// ResourceScope is Cluster or Namespaced.
type ResourceScope string

// The scopes of a custom resource.
const (
	ClusterScoped   ResourceScope = "Cluster"
	NamespaceScoped ResourceScope = "Namespaced"
)

// ConditionStatus is True, False or Unknown.
type ConditionStatus string

// The statuses of a condition.
const (
	ConditionTrue    ConditionStatus = "True"
	ConditionFalse   ConditionStatus = "False"
	ConditionUnknown ConditionStatus = "Unknown"
)

// CustomResourceDefinitionConditionType is the type of a CRD condition.
type CustomResourceDefinitionConditionType string

// The condition types kube-apiserver sets on a CRD.
const (
	Established                           CustomResourceDefinitionConditionType = "Established"
	NamesAccepted                         CustomResourceDefinitionConditionType = "NamesAccepted"
	NonStructuralSchema                   CustomResourceDefinitionConditionType = "NonStructuralSchema"
	Terminating                           CustomResourceDefinitionConditionType = "Terminating"
	KubernetesAPIApprovalPolicyConformant CustomResourceDefinitionConditionType = "KubernetesAPIApprovalPolicyConformant"
)

// CustomResourceDefinitionCondition contains details for the current condition of a CRD.
type CustomResourceDefinitionCondition struct {
	// Type of the condition.
	Type CustomResourceDefinitionConditionType `json:"type"`
	// Status of the condition.
	Status ConditionStatus `json:"status"`
	// LastTransitionTime is when the status last changed.
	LastTransitionTime metav1.Time `json:"lastTransitionTime,omitempty"`
	// Reason is a CamelCase word for the last transition.
	Reason string `json:"reason,omitempty"`
	// Message is a human readable message about the last transition.
	Message string `json:"message,omitempty"`
}

// CustomResourceDefinitionStatus indicates the state of a CRD.
type CustomResourceDefinitionStatus struct {
	// Conditions of the CRD.
	Conditions []CustomResourceDefinitionCondition `json:"conditions"`
	// AcceptedNames are the names actually served.
	AcceptedNames CustomResourceDefinitionNames `json:"acceptedNames"`
	// StoredVersions are all versions ever persisted.
	StoredVersions []string `json:"storedVersions"`
}

// CustomResourceCleanupFinalizer is the finalizer that deletes all custom
// resources of a CRD before the CRD itself.
const CustomResourceCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

// CustomResourceDefinition represents a resource that should be exposed on the API server.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type CustomResourceDefinition struct {
	metav1.TypeMeta `json:",inline"`
	// Standard object metadata.
	metav1.ObjectMeta `json:"metadata,omitempty"`
	// Spec describes how the user wants the resources to appear.
	Spec CustomResourceDefinitionSpec `json:"spec"`
	// Status indicates the actual state of the CRD.
	Status CustomResourceDefinitionStatus `json:"status,omitempty"`
}

// CustomResourceDefinitionList is a list of CustomResourceDefinition objects.
//
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
type CustomResourceDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	// Standard list metadata.
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items lists the CRDs.
	Items []CustomResourceDefinition `json:"items"`
}

// CustomResourceValidation is a list of validation methods for custom resources.
type CustomResourceValidation struct {
	// OpenAPIV3Schema is the schema used for validation, pruning and defaulting.
	OpenAPIV3Schema *JSONSchemaProps `json:"openAPIV3Schema,omitempty"`
}

// CustomResourceSubresources defines the status and scale subresources.
type CustomResourceSubresources struct {
	// Status enables the status subresource.
	Status *CustomResourceSubresourceStatus `json:"status,omitempty"`
	// Scale enables the scale subresource.
	Scale *CustomResourceSubresourceScale `json:"scale,omitempty"`
}

// CustomResourceSubresourceStatus enables the status subresource; it has no fields.
type CustomResourceSubresourceStatus struct{}

// CustomResourceSubresourceScale defines how to serve the scale subresource.
type CustomResourceSubresourceScale struct {
	// SpecReplicasPath is the path of the desired replicas, under .spec.
	SpecReplicasPath string `json:"specReplicasPath"`
	// StatusReplicasPath is the path of the observed replicas, under .status.
	StatusReplicasPath string `json:"statusReplicasPath"`
	// LabelSelectorPath is the path of the label selector string, under .status or .spec.
	LabelSelectorPath *string `json:"labelSelectorPath,omitempty"`
}
