package storagetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/storage"
)

func names(l *corev1.ConfigMapList) []string {
	var out []string
	for _, cm := range l.Items {
		out = append(out, cm.Namespace+"/"+cm.Name)
	}
	return out
}

// seedLabelled creates a/x0..x4 (app=web for even, app=db for odd) and b/y0.
func seedLabelled(t *testing.T, s storage.Interface) {
	t.Helper()
	for i := range 5 {
		cm := configMap("a", fmt.Sprintf("x%d", i), nil)
		cm.Labels = map[string]string{"app": map[bool]string{true: "web", false: "db"}[i%2 == 0]}
		mustCreate(t, s, cm)
	}
	mustCreate(t, s, configMap("b", "y0", nil))
}

func testGetList(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	seedLabelled(t, s)
	web := storage.SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"})}
	tests := []struct {
		name string
		key  storage.Key
		opts storage.ListOptions
		want []string
	}{
		{"all namespaces", key("", ""), storage.ListOptions{Recursive: true},
			[]string{"a/x0", "a/x1", "a/x2", "a/x3", "a/x4", "b/y0"}},
		{"one namespace", key("b", ""), storage.ListOptions{Recursive: true}, []string{"b/y0"}},
		{"label selector", key("a", ""), storage.ListOptions{Recursive: true, Predicate: web}, []string{"a/x0", "a/x2", "a/x4"}},
		{"field selector", key("", ""), storage.ListOptions{Recursive: true, Predicate: storage.SelectionPredicate{
			Field: fields.OneTermEqualSelector("metadata.name", "x3")}}, []string{"a/x3"}},
		{"one object", key("a", "x1"), storage.ListOptions{}, []string{"a/x1"}},
		{"one missing object", key("a", "nope"), storage.ListOptions{}, nil},
		{"empty namespace", key("c", ""), storage.ListOptions{Recursive: true}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list := &corev1.ConfigMapList{Items: []corev1.ConfigMap{{}}} // stale items are dropped
			if err := s.GetList(ctx(t), tc.key, tc.opts, list); err != nil {
				t.Fatalf("list: %v", err)
			}
			if got := names(list); !slices.Equal(got, tc.want) {
				t.Errorf("list = %v; want %v", got, tc.want)
			}
			if list.ResourceVersion == "" || list.Continue != "" {
				t.Errorf("list meta = %+v; want a resourceVersion and no continue", list.ListMeta)
			}
			for _, cm := range list.Items {
				if cm.ResourceVersion == "" {
					t.Errorf("item %s has no resourceVersion", cm.Name)
				}
			}
		})
	}
	t.Run("pointer and interface items", func(t *testing.T) {
		l := &pointerList{}
		if err := s.GetList(ctx(t), key("b", ""), storage.ListOptions{Recursive: true}, l); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 1 || l.Items[0].Name != "y0" {
			t.Errorf("items = %v; want b/y0", l.Items)
		}
	})
}

// pointerList is a list type whose items are pointers.
type pointerList struct {
	metav1.TypeMeta
	metav1.ListMeta `json:"metadata"`
	Items           []*corev1.ConfigMap
}

func (l *pointerList) DeepCopyObject() runtime.Object { c := *l; return &c }

func testListResourceVersion(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	first := mustCreate(t, s, configMap("ns", "a", nil))
	before := &corev1.ConfigMapList{}
	if err := s.GetList(ctx(t), key("ns", ""), storage.ListOptions{Recursive: true}, before); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, configMap("ns", "b", nil))
	current := &corev1.ConfigMapList{}
	if err := s.GetList(ctx(t), key("ns", ""), storage.ListOptions{Recursive: true}, current); err != nil {
		t.Fatal(err)
	}
	if before.ResourceVersion != first.ResourceVersion {
		t.Errorf("list resourceVersion = %s; want the last write's %s", before.ResourceVersion, first.ResourceVersion)
	}
	future := strconv.FormatInt(listRV(t, current)+1000, 10)
	tests := []struct {
		name string
		opts storage.ListOptions
		want []string // nil with code set
		code storage.ErrorCode
	}{
		{"latest", storage.ListOptions{}, []string{"ns/a", "ns/b"}, 0},
		{"any", storage.ListOptions{ResourceVersion: "0"}, []string{"ns/a", "ns/b"}, 0},
		{"not older than an old one", storage.ListOptions{ResourceVersion: before.ResourceVersion}, []string{"ns/a", "ns/b"}, 0},
		{"exact old", storage.ListOptions{ResourceVersion: before.ResourceVersion,
			ResourceVersionMatch: metav1.ResourceVersionMatchExact}, []string{"ns/a"}, 0},
		{"legacy exact with limit", storage.ListOptions{ResourceVersion: before.ResourceVersion, Limit: 10}, []string{"ns/a"}, 0},
		{"explicit not older than", storage.ListOptions{ResourceVersion: before.ResourceVersion,
			ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan}, []string{"ns/a", "ns/b"}, 0},
		{"not older than the future", storage.ListOptions{ResourceVersion: future}, nil, storage.ErrCodeTooLargeResourceVersion},
		{"exact future", storage.ListOptions{ResourceVersion: future,
			ResourceVersionMatch: metav1.ResourceVersionMatchExact}, nil, storage.ErrCodeTooLargeResourceVersion},
		{"exact zero", storage.ListOptions{ResourceVersion: "0",
			ResourceVersionMatch: metav1.ResourceVersionMatchExact}, nil, storage.ErrCodeInvalidRequest},
		{"match without resourceVersion", storage.ListOptions{
			ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan}, nil, storage.ErrCodeInvalidRequest},
		{"unknown match", storage.ListOptions{ResourceVersion: "1", ResourceVersionMatch: "Newest"}, nil, storage.ErrCodeInvalidRequest},
		{"bad resourceVersion", storage.ListOptions{ResourceVersion: "-3"}, nil, storage.ErrCodeInvalidRequest},
		{"negative limit", storage.ListOptions{Limit: -1}, nil, storage.ErrCodeInvalidRequest},
		{"garbage continue", storage.ListOptions{Continue: "!!!"}, nil, storage.ErrCodeInvalidRequest},
		{"continue with resourceVersion", storage.ListOptions{Continue: mustContinue(t, "a", 1), ResourceVersion: "5"}, nil, storage.ErrCodeInvalidRequest},
		{"continue escaping its prefix", storage.ListOptions{Continue: escapingContinue(1)}, nil, storage.ErrCodeInvalidRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Recursive = true
			list := &corev1.ConfigMapList{}
			err := s.GetList(ctx(t), key("ns", ""), tc.opts, list)
			if tc.code != 0 {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if got := names(list); !slices.Equal(got, tc.want) {
				t.Errorf("list = %v; want %v", got, tc.want)
			}
		})
	}
}

