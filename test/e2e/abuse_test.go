package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
)

// heapInUse reads go_memstats_heap_inuse_bytes from /metrics.
func heapInUse(t *testing.T, p *process, c *http.Client) float64 {
	t.Helper()
	_, body := do(t, c, "GET", p.URL+"/metrics", "", nil)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "go_memstats_heap_inuse_bytes ") {
			var v float64
			fmt.Sscan(strings.Fields(line)[1], &v)
			return v
		}
	}
	t.Fatal("no go_memstats_heap_inuse_bytes in /metrics")
	return 0
}

// peakRSS is the server process's peak resident set (VmHWM), in bytes.
func peakRSS(t *testing.T, p *process) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			var kb int64
			fmt.Sscan(strings.Fields(line)[1], &kb)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// slowReader returns an administrator's client whose HTTP/2 streams take
// at most 64 KiB the application has not read, as a client that stops
// reading holds them: the server, not the test, then holds what is unsent.
func slowReader(t *testing.T, p *process) *http.Client {
	t.Helper()
	tr := &http.Transport{
		TLSClientConfig:   adminHTTP(t, p).Transport.(*http2.Transport).TLSClientConfig,
		ForceAttemptHTTP2: true,
		HTTP2:             &http.HTTP2Config{MaxReceiveBufferPerStream: 64 << 10, MaxReceiveBufferPerConnection: 64 << 20},
		Protocols:         new(http.Protocols),
	}
	tr.Protocols.SetHTTP2(true)
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// otherClient probes the server as another client would, every 100 ms
// until stop: a get of url by curl, a process of its own, so that what is
// measured is the server's answer, not this test's goroutines and garbage
// collector, busy with the abusive clients. A get that takes more than a
// second fails the test.
func otherClient(t *testing.T, p *process, url string) (stop func()) {
	curl := requireTool(t, "curl", "Debian's curl")
	pki := filepath.Join(p.DataDir, "pki")
	done := make(chan struct{})
	var wg sync.WaitGroup
	var slowest time.Duration
	var probes int
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond):
			}
			out, err := exec.Command(curl, "--silent", "--http2", "--output", "/dev/null", "--write-out", "%{http_code} %{time_total}",
				"--cacert", filepath.Join(pki, "ca.crt"), "--cert", filepath.Join(pki, "admin.crt"), "--key", filepath.Join(pki, "admin.key"),
				"--max-time", "30", url).Output()
			var code int
			var seconds float64
			if _, scanErr := fmt.Sscan(string(out), &code, &seconds); err != nil || scanErr != nil {
				t.Errorf("another client's get: %v %q", err, out)
				return
			}
			took := time.Duration(seconds * float64(time.Second))
			probes++
			slowest = max(slowest, took)
			if code != 200 || took > time.Second {
				t.Errorf("another client's get = %d after %s", code, took)
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		t.Logf("another client's slowest get of %d: %s", probes, slowest)
	}
}

// TestManyWatchesAndLists sends what an authenticated client can send to
// exhaust the server's memory, on 2,000 ConfigMaps of 10 KB: 2,000 watches
// from resourceVersion 0 that stop reading, 50 parallel full lists, and 20
// lists whose reader never reads. The watch cache serves all of them from
// one copy of the objects and one encoding of each, and answers stream,
// so the server's peak RSS stays under 1 GiB and another client is
// answered within a second throughout.
func TestManyWatchesAndLists(t *testing.T) {
	p := startBinary(t, "", nil)
	admin := adminHTTP(t, p)
	base := p.URL + "/api/v1/namespaces/default/configmaps"
	if !createConfigMaps(t, admin, base, 2000, 8) {
		return
	}
	var wg sync.WaitGroup
	seeded := peakRSS(t, p)
	stop := otherClient(t, p, base+"/cm-0001")
	defer stop()

	t.Run("2,000 watches from resourceVersion 0", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		c := slowReader(t, p)
		var reading sync.WaitGroup
		var got20, failed atomic.Int64
		for range 2000 {
			reading.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, "GET", base+"?watch=true&resourceVersion=0", nil)
				resp, err := c.Do(req)
				if err != nil {
					failed.Add(1)
					t.Errorf("watch: %v", err)
					return
				}
				defer resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
					t.Errorf("watch = %d", resp.StatusCode)
					return
				}
				sc := bufio.NewScanner(resp.Body)
				sc.Buffer(make([]byte, 64<<10), 1<<20)
				for n := 0; n < 20; n++ {
					if !sc.Scan() {
						failed.Add(1)
						t.Errorf("the watch ended after %d events: %v", n, sc.Err())
						return
					}
				}
				got20.Add(1)
				<-ctx.Done() // ...and stop reading, until the end
			})
		}
		waitUntil(t, time.Minute, "every watch received its first 20 events", func() bool { return got20.Load()+failed.Load() == 2000 })
		time.Sleep(2 * time.Second) // held, unread
		t.Logf("heap in use with 2,000 stalled watches: %.0f MiB", heapInUse(t, p, admin)/(1<<20))
		cancel()
		reading.Wait()
	})

	t.Run("50 parallel full lists", func(t *testing.T) {
		for range 50 {
			wg.Go(func() {
				resp, err := adminHTTP(t, p).Get(base)
				if err != nil {
					t.Errorf("list: %v", err)
					return
				}
				defer resp.Body.Close()
				if n, err := io.Copy(io.Discard, resp.Body); resp.StatusCode != 200 || err != nil || n < 2000*10<<10 {
					t.Errorf("list = %d, %d bytes, %v", resp.StatusCode, n, err)
				}
			})
		}
		wg.Wait()
	})

	t.Run("20 lists never read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		c := slowReader(t, p)
		var sent sync.WaitGroup
		for range 20 {
			sent.Add(1)
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(ctx, "GET", base, nil)
				resp, err := c.Do(req)
				sent.Done()
				if err != nil {
					t.Errorf("list: %v", err)
					return
				}
				defer resp.Body.Close()
				<-ctx.Done()
			})
		}
		waitGroup(t, &sent, 30*time.Second, "the 20 lists were answered")
		time.Sleep(2 * time.Second)
		t.Logf("heap in use with 20 stalled lists: %.0f MiB", heapInUse(t, p, admin)/(1<<20))
		cancel()
		wg.Wait()
	})

	peak := peakRSS(t, p)
	t.Logf("peak RSS: %.0f MiB after seeding, %.0f MiB in all", float64(seeded)/(1<<20), float64(peak)/(1<<20))
	if peak > 1<<30 {
		t.Errorf("peak RSS %.0f MiB, more than 1 GiB", float64(peak)/(1<<20))
	}
}

