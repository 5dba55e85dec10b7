// Package csr is the certificates.k8s.io/v1 CertificateSigningRequest
// resource (certificatesigningrequests, cluster-scoped, short name csr)
// as kube-apiserver 1.31 serves it: the requester's identity recorded
// from the request, kube's validation of the PEM request, usages and
// signer with its messages, /approval (Approved and Denied conditions),
// /status (the issued certificate and other conditions), and kube's
// columns. Signing is a signer's (kube-controller-manager's for kube's
// signers), which this server does not run.
package csr

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"slices"
	"strings"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/internal/core"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// Type is the certificatesigningrequests resource.
func Type() rest.Type {
	return rest.Type{
		Info: rest.ResourceInfo{
			GroupVersionResource: certificatesv1.SchemeGroupVersion.WithResource("certificatesigningrequests"),
			Kind:                 "CertificateSigningRequest",
			ListKind:             "CertificateSigningRequestList",
			Singular:             "certificatesigningrequest",
			ShortNames:           []string{"csr"},
			Verbs:                rest.DefaultVerbs,
		},
		New:              func() runtime.Object { return &certificatesv1.CertificateSigningRequest{} },
		NewList:          func() runtime.Object { return &certificatesv1.CertificateSigningRequestList{} },
		Strategy:         Strategy{},
		Attrs:            Attrs,
		SelectableFields: []string{"spec.signerName"},
		Table:            Table(),
	}
}

// Attrs returns a request's labels and the fields kube selects requests
// by: metadata.name and spec.signerName.
func Attrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	r, ok := obj.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return nil, nil, fmt.Errorf("not a CertificateSigningRequest: %T", obj)
	}
	return r.Labels, fields.Set{"metadata.name": r.Name, "spec.signerName": r.Spec.SignerName}, nil
}

// StatusType is the type of /status; ApprovalType of /approval.
func StatusType() rest.Type   { return Type().WithStrategy(statusStrategy{}) }
func ApprovalType() rest.Type { return Type().WithStrategy(approvalStrategy{}) }

// Strategy is the CertificateSigningRequest rest.Strategy.
type Strategy struct{ rest.PlainStrategy }

// PrepareForCreate clears the status and records who asks, as kube.
func (Strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	c := obj.(*certificatesv1.CertificateSigningRequest)
	c.Status = certificatesv1.CertificateSigningRequestStatus{}
	c.Spec.Username, c.Spec.UID, c.Spec.Groups, c.Spec.Extra = "", "", nil, nil
	if u, ok := request.UserFrom(ctx); ok {
		c.Spec.Username, c.Spec.UID = u.Name, u.UID
		c.Spec.Groups = slices.Clone(u.Groups)
		if extra := u.Extra; len(extra) > 0 {
			c.Spec.Extra = map[string]certificatesv1.ExtraValue{}
			for k, v := range extra {
				c.Spec.Extra[k] = v
			}
		}
	}
}

// PrepareForUpdate keeps the spec and status: only metadata changes here.
func (Strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	c, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	c.Spec, c.Status = o.Spec, o.Status
}

// Validate checks a new request.
func (Strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return Validate(obj.(*certificatesv1.CertificateSigningRequest))
}

// ValidateUpdate checks the request, unchanged.
func (Strategy) ValidateUpdate(_ context.Context, obj, _ runtime.Object) field.ErrorList {
	return Validate(obj.(*certificatesv1.CertificateSigningRequest))
}

// usages are the key usages kube knows, sorted as its message lists them.
var usages = []string{
	"any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only",
	"digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement",
	"key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping",
}

// minExpiration is the shortest certificate duration a request may ask.
const minExpiration = 600

