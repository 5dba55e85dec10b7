// Package responsewriters writes API answers: objects and Kubernetes Status
// errors, in one place, in the format kube-apiserver uses.
package responsewriters

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

// ErrorToStatus turns any error into a Status. An error that is not already
// an API error becomes a 500 whose message is the error's text.
func ErrorToStatus(err error) *metav1.Status {
	var api apierrors.APIStatus
	if errors.As(err, &api) {
		s := api.Status()
		s.Kind, s.APIVersion = "Status", "v1"
		if s.Status == "" {
			s.Status = metav1.StatusFailure
		}
		if s.Code == 0 {
			s.Code = http.StatusInternalServerError
		}
		return &s
	}
	s := apierrors.NewInternalError(err).Status()
	s.Kind, s.APIVersion = "Status", "v1"
	return &s
}

// WriteError writes err as a Status with its code.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s := ErrorToStatus(err)
	if s.Code >= 500 {
		klog.ErrorS(err, "Request failed", "method", r.Method, "path", r.URL.Path, "code", s.Code)
	}
	WriteJSON(w, r, int(s.Code), s)
}

// WriteJSON writes obj as JSON with code, indented for people (curl, wget,
// ?pretty=true) and compact for programs, as kube-apiserver does.
func WriteJSON(w http.ResponseWriter, r *http.Request, code int, obj any) {
	var body []byte
	var err error
	switch m, ok := obj.(json.Marshaler); {
	case Pretty(r):
		body, err = json.MarshalIndent(obj, "", "  ")
	case ok:
		// json.Marshal would check and compact what MarshalJSON wrote
		// (unstructured objects): a second pass over the bytes.
		body, err = m.MarshalJSON()
	default:
		body, err = json.Marshal(obj)
	}
	if err != nil {
		klog.ErrorS(err, "Encoding a response failed")
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// Pretty reports whether the answer should be indented.
func Pretty(r *http.Request) bool {
	if v := r.URL.Query().Get("pretty"); v != "" {
		return v == "1" || v == "true"
	}
	ua := r.UserAgent()
	return strings.HasPrefix(ua, "curl") || strings.HasPrefix(ua, "Wget")
}

// WriteYAML writes obj as YAML with code.
func WriteYAML(w http.ResponseWriter, code int, obj any) {
	body, err := yaml.Marshal(obj)
	if err != nil {
		klog.ErrorS(err, "Encoding a response failed")
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(code)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}
