package generic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage"
)

// Store serves one resource type from storage.
type Store struct {
	Type    rest.Type
	Storage storage.Interface
	// Names validates object names; nil is DNSSubdomainName.
	Names NameValidator
	// Admission, when set, runs on every create, update and delete: its
	// mutating plugins before the type's validation, its validating ones
	// after, inside the update retry loop.
	Admission admission.Interface
	// Subresource is the subresource this store serves ("status"), as
	// admission sees it; empty for the resource itself.
	Subresource string
	// ReturnDeletedObject answers a delete with the deleted object rather
	// than a Status (kube-apiserver does so for a few types).
	ReturnDeletedObject bool
	// StoredKind is the kind objects are stored as, when not the type's
	// (a custom resource's storage version).
	StoredKind schema.GroupVersionKind
}

// StorageVersion implements rest.StorageVersioner.
func (s *Store) StorageVersion() schema.GroupVersionKind {
	if !s.StoredKind.Empty() {
		return s.StoredKind
	}
	return s.Type.Info.GroupVersionKind()
}

// Info returns the resource's names.
func (s *Store) Info() rest.ResourceInfo { return s.Type.Info }

// New returns an empty object of the type.
func (s *Store) New() runtime.Object { return s.Type.New() }

// NewList returns an empty list of the type.
func (s *Store) NewList() runtime.Object { return s.Type.NewList() }

// The verbs the generic store serves.
var (
	_ rest.Getter            = (*Store)(nil)
	_ rest.Lister            = (*Store)(nil)
	_ rest.Watcher           = (*Store)(nil)
	_ rest.Creater           = (*Store)(nil)
	_ rest.Updater           = (*Store)(nil)
	_ rest.GracefulDeleter   = (*Store)(nil)
	_ rest.CollectionDeleter = (*Store)(nil)
)

func (s *Store) key(ns, name string) storage.Key {
	if !s.Type.Info.Namespaced {
		ns = ""
	}
	return storage.Key{Namespace: ns, Name: name}
}

// apiError turns a storage error into the API error kube-apiserver gives.
func (s *Store) apiError(err error, name string) error {
	if err == nil {
		return nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return apierrors.NewTimeoutError(fmt.Sprintf("request did not complete: %v", err), 1)
	}
	return storage.ToStatusError(err, s.Type.Info.GroupResource(), name)
}

func (s *Store) invalid(name string, errs field.ErrorList) error {
	return apierrors.NewInvalid(s.Type.Info.GroupVersionKind().GroupKind(), name, errs)
}

// Get returns one object.
func (s *Store) Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	out := s.Type.New()
	err := s.Storage.Get(ctx, s.key(ns, name), storage.GetOptions{ResourceVersion: opts.ResourceVersion}, out)
	return out, s.apiError(err, name)
}

// GetShared implements rest.SharedReader, when the storage shares its
// objects.
func (s *Store) GetShared(ctx context.Context, ns, name string, opts *metav1.GetOptions) (*storage.Shared, bool, error) {
	sr, ok := s.Storage.(storage.SharedReader)
	if !ok {
		return nil, false, nil
	}
	obj, err := sr.GetShared(ctx, s.key(ns, name), storage.GetOptions{ResourceVersion: opts.ResourceVersion})
	return obj, err == nil, s.apiError(err, name)
}

// List returns the objects of ns (all namespaces when empty) that opts
// select.
func (s *Store) List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error) {
	pred, err := s.predicate(opts)
	if err != nil {
		return nil, err
	}
	list := s.Type.NewList()
	err = s.Storage.GetList(ctx, s.key(ns, ""), s.listOptions(opts, pred), list)
	return list, s.apiError(err, "")
}

func (s *Store) listOptions(opts *metav1.ListOptions, pred storage.SelectionPredicate) storage.ListOptions {
	return storage.ListOptions{
		ResourceVersion:      opts.ResourceVersion,
		ResourceVersionMatch: opts.ResourceVersionMatch,
		Limit:                opts.Limit,
		Continue:             opts.Continue,
		Predicate:            pred,
		Recursive:            true,
	}
}

