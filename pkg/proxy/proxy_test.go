package proxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
)

// front serves h as this server would, behind a plain test listener.
func front(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func status(t *testing.T, resp *http.Response) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("the answer is not a Status: %v", err)
	}
	return st
}

func TestPlainRequests(t *testing.T) {
	seen := make(chan *http.Request, 1)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
		fmt.Fprintf(w, "%s %s", r.Proto, r.URL.RequestURI())
	})
	h1 := httptest.NewServer(handler)
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(handler)
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()

	for _, tc := range []struct {
		name      string
		backend   *httptest.Server
		wantProto string
	}{
		{"HTTP/1.1", h1, "HTTP/1.1"},
		{"HTTP/2", h2, "HTTP/2.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := front(t, &Handler{Location: mustURL(t, tc.backend.URL+"/base/path"), Transport: tc.backend.Client().Transport})
			req, _ := http.NewRequest(http.MethodGet, p.URL+"/ignored?watch=1", nil)
			req.Header.Set("Authorization", "Bearer caller-secret")
			req.Header.Set("Impersonate-User", "someone")
			req.Header.Set("Impersonate-Group", "system:masters")
			req.Header.Set("X-Forwarded-For", "10.9.9.9")
			req.Header.Set("Accept", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if want := tc.wantProto + " /base/path?watch=1"; string(body) != want {
				t.Errorf("backend saw %q, want %q", body, want)
			}
			r := <-seen
			for _, k := range []string{"Authorization", "Impersonate-User", "Impersonate-Group"} {
				if v := r.Header.Get(k); v != "" {
					t.Errorf("the caller's %s reached the backend: %q", k, v)
				}
			}
			if got := r.Header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q, want it forwarded", got)
			}
			if got := r.Header.Get("X-Forwarded-For"); got != "127.0.0.1" {
				t.Errorf("X-Forwarded-For = %q, want the caller's address and not what it claimed", got)
			}
			if r.Header.Get("X-Forwarded-Proto") == "" || r.Header.Get("X-Forwarded-Host") == "" {
				t.Errorf("X-Forwarded-Proto/-Host missing: %v", r.Header)
			}
		})
	}
}

// A watch through the proxy arrives event by event: the backend sends the
// second event only after the client read the first.
func TestStreamsEachWrite(t *testing.T) {
	read := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"type":"ADDED"}`)
		w.(http.Flusher).Flush()
		select {
		case <-read:
		case <-time.After(10 * time.Second):
			return
		}
		fmt.Fprintln(w, `{"type":"MODIFIED"}`)
	}))
	defer backend.Close()
	p := front(t, &Handler{Location: mustURL(t, backend.URL), Transport: backend.Client().Transport})
	resp, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for i, want := range []string{`{"type":"ADDED"}`, `{"type":"MODIFIED"}`} {
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("read %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
		if i == 0 {
			close(read)
		}
	}
}

func TestWebSocket(t *testing.T) {
	upgrader := websocket.Upgrader{Subprotocols: []string{"v5.channel.k8s.io"}}
	auth := make(chan string, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth <- r.Header.Get("Authorization")
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			kind, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(kind, append([]byte("echo:"), msg...)); err != nil {
				return
			}
		}
	}))
	defer backend.Close()
	p := front(t, &Handler{Location: mustURL(t, backend.URL), Transport: backend.Client().Transport})
	dialer := websocket.Dialer{Subprotocols: []string{"v5.channel.k8s.io", "v4.channel.k8s.io"}}
	c, resp, err := dialer.Dial("ws"+strings.TrimPrefix(p.URL, "http")+"/exec", http.Header{"Authorization": {"Bearer caller-secret"}})
	if err != nil {
		t.Fatalf("dialing through the proxy: %v", err)
	}
	defer c.Close()
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "v5.channel.k8s.io" {
		t.Errorf("subprotocol = %q, want v5.channel.k8s.io", got)
	}
	if a := <-auth; a != "" {
		t.Errorf("the caller's Authorization reached the backend: %q", a)
	}
	for _, msg := range []string{"\x00stdin", "\x01more"} {
		if err := c.WriteMessage(websocket.BinaryMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.ReadMessage()
		if err != nil || string(got) != "echo:"+msg {
			t.Fatalf("read %q, %v; want the echo of %q", got, err, msg)
		}
	}
}

func TestSPDY(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		streams := make(chan httpstream.Stream, 1)
		conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s httpstream.Stream, replySent <-chan struct{}) error {
			streams <- s
			return nil
		})
		if conn == nil {
			return
		}
		defer conn.Close()
		select {
		case s := <-streams:
			io.Copy(s, s) //nolint:errcheck // the echo ends with the stream
			s.Close()
		case <-conn.CloseChan():
		}
	}))
	defer backend.Close()
	p := front(t, &Handler{Location: mustURL(t, backend.URL), Transport: backend.Client().Transport})

	rt, err := spdy.NewRoundTripper(nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, p.URL+"/portforward", nil)
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := rt.NewConnection(resp)
	if err != nil {
		t.Fatalf("SPDY through the proxy: %v (status %d)", err, resp.StatusCode)
	}
	defer conn.Close()
	s, err := conn.CreateStream(http.Header{"Streamtype": {"data"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v; want the echo", buf, err)
	}
}

// A backend that answers an upgrade with another protocol does not get
// the connection.
func TestUpgradeToAnotherProtocolRefused(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "h2c")
		w.WriteHeader(http.StatusSwitchingProtocols)
	}))
	defer backend.Close()
	p := front(t, &Handler{Location: mustURL(t, backend.URL), Transport: backend.Client().Transport})
	req, _ := http.NewRequest(http.MethodGet, p.URL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		t.Fatal("the switch to a protocol the client did not ask for was passed on")
	}
}

func TestRedirects(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	}))
	defer backend.Close()
	const prefix = "/api/v1/namespaces/ns/services/web:80/proxy"
	p := front(t, &Handler{Location: mustURL(t, backend.URL+"/"), Transport: backend.Client().Transport, Prefix: prefix})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		to           string
		wantCode     int
		wantLocation string
	}{
		{"/login?next=%2F", http.StatusFound, prefix + "/login?next=%2F"},
		{backend.URL + "/same-host", http.StatusFound, prefix + "/same-host"},
		{"http://elsewhere.example/steal", http.StatusBadGateway, ""},
	} {
		resp, err := noFollow.Get(p.URL + "/?to=" + url.QueryEscape(tc.to))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.wantCode || resp.Header.Get("Location") != tc.wantLocation {
			t.Errorf("redirect to %s: %d %q, want %d %q", tc.to, resp.StatusCode, resp.Header.Get("Location"), tc.wantCode, tc.wantLocation)
		}
	}
}

func TestBackendDown(t *testing.T) {
	backend := httptest.NewServer(http.NotFoundHandler())
	backend.Close()
	p := front(t, &Handler{Location: mustURL(t, backend.URL), Transport: http.DefaultTransport})
	resp, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	st := status(t, resp)
	if resp.StatusCode != http.StatusServiceUnavailable || st.Reason != metav1.StatusReasonServiceUnavailable || !strings.HasPrefix(st.Message, "error trying to reach service: ") {
		t.Errorf("got %d %+v, want 503 ServiceUnavailable", resp.StatusCode, st)
	}
}
