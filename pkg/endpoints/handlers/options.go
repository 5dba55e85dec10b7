package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/internalversion"
	listvalidation "k8s.io/apimachinery/pkg/apis/meta/internalversion/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/endpoints/fieldmanager"
)

// listOptions reads the query parameters of list and watch as
// kube-apiserver does, with apimachinery's conversion: booleans
// are false only when absent, "0" or "false" in any case, and a number
// that does not parse is a 400 with strconv's message.
func listOptions(q url.Values) (*metav1.ListOptions, error) {
	o := &metav1.ListOptions{}
	if err := metav1.Convert_url_Values_To_v1_ListOptions(&q, o, nil); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if o.Limit < 0 {
		o.Limit = 0 // kube-apiserver serves a negative limit as none
	}
	if o.TimeoutSeconds != nil && *o.TimeoutSeconds <= 0 {
		o.TimeoutSeconds = nil // 0 means the server's default
	}
	if o.Watch && (o.SendInitialEvents != nil || o.ResourceVersionMatch != "") {
		return o, watchListOptions(o)
	}
	if o.SendInitialEvents != nil && !o.Watch {
		return nil, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "ListOptions"}, "", field.ErrorList{
			field.Forbidden(field.NewPath("sendInitialEvents"), "sendInitialEvents is forbidden for list"),
		})
	}
	switch o.ResourceVersionMatch {
	case "", metav1.ResourceVersionMatchExact, metav1.ResourceVersionMatchNotOlderThan:
	default:
		return nil, invalidListOption("resourceVersionMatch", string(o.ResourceVersionMatch), "must be one of NotOlderThan, Exact")
	}
	if o.ResourceVersionMatch != "" && o.ResourceVersion == "" {
		return nil, invalidListOption("resourceVersionMatch", string(o.ResourceVersionMatch), "resourceVersionMatch is forbidden unless resourceVersion is provided")
	}
	if o.Continue != "" && o.ResourceVersion != "" && o.ResourceVersion != "0" {
		return nil, invalidListOption("resourceVersion", o.ResourceVersion, "specifying resourceVersion is not allowed when using continue")
	}
	if err := checkResourceVersion(o.ResourceVersion); err != nil {
		return nil, err
	}
	return o, nil
}

// watchListOptions checks the options of a watch that sets
// sendInitialEvents or resourceVersionMatch as kube-apiserver does with
// the WatchList feature: apimachinery's validation.
func watchListOptions(o *metav1.ListOptions) error {
	var in internalversion.ListOptions
	if err := internalversion.Convert_v1_ListOptions_To_internalversion_ListOptions(o, &in, nil); err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	if errs := listvalidation.ValidateListOptions(&in, true); len(errs) > 0 {
		return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "ListOptions"}, "", errs)
	}
	return checkResourceVersion(o.ResourceVersion)
}

// checkResourceVersion refuses a resourceVersion parameter that is not a
// number with kube-apiserver's answer, a 500 without a reason.
func checkResourceVersion(rv string) error {
	if rv == "" {
		return nil
	}
	if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
			Message: fmt.Sprintf("resourceVersion: Invalid value: %q: %v", rv, err),
		}}
	}
	return nil
}

func invalidListOption(param, value, msg string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity, Reason: metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("ListOptions.meta.k8s.io %q is invalid: %s: Invalid value: %q: %s", "", param, value, msg),
		Details: &metav1.StatusDetails{Kind: "ListOptions", Group: "meta.k8s.io", Causes: []metav1.StatusCause{{
			Type: metav1.CauseTypeFieldValueInvalid, Field: param, Message: fmt.Sprintf("Invalid value: %q: %s", value, msg),
		}}},
	}}
}

// Options kinds, as 422s for invalid write parameters name them.
const (
	createOptions = "CreateOptions"
	updateOptions = "UpdateOptions"
	patchOptions  = "PatchOptions"
	deleteOptions = "DeleteOptions"
)

// writeOptionsKind is the kind of options a write verb takes.
func writeOptionsKind(verb string) string {
	switch verb {
	case "create":
		return createOptions
	case "patch":
		return patchOptions
	case "delete", "deletecollection":
		return deleteOptions
	default:
		return updateOptions
	}
}

// invalidOption is kube-apiserver's 422 for a write parameter with an
// unsupported value; value is printed as kube-apiserver 1.31 prints it.
func invalidOption(kind, param, value string, supported ...string) error {
	quoted := make([]string, len(supported))
	for i, v := range supported {
		quoted[i] = strconv.Quote(v)
	}
	msg := fmt.Sprintf("Unsupported value: %s: supported values: %s", value, strings.Join(quoted, ", "))
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusUnprocessableEntity, Reason: metav1.StatusReasonInvalid,
		Message: fmt.Sprintf("%s.%s %q is invalid: %s: %s", kind, metav1.GroupName, "", param, msg),
		Details: &metav1.StatusDetails{Group: metav1.GroupName, Kind: kind, Causes: []metav1.StatusCause{{
			Type: metav1.CauseTypeFieldValueNotSupported, Message: msg, Field: param,
		}}},
	}}
}

// dryRun reads ?dryRun=All; any other value is a 422, as kube-apiserver
// answers it, naming the options kind of the verb.
func dryRun(q url.Values, kind string) (bool, error) {
	values := q["dryRun"]
	for _, v := range values {
		if v != metav1.DryRunAll {
			return false, invalidOption(kind, "dryRun", fmt.Sprintf("%#v", values), metav1.DryRunAll)
		}
	}
	return len(values) > 0, nil
}

// fieldValidation is how unknown and duplicate fields in a body are
// treated: Strict refuses, Warn (the default) answers with warnings,
// Ignore drops them silently.
type fieldValidation string

const (
	validationStrict fieldValidation = "Strict"
	validationWarn   fieldValidation = "Warn"
	validationIgnore fieldValidation = "Ignore"
)

func fieldValidationParam(q url.Values, kind string) (fieldValidation, error) {
	switch v := q.Get("fieldValidation"); v {
	case "":
		return validationWarn, nil
	case string(validationStrict), string(validationWarn), string(validationIgnore):
		return fieldValidation(v), nil
	default:
		return "", invalidOption(kind, "fieldValidation", strconv.Quote(v), "", string(validationIgnore), string(validationStrict), string(validationWarn))
	}
}

// fieldManagerParam returns the manager a write is recorded under: the
// fieldManager parameter, checked as kube-apiserver checks it, or the
// User-Agent's first word.
func fieldManagerParam(r *http.Request, kind string) (string, error) {
	name := r.URL.Query().Get("fieldManager")
	p := field.NewPath("fieldManager")
	var errs field.ErrorList
	if len(name) > fieldmanager.MaxManagerLength {
		// Worded as kube-apiserver 1.31 words it.
		errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(),
			Detail: fmt.Sprintf("must have at most %d bytes", fieldmanager.MaxManagerLength)})
	}
	for i, c := range name {
		if !unicode.IsPrint(c) {
			errs = append(errs, field.Invalid(p, name, fmt.Sprintf("invalid character %#U (at position %d)", c, i)))
		}
	}
	if len(errs) > 0 {
		return "", apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: kind}, "", errs)
	}
	return fieldmanager.Manager(name, r.UserAgent()), nil
}
