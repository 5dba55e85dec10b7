package storagetest

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/apiserver/apiserver/pkg/storage"
)

func testCreate(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	created := mustCreate(t, s, configMap("ns", "foo", map[string]string{"a": "b"}))
	got := &corev1.ConfigMap{}
	if err := s.Get(ctx(t), key("ns", "foo"), storage.GetOptions{}, got); err != nil {
		t.Fatalf("get: %v", err)
	}
	if got.ResourceVersion != created.ResourceVersion || got.Data["a"] != "b" {
		t.Errorf("get = rv %q data %v; want rv %q data a=b", got.ResourceVersion, got.Data, created.ResourceVersion)
	}

	tests := []struct {
		name string
		obj  *corev1.ConfigMap
		want storage.ErrorCode
	}{
		{"existing key", configMap("ns", "foo", nil), storage.ErrCodeAlreadyExists},
		{"resourceVersion set", func() *corev1.ConfigMap {
			cm := configMap("ns", "bar", nil)
			cm.ResourceVersion = "5"
			return cm
		}(), storage.ErrCodeInvalidObject},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Create(ctx(t), key(tc.obj.Namespace, tc.obj.Name), tc.obj, &corev1.ConfigMap{})
			wantCode(t, err, tc.want)
			var se *storage.Error
			if errors.As(err, &se) && se.Key == "" {
				t.Errorf("error %v carries no key", err)
			}
		})
	}

	t.Run("one of concurrent creates wins", func(t *testing.T) {
		const n = 10
		var wins, exists atomic.Int32
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				cm := configMap("ns", "race", map[string]string{"by": strconv.Itoa(i)})
				err := s.Create(context.Background(), key("ns", "race"), cm, &corev1.ConfigMap{})
				switch {
				case err == nil:
					wins.Add(1)
				case storage.IsAlreadyExists(err):
					exists.Add(1)
				default:
					t.Errorf("create: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || exists.Load() != n-1 {
			t.Errorf("%d creates won and %d found the key; want 1 and %d", wins.Load(), exists.Load(), n-1)
		}
	})
}

func testInvalidKeys(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	tests := []struct {
		name string
		key  storage.Key
	}{
		{"empty name", key("ns", "")},
		{"dot-dot name", key("ns", "..")},
		{"dot name", key("ns", ".")},
		{"slash in name", key("ns", "a/b")},
		{"empty namespace", key("", "foo")},
		{"dot-dot namespace", key("..", "foo")},
		{"slash in namespace", key("a/b", "foo")},
		{"NUL in name", key("ns", "a\x00")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cm := configMap(tc.key.Namespace, tc.key.Name, nil)
			wantCode(t, s.Create(ctx(t), tc.key, cm, &corev1.ConfigMap{}), storage.ErrCodeInvalidRequest)
			wantCode(t, s.Get(ctx(t), tc.key, storage.GetOptions{}, &corev1.ConfigMap{}), storage.ErrCodeInvalidRequest)
			wantCode(t, s.Delete(ctx(t), tc.key, &corev1.ConfigMap{}, storage.DeleteOptions{}), storage.ErrCodeInvalidRequest)
			err := s.GuaranteedUpdate(ctx(t), tc.key, &corev1.ConfigMap{}, storage.UpdateOptions{IgnoreNotFound: true},
				func(in runtime.Object) (runtime.Object, error) { return in, nil })
			wantCode(t, err, storage.ErrCodeInvalidRequest)
			_, err = s.Watch(ctx(t), tc.key, storage.ListOptions{})
			wantCode(t, err, storage.ErrCodeInvalidRequest)
		})
	}
	t.Run("collection with a bad namespace", func(t *testing.T) {
		err := s.GetList(ctx(t), key("..", ""), storage.ListOptions{Recursive: true}, &corev1.ConfigMapList{})
		wantCode(t, err, storage.ErrCodeInvalidRequest)
	})
}

func testGet(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	created := mustCreate(t, s, configMap("ns", "foo", map[string]string{"a": "b"}))
	tests := []struct {
		name    string
		key     storage.Key
		opts    storage.GetOptions
		want    storage.ErrorCode // 0: success
		wantObj bool
	}{
		{"quorum read", key("ns", "foo"), storage.GetOptions{}, 0, true},
		{"any", key("ns", "foo"), storage.GetOptions{ResourceVersion: "0"}, 0, true},
		{"not older than current", key("ns", "foo"), storage.GetOptions{ResourceVersion: created.ResourceVersion}, 0, true},
		{"too large resourceVersion", key("ns", "foo"), storage.GetOptions{ResourceVersion: "99999999"}, storage.ErrCodeTooLargeResourceVersion, false},
		{"bad resourceVersion", key("ns", "foo"), storage.GetOptions{ResourceVersion: "x"}, storage.ErrCodeInvalidRequest, false},
		{"missing", key("ns", "bar"), storage.GetOptions{}, storage.ErrCodeNotFound, false},
		{"missing ignored", key("ns", "bar"), storage.GetOptions{IgnoreNotFound: true}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := configMap("stale", "stale", map[string]string{"stale": "x"})
			err := s.Get(ctx(t), tc.key, tc.opts, got)
			if tc.want != 0 {
				wantCode(t, err, tc.want)
				return
			}
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			if tc.wantObj && (got.ResourceVersion != created.ResourceVersion || !maps.Equal(got.Data, created.Data)) {
				t.Errorf("got rv %q data %v; want %q %v", got.ResourceVersion, got.Data, created.ResourceVersion, created.Data)
			}
			if !tc.wantObj && (got.Name != "" || got.Data != nil) {
				t.Errorf("got %s with data %v; want an empty object", got.Name, got.Data)
			}
		})
	}
}

