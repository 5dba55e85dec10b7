package openapi

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Service holds the group-versions the server serves and their OpenAPI
// documents. Changes are serialized and publish a new immutable snapshot;
// requests read the current snapshot without locking.
type Service struct {
	info  Info
	mu    sync.Mutex // serializes changes
	state atomic.Pointer[snapshot]
}

// snapshot is the immutable state the handlers serve.
type snapshot struct {
	gvs   map[string]*groupVersion // by v3 key, "api/v1"
	v3    map[string]*lazyDocument // every v3 document, by v3 key
	index *lazyDocument            // /openapi/v3
	v2    *lazyDocument            // /openapi/v2, rendered on first request
	// remotes are the group versions other servers serve, by v3 key.
	remotes map[string]*remote
}

// groupVersion is one registered group-version and its v3 document,
// rendered on first use: rendering every built-in group at start took
// longer than the rest of the start together.
type groupVersion struct {
	gv schema.GroupVersion
	// content is what the documents say of gv, computed once.
	content func() (content, error)
	v3      *lazyDocument
}

// lazyDocument is a document rendered on first use: a burst of changes,
// such as many CustomResourceDefinitions becoming established at start,
// renders the all-in-one v2 document once, and a server that no client
// asks for a document renders none.
type lazyDocument struct {
	once  sync.Once
	build func() (*document, error)
	doc   *document
	err   error
}

func (l *lazyDocument) get() (*document, error) {
	l.once.Do(func() { l.doc, l.err = l.build() })
	return l.doc, l.err
}

// Option configures a Service.
type Option func(*Service)

// WithInfo sets the title and version in the info object of the documents.
// The default is title "Kubernetes" and version "unversioned".
func WithInfo(info Info) Option { return func(s *Service) { s.info = info } }

// Keys of the v3 documents of the discovery endpoints, as kube-apiserver
// lists them.
const (
	keyCore    = "api"
	keyGroups  = "apis"
	keyVersion = "version"
)

// NewService returns a service that describes no group-version yet, only
// the discovery and version endpoints.
func NewService(opts ...Option) *Service {
	s := &Service{info: Info{Title: "Kubernetes", Version: "unversioned"}}
	for _, opt := range opts {
		opt(s)
	}
	statics := map[string]content{
		keyCore:    {routes: []route{coreDiscoveryRoute()}},
		keyGroups:  {routes: []route{groupsDiscoveryRoute()}},
		keyVersion: {routes: []route{versionRoute()}},
	}
	next := &snapshot{gvs: map[string]*groupVersion{}, v3: map[string]*lazyDocument{}}
	for key, c := range statics {
		c.merge(coreKinds())
		next.v3[key] = s.lazyV3(fixed(c))
	}
	s.publish(next)
	return s
}

// AddGroupVersion registers gv with its resources, replacing what was
// registered for gv before, and renders its documents. It fails, leaving
// the service as it was, for a resource that cannot be described.
func (s *Service) AddGroupVersion(gv schema.GroupVersion, resources []Resource) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.setLocked(gv, resources)
}

// AddGroupVersionFunc registers gv with the resources describe returns,
// replacing what was registered for gv before. describe is called when a
// document that includes gv is first rendered, not now: a built-in group's
// resources name generated definitions, which loading costs several MB
// that a server whose clients read no document never needs. What would
// make AddGroupVersion fail makes those documents fail instead.
func (s *Service) AddGroupVersionFunc(gv schema.GroupVersion, describe func() []Resource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entry := &groupVersion{gv: gv, content: sync.OnceValues(func() (content, error) {
		c, err := describeGroupVersion(gv, describe())
		if err != nil {
			return content{}, fmt.Errorf("OpenAPI of %s: %w", gv, err)
		}
		return c, nil
	})}
	entry.v3 = s.lazyV3(entry.content)
	s.addLocked(entry)
}

