package options

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/certs"
	"github.com/apiserver/apiserver/pkg/server"
)

// AggregationOptions are kube-apiserver's flags of the aggregation layer:
// how a front proxy in front of this server is recognized
// (--requestheader-*), and how this server proves itself when it is the
// front proxy of an aggregated API server (--proxy-client-*).
type AggregationOptions struct {
	RequestHeaderClientCAFile    string
	RequestHeaderAllowedNames    []string
	RequestHeaderUsernameHeaders []string
	RequestHeaderGroupHeaders    []string
	RequestHeaderExtraPrefixes   []string

	ProxyClientCertFile, ProxyClientKeyFile string
	// EnableAggregatorRouting is accepted: requests always go to an
	// endpoint of the APIService's Service, as kube-apiserver's routing
	// with this flag does; there is no kube-proxy to reach a cluster IP.
	EnableAggregatorRouting bool
}

// NewAggregationOptions returns kube-apiserver's defaults.
func NewAggregationOptions() *AggregationOptions { return &AggregationOptions{} }

// AddFlags registers the flags.
func (o *AggregationOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.RequestHeaderClientCAFile, "requestheader-client-ca-file", o.RequestHeaderClientCAFile,
		"CA bundle that signs the client certificates of front proxies (kube's aggregator): a request with such a certificate authenticates the user named in --requestheader-username-headers. Published in the kube-system/extension-apiserver-authentication ConfigMap.")
	fs.StringSliceVar(&o.RequestHeaderAllowedNames, "requestheader-allowed-names", o.RequestHeaderAllowedNames,
		"Common names a front proxy's client certificate may have; empty allows any certificate signed by --requestheader-client-ca-file.")
	fs.StringSliceVar(&o.RequestHeaderUsernameHeaders, "requestheader-username-headers", o.RequestHeaderUsernameHeaders,
		"Request headers naming the user, the first present wins (X-Remote-User is common). This server writes the first one when it proxies to an aggregated API server.")
	fs.StringSliceVar(&o.RequestHeaderGroupHeaders, "requestheader-group-headers", o.RequestHeaderGroupHeaders,
		"Request headers naming the user's groups (X-Remote-Group is common).")
	fs.StringSliceVar(&o.RequestHeaderExtraPrefixes, "requestheader-extra-headers-prefix", o.RequestHeaderExtraPrefixes,
		"Prefixes of request headers carrying the user's extra attributes (X-Remote-Extra- is common).")
	fs.StringVar(&o.ProxyClientCertFile, "proxy-client-cert-file", o.ProxyClientCertFile,
		"Client certificate this server presents to aggregated API servers (APIServices with a Service), which must be signed by the CA they trust as --requestheader-client-ca-file.")
	fs.StringVar(&o.ProxyClientKeyFile, "proxy-client-key-file", o.ProxyClientKeyFile,
		"Private key of --proxy-client-cert-file.")
	fs.BoolVar(&o.EnableAggregatorRouting, "enable-aggregator-routing", o.EnableAggregatorRouting,
		"Accepted: requests for an aggregated API always go to an endpoint of its Service, as kube-apiserver routes them with this flag.")
}

// Validate reports every invalid flag value.
func (o *AggregationOptions) Validate() []error {
	if o == nil {
		return nil
	}
	var errs []error
	errs = append(errs, readable("--requestheader-client-ca-file", o.RequestHeaderClientCAFile)...)
	errs = append(errs, readable("--proxy-client-cert-file", o.ProxyClientCertFile)...)
	errs = append(errs, readable("--proxy-client-key-file", o.ProxyClientKeyFile)...)
	if (o.ProxyClientCertFile == "") != (o.ProxyClientKeyFile == "") {
		errs = append(errs, errors.New("--proxy-client-cert-file and --proxy-client-key-file: give both or neither"))
	}
	if o.RequestHeaderClientCAFile != "" && len(o.RequestHeaderUsernameHeaders) == 0 {
		errs = append(errs, errors.New("--requestheader-username-headers: needed with --requestheader-client-ca-file (X-Remote-User is common)"))
	}
	return errs
}

// ApplyTo adds the front proxy authenticator in front of the others, its
// CA to those the TLS handshake asks client certificates of, and the proxy
// client certificate. It needs the authentication options applied first.
func (o *AggregationOptions) ApplyTo(c *server.Config) error {
	c.Aggregation.ProxyClientCertFile, c.Aggregation.ProxyClientKeyFile = o.ProxyClientCertFile, o.ProxyClientKeyFile
	if o.RequestHeaderClientCAFile == "" {
		return nil
	}
	pem, err := os.ReadFile(o.RequestHeaderClientCAFile)
	if err != nil {
		return fmt.Errorf("--requestheader-client-ca-file: %w", err)
	}
	pool, err := certs.PoolFromPEM(pem)
	if err != nil {
		return fmt.Errorf("--requestheader-client-ca-file %s: %w", o.RequestHeaderClientCAFile, err)
	}
	rh := authn.RequestHeaderConfig{
		CA: pool, AllowedNames: o.RequestHeaderAllowedNames,
		UsernameHeaders: o.RequestHeaderUsernameHeaders, GroupHeaders: o.RequestHeaderGroupHeaders, ExtraHeaderPrefixes: o.RequestHeaderExtraPrefixes,
	}
	a := &c.Authentication
	a.RequestHeader = &server.RequestHeaderInfo{Config: rh, CAPEM: pem}
	a.Authenticator = append(authn.Union{authn.NewRequestHeader(rh)}, a.Authenticator...)
	// The handshake asks for certificates of either authority; each
	// authenticator then verifies against its own.
	handshake, err := certs.PoolFromPEM(append(append([]byte{}, a.ClientCAPEM...), pem...))
	if err != nil {
		return fmt.Errorf("--requestheader-client-ca-file %s: %w", o.RequestHeaderClientCAFile, err)
	}
	if len(a.ClientCAPEM) == 0 {
		handshake = pool
	}
	a.ClientCA, c.Serving.ClientCA = handshake, handshake
	return nil
}
