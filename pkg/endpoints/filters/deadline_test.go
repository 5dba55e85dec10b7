package filters

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRequestDeadline: a write to a client that does not read fails once
// the deadline (and its grace) has passed; a watch is not bound by it.
func TestRequestDeadline(t *testing.T) {
	writeErr := make(chan error, 1)
	srv := httptest.NewServer(WithRequestInfo(WithRequestDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("watch") != "" {
			time.Sleep(1500 * time.Millisecond) // past deadline and grace
			_, _ = w.Write([]byte("event"))
			return
		}
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 256 {
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}), 200*time.Millisecond)))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/api/v1/namespaces/default/configmaps")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	select {
	case err := <-writeErr:
		if err == nil {
			t.Fatal("256 MB were written to a client that reads nothing")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write to a stalled client was not cut off")
	}

	resp, err = http.Get(srv.URL + "/api/v1/namespaces/default/configmaps?watch=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if body, err := io.ReadAll(resp.Body); err != nil || string(body) != "event" {
		t.Errorf("watch answer = %q, %v", body, err)
	}
}

// The timeout parameter shortens a request's deadline, never lengthens
// it, and one that does not parse is refused as kube-apiserver refuses it.
func TestRequestTimeoutParameter(t *testing.T) {
	h := WithRequestInfo(WithRequestDeadline(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := r.Context().Deadline()
		if !ok {
			_, _ = w.Write([]byte("none"))
			return
		}
		_, _ = w.Write([]byte(time.Until(d).Round(time.Second).String()))
	}), time.Minute))
	for _, tc := range []struct {
		query    string
		code     int
		contains string
	}{
		{"", 200, "none"},
		{"?timeout=10s", 200, "10s"},
		{"?timeout=0s", 200, "none"},
		{"?timeout=3m", 200, "none"},
		{"?timeout=invalid", 400, `"message":"invalid timeout specified in the request URL - time: invalid duration \"invalid\""`},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/version"+tc.query, nil))
		if rec.Code != tc.code || !bytes.Contains(rec.Body.Bytes(), []byte(tc.contains)) {
			t.Errorf("%s: %d %s", tc.query, rec.Code, rec.Body)
		}
	}
}
