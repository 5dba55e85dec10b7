package pod

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
)

// restartPolicies a Pod may have, in kube's order.
var restartPolicies = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}

// updatable is kube's list of what a Pod update may change, as its
// message spells it.
const updatable = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`," +
	"`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations)," +
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

var specPath = field.NewPath("spec")

// validateSpec checks a Pod's spec as kube's ValidatePodSpec does for
// what this server checks. The metadata (labels included) is the store's.
func validateSpec(p *corev1.Pod) field.ErrorList {
	// The template's checks, at spec.*: its labels are left empty, as the
	// store has checked the Pod's own.
	errs := core.PodTemplate(&corev1.PodTemplateSpec{Spec: p.Spec}, nil, restartPolicies)
	s := &p.Spec
	names := func(fields ...nameField) {
		for _, f := range fields {
			if f.value != "" {
				errs = append(errs, core.Names(f.check, f.value, specPath.Child(f.name))...)
			}
		}
	}
	// In kube's order.
	names(nameField{s.ServiceAccountName, "serviceAccountName", validation.IsDNS1123Subdomain},
		nameField{s.NodeName, "nodeName", validation.IsDNS1123Subdomain})
	if d := s.ActiveDeadlineSeconds; d != nil && (*d < 1 || *d > math.MaxInt32) {
		errs = append(errs, field.Invalid(specPath.Child("activeDeadlineSeconds"), *d, "must be between 1 and 2147483647, inclusive"))
	}
	names(nameField{s.Hostname, "hostname", validation.IsDNS1123Label},
		nameField{s.Subdomain, "subdomain", validation.IsDNS1123Label},
		nameField{s.PriorityClassName, "priorityClassName", validation.IsDNS1123Subdomain})
	// Checked for Pods only, after the rest, as kube does: a template's
	// image may have surrounding spaces.
	for _, cs := range []struct {
		name string
		list []corev1.Container
	}{{"initContainers", s.InitContainers}, {"containers", s.Containers}} {
		for i, c := range cs.list {
			if strings.TrimSpace(c.Image) != c.Image {
				errs = append(errs, field.Invalid(specPath.Child(cs.name).Index(i).Child("image"), c.Image, "must not have leading or trailing whitespace"))
			}
		}
	}
	return errs
}

// nameField is a name the spec gives, checked as a DNS label or subdomain.
type nameField struct {
	value, name string
	check       func(string) []string
}

func validateCreate(p *corev1.Pod) field.ErrorList {
	errs := validateSpec(p)
	if len(p.Spec.EphemeralContainers) > 0 {
		errs = append(errs, field.Forbidden(specPath.Child("ephemeralContainers"), "cannot be set on create"))
	}
	return errs
}

// validateUpdate checks the new spec, then that it changes only what
// kube lets a Pod update change; anything else is one Forbidden error
// with the difference, as kube reports it.
func validateUpdate(p, old *corev1.Pod) field.ErrorList {
	errs := validateSpec(p)
	if d, o := p.Spec.ActiveDeadlineSeconds, old.Spec.ActiveDeadlineSeconds; o != nil {
		at := specPath.Child("activeDeadlineSeconds")
		switch {
		case d == nil:
			errs = append(errs, field.Invalid(at, "null", "must not update from a positive integer to nil value"))
		case *d > *o:
			errs = append(errs, field.Invalid(at, *d, "must be less than or equal to previous value"))
		}
	}
	errs = append(errs, onlyAddedTolerations(p.Spec.Tolerations, old.Spec.Tolerations, specPath.Child("tolerations"))...)
	munged := p.Spec.DeepCopy()
	for _, pair := range []struct{ new, old []corev1.Container }{
		{munged.Containers, old.Spec.Containers}, {munged.InitContainers, old.Spec.InitContainers},
	} {
		for i := range pair.new {
			if i < len(pair.old) {
				pair.new[i].Image = pair.old[i].Image
			}
		}
	}
	munged.ActiveDeadlineSeconds = old.Spec.ActiveDeadlineSeconds
	munged.Tolerations = old.Spec.Tolerations
	munged.EphemeralContainers = old.Spec.EphemeralContainers
	if g, o := munged.TerminationGracePeriodSeconds, old.Spec.TerminationGracePeriodSeconds; g != nil && o != nil && *o < 0 && *g == 1 {
		munged.TerminationGracePeriodSeconds = o
	}
	// Scheduling gates may only be removed.
	if gatesRemoved(p.Spec.SchedulingGates, old.Spec.SchedulingGates) {
		munged.SchedulingGates = old.Spec.SchedulingGates
	}
	if !reflect.DeepEqual(*munged, old.Spec) {
		errs = append(errs, field.Forbidden(specPath, updatable+"\n"+cmp.Diff(old.Spec, *munged)))
	}
	return errs
}

func gatesRemoved(gates, old []corev1.PodSchedulingGate) bool {
	for _, g := range gates {
		if !slices.Contains(old, g) {
			return false
		}
	}
	return true
}

