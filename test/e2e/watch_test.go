package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

type watchEvent struct {
	Type   string
	Object struct {
		Kind     string
		Metadata struct{ Name, ResourceVersion string }
		// Code and Reason are set on the Status of an ERROR event.
		Code   int
		Reason string
	}
}

// readEvents reads a watch stream until it ends or timeout passes.
func readEvents(t *testing.T, resp *http.Response, timeout time.Duration) ([]watchEvent, bool) {
	t.Helper()
	events := make(chan watchEvent)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var ev watchEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("bad watch line %q: %v", sc.Text(), err)
				return
			}
			events <- ev
		}
	}()
	var got []watchEvent
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-events:
			got = append(got, ev)
		case <-done:
			return got, true
		case <-deadline:
			return got, false
		}
	}
}

// TestWatchBookmarkAtTimeout: a watch that allows bookmarks ends at its
// timeout with a BOOKMARK carrying the last resourceVersion it delivered.
func TestWatchBookmarkAtTimeout(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	resp, body := do(t, c, "GET", base, "", nil)
	var list struct {
		Metadata struct{ ResourceVersion string }
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("list: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("GET", base+"?watch=true&allowWatchBookmarks=true&timeoutSeconds=3&fieldSelector="+notServerOwned+"&resourceVersion="+list.Metadata.ResourceVersion, nil)
	wresp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer wresp.Body.Close()
	if wresp.StatusCode != 200 || wresp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("watch = %d %s", wresp.StatusCode, wresp.Header.Get("Content-Type"))
	}
	created, _ := do(t, c, "POST", base, "application/json", []byte(`{"metadata":{"name":"watched"}}`))
	if created.StatusCode != 201 {
		t.Fatalf("create = %d", created.StatusCode)
	}
	events, ended := readEvents(t, wresp, 10*time.Second)
	if !ended {
		t.Fatalf("watch with timeoutSeconds=3 still open after 10s; events %+v", events)
	}
	if len(events) != 2 || events[0].Type != "ADDED" || events[0].Object.Metadata.Name != "watched" || events[1].Type != "BOOKMARK" {
		t.Fatalf("events = %+v, want ADDED watched then BOOKMARK", events)
	}
	added, _ := strconv.Atoi(events[0].Object.Metadata.ResourceVersion)
	mark, _ := strconv.Atoi(events[1].Object.Metadata.ResourceVersion)
	if mark < added || events[1].Object.Kind != "ConfigMap" {
		t.Errorf("bookmark %+v, want kind ConfigMap at resourceVersion >= %d", events[1], added)
	}
}

// TestWatchEndsAtShutdown: an open watch ends cleanly when the server shuts
// down, and the server still exits 0.
func TestWatchEndsAtShutdown(t *testing.T) {
	p := startBinary(t, "", nil)
	c := adminHTTP(t, p)
	req, _ := http.NewRequest("GET", p.URL+"/api/v1/namespaces/default/configmaps?watch=true", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p.signal(t, syscall.SIGTERM)
	if _, ended := readEvents(t, resp, 20*time.Second); !ended {
		t.Fatal("watch still open 20s after SIGTERM")
	}
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

// TestWatchTooOld: once compaction has passed a resourceVersion, a watch
// from it ends with one ERROR event carrying 410 Expired, and an exact list
// at it answers 410, as kube-apiserver does.
func TestWatchTooOld(t *testing.T) {
	for _, flags := range [][]string{
		{"--watch-cache=false"},
		// From the cache, a watch from before its window goes to etcd,
		// which has compacted the revision too.
		{"--default-watch-cache-size=10"},
	} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) { watchTooOld(t, flags...) })
	}
}

func watchTooOld(t *testing.T, flags ...string) {
	p := startBinary(t, "", nil, append([]string{"--etcd-compaction-interval=1s"}, flags...)...)
	c := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	resp, body := do(t, c, "POST", base, "application/json", []byte(`{"metadata":{"name":"old"}}`))
	if resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	var created struct {
		Metadata struct{ ResourceVersion string }
	}
	json.Unmarshal(body, &created) //nolint:errcheck // checked through the value below
	old := created.Metadata.ResourceVersion
	waitUntil(t, 20*time.Second, "the revision compacted", func() bool {
		do(t, c, "PATCH", base+"/old", "application/merge-patch+json", []byte(`{"data":{"t":"`+time.Now().String()+`"}}`))
		resp, _ := do(t, c, "GET", base+"?resourceVersion="+old+"&resourceVersionMatch=Exact", "", nil)
		return resp.StatusCode == 410
	})
	req, _ := http.NewRequest("GET", base+"?watch=true&resourceVersion="+old, nil)
	wresp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer wresp.Body.Close()
	events, ended := readEvents(t, wresp, 10*time.Second)
	if !ended || len(events) != 1 || events[0].Type != "ERROR" || events[0].Object.Code != 410 || events[0].Object.Reason != "Expired" {
		t.Fatalf("watch from a compacted revision: ended %v, events %+v; want one ERROR event with a 410 Expired Status", ended, events)
	}
}

