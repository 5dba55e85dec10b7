// Command admission measures what admission webhooks and policies add to
// a create (issue 15's figures): ConfigMap creates, one at a time over
// one HTTP/2 connection, with nothing registered, with one no-op
// validating webhook (an HTTP/2 TLS server in this process that allows
// everything), and with a ValidatingAdmissionPolicy of three CEL
// validations bound with Deny; the phases alternate, side by side in one
// run. The webhook runs in a process of its own (this command, again),
// as webhooks do; its own round trip is measured from this process by
// posting the same AdmissionReview to it, one at a time, over HTTP/1.1
// keep-alive, as the apiserver does.
//
// Goals: the webhook phase costs at most the round trip plus 10 % over
// the bare create; the policy adds under 5 %.
//
//	go run ./hack/bench/admission -rounds 5 -creates 1000
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
	"github.com/apiserver/apiserver/pkg/certs"
)

const token = "bench-admin-token"

func main() {
	if len(os.Args) == 2 && os.Args[1] == "serve-webhook" {
		os.Exit(harness.ExitCode(os.Stderr, serveWebhook()))
	}
	os.Exit(harness.ExitCode(os.Stderr, run()))
}

func run() error {
	binary := flag.String("binary", "", "apiserver executable (default: build ./cmd/apiserver)")
	rounds := flag.Int("rounds", 5, "rounds of the three phases")
	creates := flag.Int("creates", 1000, "creates per phase and round")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	profile := flag.String("cpuprofile-phase", "", "write a CPU profile of the apiserver during the first round of this phase (webhook or policy) into the temporary directory (with -keep)")
	flag.Parse()
	ctx := context.Background()
	dir, cleanup, err := harness.TempDir("bench-admission-", *keep, os.Stdout)
	if err != nil {
		return err
	}
	defer cleanup()
	bin := *binary
	if bin == "" {
		bin = filepath.Join(dir, "apiserver")
		if err := harness.GoBuild(ctx, bin, "./cmd/apiserver"); err != nil {
			return err
		}
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",bench,bench,\"system:masters\"\n"), 0o600); err != nil {
		return err
	}
	p, _, err := harness.StartAPIServer(ctx, harness.APIServer{
		Bin: bin, DataDir: filepath.Join(dir, "data"), LogFile: filepath.Join(dir, "apiserver.log"),
		Args: []string{"--token-auth-file", tokens}, Poll: 5 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	defer p.Stop()
	api := "https://" + p.Addr()
	hook, err := startWebhook(ctx)
	if err != nil {
		return err
	}
	defer hook.close()
	c := client{api: api, http: &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}} //nolint:gosec // the benchmark's own server

	if err := c.post(ctx, "/api/v1/namespaces", map[string]any{"metadata": map[string]any{"name": "bench"}}); err != nil {
		return err
	}
	harness.PrintMachine(os.Stdout, bin)
	fmt.Printf("%d sequential ConfigMap creates per phase, %d rounds, phases alternating\n\n", *creates, *rounds)
	phases := []struct {
		name      string
		on, off   func() error
		latencies []time.Duration
	}{
		{name: "no admission extension", on: func() error { return nil }, off: func() error { return nil }},
		{name: "one no-op validating webhook", on: func() error { return c.post(ctx, webhookPath, hook.configuration()) },
			off: func() error { return c.delete(ctx, webhookPath+"/bench-noop") }},
		{name: "policy of 3 CEL validations", on: func() error {
			if err := c.post(ctx, policyPath, policy()); err != nil {
				return err
			}
			return c.post(ctx, bindingPath, binding())
		}, off: func() error {
			if err := c.delete(ctx, bindingPath+"/bench-three"); err != nil {
				return err
			}
			return c.delete(ctx, policyPath+"/bench-three")
		}},
	}
	var rtts, paced []time.Duration
	var inServerSum float64
	var inServerCount int64
	for r := range *rounds {
		for i := range phases {
			ph := &phases[i]
			if err := ph.on(); err != nil {
				return fmt.Errorf("%s: %w", ph.name, err)
			}
			time.Sleep(time.Second) // the configuration reaches the server's watch
			var profiled chan error
			if r == 0 && ((*profile == "webhook" && i == 1) || (*profile == "policy" && i == 2)) {
				profiled = make(chan error, 1)
				go func() { profiled <- c.profile(ctx, filepath.Join(dir, *profile+".pprof")) }()
			}
			sum0, n0, err := c.webhookSeconds(ctx)
			if err != nil {
				return err
			}
			lat, err := c.creates(ctx, fmt.Sprintf("cm-%d-%d", r, i), *creates)
			if profiled != nil {
				if err := <-profiled; err != nil {
					return err
				}
			}
			if err != nil {
				return fmt.Errorf("%s: %w", ph.name, err)
			}
			ph.latencies = append(ph.latencies, lat...)
			if i == 1 {
				sum1, n1, err := c.webhookSeconds(ctx)
				if err != nil {
					return err
				}
				inServerSum, inServerCount = inServerSum+sum1-sum0, inServerCount+n1-n0
			}
			if err := ph.off(); err != nil {
				return fmt.Errorf("%s: %w", ph.name, err)
			}
			fmt.Printf("round %d %-30s median %v\n", r+1, ph.name, percentile(lat, 50))
		}
		rtt, err := hook.roundTrips(ctx, *creates, 0)
		if err != nil {
			return err
		}
		rtts = append(rtts, rtt...)
		fmt.Printf("round %d %-30s median %v\n", r+1, "webhook round trip alone", percentile(rtt, 50))
		// The apiserver calls the webhook once per create: between calls
		// the webhook process (and the caller) sleep, and each call wakes
		// them. Paced by this round's bare create, the round trip pays
		// those wake-ups too.
		gap := percentile(phases[0].latencies[len(phases[0].latencies)-*creates:], 50)
		p, err := hook.roundTrips(ctx, *creates, gap)
		if err != nil {
			return err
		}
		paced = append(paced, p...)
		fmt.Printf("round %d %-30s median %v\n", r+1, "webhook round trip, paced", percentile(p, 50))
	}
	base, withHook, withPolicy, rtt := percentile(phases[0].latencies, 50), percentile(phases[1].latencies, 50), percentile(phases[2].latencies, 50), percentile(rtts, 50)
	fmt.Printf("\n%-30s %10s %10s\n", "", "p50", "p99")
	for _, ph := range phases {
		fmt.Printf("%-30s %10v %10v\n", ph.name, percentile(ph.latencies, 50), percentile(ph.latencies, 99))
	}
	fmt.Printf("%-30s %10v %10v\n", "webhook round trip alone", rtt, percentile(rtts, 99))
	fmt.Printf("%-30s %10v %10v\n", "webhook round trip, paced", percentile(paced, 50), percentile(paced, 99))
	if n, err := hook.connections(ctx); err == nil {
		fmt.Printf("connections the webhook accepted: %s\n", n)
	}
	if inServerCount > 0 {
		fmt.Printf("%-30s %10v (mean, apiserver_admission_webhook_admission_duration_seconds, %d calls)\n", "webhook call in the apiserver",
			time.Duration(inServerSum/float64(inServerCount)*float64(time.Second)).Round(time.Microsecond), inServerCount)
	}
	added := withHook - base
	fmt.Printf("\nwebhook adds %v to a create; its round trip is %v: %.0f%% of it (goal <= 110%%: %s)\n",
		added, rtt, 100*float64(added)/float64(rtt), harness.Verdict(float64(added) <= 1.1*float64(rtt)))
	pacedRTT := percentile(paced, 50)
	fmt.Printf("webhook adds %v to a create; its round trip paced as the creates call it is %v: %.0f%% of it (goal <= 110%%: %s)\n",
		added, pacedRTT, 100*float64(added)/float64(pacedRTT), harness.Verdict(float64(added) <= 1.1*float64(pacedRTT)))
	fmt.Printf("policy adds %v to a create: %.1f%% (goal < 5%%: %s)\n",
		withPolicy-base, 100*float64(withPolicy-base)/float64(base), harness.Verdict(float64(withPolicy-base) < 0.05*float64(base)))
	return nil
}

