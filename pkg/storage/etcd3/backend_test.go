package etcd3_test

import (
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/embeddedetcd"
	"github.com/apiserver/apiserver/pkg/storage"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// TestEmbeddedConsistentReads checks that the stores of a backend on the
// embedded member, which take the current revision from the member in
// process, still see every write answered before a consistent read: made
// through another client, to another resource, or through the store.
func TestEmbeddedConsistentReads(t *testing.T) {
	dir := t.TempDir()
	b, err := etcd3.OpenBackend(t.Context(), storage.Config{Prefix: "/registry", WatchCache: true},
		&embeddedetcd.Config{DataDir: filepath.Join(dir, "etcd"), CertDir: filepath.Join(dir, "pki"), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	newCM := func() runtime.Object { return &corev1.ConfigMap{} }
	gr := schema.GroupResource{Resource: "configmaps"}
	st, err := b.NewStore(gr, true, newCM)
	if err != nil {
		t.Fatal(err)
	}
	cached := b.Cached(st, newCM, func() runtime.Object { return &corev1.ConfigMapList{} })

	for i := range 10 {
		// Another resource's write moves the revision past anything the
		// configmaps' watch has seen.
		other, err := b.Client().Put(t.Context(), "/registry/secrets/default/s", "x")
		if err != nil {
			t.Fatal(err)
		}
		rev, err := st.CurrentRevision(t.Context())
		if err != nil || rev < other.Header.Revision {
			t.Fatalf("CurrentRevision = %d, %v after a write at %d", rev, err, other.Header.Revision)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"}, Data: map[string]string{"i": string(rune('0' + i))}}
		key := storage.Key{Namespace: "default", Name: "c"}
		out := &corev1.ConfigMap{}
		if i == 0 {
			err = cached.Create(t.Context(), key, cm, out)
		} else {
			var raw []byte
			raw, err = runtime.Encode(storage.JSONCodec, cm)
			if err == nil {
				_, err = b.Client().Put(t.Context(), "/registry/configmaps/default/c", string(raw))
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		got := &corev1.ConfigMap{}
		if err := cached.Get(t.Context(), key, storage.GetOptions{}, got); err != nil {
			t.Fatal(err)
		}
		if got.Data["i"] != cm.Data["i"] {
			t.Fatalf("round %d: a consistent get read %v, want %v", i, got.Data, cm.Data)
		}
	}
	// The revision comes from the member, not from a request: it is
	// still known with the client closed.
	if !st.RevisionIsLocal() {
		t.Fatal("a store on the embedded member asks etcd for its revision")
	}
	want, err := st.CurrentRevision(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b.Client().Close()
	if got, err := st.CurrentRevision(t.Context()); err != nil || got != want {
		t.Fatalf("CurrentRevision with the client closed = %d, %v; want %d", got, err, want)
	}
}
