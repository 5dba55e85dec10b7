package status

import (
	apiequality "k8s.io/apimachinery/pkg/api/equality"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

// PrepareForCreate does what kube-apiserver's CRD strategy does before
// validating a create: the status is cleared but for storedVersions,
// which starts with the storage version, and the generation is 1.
func PrepareForCreate(crd *apiextensionsv1.CustomResourceDefinition) {
	crd.Status = apiextensionsv1.CustomResourceDefinitionStatus{}
	crd.Generation = 1
	addStorageVersion(crd)
}

// PrepareForUpdate does what kube-apiserver's CRD strategy does before
// validating an update: the status is the old one, the storage version is
// added to storedVersions, and the generation moves on when the spec
// changed.
func PrepareForUpdate(crd, old *apiextensionsv1.CustomResourceDefinition) {
	crd.Status = old.Status
	crd.Generation = old.Generation
	if !apiequality.Semantic.DeepEqual(old.Spec, crd.Spec) {
		crd.Generation = old.Generation + 1
	}
	addStorageVersion(crd)
}

// PrepareForStatusUpdate keeps the old spec on an update through the
// status subresource.
func PrepareForStatusUpdate(crd, old *apiextensionsv1.CustomResourceDefinition) {
	crd.Spec = old.Spec
}

func addStorageVersion(crd *apiextensionsv1.CustomResourceDefinition) {
	for _, v := range crd.Spec.Versions {
		if !v.Storage {
			continue
		}
		for _, s := range crd.Status.StoredVersions {
			if s == v.Name {
				return
			}
		}
		crd.Status.StoredVersions = append(crd.Status.StoredVersions, v.Name)
		return
	}
}