const (
	webhookPath = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
	policyPath  = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
	bindingPath = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings"
)

func configMapRule() []any {
	return []any{map[string]any{"operations": []string{"CREATE"}, "apiGroups": []string{""}, "apiVersions": []string{"v1"}, "resources": []string{"configmaps"}}}
}

func policy() map[string]any {
	return map[string]any{"metadata": map[string]any{"name": "bench-three"}, "spec": map[string]any{
		"matchConstraints": map[string]any{"resourceRules": configMapRule()},
		"validations": []any{
			map[string]any{"expression": "object.metadata.name.size() < 64"},
			map[string]any{"expression": "!has(object.data) || object.data.size() < 10"},
			map[string]any{"expression": "!has(object.metadata.labels) || !('forbidden' in object.metadata.labels)"},
		},
	}}
}

func binding() map[string]any {
	return map[string]any{"metadata": map[string]any{"name": "bench-three"}, "spec": map[string]any{
		"policyName": "bench-three", "validationActions": []string{"Deny"}}}
}

type client struct {
	api  string
	http *http.Client
}

func (c client) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.api+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

func (c client) post(ctx context.Context, path string, body any) error {
	code, out, err := c.do(ctx, http.MethodPost, path, body)
	if err == nil && code != http.StatusCreated {
		err = fmt.Errorf("POST %s: %d %s", path, code, out)
	}
	return err
}