// Watch streams the changes of ns (all namespaces when empty), or of one
// object when opts selects metadata.name, after opts.ResourceVersion.
func (s *Store) Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	return s.watch(ctx, ns, opts, false)
}

// WatchShared implements rest.SharedReader.
func (s *Store) WatchShared(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error) {
	return s.watch(ctx, ns, opts, true)
}

func (s *Store) watch(ctx context.Context, ns string, opts *metav1.ListOptions, shared bool) (watch.Interface, error) {
	pred, err := s.predicate(opts)
	if err != nil {
		return nil, err
	}
	lo := storage.ListOptions{
		ResourceVersion:      opts.ResourceVersion,
		ResourceVersionMatch: opts.ResourceVersionMatch,
		Predicate:            pred,
		Recursive:            true,
		Shared:               shared,
		Bookmarks:            opts.AllowWatchBookmarks,
	}
	if opts.SendInitialEvents != nil {
		// resourceVersionMatch=NotOlderThan comes with it: the rule
		// SendInitialEvents follows.
		lo.ResourceVersionMatch = ""
		lo.SendInitialEvents = opts.SendInitialEvents
		lo.InitialEventsEnd = *opts.SendInitialEvents && opts.AllowWatchBookmarks
	}
	w, err := s.Storage.Watch(ctx, s.key(ns, ""), lo)
	return w, s.apiError(err, "")
}

// ListShared implements rest.SharedReader, when the storage shares its
// objects.
func (s *Store) ListShared(ctx context.Context, ns string, opts *metav1.ListOptions) (*storage.SharedList, bool, error) {
	sl, ok := s.Storage.(storage.SharedReader)
	if !ok {
		return nil, false, nil
	}
	pred, err := s.predicate(opts)
	if err != nil {
		return nil, false, err
	}
	list, ok, err := sl.ListShared(ctx, s.key(ns, ""), s.listOptions(opts, pred))
	return list, ok, s.apiError(err, "")
}

// predicate parses the selectors of opts, refusing field selectors the
// type does not support, as kube-apiserver does.
func (s *Store) predicate(opts *metav1.ListOptions) (storage.SelectionPredicate, error) {
	pred := storage.SelectionPredicate{GetAttrs: storage.AttrFunc(s.Type.Attrs)}
	if s.Type.Attrs == nil {
		pred.GetAttrs = storage.DefaultAttrs
	}
	if opts.LabelSelector != "" {
		sel, err := labels.Parse(opts.LabelSelector)
		if err != nil {
			return pred, apierrors.NewBadRequest(fmt.Sprintf("unable to parse requirement: %v", err))
		}
		pred.Label = sel
	}
	if opts.FieldSelector != "" {
		sel, err := fields.ParseSelector(opts.FieldSelector)
		if err != nil {
			return pred, apierrors.NewBadRequest(err.Error())
		}
		for _, r := range sel.Requirements() {
			if !s.selectable(r.Field) {
				return pred, s.unknownFieldSelector(r.Field)
			}
		}
		pred.Field = sel
	}
	return pred, nil
}

// unknownFieldSelector words the 400 as kube-apiserver does: types with
// fields of their own say "not supported", the others list what they have.
func (s *Store) unknownFieldSelector(f string) error {
	if len(s.Type.SelectableFields) > 0 {
		return apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", f))
	}
	known := `"metadata.name"`
	if s.Type.Info.Namespaced {
		known += `, "metadata.namespace"`
	}
	return apierrors.NewBadRequest(fmt.Sprintf("%q is not a known field selector: only %s", f, known))
}

func (s *Store) selectable(f string) bool {
	if f == "metadata.name" || (f == "metadata.namespace" && s.Type.Info.Namespaced) {
		return true
	}
	for _, sf := range s.Type.SelectableFields {
		if sf == f {
			return true
		}
	}
	return false
}

