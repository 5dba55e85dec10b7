package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	sigsjson "sigs.k8s.io/json"
)

// MaxBodyBytes is the largest request body accepted, as kube-apiserver: 3 MiB
// holds etcd's largest value with room for encoding overhead.
const MaxBodyBytes = 3 << 20

// ReadBody reads at most MaxBodyBytes of r's body, answering 413 beyond.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, tooLarge()
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("reading the request body: %v", err))
	}
	if len(data) > MaxBodyBytes {
		return nil, tooLarge()
	}
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "protobuf") && !strings.Contains(ct, "yaml") {
		if err := checkDepth(data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

func tooLarge() error {
	return apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", MaxBodyBytes))
}

// decodeBody decodes a create or update body into into, which must be of
// kind gvk, and returns what it found of unknown and duplicate fields, for
// applyFieldValidation.
func decodeBody(data []byte, format bodyFormat, into runtime.Object, gvk schema.GroupVersionKind) (unknown []string, err error) {
	if format == bodyYAML {
		if data, err = yamlToJSON(data); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): %v", gvk.Kind, err))
		}
	}
	if u, ok := into.(*unstructured.Unstructured); ok {
		return nil, decodeUnstructured(data, u, gvk)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): couldn't get version/kind; json parse error: %v (%s)",
			gvk.Kind, jsonError(err), excerpt(data)))
	}
	if err := checkKind(tm, gvk); err != nil {
		return nil, err
	}
	strictErrs, err := sigsjson.UnmarshalStrict(data, into, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, jsonError(err)))
	}
	into.GetObjectKind().SetGroupVersionKind(gvk)
	msgs := make([]string, len(strictErrs))
	for i, e := range strictErrs {
		msgs[i] = e.Error()
	}
	return msgs, nil
}

// applyFieldValidation turns the unknown and duplicate fields of a body
// into the answer fieldValidation asks for: an error under Strict, warnings
// under Warn, nothing under Ignore.
func applyFieldValidation(msgs []string, v fieldValidation, gvk schema.GroupVersionKind) ([]string, error) {
	if len(msgs) == 0 || v == validationIgnore {
		return nil, nil
	}
	if v == validationStrict {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: strict decoding error: %s",
			gvk.Kind, gvk.Version, gvk.Kind, strings.Join(msgs, ", ")))
	}
	return msgs, nil
}

// decodeUnstructured decodes a custom resource in one pass (integers stay
// int64, as in kube-apiserver); unknown fields are the schema's business.
func decodeUnstructured(data []byte, u *unstructured.Unstructured, gvk schema.GroupVersionKind) error {
	var m map[string]any
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(data, &m); err != nil || m == nil {
		if err == nil {
			err = errors.New("the body is not a JSON object")
		}
		return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): %v (%s)", gvk.Kind, jsonError(err), excerpt(data)))
	}
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	if err := checkKind(metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}, gvk); err != nil {
		return err
	}
	u.Object = m
	u.SetGroupVersionKind(gvk)
	return nil
}

// checkKind refuses a body whose apiVersion or kind names another type. A
// body with neither is taken as the endpoint's type.
func checkKind(tm metav1.TypeMeta, want schema.GroupVersionKind) error {
	if tm.APIVersion == "" && tm.Kind == "" {
		return nil
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("invalid apiVersion %q: %v", tm.APIVersion, err))
	}
	kind := tm.Kind
	if kind == "" {
		kind = want.Kind
	}
	if tm.APIVersion != "" && gv != want.GroupVersion() {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: no kind %q is registered for version %q",
			kind, want.Version, want.Kind, kind, tm.APIVersion))
	}
	if kind != want.Kind {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: the kind of the object (%s) does not match the endpoint's kind (%s)",
			kind, want.Version, want.Kind, kind, want.Kind))
	}
	return nil
}

// jsonError words a decoding error without Go type names.
func jsonError(err error) string {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		return syntax.Error()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON input"
	}
	return err.Error()
}

// excerpt shows the start of a body that failed to parse, as kube does.
func excerpt(data []byte) string {
	const n = 30
	if len(data) <= n {
		return string(data)
	}
	return string(data[:n]) + " ..."
}

// decodeProtobuf decodes a protobuf body into into, which must be of kind
// gvk. Protobuf has no unknown fields by name, so field validation does not
// apply.
func decodeProtobuf(dec runtime.Decoder, data []byte, into runtime.Object, gvk schema.GroupVersionKind) error {
	obj, got, err := dec.Decode(data, &gvk, into)
	if err != nil {
		return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s): %v", gvk.Kind, err))
	}
	if got != nil && (got.GroupVersion() != gvk.GroupVersion() || got.Kind != gvk.Kind) {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s", got.Kind, got.Version, gvk.Kind))
	}
	if obj != into {
		return apierrors.NewBadRequest(fmt.Sprintf("the object provided is unrecognized (must be of type %s)", gvk.Kind))
	}
	into.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}
