package validation

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	genericvalidation "k8s.io/apimachinery/pkg/api/validation"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/kubefield"
	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/client/webhookclient"
)

// ValidateCustomResourceDefinition validates a CRD on create.
func ValidateCustomResourceDefinition(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	nameFn := func(name string, prefix bool) []string {
		ret := genericvalidation.NameIsDNSSubdomain(name, prefix)
		if name != crd.Spec.Names.Plural+"."+crd.Spec.Group {
			ret = append(ret, `must be spec.names.plural+"."+spec.group`)
		}
		return ret
	}
	errs := genericvalidation.ValidateObjectMeta(&crd.ObjectMeta, false, nameFn, field.NewPath("metadata"))
	errs = append(errs, validateSpec(&crd.Spec, field.NewPath("spec"), nil)...)
	errs = append(errs, validateStatus(&crd.Status, field.NewPath("status"))...)
	errs = append(errs, validateStoredVersions(crd.Status.StoredVersions, crd.Spec.Versions, field.NewPath("status", "storedVersions"))...)
	errs = append(errs, validateAPIApproval(crd, nil)...)
	errs = append(errs, validatePreserveUnknownFields(crd)...)
	return errs
}

// ValidateCustomResourceDefinitionUpdate validates a CRD on update:
// everything of create but the metadata name, group and names.plural are
// immutable, and so are scope and names.kind once the old CRD is
// Established.
//
// kube-apiserver lets an update keep some violations an old CRD already
// had (non-structural schemas, unpruned defaults, ...), for CRDs created
// under older rules; this server only stores CRDs valid under the current
// rules, so it applies them all.
func ValidateCustomResourceDefinitionUpdate(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	errs := genericvalidation.ValidateObjectMetaUpdate(&crd.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	errs = append(errs, validateSpec(&crd.Spec, specPath, unchangedSchemas(crd, old))...)
	if established(old) {
		errs = append(errs, genericvalidation.ValidateImmutableField(crd.Spec.Scope, old.Spec.Scope, specPath.Child("scope"))...)
		errs = append(errs, genericvalidation.ValidateImmutableField(crd.Spec.Names.Kind, old.Spec.Names.Kind, specPath.Child("names", "kind"))...)
	}
	errs = append(errs, genericvalidation.ValidateImmutableField(crd.Spec.Group, old.Spec.Group, specPath.Child("group"))...)
	errs = append(errs, genericvalidation.ValidateImmutableField(crd.Spec.Names.Plural, old.Spec.Names.Plural, specPath.Child("names", "plural"))...)
	errs = append(errs, validateStatus(&crd.Status, field.NewPath("status"))...)
	errs = append(errs, validateStoredVersions(crd.Status.StoredVersions, crd.Spec.Versions, field.NewPath("status", "storedVersions"))...)
	errs = append(errs, validateAPIApproval(crd, old)...)
	if !old.Spec.PreserveUnknownFields {
		errs = append(errs, validatePreserveUnknownFields(crd)...)
	}
	return errs
}

// unchangedSchemas are the versions whose schema an update keeps: as
// kube-apiserver, their rules are not held to the per-expression cost
// limit again, so that a CRD stored under other limits stays writable.
func unchangedSchemas(crd, old *apiextensionsv1.CustomResourceDefinition) map[string]bool {
	oldSchemas := map[string]*apiextensionsv1.CustomResourceValidation{}
	for _, v := range old.Spec.Versions {
		oldSchemas[v.Name] = v.Schema
	}
	same := map[string]bool{}
	for _, v := range crd.Spec.Versions {
		if o, ok := oldSchemas[v.Name]; ok && apiequality.Semantic.DeepEqual(o, v.Schema) {
			same[v.Name] = true
		}
	}
	return same
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// ValidateCustomResourceDefinitionStatusUpdate validates an update through
// the status subresource.
func ValidateCustomResourceDefinitionStatusUpdate(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	errs := genericvalidation.ValidateObjectMetaUpdate(&crd.ObjectMeta, &old.ObjectMeta, field.NewPath("metadata"))
	return append(errs, validateStatus(&crd.Status, field.NewPath("status"))...)
}

// internalSpec is the spec as kube-apiserver validates it: per-version
// fields that are identical in every version are moved to the top level.
type internalSpec struct {
	*apiextensionsv1.CustomResourceDefinitionSpec
	versions         []apiextensionsv1.CustomResourceDefinitionVersion
	validation       *apiextensionsv1.CustomResourceValidation
	subresources     *apiextensionsv1.CustomResourceSubresources
	columns          []apiextensionsv1.CustomResourceColumnDefinition
	selectableFields []apiextensionsv1.SelectableField
}

func hoist(spec *apiextensionsv1.CustomResourceDefinitionSpec) internalSpec {
	in := internalSpec{CustomResourceDefinitionSpec: spec}
	in.versions = append([]apiextensionsv1.CustomResourceDefinitionVersion(nil), spec.Versions...)
	if len(in.versions) == 0 {
		return in
	}
	first := in.versions[0]
	same := func(f func(v apiextensionsv1.CustomResourceDefinitionVersion) any) bool {
		for _, v := range in.versions {
			if !apiequality.Semantic.DeepEqual(f(v), f(first)) {
				return false
			}
		}
		return true
	}
	if same(func(v apiextensionsv1.CustomResourceDefinitionVersion) any { return v.Schema }) {
		in.validation = first.Schema
		for i := range in.versions {
			in.versions[i].Schema = nil
		}
	}
	if same(func(v apiextensionsv1.CustomResourceDefinitionVersion) any { return v.Subresources }) {
		in.subresources = first.Subresources
		for i := range in.versions {
			in.versions[i].Subresources = nil
		}
	}
	if same(func(v apiextensionsv1.CustomResourceDefinitionVersion) any { return v.AdditionalPrinterColumns }) {
		in.columns = first.AdditionalPrinterColumns
		for i := range in.versions {
			in.versions[i].AdditionalPrinterColumns = nil
		}
	}
	if same(func(v apiextensionsv1.CustomResourceDefinitionVersion) any { return v.SelectableFields }) {
		in.selectableFields = first.SelectableFields
		for i := range in.versions {
			in.versions[i].SelectableFields = nil
		}
	}
	return in
}

// validateSpec validates a spec; unchanged names the versions whose
// schema an update keeps.
func validateSpec(s *apiextensionsv1.CustomResourceDefinitionSpec, fldPath *field.Path, unchanged map[string]bool) field.ErrorList {
	spec := hoist(s)
	errs := validateGroupAndScope(&spec, fldPath)
	if spec.validation == nil || spec.validation.OpenAPIV3Schema == nil {
		for i, v := range spec.versions {
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				errs = append(errs, field.Required(fldPath.Child("versions").Index(i).Child("schema").Child("openAPIV3Schema"), "schemas are required"))
			}
		}
	}
	if specHasDefaults(&spec) && spec.PreserveUnknownFields {
		errs = append(errs, field.Invalid(fldPath.Child("preserveUnknownFields"), true, "must be false in order to use defaults in the schema"))
	}
	errs = append(errs, validateVersions(&spec, fldPath, unchanged)...)
	errs = append(errs, validateRequiredNames(&spec.Names, fldPath.Child("names"))...)
	errs = append(errs, validateNames(&spec.Names, fldPath.Child("names"))...)
	first := ""
	if len(spec.versions) > 0 {
		first = spec.versions[0].Name
	}
	errs = append(errs, validateSchema(spec.validation, hasAnyStatusEnabled(&spec), !unchanged[first], fldPath.Child("validation"))...)
	errs = append(errs, validateSubresources(spec.subresources, fldPath.Child("subresources"))...)
	for i := range spec.columns {
		errs = append(errs, validateColumn(&spec.columns[i], fldPath.Child("additionalPrinterColumns").Index(i))...)
	}
	if len(spec.selectableFields) > 0 {
		if spec.validation == nil {
			errs = append(errs, field.Invalid(fldPath.Child("selectableFields"), "", "selectableFields may only be set when validations.schema is included"))
		} else {
			errs = append(errs, validateSelectableFields(spec.selectableFields, spec.validation.OpenAPIV3Schema, fldPath.Child("selectableFields"))...)
		}
	}
	if spec.Conversion != nil && spec.Conversion.Strategy != apiextensionsv1.NoneConverter && spec.PreserveUnknownFields {
		errs = append(errs, field.Invalid(fldPath.Child("conversion").Child("strategy"), spec.Conversion.Strategy, "must be None if spec.preserveUnknownFields is true"))
	}
	errs = append(errs, validateConversion(spec.Conversion, fldPath.Child("conversion"))...)
	return errs
}

func validateGroupAndScope(spec *internalSpec, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	if spec.Group == "" {
		errs = append(errs, field.Required(fldPath.Child("group"), ""))
	} else if e := utilvalidation.IsDNS1123Subdomain(spec.Group); len(e) > 0 {
		errs = append(errs, field.Invalid(fldPath.Child("group"), spec.Group, strings.Join(e, ",")))
	} else if len(strings.Split(spec.Group, ".")) < 2 {
		errs = append(errs, field.Invalid(fldPath.Child("group"), spec.Group, "should be a domain with at least one dot"))
	}
	return append(errs, validateEnumStrings(fldPath.Child("scope"), string(spec.Scope), []string{string(apiextensionsv1.ClusterScoped), string(apiextensionsv1.NamespaceScoped)}, true)...)
}

func validateVersions(spec *internalSpec, fldPath *field.Path, unchanged map[string]bool) field.ErrorList {
	var errs field.ErrorList
	storage := 0
	seen := map[string]bool{}
	unique := true
	for i, v := range spec.versions {
		if v.Storage {
			storage++
		}
		if seen[v.Name] {
			unique = false
		}
		seen[v.Name] = true
		p := fldPath.Child("versions").Index(i)
		if e := utilvalidation.IsDNS1035Label(v.Name); len(e) > 0 {
			errs = append(errs, field.Invalid(p.Child("name"), v.Name, strings.Join(e, ",")))
		}
		errs = append(errs, validateVersion(&v, p, statusEnabled(subresourcesFor(spec, v.Name)), !unchanged[v.Name])...)
	}
	if !unique {
		errs = append(errs, field.Invalid(fldPath.Child("versions"), versionsValue(spec.versions), "must contain unique version names"))
	}
	if storage != 1 {
		errs = append(errs, field.Invalid(fldPath.Child("versions"), versionsValue(spec.versions), "must have exactly one version marked as storage version"))
	}
	// The internal form repeats the first version as spec.version.
	if len(spec.versions) > 0 && spec.versions[0].Name != "" {
		if e := utilvalidation.IsDNS1035Label(spec.versions[0].Name); len(e) > 0 {
			errs = append(errs, field.Invalid(fldPath.Child("version"), spec.versions[0].Name, strings.Join(e, ",")))
		}
	}
	return errs
}

func validateVersion(v *apiextensionsv1.CustomResourceDefinitionVersion, fldPath *field.Path, statusEnabled, perExpressionCost bool) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range deprecationWarningErrors(v.Deprecated, v.DeprecationWarning) {
		errs = append(errs, kubefield.Invalid(fldPath.Child("deprecationWarning"), v.DeprecationWarning, msg))
	}
	errs = append(errs, validateSchema(v.Schema, statusEnabled, perExpressionCost, fldPath.Child("schema"))...)
	errs = append(errs, validateSubresources(v.Subresources, fldPath.Child("subresources"))...)
	for i := range v.AdditionalPrinterColumns {
		errs = append(errs, validateColumn(&v.AdditionalPrinterColumns[i], fldPath.Child("additionalPrinterColumns").Index(i))...)
	}
	if len(v.SelectableFields) > 0 {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			errs = append(errs, field.Invalid(fldPath.Child("selectableFields"), "", "selectableFields may only be set when version.schema.openAPIV3Schema is not included"))
		} else {
			errs = append(errs, validateSelectableFields(v.SelectableFields, v.Schema.OpenAPIV3Schema, fldPath.Child("selectableFields"))...)
		}
	}
	return errs
}