// createConfigMaps creates n ConfigMaps cm-0000... of a 10 KB value in
// collection base, from workers goroutines, and reports whether all were
// created.
func createConfigMaps(t *testing.T, c *http.Client, base string, n, workers int) bool {
	t.Helper()
	value := strings.Repeat("x", 10<<10)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				body := fmt.Appendf(nil, `{"metadata":{"name":"cm-%04d"},"data":{"v":%q}}`, i, value)
				if resp, data := do(t, c, "POST", base, "application/json", body); resp.StatusCode != 201 {
					t.Errorf("create = %d %s", resp.StatusCode, data)
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	return !failed.Load()
}

// waitGroup waits for wg, failing the test after timeout.
func waitGroup(t *testing.T, wg *sync.WaitGroup, timeout time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("%s: not within %s", what, timeout)
	}
}

// TestDeepObjectReadPretty: a custom object as deep as the server stores
// (nesting is refused past 1,000 levels), read with ?pretty=true, is not
// indented into a response quadratic in its depth (9,000 levels indented
// were 162 MB): the answer stays within a few times the stored size.
func TestDeepObjectReadPretty(t *testing.T) {
	p := startBinary(t, "", nil)
	admin := adminHTTP(t, p)
	const group = "deep.example.com"
	if resp, body := do(t, admin, "POST", p.URL+"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/yaml", []byte(gadgetCRD(group))); resp.StatusCode != 201 {
		t.Fatalf("create CRD = %d %s", resp.StatusCode, body)
	}
	gadgets := p.URL + "/apis/" + group + "/v1/gadgets"
	waitUntil(t, 20*time.Second, "gadgets are served", func() bool {
		resp, _ := do(t, admin, "GET", gadgets, "", nil)
		return resp.StatusCode == 200
	})
	deep := `{"apiVersion":"` + group + `/v1","kind":"Gadget","metadata":{"name":"deep"},"spec":` +
		strings.Repeat(`{"a":`, 990) + "1" + strings.Repeat("}", 990) + "}"
	if resp, body := do(t, admin, "POST", gadgets, "application/json", []byte(deep)); resp.StatusCode != 201 {
		t.Fatalf("create of an object 992 levels deep = %d %.300s", resp.StatusCode, body)
	}
	start := time.Now()
	resp, body := do(t, admin, "GET", gadgets+"/deep?pretty=true", "", nil)
	took := time.Since(start)
	if resp.StatusCode != 200 || !json.Valid(body) {
		t.Fatalf("get ?pretty=true = %d, valid JSON %v", resp.StatusCode, json.Valid(body))
	}
	if len(body) > 4*len(deep)+64<<10 || took > 2*time.Second {
		t.Errorf("get ?pretty=true of a %d-byte object: %d bytes in %s", len(deep), len(body), took)
	}
	// Indented deep would be about depth²: 990 levels → ~1 MB of spaces.
	t.Logf("a %d-byte object 992 levels deep, read ?pretty=true: %d bytes in %s", len(deep), len(body), took)
}
