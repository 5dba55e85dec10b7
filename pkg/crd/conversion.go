package crd

import (
	"context"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/watch"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/storage"
)

// conversionTimeout is kube-apiserver's for conversion webhooks.
const conversionTimeout = 30 * time.Second

// conversionReview is apiextensions.k8s.io's ConversionReview, in v1 and
// v1beta1 alike.
type conversionReview struct {
	APIVersion string              `json:"apiVersion"`
	Kind       string              `json:"kind"`
	Request    *conversionRequest  `json:"request,omitempty"`
	Response   *conversionResponse `json:"response,omitempty"`
}

type conversionRequest struct {
	UID               types.UID              `json:"uid"`
	DesiredAPIVersion string                 `json:"desiredAPIVersion"`
	Objects           []runtime.RawExtension `json:"objects"`
}

type conversionResponse struct {
	UID              types.UID              `json:"uid"`
	ConvertedObjects []runtime.RawExtension `json:"convertedObjects"`
	Result           metav1.Status          `json:"result"`
}

// webhookConverter converts a definition's objects through its
// conversion webhook.
type webhookConverter struct {
	client        *webhookclient.Client
	resolve       webhookclient.ServiceResolver
	reviewVersion string
	group, kind   string
}

func newWebhookConverter(crd *apiextensionsv1.CustomResourceDefinition, resolve webhookclient.ServiceResolver) (*webhookConverter, error) {
	w := crd.Spec.Conversion.Webhook
	if w == nil || w.ClientConfig == nil {
		return nil, fmt.Errorf("conversion webhook of %s has no client configuration", crd.Name)
	}
	cc := w.ClientConfig
	c := webhookclient.Config{URL: cc.URL, CABundle: cc.CABundle}
	if s := cc.Service; s != nil {
		c.Service = &webhookclient.Service{Namespace: s.Namespace, Name: s.Name, Path: s.Path}
		if s.Port != nil {
			c.Service.Port = *s.Port
		}
	}
	client, err := webhookclient.New(c)
	if err != nil {
		return nil, err
	}
	out := &webhookConverter{client: client, resolve: resolve, group: crd.Spec.Group, kind: crd.Spec.Names.Kind}
	for _, v := range w.ConversionReviewVersions {
		if v == "v1" || v == "v1beta1" {
			out.reviewVersion = v
			break
		}
	}
	if out.reviewVersion == "" {
		return nil, fmt.Errorf("conversion webhook of %s accepts no ConversionReview version this server sends", crd.Name)
	}
	return out, nil
}

// convert converts, in place, the objects not already in version to
// (group/version), in one review.
func (w *webhookConverter) convert(ctx context.Context, objs []*unstructured.Unstructured, to string) error {
	var todo []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetAPIVersion() != to {
			todo = append(todo, o)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	// As kube, the error names the objects' version, a 500 without a
	// reason.
	gvk := schema.FromAPIVersionAndKind(todo[0].GetAPIVersion(), w.kind)
	fail := func(err error) error {
		return &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
			Message: fmt.Sprintf("conversion webhook for %v failed: %v", gvk, err)}}
	}
	req := &conversionReview{
		APIVersion: "apiextensions.k8s.io/" + w.reviewVersion, Kind: "ConversionReview",
		Request: &conversionRequest{UID: uuid.NewUUID(), DesiredAPIVersion: to},
	}
	for _, o := range todo {
		raw, err := o.MarshalJSON()
		if err != nil {
			return fail(err)
		}
		req.Request.Objects = append(req.Request.Objects, runtime.RawExtension{Raw: raw})
	}
	var resp conversionReview
	if err := w.client.Post(ctx, w.resolve, conversionTimeout, req, &resp); err != nil {
		return fail(err)
	}
	r := resp.Response
	switch {
	case r == nil:
		return fail(fmt.Errorf("no response provided"))
	case r.UID != req.Request.UID:
		return fail(fmt.Errorf("expected response.uid=%q, got %q", req.Request.UID, r.UID))
	case r.Result.Status != metav1.StatusSuccess:
		return fail(fmt.Errorf("%s", r.Result.Message))
	case len(r.ConvertedObjects) != len(todo):
		return fail(fmt.Errorf("returned %d objects, expected %d", len(r.ConvertedObjects), len(todo)))
	}
	for i, raw := range r.ConvertedObjects {
		var content map[string]any
		if err := utiljson.Unmarshal(raw.Raw, &content); err != nil {
			return fail(fmt.Errorf("converted object %d: %w", i, err))
		}
		converted := &unstructured.Unstructured{Object: content}
		if converted.GetAPIVersion() != to {
			return fail(fmt.Errorf("invalid converted object %d: invalid apiVersion %q, expected %q", i, converted.GetAPIVersion(), to))
		}
		if converted.GetKind() != todo[i].GetKind() {
			return fail(fmt.Errorf("invalid converted object %d: invalid kind %q, expected %q", i, converted.GetKind(), todo[i].GetKind()))
		}
		if err := keepMetadata(todo[i], converted); err != nil {
			return fail(fmt.Errorf("invalid converted object %d: %w", i, err))
		}
		todo[i].Object = converted.Object
	}
	return nil
}

