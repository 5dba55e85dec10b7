package options

import (
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/server"
)

// Options are every flag of the apiserver command.
type Options struct {
	SecureServing   *SecureServingOptions
	Etcd            *EtcdOptions
	Authentication  *AuthenticationOptions
	Authorization   *AuthorizationOptions
	ServiceAccounts *ServiceAccountOptions
	Audit           *AuditOptions
	Services        *ServicesOptions
	Kubelet         *KubeletClientOptions
	Aggregation     *AggregationOptions
	Compatibility   *CompatibilityOptions
	Generic         *ServerRunOptions
	Logging         *LoggingOptions
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		SecureServing:   NewSecureServingOptions(),
		Etcd:            NewEtcdOptions(),
		Authentication:  NewAuthenticationOptions(),
		Authorization:   NewAuthorizationOptions(),
		ServiceAccounts: NewServiceAccountOptions(),
		Audit:           &AuditOptions{},
		Services:        NewServicesOptions(),
		Kubelet:         NewKubeletClientOptions(),
		Aggregation:     NewAggregationOptions(),
		Compatibility:   &CompatibilityOptions{},
		Generic:         NewServerRunOptions(),
		Logging:         &LoggingOptions{},
	}
}

// FlagSection is a titled group of flags in --help.
type FlagSection struct {
	Title string
	Flags *pflag.FlagSet
}

// Sections registers the flags in the order --help shows them.
func (o *Options) Sections() []FlagSection {
	section := func(title string, add func(*pflag.FlagSet)) FlagSection {
		fs := pflag.NewFlagSet(title, pflag.ContinueOnError)
		add(fs)
		return FlagSection{Title: title, Flags: fs}
	}
	return []FlagSection{
		section("Secure serving", o.SecureServing.AddFlags),
		section("Etcd", o.Etcd.AddFlags),
		section("Authentication", o.Authentication.AddFlags),
		section("Authorization", o.Authorization.AddFlags),
		section("Service accounts", o.ServiceAccounts.AddFlags),
		section("Audit", o.Audit.AddFlags),
		section("Services", o.Services.AddFlags),
		section("Kubelet client", o.Kubelet.AddFlags),
		section("Aggregation", o.Aggregation.AddFlags),
		section("Generic", o.Generic.AddFlags),
		section("Logging", o.Logging.AddFlags),
		section("Accepted from kube-apiserver's command line", o.Compatibility.AddFlags),
	}
}

// Complete fills values derived from other flags: the cert dir defaults to
// <data-dir>/pki.
func (o *Options) Complete() {
	if o.SecureServing.CertDirectory == "" {
		o.SecureServing.CertDirectory = filepath.Join(o.Generic.DataDir, "pki")
	}
	o.Authentication.CertDirectory = o.SecureServing.CertDirectory
	o.ServiceAccounts.CertDirectory = o.SecureServing.CertDirectory
	o.Services.BindAddress = o.SecureServing.BindAddress
}

// Validate reports every invalid flag value of every section.
func (o *Options) Validate() []error {
	var errs []error
	errs = append(errs, o.SecureServing.Validate()...)
	errs = append(errs, o.Etcd.Validate()...)
	errs = append(errs, o.Authentication.Validate()...)
	errs = append(errs, o.Authorization.Validate()...)
	errs = append(errs, o.ServiceAccounts.Validate()...)
	errs = append(errs, o.Audit.Validate()...)
	errs = append(errs, o.Services.Validate()...)
	errs = append(errs, o.Kubelet.Validate()...)
	errs = append(errs, o.Aggregation.Validate()...)
	errs = append(errs, o.Compatibility.Validate()...)
	errs = append(errs, o.Generic.Validate()...)
	errs = append(errs, o.Logging.Validate()...)
	return errs
}

// ApplyTo fills c. The generic options go first: the others place files
// under the data directory they create. Authentication goes after serving:
// the admin kubeconfig names the listener's address and the serving CA;
// service accounts after it, adding their tokens to its authenticators;
// the loopback client last.
func (o *Options) ApplyTo(c *server.Config) error {
	for _, apply := range []func(*server.Config) error{o.Generic.ApplyTo, o.Etcd.ApplyTo, o.SecureServing.ApplyTo, o.Authentication.ApplyTo, o.Aggregation.ApplyTo, o.ServiceAccounts.ApplyTo, o.Authorization.ApplyTo, o.Audit.ApplyTo, o.Services.ApplyTo, o.Kubelet.ApplyTo, o.Compatibility.ApplyTo} {
		if err := apply(c); err != nil {
			return err
		}
	}
	// Last: the loopback token goes before every other authenticator.
	return c.SetupLoopback()
}
