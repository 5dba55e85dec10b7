package aggregator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiregistrationv1 "github.com/apiserver/apiserver/pkg/apiregistration/v1"
	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

func TestGroupVersionOf(t *testing.T) {
	for path, want := range map[string]string{
		"/apis/wardle.example.com/v1alpha1":                           "wardle.example.com/v1alpha1",
		"/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/f1": "wardle.example.com/v1alpha1",
		"/apis/wardle.example.com":                                    "",
		"/apis/wardle.example.com/":                                   "",
		"/api/v1/pods":                                                "",
		"/apis":                                                       "",
	} {
		gv, ok := groupVersionOf(path)
		if got := gv.String(); ok != (want != "") || (ok && got != want) {
			t.Errorf("%s: %q %v, want %q", path, got, ok, want)
		}
	}
}

// withWardle returns an aggregator that serves wardle.example.com/v1alpha1
// from the backend at rawURL, not verifying its certificate.
func withWardle(t *testing.T, rawURL string) *Aggregator {
	t.Helper()
	a := New(Config{})
	svc := &apiregistrationv1.APIService{Spec: apiregistrationv1.APIServiceSpec{Group: "wardle.example.com", Version: "v1alpha1", InsecureSkipTLSVerify: true,
		Service: &apiregistrationv1.ServiceReference{Namespace: "wardle", Name: "api"}}}
	via, err := a.transports(svc)
	if err != nil {
		t.Fatal(err)
	}
	location, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	a.setRemote(schema.GroupVersion{Group: "wardle.example.com", Version: "v1alpha1"}, &backend{location: location, via: via})
	return a
}

// The handler proxies a remote group version with the caller's identity
// in headers and without the caller's credentials; other paths go on;
// an unavailable one is a 503.
func TestHandler(t *testing.T) {
	seen := make(chan http.Header, 1)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		fmt.Fprintf(w, "backend %s", r.URL.RequestURI())
	}))
	defer srv.Close()
	a := withWardle(t, srv.URL)
	a.setRemote(schema.GroupVersion{Group: "down.example.com", Version: "v1"}, nil)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "local") })
	alice := &user.Info{Name: "alice", Groups: []string{"dev", "system:authenticated"}, Extra: map[string][]string{"example.com/team": {"blue"}}}
	h := a.Handler(next)
	serve := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Authorization", "Bearer caller-secret")
		r.Header.Set("X-Remote-User", "mallory") // spoofed: replaced
		r = r.WithContext(request.WithUser(r.Context(), alice))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := serve("/apis/wardle.example.com/v1alpha1/namespaces/default/flunders?limit=1")
	if w.Code != 200 || w.Body.String() != "backend /apis/wardle.example.com/v1alpha1/namespaces/default/flunders?limit=1" {
		t.Fatalf("proxied: %d %q", w.Code, w.Body.String())
	}
	got := <-seen
	if got.Get("Authorization") != "" || got.Get("X-Remote-User") != "alice" || strings.Join(got.Values("X-Remote-Group"), ",") != "dev,system:authenticated" ||
		got.Get("X-Remote-Extra-Example.com%2fteam") != "blue" {
		t.Errorf("backend saw %v", got)
	}
	if w := serve("/apis/apps/v1/deployments"); w.Body.String() != "local" {
		t.Errorf("a local group version: %q", w.Body.String())
	}
	w = serve("/apis/down.example.com/v1/things")
	var st metav1.Status
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || w.Code != http.StatusServiceUnavailable || st.Reason != metav1.StatusReasonServiceUnavailable {
		t.Errorf("unavailable: %d %s", w.Code, w.Body.String())
	}
}

func TestAuthenticationData(t *testing.T) {
	info := AuthenticationInfo{ClientCA: []byte("client-ca"), RequestHeaderCA: []byte("proxy-ca"), RequestHeader: &authn.RequestHeaderConfig{
		AllowedNames: []string{"front-proxy-client"}, UsernameHeaders: []string{"X-Remote-User"}, GroupHeaders: []string{"X-Remote-Group"},
	}}
	want := map[string]string{
		"client-ca-file": "client-ca", "requestheader-client-ca-file": "proxy-ca",
		"requestheader-allowed-names": `["front-proxy-client"]`, "requestheader-username-headers": `["X-Remote-User"]`,
		"requestheader-group-headers": `["X-Remote-Group"]`, "requestheader-extra-headers-prefix": `[]`,
	}
	got := info.data()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("data = %v, want %v", got, want)
	}
	if got := (AuthenticationInfo{ClientCA: []byte("x")}).data(); len(got) != 1 {
		t.Errorf("without a front proxy: %v", got)
	}
}

// An upgrade through an APIService reaches the backend over HTTP/1.1
// (the upgrade transport), with the caller's identity, and is spliced
// both ways.
func TestHandlerUpgrade(t *testing.T) {
	upgrader := websocket.Upgrader{Subprotocols: []string{"v5.channel.k8s.io"}}
	users := make(chan string, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		users <- r.Header.Get("X-Remote-User")
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		kind, msg, err := c.ReadMessage()
		if err == nil {
			c.WriteMessage(kind, append([]byte("echo:"), msg...)) //nolint:errcheck // the client reads it or not
		}
	}))
	srv.EnableHTTP2 = true // the plain transport may speak HTTP/2; the upgrade must not
	srv.StartTLS()
	defer srv.Close()
	a := withWardle(t, srv.URL)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.Handler(http.NotFoundHandler()).ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), &user.Info{Name: "alice"})))
	}))
	defer front.Close()
	dialer := websocket.Dialer{Subprotocols: []string{"v5.channel.k8s.io"}}
	c, resp, err := dialer.Dial("ws"+strings.TrimPrefix(front.URL, "http")+"/apis/wardle.example.com/v1alpha1/namespaces/ns/flunders/f/exec", nil)
	if err != nil {
		t.Fatalf("upgrade through the aggregator: %v", err)
	}
	defer c.Close()
	if resp.Header.Get("Sec-WebSocket-Protocol") != "v5.channel.k8s.io" || <-users != "alice" {
		t.Errorf("subprotocol %q", resp.Header.Get("Sec-WebSocket-Protocol"))
	}
	if err := c.WriteMessage(websocket.BinaryMessage, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "echo:hi" {
		t.Errorf("echo: %q %v", msg, err)
	}
}
