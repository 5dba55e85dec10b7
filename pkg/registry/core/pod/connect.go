package pod

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/proxy"
	"github.com/apiserver/apiserver/pkg/registry/core/node"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

var podsResource = schema.GroupResource{Resource: "pods"}

// Kubelets finds the kubelet of a Pod and talks to it, as
// kube-apiserver's log, exec, attach and portforward do.
type Kubelets struct {
	Pods  rest.Getter
	Nodes rest.Getter
	// Transport reaches kubelets over TLS.
	Transport http.RoundTripper
	// AddressTypes orders a Node's addresses (--kubelet-preferred-address-types);
	// empty is kube-apiserver's default order.
	AddressTypes []corev1.NodeAddressType
}

// pod reads ns/name and resolves the container the request names: the
// only one when it names none, as kube.
func (k *Kubelets) pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	obj, err := k.Pods.Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

func container(p *corev1.Pod, name string) (string, error) {
	if name == "" {
		switch {
		case len(p.Spec.Containers) == 1:
			return p.Spec.Containers[0].Name, nil
		default:
			names := func(cs []corev1.Container) string {
				var out []string
				for _, c := range cs {
					out = append(out, c.Name)
				}
				return "[" + strings.Join(out, " ") + "]"
			}
			msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", p.Name, names(p.Spec.Containers))
			if len(p.Spec.InitContainers) > 0 {
				msg += " or one of the init containers: " + names(p.Spec.InitContainers)
			}
			return "", apierrors.NewBadRequest(msg)
		}
	}
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, c := range cs {
			if c.Name == name {
				return name, nil
			}
		}
	}
	for _, c := range p.Spec.EphemeralContainers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, p.Name))
}

// kubelet returns the base URL of the kubelet of node.
func (k *Kubelets) kubelet(ctx context.Context, name string) (*url.URL, error) {
	obj, err := k.Nodes.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// kube-apiserver names the resource of the Pod it started from.
		return nil, apierrors.NewNotFound(podsResource, name)
	}
	if err != nil {
		return nil, err
	}
	return node.KubeletURL(obj.(*corev1.Node), k.AddressTypes)
}

// LogStorage serves pods/log: the container's log from its kubelet,
// nothing for a Pod on no node.
type LogStorage struct{ *Kubelets }

var _ rest.Connecter = LogStorage{}

// New returns an empty Pod, the kind discovery gives pods/log.
func (LogStorage) New() runtime.Object { return &corev1.Pod{} }

// logParams are the PodLogOptions passed on to the kubelet.
var logParams = []string{"follow", "previous", "sinceSeconds", "sinceTime", "timestamps", "tailLines", "limitBytes"}

// Connect reads the log from the kubelet and streams it to the client.
func (l LogStorage) Connect(ctx context.Context, ns, name string, r *http.Request) (http.Handler, error) {
	q := r.URL.Query()
	if err := validateLogOptions(name, q); err != nil {
		return nil, err
	}
	p, err := l.pod(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	c, err := container(p, q.Get("container"))
	if err != nil {
		return nil, err
	}
	if p.Spec.NodeName == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }), nil
	}
	u, err := l.kubelet(ctx, p.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	u.Path = "/containerLogs/" + ns + "/" + name + "/" + c
	pass := url.Values{}
	for _, k := range logParams {
		if v, ok := q[k]; ok {
			pass[k] = v
		}
	}
	u.RawQuery = pass.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: l.Transport}).Do(req)
	if err != nil {
		return nil, rest.InternalError(err.Error())
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		copyFlushing(w, resp.Body)
	}), nil
}

// copyFlushing copies a stream, flushing each read so that a followed
// log reaches the client line by line.
func copyFlushing(w http.ResponseWriter, body io.Reader) {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush() //nolint:errcheck // not every writer flushes; the copy goes on
		}
		if err != nil {
			return
		}
	}
}