// Create stores a new object in ns. With dryRun it runs every check and
// returns the object that would be stored, storing nothing.
func (s *Store) Create(ctx context.Context, ns string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	m, err := accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if err := s.checkNamespace(m, ns); err != nil {
		return nil, err
	}
	s.setKind(obj)
	if m.GetResourceVersion() != "" {
		// kube-apiserver answers this with a bare 500 (no reason).
		return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
			Message: "resourceVersion should not be set on objects to be created",
		}}
	}
	obj, undo, err := s.prepareCreate(ctx, obj, m, dryRun)
	if err != nil {
		return nil, err
	}
	if dryRun {
		return obj, nil
	}
	// obj is what is written: storage only sets its resourceVersion.
	if err := s.Storage.Create(ctx, s.key(m.GetNamespace(), m.GetName()), obj, obj); err != nil {
		undo()
		return nil, s.apiError(err, m.GetName())
	}
	return obj, nil
}

// checkNamespace fills an object's namespace from the request and refuses a
// different one, as kube-apiserver does.
func (s *Store) checkNamespace(m metav1.Object, ns string) error {
	if !s.Type.Info.Namespaced {
		m.SetNamespace("")
		return nil
	}
	switch {
	case m.GetNamespace() == "":
		m.SetNamespace(ns)
	case ns != "" && m.GetNamespace() != ns:
		return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	return nil
}

func (s *Store) names() NameValidator {
	if s.Names != nil {
		return s.Names
	}
	if s.Type.ValidateName != nil {
		return s.Type.ValidateName
	}
	return DNSSubdomainName
}

// Update replaces the object ns/name with what update returns, retrying
// with the fresh object when another write got there first. A new object
// carrying a resourceVersion must match the stored one (409 Conflict
// otherwise); without one, the type must allow unconditional updates.
// created reports whether the update created the object.
func (s *Store) Update(ctx context.Context, ns, name string, update rest.UpdateFunc, dryRun, forceAllowCreate bool) (out runtime.Object, created bool, err error) {
	key := s.key(ns, name)
	out = s.Type.New()
	canCreate := forceAllowCreate || s.Type.Strategy.AllowCreateOnUpdate()
	var toDelete bool
	// undo gives back what the last attempt reserved; previous is the
	// object it replaced.
	undo, previous := func() {}, runtime.Object(nil)
	// updateErr is the caller's own error, handed back as it is: a
	// caller may end an update with an error of its own to test for.
	var updateErr error
	err = s.Storage.GuaranteedUpdate(ctx, key, out, storage.UpdateOptions{IgnoreNotFound: canCreate}, func(input runtime.Object) (runtime.Object, error) {
		// Each attempt decides afresh: storage may call this again.
		created, toDelete = false, false
		undo()
		undo, previous = func() {}, input
		old, err := accessor(input)
		if err != nil {
			return nil, err
		}
		exists := old.GetResourceVersion() != ""
		var current runtime.Object
		if exists {
			current = input
		}
		obj, err := update(ctx, current)
		if err != nil {
			updateErr = err
			return nil, err
		}
		s.setKind(obj)
		m, err := accessor(obj)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if m.GetName() != name {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), name))
		}
		if err := s.checkNamespace(m, ns); err != nil {
			return nil, err
		}
		if !exists {
			created = true
			m.SetResourceVersion("")
			if obj, undo, err = s.prepareCreate(ctx, obj, m, dryRun); err != nil {
				return nil, err
			}
			if dryRun {
				return nil, errDryRun{obj}
			}
			return obj, nil
		}
		if err := s.checkResourceVersion(m, old, name); err != nil {
			return nil, err
		}
		obj, undo, err = s.prepareUpdate(ctx, obj, input, m, old, dryRun)
		if err != nil {
			return nil, err
		}
		// A graceful object whose period has not been cut to zero waits
		// for a delete that does.
		graceLeft := m.GetDeletionGracePeriodSeconds() != nil && *m.GetDeletionGracePeriodSeconds() > 0
		toDelete = m.GetDeletionTimestamp() != nil && !s.pending(obj, m) && !graceLeft
		if dryRun {
			return nil, errDryRun{obj}
		}
		return obj, nil
	})
	var dry errDryRun
	if errors.As(err, &dry) {
		return dry.obj, false, nil
	}
	if err != nil {
		undo()
		if updateErr != nil && errors.Is(err, updateErr) {
			return nil, false, updateErr
		}
		return nil, false, s.apiError(err, name)
	}
	if !created {
		s.release(ctx, out, previous)
	}
	if toDelete {
		// The last finalizer went: the object is deleted now, and the
		// answer is the object (not a Status), as kube-apiserver answers
		// an update or patch that removes the last finalizer.
		_, _, err := s.deleteNow(ctx, key, name, out, nil)
		if errors.Is(err, errRaced) {
			// Written again meanwhile: decide on the fresh object.
			_, _, err = s.Delete(ctx, ns, name, &metav1.DeleteOptions{}, false)
		}
		if err != nil && !apierrors.IsNotFound(err) { // gone: another update removed it too
			return nil, false, err
		}
		return out, false, nil
	}
	return out, created, nil
}

