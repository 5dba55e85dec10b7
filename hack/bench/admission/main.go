// Command admission measures what admission webhooks and policies add to
// a create (issue 15's figures): ConfigMap creates, one at a time over
// one HTTP/2 connection, with nothing registered, with one no-op
// validating webhook (an HTTP/2 TLS server in this process that allows
// everything), and with a ValidatingAdmissionPolicy of three CEL
// validations bound with Deny; the phases alternate, side by side in one
// run. The webhook's own round trip is measured by posting the same
// AdmissionReview to it directly.
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
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
	"github.com/apiserver/apiserver/pkg/certs"
)

const token = "bench-admin-token"

func main() {
	os.Exit(harness.ExitCode(os.Stderr, run()))
}

func run() error {
	binary := flag.String("binary", "", "apiserver executable (default: build ./cmd/apiserver)")
	rounds := flag.Int("rounds", 5, "rounds of the three phases")
	creates := flag.Int("creates", 1000, "creates per phase and round")
	keep := flag.Bool("keep", false, "keep the temporary directory")
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
	hook, err := startWebhook()
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
	var rtts []time.Duration
	for r := range *rounds {
		for i := range phases {
			ph := &phases[i]
			if err := ph.on(); err != nil {
				return fmt.Errorf("%s: %w", ph.name, err)
			}
			time.Sleep(time.Second) // the configuration reaches the server's watch
			lat, err := c.creates(ctx, *creates)
			if err != nil {
				return fmt.Errorf("%s: %w", ph.name, err)
			}
			ph.latencies = append(ph.latencies, lat...)
			if err := ph.off(); err != nil {
				return fmt.Errorf("%s: %w", ph.name, err)
			}
			fmt.Printf("round %d %-30s median %v\n", r+1, ph.name, percentile(lat, 50))
		}
		rtt, err := hook.roundTrips(ctx, *creates)
		if err != nil {
			return err
		}
		rtts = append(rtts, rtt...)
		fmt.Printf("round %d %-30s median %v\n", r+1, "webhook round trip alone", percentile(rtt, 50))
	}
	base, withHook, withPolicy, rtt := percentile(phases[0].latencies, 50), percentile(phases[1].latencies, 50), percentile(phases[2].latencies, 50), percentile(rtts, 50)
	fmt.Printf("\n%-30s %10s %10s\n", "", "p50", "p99")
	for _, ph := range phases {
		fmt.Printf("%-30s %10v %10v\n", ph.name, percentile(ph.latencies, 50), percentile(ph.latencies, 99))
	}
	fmt.Printf("%-30s %10v %10v\n", "webhook round trip alone", rtt, percentile(rtts, 99))
	added := withHook - base
	fmt.Printf("\nwebhook adds %v to a create; its round trip is %v: %.0f%% of it (goal <= 110%%: %s)\n",
		added, rtt, 100*float64(added)/float64(rtt), harness.Verdict(float64(added) <= 1.1*float64(rtt)))
	fmt.Printf("policy adds %v to a create: %.1f%% (goal < 5%%: %s)\n",
		withPolicy-base, 100*float64(withPolicy-base)/float64(base), harness.Verdict(float64(withPolicy-base) < 0.05*float64(base)))
	fmt.Printf("webhook calls served: %d\n", hook.calls.Load())
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

// creates creates n ConfigMaps one at a time and returns each latency.
func (c client) creates(ctx context.Context, n int) ([]time.Duration, error) {
	body := map[string]any{"metadata": map[string]any{"generateName": "cm-"}, "data": map[string]string{"k": "v"}}
	out := make([]time.Duration, 0, n)
	for range n {
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

// webhook is a no-op validating webhook over HTTP/2 and TLS.
type webhook struct {
	srv    *http.Server
	url    string
	caPEM  []byte
	client *http.Client
	calls  atomic.Int64
}

func startWebhook() (*webhook, error) {
	certPEM, keyPEM, err := certs.SelfSigned(certs.Leaf{CommonName: "bench-webhook", IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	w := &webhook{url: "https://" + ln.Addr().String() + "/validate", caPEM: certPEM}
	w.srv = &http.Server{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12},
		Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			var review struct {
				Request struct {
					UID string `json:"uid"`
				} `json:"request"`
			}
			if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			w.calls.Add(1)
			rw.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(rw, `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":%q,"allowed":true}}`, review.Request.UID)
		})}
	if err := http2.ConfigureServer(w.srv, nil); err != nil {
		return nil, err
	}
	go w.srv.ServeTLS(ln, "", "") //nolint:errcheck // ends with close
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	w.client = &http.Client{Transport: &http2.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	return w, nil
}

func (w *webhook) close() { w.srv.Close() }

func (w *webhook) configuration() map[string]any {
	return map[string]any{"metadata": map[string]any{"name": "bench-noop"}, "webhooks": []any{map[string]any{
		"name": "noop.bench.example.com", "rules": configMapRule(), "sideEffects": "None", "admissionReviewVersions": []string{"v1"},
		"clientConfig": map[string]any{"url": w.url, "caBundle": w.caPEM},
	}}}
}

// roundTrips posts a ConfigMap's AdmissionReview to the webhook n times,
// as the server would, and returns each latency.
func (w *webhook) roundTrips(ctx context.Context, n int) ([]time.Duration, error) {
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
	}
	return out, nil
}
