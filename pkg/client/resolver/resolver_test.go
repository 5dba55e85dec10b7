package resolver

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestResolve(t *testing.T) {
	clusterIP := &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 443}}}}
	for _, tc := range []struct {
		name      string
		svc       *corev1.Service
		eps       *corev1.Endpoints
		want      string
		reason    string
		inMessage string
	}{
		{"no Service", nil, nil, "", "ServiceNotFound", `service/api in "wardle" is not present`},
		{"ExternalName", &corev1.Service{Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"}}, nil, "https://localhost:443", "", ""},
		{"endpoint of the port", clusterIP, &corev1.Endpoints{Subsets: []corev1.EndpointSubset{
			{Addresses: []corev1.EndpointAddress{{IP: "10.1.0.1"}}, Ports: []corev1.EndpointPort{{Name: "other", Port: 80}}},
			{Addresses: []corev1.EndpointAddress{{IP: "10.1.0.2"}}, Ports: []corev1.EndpointPort{{Name: "https", Port: 8443}}},
		}}, "https://10.1.0.2:8443", "", ""},
		{"no endpoints", clusterIP, &corev1.Endpoints{}, "", "MissingEndpoints", `endpoints for service/api in "wardle" have no addresses with port name "https"`},
		{"no Endpoints object", clusterIP, nil, "", "EndpointsNotFound", `cannot find endpoints for service/api in "wardle"`},
		{"not listening on the port", &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, nil, "", "ServicePortError", "is not listening on port 443"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, cond := Resolve("wardle", "api", 443, tc.svc, tc.eps)
			if tc.want != "" {
				if cond != nil || u.String() != tc.want {
					t.Errorf("= %v %+v, want %s", u, cond, tc.want)
				}
				return
			}
			if cond == nil || cond.Reason != tc.reason || !strings.Contains(cond.Message, tc.inMessage) {
				t.Errorf("= %v %+v, want %s %q", u, cond, tc.reason, tc.inMessage)
			}
		})
	}
}
