package service

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/registry/core/service/allocator"
)

// Holder names the Service that holds a value: namespace, name and UID,
// so that a later Service of the same name is another holder.
func Holder(s *corev1.Service) string {
	return s.Namespace + "/" + s.Name + "/" + string(s.UID)
}

// Reserve checks the cluster IP fields, settles the IP families and
// policy, and takes the cluster IPs and node ports s needs beyond those
// old held.
func (st Strategy) Reserve(ctx context.Context, obj, old runtime.Object, dryRun bool) (func(), field.ErrorList, error) {
	s := obj.(*corev1.Service)
	var o *corev1.Service
	if old != nil {
		o = old.(*corev1.Service)
	}
	if errs := validateClusterIPs(s); len(errs) > 0 {
		return nil, errs, nil
	}
	if o != nil {
		if errs := validateUpdate(s, o); len(errs) > 0 {
			return nil, errs, nil
		}
	}
	if st.alloc == nil {
		return nil, nil, nil
	}
	r := &reservation{alloc: st.alloc, holder: Holder(s), dryRun: dryRun}
	errs, err := r.clusterIPs(ctx, s, o)
	if err == nil && len(errs) == 0 {
		errs, err = r.nodePorts(ctx, s, o)
	}
	if err != nil || len(errs) > 0 {
		r.undo(ctx)
		return nil, errs, err
	}
	return func() { r.undo(ctx) }, nil, nil
}

// Release gives back what old held and obj (nil once deleted) does not.
func (st Strategy) Release(ctx context.Context, obj, old runtime.Object) {
	if st.alloc == nil {
		return
	}
	o := old.(*corev1.Service)
	var keepIPs []string
	var keepPorts []int32
	if obj != nil {
		s := obj.(*corev1.Service)
		keepIPs, keepPorts = heldIPs(s), heldPorts(s)
	}
	holder := Holder(o)
	for _, ip := range heldIPs(o) {
		if !slices.Contains(keepIPs, ip) {
			if r := st.alloc.rangeOf(ip); r != nil {
				logGive(r.Give(ctx, ip, holder), "clusterIP", ip, o)
			}
		}
	}
	for _, p := range heldPorts(o) {
		if !slices.Contains(keepPorts, p) && st.alloc.Ports.Contains(p) {
			logGive(st.alloc.Ports.Give(ctx, p, holder), "nodePort", p, o)
		}
	}
}

func logGive(err error, what string, value any, s *corev1.Service) {
	if err != nil {
		// The repair loop frees it later.
		klog.ErrorS(err, "Freeing a Service's value failed", what, value, "namespace", s.Namespace, "name", s.Name)
	}
}

// heldIPs are the cluster IPs s holds.
func heldIPs(s *corev1.Service) []string {
	if !needsClusterIP(s) || headless(s) {
		return nil
	}
	return s.Spec.ClusterIPs
}

// heldPorts are the node ports s holds.
func heldPorts(s *corev1.Service) []int32 {
	var out []int32
	if needsNodePorts(s) {
		for _, p := range s.Spec.Ports {
			if p.NodePort != 0 && !slices.Contains(out, p.NodePort) {
				out = append(out, p.NodePort)
			}
		}
	}
	if needsHealthCheckNodePort(s) && s.Spec.HealthCheckNodePort != 0 {
		out = append(out, s.Spec.HealthCheckNodePort)
	}
	return out
}

// rangeOf returns the range ip is of, if any.
func (a *Allocators) rangeOf(ip string) *allocator.IPRange {
	for _, r := range a.IPs {
		if r.Contains(ip) {
			return r
		}
	}
	return nil
}

// rangeFor returns the range of family f, if configured.
func (a *Allocators) rangeFor(f corev1.IPFamily) *allocator.IPRange {
	for _, r := range a.IPs {
		if r.Family() == string(f) {
			return r
		}
	}
	return nil
}

// reservation is what one write took, to give back when it fails.
type reservation struct {
	alloc  *Allocators
	holder string
	dryRun bool
	ips    []string
	ports  []int32
}

func (r *reservation) undo(ctx context.Context) {
	for _, ip := range r.ips {
		if rg := r.alloc.rangeOf(ip); rg != nil {
			if err := rg.Give(ctx, ip, r.holder); err != nil {
				klog.ErrorS(err, "Giving back a cluster IP failed", "clusterIP", ip)
			}
		}
	}
	for _, p := range r.ports {
		if err := r.alloc.Ports.Give(ctx, p, r.holder); err != nil {
			klog.ErrorS(err, "Giving back a node port failed", "nodePort", p)
		}
	}
	r.ips, r.ports = nil, nil
}

