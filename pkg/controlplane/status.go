package controlplane

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"

	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/generic"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// statusResource declares a resource of type t with /status
// (of statusType) and, when replicas is set, /scale.
func statusResource(backend *etcd3.Backend, admit admission.Interface, t, statusType rest.Type, replicas *generic.Replicas, more ...subresourceType) (rest.Resource, error) {
	store, err := generic.NewStore(backend, t, admit, "")
	if err != nil {
		return rest.Resource{}, err
	}
	status, err := generic.NewStore(backend, statusType, admit, "status")
	if err != nil {
		return rest.Resource{}, err
	}
	decl := store.Declaration()
	decl.Subresources = append(decl.Subresources, rest.Subresource{Name: "status", Storage: status, Verbs: []string{"get", "patch", "update"}})
	if replicas != nil {
		scale, err := generic.NewStore(backend, t, admit, "scale")
		if err != nil {
			return rest.Resource{}, err
		}
		decl.Subresources = append(decl.Subresources, rest.Subresource{
			Name: "scale", Storage: generic.ScaleStorage{Store: scale, Replicas: *replicas},
			Kind: autoscalingv1.SchemeGroupVersion.WithKind("Scale"), Verbs: []string{"get", "patch", "update"},
		})
	}
	for _, m := range more {
		store, err := generic.NewStore(backend, m.typ(), admit, m.name)
		if err != nil {
			return rest.Resource{}, err
		}
		decl.Subresources = append(decl.Subresources, rest.Subresource{Name: m.name, Storage: store, Verbs: []string{"get", "patch", "update"}})
	}
	return decl, nil
}

// subresourceType is a subresource that writes its object with a
// strategy of its own (a CertificateSigningRequest's /approval).
type subresourceType struct {
	name string
	typ  func() rest.Type
}