// errDryRun ends a dry-run update inside GuaranteedUpdate without writing.
type errDryRun struct{ obj runtime.Object }

func (errDryRun) Error() string { return "dry run" }

// prepareCreate admits, fills, reserves for and validates a new object.
// undo gives back what was reserved for it when it is not written.
func (s *Store) prepareCreate(ctx context.Context, obj runtime.Object, m metav1.Object, dryRun bool) (_ runtime.Object, undo func(), err error) {
	undo = func() {}
	attrs := s.attributes(ctx, admission.Create, obj, nil, m.GetNamespace(), m.GetName(), dryRun)
	if err := s.admit(ctx, attrs); err != nil {
		return nil, undo, err
	}
	fillCreateMeta(m, metav1.Now())
	s.Type.Strategy.PrepareForCreate(ctx, obj)
	if errs := validateMeta(m, s.Type.Info.Namespaced, s.names()); len(errs) > 0 {
		// Nothing is reserved for an object that cannot be written.
		return nil, undo, s.invalid(m.GetName(), append(errs, s.Type.Strategy.Validate(ctx, obj)...))
	}
	if undo, err = s.reserve(ctx, obj, nil, m.GetName(), dryRun); err != nil {
		return nil, undo, err
	}
	defer func() {
		if err != nil {
			undo()
			undo = func() {}
		}
	}()
	if errs := s.Type.Strategy.Validate(ctx, obj); len(errs) > 0 {
		return nil, undo, s.invalid(m.GetName(), errs)
	}
	s.Type.Strategy.Canonicalize(obj)
	if err := s.validateAdmission(ctx, attrs); err != nil {
		return nil, undo, err
	}
	return obj, undo, nil
}

// reserve takes what a Reserving type's object needs; the returned undo
// is never nil.
func (s *Store) reserve(ctx context.Context, obj, old runtime.Object, name string, dryRun bool) (func(), error) {
	r, ok := s.Type.Strategy.(rest.Reserving)
	if !ok {
		return func() {}, nil
	}
	undo, errs, err := r.Reserve(ctx, obj, old, dryRun)
	if undo == nil {
		undo = func() {}
	}
	if err == nil && len(errs) > 0 {
		err = s.invalid(name, errs)
	}
	if err != nil {
		undo()
		return func() {}, err
	}
	return undo, nil
}

// release frees what old held and obj (nil once deleted) does not.
func (s *Store) release(ctx context.Context, obj, old runtime.Object) {
	if r, ok := s.Type.Strategy.(rest.Reserving); ok && old != nil {
		r.Release(ctx, obj, old)
	}
}

func (s *Store) checkResourceVersion(m, old metav1.Object, name string) error {
	rv := m.GetResourceVersion()
	if rv == "" {
		if !s.Type.Strategy.AllowUnconditionalUpdate() {
			// kube-apiserver names the resource, not the kind, here, and
			// prints the missing version as the number it parses to.
			gr := s.Type.Info.GroupResource()
			return apierrors.NewInvalid(schema.GroupKind{Group: gr.Group, Kind: gr.Resource}, name, field.ErrorList{
				field.Invalid(field.NewPath("metadata", "resourceVersion"), printed("0x0"), "must be specified for an update")})
		}
		// An unconditional update overwrites what is stored now.
		m.SetResourceVersion(old.GetResourceVersion())
		return nil
	}
	if _, err := strconv.ParseUint(rv, 10, 64); err != nil {
		// kube-apiserver answers a resourceVersion that is no number with a
		// bare 500 (no reason).
		return &apierrors.StatusError{ErrStatus: metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: err.Error(),
		}}
	}
	if rv != old.GetResourceVersion() {
		return apierrors.NewConflict(s.Type.Info.GroupResource(), name,
			errors.New("the object has been modified; please apply your changes to the latest version and try again"))
	}
	return nil
}

