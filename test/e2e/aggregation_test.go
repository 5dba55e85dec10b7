package e2e

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/apiserver/apiserver/pkg/certs"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

// sampleAPIServerVersion is the k8s.io/sample-apiserver the aggregation
// test registers: the release of the k8s.io libraries in go.mod.
const sampleAPIServerVersion = "v0.34.2"

// sampleAPIServer builds k8s.io/sample-apiserver from the Go module proxy
// once into the user's cache directory (the compilation itself stays in
// the Go build cache), skipping outside CI when Go cannot fetch it.
func sampleAPIServer(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "apiserver-e2e", "sample-apiserver-"+sampleAPIServerVersion)
	bin := filepath.Join(dir, "sample-apiserver")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "install", "k8s.io/sample-apiserver@"+sampleAPIServerVersion)
	// Outside this module, so that its go.mod plays no part.
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=", "GOWORK=off")
	began := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("building k8s.io/sample-apiserver@%s: %v\n%s", sampleAPIServerVersion, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Logf("built k8s.io/sample-apiserver@%s in %s", sampleAPIServerVersion, time.Since(began).Round(time.Second))
	return bin
}

// sampleProcess is a running sample-apiserver, restartable on its port.
type sampleProcess struct {
	t    *testing.T
	args []string
	bin  string
	log  *syncBuffer
	cmd  *exec.Cmd
	done chan struct{}
}

func (s *sampleProcess) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, s.args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func() {
		s.cmd.Wait() //nolint:errcheck // a stop kills it
		close(s.done)
	}()
}

func (s *sampleProcess) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill() //nolint:errcheck // it may have exited
		<-s.done
	}
}

