package namespacelifecycle

import (
	"context"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/admission"
)

func TestAdmit(t *testing.T) {
	now := metav1.Now()
	namespaces := map[string]*corev1.Namespace{
		"active":      {ObjectMeta: metav1.ObjectMeta{Name: "active"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
		"terminating": {ObjectMeta: metav1.ObjectMeta{Name: "terminating"}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
		"marked":      {ObjectMeta: metav1.ObjectMeta{Name: "marked", DeletionTimestamp: &now}},
	}
	var reads int
	p := Plugin{Namespaces: func(_ context.Context, name string) (*corev1.Namespace, error) {
		reads++
		if ns, ok := namespaces[name]; ok {
			return ns, nil
		}
		return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
	}}
	configmaps := corev1.SchemeGroupVersion.WithResource("configmaps")
	nsResource := corev1.SchemeGroupVersion.WithResource("namespaces")
	tests := []struct {
		name     string
		attrs    admission.Attributes
		wantCode int32
		wantMsg  string
		noRead   bool
	}{
		{name: "create in an active namespace", attrs: admission.Attributes{Operation: admission.Create, Resource: configmaps, Namespace: "active"}},
		{name: "create in a missing namespace", attrs: admission.Attributes{Operation: admission.Create, Resource: configmaps, Namespace: "nope"},
			wantCode: http.StatusNotFound, wantMsg: `namespaces "nope" not found`},
		{name: "create in a terminating namespace", attrs: admission.Attributes{Operation: admission.Create, Resource: configmaps, Namespace: "terminating"},
			wantCode: http.StatusForbidden, wantMsg: "unable to create new content in namespace terminating because it is being terminated"},
		{name: "create in a namespace marked for deletion", attrs: admission.Attributes{Operation: admission.Create, Resource: configmaps, Namespace: "marked"},
			wantCode: http.StatusForbidden, wantMsg: "unable to create new content in namespace marked because it is being terminated"},
		{name: "update in a terminating namespace", attrs: admission.Attributes{Operation: admission.Update, Resource: configmaps, Namespace: "terminating"}, noRead: true},
		{name: "delete in a missing namespace", attrs: admission.Attributes{Operation: admission.Delete, Resource: configmaps, Namespace: "nope"}, noRead: true},
		{name: "cluster-scoped create", attrs: admission.Attributes{Operation: admission.Create, Resource: nsResource, Name: "new"}, noRead: true},
		{name: "delete an immortal namespace", attrs: admission.Attributes{Operation: admission.Delete, Resource: nsResource, Name: "kube-system"},
			wantCode: http.StatusForbidden, wantMsg: `namespaces "kube-system" is forbidden: this namespace may not be deleted`, noRead: true},
		{name: "delete another namespace", attrs: admission.Attributes{Operation: admission.Delete, Resource: nsResource, Name: "active"}, noRead: true},
		{name: "finalize an immortal namespace", attrs: admission.Attributes{Operation: admission.Update, Resource: nsResource, Subresource: "finalize", Name: "default"}, noRead: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reads = 0
			err := p.Admit(t.Context(), &tc.attrs)
			if tc.wantCode == 0 {
				if err != nil {
					t.Fatalf("Admit: %v", err)
				}
			} else {
				status, ok := err.(apierrors.APIStatus)
				if !ok || status.Status().Code != tc.wantCode || status.Status().Message != tc.wantMsg {
					t.Fatalf("Admit = %v, want %d %q", err, tc.wantCode, tc.wantMsg)
				}
			}
			if tc.noRead && reads > 0 {
				t.Errorf("read %d namespaces, want none", reads)
			}
		})
	}
}

func TestTerminatingCause(t *testing.T) {
	err := terminating("gone").(*apierrors.StatusError)
	causes := err.ErrStatus.Details.Causes
	if len(causes) != 1 || causes[0].Type != corev1.NamespaceTerminatingCause || causes[0].Field != "metadata.namespace" ||
		causes[0].Message != "namespace gone is being terminated" {
		t.Errorf("causes = %+v", causes)
	}
	if err.ErrStatus.Reason != metav1.StatusReasonForbidden {
		t.Errorf("reason = %s", err.ErrStatus.Reason)
	}
}
