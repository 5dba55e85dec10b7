package discovery

import (
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
)

// Aggregated discovery (apidiscovery.k8s.io) answers /api and /apis with
// every group, version and resource in one document, which kubectl 1.30+
// (v2) and 1.27-1.29 (v2beta1) ask for first. Both versions have the same
// shape; only apiVersion differs.
const (
	aggregatedGroup = "apidiscovery.k8s.io"
	aggregatedKind  = "APIGroupDiscoveryList"
)

// aggregatedVersion returns the apidiscovery version the Accept header asks
// for first, if any: kube-apiserver ignores q-values, and so does this.
func aggregatedVersion(r *http.Request) (string, bool) {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mediaType == "application/json" && params["g"] == aggregatedGroup && params["as"] == aggregatedKind &&
			(params["v"] == "v2" || params["v"] == "v2beta1") {
			return params["v"], true
		}
		if mediaType == "application/json" || mediaType == "*/*" || mediaType == "application/*" {
			if params["as"] == "" {
				return "", false // the legacy documents come first
			}
		}
	}
	return "", false
}

// serveAggregated writes the aggregated document of the core group (/api)
// or of every other group (/apis), with an ETag a client may send back in
// If-None-Match to get a 304.
func (d *Registry) serveAggregated(w http.ResponseWriter, r *http.Request, version string, core bool) {
	list := d.aggregated(core)
	list.APIVersion = aggregatedGroup + "/" + version
	body, err := json.Marshal(list)
	if err != nil {
		responsewriters.WriteError(w, r, fmt.Errorf("encoding aggregated discovery: %w", err))
		return
	}
	sum := sha512.Sum512(body)
	etag := `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`
	h := w.Header()
	h.Set("Cache-Control", "public")
	h.Set("Vary", "Accept")
	h.Set("Etag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", fmt.Sprintf("application/json;g=%s;v=%s;as=%s", aggregatedGroup, version, aggregatedKind))
	if responsewriters.Pretty(r) {
		body, _ = json.MarshalIndent(list, "", "  ")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

// aggregated builds the document from the registered group versions.
func (d *Registry) aggregated(core bool) apidiscoveryv2.APIGroupDiscoveryList {
	d.mu.RLock()
	defer d.mu.RUnlock()
	list := apidiscoveryv2.APIGroupDiscoveryList{
		TypeMeta: metav1.TypeMeta{Kind: aggregatedKind},
		Items:    []apidiscoveryv2.APIGroupDiscovery{},
	}
	for _, group := range d.order {
		if (group == "") != core {
			continue
		}
		g := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: group}}
		for _, v := range d.versions[group] {
			gv := schema.GroupVersion{Group: group, Version: v}
			g.Versions = append(g.Versions, apidiscoveryv2.APIVersionDiscovery{
				Version: v, Resources: aggregatedResources(gv, d.resources[gv], d.builtin[gv]),
				Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent,
			})
		}
		list.Items = append(list.Items, g)
	}
	return list
}

// aggregatedResources folds a legacy resource list (subresources as
// "resource/sub" entries) into resources with their subresources. Built-in
// kinds are named without group and version, as kube-apiserver does; custom
// resources with theirs.
func aggregatedResources(gv schema.GroupVersion, list []metav1.APIResource, builtin bool) []apidiscoveryv2.APIResourceDiscovery {
	kindOf := func(r metav1.APIResource) *metav1.GroupVersionKind {
		if r.Group != "" || r.Version != "" {
			return &metav1.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
		}
		if builtin {
			return &metav1.GroupVersionKind{Kind: r.Kind}
		}
		return &metav1.GroupVersionKind{Group: gv.Group, Version: gv.Version, Kind: r.Kind}
	}
	var out []apidiscoveryv2.APIResourceDiscovery
	index := map[string]int{}
	for _, r := range list {
		if name, sub, ok := strings.Cut(r.Name, "/"); ok {
			if i, found := index[name]; found {
				out[i].Subresources = append(out[i].Subresources, apidiscoveryv2.APISubresourceDiscovery{
					Subresource: sub, ResponseKind: kindOf(r), Verbs: r.Verbs,
				})
			}
			continue
		}
		scope := apidiscoveryv2.ScopeCluster
		if r.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		index[r.Name] = len(out)
		out = append(out, apidiscoveryv2.APIResourceDiscovery{
			Resource: r.Name, ResponseKind: kindOf(r), Scope: scope, SingularResource: r.SingularName,
			Verbs: r.Verbs, ShortNames: r.ShortNames, Categories: r.Categories,
		})
	}
	return out
}
