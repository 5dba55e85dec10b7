package options

import (
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/server"
)

// CompatibilityOptions are kube-apiserver flags that tools pass when they
// start it (controller-runtime's envtest, kubeadm's static Pod): they are
// accepted, so that this server drops in, and checked where their value
// has a form; those that have no effect here say so in one log line each.
type CompatibilityOptions struct {
	AllowPrivileged         bool
	EnableAdmissionPlugins  []string
	DisableAdmissionPlugins []string
	AdmissionControl        []string
	// ignored holds the flags of features this server has not (kubelets,
	// the aggregation layer's front proxy, bootstrap tokens).
	ignored map[string]*string

	fs *pflag.FlagSet
}

// ignoredFlags are accepted with any value and have no effect.
var ignoredFlags = []string{
	"enable-bootstrap-token-auth",
	"kubelet-client-certificate", "kubelet-client-key", "kubelet-preferred-address-types", "kubelet-certificate-authority",
	"proxy-client-cert-file", "proxy-client-key-file",
	"requestheader-allowed-names", "requestheader-client-ca-file", "requestheader-extra-headers-prefix",
	"requestheader-group-headers", "requestheader-username-headers",
	"endpoint-reconciler-type", "enable-aggregator-routing", "runtime-config", "feature-gates", "event-ttl",
}

// AddFlags registers the flags with kube-apiserver's names.
func (o *CompatibilityOptions) AddFlags(fs *pflag.FlagSet) {
	o.fs = fs
	fs.BoolVar(&o.AllowPrivileged, "allow-privileged", o.AllowPrivileged,
		"Whether privileged containers are allowed. Accepted; Pods are not served.")
	fs.StringSliceVar(&o.EnableAdmissionPlugins, "enable-admission-plugins", o.EnableAdmissionPlugins,
		"Accepted; the admission chain is fixed (NamespaceLifecycle, Priority, then the RBAC escalation check).")
	fs.StringSliceVar(&o.DisableAdmissionPlugins, "disable-admission-plugins", o.DisableAdmissionPlugins,
		"Accepted; the admission chain is fixed.")
	fs.StringSliceVar(&o.AdmissionControl, "admission-control", o.AdmissionControl,
		"Deprecated in kube-apiserver; accepted, and the admission chain is fixed.")
	o.ignored = map[string]*string{}
	for _, name := range ignoredFlags {
		v := new(string)
		o.ignored[name] = v
		fs.StringVar(v, name, "", "Accepted for drop-in use with kube-apiserver's command line; no effect here.")
	}
	// kube's boolean ones may be given without a value.
	for _, name := range []string{"enable-bootstrap-token-auth", "enable-aggregator-routing"} {
		fs.Lookup(name).NoOptDefVal = "true"
	}
}

// Validate finds nothing wrong: every value is accepted.
func (o *CompatibilityOptions) Validate() []error { return nil }

// ApplyTo logs, once per flag given, that it has no effect here.
func (o *CompatibilityOptions) ApplyTo(*server.Config) error {
	if o.fs == nil {
		return nil
	}
	o.fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			klog.InfoS("Flag accepted for compatibility with kube-apiserver has no effect here", "flag", "--"+f.Name)
		}
	})
	return nil
}
