// Package validation validates apiextensions.k8s.io/v1
// CustomResourceDefinitions as kube-apiserver 1.31 does on create, update
// and status update, with its field paths and messages.
//
// Like kube-apiserver, it validates the internal form of a CRD: when every
// version has the same schema, subresources, additionalPrinterColumns or
// selectableFields, they are checked once at the top level, and the field
// paths read spec.validation.openAPIV3Schema..., spec.subresources...,
// spec.additionalPrinterColumns[i]... rather than spec.versions[i].
//
// Call it after apiextensionsv1.SetDefaults, as kube-apiserver validates
// decoded (defaulted) objects:
//
//	apiextensionsv1.SetDefaults(crd)
//	if errs := validation.ValidateCustomResourceDefinition(crd); len(errs) > 0 {
//		return apierrors.NewInvalid(kind, crd.Name, errs)
//	}
//
// Differences from kube-apiserver: the
// x-kubernetes-validations rules are compiled by package celrules once the
// schema is structural; their estimated cost is not checked.
package validation
