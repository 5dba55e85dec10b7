package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Resource serves one declared resource: its collection, its objects and
// its subresources, through the verb interfaces their storage implements.
type Resource struct {
	// Decl is the resource's declaration.
	Decl rest.Resource
	// Stopping ends watches when the server shuts down.
	Stopping <-chan struct{}
	// Timeout bounds every request but watches (--request-timeout); 0 is
	// one minute.
	Timeout time.Duration
	// MinRequestTimeout (--min-request-timeout) is the shortest a watch
	// without timeoutSeconds lasts; 0 is DefaultMinRequestTimeout.
	MinRequestTimeout time.Duration
	// Builtin marks a resource of Go types served by this server, whose
	// objects have protobuf encodings.
	Builtin bool
	// Defaulter, when set, applies the scheme's defaulting to every
	// decoded body, as kube-apiserver's codecs do.
	Defaulter runtime.ObjectDefaulter
	// Protobuf, when set, encodes and decodes
	// application/vnd.kubernetes.protobuf bodies: the objects of a
	// built-in resource (client-go's typed clients send them, and may ask
	// for answers in it), and Status errors for any resource.
	Protobuf runtime.Serializer
	// ProtobufStream encodes the watch events of a protobuf watch, without
	// the envelope each object has; set with Protobuf.
	ProtobufStream runtime.Serializer
	// Table prints the resource's objects; set from Decl.Table or the
	// default table when nil.
	Table rest.TableConvertor
	// FieldManagers returns the field managers that track managedFields
	// and merge apply patches, one for the resource ("") and one for each
	// subresource. It is called on the first write that needs them, not
	// at start: typing every built-in group's schemas for server-side
	// apply is most of a server's memory at ready (docs/benchmarks.md),
	// and most servers write to few groups. Without it the endpoints keep
	// managedFields as they are and refuse apply.
	FieldManagers func() (map[string]*managedfields.FieldManager, error)

	targetsOnce sync.Once
	targets     map[string]*target // by subresource, "" for the resource
}

// target is what one request addresses: the resource or one of its
// subresources.
type target struct {
	storage rest.Storage
	// gvk is the kind of the objects read and written.
	gvk schema.GroupVersionKind
	// listKind is the kind of a list of them.
	listKind string
	gr       schema.GroupResource
	verbs    []string
	// ownKind is true when the objects are of the resource's own kind
	// (the resource, its status): the declaration's pruning and read-time
	// defaults apply to them, not to a Scale.
	ownKind bool
	// protobuf is true when the objects have a protobuf encoding.
	protobuf bool
	// strategic is true for Go types, whose patch strategies a strategic
	// merge patch needs.
	strategic bool
	// builtin is true for a resource of Go types this server serves;
	// custom resources answer some errors as kube's CRD handler does.
	builtin bool
	// fieldManager returns what tracks managedFields; nil leaves them
	// alone.
	fieldManager func() (*managedfields.FieldManager, error)
	// subresource is empty for the resource itself.
	subresource string
	// noTable is true when the objects cannot be printed as a Table.
	noTable bool
}

// empty returns a new object of t's kind named as the request, the live
// object a create or an apply that creates starts from.
func (t *target) empty(info *request.RequestInfo) runtime.Object {
	obj := t.storage.New()
	obj.GetObjectKind().SetGroupVersionKind(t.gvk)
	if m, err := meta.Accessor(obj); err == nil {
		m.SetName(info.Name)
		m.SetNamespace(info.Namespace)
	}
	return obj
}

// track records a write of obj over live (nil when there is none) in obj's
// managedFields.
func (t *target) track(live, obj runtime.Object, manager string, info *request.RequestInfo) runtime.Object {
	if t.fieldManager == nil {
		return obj
	}
	fm, err := t.fieldManager()
	if err != nil {
		// As a failed update of managedFields, the write goes on without.
		klog.ErrorS(err, "Tracking managed fields failed", "resource", t.gr, "subresource", t.subresource)
		return obj
	}
	if live == nil {
		live = t.empty(info)
	}
	return fm.UpdateNoErrors(live, obj, manager)
}

// target returns what the request addresses. The targets are derived from
// the declaration once, on the first request, not on every one.
func (h *Resource) target(info *request.RequestInfo) (*target, bool) {
	h.targetsOnce.Do(h.buildTargets)
	t, ok := h.targets[info.Subresource]
	if !ok || (info.Subresource != "" && info.Name == "") {
		return nil, false
	}
	return t, true
}

