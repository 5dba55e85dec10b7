package certs

import (
	"crypto/x509"
	"net"
	"os"
	"strings"
	"testing"
)

func TestLoadOrCreateCA(t *testing.T) {
	dir := t.TempDir()
	pair := PairIn(dir, "ca")
	first, err := LoadOrCreateCA(pair, "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	again, err := LoadOrCreateCA(pair, "test-ca")
	if err != nil || !again.Cert.Equal(first.Cert) {
		t.Fatalf("reloading the CA = %v, %v; want the same certificate", again, err)
	}
	if fi, _ := os.Stat(pair.KeyFile); fi.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode %o, want 600", fi.Mode().Perm())
	}
	if err := os.Remove(pair.KeyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateCA(pair, "test-ca"); err == nil || !strings.Contains(err.Error(), "only one of the two files exists") {
		t.Errorf("CA with its key missing: %v, want a clear error instead of a new CA", err)
	}
}

func TestEnsureLeafReissuesOnlyWhenNeeded(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(PairIn(dir, "ca"), "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	pair := PairIn(dir, "serving")
	leaf := Leaf{CommonName: "srv", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	steps := []struct {
		name  string
		leaf  Leaf
		wrote bool
	}{
		{"first start", leaf, true},
		{"restart", leaf, false},
		{"new address", Leaf{CommonName: "srv", DNSNames: leaf.DNSNames, IPs: append(leaf.IPs, net.IPv4(10, 0, 0, 1)), Usages: leaf.Usages}, true},
		{"new name", Leaf{CommonName: "srv", DNSNames: []string{"localhost", "api.example.com"}, IPs: leaf.IPs, Usages: leaf.Usages}, true},
	}
	for _, s := range steps {
		wrote, err := ca.EnsureLeaf(pair, s.leaf)
		if err != nil || wrote != s.wrote {
			t.Errorf("%s: wrote %v, %v; want %v", s.name, wrote, err, s.wrote)
		}
	}
	if err := CheckPair(pair); err != nil {
		t.Errorf("issued pair does not load: %v", err)
	}
	other, err := LoadOrCreateCA(PairIn(t.TempDir(), "ca"), "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	if wrote, err := other.EnsureLeaf(pair, leaf); err != nil || !wrote {
		t.Errorf("a certificate of another CA was kept (wrote %v, %v)", wrote, err)
	}
}

// TestForeign: a certificate this CA signed is its own (renewed when
// needed); one signed by another CA, or found without a CA beside it, is
// someone else's and used as it is.
func TestForeign(t *testing.T) {
	dir := t.TempDir()
	caPair, pair := PairIn(dir, "ca"), PairIn(dir, "apiserver")
	if Foreign(pair, caPair) {
		t.Error("no files at all count as foreign")
	}
	other := t.TempDir()
	otherCA, err := LoadOrCreateCA(PairIn(other, "ca"), "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := otherCA.EnsureLeaf(pair, Leaf{CommonName: "envtest", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatal(err)
	}
	if !Foreign(pair, caPair) {
		t.Error("a certificate found without a CA beside it is not foreign")
	}
	ca, err := LoadOrCreateCA(caPair, "apiserver-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !Foreign(pair, caPair) {
		t.Error("a certificate of another CA is not foreign")
	}
	own := PairIn(dir, "own")
	if _, err := ca.EnsureLeaf(own, Leaf{CommonName: "apiserver", Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatal(err)
	}
	if Foreign(own, caPair) {
		t.Error("a certificate of this CA is foreign")
	}
}
