package allocator

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// ErrFull: every value of the range is held.
var ErrFull = errors.New("range is full")

// errNotInRange: a value asked for lies outside the range; the message is
// kube-apiserver's, which names the range.
type errNotInRange struct{ msg string }

func (e errNotInRange) Error() string { return e.msg }

// IsNotInRange reports whether err is a value outside its range.
func IsNotInRange(err error) bool { return errors.As(err, new(errNotInRange)) }

// tries is how many random values are tried before the range is listed:
// with a range mostly free the first one is taken.
const tries = 4

// offsets is a range of size integers handed out by claims.
type offsets struct {
	claims claims
	size   int64
	// first is the lowest offset handed out when none is asked for.
	first int64
	// name prints an offset as its value.
	name func(int64) string
}

// next takes a free offset at random, for holder.
func (o offsets) next(ctx context.Context, holder string) (string, error) {
	if o.size <= o.first {
		return "", ErrFull
	}
	for range tries {
		v := o.name(o.first + rand.Int64N(o.size-o.first))
		switch err := o.claims.take(ctx, v, holder, false); {
		case err == nil:
			return v, nil
		case !errors.Is(err, ErrTaken):
			return "", err
		}
	}
	// Crowded: pick among the values no one holds.
	held, _, err := o.claims.list(ctx)
	if err != nil {
		return "", err
	}
	taken := make(map[string]bool, len(held))
	for _, c := range held {
		taken[c.Value] = true
	}
	start := rand.Int64N(o.size - o.first)
	for i := range o.size - o.first {
		v := o.name(o.first + (start+i)%(o.size-o.first))
		if taken[v] {
			continue
		}
		switch err := o.claims.take(ctx, v, holder, false); {
		case err == nil:
			return v, nil
		case !errors.Is(err, ErrTaken):
			return "", err
		}
	}
	return "", ErrFull
}

// peek returns a free offset at random, taking nothing (dry run).
func (o offsets) peek(ctx context.Context) (string, error) {
	if o.size <= o.first {
		return "", ErrFull
	}
	for range tries {
		v := o.name(o.first + rand.Int64N(o.size-o.first))
		held, err := o.claims.held(ctx, v)
		if err != nil || !held {
			return v, err
		}
	}
	held, _, err := o.claims.list(ctx)
	if err != nil {
		return "", err
	}
	taken := make(map[string]bool, len(held))
	for _, c := range held {
		taken[c.Value] = true
	}
	for i := o.first; i < o.size; i++ {
		if v := o.name(i); !taken[v] {
			return v, nil
		}
	}
	return "", ErrFull
}

// IPRange hands out the IPs of one CIDR: never its network address, nor
// the broadcast address of an IPv4 one, nor (when picking) the first
// address, which is the kubernetes Service's.
type IPRange struct {
	CIDR    netip.Prefix
	offsets offsets
}

// NewIPRange serves cidr, with its claims under prefix in etcd.
func NewIPRange(client *clientv3.Client, prefix string, cidr netip.Prefix) *IPRange {
	cidr = cidr.Masked()
	bits := cidr.Addr().BitLen() - cidr.Bits()
	size := int64(1) << min(bits, 62)
	if cidr.Addr().Is4() && bits > 1 {
		size-- // the broadcast address
	}
	r := &IPRange{CIDR: cidr}
	base := new(big.Int).SetBytes(cidr.Addr().AsSlice())
	r.offsets = offsets{
		claims: claims{client: client, prefix: prefix + "/" + familyOf(cidr.Addr()) + "/"},
		size:   size,
		first:  2, // the network address and the first one are not handed out
		name: func(off int64) string {
			b := new(big.Int).Add(base, big.NewInt(off)).FillBytes(make([]byte, cidr.Addr().BitLen()/8))
			a, _ := netip.AddrFromSlice(b)
			return a.String()
		},
	}
	return r
}

func familyOf(a netip.Addr) string {
	if a.Is4() {
		return "IPv4"
	}
	return "IPv6"
}

// Family is "IPv4" or "IPv6".
func (r *IPRange) Family() string { return familyOf(r.CIDR.Addr()) }

// First returns the first address after the network address, the
// kubernetes Service's.
func (r *IPRange) First() string { return r.offsets.name(1) }

// Next takes a free IP for holder.
func (r *IPRange) Next(ctx context.Context, holder string) (string, error) {
	return r.offsets.next(ctx, holder)
}

// Peek returns an IP Next could take, taking nothing (dry run).
func (r *IPRange) Peek(ctx context.Context) (string, error) { return r.offsets.peek(ctx) }

// Take takes ip for holder; holder may take it again.
func (r *IPRange) Take(ctx context.Context, ip, holder string) error {
	if err := r.check(ip); err != nil {
		return err
	}
	return r.offsets.claims.take(ctx, canonicalIP(ip), holder, true)
}

