// Command aggregation measures requests through an APIService against
// the same requests sent to its backend directly (issue 14's figure: at
// least 0.8 of the direct rate, one backend connection reused).
//
// The backend is an HTTP/2 TLS server in this process serving a small
// list at /apis/bench.example.com/v1/things and counting the connections
// it accepts. The apiserver runs with an embedded etcd and a token file;
// an ExternalName Service "localhost" and an APIService register the
// backend. h2load then alternates between the backend and the apiserver,
// the same -c/-m/-n each time.
//
//	go run ./hack/bench/aggregation -runs 3 -requests 100000
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
)

const token = "bench-admin-token"

func main() {
	os.Exit(harness.ExitCode(os.Stderr, run()))
}

func run() error {
	binary := flag.String("binary", "", "apiserver executable (default: build ./cmd/apiserver)")
	runs := flag.Int("runs", 3, "h2load runs per target")
	requests := flag.Int("requests", 100000, "requests per h2load run")
	conns := flag.Int("c", 4, "h2load connections")
	streams := flag.Int("m", 50, "h2load concurrent streams per connection")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	flag.Parse()
	ctx := context.Background()
	h2load, err := exec.LookPath("h2load")
	if err != nil {
		return fmt.Errorf("h2load not found: apt-get install nghttp2-client")
	}
	dir, cleanup, err := harness.TempDir("bench-aggregation-", *keep, os.Stdout)
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

	backend, accepted, err := startBackend()
	if err != nil {
		return err
	}
	defer backend.Close()
	backendPort := backend.Addr().(*net.TCPAddr).Port

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
	if err := register(ctx, api, backendPort); err != nil {
		return err
	}

	harness.PrintMachine(os.Stdout, bin, "backend: Go net/http + HTTP/2 over TLS in the benchmark process")
	fmt.Printf("h2load -c %d -m %d -n %d, %d runs each, alternating\n\n", *conns, *streams, *requests, *runs)
	path := "/apis/bench.example.com/v1/things"
	targets := []struct {
		name, url string
		args      []string
	}{
		{"direct to the backend", fmt.Sprintf("https://127.0.0.1:%d%s", backendPort, path), nil},
		{"through the APIService", api + path, []string{"-H", "Authorization: Bearer " + token}},
	}
	rates := make([][]float64, len(targets))
	conns2 := make([][]int64, len(targets))
	for r := range *runs {
		for i, tg := range targets {
			before := accepted.Load()
			res, err := harness.H2load{Bin: h2load, Conns: *conns, Streams: *streams, Requests: *requests,
				LogFile: filepath.Join(dir, fmt.Sprintf("h2load-%d-%d.log", i, r)), Args: append(slices.Clone(tg.args), tg.url)}.Run(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.name, err)
			}
			rates[i] = append(rates[i], res.Rate)
			conns2[i] = append(conns2[i], accepted.Load()-before)
			fmt.Printf("run %d %-24s %9.0f req/s  backend connections opened: %d\n", r+1, tg.name, res.Rate, accepted.Load()-before)
		}
	}
	direct, through := median(rates[0]), median(rates[1])
	fmt.Printf("\nmedian direct %.0f req/s, through the APIService %.0f req/s: ratio %.2f (goal >= 0.80: %s)\n",
		direct, through, through/direct, harness.Verdict(through/direct >= 0.8))
	fmt.Printf("backend connections opened by the apiserver during its runs: %v (the probe's and the first run's share one)\n", conns2[1])
	return nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// startBackend serves HTTP/2 over TLS on a loopback port with a
// self-signed certificate, counting accepted connections.
func startBackend() (net.Listener, *atomic.Int64, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	var accepted atomic.Int64
	list := []byte(`{"kind":"ThingList","apiVersion":"bench.example.com/v1","metadata":{"resourceVersion":"1"},"items":[{"kind":"Thing","apiVersion":"bench.example.com/v1","metadata":{"name":"one","namespace":"default"}}]}`)
	discovery, _ := json.Marshal(map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "bench.example.com/v1",
		"resources": []map[string]any{{"name": "things", "singularName": "thing", "namespaced": true, "kind": "Thing", "verbs": []string{"get", "list"}}}})
	mux := http.NewServeMux()
	mux.HandleFunc("/apis/bench.example.com/v1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(discovery) //nolint:errcheck // benchmark
	})
	mux.HandleFunc("/apis/bench.example.com/v1/things", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(list) //nolint:errcheck // benchmark
	})
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}},
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				accepted.Add(1)
			}
		}}
	go srv.ServeTLS(ln, "", "") //nolint:errcheck // ends with the listener
	return ln, &accepted, nil
}

// register creates the ExternalName Service and the APIService, and waits
// until the APIService is available.
func register(ctx context.Context, api string, port int) error {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a benchmark's own server
	do := func(method, path string, body any) ([]byte, int, error) {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, api+path, r)
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			return nil, 0, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		return out, resp.StatusCode, err
	}
	for _, obj := range []struct {
		path string
		body any
	}{
		{"/api/v1/namespaces", map[string]any{"metadata": map[string]any{"name": "bench"}}},
		{"/api/v1/namespaces/bench/services", map[string]any{"metadata": map[string]any{"name": "api"},
			"spec": map[string]any{"type": "ExternalName", "externalName": "localhost", "ports": []any{map[string]any{"port": port}}}}},
		{"/apis/apiregistration.k8s.io/v1/apiservices", map[string]any{"metadata": map[string]any{"name": "v1.bench.example.com"},
			"spec": map[string]any{"group": "bench.example.com", "version": "v1", "insecureSkipTLSVerify": true, "groupPriorityMinimum": 1000, "versionPriority": 15,
				"service": map[string]any{"namespace": "bench", "name": "api", "port": port}}}},
	} {
		if out, code, err := do(http.MethodPost, obj.path, obj.body); err != nil || code != http.StatusCreated {
			return fmt.Errorf("POST %s: %d %v %s", obj.path, code, err, out)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, code, err := do(http.MethodGet, "/apis/bench.example.com/v1/things", nil)
		if err == nil && code == http.StatusOK && bytes.Contains(out, []byte("ThingList")) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the APIService did not become available in 30s")
}

// selfSigned returns a throw-away ECDSA P-256 certificate for 127.0.0.1
// and localhost; the APIService skips verifying it.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench-backend"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
