package options

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/server"
)

// kubeletAddressTypes are the Node address types, in kube-apiserver's
// default order of preference.
var kubeletAddressTypes = []string{"Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP"}

// KubeletClientOptions are how the server reaches kubelets, for a Pod's
// log, exec, attach and portforward: kube-apiserver's flags of the same
// names.
type KubeletClientOptions struct {
	ClientCertificate     string
	ClientKey             string
	CertificateAuthority  string
	PreferredAddressTypes []string
}

// NewKubeletClientOptions returns kube-apiserver's defaults.
func NewKubeletClientOptions() *KubeletClientOptions {
	return &KubeletClientOptions{PreferredAddressTypes: slices.Clone(kubeletAddressTypes)}
}

// AddFlags registers the flags.
func (o *KubeletClientOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ClientCertificate, "kubelet-client-certificate", o.ClientCertificate, "Path to a client cert file for TLS to kubelets.")
	fs.StringVar(&o.ClientKey, "kubelet-client-key", o.ClientKey, "Path to a client key file for TLS to kubelets.")
	fs.StringVar(&o.CertificateAuthority, "kubelet-certificate-authority", o.CertificateAuthority,
		"Path to a cert file for the certificate authority of kubelets' serving certificates. Without it, kubelets' certificates are not verified, as kube-apiserver does.")
	fs.StringSliceVar(&o.PreferredAddressTypes, "kubelet-preferred-address-types", o.PreferredAddressTypes,
		"List of the preferred NodeAddressTypes to use for kubelet connections.")
}

// Validate requires the certificate and key together, and known address
// types.
func (o *KubeletClientOptions) Validate() []error {
	var errs []error
	if (o.ClientCertificate == "") != (o.ClientKey == "") {
		errs = append(errs, fmt.Errorf("--kubelet-client-certificate and --kubelet-client-key must be given together"))
	}
	for _, t := range o.PreferredAddressTypes {
		if !slices.Contains(kubeletAddressTypes, t) {
			errs = append(errs, fmt.Errorf("--kubelet-preferred-address-types: %q is not a node address type (%v)", t, kubeletAddressTypes))
		}
	}
	return errs
}

// ApplyTo checks that the files load, so that a bad one stops the start,
// and passes their paths on in c.Kubelet.
func (o *KubeletClientOptions) ApplyTo(c *server.Config) error {
	if o.ClientCertificate != "" {
		if _, err := tls.LoadX509KeyPair(o.ClientCertificate, o.ClientKey); err != nil {
			return fmt.Errorf("loading --kubelet-client-certificate and --kubelet-client-key: %w", err)
		}
	}
	if o.CertificateAuthority != "" {
		pem, err := os.ReadFile(o.CertificateAuthority)
		if err != nil {
			return fmt.Errorf("reading --kubelet-certificate-authority: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return fmt.Errorf("--kubelet-certificate-authority %s holds no PEM certificate", o.CertificateAuthority)
		}
	}
	c.Kubelet = server.KubeletConfig{CertFile: o.ClientCertificate, KeyFile: o.ClientKey, CAFile: o.CertificateAuthority,
		PreferredAddressTypes: slices.Clone(o.PreferredAddressTypes)}
	return nil
}
