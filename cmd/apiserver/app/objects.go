package app

import (
	"context"
	"time"

	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// objectCountInterval is how often apiserver_storage_objects is refreshed,
// as kube-apiserver does it.
const objectCountInterval = time.Minute

// counter is a storage that can count its objects.
type counter interface {
	Count(ctx context.Context) (int64, error)
}

// countObjects refreshes apiserver_storage_objects for every stored
// resource of catalog until ctx ends.
func countObjects(catalog *rest.Catalog) func(ctx context.Context) {
	return func(ctx context.Context) {
		t := time.NewTicker(objectCountInterval)
		defer t.Stop()
		for {
			for _, r := range catalog.Resources() {
				c, ok := r.Storage.(counter)
				if !ok {
					continue
				}
				n, err := c.Count(ctx)
				if err != nil {
					klog.V(4).InfoS("Counting stored objects failed", "resource", r.Info.GroupResource(), "err", err)
					n = -1 // as kube-apiserver reports a failed count
				}
				metrics.SetStorageObjects(r.Info.GroupResource().String(), n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}
}
