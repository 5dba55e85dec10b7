// Package limitrange is the core/v1 LimitRange resource (limitranges,
// namespaced, short name limits) as kube-apiserver 1.31 serves it: a
// Container item's defaults (limit from max, request from limit or min),
// and kube's validation with its messages, quantities printed as kube
// prints them. Applying the defaults to Pods is the LimitRanger admission
// plugin's (pkg/admission/limitranger).
package limitrange

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Type is the limitranges resource; it prints kube's default table.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: corev1.SchemeGroupVersion.WithResource("limitranges"),
			Kind:                 "LimitRange",
			ListKind:             "LimitRangeList",
			Singular:             "limitrange",
			ShortNames:           []string{"limits"},
			Namespaced:           true,
			Verbs:                rest.DefaultVerbs,
		},
		New:      func() runtime.Object { return &corev1.LimitRange{} },
		NewList:  func() runtime.Object { return &corev1.LimitRangeList{} },
		Strategy: Strategy{},
		Defaults: func(obj runtime.Object) { Default(obj.(*corev1.LimitRange)) },
	}
}

// Default fills a Container item's default limit from max, and its
// default request from the default limit, then from min, as kube.
func Default(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type != corev1.LimitTypeContainer {
			continue
		}
		if item.Default == nil {
			item.Default = corev1.ResourceList{}
		}
		if item.DefaultRequest == nil {
			item.DefaultRequest = corev1.ResourceList{}
		}
		fill := func(into, from corev1.ResourceList) {
			for k, v := range from {
				if _, ok := into[k]; !ok {
					into[k] = v.DeepCopy()
				}
			}
		}
		fill(item.Default, item.Max)
		fill(item.DefaultRequest, item.Default)
		fill(item.DefaultRequest, item.Min)
	}
}

// Strategy is the LimitRange rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// Validate checks a new LimitRange.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.LimitRange))
}

// ValidateUpdate checks the new LimitRange.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*corev1.LimitRange))
}

var standardTypes = []corev1.LimitType{corev1.LimitTypePod, corev1.LimitTypeContainer, corev1.LimitTypePersistentVolumeClaim}

// shown prints a quantity as kube's messages print its internal value.
func shown(q resource.Quantity) core.Printed { return core.Printed(fmt.Sprintf("%#v", q)) }

// Validate returns the errors of lr, as kube's ValidateLimitRange.
func Validate(lr *corev1.LimitRange) field.ErrorList {
	var errs field.ErrorList
	seen := map[corev1.LimitType]bool{}
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		at := field.NewPath("spec", "limits").Index(i)
		t := string(item.Type)
		for _, msg := range validation.IsQualifiedName(t) {
			errs = append(errs, field.Invalid(at.Child("type"), t, msg))
		}
		if !strings.Contains(t, "/") && !slices.Contains(standardTypes, item.Type) {
			errs = append(errs, field.Invalid(at.Child("type"), t, "must be a standard limit type or fully qualified"))
		}
		if seen[item.Type] {
			errs = append(errs, field.Duplicate(at.Child("type"), item.Type))
		}
		seen[item.Type] = true
		if item.Type == corev1.LimitTypePod {
			if len(item.Default) > 0 {
				errs = append(errs, field.Forbidden(at.Child("default"), "may not be specified when `type` is 'Pod'"))
			}
			if len(item.DefaultRequest) > 0 {
				errs = append(errs, field.Forbidden(at.Child("defaultRequest"), "may not be specified when `type` is 'Pod'"))
			}
		}
		keys := map[corev1.ResourceName]bool{}
		for _, list := range []corev1.ResourceList{item.Max, item.Min, item.Default, item.DefaultRequest, item.MaxLimitRequestRatio} {
			for k := range list {
				keys[k] = true
			}
		}
		names := make([]string, 0, len(keys))
		for k := range keys {
			names = append(names, string(k))
		}
		slices.Sort(names)
		for _, n := range names {
			errs = append(errs, compare(item, corev1.ResourceName(n), at)...)
		}
	}
	return errs
}

// compare checks the bounds of one resource against each other, as kube
// does (min <= default request <= default <= max; ratio >= 1).
func compare(item *corev1.LimitRangeItem, k corev1.ResourceName, at *field.Path) field.ErrorList {
	var errs field.ErrorList
	minQ, hasMin := item.Min[k]
	maxQ, hasMax := item.Max[k]
	def, hasDef := item.Default[k]
	defReq, hasDefReq := item.DefaultRequest[k]
	ratio, hasRatio := item.MaxLimitRequestRatio[k]
	key := string(k)
	if hasMin && hasMax && minQ.Cmp(maxQ) > 0 {
		errs = append(errs, field.Invalid(at.Child("min").Key(key), shown(minQ), fmt.Sprintf("min value %s is greater than max value %s", minQ.String(), maxQ.String())))
	}
	if hasDefReq && hasMin && minQ.Cmp(defReq) > 0 {
		errs = append(errs, field.Invalid(at.Child("defaultRequest").Key(key), shown(defReq), fmt.Sprintf("min value %s is greater than default request value %s", minQ.String(), defReq.String())))
	}
	if hasDefReq && hasMax && defReq.Cmp(maxQ) > 0 {
		errs = append(errs, field.Invalid(at.Child("defaultRequest").Key(key), shown(defReq), fmt.Sprintf("default request value %s is greater than max value %s", defReq.String(), maxQ.String())))
	}
	if hasDefReq && hasDef && defReq.Cmp(def) > 0 {
		errs = append(errs, field.Invalid(at.Child("defaultRequest").Key(key), shown(defReq), fmt.Sprintf("default request value %s is greater than default limit value %s", defReq.String(), def.String())))
	}
	if hasDef && hasMin && minQ.Cmp(def) > 0 {
		// kube shows the min here, not the default.
		errs = append(errs, field.Invalid(at.Child("default").Key(key), shown(minQ), fmt.Sprintf("min value %s is greater than default value %s", minQ.String(), def.String())))
	}
	if hasDef && hasMax && def.Cmp(maxQ) > 0 {
		errs = append(errs, field.Invalid(at.Child("default").Key(key), shown(def), fmt.Sprintf("default value %s is greater than max value %s", def.String(), maxQ.String())))
	}
	if hasRatio && ratio.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) < 0 {
		errs = append(errs, field.Invalid(at.Child("maxLimitRequestRatio").Key(key), shown(ratio), fmt.Sprintf("ratio %s is less than 1", ratio.String())))
	}
	return errs
}
