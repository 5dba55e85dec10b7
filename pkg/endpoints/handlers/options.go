package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// listOptions reads the query parameters of list and watch.
func listOptions(q url.Values) (*metav1.ListOptions, error) {
	o := &metav1.ListOptions{
		LabelSelector:        q.Get("labelSelector"),
		FieldSelector:        q.Get("fieldSelector"),
		ResourceVersion:      q.Get("resourceVersion"),
		ResourceVersionMatch: metav1.ResourceVersionMatch(q.Get("resourceVersionMatch")),
		Continue:             q.Get("continue"),
		Watch:                boolParam(q, "watch"),
		AllowWatchBookmarks:  boolParam(q, "allowWatchBookmarks"),
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid limit %q: must be a non-negative integer", v))
		}
		o.Limit = n
	}
	if v := q.Get("timeoutSeconds"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid timeoutSeconds %q: must be a non-negative integer", v))
		}
		o.TimeoutSeconds = &n
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
	return o, nil
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

func boolParam(q url.Values, name string) bool {
	v := q.Get(name)
	return v == "true" || v == "1"
}

// dryRun reads ?dryRun=All; any other value is a 400 as in kube-apiserver.
func dryRun(q url.Values) (bool, error) {
	values := q["dryRun"]
	for _, v := range values {
		if v != metav1.DryRunAll {
			return false, apierrors.NewBadRequest(fmt.Sprintf("Invalid dryRun value %q: only All is supported", v))
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

func fieldValidationParam(q url.Values) (fieldValidation, error) {
	switch v := q.Get("fieldValidation"); v {
	case "":
		return validationWarn, nil
	case string(validationStrict), string(validationWarn), string(validationIgnore):
		return fieldValidation(v), nil
	default:
		return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation must be one of Ignore, Warn or Strict, got %q", v))
	}
}
