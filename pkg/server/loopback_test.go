package server_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/options"
	"github.com/apiserver/apiserver/pkg/server"
)

// TestLoopbackClient: a post-start hook gets the loopback client config
// in its context; with it, the server's own requests authenticate as
// system:apiserver in system:masters over TLS to the loopback certificate
// (whatever serving certificate the operator gave), in protobuf; its token
// is no one else's, and other tokens still work.
func TestLoopbackClient(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("secret-token,alice,1001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan *rest.Config, 1)
	ts := start(t, setup{
		configure: func(o *options.Options) { o.Authentication.TokenAuthFile = tokens },
		build: func(t *testing.T, c server.CompletedConfig) *server.GenericAPIServer {
			srv, err := c.New("test", server.NewEmptyDelegate())
			if err != nil {
				t.Fatal(err)
			}
			srv.Handle("/whoami", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				u, _ := request.UserFrom(r.Context())
				fmt.Fprintf(w, "%s %v %s", u.Name, u.Groups, r.Header.Get("Accept"))
			}))
			if err := srv.AddPostStartHook("loopback", func(ctx context.Context) error {
				got <- server.LoopbackClientConfigFrom(ctx)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return srv
		},
	})
	config := <-got
	if config == nil {
		t.Fatal("the hook's context has no loopback client config")
	}
	if config.ContentType != "application/vnd.kubernetes.protobuf" || !config.DisableCompression || config.TLSClientConfig.Insecure {
		t.Errorf("loopback config: content type %q, compression disabled %v, insecure %v", config.ContentType, config.DisableCompression, config.TLSClientConfig.Insecure)
	}
	client, err := rest.HTTPClientFor(config)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, config.Host+"/whoami", nil)
	req.Header.Set("Accept", config.AcceptContentTypes)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("loopback request: %v", err)
	}
	defer resp.Body.Close()
	body := make([]byte, 512)
	n, _ := resp.Body.Read(body)
	if want := "system:apiserver [system:masters system:authenticated] application/vnd.kubernetes.protobuf,application/json"; string(body[:n]) != want {
		t.Errorf("loopback request was %q, want %q", body[:n], want)
	}
	// The token authenticates nothing but the loopback client, and the
	// token file still works beside it.
	for token, code := range map[string]int{config.BearerToken + "x": 401, "secret-token": 200} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := ts.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("token %q...: %d, want %d", token[:4], resp.StatusCode, code)
		}
	}
}
