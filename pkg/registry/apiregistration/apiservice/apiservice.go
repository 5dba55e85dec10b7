// Package apiservice declares apiregistration.k8s.io/v1 APIServices as
// kube-apiserver 1.31 serves them: cluster-scoped, named
// "<version>.<group>", kube's validation and messages, a service port
// defaulted to 443, /status, and kube's columns (NAME, SERVICE, AVAILABLE,
// AGE). What they do, proxying a group version to its backend, is
// pkg/aggregator's.
package apiservice

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	apiregistrationv1 "github.com/apiserver/apiserver/pkg/apiregistration/v1"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the apiservices resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: apiregistrationv1.SchemeGroupVersion.WithResource("apiservices"),
			Kind:                 "APIService",
			ListKind:             "APIServiceList",
			Singular:             "apiservice",
			Categories:           []string{"api-extensions"},
			Verbs:                rest.DefaultVerbs,
		},
		New:          func() runtime.Object { return &apiregistrationv1.APIService{} },
		NewList:      func() runtime.Object { return &apiregistrationv1.APIServiceList{} },
		Strategy:     Strategy{},
		Table:        Table(),
		ValidateName: generic.PathSegmentName,
		Defaults:     func(obj runtime.Object) { SetDefaults(obj.(*apiregistrationv1.APIService)) },
	}
}

// StatusType is the type of apiservices/status.
func StatusType() rest.Type { return Type().WithStrategy(statusStrategy{}) }

// SetDefaults gives a Service without a port kube's 443.
func SetDefaults(s *apiregistrationv1.APIService) {
	if s.Spec.Service != nil && s.Spec.Service.Port == nil {
		port := int32(443)
		s.Spec.Service.Port = &port
	}
}

// Strategy is the APIService rest.Strategy: the status is the
// aggregator's, and the generation never moves, as in kube-apiserver.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate drops a status the client sent.
func (Strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	obj.(*apiregistrationv1.APIService).Status = apiregistrationv1.APIServiceStatus{}
}

// PrepareForUpdate keeps the stored status.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	obj.(*apiregistrationv1.APIService).Status = old.(*apiregistrationv1.APIService).Status
}

// Validate checks a new APIService.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*apiregistrationv1.APIService))
}

// ValidateUpdate checks the new APIService; every field may change.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*apiregistrationv1.APIService))
}

// Validate returns the errors of s with kube-apiserver's messages.
func Validate(s *apiregistrationv1.APIService) field.ErrorList {
	var errs field.ErrorList
	spec := &s.Spec
	specPath := field.NewPath("spec")
	want := spec.Version + "." + spec.Group
	if s.Name != want && len(generic.PathSegmentName(s.Name, false)) == 0 {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), s.Name, fmt.Sprintf("must be `spec.version+\".\"+spec.group`: %q", want)))
	}
	if spec.Group == "" && spec.Version != "v1" {
		errs = append(errs, field.Required(specPath.Child("group"), "only v1 may have an empty group and it better be legacy kube"))
	}
	if spec.Group != "" {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(spec.Group) {
			errs = append(errs, field.Invalid(specPath.Child("group"), spec.Group, msg))
		}
	}
	for _, msg := range utilvalidation.IsDNS1035Label(spec.Version) {
		errs = append(errs, field.Invalid(specPath.Child("version"), spec.Version, msg))
	}
	if spec.GroupPriorityMinimum <= 0 || spec.GroupPriorityMinimum > 20000 {
		errs = append(errs, field.Invalid(specPath.Child("groupPriorityMinimum"), spec.GroupPriorityMinimum, "must be positive and less than 20000"))
	}
	if spec.VersionPriority <= 0 || spec.VersionPriority > 1000 {
		errs = append(errs, field.Invalid(specPath.Child("versionPriority"), spec.VersionPriority, "must be positive and less than 1000"))
	}
	if spec.Service == nil {
		if len(spec.CABundle) > 0 {
			errs = append(errs, field.Invalid(specPath.Child("caBundle"), fmt.Sprintf("%d bytes", len(spec.CABundle)), "local APIServices may not have a caBundle"))
		}
		if spec.InsecureSkipTLSVerify {
			errs = append(errs, field.Invalid(specPath.Child("insecureSkipTLSVerify"), true, "local APIServices may not have insecureSkipTLSVerify"))
		}
		return errs
	}
	svc := specPath.Child("service")
	if spec.Service.Namespace == "" {
		errs = append(errs, field.Required(svc.Child("namespace"), ""))
	}
	if spec.Service.Name == "" {
		errs = append(errs, field.Required(svc.Child("name"), ""))
	}
	port := int32(0)
	if spec.Service.Port != nil {
		port = *spec.Service.Port
	}
	if msgs := utilvalidation.IsValidPortNum(int(port)); len(msgs) > 0 {
		errs = append(errs, field.Invalid(svc.Child("port"), port, "port is not valid: "+strings.Join(msgs, ", ")))
	}
	if spec.InsecureSkipTLSVerify && len(spec.CABundle) > 0 {
		errs = append(errs, field.Invalid(specPath.Child("insecureSkipTLSVerify"), true, "may not be true if caBundle is present"))
	}
	return errs
}

// statusStrategy is the strategy of apiservices/status: the spec stays,
// and a condition's status must be True, False or Unknown.
type statusStrategy struct{ rest.StatusStrategy }

var conditionStatuses = []string{string(apiregistrationv1.ConditionTrue), string(apiregistrationv1.ConditionFalse), string(apiregistrationv1.ConditionUnknown)}

// ValidateUpdate checks the conditions.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	var errs field.ErrorList
	for i, c := range obj.(*apiregistrationv1.APIService).Status.Conditions {
		switch c.Status {
		case apiregistrationv1.ConditionTrue, apiregistrationv1.ConditionFalse, apiregistrationv1.ConditionUnknown:
		default:
			errs = append(errs, field.NotSupported(field.NewPath("status", "conditions").Index(i).Child("status"), c.Status, conditionStatuses))
		}
	}
	return errs
}

// Table prints APIServices as kube-apiserver does: the Service, or Local,
// and whether it is available, with the reason when it is not.
func Table() tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Service", "The reference to the service that hosts this API endpoint."),
			tables.Column("Available", "Whether this service is available."),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			s, ok := obj.(*apiregistrationv1.APIService)
			if !ok {
				return nil, fmt.Errorf("not an APIService: %T", obj)
			}
			service := "Local"
			if s.Spec.Service != nil {
				service = s.Spec.Service.Namespace + "/" + s.Spec.Service.Name
			}
			available := "Unknown"
			if c, ok := s.Available(); ok {
				available = string(c.Status)
				if c.Status != apiregistrationv1.ConditionTrue {
					available += " (" + c.Reason + ")"
				}
			}
			return []interface{}{s.Name, service, available, tables.Age(s.CreationTimestamp)}, nil
		},
	}
}