func (h *Resource) buildTargets() {
	d := &h.Decl
	h.targets = map[string]*target{"": h.newTarget("", d.Storage, d.Info.GroupVersionKind(), d.ServedVerbs())}
	h.targets[""].listKind = d.Info.ListKind
	for i := range d.Subresources {
		sub := &d.Subresources[i]
		h.targets[sub.Name] = h.newTarget(sub.Name, sub.Storage, d.KindOf(sub), sub.ServedVerbs())
	}
}

func (h *Resource) newTarget(sub string, storage rest.Storage, gvk schema.GroupVersionKind, verbs []string) *target {
	obj := storage.New()
	_, marshals := obj.(protoMarshaler)
	_, unstr := obj.(*unstructured.Unstructured)
	_, gets := storage.(rest.Getter)
	_, lists := storage.(rest.Lister)
	return &target{
		// A create-only resource (a review, a binding, an eviction) has
		// no table: kube-apiserver answers 406 to a Table request.
		noTable: !gets && !lists && (sub != "" || h.Decl.Table == nil),
		storage: storage, gvk: gvk, gr: h.Decl.Info.GroupResource(), verbs: verbs,
		ownKind:      gvk == h.Decl.Info.GroupVersionKind(),
		protobuf:     h.Builtin && h.Protobuf != nil && marshals,
		strategic:    !unstr,
		builtin:      h.Builtin,
		fieldManager: fieldManagerOf(h.FieldManagers, sub), subresource: sub,
	}
}

// fieldManagerOf returns the field manager of subresource sub among those
// fms builds, or nil without fms.
func fieldManagerOf(fms func() (map[string]*managedfields.FieldManager, error), sub string) func() (*managedfields.FieldManager, error) {
	if fms == nil {
		return nil
	}
	return func() (*managedfields.FieldManager, error) {
		all, err := fms()
		if err != nil {
			return nil, err
		}
		fm, ok := all[sub]
		if !ok {
			return nil, fmt.Errorf("no field manager for subresource %q", sub)
		}
		return fm, nil
	}
}

// protoMarshaler is what the Go types of Kubernetes APIs implement to have
// a protobuf encoding.
type protoMarshaler interface {
	Marshal() ([]byte, error)
}

// writeError answers err as a Status, in protobuf when the client asked
// for protobuf answers, as kube-apiserver does.
func (h *Resource) writeError(w http.ResponseWriter, r *http.Request, t *target, verb string, err error) {
	addWarnings(w, request.WarningsFrom(r.Context()).Take())
	if t != nil && h.Protobuf != nil {
		out, nerr := t.negotiate(r, verb)
		// kube-apiserver's custom resource handler takes protobuf as a
		// media type it then cannot write, and answers that in protobuf.
		custom406 := nerr != nil && !t.builtin && acceptsProtobuf(r)
		if (nerr == nil && out.protobuf()) || custom406 {
			s := responsewriters.ErrorToStatus(err)
			if s.Code >= 500 {
				klog.ErrorS(err, "Request failed", "method", r.Method, "path", r.URL.Path, "code", s.Code)
			}
			h.writeProtobuf(w, int(s.Code), s)
			return
		}
	}
	responsewriters.WriteError(w, r, err)
}

