package openapi

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	openapiv2 "github.com/google/gnostic-models/openapiv2"
	openapiv3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

const (
	acceptV2Proto       = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
	acceptV2ProtoDotted = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	acceptV3Proto       = "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"
	contentV2Proto      = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	contentV3Proto      = "application/com.github.proto-openapi.spec.v3.v1.0+protobuf"
)

func TestContentNegotiation(t *testing.T) {
	h := handlerOf(newTestService(t, false))
	cases := []struct {
		name, path, accept string
		code               int
		contentType        string
	}{
		{"v2 json", "/openapi/v2", "application/json", 200, "application/json"},
		{"v2 no accept", "/openapi/v2", "", 200, "application/json"},
		{"v2 any", "/openapi/v2", "*/*", 200, "application/json"},
		{"v2 protobuf as client-go asks", "/openapi/v2", acceptV2Proto + ", application/json", 200, contentV2Proto},
		{"v2 protobuf dotted", "/openapi/v2", acceptV2ProtoDotted, 200, contentV2Proto},
		{"v2 json preferred by q", "/openapi/v2", acceptV2Proto + ";q=0.5, application/json", 200, "application/json"},
		{"v2 not acceptable", "/openapi/v2", "text/html", 406, ""},
		{"v3 protobuf", "/openapi/v3/api/v1", acceptV3Proto, 200, contentV3Proto},
		{"v3 json", "/openapi/v3/api/v1", "application/json", 200, "application/json"},
		{"v3 not acceptable", "/openapi/v3/api/v1", "application/xml", 406, ""},
		{"v3 v2 protobuf not acceptable", "/openapi/v3/api/v1", acceptV2Proto, 406, ""},
		{"v3 index", "/openapi/v3", "application/json", 200, "application/json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path, "Accept", tc.accept)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body.String())
			}
			if got := rec.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if tc.code == 406 && rec.Body.Len() != 0 {
				t.Errorf("406 with a body: %s", rec.Body.String())
			}
		})
	}
}

func TestETagAndNotModified(t *testing.T) {
	h := handlerOf(newTestService(t, false))
	cases := []struct{ name, path, accept string }{
		{"v2 json", "/openapi/v2", "application/json"},
		{"v2 protobuf", "/openapi/v2", acceptV2Proto},
		{"v3 index", "/openapi/v3", ""},
		{"v3 api/v1", "/openapi/v3/api/v1", "application/json"},
		{"v3 api/v1 protobuf", "/openapi/v3/api/v1", acceptV3Proto},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			first := get(t, h, tc.path, "Accept", tc.accept)
			etag := first.Header().Get("Etag")
			if first.Code != 200 || len(etag) != 128+2 || etag[0] != '"' {
				t.Fatalf("status %d, ETag %q: want 200 and a quoted SHA-512", first.Code, etag)
			}
			again := get(t, h, tc.path, "Accept", tc.accept, "If-None-Match", etag)
			if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("If-None-Match: status %d with %d bytes, want 304 and none", again.Code, again.Body.Len())
			}
			stale := get(t, h, tc.path, "Accept", tc.accept, "If-None-Match", `"0"`)
			if stale.Code != 200 || !bytes.Equal(stale.Body.Bytes(), first.Body.Bytes()) {
				t.Errorf("stale If-None-Match: status %d, want 200 and the document", stale.Code)
			}
		})
	}
}

// TestProtobufRoundTrip checks that the protobuf form decodes with gnostic
// to the same document as the JSON form.
func TestProtobufRoundTrip(t *testing.T) {
	h := handlerOf(newTestService(t, true))
	t.Run("v2", func(t *testing.T) {
		js := get(t, h, "/openapi/v2", "Accept", "application/json").Body.Bytes()
		pb := get(t, h, "/openapi/v2", "Accept", acceptV2Proto).Body.Bytes()
		want, err := openapiv2.ParseDocument(js)
		if err != nil {
			t.Fatal(err)
		}
		var got openapiv2.Document
		if err := proto.Unmarshal(pb, &got); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, want) {
			t.Error("protobuf and JSON documents differ")
		}
		if len(got.GetDefinitions().GetAdditionalProperties()) == 0 || len(got.GetPaths().GetPath()) == 0 {
			t.Error("protobuf document has no definitions or paths")
		}
	})
	for _, key := range []string{"api/v1", "apis/stable.example.com/v1"} {
		t.Run("v3 "+key, func(t *testing.T) {
			js := get(t, h, "/openapi/v3/"+key, "Accept", "application/json").Body.Bytes()
			pb := get(t, h, "/openapi/v3/"+key, "Accept", acceptV3Proto).Body.Bytes()
			want, err := openapiv3.ParseDocument(js)
			if err != nil {
				t.Fatal(err)
			}
			var got openapiv3.Document
			if err := proto.Unmarshal(pb, &got); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&got, want) {
				t.Error("protobuf and JSON documents differ")
			}
		})
	}
}

