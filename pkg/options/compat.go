package options

import (
	"fmt"
	"slices"
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
	AllowPrivileged         bool
	EnableAdmissionPlugins  []string
	DisableAdmissionPlugins []string
	AdmissionControl        []string
	// ignored holds the flags of features this server has not (bootstrap
	// tokens, runtime configuration, feature gates).
	ignored map[string]*string

	fs *pflag.FlagSet
}

// ignoredFlags are accepted with any value and have no effect.
var ignoredFlags = []string{
	"enable-bootstrap-token-auth",
	"endpoint-reconciler-type", "runtime-config", "feature-gates", "event-ttl",
}

// AddFlags registers the flags with kube-apiserver's names.
func (o *CompatibilityOptions) AddFlags(fs *pflag.FlagSet) {
	o.fs = fs
	fs.BoolVar(&o.AllowPrivileged, "allow-privileged", o.AllowPrivileged,
		"If true, allow privileged containers. Accepted; no effect here (no kubelet runs containers).")
	fs.StringSliceVar(&o.EnableAdmissionPlugins, "enable-admission-plugins", o.EnableAdmissionPlugins,
		"admission plugins that should be enabled in addition to default enabled ones ("+strings.Join(servedPlugins, ", ")+"). "+
			"kube-apiserver's other plugin names are accepted and have no effect here.")
	fs.StringSliceVar(&o.DisableAdmissionPlugins, "disable-admission-plugins", o.DisableAdmissionPlugins,
		"admission plugins that should be disabled although they are in the default enabled plugins list ("+strings.Join(servedPlugins, ", ")+").")
	fs.StringSliceVar(&o.AdmissionControl, "admission-control", o.AdmissionControl,
		"Admission is divided into two phases. Deprecated in kube-apiserver: use --enable-admission-plugins or --disable-admission-plugins instead. "+
			"When given, the served plugins it does not name are disabled.")
	o.ignored = map[string]*string{}
	for _, name := range ignoredFlags {
		v := new(string)
		o.ignored[name] = v
		fs.StringVar(v, name, "", "Accepted for drop-in use with kube-apiserver's command line; no effect here.")
	}
	// kube's boolean ones may be given without a value.
	for _, name := range []string{"enable-bootstrap-token-auth"} {
		fs.Lookup(name).NoOptDefVal = "true"
	}
}

// servedPlugins are kube-apiserver's admission plugins this server runs,
// in its order; they are on by default.
var servedPlugins = []string{"NamespaceLifecycle", "LimitRanger", "ServiceAccount", "Priority", "DefaultTolerationSeconds", "RuntimeClass",
	"MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota"}

// knownPlugins are kube-apiserver 1.31's other admission plugins: named in
// a list, they are accepted (kubeadm enables NodeRestriction) and do
// nothing here.
var knownPlugins = []string{
	"AlwaysAdmit", "AlwaysDeny", "AlwaysPullImages", "CertificateApproval", "CertificateSigning",
	"CertificateSubjectRestriction", "ClusterTrustBundleAttest", "DefaultIngressClass", "DefaultStorageClass",
	"DenyServiceExternalIPs", "EventRateLimit", "ExtendedResourceToleration", "ImagePolicyWebhook",
	"LimitPodHardAntiAffinityTopology", "NamespaceAutoProvision",
	"NamespaceExists", "NodeRestriction", "OwnerReferencesPermissionEnforcement", "PersistentVolumeClaimResize",
	"PersistentVolumeLabel", "PodNodeSelector", "PodSecurity", "PodTolerationRestriction",
	"StorageObjectInUseProtection", "TaintNodesByCondition",
}

// Validate refuses a plugin name kube-apiserver does not know, and one
// both enabled and disabled, with kube's messages.
func (o *CompatibilityOptions) Validate() []error {
	var errs []error
	for _, list := range []struct {
		flag  string
		names []string
	}{{"enable-admission-plugins", o.EnableAdmissionPlugins}, {"disable-admission-plugins", o.DisableAdmissionPlugins}, {"admission-control", o.AdmissionControl}} {
		for _, n := range list.names {
			if !slices.Contains(servedPlugins, n) && !slices.Contains(knownPlugins, n) {
				errs = append(errs, fmt.Errorf("%s plugin %q is unknown", list.flag, n))
			}
		}
	}
	for _, n := range o.EnableAdmissionPlugins {
		if slices.Contains(o.DisableAdmissionPlugins, n) {
			errs = append(errs, fmt.Errorf("%v in enable-admission-plugins and disable-admission-plugins overlapped", n))
		}
	}
	return errs
}

// ApplyTo disables the served plugins the flags turn off, and logs, once
// per other flag given, that it has no effect here.
func (o *CompatibilityOptions) ApplyTo(c *server.Config) error {
	for _, n := range servedPlugins {
		off := slices.Contains(o.DisableAdmissionPlugins, n) ||
			(len(o.AdmissionControl) > 0 && !slices.Contains(o.AdmissionControl, n))
		if off {
			c.DisabledAdmissionPlugins = append(c.DisabledAdmissionPlugins, n)
		}
	}
	if len(c.DisabledAdmissionPlugins) > 0 {
		klog.InfoS("Admission plugins disabled", "plugins", c.DisabledAdmissionPlugins)
	}
	for _, n := range append(slices.Clone(o.EnableAdmissionPlugins), o.AdmissionControl...) {
		if !slices.Contains(servedPlugins, n) {
			klog.InfoS("Admission plugin accepted for compatibility with kube-apiserver has no effect here", "plugin", n)
		}
	}
	if o.fs == nil {
		return nil
	}
	o.fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed && o.ignored[f.Name] != nil || f.Changed && f.Name == "allow-privileged" {
			klog.InfoS("Flag accepted for compatibility with kube-apiserver has no effect here", "flag", "--"+f.Name)
		}
	})
	return nil
}