func (s *Service) setLocked(gv schema.GroupVersion, resources []Resource) error {
	c, err := describeGroupVersion(gv, resources)
	if err != nil {
		return err
	}
	entry := &groupVersion{gv: gv, content: func() (content, error) { return c, nil }}
	entry.v3 = s.lazyV3(entry.content)
	s.addLocked(entry)
	return nil
}

func (s *Service) addLocked(entry *groupVersion) {
	gv := entry.gv
	cur := s.state.Load()
	next := &snapshot{gvs: maps.Clone(cur.gvs), v3: maps.Clone(cur.v3), remotes: cur.remotes}
	key := gvKey(gv)
	next.gvs[key], next.v3[key] = entry, entry.v3
	if groupKey := keyGroups + "/" + gv.Group; gv.Group != "" && next.v3[groupKey] == nil {
		c := content{routes: []route{groupDiscoveryRoute(gv.Group)}}
		c.merge(coreKinds())
		next.v3[groupKey] = s.lazyV3(fixed(c))
	}
	s.publish(next)
}

// fixed returns c as the content of a lazy document.
func fixed(c content) func() (content, error) {
	return func() (content, error) { return c, nil }
}

// RemoveGroupVersion unregisters gv and reports whether it was registered.
func (s *Service) RemoveGroupVersion(gv schema.GroupVersion) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removeLocked(gv)
}

func (s *Service) removeLocked(gv schema.GroupVersion) bool {
	cur := s.state.Load()
	key := gvKey(gv)
	if cur.gvs[key] == nil {
		return false
	}
	next := &snapshot{gvs: maps.Clone(cur.gvs), v3: maps.Clone(cur.v3), remotes: cur.remotes}
	delete(next.gvs, key)
	delete(next.v3, key)
	if gv.Group != "" && !slices.ContainsFunc(slices.Collect(maps.Values(next.gvs)), func(e *groupVersion) bool {
		return e.gv.Group == gv.Group
	}) {
		delete(next.v3, keyGroups+"/"+gv.Group)
	}
	s.publish(next)
	return true
}

// GroupVersions returns the registered group-versions, sorted by their
// OpenAPI v3 key.
func (s *Service) GroupVersions() []schema.GroupVersion {
	cur := s.state.Load()
	keys := slices.Sorted(maps.Keys(cur.gvs))
	out := make([]schema.GroupVersion, len(keys))
	for i, k := range keys {
		out[i] = cur.gvs[k].gv
	}
	return out
}

// CheckGroupVersion reports what AddGroupVersion would refuse in the
// declaration of gv's resources without loading any definition: what
// AddGroupVersionFunc defers is only whether the definitions they name
// exist.
func CheckGroupVersion(gv schema.GroupVersion, resources []Resource) error {
	_, _, err := normalizeGroupVersion(gv, resources)
	return err
}

// normalizeGroupVersion checks gv and its resources, and returns them
// normalized with the definitions of their schemas.
func normalizeGroupVersion(gv schema.GroupVersion, resources []Resource) ([]Resource, map[string]*definition, error) {
	if gv.Version == "" || strings.Contains(gv.Group, "/") || strings.Contains(gv.Version, "/") {
		return nil, nil, fmt.Errorf("%w: group-version %q", ErrInvalidResource, gv.String())
	}
	normalized := make([]Resource, 0, len(resources))
	local := map[string]*definition{}
	seen := map[string]bool{}
	for _, r := range resources {
		r, err := r.normalize(gv)
		if err != nil {
			return nil, nil, err
		}
		if seen[r.Plural] {
			return nil, nil, fmt.Errorf("%w %s/%s: registered twice", ErrInvalidResource, gv.String(), r.Plural)
		}
		seen[r.Plural] = true
		if r.Schema != nil {
			maps.Copy(local, customDefinitions(gv, r))
		}
		normalized = append(normalized, r)
	}
	return normalized, local, nil
}

