package filters

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
	"sigs.k8s.io/yaml"

	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

// Bounds of what an event holds of bodies: a larger request or response
// is recorded without its object, rather than held twice in memory.
const (
	maxAuditedBody   = 3 << 20
	maxAuditedStatus = 64 << 10
)

// WithAudit records the requests policy picks in sink, as kube-apiserver
// audits: a RequestReceived event when the request arrives,
// ResponseStarted when a watch starts answering, ResponseComplete when the
// answer is written, Panic when the handler panicked (each unless the
// policy omits it). At Metadata level an event names the request and its
// user and the answer's status; Request adds the body sent, and
// RequestResponse the body answered (not a watch's stream). It goes after
// authentication: an unauthenticated request is not audited. The response
// carries the event's ID as Audit-Id.
func WithAudit(h http.Handler, policy *audit.Policy, sink audit.Sink) http.Handler {
	if policy == nil || sink == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attrs := attributes(r)
		d := policy.Evaluate(attrs)
		if d.Level == audit.LevelNone {
			h.ServeHTTP(w, r)
			return
		}
		id := r.Header.Get("Audit-ID")
		if id == "" {
			id = string(uuid.NewUUID())
		}
		w.Header().Set("Audit-Id", id)
		info, _ := request.RequestInfoFrom(r.Context())
		ev := audit.Event{
			TypeMeta: metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"},
			Level:    d.Level, AuditID: types.UID(id), RequestURI: r.RequestURI, Verb: attrs.Verb,
			User: auditUser(attrs.User), SourceIPs: sourceIPs(r), UserAgent: r.UserAgent(),
			RequestReceivedTimestamp: metav1.NowMicro(),
		}
		if attrs.IsResourceRequest {
			ev.ObjectRef = &audit.ObjectReference{
				Resource: attrs.Resource, Namespace: attrs.Namespace, Name: attrs.Name,
				APIGroup: attrs.APIGroup, APIVersion: attrs.APIVersion, Subresource: attrs.Subresource,
			}
		}
		rec := audit.NewRecord(ev)
		emit := func(stage audit.Stage) {
			if !d.Omits(stage) {
				e := rec.Snapshot(stage, metav1.NowMicro())
				sink.Process(&e)
			}
		}
		emit(audit.StageRequestReceived)
		if !d.Level.Less(audit.LevelRequest) {
			if obj := readAuditedBody(r, d.OmitManagedFields); obj != nil {
				rec.Update(func(e *audit.Event) { e.RequestObject = obj })
			}
		}
		long := LongRunning(info)
		aw := &auditWriter{ResponseWriter: w, keepBody: d.Level == audit.LevelRequestResponse && !long}
		if long {
			aw.started = func() { emit(audit.StageResponseStarted) }
		}
		defer func() {
			if v := recover(); v != nil {
				rec.Update(func(e *audit.Event) {
					e.ResponseStatus = &metav1.Status{Code: http.StatusInternalServerError, Status: metav1.StatusFailure,
						Message: fmt.Sprintf("APIServer panic'd: %v", v), Reason: metav1.StatusReasonInternalError}
				})
				emit(audit.StagePanic)
				panic(v)
			}
			rec.Update(func(e *audit.Event) { aw.complete(e, d.OmitManagedFields) })
			emit(audit.StageResponseComplete)
		}()
		h.ServeHTTP(aw, r.WithContext(audit.WithRecord(r.Context(), rec)))
	})
}

func auditUser(u *user.Info) audit.UserInfo {
	if u == nil {
		return audit.UserInfo{}
	}
	return audit.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: u.Extra}
}

// sourceIPs are the client's address, after those a proxy in front says
// it forwarded for, as kube lists them.
func sourceIPs(r *http.Request) []string {
	var ips []string
	for _, f := range strings.Split(r.Header.Get("X-Forwarded-For"), ",") {
		if ip := net.ParseIP(strings.TrimSpace(f)); ip != nil {
			ips = append(ips, ip.String())
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ips = append(ips, host)
	}
	return ips
}

// readAuditedBody returns the JSON of a write's body (YAML converted), and
// puts the body back for the handler. Protobuf, oversized or invalid
// bodies are not recorded.
func readAuditedBody(r *http.Request, omitManagedFields bool) json.RawMessage {
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	isJSON, isYAML := strings.HasSuffix(mt, "json"), strings.HasSuffix(mt, "yaml")
	if !isJSON && !isYAML {
		return nil
	}
	head, err := io.ReadAll(io.LimitReader(r.Body, maxAuditedBody+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if err != nil || len(head) > maxAuditedBody {
		return nil
	}
	if isYAML {
		if head, err = yaml.YAMLToJSON(head); err != nil {
			return nil
		}
	}
	return auditedObject(head, omitManagedFields)
}

// auditedObject returns data as an event holds it: valid JSON, without
// managedFields when the policy says so.
func auditedObject(data []byte, omitManagedFields bool) json.RawMessage {
	if !json.Valid(data) {
		return nil
	}
	if !omitManagedFields || !bytes.Contains(data, []byte(`"managedFields"`)) {
		return json.RawMessage(bytes.Clone(data))
	}
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return json.RawMessage(bytes.Clone(data)) // an array (a JSON patch) has no metadata
	}
	dropManagedFields(obj)
	if items, ok := obj["items"].([]any); ok {
		for _, item := range items {
			if m, ok := item.(map[string]any); ok {
				dropManagedFields(m)
			}
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil
	}
	return out
}

func dropManagedFields(obj map[string]any) {
	if meta, ok := obj["metadata"].(map[string]any); ok {
		delete(meta, "managedFields")
	}
}

// auditWriter remembers the status code and, when asked, the body of the
// answer; on errors it keeps the start of the body, the Status.
type auditWriter struct {
	http.ResponseWriter
	keepBody bool
	started  func()
	code     int
	body     bytes.Buffer
	overflow bool
}

func (w *auditWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
		if w.started != nil {
			w.started()
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *auditWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.WriteHeader(http.StatusOK)
	}
	limit := 0
	if w.keepBody {
		limit = maxAuditedBody
	} else if w.code >= 300 {
		limit = maxAuditedStatus
	}
	if !w.overflow && limit > 0 {
		if w.body.Len()+len(p) > limit {
			w.overflow = true
			w.body.Reset()
		} else {
			w.body.Write(p)
		}
	}
	return w.ResponseWriter.Write(p)
}

// Flush passes flushes on (watches stream through them).
func (w *auditWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *auditWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// complete fills the answer into e: its status (a Status answer's
// details when it failed) and, at RequestResponse, its object.
func (w *auditWriter) complete(e *audit.Event, omitManagedFields bool) {
	code := w.code
	if code == 0 {
		code = http.StatusOK
	}
	status := &metav1.Status{Code: int32(code)}
	isJSON := strings.Contains(w.Header().Get("Content-Type"), "json")
	if code >= 300 && isJSON && !w.overflow {
		var s metav1.Status
		if json.Unmarshal(w.body.Bytes(), &s) == nil && s.Kind == "Status" {
			status.Status, status.Message, status.Reason, status.Details = s.Status, s.Message, s.Reason, s.Details
		}
	}
	e.ResponseStatus = status
	if w.keepBody && isJSON && !w.overflow && w.body.Len() > 0 {
		e.ResponseObject = auditedObject(w.body.Bytes(), omitManagedFields)
	}
}
