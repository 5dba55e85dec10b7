package audit

import (
	"context"
	"encoding/json"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Event is audit.k8s.io/v1 Event, field for field as kube writes it.
type Event struct {
	metav1.TypeMeta          `json:",inline"`
	Level                    Level             `json:"level"`
	AuditID                  types.UID         `json:"auditID"`
	Stage                    Stage             `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     UserInfo          `json:"user"`
	ImpersonatedUser         *UserInfo         `json:"impersonatedUser,omitempty"`
	SourceIPs                []string          `json:"sourceIPs,omitempty"`
	UserAgent                string            `json:"userAgent,omitempty"`
	ObjectRef                *ObjectReference  `json:"objectRef,omitempty"`
	ResponseStatus           *metav1.Status    `json:"responseStatus,omitempty"`
	RequestObject            json.RawMessage   `json:"requestObject,omitempty"`
	ResponseObject           json.RawMessage   `json:"responseObject,omitempty"`
	RequestReceivedTimestamp metav1.MicroTime  `json:"requestReceivedTimestamp"`
	StageTimestamp           metav1.MicroTime  `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`
}

// UserInfo is authentication/v1 UserInfo.
type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// ObjectReference names what a resource request addresses.
type ObjectReference struct {
	Resource    string `json:"resource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	APIGroup    string `json:"apiGroup,omitempty"`
	APIVersion  string `json:"apiVersion,omitempty"`
	Subresource string `json:"subresource,omitempty"`
}

// Annotation keys the authorization filter sets, as kube's.
const (
	DecisionAnnotation = "authorization.k8s.io/decision"
	ReasonAnnotation   = "authorization.k8s.io/reason"
)

// Record is the event of a request being served, shared by the filters
// that learn something about it. It is safe for concurrent use: a watch's
// handler and the audit filter may touch it at once.
type Record struct {
	mu    sync.Mutex
	event Event
}

type recordKey struct{}

// WithRecord returns ctx carrying r.
func WithRecord(ctx context.Context, r *Record) context.Context {
	return context.WithValue(ctx, recordKey{}, r)
}

// RecordFrom returns the record of the request of ctx, or nil when the
// request is not audited.
func RecordFrom(ctx context.Context) *Record {
	r, _ := ctx.Value(recordKey{}).(*Record)
	return r
}

// NewRecord starts the record of a request.
func NewRecord(e Event) *Record { return &Record{event: e} }

// Annotate adds an annotation; nil records nothing.
func (r *Record) Annotate(key, value string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.event.Annotations == nil {
		r.event.Annotations = map[string]string{}
	}
	r.event.Annotations[key] = value
}

// SetImpersonatedUser records who the request acts as; nil records
// nothing.
func (r *Record) SetImpersonatedUser(u UserInfo) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.event.ImpersonatedUser = &u
}

// Update changes the event under the record's lock.
func (r *Record) Update(fn func(e *Event)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(&r.event)
}

// Snapshot returns a copy of the event at stage, stamped now.
func (r *Record) Snapshot(stage Stage, now metav1.MicroTime) Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.event
	e.Stage, e.StageTimestamp = stage, now
	if len(r.event.Annotations) > 0 {
		e.Annotations = make(map[string]string, len(r.event.Annotations))
		for k, v := range r.event.Annotations {
			e.Annotations[k] = v
		}
	}
	return e
}