// Validate returns the errors of c, as kube's
// ValidateCertificateSigningRequestCreate.
func Validate(c *certificatesv1.CertificateSigningRequest) field.ErrorList {
	spec := &c.Spec
	fld := field.NewPath("spec")
	var errs field.ErrorList
	if err := checkRequest(spec.Request); err != "" {
		errs = append(errs, field.Invalid(fld.Child("request"), core.Printed(fmt.Sprintf("%#v", spec.Request)), err))
	}
	if len(spec.Usages) == 0 {
		errs = append(errs, field.Required(fld.Child("usages"), ""))
	}
	for i, u := range spec.Usages {
		if !slices.Contains(usages, string(u)) {
			errs = append(errs, field.NotSupported(fld.Child("usages").Index(i), u, usages))
		}
	}
	errs = append(errs, validateSigner(spec.SignerName, fld.Child("signerName"))...)
	if e := spec.ExpirationSeconds; e != nil && *e < minExpiration {
		errs = append(errs, field.Invalid(fld.Child("expirationSeconds"), *e, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	return errs
}

// checkRequest parses a PEM certificate request; the error is kube's.
func checkRequest(raw []byte) string {
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return "PEM block type must be CERTIFICATE REQUEST"
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err == nil {
		err = req.CheckSignature()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// validateSigner checks a signer name: a domain, a slash, a path.
func validateSigner(name string, fld *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(fld, "")}
	}
	domain, path, ok := strings.Cut(name, "/")
	if !ok || path == "" {
		return field.ErrorList{field.Invalid(fld, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(domain) {
		errs = append(errs, field.Invalid(fld, name, "the domain portion must be a valid DNS subdomain: "+msg))
	}
	return errs
}

// statusStrategy is /status: the certificate and the conditions other
// than Approved and Denied, which only /approval sets.
type statusStrategy struct{ rest.PlainStrategy }

// PrepareForUpdate keeps the spec and, where they stand in the new
// conditions, the stored Approved and Denied ones, as kube does; then
// stamps new or changed conditions.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	c, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	c.Spec = o.Spec
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
		was, is := conditionIndices(o, t), conditionIndices(c, t)
		if len(was) != len(is) {
			continue // added or removed: validation refuses it
		}
		for i, at := range is {
			c.Status.Conditions[at] = o.Status.Conditions[was[i]]
		}
	}
	stampConditions(c, o)
}

func conditionIndices(r *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []int {
	var out []int
	for i, c := range r.Status.Conditions {
		if c.Type == t {
			out = append(out, i)
		}
	}
	return out
}

// ValidateUpdate checks the conditions, that no Approved or Denied one is
// added here (that is /approval's), and that an issued certificate is PEM
// and never changes.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	c, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	errs := validateConditions(c, o)
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied} {
		if len(conditionIndices(c, t)) > len(conditionIndices(o, t)) {
			errs = append(errs, field.Forbidden(field.NewPath("status", "conditions"), fmt.Sprintf("updates may not add a condition of type %q", t)))
		}
	}
	cert := field.NewPath("status", "certificate")
	if len(o.Status.Certificate) > 0 && string(c.Status.Certificate) != string(o.Status.Certificate) {
		errs = append(errs, field.Invalid(cert, "", "updates may not modify existing certificate content"))
	}
	if len(c.Status.Certificate) > 0 {
		if block, _ := pem.Decode(c.Status.Certificate); block == nil || block.Type != "CERTIFICATE" {
			errs = append(errs, field.Invalid(cert, "<certificate data>", "must contain at least one CERTIFICATE PEM block"))
		} else if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			errs = append(errs, field.Invalid(cert, "<certificate data>", err.Error()))
		}
	}
	return errs
}

// approvalStrategy is /approval: the conditions, not the certificate.
type approvalStrategy struct{ rest.PlainStrategy }

// PrepareForUpdate keeps the spec and the certificate, and stamps new or
// changed conditions.
func (approvalStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	c, o := obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest)
	c.Spec = o.Spec
	c.Status.Certificate = o.Status.Certificate
	stampConditions(c, o)
}

// ValidateUpdate checks the conditions.
func (approvalStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validateConditions(obj.(*certificatesv1.CertificateSigningRequest), old.(*certificatesv1.CertificateSigningRequest))
}

// stampConditions sets the update and transition times of conditions a
// client left without them, as kube does.
func stampConditions(c, o *certificatesv1.CertificateSigningRequest) {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	for i := range c.Status.Conditions {
		cond := &c.Status.Conditions[i]
		var prev *certificatesv1.CertificateSigningRequestCondition
		for j := range o.Status.Conditions {
			if o.Status.Conditions[j].Type == cond.Type {
				prev = &o.Status.Conditions[j]
			}
		}
		if cond.LastUpdateTime.IsZero() {
			cond.LastUpdateTime = now
		}
		if cond.LastTransitionTime.IsZero() {
			if prev != nil && prev.Status == cond.Status {
				cond.LastTransitionTime = prev.LastTransitionTime
			} else {
				cond.LastTransitionTime = now
			}
		}
	}
}

// validateConditions checks types, statuses, and that Approved and Denied
// exclude each other and stay once set.
func validateConditions(c, o *certificatesv1.CertificateSigningRequest) field.ErrorList {
	fld := field.NewPath("status", "conditions")
	var errs field.ErrorList
	seen := map[certificatesv1.RequestConditionType]bool{}
	for i, cond := range c.Status.Conditions {
		at := fld.Index(i)
		if cond.Type == "" {
			errs = append(errs, field.Required(at.Child("type"), ""))
		}
		if seen[cond.Type] {
			errs = append(errs, field.Duplicate(at.Child("type"), cond.Type))
		}
		seen[cond.Type] = true
		switch cond.Type {
		case certificatesv1.CertificateApproved, certificatesv1.CertificateDenied:
			if cond.Status != corev1.ConditionTrue {
				errs = append(errs, field.NotSupported(at.Child("status"), cond.Status, []string{string(corev1.ConditionTrue)}))
			}
		default:
			if cond.Status != corev1.ConditionTrue && cond.Status != corev1.ConditionFalse && cond.Status != corev1.ConditionUnknown {
				errs = append(errs, field.NotSupported(at.Child("status"), cond.Status, []string{"False", "True", "Unknown"}))
			}
		}
	}
	if seen[certificatesv1.CertificateApproved] && seen[certificatesv1.CertificateDenied] {
		errs = append(errs, field.Invalid(fld, core.Printed("conditions"), "Approved and Denied conditions are mutually exclusive"))
	}
	for _, cond := range o.Status.Conditions {
		if (cond.Type == certificatesv1.CertificateApproved || cond.Type == certificatesv1.CertificateDenied) && !seen[cond.Type] {
			errs = append(errs, field.Forbidden(fld, fmt.Sprintf("updates may not remove a condition of type %q", cond.Type)))
		}
	}
	return errs
}

// Table prints requests as kube-apiserver does: NAME, AGE, SIGNERNAME,
// REQUESTOR, REQUESTEDDURATION, CONDITION.
func Table() tables.Convertor {
	spec := certificatesv1.CertificateSigningRequestSpec{}.SwaggerDoc()
	return tables.Convertor{
		Columns: []metav1.TableColumnDefinition{
			tables.NameColumn(),
			tables.AgeColumn(),
			tables.Column("SignerName", spec["signerName"]),
			tables.Column("Requestor", "Name of the user requesting the certificate."),
			tables.Column("RequestedDuration", spec["expirationSeconds"]),
			tables.Column("Condition", "Current state of the request."),
		},
		Cells: func(obj runtime.Object) ([]interface{}, error) {
			c, ok := obj.(*certificatesv1.CertificateSigningRequest)
			if !ok {
				return nil, fmt.Errorf("not a CertificateSigningRequest: %T", obj)
			}
			signer := "<none>"
			if c.Spec.SignerName != "" {
				signer = c.Spec.SignerName
			}
			requested := "<none>"
			if e := c.Spec.ExpirationSeconds; e != nil {
				requested = duration.HumanDuration(time.Duration(*e) * time.Second)
			}
			return []interface{}{c.Name, tables.Age(c.CreationTimestamp), signer, c.Spec.Username, requested, Condition(c)}, nil
		},
	}
}

// Condition is the CONDITION cell: Denied, Approved or Pending, then
// Failed and Issued when they apply.
func Condition(c *certificatesv1.CertificateSigningRequest) string {
	var approved, denied, failed bool
	for _, cond := range c.Status.Conditions {
		switch cond.Type {
		case certificatesv1.CertificateApproved:
			approved = true
		case certificatesv1.CertificateDenied:
			denied = true
		case certificatesv1.CertificateFailed:
			failed = true
		}
	}
	status := "Pending"
	switch {
	case denied:
		status = "Denied"
	case approved:
		status = "Approved"
	}
	if failed {
		status += ",Failed"
	}
	if len(c.Status.Certificate) > 0 {
		status += ",Issued"
	}
	return status
}