func deprecationWarningErrors(deprecated bool, warning *string) []string {
	if !deprecated && warning != nil {
		return []string{"can only be set for deprecated versions"}
	}
	if warning == nil {
		return nil
	}
	var out []string
	if len(*warning) > 256 {
		out = append(out, "must be <= 256 characters long")
	}
	if len(*warning) == 0 {
		out = append(out, "must not be an empty string")
	}
	for i, r := range *warning {
		if !unicode.IsPrint(r) {
			out = append(out, fmt.Sprintf("must only contain printable UTF-8 characters; non-printable character found at index %d", i))
			break
		}
		if unicode.IsControl(r) {
			out = append(out, fmt.Sprintf("must only contain printable UTF-8 characters; control character found at index %d", i))
			break
		}
	}
	if !utf8.ValidString(*warning) {
		out = append(out, "must only contain printable UTF-8 characters")
	}
	return out
}

func validateRequiredNames(names *apiextensionsv1.CustomResourceDefinitionNames, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, n := range []struct{ name, value string }{
		{"plural", names.Plural}, {"singular", names.Singular}, {"kind", names.Kind}, {"listKind", names.ListKind},
	} {
		if n.value == "" {
			errs = append(errs, field.Required(fldPath.Child(n.name), ""))
		}
	}
	return errs
}

