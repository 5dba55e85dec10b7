package controlplane

import (
	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/registry/core/secret"
	saregistry "github.com/apiserver/apiserver/pkg/registry/core/serviceaccount"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/server"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// serviceAccountResource declares serviceaccounts, with /token when the
// server issues tokens, and points the token authenticator at the
// accounts and secrets its tokens name.
func serviceAccountResource(backend *etcd3.Backend, admit admission.Interface, c server.ServiceAccountConfig) (rest.Resource, error) {
	accounts, err := generic.NewStore(backend, saregistry.Type(), admit, "")
	if err != nil {
		return rest.Resource{}, err
	}
	secrets, err := generic.NewStore(backend, secret.Type(), nil, "")
	if err != nil {
		return rest.Resource{}, err
	}
	decl := accounts.Declaration()
	if c.Authenticator != nil {
		c.Authenticator.SetLookup(saregistry.Lookup{ServiceAccounts: accounts, Secrets: secrets})
	}
	if c.Issuer != nil {
		decl.Subresources = append(decl.Subresources, rest.Subresource{
			Name: "token",
			Kind: saregistry.TokenRequestKind,
			Storage: &saregistry.TokenStorage{
				Issuer: c.Issuer, Audiences: c.Audiences, MaxLifetime: c.MaxLifetime,
				ServiceAccounts: accounts, Secrets: secrets,
			},
		})
	}
	return decl, nil
}

// installDiscovery serves the OIDC documents of service account tokens.
func installDiscovery(s *server.GenericAPIServer, d *serviceaccount.Discovery) {
	if d == nil {
		return
	}
	s.Handle(serviceaccount.DiscoveryPath, d.Configuration)
	s.Handle(serviceaccount.JWKSPath, d.KeySet)
}