// prepareUpdate admits, fills, reserves for and validates a new version of
// an object; undo gives back what was reserved when it is not written.
func (s *Store) prepareUpdate(ctx context.Context, obj, oldObj runtime.Object, m, old metav1.Object, dryRun bool) (_ runtime.Object, undo func(), err error) {
	undo = func() {}
	keepServerMeta(m, old)
	attrs := s.attributes(ctx, admission.Update, obj, oldObj, m.GetNamespace(), m.GetName(), dryRun)
	if err := s.admit(ctx, attrs); err != nil {
		return nil, undo, err
	}
	s.Type.Strategy.PrepareForUpdate(ctx, obj, oldObj)
	if errs := validateMetaUpdate(m, old); len(errs) > 0 {
		return nil, undo, s.invalid(m.GetName(), append(errs, s.Type.Strategy.ValidateUpdate(ctx, obj, oldObj)...))
	}
	if undo, err = s.reserve(ctx, obj, oldObj, m.GetName(), dryRun); err != nil {
		return nil, undo, err
	}
	defer func() {
		if err != nil {
			undo()
			undo = func() {}
		}
	}()
	if errs := s.Type.Strategy.ValidateUpdate(ctx, obj, oldObj); len(errs) > 0 {
		return nil, undo, s.invalid(m.GetName(), errs)
	}
	if old.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) > len(old.GetFinalizers()) {
		return nil, undo, s.invalid(m.GetName(), field.ErrorList{field.Forbidden(field.NewPath("metadata", "finalizers"),
			"no new finalizers can be added if the object is being deleted")})
	}
	s.Type.Strategy.Canonicalize(obj)
	if s.specChanged(obj, oldObj) {
		m.SetGeneration(old.GetGeneration() + 1)
	}
	if err := s.validateAdmission(ctx, attrs); err != nil {
		return nil, undo, err
	}
	return obj, undo, nil
}

// attributes describes a write for admission.
func (s *Store) attributes(ctx context.Context, op admission.Operation, obj, old runtime.Object, ns, name string, dryRun bool) *admission.Attributes {
	a := &admission.Attributes{
		Operation: op, Kind: s.Type.Info.GroupVersionKind(), Resource: s.Type.Info.GroupVersionResource,
		Subresource: s.Subresource, Namespace: ns, Name: name, Object: obj, OldObject: old, DryRun: dryRun,
		Default: s.Type.Defaults,
	}
	if !s.Type.Info.Namespaced {
		a.Namespace = ""
	}
	if u, ok := request.UserFrom(ctx); ok {
		a.User = u
	}
	return a
}

func (s *Store) admit(ctx context.Context, a *admission.Attributes) error {
	if s.Admission == nil {
		return nil
	}
	return s.Admission.Admit(ctx, a)
}

func (s *Store) validateAdmission(ctx context.Context, a *admission.Attributes) error {
	if s.Admission == nil {
		return nil
	}
	return s.Admission.Validate(ctx, a)
}

func (s *Store) specChanged(obj, old runtime.Object) bool {
	if p, ok := s.Type.Strategy.(rest.GenerationPolicy); ok {
		return p.SpecChanged(obj, old)
	}
	return specChanged(obj, old)
}