func mustContinue(t *testing.T, start string, rv int64) string {
	t.Helper()
	c, err := storage.EncodeContinue(start, rv)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testPagination(t *testing.T, b Backend) {
	s := newConfigMapStore(t, b)
	seedLabelled(t, s)
	web := storage.SelectionPredicate{Label: labels.SelectorFromSet(labels.Set{"app": "web"})}
	tests := []struct {
		name      string
		limit     int64
		pred      storage.SelectionPredicate
		wantPages [][]string
		remaining []int64 // -1: not set
	}{
		{"limit 2", 2, storage.Everything,
			[][]string{{"a/x0", "a/x1"}, {"a/x2", "a/x3"}, {"a/x4"}}, []int64{3, 1, -1}},
		{"limit fits exactly", 5, storage.Everything, [][]string{{"a/x0", "a/x1", "a/x2", "a/x3", "a/x4"}}, []int64{-1}},
		{"filtered", 2, web, [][]string{{"a/x0", "a/x2"}, {"a/x4"}}, []int64{-1, -1}},
		{"filtered, one per page", 1, web, [][]string{{"a/x0"}, {"a/x2"}, {"a/x4"}}, []int64{-1, -1, -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pages [][]string
			var remaining []int64
			opts := storage.ListOptions{Recursive: true, Limit: tc.limit, Predicate: tc.pred}
			listRV := ""
			for i := 0; ; i++ {
				if i > 10 {
					t.Fatal("pagination does not end")
				}
				list := &corev1.ConfigMapList{}
				if err := s.GetList(ctx(t), key("a", ""), opts, list); err != nil {
					t.Fatalf("page %d: %v", i, err)
				}
				if listRV == "" {
					listRV = list.ResourceVersion
				} else if list.ResourceVersion != listRV {
					t.Errorf("page %d has resourceVersion %s; want the first page's %s", i, list.ResourceVersion, listRV)
				}
				pages = append(pages, names(list))
				r := int64(-1)
				if list.RemainingItemCount != nil {
					r = *list.RemainingItemCount
				}
				remaining = append(remaining, r)
				if list.Continue == "" {
					break
				}
				opts.Continue = list.Continue
			}
			if !slices.EqualFunc(pages, tc.wantPages, slices.Equal) {
				t.Errorf("pages = %v; want %v", pages, tc.wantPages)
			}
			if !slices.Equal(remaining, tc.remaining) {
				t.Errorf("remainingItemCount = %v; want %v", remaining, tc.remaining)
			}
		})
	}
}

// history records every write of the PaginationUnderWrites test, so the
// state of any key at any revision can be computed.
type history struct {
	mu     sync.Mutex
	writes map[string][]write // by name, in revision order per writer
}

type write struct {
	rev    int64
	exists bool
	data   string
}

func (h *history) add(name string, w write) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes[name] = append(h.writes[name], w)
}

// at returns the data of each key that exists at rev.
func (h *history) at(rev int64) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]string{}
	for name, ws := range h.writes {
		var last *write
		for i := range ws {
			if ws[i].rev <= rev && (last == nil || ws[i].rev > last.rev) {
				last = &ws[i]
			}
		}
		if last != nil && last.exists {
			out[name] = last.data
		}
	}
	return out
}

// escapingContinue is a hand-made token whose start key climbs out of the
// listed collection.
func escapingContinue(rv int64) string {
	return base64.RawURLEncoding.EncodeToString(
		fmt.Appendf(nil, `{"v":"meta.k8s.io/v1","rv":%d,"start":"../../secrets/x"}`, rv))
}
