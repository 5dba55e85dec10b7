package encryption

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	key16 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 16))
	key32 = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	other = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
)

func config(providers string) string {
	return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets, widgets.example.com]\n  providers:\n" + providers
}

const etcdKey = "/registry/secrets/ns/s"

func TestProvidersRoundTrip(t *testing.T) {
	plain := []byte(`{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}`)
	for _, tc := range []struct {
		name, providers, prefix string
	}{
		{"aesgcm", "  - aesgcm: {keys: [{name: k1, secret: " + key32 + "}]}\n", "k8s:enc:aesgcm:v1:k1:"},
		{"aesgcm 128", "  - aesgcm: {keys: [{name: k1, secret: " + key16 + "}]}\n", "k8s:enc:aesgcm:v1:k1:"},
		{"aescbc", "  - aescbc: {keys: [{name: k2, secret: " + key32 + "}]}\n", "k8s:enc:aescbc:v1:k2:"},
		{"secretbox", "  - secretbox: {keys: [{name: k3, secret: " + key32 + "}]}\n", "k8s:enc:secretbox:v1:k3:"},
		{"identity", "  - identity: {}\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, err := Parse([]byte(config(tc.providers)))
			if err != nil {
				t.Fatal(err)
			}
			tr := ts[schema.GroupResource{Resource: "secrets"}]
			if ts[schema.GroupResource{Group: "example.com", Resource: "widgets"}] == nil {
				t.Error("widgets.example.com has no transformer")
			}
			stored, err := tr.TransformToStorage(context.Background(), plain, etcdKey)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(stored, []byte(tc.prefix)) || (tc.prefix != "" && bytes.Contains(stored, []byte("aHVudGVyMg"))) {
				t.Errorf("stored %q: want prefix %q and no plaintext", stored, tc.prefix)
			}
			got, stale, err := tr.TransformFromStorage(context.Background(), stored, etcdKey)
			if err != nil || stale || !bytes.Equal(got, plain) {
				t.Errorf("read back %q, stale %v, %v", got, stale, err)
			}
		})
	}
}

// The first key writes; every key reads; values of a key that no longer
// writes are stale, so that a rewrite re-encrypts them.
func TestRotation(t *testing.T) {
	old, err := Parse([]byte(config("  - aesgcm: {keys: [{name: old, secret: " + key32 + "}]}\n")))
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := Parse([]byte(config("  - aesgcm: {keys: [{name: new, secret: " + other + "}, {name: old, secret: " + key32 + "}]}\n")))
	if err != nil {
		t.Fatal(err)
	}
	secrets := schema.GroupResource{Resource: "secrets"}
	ctx := context.Background()
	stored, _ := old[secrets].TransformToStorage(ctx, []byte("v"), etcdKey)
	got, stale, err := rotated[secrets].TransformFromStorage(ctx, stored, etcdKey)
	if err != nil || !stale || string(got) != "v" {
		t.Errorf("old key after rotation: %q stale %v %v", got, stale, err)
	}
	rewritten, _ := rotated[secrets].TransformToStorage(ctx, got, etcdKey)
	if !bytes.HasPrefix(rewritten, []byte("k8s:enc:aesgcm:v1:new:")) {
		t.Errorf("rewritten with %q", rewritten[:24])
	}
	if _, _, err := old[secrets].TransformFromStorage(ctx, rewritten, etcdKey); err == nil || !strings.Contains(err.Error(), "no configured key") {
		t.Errorf("a value of an unknown key: %v", err)
	}
}

func TestIdentityAndBinding(t *testing.T) {
	ctx := context.Background()
	secrets := schema.GroupResource{Resource: "secrets"}
	withIdentity, _ := Parse([]byte(config("  - aesgcm: {keys: [{name: k, secret: " + key32 + "}]}\n  - identity: {}\n")))
	plain := []byte(`{"kind":"Secret"}`)
	got, stale, err := withIdentity[secrets].TransformFromStorage(ctx, plain, etcdKey)
	if err != nil || !stale || !bytes.Equal(got, plain) {
		t.Errorf("plain value with identity listed second: %q %v %v", got, stale, err)
	}
	only, _ := Parse([]byte(config("  - aesgcm: {keys: [{name: k, secret: " + key32 + "}]}\n")))
	if _, _, err := only[secrets].TransformFromStorage(ctx, plain, etcdKey); err == nil {
		t.Error("a plain value read without the identity provider")
	}
	// AES-GCM binds a value to its etcd key: a value copied under another
	// key does not decrypt.
	stored, _ := only[secrets].TransformToStorage(ctx, plain, etcdKey)
	if _, _, err := only[secrets].TransformFromStorage(ctx, stored, "/registry/secrets/ns/other"); err == nil {
		t.Error("an AES-GCM value decrypted under another key")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"not yaml", "{", "not a valid EncryptionConfiguration"},
		{"wrong kind", "apiVersion: v1\nkind: ConfigMap\n", `kind "ConfigMap" and apiVersion "v1" must be EncryptionConfiguration`},
		{"unknown field", config("  - identity: {}\n") + "extra: 1\n", "not a valid EncryptionConfiguration"},
		{"no resources", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n", "resources: at least one entry is required"},
		{"no providers", config(""), "resources[0].providers: at least one provider is required"},
		{"two in one", config("  - {identity: {}, aesgcm: {keys: [{name: k, secret: " + key32 + "}]}}\n"), "exactly one of aesgcm, aescbc, secretbox, identity"},
		{"kms", config("  - kms: {name: x}\n"), "kms is not supported"},
		{"no keys", config("  - aesgcm: {keys: []}\n"), "aesgcm.keys: at least one key is required"},
		{"bad base64", config("  - aesgcm: {keys: [{name: k, secret: '!!'}]}\n"), "secret: not valid base64"},
		{"bad size", config("  - aesgcm: {keys: [{name: k, secret: " + base64.StdEncoding.EncodeToString([]byte("short")) + "}]}\n"), "must be 16, 24 or 32 bytes, not 5"},
		{"secretbox size", config("  - secretbox: {keys: [{name: k, secret: " + key16 + "}]}\n"), "a secretbox key must be 32 bytes, not 16"},
		{"duplicate key", config("  - aesgcm: {keys: [{name: k, secret: " + key32 + "}, {name: k, secret: " + other + "}]}\n"), `"k" is used twice`},
		{"colon in name", config("  - aesgcm: {keys: [{name: 'a:b', secret: " + key32 + "}]}\n"), "hold no colon"},
		{"wildcard", "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: ['*.*']\n  providers: [{identity: {}}]\n", "wildcards are not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), key32) {
				t.Errorf("error is not one line without the key: %q", err)
			}
		})
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("kind: x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(bad); err == nil || !strings.HasPrefix(err.Error(), "encryption provider config "+bad+": ") {
		t.Errorf("malformed file: %v", err)
	}
}
