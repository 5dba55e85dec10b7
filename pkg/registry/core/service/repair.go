package service

import (
	"context"
	"errors"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/registry/core/service/allocator"
)

// RepairInterval is how often each replica reconciles what is taken with
// what Services hold.
const RepairInterval = 3 * time.Minute

// Repair keeps the values taken equal to those Services hold, as kube's
// repair controllers keep its allocation bitmaps: a value taken for a
// write that never happened (a replica died between the two) is freed,
// once it has been taken with no Service holding it for a whole interval
// (a write may be under way); a value a Service holds that is not taken
// (data restored from a backup) is taken for it. Several replicas may
// repair at once: a value is freed only as it was read.
type Repair struct {
	Allocators *Allocators
	// List reads every Service, afresh.
	List func(ctx context.Context) ([]corev1.Service, error)
	// since is the revision of the previous pass's reading of the claims.
	since int64
}

// Run repairs at once, then every RepairInterval, until ctx ends.
func (r *Repair) Run(ctx context.Context) {
	t := time.NewTicker(RepairInterval)
	defer t.Stop()
	for {
		if err := r.Once(ctx); err != nil && ctx.Err() == nil {
			klog.ErrorS(err, "Repairing Service allocations failed; retrying at the next interval")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// claimSet is one range's claims, as a repair reads and fixes them.
type claimSet struct {
	list func(context.Context) ([]allocator.Claim, int64, error)
	drop func(context.Context, allocator.Claim) error
	take func(ctx context.Context, value, holder string) error
	// wanted maps each value to the Service that holds it.
	wanted map[string]string
}

// Once is one pass.
func (r *Repair) Once(ctx context.Context) error {
	sets := make([]*claimSet, 0, len(r.Allocators.IPs)+1)
	for _, rg := range r.Allocators.IPs {
		sets = append(sets, &claimSet{list: rg.List, drop: rg.Drop, take: rg.Take, wanted: map[string]string{}})
	}
	ports := r.Allocators.Ports
	sets = append(sets, &claimSet{list: ports.List, drop: ports.Drop, wanted: map[string]string{},
		take: func(ctx context.Context, v, holder string) error {
			p, _ := strconv.Atoi(v)
			return ports.Take(ctx, int32(p), holder)
		}})
	// The claims are read before the Services: a claim then missing from
	// the Services is not one whose Service was written in between.
	claims := make([][]allocator.Claim, len(sets))
	var rev int64
	for i, set := range sets {
		c, at, err := set.list(ctx)
		if err != nil {
			return err
		}
		claims[i] = c
		if i == 0 {
			rev = at
		}
	}
	services, err := r.List(ctx)
	if err != nil {
		return err
	}
	for i := range services {
		s := &services[i]
		holder := Holder(s)
		for _, ip := range heldIPs(s) {
			for j, rg := range r.Allocators.IPs {
				if rg.Contains(ip) {
					sets[j].wanted[ip] = holder
				}
			}
		}
		for _, p := range heldPorts(s) {
			if ports.Contains(p) {
				sets[len(sets)-1].wanted[strconv.Itoa(int(p))] = holder
			}
		}
	}
	var errs []error
	for i, set := range sets {
		have := map[string]bool{}
		for _, c := range claims[i] {
			have[c.Value] = true
			if set.wanted[c.Value] == c.Holder {
				continue
			}
			if r.since != 0 && c.ModRevision < r.since {
				klog.InfoS("Freeing a Service value no Service holds", "value", c.Value, "holder", c.Holder)
				errs = append(errs, set.drop(ctx, c))
			}
		}
		for _, v := range sortedKeys(set.wanted) {
			if have[v] {
				continue
			}
			err := set.take(ctx, v, set.wanted[v])
			if errors.Is(err, allocator.ErrTaken) {
				klog.ErrorS(err, "A value is held by two Services", "value", v, "holder", set.wanted[v])
				continue
			}
			errs = append(errs, err)
		}
	}
	r.since = rev
	return errors.Join(errs...)
}