// validateLogOptions refuses what kube's PodLogOptions validation does.
func validateLogOptions(name string, q url.Values) error {
	var errs field.ErrorList
	positive := func(key string, min int64, msg string) {
		v := q.Get(key)
		if v == "" {
			return
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			errs = append(errs, field.Invalid(field.NewPath(key), v, "must be an integer"))
		} else if n < min {
			errs = append(errs, field.Invalid(field.NewPath(key), n, msg))
		}
	}
	positive("tailLines", 0, "must be greater than or equal to 0")
	positive("limitBytes", 1, "must be greater than 0")
	positive("sinceSeconds", 1, "must be greater than 0")
	if q.Get("sinceSeconds") != "" && q.Get("sinceTime") != "" {
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	}
	if len(errs) > 0 {
		return apierrors.NewInvalid(schema.GroupKind{Kind: "PodLogOptions"}, name, errs)
	}
	return nil
}

// StreamStorage serves pods/exec, pods/attach and pods/portforward: the
// upgraded connection (SPDY or WebSocket) is proxied to the Pod's
// kubelet.
type StreamStorage struct {
	*Kubelets
	// Kind is what the subresource's options are: PodExecOptions,
	// PodAttachOptions or PodPortForwardOptions.
	Kind string
}

var _ rest.Connecter = StreamStorage{}

// New returns the subresource's empty options.
func (s StreamStorage) New() runtime.Object {
	switch s.Kind {
	case "PodAttachOptions":
		return &corev1.PodAttachOptions{}
	case "PodPortForwardOptions":
		return &corev1.PodPortForwardOptions{}
	}
	return &corev1.PodExecOptions{}
}

// kubeletPaths are the kubelet's paths of each kind.
var kubeletPaths = map[string]string{"PodExecOptions": "exec", "PodAttachOptions": "attach", "PodPortForwardOptions": "portForward"}

// Connect finds the kubelet and proxies the upgraded connection to it.
func (s StreamStorage) Connect(ctx context.Context, ns, name string, r *http.Request) (http.Handler, error) {
	p, err := s.pod(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	path := "/" + kubeletPaths[s.Kind] + "/" + ns + "/" + name
	if s.Kind != "PodPortForwardOptions" {
		c, err := container(p, r.URL.Query().Get("container"))
		if err != nil {
			return nil, err
		}
		path += "/" + c
	}
	if p.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", name))
	}
	u, err := s.kubelet(ctx, p.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	if !proxy.IsUpgrade(r) {
		return nil, apierrors.NewBadRequest("Upgrade request required")
	}
	u.Path, u.RawQuery = path, r.URL.RawQuery
	return &proxy.Handler{Location: u, Transport: s.Transport}, nil
}

// ProxyStorage serves pods/proxy: HTTP to the Pod's address, named as
// [scheme:]name[:port].
type ProxyStorage struct {
	Pods rest.Getter
	// Via reaches Pods.
	Via proxy.Transports
}

var _ rest.Connecter = ProxyStorage{}

// New returns empty PodProxyOptions.
func (ProxyStorage) New() runtime.Object { return &corev1.PodProxyOptions{} }

// Connect proxies the request to the Pod's IP.
func (s ProxyStorage) Connect(ctx context.Context, ns, id string, r *http.Request) (http.Handler, error) {
	scheme, name, port, ok := utilnet.SplitSchemeNamePort(id)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid pod request %q", id))
	}
	obj, err := s.Pods.Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	p := obj.(*corev1.Pod)
	ip, err := netip.ParseAddr(p.Status.PodIP)
	if err != nil {
		return nil, apierrors.NewBadRequest("address not allowed")
	}
	if err := proxy.CheckAddress(ip); err != nil {
		return nil, err
	}
	host := ip.String()
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	if scheme == "" {
		scheme = "http"
	}
	return proxy.Subpath(r, &url.URL{Scheme: scheme, Host: host}, "/pods/"+id+"/proxy", s.Via), nil
}