var errAbort = errors.New("update aborted")

func testGuaranteedUpdate(t *testing.T, b Backend) {
	set := func(k, v string) storage.UpdateFunc {
		return func(in runtime.Object) (runtime.Object, error) {
			cm := in.(*corev1.ConfigMap).DeepCopy()
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[k] = v
			return cm, nil
		}
	}
	uid, otherUID := types.UID("uid-1"), types.UID("uid-2")
	tests := []struct {
		name      string
		exists    bool
		opts      func(existing *corev1.ConfigMap) storage.UpdateOptions
		tryUpdate storage.UpdateFunc
		wantErr   func(error) bool
		wantData  map[string]string
		sameRV    bool
	}{
		{name: "update", exists: true, tryUpdate: set("a", "2"), wantData: map[string]string{"a": "2"}},
		{name: "missing key", tryUpdate: set("a", "2"), wantErr: storage.IsNotFound},
		{name: "create on update", tryUpdate: set("a", "2"), wantData: map[string]string{"a": "2"},
			opts: func(*corev1.ConfigMap) storage.UpdateOptions { return storage.UpdateOptions{IgnoreNotFound: true} }},
		{name: "matching UID", exists: true, tryUpdate: set("a", "2"), wantData: map[string]string{"a": "2"},
			opts: func(*corev1.ConfigMap) storage.UpdateOptions {
				return storage.UpdateOptions{Preconditions: &storage.Preconditions{UID: &uid}}
			}},
		{name: "other UID", exists: true, tryUpdate: set("a", "2"), wantErr: storage.IsConflict,
			opts: func(*corev1.ConfigMap) storage.UpdateOptions {
				return storage.UpdateOptions{Preconditions: &storage.Preconditions{UID: &otherUID}}
			}},
		{name: "matching resourceVersion", exists: true, tryUpdate: set("a", "2"), wantData: map[string]string{"a": "2"},
			opts: func(e *corev1.ConfigMap) storage.UpdateOptions {
				return storage.UpdateOptions{Preconditions: &storage.Preconditions{ResourceVersion: &e.ResourceVersion}}
			}},
		{name: "stale resourceVersion", exists: true, tryUpdate: set("a", "2"), wantErr: storage.IsConflict,
			opts: func(*corev1.ConfigMap) storage.UpdateOptions {
				stale := "1"
				return storage.UpdateOptions{Preconditions: &storage.Preconditions{ResourceVersion: &stale}}
			}},
		{name: "update function fails", exists: true, wantErr: func(err error) bool { return errors.Is(err, errAbort) },
			tryUpdate: func(runtime.Object) (runtime.Object, error) { return nil, errAbort }},
		{name: "no change is no write", exists: true, tryUpdate: set("a", "1"), wantData: map[string]string{"a": "1"}, sameRV: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConfigMapStore(t, b)
			existing := &corev1.ConfigMap{}
			if tc.exists {
				cm := configMap("ns", "foo", map[string]string{"a": "1"})
				cm.UID = uid
				existing = mustCreate(t, s, cm)
			}
			var opts storage.UpdateOptions
			if tc.opts != nil {
				opts = tc.opts(existing)
			}
			out := &corev1.ConfigMap{}
			err := s.GuaranteedUpdate(ctx(t), key("ns", "foo"), out, opts, tc.tryUpdate)
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("update error = %v; want another", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("update: %v", err)
			}
			if !maps.Equal(out.Data, tc.wantData) {
				t.Errorf("data = %v; want %v", out.Data, tc.wantData)
			}
			if tc.exists && (out.ResourceVersion == existing.ResourceVersion) != tc.sameRV {
				t.Errorf("resourceVersion went from %s to %s; want same=%v", existing.ResourceVersion, out.ResourceVersion, tc.sameRV)
			}
			got := &corev1.ConfigMap{}
			if err := s.Get(ctx(t), key("ns", "foo"), storage.GetOptions{}, got); err != nil || got.ResourceVersion != out.ResourceVersion {
				t.Errorf("get after update = rv %q, %v; want rv %q", got.ResourceVersion, err, out.ResourceVersion)
			}
		})
	}
}

