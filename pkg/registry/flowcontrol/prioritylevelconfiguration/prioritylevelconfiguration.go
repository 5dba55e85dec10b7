// Package prioritylevelconfiguration is the flowcontrol.apiserver.k8s.io/v1
// PriorityLevelConfiguration resource (prioritylevelconfigurations,
// cluster-scoped) as kube-apiserver 1.31 serves it: kube's defaults
// (30 shares, 64 queues of 50 with hands of 8), its validation messages,
// /status, and kube's columns.
package prioritylevelconfiguration

import (
	"context"
	"fmt"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Kube's defaults of a limited level's queuing.
const (
	defaultShares           = int32(30)
	defaultQueues           = int32(64)
	defaultHandSize         = int32(8)
	defaultQueueLengthLimit = int32(50)
)

// Type is the prioritylevelconfigurations resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: flowcontrolv1.SchemeGroupVersion.WithResource("prioritylevelconfigurations"),
			Kind:                 "PriorityLevelConfiguration",
			ListKind:             "PriorityLevelConfigurationList",
			Singular:             "prioritylevelconfiguration",
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &flowcontrolv1.PriorityLevelConfiguration{} },
		NewList:  func() runtime.Object { return &flowcontrolv1.PriorityLevelConfigurationList{} },
		Strategy: Strategy{},
		Table:    Table(),
		Defaults: func(obj runtime.Object) { Default(obj.(*flowcontrolv1.PriorityLevelConfiguration)) },
	}
}

// StatusType is the type of prioritylevelconfigurations/status.
func StatusType() rest.Type { return Type().WithStrategy(rest.StatusStrategy{}) }

// Default fills a limited level's shares, lendable percent and queuing,
// and an exempt level's shares and lendable percent, as kube.
func Default(p *flowcontrolv1.PriorityLevelConfiguration) {
	if l := p.Spec.Limited; l != nil {
		if l.NominalConcurrencyShares == nil {
			l.NominalConcurrencyShares = ptr.To(defaultShares)
		}
		if l.LendablePercent == nil {
			l.LendablePercent = ptr.To[int32](0)
		}
		if q := l.LimitResponse.Queuing; q != nil {
			for _, v := range []struct {
				f   *int32
				def int32
			}{{&q.Queues, defaultQueues}, {&q.HandSize, defaultHandSize}, {&q.QueueLengthLimit, defaultQueueLengthLimit}} {
				if *v.f == 0 {
					*v.f = v.def
				}
			}
		}
	}
	if e := p.Spec.Exempt; e != nil {
		if e.NominalConcurrencyShares == nil {
			e.NominalConcurrencyShares = ptr.To[int32](0)
		}
		if e.LendablePercent == nil {
			e.LendablePercent = ptr.To[int32](0)
		}
	}
}

// Strategy is the PriorityLevelConfiguration rest.Strategy.
type Strategy struct{ rest.SpecStatusStrategy }

// Validate checks a new level.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	p := obj.(*flowcontrolv1.PriorityLevelConfiguration)
	return Validate(p.Name, &p.Spec)
}

// ValidateUpdate checks the new spec.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	p := obj.(*flowcontrolv1.PriorityLevelConfiguration)
	return Validate(p.Name, &p.Spec)
}

var (
	levelTypes    = []string{string(flowcontrolv1.PriorityLevelEnablementExempt), string(flowcontrolv1.PriorityLevelEnablementLimited)}
	responseTypes = []string{string(flowcontrolv1.LimitResponseTypeQueue), string(flowcontrolv1.LimitResponseTypeReject)}
)

// Validate checks a level's spec with kube's messages.
func Validate(name string, spec *flowcontrolv1.PriorityLevelConfigurationSpec) field.ErrorList {
	var errs field.ErrorList
	fld := field.NewPath("spec")
	if (name == flowcontrolv1.PriorityLevelConfigurationNameExempt) != (spec.Type == flowcontrolv1.PriorityLevelEnablementExempt) {
		errs = append(errs, field.Invalid(fld.Child("type"), spec.Type, "type must be 'Exempt' if and only if name is 'exempt'"))
	}
	switch spec.Type {
	case flowcontrolv1.PriorityLevelEnablementExempt:
		if spec.Limited != nil {
			errs = append(errs, field.Forbidden(fld.Child("limited"), "must be nil if the type is not Limited"))
		}
		if e := spec.Exempt; e != nil {
			errs = append(errs, nominal(e.NominalConcurrencyShares, fld.Child("exempt"))...)
			errs = append(errs, lendable(e.LendablePercent, fld.Child("exempt"))...)
		}
	case flowcontrolv1.PriorityLevelEnablementLimited:
		if spec.Exempt != nil {
			errs = append(errs, field.Forbidden(fld.Child("exempt"), "must be nil if the type is Limited"))
		}
		if spec.Limited == nil {
			errs = append(errs, field.Required(fld.Child("limited"), "must not be empty when type is Limited"))
			break
		}
		errs = append(errs, validateLimited(spec.Limited, fld.Child("limited"))...)
	default:
		errs = append(errs, field.NotSupported(fld.Child("type"), spec.Type, levelTypes))
	}
	return errs
}