// TestWatchOverHTTP1: a watch over HTTP/1.1 is a chunked stream whose
// events arrive as they happen, not when the response ends.
func TestWatchOverHTTP1(t *testing.T) {
	p := startBinary(t, "", nil)
	h2 := adminHTTP(t, p).Transport.(*http2.Transport)
	h1 := &http.Client{Transport: &http.Transport{
		TLSClientConfig: h2.TLSClientConfig.Clone(),
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{}, // no HTTP/2
	}}
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	req, _ := http.NewRequest("GET", base+"?watch=true&timeoutSeconds=20&fieldSelector="+notServerOwned, nil)
	resp, err := h1.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("watch over %s with transfer encoding %v, want HTTP/1.1 chunked", resp.Proto, resp.TransferEncoding)
	}
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for _, name := range []string{"first", "second"} {
		if r, body := do(t, h1, "POST", base, "application/json", []byte(`{"metadata":{"name":"`+name+`"}}`)); r.StatusCode != 201 {
			t.Fatalf("create %s = %d %s", name, r.StatusCode, body)
		}
		select {
		case line := <-lines:
			var ev watchEvent
			if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type != "ADDED" || ev.Object.Metadata.Name != name {
				t.Fatalf("event %q (%v), want ADDED %s", line, err, name)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no event for %s within 5s: events are not flushed", name)
		}
	}
}

// TestMinRequestTimeout: a watch without timeoutSeconds ends between one
// and two --min-request-timeout, as kube-apiserver's do.
func TestMinRequestTimeout(t *testing.T) {
	p := startBinary(t, "", nil, "--min-request-timeout=2s")
	c := adminHTTP(t, p)
	start := time.Now()
	resp, body := do(t, c, "GET", p.URL+"/api/v1/namespaces/default/configmaps?watch=true", "", nil)
	took := time.Since(start)
	if resp.StatusCode != 200 {
		t.Fatalf("watch = %d %s", resp.StatusCode, body)
	}
	if took < 1500*time.Millisecond || took > 5*time.Second {
		t.Errorf("the watch lasted %s; want between 2 and 4 s", took)
	}
}

// TestWatchList: a watch with sendInitialEvents streams the state as ADDED
// events and ends it with a BOOKMARK annotated k8s.io/initial-events-end
// (client-go's WatchList, instead of a list then a watch), from the watch
// cache and from etcd; sendInitialEvents=false starts from now; the
// parameters are checked as kube-apiserver checks them.
func TestWatchList(t *testing.T) {
	for _, flags := range [][]string{nil, {"--watch-cache=false"}} {
		t.Run(strings.Join(append([]string{"flags"}, flags...), " "), func(t *testing.T) {
			p := startBinary(t, "", nil, flags...)
			c := adminHTTP(t, p)
			base := p.URL + "/api/v1/namespaces/default/configmaps"
			var last int
			for _, name := range []string{"a", "b", "c"} {
				resp, body := do(t, c, "POST", base, "application/json", []byte(`{"metadata":{"name":"`+name+`"}}`))
				var cm struct {
					Metadata struct{ ResourceVersion string }
				}
				if json.Unmarshal(body, &cm) != nil || resp.StatusCode != 201 {
					t.Fatalf("create = %d %s", resp.StatusCode, body)
				}
				last, _ = strconv.Atoi(cm.Metadata.ResourceVersion)
			}
			watch := func(query string) *http.Response {
				t.Helper()
				resp, err := c.Get(base + "?watch=true&timeoutSeconds=2&fieldSelector=" + notServerOwned + "&" + query)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { resp.Body.Close() })
				if resp.StatusCode != 200 {
					t.Fatalf("watch ?%s = %d", query, resp.StatusCode)
				}
				return resp
			}
			for _, rv := range []string{"", "0", strconv.Itoa(last)} {
				resp := watch("sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=" + rv)
				sc := bufio.NewScanner(resp.Body)
				var types, names []string
				for len(types) < 4 && sc.Scan() {
					var ev struct {
						Type   string
						Object struct {
							Metadata struct {
								Name, ResourceVersion string
								Annotations           map[string]string
							}
						}
					}
					if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
						t.Fatalf("event %q: %v", sc.Text(), err)
					}
					types, names = append(types, ev.Type), append(names, ev.Object.Metadata.Name)
					if ev.Type == "BOOKMARK" {
						mark, _ := strconv.Atoi(ev.Object.Metadata.ResourceVersion)
						if ev.Object.Metadata.Annotations["k8s.io/initial-events-end"] != "true" || mark < last {
							t.Errorf("resourceVersion %q: bookmark %s, want the annotation at >= %d", rv, sc.Text(), last)
						}
					}
				}
				if strings.Join(types, " ") != "ADDED ADDED ADDED BOOKMARK" || strings.Join(names, " ") != "a b c " {
					t.Errorf("resourceVersion %q: events %v %v, want the 3 objects then the bookmark", rv, types, names)
				}
			}
			// Without the state: only what happens from now.
			resp := watch("sendInitialEvents=false&resourceVersionMatch=NotOlderThan")
			if created, _ := do(t, c, "POST", base, "application/json", []byte(`{"metadata":{"name":"d"}}`)); created.StatusCode != 201 {
				t.Fatalf("create = %d", created.StatusCode)
			}
			events, _ := readEvents(t, resp, 10*time.Second)
			if len(events) != 1 || events[0].Type != "ADDED" || events[0].Object.Metadata.Name != "d" {
				t.Errorf("sendInitialEvents=false: events %+v, want only ADDED d", events)
			}
			for _, tc := range []struct{ query, message string }{
				{"watch=true&sendInitialEvents=true", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"},
				{"watch=true&resourceVersionMatch=NotOlderThan", "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"},
				{"sendInitialEvents=true", "sendInitialEvents is forbidden for list"},
			} {
				resp, body := do(t, c, "GET", base+"?"+tc.query, "", nil)
				if resp.StatusCode != 422 || !strings.Contains(string(body), tc.message) {
					t.Errorf("?%s = %d %s, want 422 %q", tc.query, resp.StatusCode, body, tc.message)
				}
			}
		})
	}
}
