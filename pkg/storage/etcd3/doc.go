// Package etcd3 is the etcd v3 implementation of storage.Interface, and the
// only package that talks to etcd: the client (NewClient), the health
// checks, one Store per resource, and the compactor.
//
// A Store keeps one resource under <prefix>/<group>/<resource>:
//
//	client, err := etcd3.NewClient(cfg)
//	// ...
//	store, err := etcd3.New(etcd3.Config{
//		Client:          client,
//		Prefix:          cfg.Prefix,
//		Resource:        schema.GroupResource{Resource: "configmaps"},
//		NamespaceScoped: true,
//		NewFunc:         func() runtime.Object { return &corev1.ConfigMap{} },
//	})
//	err = store.Create(ctx, storage.Key{Namespace: "default", Name: "foo"}, cm, out)
//
// The object's resourceVersion is its key's ModRevision, and a list's the
// revision it was read at; writes are compare-and-swaps on ModRevision, so
// no update is lost. Every call without a deadline gets RequestTimeout.
//
// RunCompactor, started once per server, compacts old revisions in
// coordination with the other replicas on the same etcd.
package etcd3
