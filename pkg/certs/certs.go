package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

const (
	// caValidity is long because rotating a self-signed CA means handing
	// every client a new kubeconfig.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity matches what kubeadm issues; leaves are cheap to renew
	// because a restart regenerates them once they are close to expiry.
	leafValidity = 365 * 24 * time.Hour
	// renewBefore regenerates a leaf this long before it expires.
	renewBefore = 30 * 24 * time.Hour
)

// CA is a certificate authority whose key is held in memory to sign leaves.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// CertPEM is the PEM encoding of Cert, handed to clients as their trust root.
	CertPEM []byte
}

// Pair names the files of one certificate and its private key.
type Pair struct {
	CertFile string
	KeyFile  string
}

// PairIn returns the conventional <dir>/<base>.crt and <dir>/<base>.key.
func PairIn(dir, base string) Pair {
	return Pair{CertFile: filepath.Join(dir, base+".crt"), KeyFile: filepath.Join(dir, base+".key")}
}

// LoadOrCreateCA loads the CA in pair, or creates a new self-signed one with
// the given common name when neither file exists. A CA with only one of its
// two files present is an error: silently replacing it would invalidate every
// certificate it signed.
func LoadOrCreateCA(pair Pair, commonName string) (*CA, error) {
	certExists, keyExists := exists(pair.CertFile), exists(pair.KeyFile)
	switch {
	case certExists && keyExists:
		return LoadCA(pair)
	case certExists || keyExists:
		return nil, fmt.Errorf("CA %s and %s: only one of the two files exists; remove it or supply the other", pair.CertFile, pair.KeyFile)
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour), // tolerates clock skew between hosts
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("signing CA certificate: %w", err)
	}
	if err := writePair(pair, der, key); err != nil {
		return nil, err
	}
	return LoadCA(pair)
}

// LoadCA reads an existing CA certificate and key.
func LoadCA(pair Pair) (*CA, error) {
	kp, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading CA %s: %w", pair.CertFile, err)
	}
	cert, err := x509.ParseCertificate(kp.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parsing CA %s: %w", pair.CertFile, err)
	}
	if !cert.IsCA {
		return nil, fmt.Errorf("certificate %s is not a CA", pair.CertFile)
	}
	signer, ok := kp.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("CA key %s cannot sign", pair.KeyFile)
	}
	return &CA{Cert: cert, Key: signer, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})}, nil
}

// Leaf describes a certificate to issue.
type Leaf struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Usages       []x509.ExtKeyUsage
}

// EnsureLeaf makes sure pair holds a certificate for leaf signed by ca that
// is not close to expiry and covers every requested name and address,
// issuing a new one otherwise. It reports whether it wrote new files.
func (ca *CA) EnsureLeaf(pair Pair, leaf Leaf) (bool, error) {
	if exists(pair.CertFile) && exists(pair.KeyFile) && ca.covers(pair, leaf) {
		return false, nil
	}
	certPEM, keyPEM, err := ca.Issue(leaf)
	if err != nil {
		return false, err
	}
	if err := writeFile(pair.KeyFile, keyPEM, 0o600); err != nil {
		return false, err
	}
	if err := writeFile(pair.CertFile, certPEM, 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// Issue signs a new certificate for leaf and returns it and its key as PEM.
func (ca *CA) Issue(leaf Leaf) (certPEM, keyPEM []byte, err error) {
	return issue(leaf, ca.Cert, ca.Key)
}

// SelfSigned returns a new certificate for leaf signed by its own key,
// and the key, as PEM: for a certificate only this process needs to
// trust, such as the one of the server's loopback connections.
func SelfSigned(leaf Leaf) (certPEM, keyPEM []byte, err error) {
	return issue(leaf, nil, nil)
}

// issue signs leaf with parent's key, or with its own when parent is nil.
func issue(leaf Leaf, parent *x509.Certificate, parentKey crypto.Signer) (certPEM, keyPEM []byte, err error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: leaf.CommonName, Organization: leaf.Organization},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  leaf.Usages,
		DNSNames:     leaf.DNSNames,
		IPAddresses:  leaf.IPs,
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("signing certificate for %q: %w", leaf.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// covers reports whether the existing pair can be reused for leaf.
func (ca *CA) covers(pair Pair, leaf Leaf) bool {
	kp, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		return false
	}
	cert, err := x509.ParseCertificate(kp.Certificate[0])
	if err != nil || cert.CheckSignatureFrom(ca.Cert) != nil {
		return false
	}
	if time.Until(cert.NotAfter) < renewBefore || cert.Subject.CommonName != leaf.CommonName {
		return false
	}
	if !slices.Equal(cert.Subject.Organization, leaf.Organization) {
		return false
	}
	for _, name := range leaf.DNSNames {
		if !slices.Contains(cert.DNSNames, name) {
			return false
		}
	}
	for _, ip := range leaf.IPs {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// Foreign reports whether pair holds a certificate and key that the CA in
// caPair did not sign (or there is no such CA): files an operator or a
// tool such as envtest put there, to be used as they are and never
// replaced, as kube-apiserver uses the apiserver.crt it finds in its
// --cert-dir.
func Foreign(pair, caPair Pair) bool {
	kp, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		return false
	}
	if !exists(caPair.CertFile) {
		return true
	}
	cert, err := x509.ParseCertificate(kp.Certificate[0])
	if err != nil {
		return false
	}
	caPEM, err := os.ReadFile(caPair.CertFile)
	if err != nil {
		return false
	}
	block, _ := pem.Decode(caPEM)
	if block == nil {
		return true
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	return err != nil || cert.CheckSignatureFrom(ca) != nil
}

// CheckPair loads a certificate and key supplied by the operator and reports
// a clear error when either is unreadable or they do not belong together.
func CheckPair(pair Pair) error {
	if _, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile); err != nil {
		return fmt.Errorf("loading certificate %s with key %s: %w", pair.CertFile, pair.KeyFile, err)
	}
	return nil
}

// newKey makes an ECDSA P-256 key: as safe as RSA-3072 and about a thousand
// times faster to generate, which keeps a first start well under a second.
func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	return key, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics
		// itself instead), so this is unreachable in practice.
		panic(fmt.Sprintf("reading random serial: %v", err))
	}
	return n
}

func writePair(pair Pair, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding private key: %w", err)
	}
	if err := writeFile(pair.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFile(pair.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// WriteFile writes data to path atomically (temporary file and rename), so a
// crash never leaves a truncated key or kubeconfig behind, creating the
// parent directory with mode 0700.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	return writeFile(path, data, mode)
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating directory %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) //nolint:errcheck // gone after a successful rename
	// CreateTemp makes the file 0600 already; Chmod also narrows it on
	// filesystems that ignore the creation mode, before any byte is written.
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("setting mode of %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil || !errors.Is(err, os.ErrNotExist)
}

// PoolFromPEM builds a certificate pool from PEM bytes.
func PoolFromPEM(data []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bytes.TrimSpace(data)) {
		return nil, errors.New("no PEM certificate found")
	}
	return pool, nil
}
