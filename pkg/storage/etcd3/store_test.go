package etcd3_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
	"github.com/apiserver/apiserver/pkg/storage/etcdtest"
)

func newStore(t *testing.T, c *clientv3.Client, prefix string, gr schema.GroupResource, namespaced bool) *etcd3.Store {
	t.Helper()
	s, err := etcd3.New(etcd3.Config{
		Client: c, Prefix: prefix, Resource: gr, NamespaceScoped: namespaced,
		NewFunc: func() runtime.Object { return &corev1.ConfigMap{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Data:       data,
	}
}

// TestKeyLayout checks the etcd keys and that resourceVersion is never
// stored: it is the key's ModRevision.
func TestKeyLayout(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	c := etcdtest.NewClient(t, cfg)
	tests := []struct {
		name       string
		gr         schema.GroupResource
		namespaced bool
		key        storage.Key
		want       string
	}{
		{"core namespaced", schema.GroupResource{Resource: "configmaps"}, true,
			storage.Key{Namespace: "default", Name: "foo"}, "/registry/configmaps/default/foo"},
		{"group cluster-scoped", schema.GroupResource{Group: "example.com", Resource: "widgets"}, false,
			storage.Key{Name: "w"}, "/registry/example.com/widgets/w"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, c, "/registry", tc.gr, tc.namespaced)
			out := &corev1.ConfigMap{}
			if err := s.Create(t.Context(), tc.key, configMap(tc.key.Namespace, tc.key.Name, nil), out); err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(t.Context(), tc.want)
			if err != nil || len(resp.Kvs) != 1 {
				t.Fatalf("raw get of %s = %v, %v; want one key", tc.want, resp, err)
			}
			kv := resp.Kvs[0]
			if strings.Contains(string(kv.Value), "resourceVersion") {
				t.Errorf("stored value %s holds a resourceVersion", kv.Value)
			}
			if out.ResourceVersion != storage.FormatResourceVersion(kv.ModRevision) {
				t.Errorf("resourceVersion %s; want ModRevision %d", out.ResourceVersion, kv.ModRevision)
			}
		})
	}
}

// TestTooLarge: an object that just fits is accepted by etcd (embedded 3.6
// and Debian's 3.4), by create and by update; one byte more is refused
// before any call.
func TestTooLarge(t *testing.T) {
	servers := []struct {
		name  string
		start func(t *testing.T) storage.Config
	}{
		{"embedded", func(t *testing.T) storage.Config { return etcdtest.StartEmbedded(t) }},
		{"external", func(t *testing.T) storage.Config { return etcdtest.StartExternal(t).Config }},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			cfg := srv.start(t)
			s := newStore(t, etcdtest.NewClient(t, cfg), cfg.Prefix, schema.GroupResource{Resource: "configmaps"}, true)
			key := storage.Key{Namespace: "default", Name: "big"}
			fullKey, _ := s.Keys().ObjectKey(key)
			limit := etcd3.DefaultMaxRequestBytes - len(fullKey) - 512
			sized := func(n int) *corev1.ConfigMap {
				cm := configMap("default", "big", map[string]string{"x": ""})
				base, _ := json.Marshal(cm)
				cm.Data["x"] = strings.Repeat("a", n-len(base))
				return cm
			}
			if err := s.Create(t.Context(), key, sized(limit+1), &corev1.ConfigMap{}); !storage.IsTooLarge(err) {
				t.Fatalf("create of %d bytes: %v; want too large", limit+1, err)
			}
			if err := s.Create(t.Context(), key, sized(limit), &corev1.ConfigMap{}); err != nil {
				t.Fatalf("create of %d bytes: %v", limit, err)
			}
			update := func(n int) error {
				return s.GuaranteedUpdate(t.Context(), key, &corev1.ConfigMap{}, storage.UpdateOptions{},
					func(runtime.Object) (runtime.Object, error) {
						cm := sized(n)
						cm.Data["x"] = "b" + cm.Data["x"][1:]
						return cm, nil
					})
			}
			if err := update(limit); err != nil {
				t.Fatalf("update to %d bytes: %v", limit, err)
			}
			if err := update(limit + 1); !storage.IsTooLarge(err) {
				t.Fatalf("update to %d bytes: %v; want too large", limit+1, err)
			}
		})
	}
}

