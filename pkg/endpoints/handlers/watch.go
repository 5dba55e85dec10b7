package handlers

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// minWatchTimeout is kube-apiserver's --min-request-timeout: a watch without
// timeoutSeconds lasts between one and two of these, spread so that clients
// do not all reconnect at once.
const minWatchTimeout = 30 * time.Minute

// bookmarkInterval is how often a quiet watch that allows bookmarks gets
// one, so a client that reconnects resumes from a recent resourceVersion
// instead of one compaction may have removed. kube-apiserver sends them
// about once a minute.
const bookmarkInterval = time.Minute

func (h *Resource) watch(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	if out != outputJSON && out != outputTable {
		return notAcceptable()
	}
	opts, err := listOptions(r.URL.Query())
	if err != nil {
		return err
	}
	if info.Name != "" {
		// GET .../configmaps/foo?watch=true watches one object.
		sel := "metadata.name=" + info.Name
		if opts.FieldSelector != "" {
			sel += "," + opts.FieldSelector
		}
		opts.FieldSelector = sel
	}
	timeout := minWatchTimeout + time.Duration(rand.Int64N(int64(minWatchTimeout)))
	if opts.TimeoutSeconds != nil {
		timeout = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return apierrors.NewInternalError(errNoFlush)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	watcher, err := t.storage.(rest.Watcher).Watch(ctx, info.Namespace, opts)
	if err != nil {
		return err
	}
	defer watcher.Stop()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	enc := json.NewEncoder(w)
	// Table columns go with the first event only, as kube-apiserver sends them.
	headersSent := false
	lastRV := opts.ResourceVersion
	var bookmarks <-chan time.Time
	if opts.AllowWatchBookmarks {
		t := time.NewTicker(bookmarkInterval)
		defer t.Stop()
		bookmarks = t.C
	}
	// A watch that times out ends with a bookmark of where it got to.
	deadline := time.NewTimer(timeout - min(time.Second, timeout/10))
	defer deadline.Stop()
	bookmark := func() bool {
		if !opts.AllowWatchBookmarks || lastRV == "" || lastRV == "0" {
			return true
		}
		obj := t.storage.New()
		h.setKind(t, obj)
		if m, err := meta.Accessor(obj); err == nil {
			m.SetResourceVersion(lastRV)
		}
		raw, err := json.Marshal(obj)
		if err != nil {
			return false
		}
		if err := enc.Encode(metav1.WatchEvent{Type: string(watch.Bookmark), Object: runtime.RawExtension{Raw: raw}}); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.Stopping:
			return nil
		case <-bookmarks:
			if !bookmark() {
				return nil
			}
		case <-deadline.C:
			bookmark()
			return nil
		case ev, ok := <-watcher.ResultChan():
			if !ok {
				return nil
			}
			if ev.Type == watch.Bookmark && !opts.AllowWatchBookmarks {
				continue
			}
			if m, err := meta.Accessor(ev.Object); err == nil && ev.Type != watch.Error {
				lastRV = m.GetResourceVersion()
			}
			raw, err := h.encodeEventObject(r, t, ev, out, headersSent)
			if err != nil {
				klog.ErrorS(err, "Encoding a watch event failed", "path", r.URL.Path)
				return nil
			}
			if err := enc.Encode(metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}}); err != nil {
				return nil // the client went away
			}
			flusher.Flush()
			headersSent = headersSent || ev.Type != watch.Bookmark
			if ev.Type == watch.Error {
				return nil
			}
		}
	}
}

// encodeEventObject is the JSON of an event's object, as the client asked
// for it: the object, or a one-row Table. Errors are Status objects.
func (h *Resource) encodeEventObject(r *http.Request, t *target, ev watch.Event, out output, noHeaders bool) ([]byte, error) {
	if ev.Type == watch.Error {
		status, ok := ev.Object.(*metav1.Status)
		if !ok {
			status = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: "watch failed"}
		}
		status.Kind, status.APIVersion = "Status", "v1"
		return json.Marshal(status)
	}
	h.setKind(t, ev.Object)
	if out == outputTable && ev.Type != watch.Bookmark {
		table, err := h.table(r, ev.Object, noHeaders)
		if err != nil {
			return nil, err
		}
		return json.Marshal(table)
	}
	return json.Marshal(ev.Object)
}
