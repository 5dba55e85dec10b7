package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// debianPython is the interpreter Debian's python3-kubernetes installs
// for; a python3 earlier on PATH (pyenv) may lack the module.
const debianPython = "/usr/bin/python3"

// requirePythonKubernetes skips (fails in CI) unless Debian's Python
// client is installed.
func requirePythonKubernetes(t *testing.T) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import kubernetes").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s cannot import kubernetes; CI must install python3-kubernetes: %v", debianPython, err)
		}
		t.Skipf("%s cannot import kubernetes: install python3-kubernetes to run this test", debianPython)
	}
}

// pythonWatch lists an empty namespace (its "items": [] must parse), then
// watches it, printing each event's type and name as it arrives.
const pythonWatch = `
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1])
v1 = client.CoreV1Api()
own = "metadata.name!=kube-root-ca.crt"
empty = v1.list_namespaced_config_map(sys.argv[2], field_selector=own)
print("LISTED", len(empty.items), flush=True)
w = watch.Watch()
for ev in w.stream(v1.list_namespaced_config_map, sys.argv[2], field_selector=own, timeout_seconds=30):
    print(ev["type"], ev["object"].metadata.name, flush=True)
    if ev["type"] == "DELETED":
        w.stop()
`

// TestPythonClientWatch: Debian's Python client lists an empty namespace
// and sees ADDED, MODIFIED and DELETED through its watch (which sends
// watch=True).
func TestPythonClientWatch(t *testing.T) {
	requirePythonKubernetes(t)
	p := startBinary(t, "", nil)
	cs := clientset(t, p)
	ctx := t.Context()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "python"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "watch.py")
	if err := os.WriteFile(script, []byte(pythonWatch), 0o600); err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(runCtx, debianPython, script, filepath.Join(p.DataDir, "admin.kubeconfig"), "python")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the Python client ended early: %v\n%s", cmd.Wait(), stderr.String())
			}
			return l
		case <-time.After(30 * time.Second):
			t.Fatalf("no line from the Python client within 30s\n%s", stderr.String())
		}
		return ""
	}
	if l := next(); l != "LISTED 0" {
		t.Fatalf("empty list: %q", l)
	}
	cms := cs.CoreV1().ConfigMaps("python")
	// The watch may start after the create: its initial events replay it.
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "py"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if l := next(); l != "ADDED py" {
		t.Fatalf("first event: %q", l)
	}
	if _, err := cms.Update(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "py"}, Data: map[string]string{"k": "v"}}, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if l := next(); l != "MODIFIED py" {
		t.Fatalf("second event: %q", l)
	}
	if err := cms.Delete(ctx, "py", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if l := next(); l != "DELETED py" {
		t.Fatalf("third event: %q", l)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the Python client: %v\n%s", err, stderr.String())
	}
}