func TestV3HashAndNotFound(t *testing.T) {
	svc := newTestService(t, true)
	h := handlerOf(svc)
	index := decode(t, get(t, h, "/openapi/v3"))
	rel := at(index, "paths", "apis/stable.example.com/v1", "serverRelativeURL").(string)
	u, err := url.Parse(rel)
	if err != nil || u.Path != "/openapi/v3/apis/stable.example.com/v1" || len(u.Query().Get("hash")) != 128 {
		t.Fatalf("serverRelativeURL %q", rel)
	}
	cases := []struct {
		name, path   string
		code         int
		immutable    bool
		location     string
		statusReason string
	}{
		{"current hash", rel, 200, true, "", ""},
		{"no hash", u.Path, 200, false, "", ""},
		{"outdated hash", u.Path + "?hash=0123", http.StatusMovedPermanently, false, rel, ""},
		{"unknown group-version", "/openapi/v3/apis/nope.example.com/v1", 404, false, "", "NotFound"},
		{"unknown with hash", "/openapi/v3/apis/nope.example.com/v1?hash=" + u.Query().Get("hash"), 404, false, "", "NotFound"},
		{"prefix of a key", "/openapi/v3/apis/stable.example.com", 200, false, "", ""},
		{"trailing slash", "/openapi/v3/api/v1/", 404, false, "", "NotFound"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path, "Accept", "application/json")
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body.String())
			}
			cc, expires := rec.Header().Get("Cache-Control"), rec.Header().Get("Expires")
			if tc.immutable {
				exp, err := http.ParseTime(expires)
				if cc != "public, immutable" || err != nil || time.Until(exp) < 360*24*time.Hour {
					t.Errorf("Cache-Control %q, Expires %q: want public, immutable for a year", cc, expires)
				}
			} else if cc != "" || expires != "" {
				t.Errorf("Cache-Control %q, Expires %q: want none", cc, expires)
			}
			if got := rec.Header().Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.statusReason != "" {
				if reason := at(decode4xx(t, rec.Body.Bytes()), "reason"); reason != tc.statusReason {
					t.Errorf("Status reason %v, want %s", reason, tc.statusReason)
				}
			}
		})
	}
}

func decode4xx(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var st map[string]any
	if err := json.Unmarshal(body, &st); err != nil || st["kind"] != "Status" {
		t.Fatalf("body %s is not a Status: %v", body, err)
	}
	return st
}

func TestGzip(t *testing.T) {
	h := handlerOf(newTestService(t, false))
	cases := []struct {
		name, path, accept, encoding string
		gzipped                      bool
	}{
		{"v2 json", "/openapi/v2", "application/json", "gzip", true},
		{"v2 protobuf", "/openapi/v2", acceptV2Proto, "gzip, deflate", true},
		{"v3", "/openapi/v3/api/v1", "application/json", "br;q=1.0, gzip;q=0.8", true},
		{"refused", "/openapi/v2", "application/json", "gzip;q=0", false},
		{"not asked", "/openapi/v2", "application/json", "", false},
		{"small index", "/openapi/v3", "", "gzip", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plain := get(t, h, tc.path, "Accept", tc.accept).Body.Bytes()
			rec := get(t, h, tc.path, "Accept", tc.accept, "Accept-Encoding", tc.encoding)
			if got := rec.Header().Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("gzipped %v, want %v", got, tc.gzipped)
			}
			body := rec.Body.Bytes()
			if tc.gzipped {
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(body, plain) {
				t.Error("body differs from the uncompressed document")
			}
		})
	}
}

