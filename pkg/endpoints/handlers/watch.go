package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/metrics"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage"
)

// DefaultMinRequestTimeout is kube-apiserver's --min-request-timeout: a
// watch without timeoutSeconds lasts between one and two of these, spread
// so that clients do not all reconnect at once.
const DefaultMinRequestTimeout = 30 * time.Minute

// bookmarkInterval is how often a quiet watch that allows bookmarks gets
// one, so a client that reconnects resumes from a recent resourceVersion
// instead of one compaction may have removed. kube-apiserver sends them
// about once a minute.
const bookmarkInterval = time.Minute

func (h *Resource) watch(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return err
	}
	if out != outputJSON && out != outputTable && out != outputProtobuf {
		return t.notAcceptable(info.Verb)
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
	minTimeout := h.MinRequestTimeout
	if minTimeout <= 0 {
		minTimeout = DefaultMinRequestTimeout
	}
	timeout := minTimeout + time.Duration(rand.Int64N(int64(minTimeout)))
	if opts.TimeoutSeconds != nil {
		timeout = time.Duration(*opts.TimeoutSeconds) * time.Second
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		return apierrors.NewInternalError(errNoFlush)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	var watcher watch.Interface
	if sr, ok := t.storage.(rest.SharedReader); ok {
		// Events are only encoded here: the cache's objects need no copy.
		watcher, err = sr.WatchShared(ctx, info.Namespace, opts)
	} else {
		watcher, err = t.storage.(rest.Watcher).Watch(ctx, info.Namespace, opts)
	}
	if err != nil {
		return err
	}
	defer watcher.Stop()

	events := h.eventWriter(w, out)
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
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
		raw, err := h.encodeObject(obj, out)
		if err != nil {
			return false
		}
		if err := events(metav1.WatchEvent{Type: string(watch.Bookmark), Object: runtime.RawExtension{Raw: raw}}); err != nil {
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
			if m, err := meta.Accessor(unwrap(ev.Object)); err == nil && ev.Type != watch.Error {
				lastRV = m.GetResourceVersion()
			}
			raw, err := h.encodeEventObject(r, t, ev, out, headersSent)
			if err != nil {
				klog.ErrorS(err, "Encoding a watch event failed", "path", r.URL.Path)
				return nil
			}
			if err := events(metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}}); err != nil {
				return nil // the client went away
			}
			flusher.Flush()
			if ev.Type != watch.Bookmark {
				metrics.WatchEventSent(t.gvk.Group, t.gvk.Version, t.gvk.Kind)
			}
			headersSent = headersSent || ev.Type != watch.Bookmark
			if ev.Type == watch.Error {
				return nil
			}
		}
	}
}

// encodeEventObject encodes an event's object as the client asked for it:
// the object, or a one-row Table. Errors are Status objects.
func (h *Resource) encodeEventObject(r *http.Request, t *target, ev watch.Event, out output, noHeaders bool) ([]byte, error) {
	if ev.Type == watch.Error {
		status, ok := ev.Object.(*metav1.Status)
		if !ok {
			status = &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: "watch failed"}
		}
		status.Kind, status.APIVersion = "Status", "v1"
		return h.encodeObject(status, out)
	}
	if sh, ok := ev.Object.(*storage.Shared); ok {
		if out != outputTable || ev.Type == watch.Bookmark {
			return h.encodeShared(t, sh, out)
		}
		ev.Object = sh.DeepCopyObject()
	}
	h.setKind(t, ev.Object)
	if out == outputTable && ev.Type != watch.Bookmark {
		table, err := h.table(r, ev.Object, noHeaders)
		if err != nil {
			return nil, err
		}
		return json.Marshal(table)
	}
	return h.encodeObject(ev.Object, out)
}

// encodeObject is obj in JSON, or in protobuf with its envelope.
func (h *Resource) encodeObject(obj runtime.Object, out output) ([]byte, error) {
	if out != outputProtobuf {
		return json.Marshal(obj)
	}
	var buf bytes.Buffer
	err := h.Protobuf.Encode(obj, &buf)
	return buf.Bytes(), err
}

// eventWriter sets the content type of a watch and returns what writes one
// event: a JSON document per event, or a length-prefixed protobuf
// WatchEvent, as client-go decodes them.
func (h *Resource) eventWriter(w http.ResponseWriter, out output) func(metav1.WatchEvent) error {
	if out == outputProtobuf {
		w.Header().Set("Content-Type", protobufMediaType+";stream=watch")
		frames := protobuf.LengthDelimitedFramer.NewFrameWriter(w)
		return func(ev metav1.WatchEvent) error {
			var buf bytes.Buffer
			if err := h.ProtobufStream.Encode(&ev, &buf); err != nil {
				return err
			}
			_, err := frames.Write(buf.Bytes())
			return err
		}
	}
	w.Header().Set("Content-Type", "application/json")
	var buf []byte
	return func(ev metav1.WatchEvent) error {
		// As json.Encoder writes a WatchEvent, without checking and
		// compacting the object's encoding again: it is ours.
		buf = append(buf[:0], `{"type":`...)
		buf = strconv.AppendQuote(buf, ev.Type)
		buf = append(buf, `,"object":`...)
		buf = append(buf, ev.Object.Raw...)
		buf = append(buf, "}\n"...)
		_, err := w.Write(buf)
		if cap(buf) > 64<<10 {
			buf = nil // one large object does not stay with the watch
		}
		return err
	}
}

// unwrap is the object a shared one holds, or obj.
func unwrap(obj runtime.Object) runtime.Object {
	if sh, ok := obj.(*storage.Shared); ok {
		return sh.Object
	}
	return obj
}
