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

// negotiate picks the first acceptable media range of the Accept header
// for a request of verb on t. kube-apiserver ignores q-values; so does
// this.
func (t *target) negotiate(r *http.Request, verb string) (output, error) {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" {
		return outputJSON, nil
	}
	refusedTable := false
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
				if t.noTable {
					refusedTable = true
					continue
				}
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
	if refusedTable {
		// kube-apiserver refuses the transformation in these words.
		return 0, onlyAccepted()
	}
	return 0, t.notAcceptable(verb)
}

// onlyAccepted is kube-apiserver's 406 where it lists no streams.
func onlyAccepted() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusNotAcceptable, Reason: metav1.StatusReasonNotAcceptable,
		Message: "only the following media types are accepted: application/json, application/yaml, " + protobufMediaType,
	}}
}

// notAcceptable is kube-apiserver's 406, listing what t can be sent as:
// streams too for lists and watches.
func (t *target) notAcceptable(verb string) error {
	if !t.builtin {
		// kube-apiserver's custom resource handler words it its own way,
		// listing protobuf it never writes.
		return onlyAccepted()
	}
	// Built-in types list protobuf whether or not this server has it for
	// them, as kube-apiserver (which has it for all) does.
	available := "application/json, application/yaml, " + protobufMediaType
	if verb == "list" || verb == "watch" {
		available += ", application/json;stream=watch, " + protobufMediaType + ";stream=watch"
	}
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: fmt.Sprintf("406: Not Acceptable\n\nAvailable representations: %s", available),
		Details: &metav1.StatusDetails{},
	}}
}

// acceptsProtobuf reports whether the Accept header names protobuf.
func acceptsProtobuf(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mediaType == protobufMediaType {
			return true
		}
	}
	return false
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