// writeProtobuf writes obj, whose apiVersion and kind are set, in
// Kubernetes' protobuf envelope.
func (h *Resource) writeProtobuf(w http.ResponseWriter, code int, obj runtime.Object) {
	var buf bytes.Buffer
	if err := h.Protobuf.Encode(obj, &buf); err != nil {
		klog.ErrorS(err, "Encoding a protobuf answer failed", "kind", obj.GetObjectKind().GroupVersionKind().Kind)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", protobufMediaType)
	w.WriteHeader(code)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away; nothing to do
}

// ServeHTTP dispatches on the verb parsed into the request's context.
func (h *Resource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, ok := request.RequestInfoFrom(r.Context())
	if !ok {
		info = request.Parse(r)
	}
	t, ok := h.target(info)
	if !ok {
		responsewriters.WriteError(w, r, apierrors.NewNotFound(schema.GroupResource{}, ""))
		return
	}
	if !slices.Contains(t.verbs, info.Verb) {
		h.writeError(w, r, t, info.Verb, methodNotAllowed())
		return
	}
	if h.Decl.Warning != "" {
		addWarnings(w, []string{h.Decl.Warning})
	}
	if c, ok := t.storage.(rest.Connecter); ok {
		h.connect(w, r, t, c, info)
		return
	}
	switch info.Verb {
	case "create", "update", "patch", "delete", "deletecollection":
		// Admission may warn the client about a write.
		r = r.WithContext(request.WithWarnings(r.Context(), &request.Warnings{}))
	}
	var err error
	switch info.Verb {
	case "get":
		err = h.get(w, r, t, info)
	case "list":
		err = h.list(w, r, t, info)
	case "watch":
		err = h.watch(w, r, t, info)
	case "create":
		err = h.create(w, r, t, info)
	case "update":
		err = h.update(w, r, t, info)
	case "patch":
		err = h.patch(w, r, t, info)
	case "delete":
		err = h.delete(w, r, t, info)
	case "deletecollection":
		err = h.deleteCollection(w, r, t, info)
	default:
		err = methodNotAllowed()
	}
	if err != nil {
		h.writeError(w, r, t, info.Verb, err)
	}
}

// connect hands the request to the exchange a Connecter makes of it,
// bounded by the server's stop (a log stream or exec session lasts as long
// as the client keeps it).
func (h *Resource) connect(w http.ResponseWriter, r *http.Request, t *target, c rest.Connecter, info *request.RequestInfo) {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if h.Stopping != nil {
		go func() {
			select {
			case <-h.Stopping:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	handler, err := c.Connect(ctx, info.Namespace, info.Name, r.WithContext(ctx))
	if err != nil {
		h.writeError(w, r, t, info.Verb, err)
		return
	}
	handler.ServeHTTP(w, r.WithContext(ctx))
}

func methodNotAllowed() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusMethodNotAllowed, Reason: metav1.StatusReasonMethodNotAllowed,
		Message: "the server does not allow this method on the requested resource", Details: &metav1.StatusDetails{},
	}}
}

// requestContext bounds a non-watch request by --request-timeout.
func (h *Resource) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	return context.WithTimeout(r.Context(), timeout)
}

func (h *Resource) get(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return err
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	rv := r.URL.Query().Get("resourceVersion")
	if err := checkResourceVersion(rv); err != nil {
		return err
	}
	if sr, ok := t.storage.(rest.SharedReader); ok && out == outputJSON && !responsewriters.Pretty(r) {
		// The watch cache's object, encoded once for every reader.
		sh, ok, err := sr.GetShared(ctx, info.Namespace, info.Name, &metav1.GetOptions{ResourceVersion: rv})
		if err != nil {
			return err
		}
		if ok {
			data, err := h.encodeShared(t, sh, outputJSON)
			if err != nil {
				return err
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.WriteHeader(http.StatusOK)
			w.Write(data) //nolint:errcheck // the client went away; nothing to do
			return nil
		}
	}
	obj, err := t.storage.(rest.Getter).Get(ctx, info.Namespace, info.Name, &metav1.GetOptions{ResourceVersion: rv})
	if err != nil {
		return err
	}
	return h.write(w, r, t, http.StatusOK, obj, out)
}

func (h *Resource) list(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return err
	}
	if out == outputJSON && !responsewriters.Pretty(r) {
		if done, err := h.listShared(w, r, t, info); done || err != nil {
			return err
		}
	}
	opts, err := listOptions(r.URL.Query())
	if err != nil {
		return err
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	list, err := t.storage.(rest.Lister).List(ctx, info.Namespace, opts)
	if err != nil {
		return err
	}
	return h.write(w, r, t, http.StatusOK, list, out)
}

func (h *Resource) create(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	named, isNamed := t.storage.(rest.NamedCreater)
	if (info.Name != "") != isNamed {
		return methodNotAllowed()
	}
	out, obj, warnings, err := h.readObject(r, t, info)
	if err != nil {
		return err
	}
	dry, err := dryRun(r.URL.Query(), writeOptionsKind(info.Verb))
	if err != nil {
		return err
	}
	manager, err := fieldManagerParam(r, writeOptionsKind(info.Verb))
	if err != nil {
		return err
	}
	obj = t.track(nil, obj, manager, info)
	ctx, cancel := h.requestContext(r)
	defer cancel()
	var created runtime.Object
	if isNamed {
		created, err = named.CreateNamed(ctx, info.Namespace, info.Name, obj, dry)
	} else {
		created, err = t.storage.(rest.Creater).Create(ctx, info.Namespace, obj, dry)
	}
	if err != nil {
		return err
	}
	addWarnings(w, warnings)
	return h.write(w, r, t, http.StatusCreated, created, out)
}

// readObject negotiates the answer and decodes the request body.
func (h *Resource) readObject(r *http.Request, t *target, info *request.RequestInfo) (output, runtime.Object, []string, error) {
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return 0, nil, nil, err
	}
	format, err := requestBodyFormat(r, t.protobuf)
	if err != nil {
		return 0, nil, nil, err
	}
	validation, err := fieldValidationParam(r.URL.Query(), writeOptionsKind(info.Verb))
	if err != nil {
		return 0, nil, nil, err
	}
	data, err := ReadBody(r)
	if err != nil {
		return 0, nil, nil, err
	}
	obj := t.storage.New()
	if format == bodyProtobuf {
		if err := decodeProtobuf(h.Protobuf, data, obj, t.gvk); err != nil {
			return 0, nil, nil, err
		}
		h.applyDefaults(obj)
		return out, obj, nil, nil
	}
	warnings, err := h.decode(data, format, obj, t, validation)
	if err != nil {
		return 0, nil, nil, err
	}
	return out, obj, warnings, nil
}

