// Package status computes the status of a CustomResourceDefinition as
// kube-apiserver's naming and establishing controllers do: the accepted
// names, and the NamesAccepted and Established conditions. It also has the
// steps of kube-apiserver's CRD strategy that touch status and generation
// before validation (PrepareForCreate, PrepareForUpdate,
// PrepareForStatusUpdate).
//
// A registry calls Update after each create or update of a CRD, with the
// other CRDs of the server, and stores the result through the status
// subresource:
//
//	status.Update(crd, others, time.Now())
package status

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// Update sets crd.Status.AcceptedNames and the NamesAccepted and
// Established conditions from crd.Spec.Names and the names the other CRDs
// of the same group have accepted. Once its names are accepted a CRD is
// established at once (kube-apiserver first reports Established=False
// "Installing" for the few seconds its handlers take to start) and stays
// established.
func Update(crd *apiextensionsv1.CustomResourceDefinition, others []*apiextensionsv1.CustomResourceDefinition, now time.Time) {
	names, accepted, established := Calculate(crd, others)
	crd.Status.AcceptedNames = names
	SetCondition(crd, accepted, now)
	if accepted.Status == apiextensionsv1.ConditionTrue && !IsConditionTrue(crd, apiextensionsv1.Established) {
		established = apiextensionsv1.CustomResourceDefinitionCondition{
			Type:    apiextensionsv1.Established,
			Status:  apiextensionsv1.ConditionTrue,
			Reason:  "InitialNamesAccepted",
			Message: "the initial names have been accepted",
		}
	}
	SetCondition(crd, established, now)
}

// Calculate returns the names crd may use and its NamesAccepted and
// Established conditions, as kube-apiserver's naming controller: a
// requested name is accepted when it is the one already accepted or no
// other CRD of the group uses it (plural, singular and short names share a
// namespace, kind and listKind another). Like kube-apiserver, which lists
// every stored CRD, others may include crd itself as stored.
func Calculate(crd *apiextensionsv1.CustomResourceDefinition, others []*apiextensionsv1.CustomResourceDefinition) (apiextensionsv1.CustomResourceDefinitionNames, apiextensionsv1.CustomResourceDefinitionCondition, apiextensionsv1.CustomResourceDefinitionCondition) {
	resources, kinds := usedNames(crd, others)
	cond := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionUnknown}
	requested, accepted := crd.Spec.Names, crd.Status.AcceptedNames
	names := accepted
	conflict := func(reason string, err error) {
		cond.Status, cond.Reason, cond.Message = apiextensionsv1.ConditionFalse, reason, err.Error()
	}
	if err := acceptable(requested.Plural, accepted.Plural, resources); err != nil {
		conflict("PluralConflict", err)
	} else {
		names.Plural = requested.Plural
	}
	if err := acceptable(requested.Singular, accepted.Singular, resources); err != nil {
		conflict("SingularConflict", err)
	} else {
		names.Singular = requested.Singular
	}
	if !reflect.DeepEqual(requested.ShortNames, accepted.ShortNames) {
		var errs []error
		existing := map[string]bool{}
		for _, s := range accepted.ShortNames {
			existing[s] = true
		}
		for _, s := range requested.ShortNames {
			if err := acceptable(s, "", resources); !existing[s] && err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			conflict("ShortNamesConflict", aggregate(errs))
		} else {
			names.ShortNames = requested.ShortNames
		}
	}
	if err := acceptable(requested.Kind, accepted.Kind, kinds); err != nil {
		conflict("KindConflict", err)
	} else {
		names.Kind = requested.Kind
	}
	if err := acceptable(requested.ListKind, accepted.ListKind, kinds); err != nil {
		conflict("ListKindConflict", err)
	} else {
		names.ListKind = requested.ListKind
	}
	names.Categories = requested.Categories
	if cond.Status == apiextensionsv1.ConditionUnknown {
		cond.Status, cond.Reason, cond.Message = apiextensionsv1.ConditionTrue, "NoConflicts", "no conflicts found"
	}
	established := apiextensionsv1.CustomResourceDefinitionCondition{
		Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionFalse,
		Reason: "NotAccepted", Message: "not all names are accepted",
	}
	if old := FindCondition(crd, apiextensionsv1.Established); old != nil {
		established = *old
	}
	if established.Status != apiextensionsv1.ConditionTrue && cond.Status == apiextensionsv1.ConditionTrue {
		established = apiextensionsv1.CustomResourceDefinitionCondition{
			Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionFalse,
			Reason: "Installing", Message: "the initial names have been accepted",
		}
	}
	return names, cond, established
}

func usedNames(crd *apiextensionsv1.CustomResourceDefinition, others []*apiextensionsv1.CustomResourceDefinition) (resources, kinds map[string]bool) {
	resources, kinds = map[string]bool{}, map[string]bool{}
	for _, o := range others {
		if o.Spec.Group != crd.Spec.Group {
			continue
		}
		n := o.Status.AcceptedNames
		resources[n.Plural], resources[n.Singular] = true, true
		for _, s := range n.ShortNames {
			resources[s] = true
		}
		kinds[n.Kind], kinds[n.ListKind] = true, true
	}
	return resources, kinds
}

func acceptable(requested, accepted string, used map[string]bool) error {
	if requested == accepted || !used[requested] {
		return nil
	}
	return fmt.Errorf("%q is already in use", requested)
}

// aggregate joins errors as k8s.io/apimachinery's aggregate does: one
// error alone, else "[a, b]".
func aggregate(errs []error) error {
	if len(errs) == 1 {
		return errs[0]
	}
	msg := "["
	for i, e := range errs {
		if i > 0 {
			msg += ", "
		}
		msg += e.Error()
	}
	return errors.New(msg + "]")
}

// FindCondition returns the condition of type t, or nil.
func FindCondition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) *apiextensionsv1.CustomResourceDefinitionCondition {
	for i := range crd.Status.Conditions {
		if crd.Status.Conditions[i].Type == t {
			return &crd.Status.Conditions[i]
		}
	}
	return nil
}

// IsConditionTrue reports whether the condition of type t is True.
func IsConditionTrue(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	c := FindCondition(crd, t)
	return c != nil && c.Status == apiextensionsv1.ConditionTrue
}

// SetCondition adds or updates a condition; its lastTransitionTime moves
// to now only when its status changes.
func SetCondition(crd *apiextensionsv1.CustomResourceDefinition, c apiextensionsv1.CustomResourceDefinitionCondition, now time.Time) {
	c.LastTransitionTime = metav1.NewTime(now.Truncate(time.Second))
	existing := FindCondition(crd, c.Type)
	if existing == nil {
		crd.Status.Conditions = append(crd.Status.Conditions, c)
		return
	}
	if existing.Status != c.Status || existing.LastTransitionTime.IsZero() {
		existing.LastTransitionTime = c.LastTransitionTime
	}
	existing.Status, existing.Reason, existing.Message = c.Status, c.Reason, c.Message
}

// RemoveCondition removes the condition of type t.
func RemoveCondition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) {
	out := crd.Status.Conditions[:0]
	for _, c := range crd.Status.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	crd.Status.Conditions = out
}
