package storage

import (
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Key names what a storage call is about. With Name set it is one object;
// with Name empty it is a collection: the objects of one namespace
// (Namespace set) or of the whole resource (both empty). Cluster-scoped
// resources leave Namespace empty.
//
// Keys are structured, not strings, so that no caller can build a key
// outside its resource: the store joins the validated segments itself.
type Key struct {
	Namespace string
	Name      string
}

// String is "namespace/name", "name", "namespace/" or "" for logs.
func (k Key) String() string {
	switch {
	case k.Namespace == "":
		return k.Name
	default:
		return k.Namespace + "/" + k.Name
	}
}

// ValidateKeySegment checks that s can be one segment of an etcd key: a
// name, namespace, group or resource. It rejects what could reach outside
// the segment's key range: the empty string, "." and "..", a "/" and a NUL
// byte. Whether s is a valid Kubernetes name is the registry's business.
func ValidateKeySegment(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%s must not be empty", what)
	case s == "." || s == "..":
		return fmt.Errorf("%s may not be %q", what, s)
	case strings.ContainsAny(s, "/\x00"):
		return fmt.Errorf("%s %q may not contain '/' or NUL", what, s)
	}
	return nil
}

// ResourcePrefix returns the key under which every object of gr lives:
// <prefix>/<group>/<resource>, or <prefix>/<resource> for the core group
// (as kube-apiserver keeps /registry/configmaps). prefix is "" or an absolute
// clean path such as "/registry"; a trailing "/" is ignored.
func ResourcePrefix(prefix string, gr schema.GroupResource) (string, error) {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || path.Clean(prefix) != prefix ||
		strings.Contains(prefix, "\x00") || hasDotSegment(prefix)) {
		return "", fmt.Errorf("storage prefix %q must be an absolute clean path like /registry", prefix)
	}
	if err := ValidateKeySegment("resource", gr.Resource); err != nil {
		return "", err
	}
	if gr.Group == "" {
		return prefix + "/" + gr.Resource, nil
	}
	if err := ValidateKeySegment("group", gr.Group); err != nil {
		return "", err
	}
	return prefix + "/" + gr.Group + "/" + gr.Resource, nil
}

func hasDotSegment(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}

// KeySpace turns Keys into etcd keys for one resource. It is the one place
// the storage prefix is applied.
type KeySpace struct {
	prefix     string // resource prefix, no trailing slash
	namespaced bool
}

// NewKeySpace returns the key space of gr under prefix (see ResourcePrefix).
// namespaced says whether objects of gr live in namespaces.
func NewKeySpace(prefix string, gr schema.GroupResource, namespaced bool) (KeySpace, error) {
	p, err := ResourcePrefix(prefix, gr)
	if err != nil {
		return KeySpace{}, err
	}
	return KeySpace{prefix: p, namespaced: namespaced}, nil
}

// Prefix is the resource prefix, without a trailing slash.
func (ks KeySpace) Prefix() string { return ks.prefix }

// Namespaced reports whether the resource lives in namespaces.
func (ks KeySpace) Namespaced() bool { return ks.namespaced }

// ObjectKey returns the etcd key of one object:
// <resource prefix>/<namespace>/<name>, or <resource prefix>/<name> for a
// cluster-scoped resource. The error is an ErrCodeInvalidRequest *Error.
func (ks KeySpace) ObjectKey(k Key) (string, error) {
	if err := ks.checkNamespace(k); err != nil {
		return "", err
	}
	if err := ValidateKeySegment("name", k.Name); err != nil {
		return "", NewError(ErrCodeInvalidRequest, ks.prefix, 0, err)
	}
	if ks.namespaced {
		return ks.prefix + "/" + k.Namespace + "/" + k.Name, nil
	}
	return ks.prefix + "/" + k.Name, nil
}

// CollectionPrefix returns the etcd key prefix, ending in "/", of the
// collection k names (k.Name must be empty): one namespace, or the whole
// resource when k.Namespace is empty.
func (ks KeySpace) CollectionPrefix(k Key) (string, error) {
	if k.Name != "" {
		return "", Errorf(ErrCodeInvalidRequest, ks.prefix, 0, "a collection key has no name, got %q", k.Name)
	}
	if k.Namespace == "" {
		return ks.prefix + "/", nil
	}
	if err := ks.checkNamespace(k); err != nil {
		return "", err
	}
	return ks.prefix + "/" + k.Namespace + "/", nil
}

func (ks KeySpace) checkNamespace(k Key) error {
	if !ks.namespaced {
		if k.Namespace != "" {
			return Errorf(ErrCodeInvalidRequest, ks.prefix, 0, "resource is cluster-scoped, got namespace %q", k.Namespace)
		}
		return nil
	}
	if err := ValidateKeySegment("namespace", k.Namespace); err != nil {
		return NewError(ErrCodeInvalidRequest, ks.prefix, 0, err)
	}
	return nil
}

// Contains reports whether key lies strictly inside the resource prefix.
func (ks KeySpace) Contains(key string) bool {
	return len(key) > len(ks.prefix)+1 && strings.HasPrefix(key, ks.prefix) && key[len(ks.prefix)] == '/'
}

// ParseKey is the inverse of ObjectKey.
func (ks KeySpace) ParseKey(key string) (Key, error) {
	if !ks.Contains(key) {
		return Key{}, Errorf(ErrCodeInvalidRequest, key, 0, "key is outside %s/", ks.prefix)
	}
	rest := key[len(ks.prefix)+1:]
	var k Key
	if ks.namespaced {
		ns, name, ok := strings.Cut(rest, "/")
		if !ok {
			return Key{}, Errorf(ErrCodeInvalidRequest, key, 0, "key has no namespace segment")
		}
		k = Key{Namespace: ns, Name: name}
	} else {
		k = Key{Name: rest}
	}
	if _, err := ks.ObjectKey(k); err != nil {
		return Key{}, err
	}
	return k, nil
}
