package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// hostAddress is a non-loopback IPv4 address of this machine: the server
// refuses to proxy to loopback addresses, as kube-apiserver does.
func hostAddress(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this machine has no non-loopback IPv4 address to proxy to")
	}
	t.Skip("this machine has no non-loopback IPv4 address to proxy to")
	return ""
}

// proxyBackend serves, on addr, what a Pod behind a Service would: the
// request it saw, a stream of two events, a redirect, and a WebSocket
// echo.
func proxyBackend(t *testing.T, addr string, useTLS bool) (*httptest.Server, int32) {
	t.Helper()
	upgrader := websocket.Upgrader{Subprotocols: []string{"v5.channel.k8s.io"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/echo/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s auth=%q", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "first")
		w.(http.Flusher).Flush()
		time.Sleep(300 * time.Millisecond)
		fmt.Fprintln(w, "second")
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/echo/here", http.StatusFound)
	})
	mux.HandleFunc("/spdy", func(w http.ResponseWriter, r *http.Request) {
		streams := make(chan httpstream.Stream, 1)
		conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(s httpstream.Stream, _ <-chan struct{}) error {
			streams <- s
			return nil
		})
		if conn == nil {
			return
		}
		defer conn.Close()
		select {
		case st := <-streams:
			io.Copy(st, st) //nolint:errcheck // the echo ends with the stream
			st.Close()
		case <-conn.CloseChan():
		}
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
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
			c.WriteMessage(kind, append([]byte("echo:"), msg...)) //nolint:errcheck // the next read ends the loop
		}
	})
	l, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = l
	if useTLS {
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, int32(l.Addr().(*net.TCPAddr).Port)
}

