package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

func TestErrorMatching(t *testing.T) {
	cause := context.DeadlineExceeded
	err := fmt.Errorf("getting: %w", Errorf(ErrCodeUnavailable, "/registry/x/y", 0, "etcd: %w", cause))
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"errors.Is its sentinel", errors.Is(err, ErrUnavailable), true},
		{"errors.Is another sentinel", errors.Is(err, ErrNotFound), false},
		{"errors.Is its cause", errors.Is(err, context.DeadlineExceeded), true},
		{"IsUnavailable", IsUnavailable(err), true},
		{"IsRetryable", IsRetryable(err), true},
		{"IsNotFound", IsNotFound(err), false},
		{"nil is nothing", IsNotFound(nil), false},
		{"a plain error is nothing", IsConflict(errors.New("x")), false},
		{"two errors of a code are not equal", errors.Is(NewError(ErrCodeNotFound, "a", 0, nil), NewError(ErrCodeNotFound, "b", 0, nil)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v; want %v", tc.got, tc.want)
			}
		})
	}
	var se *Error
	if !errors.As(err, &se) || se.Key != "/registry/x/y" {
		t.Errorf("errors.As = %v; want the key", se)
	}
	if want := "storage unavailable: key /registry/x/y: etcd: context deadline exceeded"; se.Error() != want {
		t.Errorf("message = %q; want %q", se.Error(), want)
	}
}

func TestToStatusError(t *testing.T) {
	gr := schema.GroupResource{Resource: "configmaps"}
	tests := []struct {
		err    error
		code   int32
		reason metav1.StatusReason
	}{
		{NewError(ErrCodeNotFound, "k", 0, nil), http.StatusNotFound, metav1.StatusReasonNotFound},
		{NewError(ErrCodeAlreadyExists, "k", 0, nil), http.StatusConflict, metav1.StatusReasonAlreadyExists},
		{Errorf(ErrCodeConflict, "k", 0, "precondition failed"), http.StatusConflict, metav1.StatusReasonConflict},
		{NewError(ErrCodeResourceExpired, "k", 3, nil), http.StatusGone, metav1.StatusReasonExpired},
		{NewError(ErrCodeTooLargeResourceVersion, "k", 3, nil), http.StatusGatewayTimeout, metav1.StatusReasonTimeout},
		{NewError(ErrCodeInvalidRequest, "k", 0, nil), http.StatusBadRequest, metav1.StatusReasonBadRequest},
		{NewError(ErrCodeTooLarge, "k", 0, nil), http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge},
		{NewError(ErrCodeUnavailable, "k", 0, nil), http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable},
		{NewError(ErrCodeWatchTooSlow, "k", 0, nil), http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests},
		{NewError(ErrCodeInvalidObject, "k", 0, nil), http.StatusInternalServerError, metav1.StatusReasonInternalError},
		{errors.New("boom"), http.StatusInternalServerError, metav1.StatusReasonInternalError},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			st := ToStatusError(tc.err, gr, "foo").Status()
			if st.Code != tc.code || st.Reason != tc.reason {
				t.Errorf("status = %d %s; want %d %s", st.Code, st.Reason, tc.code, tc.reason)
			}
		})
	}
}

func TestPreconditions(t *testing.T) {
	cm := &corev1.ConfigMap{}
	cm.UID, cm.ResourceVersion = "u1", "7"
	uid, other := types.UID("u1"), types.UID("u2")
	rv, stale := "7", "6"
	tests := []struct {
		name string
		p    *Preconditions
		ok   bool
	}{
		{"none", nil, true},
		{"empty", &Preconditions{}, true},
		{"matching", &Preconditions{UID: &uid, ResourceVersion: &rv}, true},
		{"other UID", &Preconditions{UID: &other}, false},
		{"stale resourceVersion", &Preconditions{ResourceVersion: &stale}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Check("k", cm)
			if (err == nil) != tc.ok || (err != nil && !IsConflict(err)) {
				t.Errorf("Check = %v; want ok=%v or a conflict", err, tc.ok)
			}
		})
	}
}

func TestSelectionPredicate(t *testing.T) {
	cm := &corev1.ConfigMap{}
	cm.Name, cm.Namespace, cm.Labels = "foo", "ns", map[string]string{"app": "web"}
	tests := []struct {
		name string
		p    SelectionPredicate
		want bool
	}{
		{"everything", Everything, true},
		{"label match", SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"})}, true},
		{"label mismatch", SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "db"})}, false},
		{"name field", SelectionPredicate{Field: fields.OneTermEqualSelector("metadata.name", "foo")}, true},
		{"namespace field", SelectionPredicate{Field: fields.OneTermEqualSelector("metadata.namespace", "other")}, false},
		{"custom attributes", SelectionPredicate{
			Field: fields.OneTermEqualSelector("data.size", "big"),
			GetAttrs: func(runtime.Object) (labels.Set, fields.Set, error) {
				return nil, fields.Set{"data.size": "big"}, nil
			}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.Matches(cm)
			if err != nil || got != tc.want {
				t.Errorf("Matches = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
