package webhookconfiguration

import (
	"context"
	"fmt"
	"reflect"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

var gv = admissionregistrationv1.SchemeGroupVersion

// MutatingType is the mutatingwebhookconfigurations resource.
func MutatingType() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: gv.WithResource("mutatingwebhookconfigurations"),
			Kind:                 "MutatingWebhookConfiguration",
			ListKind:             "MutatingWebhookConfigurationList",
			Singular:             "mutatingwebhookconfiguration",
			Categories:           []string{"api-extensions"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		Strategy: mutatingStrategy{},
		Table: table(func(obj runtime.Object) (int, bool) {
			c, ok := obj.(*admissionregistrationv1.MutatingWebhookConfiguration)
			if !ok {
				return 0, false
			}
			return len(c.Webhooks), true
		}),
		Defaults: func(obj runtime.Object) { DefaultMutating(obj.(*admissionregistrationv1.MutatingWebhookConfiguration)) },
	}
}

// ValidatingType is the validatingwebhookconfigurations resource.
func ValidatingType() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: gv.WithResource("validatingwebhookconfigurations"),
			Kind:                 "ValidatingWebhookConfiguration",
			ListKind:             "ValidatingWebhookConfigurationList",
			Singular:             "validatingwebhookconfiguration",
			Categories:           []string{"api-extensions"},
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
		NewList:  func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		Strategy: validatingStrategy{},
		Table: table(func(obj runtime.Object) (int, bool) {
			c, ok := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
			if !ok {
				return 0, false
			}
			return len(c.Webhooks), true
		}),
		Defaults: func(obj runtime.Object) {
			DefaultValidating(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration))
		},
	}
}

// table prints NAME, WEBHOOKS and AGE, as kube-apiserver does.
func table(count func(runtime.Object) (int, bool)) tables.Convertor {
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			{Name: "Webhooks", Type: "integer", Description: "Webhooks indicates the number of webhooks registered in this configuration."},
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			n, ok := count(obj)
			if !ok {
				return nil, fmt.Errorf("not a webhook configuration: %T", obj)
			}
			m := obj.(metav1.Object)
			return []interface{}{m.GetName(), int64(n), tables.Age(m.GetCreationTimestamp())}, nil
		},
	}
}

// mutatingStrategy moves the generation when the webhooks change and
// validates as kube's ValidateMutatingWebhookConfiguration.
type mutatingStrategy struct{ rest.PlainStrategy }

func (mutatingStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	c := obj.(*admissionregistrationv1.MutatingWebhookConfiguration)
	return ValidateMutating(c, strictOptions())
}

func (mutatingStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	c, o := obj.(*admissionregistrationv1.MutatingWebhookConfiguration), old.(*admissionregistrationv1.MutatingWebhookConfiguration)
	return ValidateMutating(c, updateOptions(mutatingHooks(o.Webhooks), mutatingHooks(c.Webhooks)))
}

func (mutatingStrategy) SpecChanged(obj, old runtime.Object) bool {
	return !reflect.DeepEqual(obj.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks,
		old.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks)
}

// validatingStrategy is mutatingStrategy's twin for validating webhooks.
type validatingStrategy struct{ rest.PlainStrategy }

func (validatingStrategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	c := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	return ValidateValidating(c, strictOptions())
}

func (validatingStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	c, o := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration), old.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	return ValidateValidating(c, updateOptions(validatingHooks(o.Webhooks), validatingHooks(c.Webhooks)))
}

func (validatingStrategy) SpecChanged(obj, old runtime.Object) bool {
	return !reflect.DeepEqual(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks,
		old.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks)
}