func (c client) delete(ctx context.Context, path string) error {
	code, out, err := c.do(ctx, http.MethodDelete, path, nil)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("DELETE %s: %d %s", path, code, out)
	}
	return err
}

// webhookSeconds reads the sum and count of the apiserver's webhook
// call histogram.
func (c client) webhookSeconds(ctx context.Context) (float64, int64, error) {
	code, out, err := c.do(ctx, http.MethodGet, "/metrics", nil)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("metrics: %d", code)
	}
	if err != nil {
		return 0, 0, err
	}
	var sum float64
	var count int64
	for _, line := range strings.Split(string(out), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		switch {
		case strings.HasPrefix(line, "apiserver_admission_webhook_admission_duration_seconds_sum{"):
			v, _ := strconv.ParseFloat(fields[1], 64)
			sum += v
		case strings.HasPrefix(line, "apiserver_admission_webhook_admission_duration_seconds_count{"):
			v, _ := strconv.ParseInt(fields[1], 10, 64)
			count += v
		}
	}
	return sum, count, nil
}

// profile saves a 3-second CPU profile of the apiserver at path.
func (c client) profile(ctx context.Context, path string) error {
	code, out, err := c.do(ctx, http.MethodGet, "/debug/pprof/profile?seconds=3", nil)
	if err == nil && code != http.StatusOK {
		err = fmt.Errorf("profile: %d %s", code, out)
	}
	if err != nil {
		return err
	}
	fmt.Printf("CPU profile: go tool pprof %s\n", path)
	return os.WriteFile(path, out, 0o600)
}

// creates creates n ConfigMaps (named prefix-i) one at a time and
// returns each latency.
func (c client) creates(ctx context.Context, prefix string, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := range n {
		body := map[string]any{"metadata": map[string]any{"name": fmt.Sprintf("%s-%d", prefix, i)}, "data": map[string]string{"k": "v"}}
		start := time.Now()
		if err := c.post(ctx, "/api/v1/namespaces/bench/configmaps", body); err != nil {
			return nil, err
		}
		out = append(out, time.Since(start))
	}
	return out, nil
}

