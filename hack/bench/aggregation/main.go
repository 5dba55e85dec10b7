// Command aggregation measures requests through an APIService against
// the same requests sent to its backend directly (issue 14's figure: at
// least 0.8 of the direct rate, one backend connection reused).
//
// Two backends: "inprocess" (default) is an HTTP/2 TLS server in this
// process serving a small list at /apis/bench.example.com/v1/things and
// counting the connections it accepts, which shows the proxy's own cost;
// "sample" is k8s.io/sample-apiserver (the e2e test builds it into the
// user cache directory) on Debian's etcd, listing one flunder, an
// aggregated API server as users run them, which authenticates the direct
// client's token and authorizes it through this server (cached).
// The apiserver runs with an embedded etcd, a token file and a front
// proxy certificate; an ExternalName Service "localhost" and an
// APIService register the backend. h2load then alternates between the
// backend and the apiserver, the same -c/-m/-n and token each time.
//
//	go run ./hack/bench/aggregation -runs 3 -requests 100000
//	go run ./hack/bench/aggregation -backend sample -runs 3 -requests 20000
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
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
	"strconv"
	"sync/atomic"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
	"github.com/apiserver/apiserver/pkg/certs"
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
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the apiserver, taken during the first run through the APIService, to this file")
	proxyCAKey := flag.String("front-proxy-ca", "rsa", "key of the front proxy CA: rsa (RSA-2048, as kubeadm creates it) or ecdsa (P-256, as this repository's certs package). A backend verifies the proxy's client certificate on every request: 33 µs against an RSA CA, 66 µs against an ECDSA one on this machine")
	backendProfile := flag.String("backend-cpuprofile", "", "with -backend sample, write CPU profiles of the sample-apiserver taken during the first run direct and through the APIService to FILE.direct and FILE.through")
	backendKind := flag.String("backend", "inprocess", "inprocess or sample (k8s.io/sample-apiserver)")
	samplePath := flag.String("sample-apiserver", defaultSample(), "the sample-apiserver executable, for -backend sample")
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

	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+",bench,bench,\"system:masters\"\n"), 0o600); err != nil {
		return err
	}
	var proxyCA *certs.CA
	switch *proxyCAKey {
	case "ecdsa":
		proxyCA, err = certs.LoadOrCreateCA(certs.PairIn(dir, "front-proxy-ca"), "front-proxy-ca")
	case "rsa":
		proxyCA, err = createRSACA(certs.PairIn(dir, "front-proxy-ca"), "front-proxy-ca")
	default:
		err = fmt.Errorf("-front-proxy-ca %q: rsa or ecdsa", *proxyCAKey)
	}
	if err != nil {
		return err
	}
	proxyClient := certs.PairIn(dir, "front-proxy-client")
	if _, err := proxyCA.EnsureLeaf(proxyClient, certs.Leaf{CommonName: "front-proxy-client", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return err
	}
	p, _, err := harness.StartAPIServer(ctx, harness.APIServer{
		Bin: bin, DataDir: filepath.Join(dir, "data"), LogFile: filepath.Join(dir, "apiserver.log"),
		Args: []string{"--token-auth-file", tokens,
			"--requestheader-client-ca-file", certs.PairIn(dir, "front-proxy-ca").CertFile, "--requestheader-allowed-names", "front-proxy-client",
			"--requestheader-username-headers", "X-Remote-User", "--requestheader-group-headers", "X-Remote-Group",
			"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
			"--proxy-client-cert-file", proxyClient.CertFile, "--proxy-client-key-file", proxyClient.KeyFile},
		Poll: 5 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	defer p.Stop()
	api := "https://" + p.Addr()

	var b backendUnderTest
	switch *backendKind {
	case "inprocess":
		b, err = startInProcess()
	case "sample":
		b, err = startSample(ctx, *samplePath, dir, api)
	default:
		err = fmt.Errorf("-backend %q: inprocess or sample", *backendKind)
	}
	if err != nil {
		return err
	}
	defer b.stop()
	if err := register(ctx, api, b); err != nil {
		return err
	}

	harness.PrintMachine(os.Stdout, bin, "backend: "+b.describe)
	fmt.Printf("h2load -c %d -m %d -n %d, %d runs each, alternating, GET %s\n\n", *conns, *streams, *requests, *runs, b.path)
	auth := []string{"-H", "Authorization: Bearer " + token}
	targets := []struct {
		name, url string
		args      []string
	}{
		{"direct to the backend", fmt.Sprintf("https://127.0.0.1:%d%s", b.port, b.path), auth},
		{"through the APIService", api + b.path, auth},
	}
	accepted := b.accepted
	rates := make([][]float64, len(targets))
	conns2 := make([][]int64, len(targets))
	for r := range *runs {
		for i, tg := range targets {
			before := accepted()
			var profiled chan error
			if *cpuprofile != "" && r == 0 && i == 1 {
				profiled = make(chan error, 1)
				go func() { profiled <- profileCPU(ctx, api, *cpuprofile) }()
			}
			if *backendProfile != "" && *backendKind == "sample" && r == 0 {
				profiled = make(chan error, 1)
				file := *backendProfile + [...]string{".direct", ".through"}[i]
				go func() { profiled <- profileCPU(ctx, fmt.Sprintf("https://127.0.0.1:%d", b.port), file) }()
			}
			backendBefore, err := b.cpu()
			if err != nil {
				return err
			}
			res, err := harness.H2load{Bin: h2load, Conns: *conns, Streams: *streams, Requests: *requests,
				LogFile: filepath.Join(dir, fmt.Sprintf("h2load-%d-%d.log", i, r)), Args: append(slices.Clone(tg.args), tg.url),
				CPU: p.CPUTime}.Run(ctx)
			if err != nil {
				return fmt.Errorf("%s: %w", tg.name, err)
			}
			backendAfter, err := b.cpu()
			if err != nil {
				return err
			}
			perRequest := func(d time.Duration) string {
				return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(*requests))
			}
			cpuNote := fmt.Sprintf("CPU/request: apiserver %s, backend %s", perRequest(res.CPU), perRequest(backendAfter-backendBefore))
			if profiled != nil {
				if err := <-profiled; err != nil {
					return fmt.Errorf("CPU profile: %w", err)
				}
			}
			rates[i] = append(rates[i], res.Rate)
			opened := "not counted"
			if before >= 0 {
				conns2[i] = append(conns2[i], accepted()-before)
				opened = strconv.FormatInt(accepted()-before, 10)
			}
			fmt.Printf("run %d %-24s %9.0f req/s  backend connections opened: %s  %s\n", r+1, tg.name, res.Rate, opened, cpuNote)
		}
	}
	direct, through := median(rates[0]), median(rates[1])
	fmt.Printf("\nmedian direct %.0f req/s, through the APIService %.0f req/s: ratio %.2f (goal >= 0.80: %s)\n",
		direct, through, through/direct, harness.Verdict(through/direct >= 0.8))
	if len(conns2[1]) > 0 {
		fmt.Printf("backend connections opened by the apiserver during its runs: %v (0: the availability probe's connection carried them all)\n", conns2[1])
	}
	return nil
}

// createRSACA writes a self-signed RSA-2048 CA to pair and loads it.
func createRSACA(pair certs.Pair, commonName string) (*certs.CA, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: commonName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(pair.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(pair.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return nil, err
	}
	return certs.LoadCA(pair)
}

// profileCPU writes the apiserver's CPU profile of the next two seconds
// (its /debug/pprof/profile) to path.
func profileCPU(ctx context.Context, api, path string) error {
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a benchmark's own server
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/debug/pprof/profile?seconds=2", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %.200s", resp.Status, data)
	}
	return os.WriteFile(path, data, 0o600)
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// backendUnderTest is a running backend: its port, the group version it
// serves, the path the load asks for, and a count of the connections it
// accepted (-1 when it cannot count them).
type backendUnderTest struct {
	port           int
	group, version string
	path, describe string
	accepted       func() int64
	// cpu reads the backend's CPU time so far (the benchmark process's,
	// for the in-process backend, idle but for it during a run).
	cpu  func() (time.Duration, error)
	stop func()
	// seed, when set, is created through the apiserver once available.
	seed any
}

// startInProcess serves HTTP/2 over TLS on a loopback port with a
// self-signed certificate, counting accepted connections.
func startInProcess() (backendUnderTest, error) {
	certPEM, keyPEM, err := certs.SelfSigned(certs.Leaf{CommonName: "bench-backend", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return backendUnderTest{}, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return backendUnderTest{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return backendUnderTest{}, err
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
	return backendUnderTest{
		port: ln.Addr().(*net.TCPAddr).Port, group: "bench.example.com", version: "v1", path: "/apis/bench.example.com/v1/things",
		describe: "Go net/http + HTTP/2 over TLS in the benchmark process", accepted: accepted.Load, stop: func() { srv.Close() },
		cpu: func() (time.Duration, error) { return harness.CPUTime("self") },
	}, nil
}

// register creates the ExternalName Service and the APIService, and waits
// until the APIService is available.
func register(ctx context.Context, api string, b backendUnderTest) error {
	port := b.port
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
		{"/apis/apiregistration.k8s.io/v1/apiservices", map[string]any{"metadata": map[string]any{"name": b.version + "." + b.group},
			"spec": map[string]any{"group": b.group, "version": b.version, "insecureSkipTLSVerify": true, "groupPriorityMinimum": 1000, "versionPriority": 15,
				"service": map[string]any{"namespace": "bench", "name": "api", "port": port}}}},
	} {
		if out, code, err := do(http.MethodPost, obj.path, obj.body); err != nil || code != http.StatusCreated {
			return fmt.Errorf("POST %s: %d %v %s", obj.path, code, err, out)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, code, err := do(http.MethodGet, b.path, nil); err == nil && code == http.StatusOK {
			if b.seed == nil {
				return nil
			}
			if out, code, err := do(http.MethodPost, b.path, b.seed); err != nil || code != http.StatusCreated {
				return fmt.Errorf("POST %s: %d %v %s", b.path, code, err, out)
			}
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the APIService did not become available in 30s")
}

// defaultSample is where the e2e test builds k8s.io/sample-apiserver.
func defaultSample() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "apiserver-e2e", "sample-apiserver-v0.34.2", "sample-apiserver")
}

// startSample runs sample-apiserver on Debian's etcd, trusting this
// server as its front proxy and its token reviews, with one flunder.
func startSample(ctx context.Context, bin, dir, api string) (backendUnderTest, error) {
	if _, err := os.Stat(bin); err != nil {
		return backendUnderTest{}, fmt.Errorf("-sample-apiserver: %w (go test ./test/e2e -run TestAggregation builds it)", err)
	}
	etcdBin, err := exec.LookPath("etcd")
	if err != nil {
		return backendUnderTest{}, fmt.Errorf("etcd not found: apt-get install etcd-server")
	}
	clientPort, err := harness.FreePort()
	if err != nil {
		return backendUnderTest{}, err
	}
	peerPort, err := harness.FreePort()
	if err != nil {
		return backendUnderTest{}, err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	etcd, err := harness.Start(ctx, harness.Command{Name: "etcd", LogFile: filepath.Join(dir, "etcd.log"), Bin: etcdBin, Args: []string{
		"--data-dir", filepath.Join(dir, "etcd"), "--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort), "--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peerPort),
	}})
	if err != nil {
		return backendUnderTest{}, err
	}
	kubeconfig := filepath.Join(dir, "bench.kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: bench, cluster: {server: %s, insecure-skip-tls-verify: true}}]
users: [{name: bench, user: {token: %s}}]
contexts: [{name: bench, context: {cluster: bench, user: bench}}]
current-context: bench
`, api, token)), 0o600); err != nil {
		etcd.Stop()
		return backendUnderTest{}, err
	}
	port, err := harness.FreePort()
	if err != nil {
		etcd.Stop()
		return backendUnderTest{}, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	sample, err := harness.Start(ctx, harness.Command{Name: "sample-apiserver", Addr: addr, LogFile: filepath.Join(dir, "sample-apiserver.log"), Bin: bin, Args: []string{
		"--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1", "--cert-dir", filepath.Join(dir, "sample-certs"),
		"--etcd-servers", etcdURL, "--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
		"--disable-admission-plugins", "NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
	}})
	if err != nil {
		etcd.Stop()
		return backendUnderTest{}, err
	}
	b := backendUnderTest{port: port, group: "wardle.example.com", version: "v1alpha1", path: "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders",
		describe: "k8s.io/sample-apiserver " + filepath.Base(filepath.Dir(bin)) + " on Debian's etcd", accepted: func() int64 { return -1 },
		cpu:  sample.CPUTime,
		stop: func() { sample.Stop(); etcd.Stop() },
		seed: map[string]any{"apiVersion": "wardle.example.com/v1alpha1", "kind": "Flunder", "metadata": map[string]any{"name": "one"},
			"spec": map[string]any{"reference": "x", "referenceType": "Flunder"}}}
	if _, err := sample.WaitReady(ctx, "/readyz", 50*time.Millisecond); err != nil {
		b.stop()
		return backendUnderTest{}, fmt.Errorf("sample-apiserver: %w (log: %s)", err, filepath.Join(dir, "sample-apiserver.log"))
	}
	return b, nil
}