// Check says whether ip could be taken (dry run).
func (r *IPRange) Check(ctx context.Context, ip string) error {
	if err := r.check(ip); err != nil {
		return err
	}
	held, err := r.offsets.claims.held(ctx, canonicalIP(ip))
	if err == nil && held {
		return ErrTaken
	}
	return err
}

// Give frees ip if holder holds it.
func (r *IPRange) Give(ctx context.Context, ip, holder string) error {
	return r.offsets.claims.give(ctx, canonicalIP(ip), holder)
}

func (r *IPRange) check(ip string) error {
	a, err := netip.ParseAddr(ip)
	notIn := errNotInRange{fmt.Sprintf("the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, r.CIDR)}
	if err != nil || !r.CIDR.Contains(a) {
		return notIn
	}
	a = a.Unmap()
	if a == r.CIDR.Addr() || (a.Is4() && r.CIDR.Bits() < 31 && a == lastOf(r.CIDR)) {
		return notIn
	}
	return nil
}

func lastOf(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	host := len(b)*8 - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func canonicalIP(ip string) string {
	if a, err := netip.ParseAddr(ip); err == nil {
		return a.Unmap().String()
	}
	return ip
}

// ParseIP is net.ParseIP's leniency with netip's types: the forms
// kube-apiserver accepts in clusterIPs.
func ParseIP(s string) (netip.Addr, bool) {
	ip := net.ParseIP(s)
	if ip == nil {
		return netip.Addr{}, false
	}
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok
}

// PortRange hands out the ports of Base..Base+Size-1.
type PortRange struct {
	Base, Size int
	offsets    offsets
}

// NewPortRange serves base..base+size-1, with its claims under prefix.
func NewPortRange(client *clientv3.Client, prefix string, base, size int) *PortRange {
	return &PortRange{Base: base, Size: size, offsets: offsets{
		claims: claims{client: client, prefix: prefix + "/"},
		size:   int64(size),
		name:   func(off int64) string { return strconv.Itoa(base + int(off)) },
	}}
}

// String prints the range as the flag takes it.
func (r *PortRange) String() string { return fmt.Sprintf("%d-%d", r.Base, r.Base+r.Size-1) }

// Next takes a free port for holder.
func (r *PortRange) Next(ctx context.Context, holder string) (int32, error) {
	v, err := r.offsets.next(ctx, holder)
	if err != nil {
		return 0, err
	}
	p, _ := strconv.Atoi(v)
	return int32(p), nil
}

// Peek returns a port Next could take, taking nothing (dry run).
func (r *PortRange) Peek(ctx context.Context) (int32, error) {
	v, err := r.offsets.peek(ctx)
	if err != nil {
		return 0, err
	}
	p, _ := strconv.Atoi(v)
	return int32(p), nil
}

// Take takes port for holder; holder may take it again.
func (r *PortRange) Take(ctx context.Context, port int32, holder string) error {
	if err := r.check(port); err != nil {
		return err
	}
	return r.offsets.claims.take(ctx, strconv.Itoa(int(port)), holder, true)
}

// Check says whether port could be taken (dry run).
func (r *PortRange) Check(ctx context.Context, port int32) error {
	if err := r.check(port); err != nil {
		return err
	}
	held, err := r.offsets.claims.held(ctx, strconv.Itoa(int(port)))
	if err == nil && held {
		return ErrTaken
	}
	return err
}

// Give frees port if holder holds it.
func (r *PortRange) Give(ctx context.Context, port int32, holder string) error {
	return r.offsets.claims.give(ctx, strconv.Itoa(int(port)), holder)
}

func (r *PortRange) check(port int32) error {
	if int(port) < r.Base || int(port) >= r.Base+r.Size {
		return errNotInRange{"provided port is not in the valid range. The range of valid ports is " + r.String()}
	}
	return nil
}

// List returns every IP held, and the revision read at.
func (r *IPRange) List(ctx context.Context) ([]Claim, int64, error) {
	return r.offsets.claims.list(ctx)
}

// Drop frees a claim a repair found stale, unless it changed since.
func (r *IPRange) Drop(ctx context.Context, c Claim) error { return r.offsets.claims.drop(ctx, c) }

// Contains reports whether ip is of the range.
func (r *IPRange) Contains(ip string) bool { return r.check(ip) == nil }

// List returns every port held, and the revision read at.
func (r *PortRange) List(ctx context.Context) ([]Claim, int64, error) {
	return r.offsets.claims.list(ctx)
}

// Drop frees a claim a repair found stale, unless it changed since.
func (r *PortRange) Drop(ctx context.Context, c Claim) error { return r.offsets.claims.drop(ctx, c) }

// Contains reports whether port is of the range.
func (r *PortRange) Contains(port int32) bool { return r.check(port) == nil }