// Delete deletes ns/name. An object with finalizers is only marked
// (deletionTimestamp set) and returned; it goes once the last finalizer is
// removed. deleted reports whether the object is gone.
//
// The decision (finalizers, admission) is taken on the object as read, and
// the delete is conditional on that object's resourceVersion. When another
// write lands in between, the delete reads the object again and decides
// again, as kube-apiserver's conditional delete does: a delete without
// preconditions never fails because of a concurrent write, and one with
// preconditions fails exactly when they do not hold.
func (s *Store) Delete(ctx context.Context, ns, name string, opts *metav1.DeleteOptions, dryRun bool) (out runtime.Object, deleted bool, err error) {
	key := s.key(ns, name)
	var pre *storage.Preconditions
	if p := opts.Preconditions; p != nil {
		pre = &storage.Preconditions{UID: p.UID, ResourceVersion: p.ResourceVersion}
	}
	for {
		out, deleted, err = s.deleteOnce(ctx, key, ns, name, pre, opts, dryRun)
		if !errors.Is(err, errRaced) {
			return out, deleted, err
		}
		if ctx.Err() != nil {
			return nil, false, s.apiError(ctx.Err(), name)
		}
	}
}

// errRaced: the object changed between the read a delete decided on and
// the delete.
var errRaced = errors.New("the object changed while it was being deleted")

func (s *Store) deleteOnce(ctx context.Context, key storage.Key, ns, name string, pre *storage.Preconditions, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, bool, error) {
	current := s.Type.New()
	if err := s.Storage.Get(ctx, key, storage.GetOptions{}, current); err != nil {
		return nil, false, s.apiError(err, name)
	}
	if err := pre.Check(key.String(), current); err != nil {
		return nil, false, s.apiError(err, name)
	}
	attrs := s.attributes(ctx, admission.Delete, nil, current, ns, name, dryRun)
	if err := s.admit(ctx, attrs); err != nil {
		return nil, false, err
	}
	if err := s.validateAdmission(ctx, attrs); err != nil {
		return nil, false, err
	}
	// The garbage collector's finalizers come and go with the propagation
	// policy before anything else is decided: an Orphan or Foreground
	// delete keeps the object until the collector is done with its
	// dependents.
	marked := current.DeepCopyObject()
	if err := setGCFinalizers(marked, opts); err != nil {
		return nil, false, err
	}
	grace := s.gracePeriod(current, opts)
	if m, err := accessor(current); err == nil && m.GetDeletionTimestamp() != nil && grace > 0 {
		if cur := m.GetDeletionGracePeriodSeconds(); cur != nil && *cur <= grace {
			return current, false, nil // a delete may only shorten the period
		}
	}
	if mm, _ := accessor(marked); s.pending(marked, mm) || grace > 0 {
		if dryRun {
			s.markDeleting(marked, grace)
			return marked, false, nil
		}
		return s.markDeleted(ctx, key, name, pre, opts, grace)
	}
	if dryRun {
		return s.deletedResult(current), true, nil
	}
	return s.deleteNow(ctx, key, name, current, pre)
}

// gracePeriod is how long a delete of obj with opts waits (rest.Graceful);
// 0 for types without one.
func (s *Store) gracePeriod(obj runtime.Object, opts *metav1.DeleteOptions) int64 {
	if g, ok := s.Type.Strategy.(rest.Graceful); ok {
		return g.GracePeriod(obj, opts)
	}
	return 0
}

// markDeleting sets deletionTimestamp, grace seconds from now, and the
// grace period on an object that is not already being deleted or is
// given a shorter period, and lets the type record it.
func (s *Store) markDeleting(obj runtime.Object, grace int64) {
	m, err := accessor(obj)
	if err != nil {
		return
	}
	cur := m.GetDeletionGracePeriodSeconds()
	if m.GetDeletionTimestamp() == nil || (cur != nil && grace < *cur) {
		at := metav1.NewTime(time.Now().Add(time.Duration(grace) * time.Second))
		m.SetDeletionTimestamp(&at)
		m.SetDeletionGracePeriodSeconds(&grace)
	}
	if f, ok := s.Type.Strategy.(rest.Finalizing); ok {
		f.MarkDeleting(obj)
	}
}

