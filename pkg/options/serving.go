package options

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/certs"
	"github.com/apiserver/apiserver/pkg/server"
)

// SecureServingOptions are the flags of the TLS listener.
type SecureServingOptions struct {
	BindAddress                  net.IP
	BindPort                     int
	CertDirectory                string
	CertFile                     string
	KeyFile                      string
	MinTLSVersion                string
	CipherSuites                 []string
	HTTP2MaxStreamsPerConnection int
	DisableHTTP2Serving          bool
	PermitPortSharing            bool

	// Listener, when set, is served instead of binding BindAddress and
	// BindPort; tests use it to serve on a port picked by the kernel.
	Listener net.Listener
}

// NewSecureServingOptions returns kube-apiserver's defaults.
func NewSecureServingOptions() *SecureServingOptions {
	return &SecureServingOptions{
		BindAddress:                  net.IPv4zero,
		BindPort:                     6443,
		MinTLSVersion:                "VersionTLS12",
		HTTP2MaxStreamsPerConnection: server.DefaultHTTP2MaxStreams,
	}
}

// tlsVersions are the accepted --tls-min-version values.
var tlsVersions = map[string]uint16{"VersionTLS12": tls.VersionTLS12, "VersionTLS13": tls.VersionTLS13}

// AddFlags registers the flags.
func (o *SecureServingOptions) AddFlags(fs *pflag.FlagSet) {
	fs.IPVar(&o.BindAddress, "bind-address", o.BindAddress,
		"The IP address to listen on for HTTPS. 0.0.0.0 (or ::) means every interface.")
	fs.IntVar(&o.BindPort, "secure-port", o.BindPort, "The port to serve HTTPS with authentication and authorization on.")
	fs.StringVar(&o.CertDirectory, "cert-dir", o.CertDirectory,
		"The directory of the TLS certificates: an apiserver.crt and apiserver.key found there are served as they are, as kube-apiserver does; otherwise a CA and a serving certificate are generated there (and renewed when they no longer cover the addresses). Ignored when --tls-cert-file and --tls-private-key-file are set. (default <data-dir>/pki)")
	fs.StringVar(&o.CertFile, "tls-cert-file", o.CertFile,
		"File with the default x509 serving certificate for HTTPS, followed by any intermediate CA certificates. Without it, a self-signed CA and a certificate signed by it are generated in --cert-dir.")
	fs.StringVar(&o.KeyFile, "tls-private-key-file", o.KeyFile, "File with the x509 private key matching --tls-cert-file.")
	fs.StringVar(&o.MinTLSVersion, "tls-min-version", o.MinTLSVersion,
		"Minimum TLS version supported. Possible values: VersionTLS12, VersionTLS13.")
	fs.StringSliceVar(&o.CipherSuites, "tls-cipher-suites", o.CipherSuites,
		"Comma-separated list of TLS 1.2 cipher suites for the server, by their Go names. If omitted, Go's secure default suites are used. Possible values: "+
			strings.Join(secureCipherSuiteNames(), ", "))
	fs.IntVar(&o.HTTP2MaxStreamsPerConnection, "http2-max-streams-per-connection", o.HTTP2MaxStreamsPerConnection,
		"The limit the server gives clients on concurrent streams in one HTTP/2 connection.")
	fs.BoolVar(&o.DisableHTTP2Serving, "disable-http2-serving", o.DisableHTTP2Serving, "If true, serve HTTP/1.1 only.")
	fs.BoolVar(&o.PermitPortSharing, "permit-port-sharing", o.PermitPortSharing,
		"If true, bind the port with SO_REUSEPORT, so several processes (an old and a new server during a restart) can listen on it at once.")
}

// Validate reports every invalid flag value.
func (o *SecureServingOptions) Validate() []error {
	if o == nil {
		return nil
	}
	var errs []error
	if o.Listener == nil && (o.BindPort < 1 || o.BindPort > 65535) {
		errs = append(errs, fmt.Errorf("--secure-port %d must be between 1 and 65535", o.BindPort))
	}
	if o.BindAddress == nil {
		errs = append(errs, fmt.Errorf("--bind-address must be an IP address"))
	}
	if _, ok := tlsVersions[o.MinTLSVersion]; !ok {
		errs = append(errs, fmt.Errorf("--tls-min-version %q is not supported: use VersionTLS12 or VersionTLS13", o.MinTLSVersion))
	}
	if _, err := cipherSuites(o.CipherSuites); err != nil {
		errs = append(errs, err)
	} else if len(o.CipherSuites) > 0 && o.MinTLSVersion == "VersionTLS13" {
		errs = append(errs, fmt.Errorf("--tls-cipher-suites cannot be set with --tls-min-version=VersionTLS13: TLS 1.3 cipher suites are not configurable"))
	}
	if o.HTTP2MaxStreamsPerConnection < 0 {
		errs = append(errs, fmt.Errorf("--http2-max-streams-per-connection %d must not be negative", o.HTTP2MaxStreamsPerConnection))
	}
	switch {
	case o.CertFile != "" && o.KeyFile == "":
		errs = append(errs, fmt.Errorf("--tls-cert-file requires --tls-private-key-file"))
	case o.CertFile == "" && o.KeyFile != "":
		errs = append(errs, fmt.Errorf("--tls-private-key-file requires --tls-cert-file"))
	}
	errs = append(errs, readable("--tls-cert-file", o.CertFile)...)
	errs = append(errs, readable("--tls-private-key-file", o.KeyFile)...)
	return errs
}