// TestAggregation registers k8s.io/sample-apiserver (wardle.example.com),
// an extension API server no one here wrote, behind an ExternalName
// Service and an APIService, as kube-apiserver's aggregation layer
// serves it: the APIService becomes Available; kubectl lists, creates,
// explains and lists the resources of flunders through this server; a
// watch through it sees the backend's events; the backend authorizes the
// caller whose identity this server passes in request headers; the
// APIService becomes unavailable when the backend stops and available
// again when it returns.
func TestAggregation(t *testing.T) {
	sample := sampleAPIServer(t)
	k := kubectl{t: t, bin: requireTool(t, "kubectl", "kubectl"), home: t.TempDir()}
	etcd := etcdtest.StartCluster(t, 1)
	dir := t.TempDir()
	proxyCA, err := certs.LoadOrCreateCA(certs.PairIn(dir, "front-proxy-ca"), "front-proxy-ca")
	if err != nil {
		t.Fatal(err)
	}
	client := certs.PairIn(dir, "front-proxy-client")
	if _, err := proxyCA.EnsureLeaf(client, certs.Leaf{CommonName: "front-proxy-client", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Fatal(err)
	}
	p := startBinary(t, "", nil,
		"--requestheader-client-ca-file", certs.PairIn(dir, "front-proxy-ca").CertFile,
		"--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User",
		"--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--proxy-client-cert-file", client.CertFile, "--proxy-client-key-file", client.KeyFile)
	admin := filepath.Join(p.DataDir, "admin.kubeconfig")
	k.kubeconfig = admin
	cs := clientset(t, p)
	ctx := context.Background()

	// The ConfigMap the backend reads to trust this server's requests.
	waitUntil(t, 10*time.Second, "the extension-apiserver-authentication ConfigMap", func() bool {
		cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		return err == nil && cm.Data["requestheader-allowed-names"] == `["front-proxy-client"]` && cm.Data["requestheader-username-headers"] == `["X-Remote-User"]` &&
			strings.Contains(cm.Data["requestheader-client-ca-file"], "BEGIN CERTIFICATE") && strings.Contains(cm.Data["client-ca-file"], "BEGIN CERTIFICATE")
	})

	port := freePort(t)
	backend := &sampleProcess{t: t, bin: sample, log: &syncBuffer{}, args: []string{
		"--secure-port", fmt.Sprint(port), "--bind-address", "127.0.0.1", "--cert-dir", t.TempDir(),
		"--etcd-servers", strings.Join(etcd.Config.Servers, ","),
		"--kubeconfig", admin, "--authentication-kubeconfig", admin, "--authorization-kubeconfig", admin,
		// Webhooks and admission policies are issue 15's; the namespace
		// check needs an informer this test does not need either.
		"--disable-admission-plugins", "NamespaceLifecycle,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,MutatingAdmissionPolicy",
	}}
	backend.start()
	defer backend.stop()
	defer func() {
		if t.Failed() {
			t.Logf("sample-apiserver log:\n%s", backend.log.String())
		}
	}()

	k.stdin(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: wardle}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: wardle}
spec:
  type: ExternalName
  externalName: localhost
  ports: [{port: %d}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1alpha1.wardle.example.com}
spec:
  group: wardle.example.com
  version: v1alpha1
  service: {name: api, namespace: wardle, port: %d}
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 1000
  versionPriority: 15
`, port, port), "apply", "-f", "-")
	available := func(want string) func() bool {
		return func() bool {
			out, _ := k.try("get", "apiservice", "v1alpha1.wardle.example.com", "-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}/{.status.conditions[?(@.type=="Available")].reason}`)
			return out == want
		}
	}
	waitUntil(t, 60*time.Second, "the APIService to become available", available("True/Passed"))
	if out := strings.Join(strings.Fields(k.run("get", "apiservices")), " "); !strings.Contains(out, "v1alpha1.wardle.example.com wardle/api True") || !strings.Contains(out, "v1.apps Local True") {
		t.Errorf("kubectl get apiservices:\n%s", out)
	}

	// A watch through this server, opened before the create.
	cfg, err := clientcmd.BuildConfigFromFlags("", admin)
	if err != nil {
		t.Fatal(err)
	}
	dyn := dynamic.NewForConfigOrDie(cfg)
	flunders := dyn.Resource(schema.GroupVersionResource{Group: "wardle.example.com", Version: "v1alpha1", Resource: "flunders"}).Namespace("default")
	w, err := flunders.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watching flunders through this server: %v", err)
	}
	defer w.Stop()

	k.stdin("apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata: {name: f1, namespace: default}\nspec: {reference: x, referenceType: Flunder}\n", "apply", "-f", "-")
	select {
	case ev := <-w.ResultChan():
		if u, ok := ev.Object.(*unstructured.Unstructured); ev.Type != watch.Added || !ok || u.GetName() != "f1" {
			t.Errorf("watch event %s %v", ev.Type, ev.Object)
		}
	case <-time.After(10 * time.Second):
		t.Error("the watch through this server saw no event for the new flunder")
	}
	if out := k.run("get", "flunders"); !strings.Contains(out, "f1") {
		t.Errorf("kubectl get flunders:\n%s", out)
	}
	if out := k.run("api-resources", "--api-group", "wardle.example.com"); !strings.Contains(out, "flunders") || !strings.Contains(out, "wardle.example.com/v1alpha1") {
		t.Errorf("kubectl api-resources:\n%s", out)
	}
	if out := k.run("explain", "flunder.spec"); !strings.Contains(out, "KIND:       Flunder") || !strings.Contains(out, "reference") {
		t.Errorf("kubectl explain flunder.spec:\n%s", out)
	}

	// The backend asks this server whether the caller it is told of may
	// do what was asked: alice may list flunders here, so she may there.
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "flunder-reader"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{"wardle.example.com"}, Resources: []string{"flunders"}, Verbs: []string{"get", "list", "watch"},
	}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "alice-reads-flunders"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "flunder-reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "alice to list flunders through the backend", func() bool {
		out, err := k.try("get", "flunders", "--as", "alice")
		return err == nil && strings.Contains(out, "f1")
	})
	if out, err := k.try("get", "fischers", "--as", "alice"); err == nil || !strings.Contains(out, `User "alice" cannot list resource "fischers"`) {
		t.Errorf("alice listing fischers: %v\n%s", err, out)
	}

	// The backend goes away and comes back.
	backend.stop()
	waitUntil(t, 30*time.Second, "the APIService to become unavailable", available("False/FailedDiscoveryCheck"))
	if out, err := k.try("get", "flunders"); err == nil || !strings.Contains(out, "ServiceUnavailable") {
		t.Errorf("kubectl get flunders with the backend down: %v\n%s", err, out)
	}
	backend.start()
	waitUntil(t, 60*time.Second, "the APIService to become available again", available("True/Passed"))
	if out := k.run("get", "flunders"); !strings.Contains(out, "f1") {
		t.Errorf("kubectl get flunders after the backend returned:\n%s", out)
	}

	// Deleting the APIService takes the group version away.
	k.run("delete", "apiservice", "v1alpha1.wardle.example.com")
	waitUntil(t, 10*time.Second, "the group version to go", func() bool {
		_, err := cs.Discovery().ServerResourcesForGroupVersion("wardle.example.com/v1alpha1")
		return err != nil
	})
}

