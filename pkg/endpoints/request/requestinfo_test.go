package request

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		method, url string
		want        RequestInfo
	}{
		{"GET", "/healthz", RequestInfo{Path: "/healthz", Verb: "get"}},
		{"GET", "/api", RequestInfo{Path: "/api", Verb: "get"}},
		{"GET", "/api/v1", RequestInfo{Path: "/api/v1", Verb: "get", APIPrefix: "api", APIVersion: "v1"}},
		{"GET", "/apis/apps/v1", RequestInfo{Path: "/apis/apps/v1", Verb: "get", APIPrefix: "apis", APIGroup: "apps", APIVersion: "v1"}},
		{"GET", "/api/v1/namespaces", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces", Verb: "list", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces", Parts: []string{"namespaces"}}},
		{"GET", "/api/v1/namespaces/default", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/default", Verb: "get", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces", Name: "default", Parts: []string{"namespaces", "default"}}},
		{"PUT", "/api/v1/namespaces/ns1/finalize", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/ns1/finalize", Verb: "update", APIPrefix: "api", APIVersion: "v1", Resource: "namespaces", Name: "ns1", Subresource: "finalize", Parts: []string{"namespaces", "ns1", "finalize"}}},
		{"GET", "/api/v1/namespaces/ns1/configmaps", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/ns1/configmaps", Verb: "list", APIPrefix: "api", APIVersion: "v1", Namespace: "ns1", Resource: "configmaps", Parts: []string{"configmaps"}}},
		{"GET", "/api/v1/namespaces/ns1/configmaps?watch=true", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/ns1/configmaps", Verb: "watch", APIPrefix: "api", APIVersion: "v1", Namespace: "ns1", Resource: "configmaps", Parts: []string{"configmaps"}}},
		{"GET", "/api/v1/watch/namespaces/ns1/configmaps", RequestInfo{IsResourceRequest: true, Path: "/api/v1/watch/namespaces/ns1/configmaps", Verb: "watch", APIPrefix: "api", APIVersion: "v1", Namespace: "ns1", Resource: "configmaps", Parts: []string{"configmaps"}}},
		{"DELETE", "/api/v1/namespaces/ns1/secrets/s", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/ns1/secrets/s", Verb: "delete", APIPrefix: "api", APIVersion: "v1", Namespace: "ns1", Resource: "secrets", Name: "s", Parts: []string{"secrets", "s"}}},
		{"DELETE", "/api/v1/namespaces/ns1/secrets", RequestInfo{IsResourceRequest: true, Path: "/api/v1/namespaces/ns1/secrets", Verb: "deletecollection", APIPrefix: "api", APIVersion: "v1", Namespace: "ns1", Resource: "secrets", Parts: []string{"secrets"}}},
		{"PATCH", "/apis/example.com/v1/namespaces/ns1/widgets/w/status", RequestInfo{IsResourceRequest: true, Path: "/apis/example.com/v1/namespaces/ns1/widgets/w/status", Verb: "patch", APIPrefix: "apis", APIGroup: "example.com", APIVersion: "v1", Namespace: "ns1", Resource: "widgets", Name: "w", Subresource: "status", Parts: []string{"widgets", "w", "status"}}},
		{"POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", RequestInfo{IsResourceRequest: true, Path: "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", Verb: "create", APIPrefix: "apis", APIGroup: "apiextensions.k8s.io", APIVersion: "v1", Resource: "customresourcedefinitions", Parts: []string{"customresourcedefinitions"}}},
		{"GET", "/api/v1/configmaps", RequestInfo{IsResourceRequest: true, Path: "/api/v1/configmaps", Verb: "list", APIPrefix: "api", APIVersion: "v1", Resource: "configmaps", Parts: []string{"configmaps"}}},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.url, func(t *testing.T) {
			got := Parse(httptest.NewRequest(tc.method, tc.url, nil))
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("Parse = %+v\nwant    %+v", *got, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{"/api/v1/namespaces/a/configmaps/b", "/apis/g/v/x", "//", "/api/v1/watch/namespaces", "/api/v1/namespaces/../x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := http.NewRequest(http.MethodGet, "https://x", nil)
		if err != nil {
			t.Skip()
		}
		r.URL.Path = path
		info := Parse(r)
		if info.IsResourceRequest && info.Resource == "" && len(info.Parts) > 0 {
			t.Errorf("resource request without a resource: %+v", info)
		}
		if info.Name != "" && strings.Contains(info.Name, "/") {
			t.Errorf("name %q holds a slash", info.Name)
		}
	})
}