// decode decodes a JSON or YAML body, prunes it when the resource has a
// schema, and applies fieldValidation to what was unknown.
func (h *Resource) decode(data []byte, format bodyFormat, obj runtime.Object, t *target, v fieldValidation) ([]string, error) {
	gvk := t.gvk
	unknown, err := decodeBody(data, format, obj, gvk)
	if err != nil {
		return nil, err
	}
	if prune := h.Decl.Prune; prune != nil && t.ownKind {
		pruned, err := prune(obj)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		unknown = append(unknown, pruned...)
	}
	warnings, err := applyFieldValidation(unknown, v, gvk)
	if err == nil {
		h.applyDefaults(obj)
	}
	return warnings, err
}

// applyDefaults runs the scheme's defaulting of a built-in type on a
// decoded body.
func (h *Resource) applyDefaults(obj runtime.Object) {
	if h.Defaulter != nil {
		h.Defaulter.Default(obj)
	}
}

func (h *Resource) update(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	if info.Name == "" {
		return methodNotAllowed()
	}
	out, obj, warnings, err := h.readObject(r, t, info)
	if err != nil {
		return err
	}
	if m, err := meta.Accessor(obj); err == nil && m.GetName() != info.Name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), info.Name))
	}
	dry, err := dryRun(r.URL.Query(), writeOptionsKind(info.Verb))
	if err != nil {
		return err
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	manager, err := fieldManagerParam(r, updateOptions)
	if err != nil {
		return err
	}
	updated, created, err := t.storage.(rest.Updater).Update(ctx, info.Namespace, info.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		return t.track(current, obj.DeepCopyObject(), manager, info), nil
	}, dry, false)
	if err != nil {
		return err
	}
	addWarnings(w, warnings)
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return h.write(w, r, t, code, updated, out)
}

func (h *Resource) delete(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return err
	}
	opts, err := h.deleteOptions(r)
	if err != nil {
		return err
	}
	dry, err := dryRun(r.URL.Query(), writeOptionsKind(info.Verb))
	if err != nil {
		return err
	}
	if len(opts.DryRun) > 0 {
		dry = true
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	obj, _, err := t.storage.(rest.GracefulDeleter).Delete(ctx, info.Namespace, info.Name, opts, dry)
	if err != nil {
		return err
	}
	return h.write(w, r, t, http.StatusOK, obj, out)
}

func (h *Resource) deleteCollection(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return err
	}
	listOpts, err := listOptions(r.URL.Query())
	if err != nil {
		return err
	}
	opts, err := h.deleteOptions(r)
	if err != nil {
		return err
	}
	dry, err := dryRun(r.URL.Query(), writeOptionsKind(info.Verb))
	if err != nil {
		return err
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	list, err := t.storage.(rest.CollectionDeleter).DeleteCollection(ctx, info.Namespace, listOpts, opts, dry || len(opts.DryRun) > 0)
	if err != nil {
		return err
	}
	return h.write(w, r, t, http.StatusOK, list, out)
}

