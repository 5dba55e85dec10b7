package proxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	clienttransport "k8s.io/client-go/transport"

	"github.com/apiserver/apiserver/pkg/client/transport"
)

// Transports are the round trippers to one kind of backend: Plain keeps
// pooled, long-lived connections (HTTP/2 where the backend offers it;
// client-go's dial, TLS handshake and idle timeouts and keep-alives);
// Upgrade speaks HTTP/1.1 only, which a protocol switch needs.
type Transports struct {
	Plain, Upgrade http.RoundTripper
}

// NewTransports returns the transports of tls, through the client
// transport cache: every caller with equal options shares them.
func NewTransports(tls clienttransport.TLSConfig) (Transports, error) {
	plain, err := transport.New(&transport.Config{Config: clienttransport.Config{TLS: tls}})
	if err != nil {
		return Transports{}, err
	}
	tls.NextProtos = []string{"http/1.1"}
	upgrade, err := transport.New(&transport.Config{Config: clienttransport.Config{TLS: tls}})
	if err != nil {
		return Transports{}, err
	}
	return Transports{Plain: plain, Upgrade: upgrade}, nil
}

// Subpath proxies r to u, at the path that follows marker ("/pods/p/proxy")
// in r's path, "/" when none does.
func Subpath(r *http.Request, u *url.URL, marker string, via Transports) http.Handler {
	prefix, rest, ok := strings.Cut(r.URL.Path, marker)
	target := *u
	target.Path = "/"
	if ok && rest != "" {
		target.Path = rest
	}
	return &Handler{Location: &target, Transport: via.Plain, UpgradeTransport: via.Upgrade, Prefix: prefix + marker}
}

// notAllowed is kube-apiserver's refusal of a target in this server's
// own network: loopback, link-local and unspecified addresses.
func notAllowed() error { return apierrors.NewBadRequest("address not allowed") }

// CheckHost refuses a host (an address or a name, resolved) that is not
// to be reached through this server, as kube-apiserver refuses it.
func CheckHost(ctx context.Context, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		return CheckAddress(ip)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("error resolving %q: %v", host, err))
	}
	for _, a := range addrs {
		if err := CheckAddress(a); err != nil {
			return err
		}
	}
	return nil
}

// CheckAddress refuses an address that is not to be reached through this
// server.
func CheckAddress(ip netip.Addr) error {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsUnspecified() {
		return notAllowed()
	}
	return nil
}
