package serviceaccount

import (
	"crypto"
	"encoding/json"
	"net/http"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
)

// OIDC discovery paths, as kube-apiserver serves them.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/openid/v1/jwks"
)

// Discovery serves the OpenID provider configuration of issuer and the
// JSON Web Key Set of keys, so that other systems verify service account
// tokens without calling the server. jwksURI is where the configuration
// says the keys are; empty means issuer + JWKSPath.
type Discovery struct {
	Configuration, KeySet http.Handler
}

// NewDiscovery builds both documents once: they change only with the
// flags.
func NewDiscovery(issuer, jwksURI string, keys []crypto.PublicKey) (*Discovery, error) {
	if jwksURI == "" {
		jwksURI = issuer + JWKSPath
	}
	var set jose.JSONWebKeySet
	var algs []string
	for _, k := range keys {
		jwk, err := publicJWK(k)
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, jwk)
		if !slices.Contains(algs, jwk.Algorithm) {
			algs = append(algs, jwk.Algorithm)
		}
	}
	config, err := json.Marshal(struct {
		Issuer   string   `json:"issuer"`
		JWKSURI  string   `json:"jwks_uri"`
		Response []string `json:"response_types_supported"`
		Subject  []string `json:"subject_types_supported"`
		Algs     []string `json:"id_token_signing_alg_values_supported"`
	}{issuer, jwksURI, []string{"id_token"}, []string{"public"}, algs})
	if err != nil {
		return nil, err
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	return &Discovery{Configuration: document(config, "application/json"), KeySet: document(jwks, "application/jwk-set+json")}, nil
}

// document serves body as kube does: public, cacheable for an hour.
func document(body []byte, contentType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Write(body) //nolint:errcheck // the client went away; nothing to do
	})
}
