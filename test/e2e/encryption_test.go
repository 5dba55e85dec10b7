package e2e

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func encryptionConfig(t *testing.T, keys ...string) string {
	t.Helper()
	var list []string
	for _, k := range keys {
		secret := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte(k[:1]), 32))
		list = append(list, "{name: "+k+", secret: "+secret+"}")
	}
	doc := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n" +
		"  - aesgcm: {keys: [" + strings.Join(list, ", ") + "]}\n  - identity: {}\n"
	path := filepath.Join(t.TempDir(), "encryption.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// onDisk reports whether any file under dir holds needle.
func onDisk(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = bytes.Contains(data, needle)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestEncryptionAtRest: with --encryption-provider-config, a Secret's
// content is absent from etcd's files (WAL and database) while a
// ConfigMap's is there; after a key rotation the old Secret reads, a
// rewrite re-encrypts it, and the old key can then go (issue 10).
func TestEncryptionAtRest(t *testing.T) {
	dir := t.TempDir()
	p := startBinary(t, dir, nil, "--encryption-provider-config", encryptionConfig(t, "first"))
	c := adminHTTP(t, p)
	const secretCanary, cmCanary = "canary-secret-3b1f9e", "canary-configmap-77a2c4"
	expect := func(p *process, method, path, body string, code int) []byte {
		t.Helper()
		resp, data := do(t, c, method, p.URL+path, "application/json", []byte(body))
		if resp.StatusCode != code {
			t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, data, code)
		}
		return data
	}
	expect(p, "POST", "/api/v1/namespaces/default/secrets", `{"metadata":{"name":"canary"},"stringData":{"k":"`+secretCanary+`"}}`, 201)
	expect(p, "POST", "/api/v1/namespaces/default/configmaps", `{"metadata":{"name":"canary"},"data":{"k":"`+cmCanary+`"}}`, 201)
	etcdDir := filepath.Join(dir, "etcd")
	if !onDisk(t, etcdDir, []byte(cmCanary)) {
		t.Fatal("the ConfigMap's value is not found in etcd's files: the scan would prove nothing")
	}
	for _, form := range []string{secretCanary, base64.StdEncoding.EncodeToString([]byte(secretCanary))} {
		if onDisk(t, etcdDir, []byte(form)) {
			t.Errorf("the Secret's value %q is on disk in clear", form)
		}
	}
	if !onDisk(t, etcdDir, []byte("k8s:enc:aesgcm:v1:first:")) {
		t.Error("no value carries kube's k8s:enc:aesgcm:v1:first: prefix")
	}
	restart := func(keys ...string) *process {
		t.Helper()
		p.signal(t, syscall.SIGTERM)
		if code := p.wait(t, 30*time.Second); code != 0 {
			t.Fatalf("exit code %d", code)
		}
		return startBinary(t, dir, nil, "--encryption-provider-config", encryptionConfig(t, keys...))
	}
	// Rotation: a new key writes, the old one still reads.
	p = restart("second", "first")
	data := expect(p, "GET", "/api/v1/namespaces/default/secrets/canary", "", 200)
	if !strings.Contains(string(data), base64.StdEncoding.EncodeToString([]byte(secretCanary))) {
		t.Fatalf("the Secret after rotation: %s", data)
	}
	// A rewrite that changes nothing re-encrypts with the new key, as
	// kubectl get secrets -o json | kubectl replace -f - does.
	expect(p, "PUT", "/api/v1/namespaces/default/secrets/canary", string(data), 200)
	p = restart("second")
	data = expect(p, "GET", "/api/v1/namespaces/default/secrets/canary", "", 200)
	if !strings.Contains(string(data), base64.StdEncoding.EncodeToString([]byte(secretCanary))) {
		t.Errorf("the Secret without the old key: %s", data)
	}
}