// testConcurrentCounter: 20 goroutines × 50 increments of one counter end
// at exactly 1000, whatever the conflicts.
func testConcurrentCounter(t *testing.T, b Backend) {
	const goroutines, increments = 20, 50
	s := newConfigMapStore(t, b)
	mustCreate(t, s, configMap("ns", "counter", map[string]string{"n": "0"}))
	var attempts atomic.Int64
	incr := func(in runtime.Object) (runtime.Object, error) {
		attempts.Add(1)
		cm := in.(*corev1.ConfigMap).DeepCopy()
		n, err := strconv.Atoi(cm.Data["n"])
		if err != nil {
			return nil, err
		}
		cm.Data["n"] = strconv.Itoa(n + 1)
		return cm, nil
	}
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range increments {
				if err := s.GuaranteedUpdate(context.Background(), key("ns", "counter"), &corev1.ConfigMap{}, storage.UpdateOptions{}, incr); err != nil {
					t.Errorf("increment: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got := &corev1.ConfigMap{}
	if err := s.Get(ctx(t), key("ns", "counter"), storage.GetOptions{}, got); err != nil {
		t.Fatal(err)
	}
	if got.Data["n"] != strconv.Itoa(goroutines*increments) {
		t.Errorf("counter = %s; want %d", got.Data["n"], goroutines*increments)
	}
	t.Logf("%d increments took %d attempts", goroutines*increments, attempts.Load())
}

func testDelete(t *testing.T, b Backend) {
	uid := types.UID("uid-1")
	other := types.UID("other")
	stale := "1"
	tests := []struct {
		name    string
		exists  bool
		opts    func(existing *corev1.ConfigMap) storage.DeleteOptions
		wantErr func(error) bool
	}{
		{name: "delete", exists: true},
		{name: "missing key", wantErr: storage.IsNotFound},
		{name: "missing key with preconditions", wantErr: storage.IsNotFound,
			opts: func(*corev1.ConfigMap) storage.DeleteOptions {
				return storage.DeleteOptions{Preconditions: &storage.Preconditions{UID: &uid}}
			}},
		{name: "matching preconditions", exists: true, opts: func(e *corev1.ConfigMap) storage.DeleteOptions {
			return storage.DeleteOptions{Preconditions: &storage.Preconditions{UID: &uid, ResourceVersion: &e.ResourceVersion}}
		}},
		{name: "other UID", exists: true, wantErr: storage.IsConflict, opts: func(*corev1.ConfigMap) storage.DeleteOptions {
			return storage.DeleteOptions{Preconditions: &storage.Preconditions{UID: &other}}
		}},
		{name: "stale resourceVersion", exists: true, wantErr: storage.IsConflict, opts: func(*corev1.ConfigMap) storage.DeleteOptions {
			return storage.DeleteOptions{Preconditions: &storage.Preconditions{ResourceVersion: &stale}}
		}},
		{name: "validation fails", exists: true, wantErr: func(err error) bool { return errors.Is(err, errAbort) },
			opts: func(*corev1.ConfigMap) storage.DeleteOptions {
				return storage.DeleteOptions{Validate: func(context.Context, runtime.Object) error { return errAbort }}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newConfigMapStore(t, b)
			existing := &corev1.ConfigMap{}
			if tc.exists {
				cm := configMap("ns", "foo", map[string]string{"a": "1"})
				cm.UID = uid
				existing = mustCreate(t, s, cm)
			}
			var opts storage.DeleteOptions
			if tc.opts != nil {
				opts = tc.opts(existing)
			}
			out := &corev1.ConfigMap{}
			err := s.Delete(ctx(t), key("ns", "foo"), out, opts)
			getErr := s.Get(ctx(t), key("ns", "foo"), storage.GetOptions{}, &corev1.ConfigMap{})
			if tc.wantErr != nil {
				if !tc.wantErr(err) {
					t.Fatalf("delete error = %v; want another", err)
				}
				if tc.exists && getErr != nil {
					t.Errorf("object is gone after a failed delete: %v", getErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			if out.Data["a"] != "1" || out.UID != uid {
				t.Errorf("deleted object = %v; want the last state", out)
			}
			if rv(t, out) <= rv(t, existing) {
				t.Errorf("deleted object has resourceVersion %s; want the deletion's, after %s", out.ResourceVersion, existing.ResourceVersion)
			}
			if !storage.IsNotFound(getErr) {
				t.Errorf("get after delete: %v; want not found", getErr)
			}
		})
	}
}

func testCount(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	createMany(t, s, "a", 5, 2)
	createMany(t, s, "ab", 3, 2) // a namespace whose name extends "a"
	tests := []struct {
		key  storage.Key
		want int64
	}{
		{key("", ""), 8},
		{key("a", ""), 5},
		{key("ab", ""), 3},
		{key("a", itemName(0)), 1},
		{key("c", ""), 0},
	}
	for _, tc := range tests {
		t.Run(tc.key.String(), func(t *testing.T) {
			n, err := s.Count(ctx(t), tc.key)
			if err != nil || n != tc.want {
				t.Errorf("count = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
}