// keepMetadata gives converted the metadata of in, with the labels and
// annotations the webhook set: a webhook changes the rest of it, as in
// kube, at most by mistake.
func keepMetadata(in, converted *unstructured.Unstructured) error {
	if converted.GetName() != in.GetName() || converted.GetNamespace() != in.GetNamespace() || converted.GetUID() != in.GetUID() {
		return fmt.Errorf("must not change metadata.name, metadata.namespace or metadata.uid")
	}
	meta, ok := in.Object["metadata"].(map[string]any)
	if !ok {
		return nil
	}
	kept := runtime.DeepCopyJSONValue(meta).(map[string]any)
	labels, annotations := converted.GetLabels(), converted.GetAnnotations()
	converted.Object["metadata"] = kept
	converted.SetLabels(labels)
	converted.SetAnnotations(annotations)
	return nil
}

// convertingStorage serves one version of a definition whose objects are
// stored in another, converting through the webhook: objects are written
// in the storage version and read in the served one.
type convertingStorage struct {
	storage.Interface
	convert        converter
	stored, served string // group/versions
}

func (c convertingStorage) to(ctx context.Context, obj runtime.Object, version string) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || u.GetAPIVersion() == "" {
		return nil // an empty object (a missing key)
	}
	return c.convert(ctx, []*unstructured.Unstructured{u}, version)
}

func (c convertingStorage) Create(ctx context.Context, key storage.Key, obj, out runtime.Object) error {
	stored := obj.DeepCopyObject()
	if err := c.to(ctx, stored, c.stored); err != nil {
		return err
	}
	if err := c.Interface.Create(ctx, key, stored, stored); err != nil {
		return err
	}
	if err := c.to(ctx, stored, c.served); err != nil {
		return err
	}
	out.(*unstructured.Unstructured).Object = stored.(*unstructured.Unstructured).Object
	return nil
}

func (c convertingStorage) Get(ctx context.Context, key storage.Key, opts storage.GetOptions, out runtime.Object) error {
	if err := c.Interface.Get(ctx, key, opts, out); err != nil {
		return err
	}
	return c.to(ctx, out, c.served)
}

func (c convertingStorage) GetList(ctx context.Context, key storage.Key, opts storage.ListOptions, list runtime.Object) error {
	if err := c.Interface.GetList(ctx, key, opts, list); err != nil {
		return err
	}
	ul, ok := list.(*unstructured.UnstructuredList)
	if !ok {
		return nil
	}
	items := make([]*unstructured.Unstructured, len(ul.Items))
	for i := range ul.Items {
		items[i] = &ul.Items[i]
	}
	return c.convert(ctx, items, c.served)
}

func (c convertingStorage) GuaranteedUpdate(ctx context.Context, key storage.Key, dest runtime.Object, opts storage.UpdateOptions, tryUpdate storage.UpdateFunc) error {
	err := c.Interface.GuaranteedUpdate(ctx, key, dest, opts, func(input runtime.Object) (runtime.Object, error) {
		served := input.DeepCopyObject()
		if err := c.to(ctx, served, c.served); err != nil {
			return nil, err
		}
		out, err := tryUpdate(served)
		if err != nil {
			return nil, err
		}
		stored := out.DeepCopyObject()
		if err := c.to(ctx, stored, c.stored); err != nil {
			return nil, err
		}
		return stored, nil
	})
	if err != nil {
		return err
	}
	return c.to(ctx, dest, c.served)
}

func (c convertingStorage) Delete(ctx context.Context, key storage.Key, out runtime.Object, opts storage.DeleteOptions) error {
	if validate := opts.Validate; validate != nil {
		opts.Validate = func(ctx context.Context, obj runtime.Object) error {
			served := obj.DeepCopyObject()
			if err := c.to(ctx, served, c.served); err != nil {
				return err
			}
			return validate(ctx, served)
		}
	}
	if err := c.Interface.Delete(ctx, key, out, opts); err != nil {
		return err
	}
	return c.to(ctx, out, c.served)
}

func (c convertingStorage) Watch(ctx context.Context, key storage.Key, opts storage.ListOptions) (watch.Interface, error) {
	w, err := c.Interface.Watch(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	return generic.ConvertWatch(w, func(obj runtime.Object) (runtime.Object, error) {
		served := obj.DeepCopyObject()
		return served, c.to(ctx, served, c.served)
	}, nil), nil // a bookmark's Unstructured object needs no conversion
}
