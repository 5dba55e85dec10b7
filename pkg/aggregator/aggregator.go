// Package aggregator is the aggregation layer: an APIService with a
// Service hands its group version to another API server, which this server
// proxies to with the caller's identity in request headers; its
// availability is probed and kept in the APIService's status, its
// discovery and OpenAPI documents merged into this server's. The group
// versions this server serves itself are listed as local APIServices, as
// kube-apiserver lists them.
package aggregator

import (
	"net/http"
	"net/url"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttransport "k8s.io/client-go/transport"

	apiregistrationv1 "github.com/apiserver/apiserver/pkg/apiregistration/v1"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/client/resolver"
	"github.com/apiserver/apiserver/pkg/client/transport"
	"github.com/apiserver/apiserver/pkg/endpoints/discovery"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
	"github.com/apiserver/apiserver/pkg/openapi"
	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Config is what the aggregator needs.
type Config struct {
	// Catalog says when the served resources change, for the local
	// APIServices to follow; everything is read and written through the
	// loopback client in the context of Run, RunLocal and
	// PublishAuthentication.
	Catalog *rest.Catalog
	// Discovery and OpenAPI are where the group versions of backends are
	// published.
	Discovery *discovery.Registry
	OpenAPI   *openapi.Service
	// ProxyClientCertFile and ProxyClientKeyFile are the client
	// certificate presented to backends (--proxy-client-*).
	ProxyClientCertFile, ProxyClientKeyFile string
	// Headers name the caller's identity for backends: the first of
	// --requestheader-username-headers, -group-headers and
	// -extra-headers-prefix, kube's X-Remote-* when not configured.
	Headers transport.RequestHeader
}

// Aggregator proxies the group versions of APIServices with a Service.
type Aggregator struct {
	config Config

	mu sync.RWMutex
	// remotes are the group versions of APIServices with a Service;
	// a nil backend is one that is not available.
	remotes map[schema.GroupVersion]*backend
}

// backend is an available APIService's server.
type backend struct {
	// location is the scheme and host requests go to.
	location *url.URL
	via      proxy.Transports
	// key says which APIService spec and resolution this is, to build
	// transports again only when they change.
	key string
}

// New returns an aggregator of c.
func New(c Config) *Aggregator {
	if c.Headers.UsernameHeader == "" {
		c.Headers.UsernameHeader = "X-Remote-User"
	}
	if c.Headers.GroupHeader == "" {
		c.Headers.GroupHeader = "X-Remote-Group"
	}
	if c.Headers.ExtraHeaderPrefix == "" {
		c.Headers.ExtraHeaderPrefix = "X-Remote-Extra-"
	}
	return &Aggregator{config: c, remotes: map[schema.GroupVersion]*backend{}}
}

// Handler serves the group versions of APIServices with a Service and
// hands every other request to next. It runs behind authentication and
// authorization: the backend trusts the identity it is given.
func (a *Aggregator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gv, ok := groupVersionOf(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		a.mu.RLock()
		b, remote := a.remotes[gv]
		a.mu.RUnlock()
		if !remote {
			next.ServeHTTP(w, r)
			return
		}
		if b == nil {
			responsewriters.WriteError(w, r, apierrors.NewServiceUnavailable("service unavailable"))
			return
		}
		u := *b.location
		u.Path, u.RawPath = r.URL.Path, r.URL.RawPath
		h := &proxy.Handler{Location: &u, Transport: b.via.Plain, UpgradeTransport: b.via.Upgrade}
		h.ServeHTTP(w, r)
	})
}

// groupVersionOf returns the group version of a path /apis/<group>/<version>[/...].
func groupVersionOf(path string) (schema.GroupVersion, bool) {
	rest, ok := strings.CutPrefix(path, "/apis/")
	if !ok {
		return schema.GroupVersion{}, false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return schema.GroupVersion{}, false
	}
	return schema.GroupVersion{Group: parts[0], Version: parts[1]}, true
}

// setRemote records gv as remote, reached through b (nil: unavailable).
func (a *Aggregator) setRemote(gv schema.GroupVersion, b *backend) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.remotes[gv] = b
}

// remove forgets gv.
func (a *Aggregator) remove(gv schema.GroupVersion) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.remotes, gv)
}

func (a *Aggregator) current(gv schema.GroupVersion) *backend {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.remotes[gv]
}

// transports returns the transports to the backend of s: TLS verified by
// its caBundle (or not at all, when it says so) for the name
// <service>.<namespace>.svc, the proxy client certificate, and the
// caller's identity written into headers. Equal configurations share one
// transport and its connections (pkg/client/transport's cache).
func (a *Aggregator) transports(s *apiregistrationv1.APIService) (proxy.Transports, error) {
	svc := s.Spec.Service
	tls := clienttransport.TLSConfig{
		CAData: s.Spec.CABundle, Insecure: s.Spec.InsecureSkipTLSVerify,
		ServerName: svc.Name + "." + svc.Namespace + ".svc",
		CertFile:   a.config.ProxyClientCertFile, KeyFile: a.config.ProxyClientKeyFile,
	}
	if tls.Insecure {
		tls.ServerName = ""
	}
	headers := a.config.Headers
	headers.User = func(r *http.Request) (*user.Info, bool) { return request.UserFrom(r.Context()) }
	plain, err := transport.New(&transport.Config{Config: clienttransport.Config{TLS: tls}, RequestHeader: &headers})
	if err != nil {
		return proxy.Transports{}, err
	}
	tls.NextProtos = []string{"http/1.1"}
	upgrade, err := transport.New(&transport.Config{Config: clienttransport.Config{TLS: tls}, RequestHeader: &headers})
	if err != nil {
		return proxy.Transports{}, err
	}
	return proxy.Transports{Plain: plain, Upgrade: upgrade}, nil
}

// resolve finds where the Service of s is served, as kube's aggregator
// with endpoint routing; its error is the reason and message of the
// Available condition.
func resolve(s *apiregistrationv1.APIService, svc *corev1.Service, eps *corev1.Endpoints) (*url.URL, *condition) {
	ref := s.Spec.Service
	port := int32(443)
	if ref.Port != nil {
		port = *ref.Port
	}
	u, f := resolver.Resolve(ref.Namespace, ref.Name, port, svc, eps)
	if f != nil {
		return nil, &condition{f.Reason, f.Message}
	}
	return u, nil
}

// condition is the reason and message of an unavailable APIService.
type condition struct{ reason, message string }