func validateNames(names *apiextensionsv1.CustomResourceDefinitionNames, fldPath *field.Path) field.ErrorList {
	var errs field.ErrorList
	label := func(p *field.Path, v, prefix string, lower bool) {
		check := v
		if lower {
			check = strings.ToLower(v)
		}
		if e := utilvalidation.IsDNS1035Label(check); v != "" && len(e) > 0 {
			errs = append(errs, field.Invalid(p, v, prefix+strings.Join(e, ",")))
		}
	}
	label(fldPath.Child("plural"), names.Plural, "", false)
	label(fldPath.Child("singular"), names.Singular, "", false)
	label(fldPath.Child("kind"), names.Kind, "may have mixed case, but should otherwise match: ", true)
	label(fldPath.Child("listKind"), names.ListKind, "may have mixed case, but should otherwise match: ", true)
	for i, s := range names.ShortNames {
		if e := utilvalidation.IsDNS1035Label(s); len(e) > 0 {
			errs = append(errs, field.Invalid(fldPath.Child("shortNames").Index(i), s, strings.Join(e, ",")))
		}
	}
	if names.Kind != "" && names.Kind == names.ListKind {
		errs = append(errs, field.Invalid(fldPath.Child("listKind"), names.ListKind, "kind and listKind may not be the same"))
	}
	for i, c := range names.Categories {
		if e := utilvalidation.IsDNS1035Label(c); len(e) > 0 {
			errs = append(errs, field.Invalid(fldPath.Child("categories").Index(i), c, strings.Join(e, ",")))
		}
	}
	return errs
}

