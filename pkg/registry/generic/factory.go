package generic

import (
	"github.com/apiserver/apiserver/pkg/admission"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/storage/etcd3"
)

// NewStore builds the store of a type over etcd. admit (nil for none) runs
// on its writes, which admission sees as writes of subresource sub (empty
// for the resource itself).
func NewStore(backend *etcd3.Backend, t rest.Type, admit admission.Interface, sub string) (*Store, error) {
	st, err := backend.NewStore(t.Info.GroupResource(), t.Info.Namespaced, t.New)
	if err != nil {
		return nil, err
	}
	return &Store{Type: t, Storage: backend.Cached(st, t.New, t.NewList), Admission: admit, Subresource: sub}, nil
}

// Declaration returns the declaration of the resource s serves, without
// subresources.
func (s *Store) Declaration() rest.Resource {
	return rest.Resource{Info: s.Type.Info, Storage: s, Table: s.Type.Table, Defaults: s.Type.Defaults}
}
