// Package webhookclient is how the server calls the webhooks users
// register (admission webhooks, CRD conversion webhooks): a webhook's
// client configuration (a URL, or a Service reached at one of its
// endpoints, with a CA bundle) validated as kube-apiserver validates it,
// and a JSON POST over the client transport with a timeout the webhook
// is told of.
package webhookclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttransport "k8s.io/client-go/transport"

	"github.com/apiserver/apiserver/pkg/client/transport"
)

// Config says where a webhook is and how its certificate is verified.
type Config struct {
	// URL, or Service, is where the webhook is.
	URL     *string
	Service *Service
	// CABundle verifies the webhook's certificate; empty means the
	// system roots.
	CABundle []byte
}

// Service is a webhook served behind a Service.
type Service struct {
	Namespace, Name string
	Path            *string
	// Port is the Service port (443 when zero).
	Port int32
}

// ServiceResolver returns the base URL (scheme and host) of an endpoint
// of Service namespace/name's port.
type ServiceResolver func(ctx context.Context, namespace, name string, port int32) (*url.URL, error)

// maxResponseBytes bounds what a webhook may answer.
const maxResponseBytes = 10 << 20

// Client calls one webhook.
type Client struct {
	config Config
	rt     http.RoundTripper
}

// New returns the client of c: TLS verified by its CA bundle, for the
// Service's DNS name when it names a Service, over HTTP/1.1 keep-alive
// connections that equal configurations share (transport.NewHTTP1).
//
// HTTP/1.1 and not HTTP/2: a webhook call is one small request and
// answer, for which HTTP/2's framing costs goroutine hand-offs a
// keep-alive connection does not (hack/bench/admission: 467 µs per call
// in the apiserver against 649 µs), and the calling goroutine does the
// I/O itself; parallel calls take more pooled connections.
func New(c Config) (*Client, error) {
	tls := clienttransport.TLSConfig{CAData: c.CABundle}
	if s := c.Service; s != nil {
		tls.ServerName = s.Name + "." + s.Namespace + ".svc"
	}
	rt, err := transport.NewHTTP1(&transport.Config{Config: clienttransport.Config{TLS: tls}}, maxResponseBytes)
	if err != nil {
		return nil, err
	}
	return &Client{config: c, rt: rt}, nil
}

// location returns where the webhook is called.
func (c *Client) location(ctx context.Context, resolve ServiceResolver) (*url.URL, error) {
	if c.config.URL != nil {
		return url.Parse(*c.config.URL)
	}
	s := c.config.Service
	if s == nil {
		return nil, errors.New("neither url nor service given")
	}
	if resolve == nil {
		return nil, errors.New("services cannot be resolved")
	}
	port := s.Port
	if port == 0 {
		port = 443
	}
	u, err := resolve(ctx, s.Namespace, s.Name, port)
	if err != nil {
		return nil, err
	}
	if s.Path != nil {
		u.Path = *s.Path
	}
	return u, nil
}

// Post sends in as JSON and decodes the answer into out, within timeout.
// Its errors start "failed to call webhook" when the call failed.
func (c *Client) Post(ctx context.Context, resolve ServiceResolver, timeout time.Duration, in, out any) error {
	u, err := c.location(ctx, resolve)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	// The webhook learns how long it has, rounded up to a second.
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d)
		if t := left.Truncate(time.Second); t != left {
			left = t + time.Second
		}
		q := u.Query()
		q.Set("timeout", left.String())
		u.RawQuery = q.Encode()
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		// The connection's deadline may pass a moment before the
		// context's timer: the transport words that as DeadlineExceeded.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (webhook timeout %s)", err, timeout)
		}
		return fmt.Errorf("failed to call webhook: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("failed to call webhook: reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		// Worded as client-go's REST client, which kube calls with.
		msg := strings.TrimSpace(string(data))
		if len(msg) > 256 {
			msg = msg[:256]
		}
		return fmt.Errorf("failed to call webhook: %w", apierrors.NewGenericServerResponse(resp.StatusCode, http.MethodPost, schema.GroupResource{}, "", msg, 0, true))
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the response: %w", err)
	}
	return nil
}