// describeGroupVersion checks gv and its resources and returns what the
// documents say of them.
func describeGroupVersion(gv schema.GroupVersion, resources []Resource) (content, error) {
	normalized, local, err := normalizeGroupVersion(gv, resources)
	if err != nil {
		return content{}, err
	}
	c := groupVersionContent(gv, normalized, local)
	// What a resource names must exist now; what those definitions
	// reference is generated with them, and checked by rendering.
	for _, root := range c.roots() {
		if _, err := c.lookup(root); err != nil {
			return content{}, err
		}
	}
	return c, nil
}

// publish completes next with the v3 index and a v2 document to render on
// demand, and makes it the served state.
func (s *Service) publish(next *snapshot) {
	docs := next.v3
	next.index = &lazyDocument{build: func() (*document, error) { return renderIndex(docs) }}
	gvs := next.v2Entries()
	remotes := slices.SortedFunc(maps.Values(next.remotes), func(a, b *remote) int { return strings.Compare(gvKey(a.gv), gvKey(b.gv)) })
	next.v2 = &lazyDocument{build: func() (*document, error) { return s.renderV2(gvs, remotes) }}
	s.state.Store(next)
}

// v2Entries returns the group-versions of the v2 document, in key order.
func (sn *snapshot) v2Entries() []*groupVersion {
	gvs := slices.Collect(maps.Values(sn.gvs))
	slices.SortFunc(gvs, func(a, b *groupVersion) int { return strings.Compare(gvKey(a.gv), gvKey(b.gv)) })
	return gvs
}

// lazyV3 is the v3 document of c, rendered on first use.
func (s *Service) lazyV3(c func() (content, error)) *lazyDocument {
	return &lazyDocument{build: func() (*document, error) {
		c, err := c()
		if err != nil {
			return nil, err
		}
		return s.renderV3(c)
	}}
}

func (s *Service) renderV3(c content) (*document, error) {
	doc, err := buildV3(s.info, c)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	return newDocument(data, v3Proto), nil
}

// renderV2 renders the Swagger 2.0 document of every group-version.
func (s *Service) renderV2(gvs []*groupVersion, remotes []*remote) (*document, error) {
	all := content{routes: []route{coreDiscoveryRoute(), groupsDiscoveryRoute(), versionRoute()}}
	all.merge(coreKinds())
	groups := map[string]bool{}
	for _, e := range gvs {
		c, err := e.content()
		if err != nil {
			return nil, err
		}
		all.merge(c)
		if e.gv.Group != "" && !groups[e.gv.Group] {
			groups[e.gv.Group] = true
			all.routes = append(all.routes, groupDiscoveryRoute(e.gv.Group))
		}
	}
	doc, err := buildV2(s.info, all)
	if err != nil {
		return nil, fmt.Errorf("building the OpenAPI v2 document: %w", err)
	}
	for _, r := range remotes {
		mergeRemote(doc, r)
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding the OpenAPI v2 document: %w", err)
	}
	return newDocument(data, v2Proto), nil
}

// v3Index is the document at /openapi/v3.
type v3Index struct {
	Paths map[string]v3IndexEntry `json:"paths"`
}

type v3IndexEntry struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}

// renderIndex renders the v3 index, which names each document by its
// hash, and so renders them all.
func renderIndex(docs map[string]*lazyDocument) (*document, error) {
	idx := v3Index{Paths: make(map[string]v3IndexEntry, len(docs))}
	for key, lazy := range docs {
		doc, err := lazy.get()
		if err != nil {
			return nil, fmt.Errorf("rendering the OpenAPI v3 document of %s: %w", key, err)
		}
		idx.Paths[key] = v3IndexEntry{ServerRelativeURL: v3URL(key, doc.etag)}
	}
	data, _ := json.Marshal(idx) // maps of strings always encode
	return newDocument(data, nil), nil
}

// v3URL returns the server-relative URL of a v3 document with its hash.
func v3URL(key, etag string) string {
	return (&url.URL{Path: v3Root + "/" + key, RawQuery: url.Values{"hash": {etag}}.Encode()}).String()
}