// onlyAddedTolerations refuses an update that changes an existing
// toleration beyond its tolerationSeconds, as kube.
func onlyAddedTolerations(tolerations, old []corev1.Toleration, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, o := range old {
		found := false
		for _, t := range tolerations {
			o.TolerationSeconds, t.TolerationSeconds = nil, nil
			if reflect.DeepEqual(o, t) {
				found = true
				break
			}
		}
		if !found {
			errs = append(errs, field.Forbidden(fld, "existing toleration can not be modified except its tolerationSeconds"))
			return errs
		}
	}
	return append(errs, core.Tolerations(tolerations, fld, fld)...)
}

// validateStatus checks what a status write sets that clients read back:
// the Pod's and host's addresses.
func validateStatus(s *corev1.PodStatus) field.ErrorList {
	var errs field.ErrorList
	status := field.NewPath("status")
	if s.NominatedNodeName != "" {
		errs = append(errs, core.Names(validation.IsDNS1123Subdomain, s.NominatedNodeName, status.Child("nominatedNodeName"))...)
	}
	ips := func(list []string, fld *field.Path) {
		seen := sets.New[string]()
		for i, ip := range list {
			at := fld.Index(i)
			if _, err := netip.ParseAddr(ip); err != nil {
				errs = append(errs, field.Invalid(at, ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"))
				continue
			}
			if seen.Has(ip) {
				errs = append(errs, field.Duplicate(at, ip))
			}
			seen.Insert(ip)
		}
	}
	var pod, host []string
	for _, ip := range s.PodIPs {
		pod = append(pod, ip.IP)
	}
	for _, ip := range s.HostIPs {
		host = append(host, ip.IP)
	}
	ips(pod, status.Child("podIPs"))
	ips(host, status.Child("hostIPs"))
	return errs
}

// ephemeralForbidden are the Container fields an ephemeral container may
// not set, by their JSON names, in kube's order.
var ephemeralForbidden = []struct {
	name string
	set  func(c *corev1.EphemeralContainer) bool
}{
	{"ports", func(c *corev1.EphemeralContainer) bool { return len(c.Ports) > 0 }},
	{"livenessProbe", func(c *corev1.EphemeralContainer) bool { return c.LivenessProbe != nil }},
	{"readinessProbe", func(c *corev1.EphemeralContainer) bool { return c.ReadinessProbe != nil }},
	{"startupProbe", func(c *corev1.EphemeralContainer) bool { return c.StartupProbe != nil }},
	{"lifecycle", func(c *corev1.EphemeralContainer) bool { return c.Lifecycle != nil }},
	{"resources", func(c *corev1.EphemeralContainer) bool {
		return len(c.Resources.Limits) > 0 || len(c.Resources.Requests) > 0
	}},
}

// validateEphemeralUpdate checks the ephemeral containers of a
// pods/ephemeralcontainers write: each new one is a container without
// ports, probes, lifecycle or resources and with a name no other
// container has; the ones there before stay as they were.
func validateEphemeralUpdate(p, old *corev1.Pod) field.ErrorList {
	var errs field.ErrorList
	fld := specPath.Child("ephemeralContainers")
	names := sets.New[string]()
	for _, c := range p.Spec.Containers {
		names.Insert(c.Name)
	}
	for _, c := range p.Spec.InitContainers {
		names.Insert(c.Name)
	}
	for i := range p.Spec.EphemeralContainers {
		c := &p.Spec.EphemeralContainers[i]
		at := fld.Index(i)
		switch {
		case c.Name == "":
			errs = append(errs, field.Required(at.Child("name"), ""))
		case names.Has(c.Name):
			errs = append(errs, field.Duplicate(at.Child("name"), c.Name))
		default:
			errs = append(errs, core.Names(validation.IsDNS1123Label, c.Name, at.Child("name"))...)
		}
		names.Insert(c.Name)
		if c.Image == "" {
			errs = append(errs, field.Required(at.Child("image"), ""))
		} else if strings.TrimSpace(c.Image) != c.Image {
			errs = append(errs, field.Invalid(at.Child("image"), c.Image, "must not have leading or trailing whitespace"))
		}
		for _, f := range ephemeralForbidden {
			if f.set(c) {
				errs = append(errs, field.Forbidden(at.Child(f.name), "cannot be set for an Ephemeral Container"))
			}
		}
		if t := c.TargetContainerName; t != "" && !slices.ContainsFunc(p.Spec.Containers, func(c corev1.Container) bool { return c.Name == t }) &&
			!slices.ContainsFunc(p.Spec.InitContainers, func(c corev1.Container) bool { return c.Name == t }) {
			errs = append(errs, field.NotFound(at.Child("targetContainerName"), t))
		}
	}
	current := map[string]*corev1.EphemeralContainer{}
	for i := range p.Spec.EphemeralContainers {
		current[p.Spec.EphemeralContainers[i].Name] = &p.Spec.EphemeralContainers[i]
	}
	for i := range old.Spec.EphemeralContainers {
		o := &old.Spec.EphemeralContainers[i]
		c, ok := current[o.Name]
		switch {
		case !ok:
			errs = append(errs, field.Forbidden(fld, fmt.Sprintf("existing ephemeral containers %q may not be removed\n", o.Name)))
		case !reflect.DeepEqual(c, o):
			errs = append(errs, field.Forbidden(fld, fmt.Sprintf("existing ephemeral containers %q may not be changed\n%s", o.Name, cmp.Diff(*o, *c))))
		}
	}
	return errs
}
