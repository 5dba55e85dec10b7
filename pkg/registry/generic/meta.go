package generic

import (
	"fmt"
	"maps"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/internal/core"
)

// generateNameSuffix is the length of the random suffix of generateName,
// as kube-apiserver uses.
const generateNameSuffix = 5

// maxGeneratedBase keeps a generated name within 63 characters.
const maxGeneratedBase = 63 - generateNameSuffix

// NameValidator returns errors for an invalid name.
type NameValidator func(name string, prefix bool) []string

// fillCreateMeta sets the fields the server owns on a new object.
func fillCreateMeta(m metav1.Object, now metav1.Time) {
	if m.GetName() == "" && m.GetGenerateName() != "" {
		base := m.GetGenerateName()
		if len(base) > maxGeneratedBase {
			base = base[:maxGeneratedBase]
		}
		m.SetName(base + utilrand.String(generateNameSuffix))
	}
	m.SetUID(uuid.NewUUID())
	m.SetCreationTimestamp(now)
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	m.SetSelfLink("")
}

// validateMeta checks the object metadata of a new object.
func validateMeta(m metav1.Object, namespaced bool, names NameValidator) field.ErrorList {
	return metavalidation.ValidateObjectMetaAccessor(m, namespaced, metavalidation.ValidateNameFunc(names), field.NewPath("metadata"))
}

// validateMetaUpdate checks what changed in the object metadata.
func validateMetaUpdate(m, old metav1.Object) field.ErrorList {
	return metavalidation.ValidateObjectMetaAccessorUpdate(m, old, field.NewPath("metadata"))
}

// keepServerMeta carries the fields a client cannot change from old to m.
func keepServerMeta(m, old metav1.Object) {
	m.SetUID(old.GetUID())
	m.SetCreationTimestamp(old.GetCreationTimestamp())
	m.SetGeneration(old.GetGeneration())
	m.SetDeletionTimestamp(old.GetDeletionTimestamp())
	m.SetDeletionGracePeriodSeconds(old.GetDeletionGracePeriodSeconds())
	m.SetSelfLink("")
	if m.GetGenerateName() == "" {
		m.SetGenerateName(old.GetGenerateName())
	}
}

// DNSSubdomainName is the name rule of most resources (configmaps, secrets).
func DNSSubdomainName(name string, prefix bool) []string {
	return metavalidation.NameIsDNSSubdomain(name, prefix)
}

// PathSegmentName only forbids what cannot be a path segment.
func PathSegmentName(name string, prefix bool) []string {
	return path.ValidatePathSegmentName(name, prefix)
}

func accessor(obj runtime.Object) (metav1.Object, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, fmt.Errorf("reading object metadata of %T: %w", obj, err)
	}
	return m, nil
}

// specChanged compares everything but metadata and status: the default rule
// of when metadata.generation goes up.
func specChanged(obj, old runtime.Object) bool {
	a, errA := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	b, errB := runtime.DefaultUnstructuredConverter.ToUnstructured(old)
	if errA != nil || errB != nil {
		return true
	}
	// For unstructured objects the converter returns their own maps: work
	// on copies of the top level, which is all that is changed here.
	a, b = maps.Clone(a), maps.Clone(b)
	for _, k := range []string{"metadata", "status", "apiVersion", "kind"} {
		delete(a, k)
		delete(b, k)
	}
	return !equality.Semantic.DeepEqual(a, b)
}

// printed is a field error value shown exactly as given.
type printed = core.Printed
