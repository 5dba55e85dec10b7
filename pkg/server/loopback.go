package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"strconv"

	"github.com/google/uuid"
	"k8s.io/client-go/rest"

	"github.com/apiserver/apiserver/pkg/auth/authn"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/certs"
)

// LoopbackServerName is the TLS server name of the loopback connections:
// the server presents a certificate of its own for it, whatever serving
// certificate the operator gave.
const LoopbackServerName = "apiserver-loopback-client"

// LoopbackUser is who the loopback client is, as in kube-apiserver.
const LoopbackUser = "system:apiserver"

// SetupLoopback makes the server's own client: a random token that only
// this process knows authenticates it as system:apiserver in
// system:masters, over TLS to a certificate generated for
// LoopbackServerName, protobuf and without compression, as
// kube-apiserver's loopback client. It needs the serving listener.
func (c *Config) SetupLoopback() error {
	if c.Serving == nil || c.Serving.Listener == nil {
		return fmt.Errorf("the loopback client needs the serving listener")
	}
	certPEM, keyPEM, err := certs.SelfSigned(certs.Leaf{CommonName: LoopbackServerName, DNSNames: []string{LoopbackServerName}})
	if err != nil {
		return fmt.Errorf("the loopback certificate: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("the loopback certificate: %w", err)
	}
	secret := make([]byte, 32)
	rand.Read(secret) //nolint:errcheck // crypto/rand never fails (Go 1.24+)
	token := base64.RawURLEncoding.EncodeToString(secret)
	c.Serving.LoopbackCert = &cert
	u := &user.Info{Name: LoopbackUser, UID: uuid.NewString(), Groups: []string{user.SystemPrivilegedGroup}}
	c.Authentication.Tokens = append(authn.TokenUnion{loopbackToken{token: token, user: u}}, c.Authentication.Tokens...)
	host, port := "127.0.0.1", "443"
	if addr, ok := c.Serving.Listener.Addr().(*net.TCPAddr); ok {
		port = strconv.Itoa(addr.Port)
		if addr.IP.To4() == nil && !addr.IP.IsUnspecified() {
			host = "::1"
		}
	}
	c.LoopbackClientConfig = &rest.Config{
		Host:        "https://" + net.JoinHostPort(host, port),
		BearerToken: token,
		TLSClientConfig: rest.TLSClientConfig{
			ServerName: LoopbackServerName,
			CAData:     certPEM,
		},
		ContentConfig: rest.ContentConfig{
			ContentType:        "application/vnd.kubernetes.protobuf",
			AcceptContentTypes: "application/vnd.kubernetes.protobuf,application/json",
		},
		DisableCompression: true,
		UserAgent:          "apiserver/loopback",
		// The server's own controllers are not to be throttled by it.
		QPS: -1,
	}
	return nil
}

// loopbackToken authenticates the loopback client's token.
type loopbackToken struct {
	token string
	user  *user.Info
}

func (l loopbackToken) AuthenticateToken(_ context.Context, token string) (*user.Info, bool, error) {
	if subtle.ConstantTimeCompare([]byte(token), []byte(l.token)) == 1 {
		return l.user, true, nil
	}
	return nil, false, nil
}

type loopbackKey struct{}

// LoopbackClientConfigFrom returns the loopback client configuration that
// the server hands its post-start hooks and background tasks in their
// context; nil when the server has none. Callers get a copy to change.
func LoopbackClientConfigFrom(ctx context.Context) *rest.Config {
	if c, ok := ctx.Value(loopbackKey{}).(*rest.Config); ok {
		return rest.CopyConfig(c)
	}
	return nil
}
