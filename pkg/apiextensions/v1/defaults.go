package v1

import "strings"

// SetDefaults applies the defaults kube-apiserver applies when it decodes
// a CustomResourceDefinition: singular is the lower-cased kind, listKind is
// <kind>List, the conversion strategy is None, and storedVersions starts
// with the storage version.
func SetDefaults(crd *CustomResourceDefinition) {
	SetSpecDefaults(&crd.Spec)
	if len(crd.Status.StoredVersions) == 0 {
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				crd.Status.StoredVersions = append(crd.Status.StoredVersions, v.Name)
				break
			}
		}
	}
}

// SetSpecDefaults applies the defaults of a CustomResourceDefinitionSpec.
func SetSpecDefaults(spec *CustomResourceDefinitionSpec) {
	if spec.Names.Singular == "" {
		spec.Names.Singular = strings.ToLower(spec.Names.Kind)
	}
	if spec.Names.ListKind == "" && spec.Names.Kind != "" {
		spec.Names.ListKind = spec.Names.Kind + "List"
	}
	if spec.Conversion == nil {
		spec.Conversion = &CustomResourceConversion{Strategy: NoneConverter}
	}
	if spec.Conversion.Webhook != nil && spec.Conversion.Webhook.ClientConfig != nil {
		if svc := spec.Conversion.Webhook.ClientConfig.Service; svc != nil && svc.Port == nil {
			port := int32(443)
			svc.Port = &port
		}
	}
}