// TestProxySubresources: services/proxy, pods/proxy and nodes/proxy
// reach a backend as through kube-apiserver: plain requests with the
// caller's token left behind, a stream event by event, a redirect kept
// under the proxy path, a WebSocket; kube's refusals and 503s; and
// `kubectl proxy` in front.
func TestProxySubresources(t *testing.T) {
	ip := hostAddress(t)
	p := startBinary(t, "", nil)
	cs := clientset(t, p)
	ctx := context.Background()
	_, port := proxyBackend(t, ip, false)
	_, kubeletPort := proxyBackend(t, ip, true)
	ns := "proxy"
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the default ServiceAccount", func() bool {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	pod, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{AutomountServiceAccountToken: new(bool), Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Status.PodIP, pod.Status.PodIPs = ip, []corev1.PodIP{{IP: ip}}
	if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
		{Name: "http", Port: 80, TargetPort: intstr.FromInt32(port)},
	}}}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eps := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Subsets: []corev1.EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: ip, TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "web"}}},
		Ports:     []corev1.EndpointPort{{Name: "http", Port: port}},
	}}}
	if _, err := cs.CoreV1().Endpoints(ns).Create(ctx, eps, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}
	if node, err = cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = kubeletPort
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(p.DataDir, "admin.kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.BearerToken = "caller-token-for-this-server-only" // a client certificate authenticates; the token must not travel
	httpClient, err := rest.HTTPClientFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := httpClient.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{
		"/api/v1/namespaces/proxy/services/web:80/proxy/echo/a?x=1",
		"/api/v1/namespaces/proxy/services/web:http/proxy/echo/a?x=1",
		"/api/v1/namespaces/proxy/services/http:web:http/proxy/echo/a?x=1",
		"/api/v1/namespaces/proxy/pods/web:" + strconv.Itoa(int(port)) + "/proxy/echo/a?x=1",
		"/api/v1/nodes/n1/proxy/echo/a?x=1",
		"/api/v1/nodes/https:n1:" + strconv.Itoa(int(kubeletPort)) + "/proxy/echo/a?x=1",
	} {
		if code, body := get(path); code != 200 || body != `GET /echo/a?x=1 auth=""` {
			t.Errorf("GET %s: %d %q", path, code, body)
		}
	}

	// Through client-go's typed proxy helpers, as controllers use it.
	body, err := cs.CoreV1().Services(ns).ProxyGet("", "web", "http", "echo/typed", map[string]string{"q": "v"}).DoRaw(ctx)
	if err != nil || string(body) != `GET /echo/typed?q=v auth=""` {
		t.Errorf("ProxyGet: %v %q", err, body)
	}

	// A stream arrives as the backend writes it.
	resp, err := httpClient.Get(p.URL + "/api/v1/namespaces/proxy/services/web:80/proxy/events")
	if err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewReader(resp.Body)
	began := time.Now()
	if first, err := lines.ReadString('\n'); err != nil || first != "first\n" || time.Since(began) > 250*time.Millisecond {
		t.Errorf("first event: %q %v after %s, want it before the second is written", first, err, time.Since(began))
	}
	remaining, _ := io.ReadAll(lines)
	resp.Body.Close()
	if string(remaining) != "second\n" {
		t.Errorf("second event: %q", remaining)
	}

	// A redirect stays under the proxy path.
	noFollow := *httpClient
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noFollow.Get(p.URL + "/api/v1/namespaces/proxy/services/web:80/proxy/moved")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != "/api/v1/namespaces/proxy/services/web:80/proxy/echo/here" {
		t.Errorf("redirect: %d %q", resp.StatusCode, loc)
	}

	// A WebSocket with kube's v5 channel protocol.
	tlsConfig, err := rest.TLSConfigFor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dialer := websocket.Dialer{TLSClientConfig: tlsConfig, Subprotocols: []string{"v5.channel.k8s.io"}}
	c, wsResp, err := dialer.Dial("wss"+strings.TrimPrefix(p.URL, "https")+"/api/v1/namespaces/proxy/services/web:80/proxy/ws", nil)
	if err != nil {
		t.Fatalf("WebSocket through services/proxy: %v", err)
	}
	if proto := wsResp.Header.Get("Sec-WebSocket-Protocol"); proto != "v5.channel.k8s.io" {
		t.Errorf("subprotocol %q", proto)
	}
	if err := c.WriteMessage(websocket.BinaryMessage, []byte("\x00hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := c.ReadMessage(); err != nil || string(msg) != "echo:\x00hi" {
		t.Errorf("WebSocket echo: %q %v", msg, err)
	}
	c.Close()

	// SPDY (what kubectl exec and port-forward speak), through the proxy.
	spdyRT, err := spdy.NewRoundTripper(tlsConfig)
	if err != nil {
		t.Fatal(err)
	}
	spdyReq, _ := http.NewRequest(http.MethodPost, p.URL+"/api/v1/namespaces/proxy/services/web:80/proxy/spdy", nil)
	spdyResp, err := spdyRT.RoundTrip(spdyReq)
	if err != nil {
		t.Fatal(err)
	}
	spdyConn, err := spdyRT.NewConnection(spdyResp)
	if err != nil {
		t.Fatalf("SPDY through services/proxy: %v (status %d)", err, spdyResp.StatusCode)
	}
	stream, err := spdyConn.CreateStream(http.Header{"Streamtype": {"data"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	echo := make([]byte, 4)
	if _, err := io.ReadFull(stream, echo); err != nil || string(echo) != "ping" {
		t.Errorf("SPDY echo %q %v", echo, err)
	}
	spdyConn.Close()

	// Refusals and failures, as kube-apiserver answers them.
	if _, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "empty"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Endpoints(ns).Create(ctx, &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	loopNode := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "loop"}, Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}}}
	if _, err := cs.CoreV1().Nodes().Create(ctx, loopNode, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path     string
		code     int
		contains string
	}{
		{"/api/v1/namespaces/proxy/services/empty:80/proxy/", 503, `no endpoints available for service \"empty\"`},
		{"/api/v1/namespaces/proxy/services/web:81/proxy/", 503, `no service port 81 found for service \"web\"`},
		{"/api/v1/namespaces/proxy/services/ftp:web:80/proxy/", 400, `invalid service request \"ftp:web:80\"`},
		{"/api/v1/namespaces/proxy/services/missing:80/proxy/", 404, `services \"missing\" not found`},
		{"/api/v1/namespaces/proxy/pods/web:1/proxy/", 503, "error trying to reach service"},
		{"/api/v1/nodes/loop/proxy/", 400, "address not allowed"},
	} {
		if code, body := get(tc.path); code != tc.code || !strings.Contains(body, tc.contains) || !strings.Contains(body, `"kind":"Status"`) {
			t.Errorf("GET %s: %d %s, want %d with %q", tc.path, code, body, tc.code, tc.contains)
		}
	}

	// kubectl proxy in front of services/proxy.
	k := kubectl{t: t, bin: requireTool(t, "kubectl", "kubectl"), kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
	pctx, cancel := context.WithCancel(ctx)
	cmd := k.cmd(pctx, "proxy", "--port=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait() //nolint:errcheck // killed
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Starting to serve on ") {
		t.Fatalf("kubectl proxy: %q %v", line, err)
	}
	local := "http://" + strings.TrimSpace(strings.TrimPrefix(line, "Starting to serve on "))
	resp, err = http.Get(local + "/api/v1/namespaces/proxy/services/web:80/proxy/echo/via-kubectl")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `GET /echo/via-kubectl auth=""` {
		t.Errorf("through kubectl proxy: %d %q", resp.StatusCode, body)
	}
}
