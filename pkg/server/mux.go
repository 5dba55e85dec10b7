package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PathMux routes exact paths and path prefixes to handlers, remembers them
// for the index of served paths, and hands every other request to its
// fallthrough handler, normally the next server of the chain.
type PathMux struct {
	mu       sync.RWMutex
	exact    map[string]http.Handler
	prefixes []prefixHandler // longest first
	listed   []string
	fall     http.Handler
}

type prefixHandler struct {
	prefix  string
	handler http.Handler
}

// NewPathMux returns a mux that falls through to fall.
func NewPathMux(fall http.Handler) *PathMux {
	return &PathMux{exact: map[string]http.Handler{}, fall: fall}
}

// Handle serves exactly path.
func (m *PathMux) Handle(path string, h http.Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.exact[path] = h
	m.listed = append(m.listed, path)
}

// HandlePrefix serves every path under prefix, which ends in "/".
func (m *PathMux) HandlePrefix(prefix string, h http.Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prefixes = append(m.prefixes, prefixHandler{prefix, h})
	slices.SortFunc(m.prefixes, func(a, b prefixHandler) int { return len(b.prefix) - len(a.prefix) })
	m.listed = append(m.listed, strings.TrimSuffix(prefix, "/"))
}

// ListedPaths returns the paths this mux serves, sorted.
func (m *PathMux) ListedPaths() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	paths := slices.Clone(m.listed)
	slices.Sort(paths)
	return slices.Compact(paths)
}

// ServeHTTP implements http.Handler.
func (m *PathMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.RLock()
	h, ok := m.exact[r.URL.Path]
	if !ok {
		for _, p := range m.prefixes {
			if strings.HasPrefix(r.URL.Path, p.prefix) {
				h, ok = p.handler, true
				break
			}
		}
	}
	m.mu.RUnlock()
	if !ok {
		h = m.fall
	}
	h.ServeHTTP(w, r)
}

// indexHandler answers with the served paths as kube-apiserver's RootPaths
// JSON: 200 at "/", and 404 for a path no server of the chain serves.
type indexHandler struct {
	paths func() []string
}

func (h indexHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := http.StatusNotFound
	if r.URL.Path == "/" {
		code = http.StatusOK
	}
	body, err := json.MarshalIndent(metav1.RootPaths{Paths: h.paths()}, "", "  ")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}