// markDeleted sets deletionTimestamp, which starts finalization, and the
// garbage collector's finalizers opts asks for. errRaced means the fresh
// object has no finalizer left: it is to be deleted now instead.
func (s *Store) markDeleted(ctx context.Context, key storage.Key, name string, pre *storage.Preconditions, opts *metav1.DeleteOptions, grace int64) (runtime.Object, bool, error) {
	out := s.Type.New()
	err := s.Storage.GuaranteedUpdate(ctx, key, out, storage.UpdateOptions{Preconditions: pre}, func(input runtime.Object) (runtime.Object, error) {
		obj := input.DeepCopyObject()
		s.setKind(obj)
		if err := setGCFinalizers(obj, opts); err != nil {
			return nil, err
		}
		m, err := accessor(obj)
		if err != nil {
			return nil, err
		}
		if !s.pending(obj, m) && grace == 0 {
			return nil, errRaced
		}
		s.markDeleting(obj, grace)
		return obj, nil
	})
	if errors.Is(err, errRaced) {
		return nil, false, err
	}
	if err != nil {
		return nil, false, s.apiError(err, name)
	}
	return out, false, nil
}

// setKind stamps the type's apiVersion and kind on an object about to be
// written: unstructured objects cannot be read back without them.
func (s *Store) setKind(obj runtime.Object) {
	obj.GetObjectKind().SetGroupVersionKind(s.Type.Info.GroupVersionKind())
}

// pending reports whether obj has finalizers left, of either kind.
func (s *Store) pending(obj runtime.Object, m metav1.Object) bool {
	if len(m.GetFinalizers()) > 0 {
		return true
	}
	f, ok := s.Type.Strategy.(rest.Finalizing)
	return ok && f.Pending(obj)
}

// deleteNow deletes the object current, which has no finalizers left, on
// the condition that it is still the stored version: the caller's
// preconditions hold for it, and what the delete was decided on has not
// changed. errRaced means it has.
func (s *Store) deleteNow(ctx context.Context, key storage.Key, name string, current runtime.Object, pre *storage.Preconditions) (runtime.Object, bool, error) {
	pinned := &storage.Preconditions{}
	if pre != nil {
		*pinned = *pre
	}
	userRV := pinned.ResourceVersion != nil
	if m, err := accessor(current); err == nil && m.GetResourceVersion() != "" && !userRV {
		rv := m.GetResourceVersion()
		pinned.ResourceVersion = &rv
	}
	out := s.Type.New()
	if err := s.Storage.Delete(ctx, key, out, storage.DeleteOptions{Preconditions: pinned}); err != nil {
		if storage.IsConflict(err) && !userRV {
			return nil, false, errRaced
		}
		return nil, false, s.apiError(err, name)
	}
	s.release(ctx, nil, out)
	return s.deletedResult(out), true, nil
}

// deletedResult is what a delete answers: the object for some types, a
// Status naming it for the rest, as kube-apiserver does.
func (s *Store) deletedResult(obj runtime.Object) runtime.Object {
	if s.ReturnDeletedObject {
		return obj
	}
	m, err := accessor(obj)
	if err != nil {
		return obj
	}
	info := s.Type.Info
	return &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Details:  &metav1.StatusDetails{Name: m.GetName(), Group: info.Group, Kind: info.Resource, UID: m.GetUID()},
	}
}

// DeleteCollection deletes every object of ns that listOpts select and
// returns the list of what it deleted (or marked for deletion).
func (s *Store) DeleteCollection(ctx context.Context, ns string, listOpts *metav1.ListOptions, opts *metav1.DeleteOptions, dryRun bool) (runtime.Object, error) {
	listObj, err := s.List(ctx, ns, listOpts)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(listObj)
	if err != nil {
		return nil, err
	}
	var deleted []runtime.Object
	for _, item := range items {
		m, err := accessor(item)
		if err != nil {
			return nil, err
		}
		out, _, err := s.Delete(ctx, m.GetNamespace(), m.GetName(), opts, dryRun)
		if apierrors.IsNotFound(err) {
			continue // deleted by someone else meanwhile
		}
		if err != nil {
			return nil, err
		}
		if _, isStatus := out.(*metav1.Status); isStatus {
			out = item
		}
		deleted = append(deleted, out)
	}
	if err := meta.SetList(listObj, deleted); err != nil {
		return nil, err
	}
	return listObj, nil
}

// Count returns how many objects of the type are stored, for metrics.
func (s *Store) Count(ctx context.Context) (int64, error) {
	return s.Storage.Count(ctx, storage.Key{})
}