func familyOfIP(ip string) corev1.IPFamily {
	if a, ok := allocator.ParseIP(ip); ok && a.Is6() {
		return corev1.IPv6Protocol
	}
	return corev1.IPv4Protocol
}

// families settles spec.ipFamilyPolicy and spec.ipFamilies as kube does:
// the families of the cluster IPs given, then those asked for, then the
// cluster's primary one; a second family for a dual-stack policy on a
// dual-stack cluster.
func (r *reservation) families(s *corev1.Service) field.ErrorList {
	spec := &s.Spec
	dual := len(r.alloc.IPs) == 2
	var fams []corev1.IPFamily
	if !headless(s) {
		for i, ip := range spec.ClusterIPs {
			f := familyOfIP(ip)
			if i < len(spec.IPFamilies) && spec.IPFamilies[i] != f {
				return field.ErrorList{field.Invalid(clusterIPsPath.Index(i), ip, fmt.Sprintf("expected an %s value as indicated by `ipFamilies[%d]`", spec.IPFamilies[i], i))}
			}
			if r.alloc.rangeFor(f) == nil {
				return field.ErrorList{field.Invalid(clusterIPsPath.Index(i), goStrings(spec.ClusterIPs), fmt.Sprintf("%s is not configured on this cluster", f))}
			}
			fams = append(fams, f)
		}
	}
	if len(spec.IPFamilies) > len(fams) {
		fams = append(fams, spec.IPFamilies[len(fams):]...)
	}
	policy := corev1.IPFamilyPolicySingleStack
	// A headless Service without a selector has its endpoints written by
	// someone else, of any family: kube gives it both, whatever the
	// cluster's.
	selectorless := headless(s) && len(spec.Selector) == 0
	if spec.IPFamilyPolicy != nil {
		policy = *spec.IPFamilyPolicy
	} else if selectorless {
		policy = corev1.IPFamilyPolicyRequireDualStack
	}
	if policy == corev1.IPFamilyPolicySingleStack && len(fams) > 1 {
		return field.ErrorList{field.Invalid(familyPolicy, policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified")}
	}
	if selectorless {
		dual = true
	}
	if policy == corev1.IPFamilyPolicyRequireDualStack && !dual {
		return field.ErrorList{field.Invalid(familyPolicy, policy, "this cluster is not configured for dual-stack services")}
	}
	if len(fams) == 0 {
		fams = []corev1.IPFamily{corev1.IPFamily(r.alloc.IPs[0].Family())}
	}
	var errs field.ErrorList
	for i, f := range fams {
		if r.alloc.rangeFor(f) == nil && !selectorless {
			errs = append(errs, field.Invalid(ipFamiliesPath.Index(i), f, "not configured on this cluster"))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if policy != corev1.IPFamilyPolicySingleStack && dual && len(fams) == 1 {
		other := corev1.IPv4Protocol
		if fams[0] == corev1.IPv4Protocol {
			other = corev1.IPv6Protocol
		}
		fams = append(fams, other)
	}
	spec.IPFamilies = fams
	spec.IPFamilyPolicy = &policy
	return nil
}

// clusterIPs takes the cluster IPs s needs and o does not hold.
func (r *reservation) clusterIPs(ctx context.Context, s, o *corev1.Service) (field.ErrorList, error) {
	spec := &s.Spec
	if !needsClusterIP(s) {
		spec.IPFamilies, spec.IPFamilyPolicy = nil, nil
		return nil, nil
	}
	if o != nil && spec.IPFamilyPolicy != nil && *spec.IPFamilyPolicy == corev1.IPFamilyPolicySingleStack {
		// A downgrade to one family drops the second.
		if len(spec.ClusterIPs) == 2 && slicesEqual(spec.ClusterIPs, o.Spec.ClusterIPs) {
			spec.ClusterIPs = spec.ClusterIPs[:1]
		}
		if len(spec.IPFamilies) == 2 && slicesEqual(familyStrings(spec.IPFamilies), familyStrings(o.Spec.IPFamilies)) {
			spec.IPFamilies = spec.IPFamilies[:1]
		}
	}
	if errs := r.families(s); len(errs) > 0 {
		return errs, nil
	}
	if headless(s) {
		spec.ClusterIP, spec.ClusterIPs = corev1.ClusterIPNone, []string{corev1.ClusterIPNone}
		return nil, nil
	}
	var old []string
	if o != nil {
		old = heldIPs(o)
	}
	ips := slices.Clone(spec.ClusterIPs)
	for i, f := range spec.IPFamilies {
		rg := r.alloc.rangeFor(f)
		if i < len(ips) {
			ip := ips[i]
			if slices.Contains(old, ip) {
				continue
			}
			var err error
			if r.dryRun {
				err = rg.Check(ctx, ip)
			} else if err = rg.Take(ctx, ip, r.holder); err == nil {
				r.ips = append(r.ips, ip)
			}
			switch {
			case errors.Is(err, allocator.ErrTaken):
				return field.ErrorList{field.Invalid(clusterIPsPath, goStrings(spec.ClusterIPs), fmt.Sprintf("failed to allocate IP %s: provided IP is already allocated", ip))}, nil
			case allocator.IsNotInRange(err):
				return field.ErrorList{field.Invalid(clusterIPsPath, goStrings(spec.ClusterIPs), fmt.Sprintf("failed to allocate IP %s: %v", ip, err))}, nil
			case err != nil:
				return nil, err
			}
			continue
		}
		var ip string
		var err error
		if r.dryRun {
			ip, err = rg.Peek(ctx)
		} else if ip, err = rg.Next(ctx, r.holder); err == nil {
			r.ips = append(r.ips, ip)
		}
		if err != nil {
			return nil, fmt.Errorf("failed to allocate a serviceIP: %w", err)
		}
		ips = append(ips, ip)
	}
	spec.ClusterIPs = ips
	spec.ClusterIP = ips[0]
	return nil, nil
}

// nodePorts takes the node ports s needs and o does not hold. Ports with
// the same number and different protocols share one node port, as kube.
func (r *reservation) nodePorts(ctx context.Context, s, o *corev1.Service) (field.ErrorList, error) {
	var old []int32
	if o != nil {
		old = heldPorts(o)
	}
	used := map[int32]map[corev1.Protocol]bool{}
	use := func(np int32, proto corev1.Protocol) {
		if used[np] == nil {
			used[np] = map[corev1.Protocol]bool{}
		}
		used[np][proto] = true
	}
	take := func(np int32, fld *field.Path) (field.ErrorList, error) {
		if slices.Contains(old, np) || used[np] != nil {
			return nil, nil
		}
		var err error
		if r.dryRun {
			err = r.alloc.Ports.Check(ctx, np)
		} else if err = r.alloc.Ports.Take(ctx, np, r.holder); err == nil {
			r.ports = append(r.ports, np)
		}
		switch {
		case errors.Is(err, allocator.ErrTaken):
			return field.ErrorList{field.Invalid(fld, np, "provided port is already allocated")}, nil
		case allocator.IsNotInRange(err):
			return field.ErrorList{field.Invalid(fld, np, err.Error())}, nil
		}
		return nil, err
	}
	next := func() (int32, error) {
		var np int32
		var err error
		if r.dryRun {
			np, err = r.alloc.Ports.Peek(ctx)
		} else if np, err = r.alloc.Ports.Next(ctx, r.holder); err == nil {
			r.ports = append(r.ports, np)
		}
		if err != nil {
			return 0, fmt.Errorf("failed to allocate a nodePort: %w", err)
		}
		return np, nil
	}
	if needsNodePorts(s) {
		byPort := map[int32]int32{}
		for i := range s.Spec.Ports {
			p := &s.Spec.Ports[i]
			fld := specPath.Child("ports").Index(i).Child("nodePort")
			if p.NodePort != 0 {
				if used[p.NodePort][p.Protocol] {
					return field.ErrorList{field.Invalid(fld, p.NodePort, "provided port is already allocated")}, nil
				}
				if errs, err := take(p.NodePort, fld); err != nil || len(errs) > 0 {
					return errs, err
				}
			} else if np, ok := byPort[p.Port]; ok && !used[np][p.Protocol] {
				p.NodePort = np
			} else {
				np, err := next()
				if err != nil {
					return nil, err
				}
				p.NodePort = np
			}
			byPort[p.Port] = p.NodePort
			use(p.NodePort, p.Protocol)
		}
	}
	if needsHealthCheckNodePort(s) {
		fld := specPath.Child("healthCheckNodePort")
		if np := s.Spec.HealthCheckNodePort; np != 0 {
			if used[np] != nil {
				return field.ErrorList{field.Invalid(fld, np, "provided port is already allocated")}, nil
			}
			return take(np, fld)
		}
		np, err := next()
		if err != nil {
			return nil, err
		}
		s.Spec.HealthCheckNodePort = np
	}
	return nil, nil
}
