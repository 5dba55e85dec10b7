package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// kubectls returns every kubectl on the machine: the one on PATH and the
// versioned ones beside its real binary (kubectl.1.27 ... kubectl.1.33).
func kubectls(t *testing.T) map[string]string {
	t.Helper()
	path := requireTool(t, "kubectl", "kubectl")
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{"kubectl": path}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(real), "kubectl.1.*"))
	for _, m := range matches {
		found[filepath.Base(m)] = m
	}
	return found
}

// kubectl runs one kubectl binary against a server, with its own cache.
type kubectl struct {
	t          *testing.T
	bin        string
	kubeconfig string
	home       string
}

func (k kubectl) cmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, k.bin, append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+k.home, "KUBECACHEDIR="+filepath.Join(k.home, "cache"))
	return cmd
}

// run runs kubectl and fails the test unless it succeeds.
func (k kubectl) run(args ...string) string {
	k.t.Helper()
	out, err := k.try(args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// try runs kubectl and returns its combined output.
func (k kubectl) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := k.cmd(ctx, args...).CombinedOutput()
	return string(out), err
}

// apply pipes a manifest into kubectl apply.
func (k kubectl) stdin(input string, args ...string) string {
	k.t.Helper()
	out, err := k.stdinTry(input, args...)
	if err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// stdinTry runs kubectl with input on its standard input and returns its
// output and error, for a command that is expected to fail.
func (k kubectl) stdinTry(input string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := k.cmd(ctx, args...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func expectContains(t *testing.T, what, out string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(out, p) {
			t.Errorf("%s: output lacks %q:\n%s", what, p, out)
		}
	}
}

// TestKubectl runs the same session with every kubectl on the machine
// against one server, each in a namespace of its own.
func TestKubectl(t *testing.T) {
	eachKubectl(t, startBinary(t, "", nil), func(t *testing.T, k kubectl, name string) {
		kubectlSession(t, k, "e2e-"+name)
	})
}

// eachKubectl runs session as a subtest with every kubectl on the machine
// against p, each with a cache of its own; name is the binary's name made
// fit for a namespace or group (kubectl-1-31).
func eachKubectl(t *testing.T, p *process, session func(t *testing.T, k kubectl, name string)) {
	bins := kubectls(t)
	names := make([]string, 0, len(bins))
	for name := range bins {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			k := kubectl{t: t, bin: bins[name], kubeconfig: filepath.Join(p.DataDir, "admin.kubeconfig"), home: t.TempDir()}
			session(t, k, strings.NewReplacer(".", "-").Replace(name))
		})
	}
}

func kubectlSession(t *testing.T, k kubectl, ns string) {
	expectContains(t, "version", k.run("version"), "Server Version: ", "v1.31.0+apiserver")
	resources := k.run("api-resources")
	expectContains(t, "api-resources", resources, "configmaps", "cm", "secrets", "namespaces", "ns", "events", "ev")

	k.run("create", "namespace", ns)
	expectContains(t, "get ns", k.run("get", "ns", ns), "NAME", "STATUS", "AGE", ns, "Active")
	expectContains(t, "get ns default", k.run("get", "ns"), "default", "kube-system", "kube-public")

	// create, get in every output
	k.run("-n", ns, "create", "configmap", "cm1", "--from-literal=a=1")
	expectContains(t, "get cm", k.run("-n", ns, "get", "cm", "cm1"), "NAME", "DATA", "AGE", "cm1", "1")
	expectContains(t, "-o yaml", k.run("-n", ns, "get", "cm", "cm1", "-o", "yaml"), "apiVersion: v1", "kind: ConfigMap", "a: \"1\"", "resourceVersion:", "uid:")
	expectContains(t, "-o json", k.run("-n", ns, "get", "cm", "cm1", "-o", "json"), `"kind": "ConfigMap"`, `"a": "1"`)
	if got := k.run("-n", ns, "get", "cm", "cm1", "-o", "jsonpath={.data.a}"); got != "1" {
		t.Errorf("jsonpath = %q, want 1", got)
	}
	expectContains(t, "describe", k.run("-n", ns, "describe", "cm", "cm1"), "Name:", "cm1", "Namespace:", ns, "Data")

	// patch in the three types, label, annotate
	k.run("-n", ns, "patch", "cm", "cm1", "--type=merge", "-p", `{"data":{"b":"2"}}`)
	k.run("-n", ns, "patch", "cm", "cm1", "--type=json", "-p", `[{"op":"add","path":"/data/c","value":"3"}]`)
	k.run("-n", ns, "patch", "cm", "cm1", "--type=strategic", "-p", `{"data":{"d":"4"}}`)
	k.run("-n", ns, "label", "cm", "cm1", "tier=web")
	k.run("-n", ns, "annotate", "cm", "cm1", "note=hello")
	got := k.run("-n", ns, "get", "cm", "cm1", "-o", "jsonpath={.data.b}{.data.c}{.data.d}{.metadata.labels.tier}{.metadata.annotations.note}")
	if got != "234webhello" {
		t.Errorf("after patches, label and annotate: %q, want 234webhello", got)
	}
	expectContains(t, "label selector", k.run("-n", ns, "get", "cm", "-l", "tier=web"), "cm1")

	// replace: a stale resourceVersion is refused, the current one works
	current := k.run("-n", ns, "get", "cm", "cm1", "-o", "json")
	k.run("-n", ns, "label", "cm", "cm1", "bump=1")
	stale := strings.Replace(current, `"a": "1"`, `"a": "stale"`, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := k.cmd(ctx, "-n", ns, "replace", "-f", "-")
	cmd.Stdin = strings.NewReader(stale)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "the object has been modified") {
		t.Errorf("replace with a stale resourceVersion: err=%v, output %s; want a conflict", err, out)
	}
	fresh := k.run("-n", ns, "get", "cm", "cm1", "-o", "json")
	k.stdin(strings.Replace(fresh, `"a": "1"`, `"a": "replaced"`, 1), "-n", ns, "replace", "-f", "-")
	if got := k.run("-n", ns, "get", "cm", "cm1", "-o", "jsonpath={.data.a}"); got != "replaced" {
		t.Errorf("after replace a = %q", got)
	}

	// apply, then apply a changed manifest: updated in place
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  x: one\n  y: two\n"
	k.stdin(manifest, "-n", ns, "apply", "-f", "-")
	uid := k.run("-n", ns, "get", "cm", "applied", "-o", "jsonpath={.metadata.uid}")
	k.stdin(strings.Replace(strings.Replace(manifest, "x: one", "x: uno", 1), "  y: two\n", "", 1), "-n", ns, "apply", "-f", "-")
	got = k.run("-n", ns, "get", "cm", "applied", "-o", "jsonpath={.metadata.uid} {.data.x} {.data.y}")
	if want := uid + " uno "; got != want {
		t.Errorf("after the second apply: %q, want %q (same uid, x changed, y removed)", got, want)
	}

	// secrets
	k.run("-n", ns, "create", "secret", "generic", "s1", "--from-literal=password=hunter2")
	expectContains(t, "get secret", k.run("-n", ns, "get", "secret", "s1"), "NAME", "TYPE", "DATA", "s1", "Opaque")
	if got := k.run("-n", ns, "get", "secret", "s1", "-o", "jsonpath={.data.password}"); got != "aHVudGVyMg==" {
		t.Errorf("secret data = %q, want base64 of hunter2", got)
	}

	// get -w sees a new object
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	var watchOut syncBuffer
	w := k.cmd(watchCtx, "-n", ns, "get", "cm", "-w")
	w.Stdout, w.Stderr = &watchOut, &watchOut
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "get -w lists the existing configmaps", func() bool { return strings.Contains(watchOut.String(), "cm1") })
	k.run("-n", ns, "create", "configmap", "watched", "--from-literal=k=v")
	waitUntil(t, 20*time.Second, "get -w shows the new configmap", func() bool { return strings.Contains(watchOut.String(), "watched") })
	stopWatch()
	w.Wait()

	// delete, then the namespace with everything in it
	expectContains(t, "delete", k.run("-n", ns, "delete", "cm", "cm1"), `configmap "cm1" deleted`)
	if out, err := k.try("-n", ns, "get", "cm", "cm1"); err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("get after delete: %v %s", err, out)
	}
	k.run("delete", "namespace", ns, "--wait=false")
	waitUntil(t, 60*time.Second, "namespace deleted with its content", func() bool {
		out, err := k.try("get", "ns", ns)
		return err != nil && strings.Contains(out, "NotFound")
	})
	if out := k.run("get", "cm", "-A", "-o", "name", "--field-selector", "metadata.namespace="+ns); strings.TrimSpace(out) != "" {
		t.Errorf("configmaps left after the namespace was deleted: %s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
