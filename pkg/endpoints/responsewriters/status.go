// Package responsewriters writes API answers: objects and Kubernetes Status
// errors, in one place, in the format kube-apiserver uses.
package responsewriters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

// ErrorToStatus turns any error into a Status. An error that is not already
// an API error becomes a 500 whose message is the error's text. Long values
// quoted in messages are shortened (see BoundMessage).
func ErrorToStatus(err error) *metav1.Status {
	var s metav1.Status
	var api apierrors.APIStatus
	if errors.As(err, &api) {
		s = api.Status()
		if s.Status == "" {
			s.Status = metav1.StatusFailure
		}
		if s.Code == 0 {
			s.Code = http.StatusInternalServerError
		}
	} else {
		s = apierrors.NewInternalError(err).Status()
	}
	s.Kind, s.APIVersion = "Status", "v1"
	s.Message = BoundMessage(s.Message)
	if s.Details != nil {
		for i := range s.Details.Causes {
			s.Details.Causes[i].Message = BoundMessage(s.Details.Causes[i].Message)
		}
	}
	return &s
}

// Bounds of the values echoed in error messages.
const (
	maxQuotedValue  = 1024 // longer quoted values are shortened...
	keptQuotedValue = 256  // ...to their first bytes
)

// BoundMessage shortens every quoted value longer than maxQuotedValue bytes
// in an error message to its first keptQuotedValue bytes, noting the length
// it had: an invalid 1 MiB label value must not come back as a 2 MB error
// (once in the message, once in its cause).
func BoundMessage(msg string) string {
	if len(msg) <= maxQuotedValue {
		return msg
	}
	var b strings.Builder
	for {
		start := strings.IndexByte(msg, '"')
		if start < 0 {
			b.WriteString(msg)
			return b.String()
		}
		end := closingQuote(msg, start+1)
		if end < 0 {
			b.WriteString(msg)
			return b.String()
		}
		b.WriteString(msg[:start+1])
		value := msg[start+1 : end]
		if len(value) > maxQuotedValue {
			cut := safeCut(value, keptQuotedValue)
			fmt.Fprintf(&b, "%s...\" (truncated from %d bytes)", value[:cut], len(value))
		} else {
			b.WriteString(value)
			b.WriteByte('"')
		}
		msg = msg[end+1:]
	}
}

// safeCut returns the longest prefix length of a quoted value, at most
// limit, that ends neither inside an escape sequence (\", \\, \x00,
// \u0000, \U00000000) nor inside a character.
func safeCut(value string, limit int) int {
	i := 0
	for i < len(value) {
		step := 1
		if value[i] == '\\' && i+1 < len(value) {
			switch value[i+1] {
			case 'x':
				step = 4
			case 'u':
				step = 6
			case 'U':
				step = 10
			default:
				step = 2
			}
		} else {
			_, step = utf8.DecodeRuneInString(value[i:])
		}
		if i+step > limit {
			break
		}
		i += step
	}
	return i
}

// closingQuote returns the index of the quote that ends the quoted string
// starting at from, skipping escaped quotes; -1 if there is none.
func closingQuote(s string, from int) int {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
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
		if body, err = json.Marshal(obj); err == nil {
			body = indentBounded(body)
		}
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

// indentBounded indents compact JSON for people, unless indenting would
// multiply its size: the spaces of an indented document grow with the
// square of its depth (a stored object nested 9,000 deep, indented, was
// 162 MB), and such a document is not for reading anyway.
func indentBounded(compact []byte) []byte {
	budget := 4*len(compact) + 64<<10
	added := 0
	ScanStructure(compact, func(_ byte, depth int) bool {
		added += 1 + 2*depth // a new line, and its indentation
		return added <= budget
	})
	if added > budget {
		return compact
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, compact, "", "  "); err != nil {
		return compact
	}
	return buf.Bytes()
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
