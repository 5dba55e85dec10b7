package apiservice

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiregistrationv1 "github.com/apiserver/apiserver/pkg/apiregistration/v1"
)

func ptr[T any](v T) *T { return &v }

// The messages are kube-apiserver 1.31's for the same objects.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		svc  apiregistrationv1.APIService
		want []string
	}{
		{"remote, valid", apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.wardle.example.com"}, Spec: apiregistrationv1.APIServiceSpec{
			Group: "wardle.example.com", Version: "v1alpha1", GroupPriorityMinimum: 1000, VersionPriority: 15,
			Service: &apiregistrationv1.ServiceReference{Namespace: "wardle", Name: "api", Port: ptr(int32(443))}, InsecureSkipTLSVerify: true,
		}}, nil},
		{"local core, valid", apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1."}, Spec: apiregistrationv1.APIServiceSpec{
			Version: "v1", GroupPriorityMinimum: 18000, VersionPriority: 1,
		}}, nil},
		{"everything wrong with a remote one", apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1.wrong.example.com"}, Spec: apiregistrationv1.APIServiceSpec{
			Group: "wardle.example.com", Version: "v1", GroupPriorityMinimum: 0, VersionPriority: 2000,
			Service: &apiregistrationv1.ServiceReference{Namespace: "x", Port: ptr(int32(70000))}, InsecureSkipTLSVerify: true, CABundle: []byte("abc"),
		}}, []string{
			"metadata.name: Invalid value: \"v1.wrong.example.com\": must be `spec.version+\".\"+spec.group`: \"v1.wardle.example.com\"",
			"spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000",
			"spec.versionPriority: Invalid value: 2000: must be positive and less than 1000",
			"spec.service.name: Required value",
			"spec.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive",
			"spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present",
		}},
		{"local without a group", apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1beta1.local.example.com"}, Spec: apiregistrationv1.APIServiceSpec{
			Version: "v1beta1", GroupPriorityMinimum: 10, VersionPriority: 20, InsecureSkipTLSVerify: true, CABundle: []byte("abc"),
		}}, []string{
			"metadata.name: Invalid value: \"v1beta1.local.example.com\": must be `spec.version+\".\"+spec.group`: \"v1beta1.\"",
			"spec.group: Required value: only v1 may have an empty group and it better be legacy kube",
			"spec.caBundle: Invalid value: \"3 bytes\": local APIServices may not have a caBundle",
			"spec.insecureSkipTLSVerify: Invalid value: true: local APIServices may not have insecureSkipTLSVerify",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			SetDefaults(&tc.svc)
			errs := Validate(&tc.svc)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestDefaultsAndStrategy(t *testing.T) {
	s := &apiregistrationv1.APIService{Spec: apiregistrationv1.APIServiceSpec{Service: &apiregistrationv1.ServiceReference{Name: "api", Namespace: "ns"}}}
	Type().Defaults(s)
	if s.Spec.Service.Port == nil || *s.Spec.Service.Port != 443 {
		t.Errorf("port = %v, want kube's 443", s.Spec.Service.Port)
	}
	// A client's status is dropped on create and the stored one kept on
	// update; the status subresource keeps the spec.
	s.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionTrue, Reason: "Passed"})
	Strategy{}.PrepareForCreate(context.Background(), s)
	if len(s.Status.Conditions) != 0 {
		t.Error("create kept the client's status")
	}
	old := s.DeepCopy()
	old.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionFalse, Reason: "FailedDiscoveryCheck"})
	Strategy{}.PrepareForUpdate(context.Background(), s, old)
	if c, _ := s.Available(); c.Reason != "FailedDiscoveryCheck" {
		t.Errorf("update changed the status: %+v", s.Status)
	}
	bad := old.DeepCopy()
	bad.Status.Conditions[0].Status = "Maybe"
	if errs := StatusType().Strategy.ValidateUpdate(context.Background(), bad, old); len(errs) != 1 ||
		errs[0].Error() != `status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"` {
		t.Errorf("status validation: %v", errs)
	}
}

func TestSetAvailableKeepsTransitionTime(t *testing.T) {
	s := &apiregistrationv1.APIService{}
	s.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionTrue, Reason: "Passed"})
	first := s.Status.Conditions[0].LastTransitionTime
	s.Status.Conditions[0].LastTransitionTime = metav1.NewTime(first.Add(-time.Hour))
	s.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionTrue, Reason: "Passed", Message: "again"})
	if got := s.Status.Conditions[0].LastTransitionTime; !got.Equal(&metav1.Time{Time: first.Add(-time.Hour)}) || len(s.Status.Conditions) != 1 {
		t.Errorf("same status moved the transition time: %v", s.Status.Conditions)
	}
	s.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionFalse, Reason: "MissingEndpoints"})
	if got := s.Status.Conditions[0].LastTransitionTime; got.Before(&first) {
		t.Errorf("a new status kept the old transition time")
	}
}

func TestTable(t *testing.T) {
	local := &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1.apps"}}
	local.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionTrue, Reason: "Local"})
	remote := &apiregistrationv1.APIService{ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.wardle.example.com"},
		Spec: apiregistrationv1.APIServiceSpec{Service: &apiregistrationv1.ServiceReference{Namespace: "wardle", Name: "api"}}}
	remote.SetAvailable(apiregistrationv1.APIServiceCondition{Status: apiregistrationv1.ConditionFalse, Reason: "FailedDiscoveryCheck"})
	for _, tc := range []struct {
		obj               *apiregistrationv1.APIService
		service, availble string
	}{{local, "Local", "True"}, {remote, "wardle/api", "False (FailedDiscoveryCheck)"}, {&apiregistrationv1.APIService{}, "Local", "Unknown"}} {
		cells, err := Table().Cells(tc.obj)
		if err != nil || cells[1] != tc.service || cells[2] != tc.availble {
			t.Errorf("%s: cells %v, %v", tc.obj.Name, cells, err)
		}
	}
}
