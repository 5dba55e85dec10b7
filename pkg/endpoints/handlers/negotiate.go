package handlers

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// output is what the client asked to receive.
type output int

const (
	outputJSON output = iota
	outputYAML
	outputTable
	outputPartialMetadata
	// outputProtobuf is Kubernetes' protobuf encoding of a Go type.
	outputProtobuf
	// outputProtobufPartialMetadata is PartialObjectMetadata(List) in
	// protobuf, as client-go's metadata client asks for it.
	outputProtobufPartialMetadata
)

// protobuf reports whether the output is protobuf-encoded.
func (o output) protobuf() bool { return o == outputProtobuf || o == outputProtobufPartialMetadata }

// availableRepresentations is what a 406 lists, as kube-apiserver words it.
const availableRepresentations = "application/json, application/yaml, application/json;stream=watch"

// negotiate picks the first acceptable media range of the Accept header
// for a request of verb on t. kube-apiserver ignores q-values; so does
// this.
func (t *target) negotiate(r *http.Request, verb string) (output, error) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return outputJSON, nil
	}
	for _, part := range strings.Split(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "application/json", "*/*", "application/*":
			if params["as"] == "" {
				return outputJSON, nil
			}
			if params["g"] != "meta.k8s.io" || (params["v"] != "v1" && params["v"] != "v1beta1") {
				continue
			}
			switch params["as"] {
			case "Table":
				return outputTable, nil
			case "PartialObjectMetadata", "PartialObjectMetadataList":
				return outputPartialMetadata, nil
			}
		case "application/yaml":
			if params["as"] == "" {
				return outputYAML, nil
			}
		case protobufMediaType:
			if !t.protobuf {
				continue
			}
			switch {
			case params["as"] == "":
				return outputProtobuf, nil
			case params["g"] == "meta.k8s.io" && params["v"] == "v1" &&
				(params["as"] == "PartialObjectMetadata" || params["as"] == "PartialObjectMetadataList"):
				return outputProtobufPartialMetadata, nil
			}
			// Tables have no protobuf form: kube-apiserver answers 406.
		}
	}
	return 0, t.notAcceptable(verb)
}

// notAcceptable is kube-apiserver's 406, listing what t can be sent as:
// streams too for lists and watches of a type with protobuf.
func (t *target) notAcceptable(verb string) error {
	available := availableRepresentations
	if t.protobuf {
		available = "application/json, application/yaml, " + protobufMediaType
		if verb == "list" || verb == "watch" {
			available += ", application/json;stream=watch, " + protobufMediaType + ";stream=watch"
		}
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: fmt.Sprintf("406: Not Acceptable\n\nAvailable representations: %s", available),
		Details: &metav1.StatusDetails{},
	}}
}

// bodyFormat is how a request body is encoded.
type bodyFormat int

const (
	bodyJSON bodyFormat = iota
	bodyYAML
	bodyProtobuf
)

// protobufMediaType is Kubernetes' protobuf encoding of built-in types.
const protobufMediaType = "application/vnd.kubernetes.protobuf"

// requestBodyFormat reads Content-Type for create and update bodies.
func requestBodyFormat(r *http.Request, protobuf bool) (bodyFormat, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return bodyJSON, nil
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch mediaType {
		case "application/json", "*/*":
			return bodyJSON, nil
		case "application/yaml":
			return bodyYAML, nil
		case protobufMediaType:
			if protobuf {
				return bodyProtobuf, nil
			}
		}
	}
	accepted := "application/json, application/yaml"
	if protobuf {
		accepted += ", " + protobufMediaType
	}
	return 0, unsupportedMediaType(accepted)
}

// unsupportedMediaType is kube-apiserver's 415 for a body it cannot read.
func unsupportedMediaType(accepted string) error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusUnsupportedMediaType,
		Reason:  metav1.StatusReasonUnsupportedMediaType,
		Message: "the body of the request was in an unknown format - accepted media types include: " + accepted,
		Details: &metav1.StatusDetails{},
	}}
}
