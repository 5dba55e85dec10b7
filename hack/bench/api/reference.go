package main

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apiserver/apiserver/hack/bench/internal/harness"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/certs"
)

// measured is what the phases measure: where it listens and the CPU it used.
type measured interface {
	Addr() string
	CPUTime() (time.Duration, error)
}

// reference is a kube-apiserver that ../shared/reference/kube-apiserver.sh
// started in dir (its KAS_DIR), measured as this project's apiserver is:
// its CPU is kube-apiserver's and its etcd's, as this project's embeds
// etcd.
type reference struct {
	dir, addr string
}

func openReference(dir string) (*reference, error) {
	kubeconfig, err := os.ReadFile(filepath.Join(dir, "admin.kubeconfig"))
	if err != nil {
		return nil, fmt.Errorf("-kas-dir: %w", err)
	}
	for _, line := range strings.Split(string(kubeconfig), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "server:"); ok {
			u, err := url.Parse(strings.TrimSpace(v))
			if err != nil {
				return nil, fmt.Errorf("-kas-dir: server %q: %w", v, err)
			}
			return &reference{dir: dir, addr: u.Host}, nil
		}
	}
	return nil, fmt.Errorf("-kas-dir: no server in %s/admin.kubeconfig", dir)
}

func (r *reference) Addr() string { return r.addr }

func (r *reference) CPUTime() (time.Duration, error) {
	var total time.Duration
	for _, name := range []string{"kube-apiserver.pid", "etcd.pid"} {
		pid, err := os.ReadFile(filepath.Join(r.dir, name))
		if err != nil {
			return 0, err
		}
		d, err := harness.CPUTime(strings.TrimSpace(string(pid)))
		if err != nil {
			return 0, err
		}
		total += d
	}
	return total, nil
}

// clientCert issues the benchmark's client certificate, in system:masters,
// from the reference's CA (DIR/pki/ca.crt and ca.key), which it trusts.
func (r *reference) clientCert(tmp string) (certs.Pair, error) {
	ca, err := certs.LoadOrCreateCA(certs.PairIn(filepath.Join(r.dir, "pki"), "ca"), "reference-ca")
	if err != nil {
		return certs.Pair{}, fmt.Errorf("-kas-dir: the reference's CA: %w", err)
	}
	pair := certs.PairIn(tmp, "reference-admin")
	_, err = ca.EnsureLeaf(pair, certs.Leaf{
		CommonName: "bench", Organization: []string{user.SystemPrivilegedGroup},
		Usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return pair, err
}
