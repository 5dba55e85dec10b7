package options

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apiserver/apiserver/pkg/server"
)

func TestSecureServingApplyToGeneratesAndReusesCertificates(t *testing.T) {
	dir := t.TempDir()
	apply := func() *server.Config {
		t.Helper()
		o := NewSecureServingOptions()
		o.BindAddress = net.ParseIP("127.0.0.1")
		o.CertDirectory = dir
		o.Listener = listen(t)
		c := server.NewConfig()
		if err := o.ApplyTo(c); err != nil {
			t.Fatalf("ApplyTo: %v", err)
		}
		return c
	}
	first := apply()
	for _, key := range []string{"ca.key", "apiserver.key"} {
		fi, err := os.Stat(filepath.Join(dir, key))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", key, mode)
		}
	}
	leaf, err := x509.ParseCertificate(first.Serving.Cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	for _, name := range []string{"localhost", host} {
		if !slices.Contains(leaf.DNSNames, name) {
			t.Errorf("serving certificate DNS names %v lack %q", leaf.DNSNames, name)
		}
	}
	for _, ip := range []string{"127.0.0.1", "::1"} {
		if !slices.ContainsFunc(leaf.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("serving certificate IPs %v lack %s", leaf.IPAddresses, ip)
		}
	}
	caPEM, err := os.ReadFile(first.Serving.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(caPEM)
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Errorf("serving certificate not signed by the generated CA: %v", err)
	}

	second := apply()
	if !slices.Equal(first.Serving.Cert.Certificate[0], second.Serving.Cert.Certificate[0]) {
		t.Error("restart generated a new serving certificate instead of reusing it")
	}
}

func TestSecureServingApplyToRejectsBadCertificates(t *testing.T) {
	dir := t.TempDir()
	// Two generated pairs give a certificate and a key that do not match.
	gen := func(sub string) (string, string) {
		o := NewSecureServingOptions()
		o.CertDirectory = filepath.Join(dir, sub)
		o.Listener = listen(t)
		if err := o.ApplyTo(server.NewConfig()); err != nil {
			t.Fatal(err)
		}
		return filepath.Join(o.CertDirectory, "apiserver.crt"), filepath.Join(o.CertDirectory, "apiserver.key")
	}
	certA, _ := gen("a")
	_, keyB := gen("b")
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cert, key, want string
	}{
		{"mismatched", certA, keyB, "private key does not match public key"},
		{"not PEM", garbage, keyB, "failed to find any PEM data in certificate input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewSecureServingOptions()
			o.CertFile, o.KeyFile = tc.cert, tc.key
			o.Listener = listen(t)
			err := o.ApplyTo(server.NewConfig())
			if err == nil || !strings.Contains(err.Error(), "--tls-cert-file") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ApplyTo error = %v, want one naming --tls-cert-file and %q", err, tc.want)
			}
		})
	}
}

func TestSecureServingApplyToReportsPortInUse(t *testing.T) {
	ln := listen(t)
	o := NewSecureServingOptions()
	o.BindAddress = net.ParseIP("127.0.0.1")
	o.BindPort = ln.Addr().(*net.TCPAddr).Port
	o.CertDirectory = t.TempDir()
	err := o.ApplyTo(server.NewConfig())
	if err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("ApplyTo error = %v, want address already in use", err)
	}
}

func TestPermitPortSharing(t *testing.T) {
	first := NewSecureServingOptions()
	first.BindAddress = net.ParseIP("127.0.0.1")
	first.BindPort = listenPort(t)
	first.PermitPortSharing = true
	first.CertDirectory = t.TempDir()
	second := *first
	for i, o := range []*SecureServingOptions{first, &second} {
		c := server.NewConfig()
		if err := o.ApplyTo(c); err != nil {
			t.Fatalf("listener %d: %v", i, err)
		}
		t.Cleanup(func() { c.Serving.Listener.Close() })
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func listenPort(t *testing.T) int {
	t.Helper()
	ln := listen(t)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
