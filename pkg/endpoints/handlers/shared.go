package handlers

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage"
)

// encodingKey names one encoding of a shared object: what a target (its
// kind, its read-time defaults) makes of it in one format. A target is
// built once per handler, and a custom resource whose definition changes
// gets a new handler, so an old encoding is never served for it.
type encodingKey struct {
	t   *target
	out output
}

// encodeShared encodes a shared object for t, once for every request that
// serves it: the watch cache keeps the bytes with the object.
func (h *Resource) encodeShared(t *target, sh *storage.Shared, out output) ([]byte, error) {
	return sh.Encoded(encodingKey{t, out}, func(obj runtime.Object) ([]byte, error) {
		h.setKind(t, obj)
		if out == outputJSON {
			return marshalJSON(obj)
		}
		return h.encodeObject(obj, out)
	})
}

// marshalJSON encodes obj as the handlers' JSON answers do.
func marshalJSON(obj runtime.Object) ([]byte, error) {
	if m, ok := obj.(json.Marshaler); ok {
		// json.Marshal would check and compact what MarshalJSON wrote;
		// only the new line unstructured objects end with must go, as it
		// would end a watch event's line.
		data, err := m.MarshalJSON()
		return bytes.TrimRight(data, "\n"), err
	}
	return json.Marshal(obj)
}

// listShared answers a JSON list from the objects the watch cache shares,
// without copying or encoding them per request, and streams it, so that a
// list costs this request little more than the list's index; false when
// the storage does not share them for this request.
func (h *Resource) listShared(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) (bool, error) {
	sr, ok := t.storage.(rest.SharedReader)
	if !ok {
		return false, nil
	}
	opts, err := listOptions(r.URL.Query())
	if err != nil {
		return false, err
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	shared, ok, err := sr.ListShared(ctx, info.Namespace, opts)
	if err != nil || !ok {
		return false, err
	}
	if shared.Own != nil {
		return true, h.write(w, r, t, http.StatusOK, shared.Own, outputJSON)
	}
	// The envelope is the empty list as the other path encodes it, with
	// the items spliced in.
	list := t.storage.(rest.Lister).NewList()
	if err := meta.SetList(list, []runtime.Object{}); err != nil {
		return false, err
	}
	if err := storage.SetListMeta(list, shared.ResourceVersion, shared.Continue, shared.RemainingItemCount); err != nil {
		return false, err
	}
	h.setKind(t, list)
	envelope, err := marshalJSON(list)
	if err != nil {
		return false, err
	}
	const empty = `"items":[]`
	at := bytes.Index(envelope, []byte(empty))
	if at < 0 {
		return false, nil
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.Write(envelope[:at+len(empty)-1]) //nolint:errcheck // bufio keeps the first error
	for i, sh := range shared.Items {
		data, err := h.encodeShared(t, sh, outputJSON)
		if err != nil {
			// The answer has begun: cut it short rather than end it
			// as if complete.
			panic(http.ErrAbortHandler)
		}
		if i > 0 {
			bw.WriteByte(',') //nolint:errcheck
		}
		if _, err := bw.Write(data); err != nil {
			return true, nil // the client went away, or the deadline cut it off
		}
	}
	bw.Write(envelope[at+len(empty)-1:]) //nolint:errcheck
	bw.Flush()                           //nolint:errcheck
	return true, nil
}
