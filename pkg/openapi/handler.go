package openapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/munnerz/goautoneg"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// Paths served.
const (
	v2Path = "/openapi/v2"
	v3Root = "/openapi/v3"
)

// Content types, as kube-openapi's handlers negotiate them: clients ask for
// the protobuf forms with either spelling, and get the dotted one back.
const (
	ctJSON                  = "application/json"
	subtypeJSON             = "json"
	subtypeV2Protobuf       = "com.github.proto-openapi.spec.v2.v1.0+protobuf"
	subtypeV2ProtobufLegacy = "com.github.proto-openapi.spec.v2@v1.0+protobuf"
	subtypeV3Protobuf       = "com.github.proto-openapi.spec.v3.v1.0+protobuf"
	subtypeV3ProtobufLegacy = "com.github.proto-openapi.spec.v3@v1.0+protobuf"
)

// Documents smaller than this are sent uncompressed: the gzip framing
// would cost more than it saves (the threshold gziphandler uses).
const minGzipSize = 1400

// Mux is where the handlers are installed; the server's PathMux is one.
type Mux interface {
	Handle(path string, h http.Handler)
	HandlePrefix(prefix string, h http.Handler)
}

// InstallHandlers serves /openapi/v2, /openapi/v3 and the documents under
// /openapi/v3/ on mux.
func (s *Service) InstallHandlers(mux Mux) {
	mux.Handle(v2Path, http.HandlerFunc(s.serveV2))
	mux.Handle(v3Root, http.HandlerFunc(s.serveV3Index))
	mux.HandlePrefix(v3Root+"/", http.HandlerFunc(s.serveV3))
}

type offer struct {
	subtype     string
	contentType string
	protobuf    bool
}

var (
	v2Offers = []offer{
		{subtypeJSON, ctJSON, false},
		{subtypeV2ProtobufLegacy, "application/" + subtypeV2Protobuf, true},
		{subtypeV2Protobuf, "application/" + subtypeV2Protobuf, true},
	}
	v3Offers = []offer{
		{subtypeJSON, ctJSON, false},
		{subtypeV3Protobuf, "application/" + subtypeV3Protobuf, true},
		{subtypeV3ProtobufLegacy, "application/" + subtypeV3Protobuf, true},
	}
)

func (s *Service) serveV2(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	doc, err := s.state.Load().v2.get()
	if err != nil {
		klog.ErrorS(err, "Rendering OpenAPI v2 failed")
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "the OpenAPI v2 document could not be rendered")
		return
	}
	serveNegotiated(w, r, doc, v2Offers)
}

func (s *Service) serveV3Index(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	doc, err := s.state.Load().index.get()
	if err != nil {
		klog.ErrorS(err, "Rendering the OpenAPI v3 index failed")
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "the OpenAPI v3 index could not be rendered")
		return
	}
	w.Header().Set("Content-Type", ctJSON)
	serveBody(w, r, doc, false)
}

func (s *Service) serveV3(w http.ResponseWriter, r *http.Request) {
	if !allowGet(w, r) {
		return
	}
	key := strings.TrimPrefix(r.URL.Path, v3Root+"/")
	lazy := s.state.Load().v3[key]
	if lazy == nil {
		writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
		return
	}
	doc, err := lazy.get()
	if err != nil {
		klog.ErrorS(err, "Rendering an OpenAPI v3 document failed", "document", key)
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "the OpenAPI v3 document could not be rendered")
		return
	}
	if hash := r.URL.Query().Get("hash"); hash != "" {
		if hash != doc.etag {
			// An outdated link: send the client to the current document.
			http.Redirect(w, r, v3URL(key, doc.etag), http.StatusMovedPermanently)
			return
		}
		// The URL names this exact content, which can then be kept for
		// ever; Vary keeps JSON and protobuf apart in caches.
		w.Header().Set("Cache-Control", "public, immutable")
		w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
	}
	serveNegotiated(w, r, doc, v3Offers)
}

// serveNegotiated serves doc in the first offer the Accept header takes,
// or answers 406 Not Acceptable with no body, as kube-apiserver does.
func serveNegotiated(w http.ResponseWriter, r *http.Request, doc *document, offers []offer) {
	accept := r.Header.Get("Accept")
	if accept == "" {
		accept = "*/*"
	}
	w.Header().Add("Vary", "Accept")
	for _, clause := range goautoneg.ParseAccept(accept) {
		for _, o := range offers {
			if (clause.Type != "application" && clause.Type != "*") || (clause.SubType != o.subtype && clause.SubType != "*") {
				continue
			}
			w.Header().Set("Content-Type", o.contentType)
			serveBody(w, r, doc, o.protobuf)
			return
		}
	}
	w.WriteHeader(http.StatusNotAcceptable)
}

// serveBody writes doc with its ETag, answering If-None-Match with 304.
func serveBody(w http.ResponseWriter, r *http.Request, doc *document, protobuf bool) {
	compressed := len(doc.json) >= minGzipSize && acceptsGzip(r.Header.Get("Accept-Encoding"))
	data, err := doc.body(protobuf, compressed)
	if err != nil {
		klog.ErrorS(err, "Encoding OpenAPI document failed", "path", r.URL.Path)
		w.Header().Del("Content-Type")
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, "the OpenAPI document could not be encoded")
		return
	}
	// The ETag must be quoted; one ETag serves every form, as Vary says.
	w.Header().Set("Etag", strconv.Quote(doc.etag))
	w.Header().Add("Vary", "Accept-Encoding")
	if compressed {
		w.Header().Set("Content-Encoding", "gzip")
	}
	http.ServeContent(w, r, "", doc.modified, bytes.NewReader(data))
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.TrimSpace(params), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

func allowGet(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "the server does not allow this method on the requested resource")
	return false
}

// writeStatus answers with a Kubernetes Status, as the API's errors are.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, message string) {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: message, Reason: reason, Code: int32(code),
	}
	data, _ := json.Marshal(st) // a Status always encodes
	w.Header().Set("Content-Type", ctJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(data)
}