func percentile(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)*p/100].Round(time.Microsecond)
}

// webhook is a no-op validating webhook over HTTP/2 and TLS, served by
// a child process.
type webhook struct {
	cmd    *exec.Cmd
	url    string
	caPEM  []byte
	client *http.Client
}

// serveWebhook is the child: it prints its CA and port, then allows
// every review until killed.
func serveWebhook() error {
	certPEM, keyPEM, err := certs.SelfSigned(certs.Leaf{CommonName: "bench-webhook", IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var conns atomic.Int64
	srv := &http.Server{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12},
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/connections" {
				fmt.Fprint(rw, conns.Load())
				return
			}
			var review struct {
				Request struct {
					UID string `json:"uid"`
				} `json:"request"`
			}
			if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(rw, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":%q,"allowed":true}}`, review.Request.UID)
		})}
	if err := http2.ConfigureServer(srv, nil); err != nil {
		return err
	}
	ca, _ := json.Marshal(certPEM)
	fmt.Printf("%s %s\n", ln.Addr(), ca)
	return srv.ServeTLS(ln, "", "")
}

// startWebhook starts the child and a client of it.
func startWebhook(ctx context.Context) (*webhook, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "serve-webhook")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	var addr, ca string
	if _, err := fmt.Fscan(out, &addr, &ca); err != nil {
		cmd.Process.Kill() //nolint:errcheck // failed anyway
		return nil, fmt.Errorf("webhook child: %w", err)
	}
	w := &webhook{cmd: cmd, url: "https://" + addr + "/validate"}
	if err := json.Unmarshal([]byte(ca), &w.caPEM); err != nil {
		cmd.Process.Kill() //nolint:errcheck // failed anyway
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(w.caPEM)
	// HTTP/1.1 keep-alive, as the apiserver calls webhooks.
	w.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}}}
	return w, nil
}

// connections asks the child how many connections it accepted.
func (w *webhook) connections(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(w.url, "/validate")+"/connections", nil)
	if err != nil {
		return "", err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return string(out), err
}

func (w *webhook) close() {
	w.cmd.Process.Kill() //nolint:errcheck // it may be gone
	w.cmd.Wait()         //nolint:errcheck // killed
}

func (w *webhook) configuration() map[string]any {
	return map[string]any{"metadata": map[string]any{"name": "bench-noop"}, "webhooks": []any{map[string]any{
		"name": "noop.bench.example.com", "rules": configMapRule(), "sideEffects": "None", "admissionReviewVersions": []string{"v1"},
		"clientConfig": map[string]any{"url": w.url, "caBundle": w.caPEM},
	}}}
}

// roundTrips posts a ConfigMap's AdmissionReview to the webhook n times,
// as the server would, and returns each latency.
// roundTrips posts the review n times, one at a time, gap apart, and
// returns each round trip.
func (w *webhook) roundTrips(ctx context.Context, n int, gap time.Duration) ([]time.Duration, error) {
	body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"0b6b3c0e-8e57-4c8a-9d0f-3c6f3e7e0a11",` +
		`"kind":{"group":"","version":"v1","kind":"ConfigMap"},"resource":{"group":"","version":"v1","resource":"configmaps"},` +
		`"namespace":"bench","operation":"CREATE","userInfo":{"username":"bench","groups":["system:masters","system:authenticated"]},` +
		`"object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"cm-","namespace":"bench"},"data":{"k":"v"}},` +
		`"oldObject":null,"dryRun":false,"options":{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}}}`)
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url+"?timeout=10s", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := w.client.Do(req)
		if err != nil {
			return nil, err
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // only the time counts
		resp.Body.Close()
		out = append(out, time.Since(start))
		if gap > 0 {
			time.Sleep(gap)
		}
	}
	return out, nil
}
