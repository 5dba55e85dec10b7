package rest

import (
	"context"
	"net/http"
	"reflect"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ResourceInfo names a resource the way discovery shows it.
type ResourceInfo struct {
	// GroupVersionResource is where the resource is served, e.g. {"" "v1" "configmaps"}.
	schema.GroupVersionResource
	// Kind and ListKind are the types of one object and of a list.
	Kind, ListKind string
	// Singular is the lower-case singular name (configmap).
	Singular string
	// ShortNames are kubectl's abbreviations (cm).
	ShortNames []string
	// Categories group resources for kubectl get (e.g. "all").
	Categories []string
	// Namespaced is true when objects live in a namespace.
	Namespaced bool
	// Verbs are the verbs served, as discovery lists them.
	Verbs []string
}

// GroupResource returns the group and resource, as errors name them.
func (r ResourceInfo) GroupResource() schema.GroupResource {
	return r.GroupVersionResource.GroupResource()
}

// GroupVersionKind of one object.
func (r ResourceInfo) GroupVersionKind() schema.GroupVersionKind {
	return r.GroupVersion().WithKind(r.Kind)
}

// DefaultVerbs are the verbs of a resource served by the generic store.
var DefaultVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

// Strategy is what differs between resource types on write. The generic
// store calls, on create: PrepareForCreate, Validate, Canonicalize; on
// update: PrepareForUpdate, ValidateUpdate, Canonicalize. Object metadata
// (name, generateName, labels, annotations, finalizers, resourceVersion,
// uid, creationTimestamp) is validated and filled by the store itself;
// strategies see objects whose metadata is already checked.
type Strategy interface {
	// PrepareForCreate clears what a client may not set on create, such as
	// status, and fills defaults.
	PrepareForCreate(ctx context.Context, obj runtime.Object)
	// PrepareForUpdate carries over from old what the client may not change
	// through this endpoint (status through the main resource, for one).
	PrepareForUpdate(ctx context.Context, obj, old runtime.Object)
	// Validate returns the field errors of a new object.
	Validate(ctx context.Context, obj runtime.Object) field.ErrorList
	// ValidateUpdate returns the field errors of an update of old to obj,
	// including changes to immutable fields.
	ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList
	// Canonicalize puts a valid object in the form it is stored in, such as
	// folding a Secret's stringData into data.
	Canonicalize(obj runtime.Object)
	// AllowCreateOnUpdate lets PUT create a missing object.
	AllowCreateOnUpdate() bool
	// AllowUnconditionalUpdate lets PUT without a resourceVersion overwrite.
	AllowUnconditionalUpdate() bool
}

// SpecChanged reports whether an update changed what bumps
// metadata.generation; a Strategy may implement it, and without it any
// change but metadata bumps it.
type GenerationPolicy interface {
	SpecChanged(obj, old runtime.Object) bool
}

// Finalizing is implemented by a Strategy whose type has finalizers of its
// own besides metadata.finalizers, as a Namespace has spec.finalizers: a
// delete then only marks the object, and it goes once both are empty.
type Finalizing interface {
	// Pending reports whether obj still has type finalizers.
	Pending(obj runtime.Object) bool
	// MarkDeleting records on obj that deletion has begun (a namespace's
	// status.phase becomes Terminating).
	MarkDeleting(obj runtime.Object)
}

// AttrFunc returns the labels and fields of an object for selectors. Every
// resource supports metadata.name and metadata.namespace; a type adds its
// own fields (type for secrets, status.phase for namespaces).
type AttrFunc func(obj runtime.Object) (labels.Set, fields.Set, error)

// TableConvertor prints objects as the rows of a meta.k8s.io/v1 Table, for
// kubectl get. obj is one object or a list.
type TableConvertor interface {
	ConvertToTable(ctx context.Context, obj runtime.Object, opts *metav1.TableOptions) (*metav1.Table, error)
}

// Type is everything a resource type gives the generic store.
type Type struct {
	Info ResourceInfo
	// New returns an empty object; NewList an empty list.
	New, NewList func() runtime.Object
	Strategy     Strategy
	// Attrs gives selectable labels and fields; nil allows only
	// metadata.name and metadata.namespace.
	Attrs AttrFunc
	// SelectableFields are the field selector keys Attrs supports beyond
	// metadata.name and metadata.namespace, so an unknown one is a 400.
	SelectableFields []string
	// Table prints objects; nil prints kube-apiserver's default table (Name
	// and Created At).
	Table TableConvertor
	// ValidateName returns the errors of an invalid object name; nil
	// requires a DNS subdomain.
	ValidateName func(name string, prefix bool) []string
	// Defaults, when set, is what kube-apiserver applies to a request
	// body as it decodes it (defaulting, and the conversion to the form it
	// validates, such as a Secret's stringData folded into data). It is
	// registered in the scheme, which the handlers run on every decoded
	// body of the type.
	Defaults func(obj runtime.Object)
}

// PlainStrategy is the Strategy of a type with nothing of its own to
// prepare, validate or canonicalize beyond the metadata the generic store
// checks: PUT of a missing object is a 404, PUT without a resourceVersion
// overwrites, and metadata.generation never moves. A type embeds it and
// overrides what it has.
type PlainStrategy struct{}

var (
	_ Strategy         = PlainStrategy{}
	_ GenerationPolicy = PlainStrategy{}
)

// PrepareForCreate does nothing.
func (PlainStrategy) PrepareForCreate(context.Context, runtime.Object) {}

// PrepareForUpdate does nothing.
func (PlainStrategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}

// Validate finds nothing wrong.
func (PlainStrategy) Validate(context.Context, runtime.Object) field.ErrorList { return nil }

// ValidateUpdate finds nothing wrong.
func (PlainStrategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}

// Canonicalize does nothing.
func (PlainStrategy) Canonicalize(runtime.Object) {}

// AllowCreateOnUpdate is false.
func (PlainStrategy) AllowCreateOnUpdate() bool { return false }

// AllowUnconditionalUpdate is true.
func (PlainStrategy) AllowUnconditionalUpdate() bool { return true }

// SpecChanged is false: the generation stays.
func (PlainStrategy) SpecChanged(runtime.Object, runtime.Object) bool { return false }

// Reserving is implemented by a Strategy whose objects hold values that
// live outside their own key and must be unique among all objects, as a
// Service holds cluster IPs and node ports. The generic store reserves
// after PrepareFor* and before validation, so that validation sees the
// values taken, and releases what a write gave up once it is done.
type Reserving interface {
	// Reserve takes what obj needs and old (nil on create) does not hold,
	// and fills it into obj. errs are the client's mistakes (a value out
	// of range or taken), answered 422; err is a failure to reserve.
	// undo gives back what was taken when the write does not happen.
	// With dryRun it only checks, and takes nothing.
	Reserve(ctx context.Context, obj, old runtime.Object, dryRun bool) (undo func(), errs field.ErrorList, err error)
	// Release frees what old held and obj (nil once old is deleted) does
	// not, after the write.
	Release(ctx context.Context, obj, old runtime.Object)
}

// SpecStatusStrategy is the Strategy of a type whose object is a Spec and
// a Status (struct fields of those names), written through its own
// endpoint as kube writes workloads: a new object starts with an empty
// status at generation 1, an update keeps the stored status, and a new
// spec bumps the generation. A type embeds it and adds validation.
type SpecStatusStrategy struct{ PlainStrategy }

// PrepareForCreate clears the status and starts the generation at 1.
func (SpecStatusStrategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	st := structField(obj, "Status")
	st.Set(reflect.Zero(st.Type()))
	if m, err := meta.Accessor(obj); err == nil {
		m.SetGeneration(1)
	}
}

// PrepareForUpdate keeps the stored status.
func (SpecStatusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	structField(obj, "Status").Set(structField(old, "Status"))
}

// SpecChanged reports whether the spec changed.
func (SpecStatusStrategy) SpecChanged(obj, old runtime.Object) bool {
	return !reflect.DeepEqual(structField(obj, "Spec").Interface(), structField(old, "Spec").Interface())
}

// StatusStrategy is the Strategy of the status subresource of such a
// type: an update keeps the stored spec. A type embeds it and adds the
// validation of its status.
type StatusStrategy struct{ PlainStrategy }

// PrepareForUpdate keeps the stored spec.
func (StatusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	structField(obj, "Spec").Set(structField(old, "Spec"))
}

// structField is the named field of the struct obj points to.
func structField(obj runtime.Object, name string) reflect.Value {
	return reflect.ValueOf(obj).Elem().FieldByName(name)
}

// WithStrategy returns t writing with s instead: the type of a
// subresource (status, approval) that writes the same objects by other
// rules.
func (t Type) WithStrategy(s Strategy) Type {
	t.Strategy = s
	return t
}

// Graceful is implemented by a Strategy whose objects are deleted after a
// grace period in which something else (a kubelet, for a Pod) stops what
// the object stands for: a delete then sets deletionTimestamp to the end
// of the period and deletionGracePeriodSeconds, and the object stays
// until a delete with a zero period. A later delete may only shorten the
// period.
type Graceful interface {
	// GracePeriod returns the period a delete of obj with opts waits; 0
	// deletes at once.
	GracePeriod(obj runtime.Object, opts *metav1.DeleteOptions) int64
}

// InternalError is a 500 without a reason, as kube-apiserver answers some
// failures of its own (finding where a node is, binding a Pod).
func InternalError(msg string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: msg}}
}
