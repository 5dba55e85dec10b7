package rest

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
)

// ListWatch lists and watches s in every namespace, in process, for the
// client-go informers of the server's own controllers; false when s does
// not serve both verbs.
func ListWatch(s Storage) (*cache.ListWatch, bool) {
	lister, l := s.(Lister)
	watcher, w := s.(Watcher)
	if !l || !w {
		return nil, false
	}
	return &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return lister.List(ctx, "", &opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return watcher.Watch(ctx, "", &opts)
		},
	}, true
}
