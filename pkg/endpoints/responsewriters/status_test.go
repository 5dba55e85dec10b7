package responsewriters

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestPretty(t *testing.T) {
	tests := []struct {
		query, userAgent string
		want             bool
	}{
		{"", "curl/8.5.0", true},
		{"", "Wget/1.21", true},
		{"", "kubectl/v1.31.0", false},
		{"?pretty=true", "kubectl/v1.31.0", true},
		{"?pretty=1", "", true},
		{"?pretty=false", "curl/8.5.0", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/api"+tt.query, nil)
		r.Header.Set("User-Agent", tt.userAgent)
		if got := Pretty(r); got != tt.want {
			t.Errorf("Pretty(%q, %q) = %v, want %v", tt.query, tt.userAgent, got, tt.want)
		}
	}
}

// TestIndentBounded: ordinary documents are indented as json.MarshalIndent
// does; one whose indentation would dwarf it is sent compact.
func TestIndentBounded(t *testing.T) {
	obj := map[string]any{"a": []any{1, "x,{[\"", map[string]any{"b": nil}}, "c": map[string]any{}}
	compact, _ := json.Marshal(obj)
	want, _ := json.MarshalIndent(obj, "", "  ")
	if got := indentBounded(compact); string(got) != string(want) {
		t.Errorf("indented:\n%s\nwant:\n%s", got, want)
	}
	deep := []byte(strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000))
	if got := indentBounded(deep); len(got) != len(deep) {
		t.Errorf("a document nested 9,000 deep became %d bytes from %d", len(got), len(deep))
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api/v1/namespaces/default/configmaps/x", nil)
	WriteError(w, r, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, "x"))
	if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("answer = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var st struct{ Kind, Reason, Message string }
	if err := json.Unmarshal(w.Body.Bytes(), &st); err != nil || st.Kind != "Status" || st.Reason != "NotFound" || st.Message != `configmaps "x" not found` {
		t.Errorf("status = %+v, %v", st, err)
	}
}

func TestBoundMessage(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name, in, want string
	}{
		{"short", `metadata.name: Invalid value: "a b": bad`, `metadata.name: Invalid value: "a b": bad`},
		{"one long value", `metadata.labels: Invalid value: "` + long + `": must be no more than 63 characters`,
			`metadata.labels: Invalid value: "` + long[:256] + `..." (truncated from 1048576 bytes): must be no more than 63 characters`},
		{"escapes kept whole", `f: Invalid value: "` + strings.Repeat(`\"`, 1000) + `": bad`,
			`f: Invalid value: "` + strings.Repeat(`\"`, 128) + `..." (truncated from 2000 bytes): bad`},
		{"unterminated quote", `f: "` + long, `f: "` + long},
	}
	for _, tt := range tests {
		if got := BoundMessage(tt.in); got != tt.want {
			t.Errorf("%s: BoundMessage = %.400q, want %.400q", tt.name, got, tt.want)
		}
	}
}

func TestSafeCut(t *testing.T) {
	tests := []struct {
		value string
		limit int
		want  int
	}{
		{"abcdef", 4, 4},
		{`ab\"cd`, 3, 2},
		{`ab\\cd`, 4, 4},
		{`a\u00e9b`, 5, 1},
		{"aéb", 2, 1},
		{"aéb", 3, 3},
	}
	for _, tt := range tests {
		if got := safeCut(tt.value, tt.limit); got != tt.want {
			t.Errorf("safeCut(%q, %d) = %d, want %d", tt.value, tt.limit, got, tt.want)
		}
	}
}