// TestInvalidKeyMakesNoCall: an invalid key fails as such even with a
// closed client, so no call was made.
func TestInvalidKeyMakesNoCall(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	c, err := etcd3.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	s := newStore(t, c, "/registry", schema.GroupResource{Resource: "configmaps"}, true)
	err = s.Get(t.Context(), storage.Key{Namespace: "..", Name: "x"}, storage.GetOptions{}, &corev1.ConfigMap{})
	if !storage.IsInvalidRequest(err) {
		t.Errorf("get with an invalid key: %v; want an invalid request", err)
	}
	err = s.Get(t.Context(), storage.Key{Namespace: "default", Name: "x"}, storage.GetOptions{}, &corev1.ConfigMap{})
	if err == nil || storage.IsInvalidRequest(err) {
		t.Errorf("get with a valid key on a closed client: %v; want a failed call", err)
	}
}

// TestBadOutputWritesNothing: an output the store cannot decode into is
// refused before the write, so no write succeeds unreported.
func TestBadOutputWritesNothing(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	c := etcdtest.NewClient(t, cfg)
	s := newStore(t, c, cfg.Prefix, schema.GroupResource{Resource: "configmaps"}, true)
	k := storage.Key{Namespace: "default", Name: "foo"}
	var nilOut *corev1.ConfigMap
	noop := func(in runtime.Object) (runtime.Object, error) { return in, nil }
	calls := []struct {
		name string
		call func() error
	}{
		{"create", func() error { return s.Create(t.Context(), k, configMap("default", "foo", nil), nilOut) }},
		{"update", func() error {
			return s.GuaranteedUpdate(t.Context(), k, nilOut, storage.UpdateOptions{IgnoreNotFound: true}, noop)
		}},
		{"delete", func() error { return s.Delete(t.Context(), k, nilOut, storage.DeleteOptions{}) }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !storage.IsInvalidObject(err) {
				t.Errorf("error = %v; want invalid object", err)
			}
			if n, err := s.Count(t.Context(), storage.Key{}); err != nil || n != 0 {
				t.Errorf("count = %d, %v; want nothing written", n, err)
			}
		})
	}
}

// TestCorruptValue: a value that does not decode is an invalid-object error
// naming its key for reads, and ends a watch with a 500 ERROR event.
func TestCorruptValue(t *testing.T) {
	cfg := etcdtest.StartEmbedded(t)
	c := etcdtest.NewClient(t, cfg)
	s := newStore(t, c, cfg.Prefix, schema.GroupResource{Resource: "configmaps"}, true)
	k := storage.Key{Namespace: "default", Name: "bad"}
	fullKey, _ := s.Keys().ObjectKey(k)
	w, err := s.Watch(t.Context(), storage.Key{Namespace: "default"}, storage.ListOptions{Recursive: true, ResourceVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := c.Put(t.Context(), fullKey, "{not json"); err != nil {
		t.Fatal(err)
	}
	var se *storage.Error
	reads := []struct {
		name string
		call func() error
	}{
		{"get", func() error { return s.Get(t.Context(), k, storage.GetOptions{}, &corev1.ConfigMap{}) }},
		{"list", func() error {
			return s.GetList(t.Context(), storage.Key{}, storage.ListOptions{Recursive: true}, &corev1.ConfigMapList{})
		}},
	}
	for _, tc := range reads {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.As(err, &se) || se.Code != storage.ErrCodeInvalidObject || se.Key != fullKey {
				t.Errorf("error = %v; want an invalid object at %s", err, fullKey)
			}
		})
	}
	ev := <-w.ResultChan()
	if st, ok := ev.Object.(*metav1.Status); ev.Type != watch.Error || !ok || st.Code != http.StatusInternalServerError {
		t.Errorf("watch event = %s %#v; want a 500 ERROR", ev.Type, ev.Object)
	}
}
