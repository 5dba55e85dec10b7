package options

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/certs"
	"github.com/apiserver/apiserver/pkg/endpoints/filters"
	"github.com/apiserver/apiserver/pkg/kubeconfig"
	"github.com/apiserver/apiserver/pkg/server"
)

// AdminKubeconfig is the file name, under the data dir, of the generated
// administrator's kubeconfig.
const AdminKubeconfig = "admin.kubeconfig"

// AuthenticationOptions are the flags that say how clients prove who they
// are.
type AuthenticationOptions struct {
	ClientCAFile  string
	TokenAuthFile string
	Anonymous     bool

	// CertDirectory is where the generated client CA and admin certificate
	// live; Options.Complete copies it from the serving options.
	CertDirectory string
}

// NewAuthenticationOptions returns kube-apiserver's defaults.
func NewAuthenticationOptions() *AuthenticationOptions {
	return &AuthenticationOptions{Anonymous: true}
}

// AddFlags registers the flags.
func (o *AuthenticationOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ClientCAFile, "client-ca-file", o.ClientCAFile,
		"If set, a client certificate signed by one of the authorities in this file authenticates its common name as the user and its organizations as the groups.")
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", o.TokenAuthFile,
		"If set, bearer tokens listed in this CSV file (token,user,uid[,\"group1,group2\"]) authenticate their user.")
	fs.BoolVar(&o.Anonymous, "anonymous-auth", o.Anonymous,
		"Serve requests without credentials as system:anonymous (group system:unauthenticated), for the authorizer to decide on; the bootstrap RBAC policy lets them read /healthz, /livez, /readyz and /version only. With AlwaysAllow among the authorization modes, anonymous requests reach those paths only.")
}

// Validate reports every invalid flag value.
func (o *AuthenticationOptions) Validate() []error {
	if o == nil {
		return nil
	}
	var errs []error
	errs = append(errs, readable("--client-ca-file", o.ClientCAFile)...)
	errs = append(errs, readable("--token-auth-file", o.TokenAuthFile)...)
	return errs
}

// ApplyTo builds the authenticators. With neither a client CA nor a token
// file, it makes the server's own CA the client CA and writes an
// administrator's kubeconfig into the data dir, so a first start is usable
// with kubectl at once. It needs the serving options applied first.
func (o *AuthenticationOptions) ApplyTo(c *server.Config) error {
	var union authn.Union
	var tokens authn.TokenUnion
	var pool *x509.CertPool
	var caPEM []byte
	if o.ClientCAFile != "" {
		pem, err := os.ReadFile(o.ClientCAFile)
		if err != nil {
			return fmt.Errorf("--client-ca-file: %w", err)
		}
		caPEM = pem
		if pool, err = certs.PoolFromPEM(pem); err != nil {
			return fmt.Errorf("--client-ca-file %s: %w", o.ClientCAFile, err)
		}
	}
	if o.TokenAuthFile != "" {
		tf, err := authn.NewTokenFile(o.TokenAuthFile)
		if err != nil {
			return err
		}
		tokens = append(tokens, tf)
	}
	if o.ClientCAFile == "" && o.TokenAuthFile == "" {
		var err error
		if pool, caPEM, err = o.writeAdminKubeconfig(c); err != nil {
			return err
		}
	}
	if pool != nil {
		union = append(authn.Union{authn.NewX509(pool)}, union...)
	}
	anonymous := filters.AnonymousNever
	if o.Anonymous {
		anonymous = filters.AnonymousAuthorized
	}
	c.Authentication = server.AuthenticationInfo{Authenticator: union, Tokens: tokens, Anonymous: anonymous, ClientCA: pool, ClientCAPEM: caPEM}
	c.Serving.ClientCA = pool
	return nil
}

// writeAdminKubeconfig issues (or reuses) an administrator certificate from
// the server's CA and writes <data-dir>/admin.kubeconfig. It returns the pool
// of that CA, to verify client certificates with, and its PEM.
func (o *AuthenticationOptions) writeAdminKubeconfig(c *server.Config) (*x509.CertPool, []byte, error) {
	ca, err := certs.LoadOrCreateCA(certs.PairIn(o.CertDirectory, "ca"), "apiserver-ca")
	if err != nil {
		return nil, nil, fmt.Errorf("client CA: %w", err)
	}
	pair := certs.PairIn(o.CertDirectory, "admin")
	if _, err := ca.EnsureLeaf(pair, certs.Leaf{
		CommonName:   "admin",
		Organization: []string{user.SystemPrivilegedGroup},
		Usages:       []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return nil, nil, fmt.Errorf("admin client certificate: %w", err)
	}
	certPEM, err := os.ReadFile(pair.CertFile)
	if err != nil {
		return nil, nil, fmt.Errorf("admin client certificate: %w", err)
	}
	keyPEM, err := os.ReadFile(pair.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("admin client key: %w", err)
	}
	creds := kubeconfig.Credentials{Server: serverURL(c), User: "admin", CertPEM: certPEM, KeyPEM: keyPEM}
	// The CA verifies the server only when it also signed the serving
	// certificate; an operator's own certificate is verified by the
	// system's roots.
	if c.Serving.CAFile != "" {
		creds.CAPEM = ca.CertPEM
	}
	path := filepath.Join(c.DataDir, AdminKubeconfig)
	if err := kubeconfig.Write(path, creds); err != nil {
		return nil, nil, err
	}
	klog.InfoS("Wrote the administrator's kubeconfig", "path", path)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool, ca.CertPEM, nil
}

// serverURL is where local clients reach the server: loopback when it
// listens on every interface.
func serverURL(c *server.Config) string {
	host, port := "127.0.0.1", "6443"
	if addr, ok := c.Serving.Listener.Addr().(*net.TCPAddr); ok {
		port = strconv.Itoa(addr.Port)
		if !addr.IP.IsUnspecified() && !addr.IP.IsLoopback() {
			host = addr.IP.String()
		} else if addr.IP.To4() == nil && addr.IP.IsLoopback() {
			host = "::1"
		}
	}
	return "https://" + net.JoinHostPort(host, port)
}