// TestLocalAPIServices: every group version served here is a local
// APIService with kube-apiserver 1.31's priorities (recorded from it), a
// CustomResourceDefinition's version gets one labelled "true" while it is
// served, and local APIServices are Available with kube's reason.
func TestLocalAPIServices(t *testing.T) {
	p := startBinary(t, "", nil)
	k := kubectl{t: t, bin: requireTool(t, "kubectl", "kubectl"), kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
	const jsonpath = `{range .items[*]}{.metadata.name} {.spec.groupPriorityMinimum} {.spec.versionPriority} {.metadata.labels.kube-aggregator\.kubernetes\.io/automanaged} {.status.conditions[0].reason}{"\n"}{end}`
	// kube-apiserver 1.31's, for the group versions both serve.
	want := []string{
		"v1. 18000 1 onstart Local", "v1.apps 17800 15 onstart Local", "v1.events.k8s.io 17750 15 onstart Local",
		"v1.authentication.k8s.io 17700 15 onstart Local", "v1.authorization.k8s.io 17600 15 onstart Local",
		"v1.autoscaling 17500 15 onstart Local", "v2.autoscaling 17500 30 onstart Local", "v1.batch 17400 15 onstart Local",
		"v1.certificates.k8s.io 17300 15 onstart Local", "v1.networking.k8s.io 17200 15 onstart Local", "v1.policy 17100 15 onstart Local",
		"v1.rbac.authorization.k8s.io 17000 15 onstart Local", "v1.storage.k8s.io 16800 15 onstart Local", "v1.admissionregistration.k8s.io 16700 15 onstart Local",
		"v1.apiextensions.k8s.io 16700 15 onstart Local", "v1.scheduling.k8s.io 16600 15 onstart Local",
		"v1.coordination.k8s.io 16500 15 onstart Local", "v1.node.k8s.io 16300 15 onstart Local",
		"v1.discovery.k8s.io 16200 15 onstart Local", "v1.flowcontrol.apiserver.k8s.io 16100 21 onstart Local",
	}
	waitUntil(t, 20*time.Second, "the local APIServices", func() bool {
		out, _ := k.try("get", "apiservices", "-o", "jsonpath="+jsonpath)
		for _, w := range want {
			if !strings.Contains(out, w+"\n") {
				return false
			}
		}
		return true
	})
	k.stdin(widgetCRD("local.example.com"), "apply", "-f", "-")
	waitUntil(t, 20*time.Second, "the CRD's APIService", func() bool {
		out, _ := k.try("get", "apiservice", "v1.local.example.com", "-o", "jsonpath="+strings.TrimPrefix(strings.TrimSuffix(jsonpath, `{"\n"}{end}`), `{range .items[*]}`))
		return out == "v1.local.example.com 1000 100 true Local"
	})
	k.run("delete", "crd", "widgets.local.example.com")
	waitUntil(t, 20*time.Second, "the CRD's APIService to go", func() bool {
		_, err := k.try("get", "apiservice", "v1.local.example.com")
		return err != nil
	})
}