func validateStatus(status *apiextensionsv1.CustomResourceDefinitionStatus, fldPath *field.Path) field.ErrorList {
	return validateNames(&status.AcceptedNames, fldPath.Child("acceptedNames"))
}

func validateStoredVersions(stored []string, versions []apiextensionsv1.CustomResourceDefinitionVersion, fldPath *field.Path) field.ErrorList {
	if len(stored) == 0 {
		return field.ErrorList{kubefield.Invalid(fldPath, stored, "must have at least one stored version")}
	}
	var errs field.ErrorList
	index := map[string]int{}
	for i, v := range stored {
		index[v] = i
	}
	for _, v := range versions {
		_, ok := index[v.Name]
		if v.Storage && !ok {
			errs = append(errs, kubefield.Invalid(fldPath, stored, "must have the storage version "+v.Name))
		}
		delete(index, v.Name)
	}
	for i, v := range stored {
		if _, ok := index[v]; ok && index[v] == i {
			errs = append(errs, field.Invalid(fldPath.Index(i), v, "must appear in spec.versions"))
		}
	}
	return errs
}

func validateEnumStrings(fldPath *field.Path, value string, accepted []string, required bool) field.ErrorList {
	if value == "" {
		if required {
			return field.ErrorList{field.Required(fldPath, "")}
		}
		return nil
	}
	if contains(accepted, value) {
		return nil
	}
	return field.ErrorList{field.NotSupported(fldPath, value, accepted)}
}

// validateConversion checks the strategy and, for Webhook, the webhook's
// client configuration and ConversionReview versions, as kube does (at
// the paths of its internal version: spec.conversion.webhookClientConfig).
func validateConversion(c *apiextensionsv1.CustomResourceConversion, fldPath *field.Path) field.ErrorList {
	if c == nil {
		return nil
	}
	errs := validateEnumStrings(fldPath.Child("strategy"), string(c.Strategy), []string{string(apiextensionsv1.NoneConverter), string(apiextensionsv1.WebhookConverter)}, true)
	switch c.Strategy {
	case apiextensionsv1.WebhookConverter:
		var versions []string
		if c.Webhook != nil {
			versions = c.Webhook.ConversionReviewVersions
		}
		switch {
		case c.Webhook == nil || c.Webhook.ClientConfig == nil:
			errs = append(errs, field.Required(fldPath.Child("webhookClientConfig"), "required when strategy is set to Webhook"))
		case (c.Webhook.ClientConfig.URL == nil) == (c.Webhook.ClientConfig.Service == nil):
			errs = append(errs, field.Required(fldPath.Child("webhookClientConfig"), "exactly one of url or service is required"))
		case c.Webhook.ClientConfig.URL != nil:
			errs = append(errs, webhookclient.ValidateURL(fldPath.Child("webhookClientConfig", "url"), *c.Webhook.ClientConfig.URL)...)
		default:
			svc := c.Webhook.ClientConfig.Service
			port := int32(443)
			if svc.Port != nil {
				port = *svc.Port
			}
			errs = append(errs, webhookclient.ValidateService(fldPath.Child("webhookClientConfig", "service"), svc.Namespace, svc.Name, svc.Path, port)...)
		}
		errs = append(errs, webhookclient.ValidateReviewVersions(versions, true, fldPath.Child("conversionReviewVersions"))...)
	default:
		if c.Webhook != nil && c.Webhook.ClientConfig != nil {
			errs = append(errs, field.Forbidden(fldPath.Child("webhookClientConfig"), "should not be set when strategy is not set to Webhook"))
		}
		if c.Webhook != nil && len(c.Webhook.ConversionReviewVersions) > 0 {
			errs = append(errs, field.Forbidden(fldPath.Child("conversionReviewVersions"), "should not be set when strategy is not set to Webhook"))
		}
	}
	return errs
}