func nominal(shares *int32, fld *field.Path) field.ErrorList {
	if shares != nil && *shares < 0 {
		return field.ErrorList{field.Invalid(fld.Child("nominalConcurrencyShares"), *shares, "must be a non-negative integer")}
	}
	return nil
}

func lendable(percent *int32, fld *field.Path) field.ErrorList {
	if percent != nil && (*percent < 0 || *percent > 100) {
		return field.ErrorList{field.Invalid(fld.Child("lendablePercent"), *percent, "must be between 0 and 100, inclusive")}
	}
	return nil
}

// validateLimited checks a limited level in kube's order: shares, the
// limit response, then what it lends and borrows.
func validateLimited(l *flowcontrolv1.LimitedPriorityLevelConfiguration, fld *field.Path) field.ErrorList {
	errs := nominal(l.NominalConcurrencyShares, fld)
	errs = append(errs, limitResponse(l.LimitResponse, fld.Child("limitResponse"))...)
	errs = append(errs, lendable(l.LendablePercent, fld)...)
	if b := l.BorrowingLimitPercent; b != nil && *b < 0 {
		errs = append(errs, field.Invalid(fld.Child("borrowingLimitPercent"), *b, "if specified, must be a non-negative integer"))
	}
	return errs
}

func limitResponse(r flowcontrolv1.LimitResponse, at *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch r.Type {
	case flowcontrolv1.LimitResponseTypeReject:
		if r.Queuing != nil {
			errs = append(errs, field.Forbidden(at.Child("queuing"), "must be nil if limited.limitResponse.type is not Limited"))
		}
	case flowcontrolv1.LimitResponseTypeQueue:
		if r.Queuing == nil {
			errs = append(errs, field.Required(at.Child("queuing"), "must not be empty if limited.limitResponse.type is Limited"))
			break
		}
		q, qat := r.Queuing, at.Child("queuing")
		if q.QueueLengthLimit <= 0 {
			errs = append(errs, field.Invalid(qat.Child("queueLengthLimit"), q.QueueLengthLimit, "must be positive"))
		}
		if q.Queues <= 0 {
			errs = append(errs, field.Invalid(qat.Child("queues"), q.Queues, "must be positive"))
		}
		switch {
		case q.HandSize <= 0:
			errs = append(errs, field.Invalid(qat.Child("handSize"), q.HandSize, "must be positive"))
		case q.HandSize > q.Queues:
			errs = append(errs, field.Invalid(qat.Child("handSize"), q.HandSize, fmt.Sprintf("should not be greater than queues (%d)", q.Queues)))
		}
	default:
		errs = append(errs, field.NotSupported(at.Child("type"), r.Type, responseTypes))
	}
	return errs
}

// Table prints levels as kube-apiserver does.
func Table() tables.Convertor {
	q := flowcontrolv1.QueuingConfiguration{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.Column("Type", flowcontrolv1.PriorityLevelConfigurationSpec{}.SwaggerDoc()["type"]),
			tables.Column("NominalConcurrencyShares", flowcontrolv1.LimitedPriorityLevelConfiguration{}.SwaggerDoc()["nominalConcurrencyShares"]),
			tables.Column("Queues", q["queues"]),
			tables.Column("HandSize", q["handSize"]),
			tables.Column("QueueLengthLimit", q["queueLengthLimit"]),
			tables.AgeColumn(),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			p, ok := obj.(*flowcontrolv1.PriorityLevelConfiguration)
			if !ok {
				return nil, fmt.Errorf("not a PriorityLevelConfiguration: %T", obj)
			}
			cells := []interface{}{p.Name, string(p.Spec.Type), "<none>", "<none>", "<none>", "<none>"}
			if l := p.Spec.Limited; l != nil {
				if l.NominalConcurrencyShares != nil {
					cells[2] = int64(*l.NominalConcurrencyShares)
				}
				if q := l.LimitResponse.Queuing; q != nil {
					cells[3], cells[4], cells[5] = int64(q.Queues), int64(q.HandSize), int64(q.QueueLengthLimit)
				}
			}
			return append(cells, tables.Age(p.CreationTimestamp)), nil
		},
	}
}