// deleteOptions reads DeleteOptions from the body (kubectl sends them
// there) and the query.
func (h *Resource) deleteOptions(r *http.Request) (*metav1.DeleteOptions, error) {
	opts := &metav1.DeleteOptions{}
	data, err := ReadBody(r)
	if err != nil {
		return nil, err
	}
	if format, err := requestBodyFormat(r, h.Protobuf != nil); err == nil && format == bodyProtobuf && len(data) > 0 {
		// client-go sends DeleteOptions in the group version of the
		// resource or in meta.k8s.io/v1: any is fine.
		if _, _, err := h.Protobuf.Decode(data, nil, opts); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("decoding DeleteOptions: %v", err))
		}
	} else if len(data) > 0 {
		// DeleteOptions arrive as v1, meta.k8s.io/v1 or with no kind at all:
		// their fields are the same, so the kind is not checked.
		if err := json.Unmarshal(data, opts); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("decoding DeleteOptions: %v", err))
		}
	}
	if len(data) == 0 {
		// Without a body, the options are the query's (curl, the Python
		// client); with one, the body's alone, as kube-apiserver reads them.
		q := r.URL.Query()
		if err := metav1.Convert_url_Values_To_v1_DeleteOptions(&q, opts, nil); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
	}
	// dryRun is checked as every write checks it, in kube-apiserver 1.31's
	// words; the rest as apimachinery validates DeleteOptions.
	if _, err := dryRun(url.Values{"dryRun": opts.DryRun}, deleteOptions); err != nil {
		return nil, err
	}
	rest := *opts
	rest.DryRun = nil
	if errs := metavalidation.ValidateDeleteOptions(&rest); len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "DeleteOptions"}, "", errs)
	}
	return opts, nil
}

// write encodes obj for the client: the object itself (with its apiVersion
// and kind), or a Table.
func (h *Resource) write(w http.ResponseWriter, r *http.Request, t *target, code int, obj runtime.Object, out output) error {
	addWarnings(w, request.WarningsFrom(r.Context()).Take())
	if status, isStatus := obj.(*metav1.Status); isStatus {
		if out.protobuf() {
			status.Kind, status.APIVersion = "Status", "v1"
			h.writeProtobuf(w, code, status)
			return nil
		}
		responsewriters.WriteJSON(w, r, code, obj)
		return nil
	}
	h.setKind(t, obj)
	switch out {
	case outputProtobuf:
		h.writeProtobuf(w, code, obj)
	case outputProtobufPartialMetadata:
		pm, err := partialMetadata(obj)
		if err != nil {
			return err
		}
		h.writeProtobuf(w, code, pm)
	case outputTable:
		table, err := h.table(r, obj, false)
		if err != nil {
			return err
		}
		responsewriters.WriteJSON(w, r, code, table)
	case outputPartialMetadata:
		pm, err := partialMetadata(obj)
		if err != nil {
			return err
		}
		responsewriters.WriteJSON(w, r, code, pm)
	case outputYAML:
		responsewriters.WriteYAML(w, code, obj)
	default:
		responsewriters.WriteJSON(w, r, code, obj)
	}
	return nil
}

// setKind fills apiVersion and kind, which storage does not keep.
func (h *Resource) setKind(t *target, obj runtime.Object) {
	one := func(o runtime.Object) {
		o.GetObjectKind().SetGroupVersionKind(t.gvk)
		if h.Decl.OnRead != nil && t.ownKind {
			h.Decl.OnRead(o)
		}
	}
	if meta.IsListType(obj) {
		obj.GetObjectKind().SetGroupVersionKind(t.gvk.GroupVersion().WithKind(t.listKind))
		items, _ := meta.ExtractList(obj)
		for _, item := range items {
			one(item)
		}
		return
	}
	one(obj)
}

func (h *Resource) table(r *http.Request, obj runtime.Object, noHeaders bool) (*metav1.Table, error) {
	opts := &metav1.TableOptions{IncludeObject: metav1.IncludeMetadata}
	switch v := r.URL.Query().Get("includeObject"); v {
	case "", string(metav1.IncludeMetadata):
	case string(metav1.IncludeObject), string(metav1.IncludeNone):
		opts.IncludeObject = metav1.IncludeObjectPolicy(v)
	default:
		return nil, apierrors.NewBadRequest(fmt.Sprintf("Unable to convert to Table as requested: includeObject: Invalid value: %q: must be 'Metadata', 'Object', 'None', or empty", v))
	}
	opts.NoHeaders = noHeaders
	table, err := h.Table.ConvertToTable(r.Context(), obj, opts)
	if err != nil {
		return nil, err
	}
	table.Kind, table.APIVersion = "Table", metav1.SchemeGroupVersion.String()
	return table, nil
}

func addWarnings(w http.ResponseWriter, warnings []string) {
	for _, msg := range warnings {
		w.Header().Add("Warning", fmt.Sprintf("299 - %q", msg))
	}
}
