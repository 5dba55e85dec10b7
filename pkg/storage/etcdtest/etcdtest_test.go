package etcdtest

import (
	"testing"

	"github.com/apiserver/apiserver/pkg/storage"
)

func TestServersAcceptWrites(t *testing.T) {
	tests := []struct {
		name  string
		start func(testing.TB) storage.Config
	}{
		{"embedded", StartEmbedded},
		{"external", func(t testing.TB) storage.Config { return StartExternal(t).Config }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClient(t, tc.start(t))
			if _, err := c.Put(t.Context(), "k", "v"); err != nil {
				t.Fatalf("put: %v", err)
			}
			resp, err := c.Get(t.Context(), "k")
			if err != nil || len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != "v" {
				t.Fatalf("get = %v, %v; want one key with value v", resp, err)
			}
		})
	}
}