const approvalAnnotation = apiextensionsv1.KubeAPIApprovedAnnotation

// validateAPIApproval requires the api-approved.kubernetes.io annotation
// on CRDs of the protected groups k8s.io and kubernetes.io.
func validateAPIApproval(crd, old *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	g := crd.Spec.Group
	if !(g == "k8s.io" || strings.HasSuffix(g, ".k8s.io") || g == "kubernetes.io" || strings.HasSuffix(g, ".kubernetes.io")) {
		return nil
	}
	state, reason := approvalState(crd.Annotations)
	if old != nil {
		if oldState, _ := approvalState(old.Annotations); oldState == state {
			return nil
		}
	}
	p := field.NewPath("metadata", "annotations").Key(approvalAnnotation)
	switch state {
	case approvalMissing:
		return field.ErrorList{field.Required(p, reason)}
	case approved, approvalBypassed:
		return nil
	default:
		return field.ErrorList{field.Invalid(p, crd.Annotations[approvalAnnotation], reason)}
	}
}

type approval int

const (
	approvalInvalid approval = iota
	approved
	approvalBypassed
	approvalMissing
)

func approvalState(annotations map[string]string) (approval, string) {
	a := annotations[approvalAnnotation]
	u, err := url.ParseRequestURI(a)
	switch {
	case a == "":
		return approvalMissing, fmt.Sprintf("protected groups must have approval annotation %q, see https://github.com/kubernetes/enhancements/pull/1111", approvalAnnotation)
	case strings.HasPrefix(a, "unapproved"):
		return approvalBypassed, fmt.Sprintf("not approved: %q", a)
	case err == nil && u != nil && u.Host != "" && u.Scheme != "":
		return approved, fmt.Sprintf("approved in %v", a)
	default:
		return approvalInvalid, fmt.Sprintf("protected groups must have approval annotation %q with either a URL or a reason starting with \"unapproved\", see https://github.com/kubernetes/enhancements/pull/1111", approvalAnnotation)
	}
}

func validatePreserveUnknownFields(crd *apiextensionsv1.CustomResourceDefinition) field.ErrorList {
	if !crd.Spec.PreserveUnknownFields {
		return nil
	}
	return field.ErrorList{field.Invalid(field.NewPath("spec").Child("preserveUnknownFields"), true, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead")}
}

func specHasDefaults(spec *internalSpec) bool {
	has := func(v *apiextensionsv1.CustomResourceValidation) bool {
		return v != nil && schemaHas(v.OpenAPIV3Schema, func(s *apiextensionsv1.JSONSchemaProps) bool { return s.Default != nil })
	}
	if has(spec.validation) {
		return true
	}
	for _, v := range spec.versions {
		if has(v.Schema) {
			return true
		}
	}
	return false
}

func schemaHas(s *apiextensionsv1.JSONSchemaProps, pred func(*apiextensionsv1.JSONSchemaProps) bool) bool {
	if s == nil {
		return false
	}
	if pred(s) {
		return true
	}
	if s.Items != nil {
		if schemaHas(s.Items.Schema, pred) {
			return true
		}
		for i := range s.Items.JSONSchemas {
			if schemaHas(&s.Items.JSONSchemas[i], pred) {
				return true
			}
		}
	}
	for _, list := range [][]apiextensionsv1.JSONSchemaProps{s.AllOf, s.AnyOf, s.OneOf} {
		for i := range list {
			if schemaHas(&list[i], pred) {
				return true
			}
		}
	}
	if schemaHas(s.Not, pred) {
		return true
	}
	for _, m := range []map[string]apiextensionsv1.JSONSchemaProps{s.Properties, s.PatternProperties, s.Definitions} {
		for k := range m {
			p := m[k]
			if schemaHas(&p, pred) {
				return true
			}
		}
	}
	if s.AdditionalProperties != nil && schemaHas(s.AdditionalProperties.Schema, pred) {
		return true
	}
	if s.AdditionalItems != nil && schemaHas(s.AdditionalItems.Schema, pred) {
		return true
	}
	for _, d := range s.Dependencies {
		if schemaHas(d.Schema, pred) {
			return true
		}
	}
	return false
}
