package storage

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestSharedEncoded(t *testing.T) {
	obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}
	sh := NewShared(obj)
	calls := 0
	encode := func(tag string) func(runtime.Object) ([]byte, error) {
		return func(o runtime.Object) ([]byte, error) {
			calls++
			o.(*corev1.ConfigMap).Name = "modified" // a private copy
			return []byte(tag), nil
		}
	}
	for range 3 {
		if got, _ := sh.Encoded("json", encode("J")); string(got) != "J" {
			t.Fatalf("json encoding = %q", got)
		}
	}
	if got, _ := sh.Encoded("proto", encode("P")); string(got) != "P" || calls != 2 {
		t.Errorf("proto encoding = %q after %d encodings, want P after 2", got, calls)
	}
	if obj.Name != "c" {
		t.Error("the encoder modified the shared object")
	}
	for i := range maxEncodings + 2 { // old keys make way, the count stays bounded
		sh.Encoded(i, encode("x")) //nolint:errcheck
	}
	if len(sh.encodings) != maxEncodings {
		t.Errorf("%d encodings remembered, want at most %d", len(sh.encodings), maxEncodings)
	}
	failed := errors.New("no")
	if _, err := sh.Encoded("bad", func(runtime.Object) ([]byte, error) { return nil, failed }); !errors.Is(err, failed) {
		t.Errorf("err = %v", err)
	}
	if _, err := sh.Encoded("bad", encode("ok")); err != nil {
		t.Error("a failed encoding was remembered")
	}
}

// An object read for one request is encoded in place, every time.
func TestOwnEncoded(t *testing.T) {
	obj := &corev1.ConfigMap{}
	own := NewOwn(obj)
	calls := 0
	for range 2 {
		own.Encoded("json", func(o runtime.Object) ([]byte, error) { //nolint:errcheck
			calls++
			if o != obj {
				t.Error("the request's own object was copied")
			}
			return nil, nil
		})
	}
	if calls != 2 || len(own.encodings) != 0 {
		t.Errorf("%d encodings, %d remembered; want 2 and none", calls, len(own.encodings))
	}
}