// ApplyTo loads or generates the serving certificate and binds the listener,
// so that a bad certificate or a port in use fails before anything starts.
func (o *SecureServingOptions) ApplyTo(c *server.Config) error {
	info := &server.SecureServingInfo{
		MinTLSVersion:                tlsVersions[o.MinTLSVersion],
		HTTP2MaxStreamsPerConnection: o.HTTP2MaxStreamsPerConnection,
		DisableHTTP2:                 o.DisableHTTP2Serving,
	}
	suites, err := cipherSuites(o.CipherSuites)
	if err != nil {
		return err
	}
	info.CipherSuites = suites

	pair := certs.Pair{CertFile: o.CertFile, KeyFile: o.KeyFile}
	if pair.CertFile == "" {
		if pair, info.CAFile, err = o.selfSigned(); err != nil {
			return err
		}
	}
	cert, err := tls.LoadX509KeyPair(pair.CertFile, pair.KeyFile)
	if err != nil {
		return fmt.Errorf("loading --tls-cert-file %s with --tls-private-key-file %s: %w", pair.CertFile, pair.KeyFile, err)
	}
	info.Cert = cert

	info.Listener = o.Listener
	if info.Listener == nil {
		addr := net.JoinHostPort(o.BindAddress.String(), strconv.Itoa(o.BindPort))
		if info.Listener, err = server.Listen(context.Background(), addr, o.PermitPortSharing); err != nil {
			return fmt.Errorf("--bind-address and --secure-port: %w", err)
		}
	}
	c.Serving = info
	return nil
}

// selfSigned makes sure the cert dir holds a CA and a serving certificate
// signed by it for every name clients may use, and returns their files.
// An apiserver.crt and apiserver.key that this CA did not sign are used as
// they are, with no CA file: someone else put them there.
func (o *SecureServingOptions) selfSigned() (certs.Pair, string, error) {
	caPair := certs.PairIn(o.CertDirectory, "ca")
	if pair := certs.PairIn(o.CertDirectory, "apiserver"); certs.Foreign(pair, caPair) {
		klog.InfoS("Serving with the certificate found in --cert-dir", "cert", pair.CertFile)
		return pair, "", nil
	}
	ca, err := certs.LoadOrCreateCA(caPair, "apiserver-ca")
	if err != nil {
		return certs.Pair{}, "", fmt.Errorf("--cert-dir: %w", err)
	}
	pair := certs.PairIn(o.CertDirectory, "apiserver")
	if _, err := ca.EnsureLeaf(pair, certs.Leaf{
		CommonName: "apiserver",
		DNSNames:   servingDNSNames(),
		IPs:        servingIPs(o.BindAddress),
		Usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		return certs.Pair{}, "", fmt.Errorf("--cert-dir: serving certificate: %w", err)
	}
	return pair, caPair.CertFile, nil
}

func servingDNSNames() []string {
	names := []string{"localhost"}
	if host, err := os.Hostname(); err == nil && host != "" && host != "localhost" {
		names = append(names, host)
	}
	return names
}

func servingIPs(bind net.IP) []net.IP {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if bind != nil && !bind.IsUnspecified() && !slices.ContainsFunc(ips, bind.Equal) {
		ips = append(ips, bind)
	}
	return ips
}

// cipherSuites maps Go cipher suite names to IDs, refusing unknown names
// and those Go lists as insecure.
func cipherSuites(names []string) ([]uint16, error) {
	if len(names) == 0 {
		return nil, nil
	}
	secure := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		secure[s.Name] = s.ID
	}
	insecure := map[string]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.Name] = true
	}
	var ids []uint16
	var bad, unknown []string
	for _, n := range names {
		switch {
		case insecure[n]:
			bad = append(bad, n)
		case secure[n] != 0:
			ids = append(ids, secure[n])
		default:
			unknown = append(unknown, n)
		}
	}
	switch {
	case len(bad) > 0:
		return nil, fmt.Errorf("--tls-cipher-suites: %s insecure and not allowed", pluralize(bad, "is", "are"))
	case len(unknown) > 0:
		return nil, fmt.Errorf("--tls-cipher-suites: unknown cipher suite %s; see --help for the possible values", strings.Join(unknown, ", "))
	}
	return ids, nil
}

func pluralize(names []string, one, many string) string {
	if len(names) == 1 {
		return names[0] + " " + one
	}
	return strings.Join(names, ", ") + " " + many
}

func secureCipherSuiteNames() []string {
	var names []string
	for _, s := range tls.CipherSuites() {
		if !slices.Contains(s.SupportedVersions, tls.VersionTLS13) {
			names = append(names, s.Name)
		}
	}
	return names
}

// readable reports a flag whose file cannot be read.
func readable(flag, path string) []error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return []error{fmt.Errorf("%s: %w", flag, err)}
	}
	f.Close()
	return nil
}

// absolute turns a relative directory into an absolute one, so logs and
// the kubeconfig name files unambiguously.
func absolute(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
