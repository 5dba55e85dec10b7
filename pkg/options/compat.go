package options

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/server"
)

// CompatibilityOptions are kube-apiserver flags that tools pass when they
// start it (controller-runtime's envtest, kubeadm's static Pod): they are
// accepted, so that this server drops in, and checked where their value
// has a form; those that have no effect here say so in one log line each.
type CompatibilityOptions struct {
	AdvertiseAddress        net.IP
	ServiceClusterIPRange   string
	ServiceNodePortRange    string
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
	fs.IPVar(&o.AdvertiseAddress, "advertise-address", o.AdvertiseAddress,
		"The address kube-apiserver advertises to the cluster. Accepted for drop-in use; not used yet.")
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange,
		"CIDR (or two, comma-separated, for dual stack) of Service cluster IPs. Accepted and checked; Services are not served yet.")
	fs.StringVar(&o.ServiceNodePortRange, "service-node-port-range", o.ServiceNodePortRange,
		"Range of NodePorts, as 30000-32767. Accepted and checked; Services are not served yet.")
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

// Validate checks the flags whose values have a form.
func (o *CompatibilityOptions) Validate() []error {
	var errs []error
	if o.ServiceClusterIPRange != "" {
		cidrs := strings.Split(o.ServiceClusterIPRange, ",")
		if len(cidrs) > 2 {
			errs = append(errs, fmt.Errorf("--service-cluster-ip-range %q: at most two ranges (one per IP family)", o.ServiceClusterIPRange))
		}
		for _, c := range cidrs {
			if _, _, err := net.ParseCIDR(strings.TrimSpace(c)); err != nil {
				errs = append(errs, fmt.Errorf("--service-cluster-ip-range %q: %q is not a CIDR", o.ServiceClusterIPRange, c))
			}
		}
	}
	if o.ServiceNodePortRange != "" {
		lo, hi, ok := strings.Cut(o.ServiceNodePortRange, "-")
		a, errA := strconv.Atoi(strings.TrimSpace(lo))
		b, errB := strconv.Atoi(strings.TrimSpace(hi))
		if !ok || errA != nil || errB != nil || a < 1 || b > 65535 || a > b {
			errs = append(errs, fmt.Errorf("--service-node-port-range %q: want a range of ports such as 30000-32767", o.ServiceNodePortRange))
		}
	}
	return errs
}

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
