package openapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// remote is what another server (an aggregated API server) publishes for
// one group version it serves.
type remote struct {
	gv schema.GroupVersion
	// v2 is the backend's whole Swagger document; its paths of gv and the
	// definitions this server lacks are merged into /openapi/v2.
	v2 *spec.Swagger
	// v3 is the backend's document of gv, served as it is.
	v3 *lazyDocument
}

// SetRemoteGroupVersion publishes the documents a backend serves for gv:
// v3Doc (its /openapi/v3/apis/<group>/<version>) under gv's v3 key, and
// the paths of gv in v2Doc (its /openapi/v2) with the definitions they
// need merged into the v2 document. Either may be nil when the backend
// has none. A group version this server serves itself is refused.
func (s *Service) SetRemoteGroupVersion(gv schema.GroupVersion, v2Doc, v3Doc []byte) error {
	r := &remote{gv: gv}
	if v2Doc != nil {
		r.v2 = &spec.Swagger{}
		if err := json.Unmarshal(v2Doc, r.v2); err != nil {
			return fmt.Errorf("the OpenAPI v2 document of %s: %w", gv, err)
		}
	}
	if v3Doc != nil {
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(v3Doc, &probe); err != nil {
			return fmt.Errorf("the OpenAPI v3 document of %s: %w", gv, err)
		}
		doc := newDocument(v3Doc, v3Proto)
		r.v3 = &lazyDocument{build: func() (*document, error) { return doc, nil }}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.state.Load()
	key := gvKey(gv)
	if cur.gvs[key] != nil {
		return fmt.Errorf("%s is served by this server", gv)
	}
	next := &snapshot{gvs: cur.gvs, v3: maps.Clone(cur.v3), remotes: maps.Clone(cur.remotes)}
	if next.remotes == nil {
		next.remotes = map[string]*remote{}
	}
	next.remotes[key] = r
	delete(next.v3, key)
	if r.v3 != nil {
		next.v3[key] = r.v3
	}
	s.publish(next)
	return nil
}

// RemoveRemoteGroupVersion stops publishing what a backend served for gv.
func (s *Service) RemoveRemoteGroupVersion(gv schema.GroupVersion) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.state.Load()
	key := gvKey(gv)
	if cur.remotes[key] == nil {
		return
	}
	next := &snapshot{gvs: cur.gvs, v3: maps.Clone(cur.v3), remotes: maps.Clone(cur.remotes)}
	delete(next.remotes, key)
	delete(next.v3, key)
	s.publish(next)
}

// mergeRemote adds to sw the paths of r's group version and the
// definitions sw lacks. A definition of the same name is this server's
// (the meta types both describe), so it is kept.
func mergeRemote(sw *spec.Swagger, r *remote) {
	if r.v2 == nil || r.v2.Paths == nil {
		return
	}
	prefix := gvPrefix(r.gv) + "/"
	for path, item := range r.v2.Paths.Paths {
		if strings.HasPrefix(path, prefix) || path == strings.TrimSuffix(prefix, "/") {
			sw.Paths.Paths[path] = item
		}
	}
	for name, def := range r.v2.Definitions {
		if _, ok := sw.Definitions[name]; !ok {
			sw.Definitions[name] = def
		}
	}
}
