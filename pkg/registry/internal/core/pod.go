package core

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Pod defaults of kube-apiserver 1.31.
const (
	defaultTerminationGracePeriod = int64(30)
	defaultSchedulerName          = "default-scheduler"
)

// DefaultPodTemplate sets what kube's defaulting sets on the Pod template
// of a workload: the Pod's restart and DNS policies, scheduler, grace
// period and security context, and each container's pull policy,
// termination message, port protocols and probe timings.
func DefaultPodTemplate(t *corev1.PodTemplateSpec) {
	spec := &t.Spec
	if spec.DNSPolicy == "" {
		spec.DNSPolicy = corev1.DNSClusterFirst
	}
	if spec.RestartPolicy == "" {
		spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if spec.TerminationGracePeriodSeconds == nil {
		grace := defaultTerminationGracePeriod
		spec.TerminationGracePeriodSeconds = &grace
	}
	if spec.SecurityContext == nil {
		spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	if spec.SchedulerName == "" {
		spec.SchedulerName = defaultSchedulerName
	}
	for i := range spec.InitContainers {
		defaultContainer(&spec.InitContainers[i], spec.HostNetwork)
	}
	for i := range spec.Containers {
		defaultContainer(&spec.Containers[i], spec.HostNetwork)
	}
	for i := range spec.Volumes {
		defaultVolume(&spec.Volumes[i])
	}
}

func defaultContainer(c *corev1.Container, hostNetwork bool) {
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = pullPolicy(c.Image)
	}
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	for i := range c.Ports {
		p := &c.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if hostNetwork && p.HostPort == 0 {
			p.HostPort = p.ContainerPort
		}
	}
	for i := range c.Env {
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil && f.FieldRef.APIVersion == "" {
			f.FieldRef.APIVersion = "v1"
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		defaultProbe(p)
	}
}

// pullPolicy is Always for the latest tag (or none), IfNotPresent for
// another tag or a digest, as kube.
func pullPolicy(image string) corev1.PullPolicy {
	if strings.Contains(image, "@") {
		return corev1.PullIfNotPresent
	}
	name := image[strings.LastIndex(image, "/")+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 && name[i+1:] != "latest" {
		return corev1.PullIfNotPresent
	}
	return corev1.PullAlways
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	for _, v := range []struct {
		f   *int32
		def int32
	}{{&p.TimeoutSeconds, 1}, {&p.PeriodSeconds, 10}, {&p.SuccessThreshold, 1}, {&p.FailureThreshold, 3}} {
		if *v.f == 0 {
			*v.f = v.def
		}
	}
	if h := p.HTTPGet; h != nil && h.Scheme == "" {
		h.Scheme = corev1.URISchemeHTTP
	}
}

func defaultVolume(v *corev1.Volume) {
	mode := corev1.SecretVolumeSourceDefaultMode
	switch {
	case v.Secret != nil && v.Secret.DefaultMode == nil:
		v.Secret.DefaultMode = &mode
	case v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil:
		v.ConfigMap.DefaultMode = &mode
	case v.Projected != nil && v.Projected.DefaultMode == nil:
		v.Projected.DefaultMode = &mode
	case v.DownwardAPI != nil && v.DownwardAPI.DefaultMode == nil:
		v.DownwardAPI.DefaultMode = &mode
	case v.HostPath != nil && v.HostPath.Type == nil:
		unset := corev1.HostPathUnset
		v.HostPath.Type = &unset
	case v.EmptyDir == nil && v.VolumeSource == (corev1.VolumeSource{}):
		v.EmptyDir = &corev1.EmptyDirVolumeSource{}
	}
}

// PodTemplate validates a workload's Pod template at fld, as kube's
// ValidatePodTemplateSpec does for what this server checks: labels, the
// containers (names, images, ports, environment, resources, policies),
// volumes' names, and a restart policy among restartPolicies (nil: the
// caller checks it, as Jobs do with a message of their own).
func PodTemplate(t *corev1.PodTemplateSpec, fld *field.Path, restartPolicies []corev1.RestartPolicy) field.ErrorList {
	errs := metav1validation.ValidateLabels(t.Labels, fld.Child("metadata", "labels"))
	spec := fld.Child("spec")
	volumes := sets.New[string]()
	for i, v := range t.Spec.Volumes {
		at := spec.Child("volumes").Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(at.Child("name"), ""))
		case volumes.Has(v.Name):
			errs = append(errs, field.Duplicate(at.Child("name"), v.Name))
		default:
			errs = append(errs, Names(validation.IsDNS1123Label, v.Name, at.Child("name"))...)
		}
		volumes.Insert(v.Name)
	}
	names := sets.New[string]()
	for i := range t.Spec.InitContainers {
		errs = append(errs, container(&t.Spec.InitContainers[i], spec.Child("initContainers").Index(i))...)
	}
	if len(t.Spec.Containers) == 0 {
		errs = append(errs, field.Required(spec.Child("containers"), ""))
	}
	for i := range t.Spec.Containers {
		errs = append(errs, container(&t.Spec.Containers[i], spec.Child("containers").Index(i))...)
	}
	// Duplicate names come after each container's own errors, as kube
	// reports them.
	for i, c := range t.Spec.InitContainers {
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(spec.Child("initContainers").Index(i).Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	for i, c := range t.Spec.Containers {
		if names.Has(c.Name) {
			errs = append(errs, field.Duplicate(spec.Child("containers").Index(i).Child("name"), c.Name))
		}
		names.Insert(c.Name)
	}
	if restartPolicies != nil && !slices.Contains(restartPolicies, t.Spec.RestartPolicy) {
		errs = append(errs, field.NotSupported(spec.Child("restartPolicy"), t.Spec.RestartPolicy, restartPolicies))
	}
	dns := []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone}
	if !slices.Contains(dns, t.Spec.DNSPolicy) {
		errs = append(errs, field.NotSupported(spec.Child("dnsPolicy"), t.Spec.DNSPolicy, dns))
	}
	if g := t.Spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		errs = append(errs, field.Invalid(spec.Child("terminationGracePeriodSeconds"), *g, "must be greater than or equal to 0"))
	}
	errs = append(errs, NodeSelector(t.Spec.NodeSelector, spec.Child("nodeSelector"))...)
	return append(errs, Tolerations(t.Spec.Tolerations, spec.Child("tolerations"), spec.Child("tolerations"))...)
}

func container(c *corev1.Container, fld *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Name == "" {
		errs = append(errs, field.Required(fld.Child("name"), ""))
	} else {
		errs = append(errs, Names(validation.IsDNS1123Label, c.Name, fld.Child("name"))...)
	}
	if c.Image == "" {
		errs = append(errs, field.Required(fld.Child("image"), ""))
	}
	ports := sets.New[string]()
	for i, p := range c.Ports {
		at := fld.Child("ports").Index(i)
		if p.Name != "" {
			errs = append(errs, Names(validation.IsValidPortName, p.Name, at.Child("name"))...)
			if ports.Has(p.Name) {
				errs = append(errs, field.Duplicate(at.Child("name"), p.Name))
			}
			ports.Insert(p.Name)
		}
		if p.ContainerPort == 0 {
			errs = append(errs, field.Required(at.Child("containerPort"), ""))
		} else {
			for _, msg := range validation.IsValidPortNum(int(p.ContainerPort)) {
				errs = append(errs, field.Invalid(at.Child("containerPort"), p.ContainerPort, msg))
			}
		}
		if p.HostPort != 0 {
			for _, msg := range validation.IsValidPortNum(int(p.HostPort)) {
				errs = append(errs, field.Invalid(at.Child("hostPort"), p.HostPort, msg))
			}
		}
		if p.Protocol == "" {
			errs = append(errs, field.Required(at.Child("protocol"), ""))
		} else if !slices.Contains(Protocols, p.Protocol) {
			errs = append(errs, field.NotSupported(at.Child("protocol"), p.Protocol, Protocols))
		}
	}
	for i, e := range c.Env {
		at := fld.Child("env").Index(i).Child("name")
		if e.Name == "" {
			errs = append(errs, field.Required(at, ""))
		} else {
			errs = append(errs, Names(validation.IsEnvVarName, e.Name, at)...)
		}
	}
	errs = append(errs, ContainerResources(c.Resources.Limits, fld.Child("resources", "limits"))...)
	errs = append(errs, ContainerResources(c.Resources.Requests, fld.Child("resources", "requests"))...)
	for name, req := range c.Resources.Requests {
		if lim, ok := c.Resources.Limits[name]; ok && req.Cmp(lim) > 0 {
			errs = append(errs, field.Invalid(fld.Child("resources", "requests").Key(string(name)), req.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, lim.String())))
		}
	}
	pulls := []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}
	if !slices.Contains(pulls, c.ImagePullPolicy) {
		errs = append(errs, field.NotSupported(fld.Child("imagePullPolicy"), c.ImagePullPolicy, pulls))
	}
	msgs := []corev1.TerminationMessagePolicy{corev1.TerminationMessageFallbackToLogsOnError, corev1.TerminationMessageReadFile}
	if !slices.Contains(msgs, c.TerminationMessagePolicy) {
		errs = append(errs, field.NotSupported(fld.Child("terminationMessagePolicy"), c.TerminationMessagePolicy, msgs))
	}
	return errs
}
