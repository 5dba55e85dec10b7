package options

import (
	"crypto"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/server"
)

// DefaultServiceAccountIssuer is the issuer of tokens when
// --service-account-issuer is not given: the in-cluster name kubeadm and
// kind use.
const DefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// ServiceAccountSigningKey is the file name, under the cert dir, of the
// signing key generated when --service-account-signing-key-file is not
// given (its public half is beside it, .pub).
const ServiceAccountSigningKey = "sa.key"

// ServiceAccountOptions say how service account tokens are signed and
// verified.
type ServiceAccountOptions struct {
	Issuers        []string
	SigningKeyFile string
	KeyFiles       []string
	APIAudiences   []string
	MaxExpiration  time.Duration
	JWKSURI        string

	// CertDirectory is where the generated signing key lives;
	// Options.Complete copies it from the serving options.
	CertDirectory string
}

// NewServiceAccountOptions returns the defaults.
func NewServiceAccountOptions() *ServiceAccountOptions {
	return &ServiceAccountOptions{Issuers: []string{DefaultServiceAccountIssuer}}
}

// AddFlags registers the flags, with kube-apiserver's names.
func (o *ServiceAccountOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&o.Issuers, "service-account-issuer", o.Issuers,
		"Issuer (iss claim) of service account tokens. Repeat it to accept tokens of older issuers too; the first signs new tokens.")
	fs.StringVar(&o.SigningKeyFile, "service-account-signing-key-file", o.SigningKeyFile,
		"PEM private key (RSA or ECDSA) that signs service account tokens. Empty: <cert-dir>/"+ServiceAccountSigningKey+", generated on first start.")
	fs.StringArrayVar(&o.KeyFiles, "service-account-key-file", o.KeyFiles,
		"PEM file of public keys (or certificates, or private keys) that verify service account tokens; repeatable. Empty: the signing key's public half.")
	fs.StringSliceVar(&o.APIAudiences, "api-audiences", o.APIAudiences,
		"Audiences of the API: a service account token must name one of them, and a token request that names none gets them. Empty: the issuers.")
	fs.DurationVar(&o.MaxExpiration, "service-account-max-token-expiration", o.MaxExpiration,
		"Longest lifetime of an issued token; a longer request gets this one. 0: no cap (at least 1h otherwise).")
	fs.StringVar(&o.JWKSURI, "service-account-jwks-uri", o.JWKSURI,
		"The jwks_uri of /.well-known/openid-configuration (an https URL). Empty: <issuer>/openid/v1/jwks.")
}

// Validate reports every invalid flag value.
func (o *ServiceAccountOptions) Validate() []error {
	var errs []error
	if len(o.Issuers) == 0 {
		errs = append(errs, fmt.Errorf("--service-account-issuer: at least one issuer is required"))
	}
	for _, iss := range o.Issuers {
		if iss == "" {
			errs = append(errs, fmt.Errorf("--service-account-issuer: may not be empty"))
		} else if strings.Contains(iss, ":") {
			if u, err := url.Parse(iss); err != nil || u.Scheme == "" || u.Host == "" {
				errs = append(errs, fmt.Errorf("--service-account-issuer %q: an issuer with a colon must be a URL", iss))
			}
		}
	}
	errs = append(errs, readable("--service-account-signing-key-file", o.SigningKeyFile)...)
	for _, f := range o.KeyFiles {
		errs = append(errs, readable("--service-account-key-file", f)...)
	}
	if o.MaxExpiration != 0 && o.MaxExpiration < time.Hour {
		errs = append(errs, fmt.Errorf("--service-account-max-token-expiration %s: must be 0 or at least 1h", o.MaxExpiration))
	}
	if o.JWKSURI != "" {
		if u, err := url.Parse(o.JWKSURI); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("--service-account-jwks-uri %q: must be an https URL", o.JWKSURI))
		}
	}
	return errs
}

// ApplyTo loads (or generates) the keys, builds the issuer, the token
// authenticator (added to the authentication options' bearer tokens) and
// the OIDC discovery documents. It goes after the authentication and
// serving options.
func (o *ServiceAccountOptions) ApplyTo(c *server.Config) error {
	var signer crypto.Signer
	var err error
	if o.SigningKeyFile != "" {
		signer, err = serviceaccount.ReadSigningKey(o.SigningKeyFile)
	} else {
		path := filepath.Join(o.CertDirectory, ServiceAccountSigningKey)
		signer, err = serviceaccount.LoadOrCreateSigningKey(path)
	}
	if err != nil {
		return fmt.Errorf("service account signing key: %w", err)
	}
	keys := []crypto.PublicKey{signer.Public()}
	if len(o.KeyFiles) > 0 {
		keys = nil
		for _, f := range o.KeyFiles {
			k, err := serviceaccount.ReadPublicKeys(f)
			if err != nil {
				return fmt.Errorf("--service-account-key-file: %w", err)
			}
			keys = append(keys, k...)
		}
	}
	audiences := o.APIAudiences
	if len(audiences) == 0 {
		audiences = o.Issuers
	}
	issuer, err := serviceaccount.NewIssuer(o.Issuers[0], signer)
	if err != nil {
		return err
	}
	tokens, err := serviceaccount.NewAuthenticator(o.Issuers, keys, audiences)
	if err != nil {
		return fmt.Errorf("--service-account-key-file: %w", err)
	}
	sa := server.ServiceAccountConfig{Issuer: issuer, Authenticator: tokens, Audiences: audiences, MaxLifetime: o.MaxExpiration}
	if u, err := url.Parse(o.Issuers[0]); err == nil && u.Scheme == "https" {
		if sa.Discovery, err = serviceaccount.NewDiscovery(o.Issuers[0], o.JWKSURI, keys); err != nil {
			return err
		}
	} else {
		klog.InfoS("The service account issuer is not an https URL; OIDC discovery is not served", "issuer", o.Issuers[0])
	}
	if sa.RootCA, err = rootCA(c.Serving); err != nil {
		return err
	}
	c.ServiceAccounts = sa
	c.Authentication.Tokens = append(c.Authentication.Tokens, tokens)
	return nil
}

// rootCA is what clients in the cluster verify the server with: the CA
// that signed a generated serving certificate, or the top of an
// operator's chain.
func rootCA(s *server.SecureServingInfo) ([]byte, error) {
	if s == nil {
		return nil, nil
	}
	if s.CAFile != "" {
		data, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("serving CA: %w", err)
		}
		return data, nil
	}
	if n := len(s.Cert.Certificate); n > 0 {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Cert.Certificate[n-1]}), nil
	}
	return nil, nil
}