func TestMethods(t *testing.T) {
	h := handlerOf(newTestService(t, false))
	for _, path := range []string{"/openapi/v2", "/openapi/v3", "/openapi/v3/api/v1"} {
		for method, want := range map[string]int{http.MethodHead: 200, http.MethodPost: 405, http.MethodDelete: 405} {
			t.Run(method+" "+path, func(t *testing.T) {
				req, _ := http.NewRequest(method, path, nil)
				rec := newRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != want {
					t.Errorf("status %d, want %d", rec.Code, want)
				}
			})
		}
	}
}

func TestAddGroupVersionErrors(t *testing.T) {
	cm := coreV1Resources()[1]
	with := func(f func(*Resource)) []Resource { r := cm; f(&r); return []Resource{r} }
	cases := []struct {
		name      string
		gv        schema.GroupVersion
		resources []Resource
		want      error
	}{
		{"no version", schema.GroupVersion{Group: "x.io"}, []Resource{cm}, ErrInvalidResource},
		{"no kind", coreV1, with(func(r *Resource) { r.Kind = "" }), ErrInvalidResource},
		{"no plural", coreV1, with(func(r *Resource) { r.Plural = "" }), ErrInvalidResource},
		{"unknown verb", coreV1, with(func(r *Resource) { r.Verbs = []string{"get", "frobnicate"} }), ErrInvalidResource},
		{"unknown subresource", coreV1, with(func(r *Resource) { r.Subresources = []string{"log"} }), ErrInvalidResource},
		{"built-in without definition", coreV1, with(func(r *Resource) { r.Definition = "" }), ErrInvalidResource},
		{"definition of another kind", coreV1, with(func(r *Resource) { r.Definition = "io.k8s.api.core.v1.Secret" }), ErrInvalidResource},
		{"unknown definition", coreV1, with(func(r *Resource) { r.Kind, r.Definition = "Widget", "io.k8s.api.core.v1.Widget" }), ErrUnknownDefinition},
		{"unknown list definition", coreV1, with(func(r *Resource) { r.ListKind = "ConfigMapCollection" }), ErrUnknownDefinition},
		{"plural twice", coreV1, []Resource{cm, cm}, ErrInvalidResource},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := NewService()
			before := get(t, handlerOf(svc), "/openapi/v3").Body.String()
			err := svc.AddGroupVersion(tc.gv, tc.resources)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if after := get(t, handlerOf(svc), "/openapi/v3").Body.String(); after != before {
				t.Error("a failed AddGroupVersion changed the index")
			}
		})
	}
}

func TestDefinitionName(t *testing.T) {
	cases := []struct {
		gvk  schema.GroupVersionKind
		want string
	}{
		{schema.GroupVersionKind{Group: "stable.example.com", Version: "v1", Kind: "CronTab"}, "com.example.stable.v1.CronTab"},
		{schema.GroupVersionKind{Group: "example", Version: "v1beta1", Kind: "Widget"}, "example.v1beta1.Widget"},
	}
	for _, tc := range cases {
		if got := DefinitionName(tc.gvk); got != tc.want {
			t.Errorf("DefinitionName(%v) = %q, want %q", tc.gvk, got, tc.want)
		}
	}
}

func FuzzServe(f *testing.F) {
	h := handlerOf(NewService())
	f.Add("/openapi/v3/api", "application/json", "gzip")
	f.Add("/openapi/v2", acceptV2Proto+";q=0.9,*/*;q=0.1", "gzip;q=0.5")
	f.Add("/openapi/v3/apis/../api", "*/*;q=x", ",;q=")
	f.Fuzz(func(t *testing.T, path, accept, encoding string) {
		if !strings.HasPrefix(path, "/openapi/") {
			path = "/openapi/v3/" + path
		}
		req, err := http.NewRequest(http.MethodGet, "http://x"+path, nil)
		if err != nil {
			return
		}
		req.Header.Set("Accept", accept)
		req.Header.Set("Accept-Encoding", encoding)
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 301, 304, 404, 406:
		default:
			t.Errorf("%s (Accept %q, Accept-Encoding %q): status %d", path, accept, encoding, rec.Code)
		}
	})
}
