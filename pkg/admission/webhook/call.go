package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
)

// ServiceResolver finds a Service's endpoint.
type ServiceResolver = webhookclient.ServiceResolver

// callError is a failed call: the webhook could not be reached, or its
// answer made no sense. failurePolicy decides what it does.
type callError struct {
	name string
	err  error
}

func (e *callError) Error() string {
	return fmt.Sprintf("failed calling webhook %q: %v", e.name, e.err)
}
func (e *callError) Unwrap() error { return e.err }

// client returns h's client, made once.
func (h *hook) client() (*webhookclient.Client, error) {
	h.clientOnce.Do(func() {
		cc := h.ClientConfig
		c := webhookclient.Config{URL: cc.URL, CABundle: cc.CABundle}
		if s := cc.Service; s != nil {
			c.Service = &webhookclient.Service{Namespace: s.Namespace, Name: s.Name, Path: s.Path}
			if s.Port != nil {
				c.Service.Port = *s.Port
			}
		}
		h.httpClient, h.clientErr = webhookclient.New(c)
	})
	return h.httpClient, h.clientErr
}

// call sends review to h and returns its response, checked.
func (h *hook) call(ctx context.Context, resolve ServiceResolver, review *admissionv1.AdmissionReview) (*admissionv1.AdmissionResponse, error) {
	if h.err != nil {
		return nil, &callError{h.Name, h.err}
	}
	c, err := h.client()
	if err != nil {
		return nil, &callError{h.Name, err}
	}
	timeout := 10 * time.Second
	if h.TimeoutSeconds != nil {
		timeout = time.Duration(*h.TimeoutSeconds) * time.Second
	}
	var out admissionv1.AdmissionReview
	if err := c.Post(ctx, resolve, timeout, review, &out); err != nil {
		return nil, &callError{h.Name, err}
	}
	r, err := verify(review.Request.UID, h.Mutating, &out)
	if err != nil {
		return nil, &callError{h.Name, err}
	}
	return r, nil
}

// verify checks an AdmissionReview answer as kube-apiserver does.
func verify(uid types.UID, mutating bool, review *admissionv1.AdmissionReview) (*admissionv1.AdmissionResponse, error) {
	if gvk := review.GroupVersionKind(); gvk != admissionv1.SchemeGroupVersion.WithKind("AdmissionReview") {
		return nil, fmt.Errorf("expected webhook response of %v, got %v", admissionv1.SchemeGroupVersion.WithKind("AdmissionReview"), gvk)
	}
	r := review.Response
	if r == nil {
		return nil, errors.New("webhook response was absent")
	}
	if r.UID != uid {
		return nil, fmt.Errorf("expected response.uid=%q, got %q", uid, r.UID)
	}
	if len(r.Patch) > 0 {
		if !mutating {
			return nil, errors.New("validating webhook may not return response.patch")
		}
		if r.PatchType == nil {
			return nil, errors.New("webhook returned response.patch but not response.patchType")
		}
		if *r.PatchType != admissionv1.PatchTypeJSONPatch {
			return nil, fmt.Errorf("webhook returned invalid response.patchType of %q", *r.PatchType)
		}
	} else if r.PatchType != nil {
		return nil, errors.New("webhook returned response.patchType but not response.patch")
	}
	return r, nil
}

// newReview is the AdmissionReview of a, with its objects in version v.
func newReview(a *admission.Attributes, v Version) (*admissionv1.AdmissionReview, error) {
	object, err := v.in(a.Object)
	if err != nil {
		return nil, err
	}
	oldObject, err := v.in(a.OldObject)
	if err != nil {
		return nil, err
	}
	obj, err := encode(object, v.Kind)
	if err != nil {
		return nil, err
	}
	old, err := encode(oldObject, v.Kind)
	if err != nil {
		return nil, err
	}
	dryRun := a.DryRun
	req := &admissionv1.AdmissionRequest{
		UID:                types.UID(uuid.NewUUID()),
		Kind:               metav1.GroupVersionKind(v.Kind),
		Resource:           metav1.GroupVersionResource(v.Resource),
		SubResource:        a.Subresource,
		RequestKind:        (*metav1.GroupVersionKind)(&a.Kind),
		RequestResource:    (*metav1.GroupVersionResource)(&a.Resource),
		RequestSubResource: a.Subresource,
		Name:               a.Name,
		Namespace:          a.Namespace,
		Operation:          admissionv1.Operation(a.Operation),
		Object:             runtime.RawExtension{Raw: obj},
		OldObject:          runtime.RawExtension{Raw: old},
		DryRun:             &dryRun,
		Options:            runtime.RawExtension{Raw: options(a)},
	}
	if u := a.User; u != nil {
		req.UserInfo = authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
		if len(u.Extra) > 0 {
			req.UserInfo.Extra = map[string]authenticationv1.ExtraValue{}
			for k, v := range u.Extra {
				req.UserInfo.Extra[k] = v
			}
		}
	}
	return &admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"},
		Request:  req,
	}, nil
}

// options are the operation's options as kube sends them.
func options(a *admission.Attributes) []byte {
	var kind string
	switch a.Operation {
	case admission.Create:
		kind = "CreateOptions"
	case admission.Update:
		kind = "UpdateOptions"
	case admission.Delete:
		kind = "DeleteOptions"
	default:
		return nil
	}
	opts := map[string]any{"kind": kind, "apiVersion": "meta.k8s.io/v1"}
	if a.DryRun {
		opts["dryRun"] = []string{metav1.DryRunAll}
	}
	data, _ := json.Marshal(opts)
	return data
}

// encode is obj's JSON in version gvk (apiVersion and kind set). A
// typed object is not touched: it may be the watch cache's.
func encode(obj runtime.Object, gvk schema.GroupVersionKind) ([]byte, error) {
	if obj == nil {
		return nil, nil
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		content := make(map[string]any, len(u.Object))
		for k, v := range u.Object {
			content[k] = v
		}
		content["apiVersion"], content["kind"] = gvk.GroupVersion().String(), gvk.Kind
		return json.Marshal(content)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if obj.GetObjectKind().GroupVersionKind() == gvk {
		return data, nil
	}
	// Typed objects carry no apiVersion and kind in the server; they
	// lead the encoding, where the empty TypeMeta left nothing.
	head, _ := json.Marshal(map[string]string{"apiVersion": gvk.GroupVersion().String(), "kind": gvk.Kind})
	if bytes.HasPrefix(data, []byte(`{"kind":`)) || bytes.HasPrefix(data, []byte(`{"apiVersion":`)) {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, err
		}
		m["apiVersion"], m["kind"] = json.RawMessage(mustJSON(gvk.GroupVersion().String())), json.RawMessage(mustJSON(gvk.Kind))
		return json.Marshal(m)
	}
	if string(data) == "{}" {
		return head, nil
	}
	return append(append(head[:len(head)-1:len(head)-1], ','), data[1:]...), nil
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
