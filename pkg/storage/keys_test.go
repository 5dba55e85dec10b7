package storage

import (
	"path"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestResourcePrefix(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		gr      schema.GroupResource
		want    string
		wantErr bool
	}{
		{"core group", "/registry", schema.GroupResource{Resource: "configmaps"}, "/registry/configmaps", false},
		{"named group", "/registry", schema.GroupResource{Group: "apps", Resource: "deployments"}, "/registry/apps/deployments", false},
		{"trailing slash", "/registry/", schema.GroupResource{Resource: "secrets"}, "/registry/secrets", false},
		{"no prefix", "", schema.GroupResource{Resource: "secrets"}, "/secrets", false},
		{"nested prefix", "/a/b", schema.GroupResource{Resource: "secrets"}, "/a/b/secrets", false},
		{"relative prefix", "registry", schema.GroupResource{Resource: "secrets"}, "", true},
		{"unclean prefix", "/a//b", schema.GroupResource{Resource: "secrets"}, "", true},
		{"dot-dot prefix", "/a/..", schema.GroupResource{Resource: "secrets"}, "", true},
		{"no resource", "/registry", schema.GroupResource{}, "", true},
		{"slash in resource", "/registry", schema.GroupResource{Resource: "a/b"}, "", true},
		{"dot-dot group", "/registry", schema.GroupResource{Group: "..", Resource: "x"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResourcePrefix(tc.prefix, tc.gr)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("ResourcePrefix(%q, %v) = %q, %v; want %q, error %v", tc.prefix, tc.gr, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestObjectKey(t *testing.T) {
	ns, err := NewKeySpace("/registry", schema.GroupResource{Resource: "configmaps"}, true)
	if err != nil {
		t.Fatal(err)
	}
	cluster, err := NewKeySpace("/registry", schema.GroupResource{Group: "example.com", Resource: "widgets"}, false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ks   KeySpace
		key  Key
		want string // "" for an error
	}{
		{"namespaced", ns, Key{"default", "foo"}, "/registry/configmaps/default/foo"},
		{"cluster-scoped", cluster, Key{Name: "w"}, "/registry/example.com/widgets/w"},
		{"no namespace", ns, Key{Name: "foo"}, ""},
		{"namespace on cluster-scoped", cluster, Key{"default", "w"}, ""},
		{"no name", ns, Key{Namespace: "default"}, ""},
		{"dot-dot name", ns, Key{"default", ".."}, ""},
		{"dot-dot namespace", ns, Key{"..", "foo"}, ""},
		{"slash in name", ns, Key{"default", "../../secrets/x"}, ""},
		{"slash in namespace", cluster, Key{Name: "a/b"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.ks.ObjectKey(tc.key)
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Fatalf("ObjectKey(%v) = %q, %v; want %q", tc.key, got, err, tc.want)
			}
			if err != nil {
				if !IsInvalidRequest(err) {
					t.Errorf("error %v is not an invalid request", err)
				}
				return
			}
			back, err := tc.ks.ParseKey(got)
			if err != nil || back != tc.key {
				t.Errorf("ParseKey(%q) = %v, %v; want %v", got, back, err, tc.key)
			}
		})
	}
}

func TestCollectionPrefix(t *testing.T) {
	ks, _ := NewKeySpace("/registry", schema.GroupResource{Resource: "configmaps"}, true)
	tests := []struct {
		key  Key
		want string
	}{
		{Key{}, "/registry/configmaps/"},
		{Key{Namespace: "a"}, "/registry/configmaps/a/"},
		{Key{Namespace: ".."}, ""},
		{Key{Namespace: "a", Name: "b"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.key.String(), func(t *testing.T) {
			got, err := ks.CollectionPrefix(tc.key)
			if got != tc.want || (err == nil) != (tc.want != "") {
				t.Errorf("CollectionPrefix(%v) = %q, %v; want %q", tc.key, got, err, tc.want)
			}
		})
	}
}

// FuzzObjectKey: whatever the segments, a key that is built lies inside its
// resource prefix and its collection, is a clean path, and parses back.
func FuzzObjectKey(f *testing.F) {
	for _, s := range [][4]string{
		{"", "configmaps", "default", "foo"},
		{"apps", "deployments", "kube-system", "dns"},
		{"", "secrets", "..", "x"},
		{"", "secrets", "a", "../b"},
		{"x.io", "w", "", "/"},
		{"", "pods", "ns\x00", "a"},
		{"", "pods", ".", "."},
	} {
		f.Add(s[0], s[1], s[2], s[3], true)
	}
	f.Fuzz(func(t *testing.T, group, resource, namespace, name string, namespaced bool) {
		ks, err := NewKeySpace("/registry", schema.GroupResource{Group: group, Resource: resource}, namespaced)
		if err != nil {
			return
		}
		key, err := ks.ObjectKey(Key{Namespace: namespace, Name: name})
		if err != nil {
			return
		}
		if !strings.HasPrefix(key, ks.Prefix()+"/") || !ks.Contains(key) {
			t.Fatalf("key %q is outside %s/", key, ks.Prefix())
		}
		if path.Clean(key) != key {
			t.Fatalf("key %q is not clean", key)
		}
		if namespaced {
			coll, err := ks.CollectionPrefix(Key{Namespace: namespace})
			if err != nil || !strings.HasPrefix(key, coll) {
				t.Fatalf("key %q is outside its namespace %q (%v)", key, coll, err)
			}
		}
		back, err := ks.ParseKey(key)
		if err != nil || back != (Key{Namespace: namespace, Name: name}) {
			t.Fatalf("ParseKey(%q) = %v, %v", key, back, err)
		}
	})
}

// FuzzParseKey: any etcd key either parses to a Key whose ObjectKey is the
// same key, or is rejected; nothing panics.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"/registry/configmaps/default/foo", "/registry/configmaps/default", "/registry/configmaps/",
		"/registry/configmaps/../secrets/x", "/registry/configmapsX/a/b", "/registry/configmaps/a/b/c", "",
	} {
		f.Add(s)
	}
	ks, err := NewKeySpace("/registry", schema.GroupResource{Resource: "configmaps"}, true)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, err := ks.ParseKey(key)
		if err != nil {
			return
		}
		if back, err := ks.ObjectKey(k); err != nil || back != key {
			t.Fatalf("ParseKey(%q) = %v, whose key is %q (%v)", key, k, back, err)
		}
	})
}
