package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// bearer sends a bearer token with every request.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// startWithTokens starts a server whose users are root (system:masters)
// and alice (devs), by bearer token, and returns a client for each.
func startWithTokens(t *testing.T, flags ...string) (p *process, root, alice *http.Client) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("alice-token,alice,1001,devs\nroot-token,root,0,system:masters\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p = startBinary(t, "", nil, append([]string{"--token-auth-file", tokens}, flags...)...)
	pem, err := os.ReadFile(filepath.Join(p.DataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := func(token string) *http.Client {
		return &http.Client{Transport: bearer{token, &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	}
	// The token file replaces the generated administrator: root is one,
	// being in system:masters.
	return p, client("root-token"), client("alice-token")
}

// TestMaxInFlight saturates a server started with small in-flight limits
// with lists from an ordinary user: the excess gets 429 with Retry-After and
// kube's Status, while probes and the administrator keep being answered.
func TestMaxInFlight(t *testing.T) {
	// alice may do anything: the limits are under test, not her rights.
	p, admin, alice := startWithTokens(t, "--max-requests-inflight=2", "--max-mutating-requests-inflight=1", "--authorization-mode=AlwaysAllow")
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	// as the administrator: never refused
	if !createConfigMaps(t, admin, base, 200, 4) {
		return
	}

	var ok, refused, probes, adminOK atomic.Int64
	stop := make(chan struct{})
	var side sync.WaitGroup
	side.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if code, _, err := p.tryGet("/readyz"); err != nil || code != 200 {
				t.Errorf("/readyz during saturation = %d, %v", code, err)
				return
			}
			if resp, _ := do(t, admin, "GET", base+"?limit=1", "", nil); resp.StatusCode != 200 {
				t.Errorf("administrator's list during saturation = %d", resp.StatusCode)
				return
			}
			probes.Add(1)
			adminOK.Add(1)
		}
	})
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() {
			for range 3 {
				req, _ := http.NewRequest("GET", base, nil)
				resp, err := alice.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					ok.Add(1)
				case 429:
					refused.Add(1)
					var st status
					if err := json.Unmarshal(data, &st); err != nil || st.Kind != "Status" || st.Reason != "TooManyRequests" || st.Code != 429 {
						t.Errorf("429 body = %s", data)
					}
					if got := resp.Header.Get("Retry-After"); got != "1" {
						t.Errorf("Retry-After = %q", got)
					}
				default:
					t.Errorf("list = %d %.200s", resp.StatusCode, data)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	side.Wait()
	t.Logf("lists: %d answered, %d refused; %d probes and administrator lists answered meanwhile", ok.Load(), refused.Load(), probes.Load())
	if refused.Load() == 0 || ok.Load() == 0 {
		t.Errorf("want some lists answered and some refused: %d and %d", ok.Load(), refused.Load())
	}
	if probes.Load() == 0 {
		t.Error("no probe ran during the saturation")
	}
}

// TestMetricsAndProfiling: /metrics serves kube-apiserver's metric names to
// users the policy allows (anonymous gets kube's 403); /debug/pprof follows
// --profiling.
func TestMetricsAndProfiling(t *testing.T) {
	p := startBinary(t, "", nil)
	admin := adminHTTP(t, p)
	if code, body, err := p.tryGet("/metrics"); err != nil || code != http.StatusForbidden ||
		!strings.Contains(body, `forbidden: User \"system:anonymous\" cannot get path \"/metrics\"`) {
		t.Errorf("anonymous /metrics = %d, %v %s; want kube's 403", code, err, body)
	}
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	// The server's own loopback client creates ConfigMaps too
	// (kube-system/extension-apiserver-authentication): this test's create
	// is the count's step.
	const postSeries = `apiserver_request_total{code="201",component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1"}`
	const durationSeries = `apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="POST",version="v1",le="60"}`
	waitUntil(t, 10*time.Second, "the server's own ConfigMap", func() bool {
		resp, body := do(t, admin, "GET", p.URL+"/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication", "", nil)
		return resp.StatusCode == 200 && len(body) > 0
	})
	_, before := do(t, admin, "GET", p.URL+"/metrics", "", nil)
	posts, durations := metricValue(string(before), postSeries), metricValue(string(before), durationSeries)
	if resp, body := do(t, admin, "POST", base, "application/json", []byte(`{"metadata":{"name":"m"}}`)); resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	// A watch from the start sees the create.
	if resp, body := do(t, admin, "GET", base+"?watch=true&resourceVersion=1&timeoutSeconds=1", "", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"ADDED"`) {
		t.Fatalf("watch = %d %s", resp.StatusCode, body)
	}
	resp, body := do(t, admin, "GET", p.URL+"/metrics", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics = %d", resp.StatusCode)
	}
	if got := metricValue(string(body), postSeries); got != posts+1 {
		t.Errorf("%s went from %v to %v, want one more", postSeries, posts, got)
	}
	if got := metricValue(string(body), durationSeries); got != durations+1 {
		t.Errorf("%s went from %v to %v, want one more", durationSeries, durations, got)
	}
	for _, want := range []string{
		`apiserver_current_inflight_requests{request_kind="readOnly"}`,
		`apiserver_response_sizes_count{component="apiserver",dry_run="",group="",resource="configmaps",scope="namespace",subresource="",verb="WATCH",version="v1"} 1`,
		`apiserver_watch_events_total{group="",kind="ConfigMap",version="v1"}`,
		`etcd_request_duration_seconds_count{operation="create",type="configmaps"}`,
		`apiserver_storage_objects{resource="namespaces"}`,
		`apiserver_watch_cache_events_received_total{resource="configmaps"}`,
		`apiserver_watch_cache_initializations_total{resource="configmaps"} 1`,
		`watch_cache_capacity{resource="configmaps"} 4096`,
		`go_goroutines`, `process_resident_memory_bytes`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s", want)
		}
	}
	if resp, _ := do(t, admin, "GET", p.URL+"/debug/pprof/", "", nil); resp.StatusCode != 200 {
		t.Errorf("/debug/pprof/ = %d with --profiling (the default)", resp.StatusCode)
	}
	if code, _, _ := p.tryGet("/debug/pprof/"); code != http.StatusForbidden {
		t.Errorf("anonymous /debug/pprof/ = %d, want 403", code)
	}
	off := startBinary(t, "", nil, "--profiling=false")
	if resp, _ := do(t, adminHTTP(t, off), "GET", off.URL+"/debug/pprof/", "", nil); resp.StatusCode != 404 {
		t.Errorf("/debug/pprof/ = %d with --profiling=false, want 404", resp.StatusCode)
	}
}

// TestStalledReaderCutAtDeadline: a client that stops reading a large list
// (its HTTP/2 stream window stays closed) holds the request only until
// --request-timeout: then the server ends the stream and the request is no
// longer in flight.
func TestStalledReaderCutAtDeadline(t *testing.T) {
	p, admin, alice := startWithTokens(t, "--request-timeout=2s", "--authorization-mode=AlwaysAllow")
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	// 6 MB: more than the client's 4 MB stream window
	if !createConfigMaps(t, admin, base, 600, 4) {
		return
	}
	inFlight := func() string {
		_, body := do(t, admin, "GET", p.URL+"/metrics", "", nil)
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, `apiserver_current_inflight_requests{request_kind="readOnly"}`) {
				return strings.Fields(line)[1]
			}
		}
		return "?"
	}
	// Another user's connection, whose answers are never read (the
	// administrator's requests are not counted in flight).
	resp, err := alice.Get(base)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	time.Sleep(500 * time.Millisecond)
	if got := inFlight(); got != "1" {
		t.Errorf("read-only requests in flight while the reader stalls = %s, want 1", got)
	}
	waitUntil(t, 10*time.Second, "the stalled request ended", func() bool { return inFlight() == "0" })
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the stalled request was cut after %s; --request-timeout is 2s", took)
	}
	if n, err := io.Copy(io.Discard, resp.Body); err == nil {
		t.Errorf("the stalled answer completed (%d bytes) instead of being cut off", n)
	}
}

// TestAbusiveInputsBounded sends bodies that cost far more than their size
// to process unless the server bounds them: each is refused fast, with a
// small answer, and the server's heap stays small.
func TestAbusiveInputsBounded(t *testing.T) {
	p := startBinary(t, "", nil)
	admin := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	if resp, body := do(t, admin, "POST", base, "application/json", []byte(`{"metadata":{"name":"target"}}`)); resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, body)
	}
	var bomb strings.Builder
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\nl0: &l0 [\"lol\"]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&bomb, "l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 10), ","))
	}
	deep := `{"data":` + strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000) + "}"
	label := `{"metadata":{"name":"big","labels":{"a":"` + strings.Repeat("x", 1<<20) + `"}}}`
	tests := []struct {
		name, method, url, contentType, body string
		code                                 int
		contains                             string
	}{
		{"YAML aliases expanding to 10^9 values", "POST", base, "application/yaml", bomb.String(), 400, "through its aliases"},
		{"a merge patch nested 9,000 deep", "PATCH", base + "/target", "application/merge-patch+json", deep, 400, "more than 1000 levels deep"},
		{"a 1 MiB invalid label value", "POST", base, "application/json", label, 422, "(truncated from 1048576 bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			resp, body := do(t, admin, tt.method, tt.url, tt.contentType, []byte(tt.body))
			took := time.Since(start)
			if resp.StatusCode != tt.code || !strings.Contains(string(body), tt.contains) {
				t.Fatalf("answer = %d %.300s, want %d containing %q", resp.StatusCode, body, tt.code, tt.contains)
			}
			if took > 2*time.Second {
				t.Errorf("took %s", took)
			}
			if len(body) > 16<<10 {
				t.Errorf("answer of %d bytes", len(body))
			}
		})
	}
	heap := heapInUse(t, p, admin)
	t.Logf("heap in use: %.0f MiB", heap/(1<<20))
	if heap > 256<<20 {
		t.Errorf("heap in use %.0f MiB after the abusive requests", heap/(1<<20))
	}
}

// metricValue is the value of series (name and labels, as exposed) in a
// Prometheus text exposition; 0 when it is absent.
func metricValue(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return 0
}
