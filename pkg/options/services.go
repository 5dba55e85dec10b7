package options

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/server"
)

// Defaults of kube-apiserver 1.31.
const (
	defaultServiceClusterIPRange = "10.0.0.0/24"
	defaultNodePortRange         = "30000-32767"
	// Ranges larger than these are refused, as kube-apiserver refuses
	// them: each value taken is a key, and a repair reads them all.
	minIPv4ServiceMask = 12
	minIPv6ServiceMask = 108
)

// ServicesOptions are the flags of Services and of the kubernetes Service:
// the cluster IP ranges, the node port range and the address the server
// advertises in the kubernetes Service's endpoints.
type ServicesOptions struct {
	ServiceClusterIPRange string
	ServiceNodePortRange  string
	AdvertiseAddress      net.IP
	// BindAddress is --bind-address, the advertised address by default.
	BindAddress net.IP
}

// NewServicesOptions returns kube-apiserver's defaults.
func NewServicesOptions() *ServicesOptions {
	return &ServicesOptions{ServiceClusterIPRange: defaultServiceClusterIPRange, ServiceNodePortRange: defaultNodePortRange}
}

// AddFlags registers the flags with kube-apiserver's names.
func (o *ServicesOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.ServiceClusterIPRange, "service-cluster-ip-range", o.ServiceClusterIPRange,
		"CIDR of Service cluster IPs, or two of different IP families, comma-separated, for dual stack. The first address after the network's "+
			"is the kubernetes Service's. At most /12 for IPv4 and /108 for IPv6.")
	fs.StringVar(&o.ServiceNodePortRange, "service-node-port-range", o.ServiceNodePortRange,
		"Range of ports, inclusive, that NodePort and LoadBalancer Services take node ports from.")
	fs.IPVar(&o.AdvertiseAddress, "advertise-address", o.AdvertiseAddress,
		"The address the kubernetes Service's endpoints point at. Default: --bind-address, or when that is unspecified the first "+
			"non-loopback address of the host. A loopback address is advertised by no endpoints, as no Pod can reach it.")
}

// Validate checks the ranges.
func (o *ServicesOptions) Validate() []error {
	var errs []error
	if _, err := parseServiceCIDRs(o.ServiceClusterIPRange); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := parsePortRange(o.ServiceNodePortRange); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func parseServiceCIDRs(s string) ([]netip.Prefix, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("--service-cluster-ip-range %q: "+format, append([]any{s}, args...)...)
	}
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return nil, bad("at most two ranges (one per IP family)")
	}
	var out []netip.Prefix
	for _, part := range parts {
		p, err := netip.ParsePrefix(strings.TrimSpace(part))
		if err != nil {
			return nil, bad("%q is not a CIDR", part)
		}
		p = p.Masked()
		switch {
		case p.Addr().Is4() && p.Bits() < minIPv4ServiceMask:
			return nil, bad("%s is too large; for IPv4 the mask must be >= %d", p, minIPv4ServiceMask)
		case p.Addr().Is6() && p.Bits() < minIPv6ServiceMask:
			return nil, bad("%s is too large; for IPv6 the mask must be >= %d", p, minIPv6ServiceMask)
		case p.Addr().BitLen()-p.Bits() < 2:
			return nil, bad("%s is too small to hold the kubernetes Service's address and another", p)
		}
		out = append(out, p)
	}
	if len(out) == 2 && out[0].Addr().Is4() == out[1].Addr().Is4() {
		return nil, bad("two ranges must be of different IP families")
	}
	return out, nil
}

func parsePortRange(s string) (base, size int, err error) {
	lo, hi, ok := strings.Cut(s, "-")
	a, errA := strconv.Atoi(strings.TrimSpace(lo))
	b, errB := strconv.Atoi(strings.TrimSpace(hi))
	if !ok || errA != nil || errB != nil || a < 1 || b > 65535 || a > b {
		return 0, 0, fmt.Errorf("--service-node-port-range %q: want a range of ports such as 30000-32767", s)
	}
	return a, b - a + 1, nil
}

// ApplyTo fills c.Services.
func (o *ServicesOptions) ApplyTo(c *server.Config) error {
	cidrs, err := parseServiceCIDRs(o.ServiceClusterIPRange)
	if err != nil {
		return err
	}
	base, size, err := parsePortRange(o.ServiceNodePortRange)
	if err != nil {
		return err
	}
	c.Services = server.ServicesConfig{ClusterIPRanges: cidrs, NodePortBase: base, NodePortSize: size, AdvertiseAddress: o.advertised()}
	return nil
}

// advertised is --advertise-address, or --bind-address, or the host's
// first non-loopback address; nil when there is none.
func (o *ServicesOptions) advertised() net.IP {
	switch {
	case o.AdvertiseAddress != nil && !o.AdvertiseAddress.IsUnspecified():
		return o.AdvertiseAddress
	case o.BindAddress != nil && !o.BindAddress.IsUnspecified():
		return o.BindAddress
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		klog.InfoS("Listing the host's addresses failed; the kubernetes Service will have no endpoints", "err", err)
		return nil
	}
	var v6 net.IP
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || !n.IP.IsGlobalUnicast() {
			continue
		}
		if n.IP.To4() != nil {
			return n.IP
		}
		if v6 == nil {
			v6 = n.IP
		}
	}
	return v6
}
