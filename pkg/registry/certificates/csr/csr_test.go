package csr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"strings"
	"testing"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/apiserver/apiserver/pkg/auth/user"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
)

// pemRequest returns a PEM certificate request for cn.
func pemRequest(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// TestCreate: the requester recorded, and kube-apiserver 1.31's causes
// for the same requests, recorded with the reference script.
func TestCreate(t *testing.T) {
	ctx := request.WithUser(context.Background(), &user.Info{Name: "alice", UID: "u1", Groups: []string{"dev", "system:authenticated"}})
	c := &certificatesv1.CertificateSigningRequest{Spec: certificatesv1.CertificateSigningRequestSpec{
		Request: pemRequest(t, "alice"), SignerName: "example.com/signer", Usages: []certificatesv1.KeyUsage{"client auth"}, Username: "mallory",
	}}
	(Strategy{}).PrepareForCreate(ctx, c)
	if c.Spec.Username != "alice" || c.Spec.UID != "u1" || len(c.Spec.Groups) != 2 {
		t.Errorf("requester %+v", c.Spec)
	}
	if errs := Validate(c); len(errs) != 0 {
		t.Errorf("errors of a valid request: %v", errs)
	}
	ten := int32(10)
	for _, tc := range []struct {
		spec certificatesv1.CertificateSigningRequestSpec
		want string
	}{
		{certificatesv1.CertificateSigningRequestSpec{}, "spec.request: Invalid value: []byte(nil): PEM block type must be CERTIFICATE REQUEST|spec.usages: Required value|spec.signerName: Required value"},
		{certificatesv1.CertificateSigningRequestSpec{Request: []byte("hello"), SignerName: "Bad", Usages: []certificatesv1.KeyUsage{"x"}, ExpirationSeconds: &ten},
			`spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE REQUEST|` +
				`spec.usages[0]: Unsupported value: "x": supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment", "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"|` +
				`spec.signerName: Invalid value: "Bad": must be a fully qualified domain and path of the form 'example.com/signer-name'|` +
				`spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 600 seconds (10 minutes)`},
	} {
		var got []string
		for _, e := range Validate(&certificatesv1.CertificateSigningRequest{Spec: tc.spec}) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "|"), tc.want)
		}
	}
}

// TestApproval: /approval sets Approved or Denied (never both, never
// removed), stamped; /status cannot; the CONDITION cell follows.
func TestApproval(t *testing.T) {
	old := &certificatesv1.CertificateSigningRequest{}
	approved := old.DeepCopy()
	approved.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "KubectlApprove"}}
	approved.Status.Certificate = []byte("dropped")
	(approvalStrategy{}).PrepareForUpdate(nil, approved, old)
	if errs := (approvalStrategy{}).ValidateUpdate(nil, approved, old); len(errs) != 0 {
		t.Fatalf("approving: %v", errs)
	}
	if approved.Status.Certificate != nil || approved.Status.Conditions[0].LastUpdateTime.IsZero() || Condition(approved) != "Approved" {
		t.Errorf("approved %+v (%s)", approved.Status, Condition(approved))
	}
	both := approved.DeepCopy()
	both.Status.Conditions = append(both.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateDenied, Status: corev1.ConditionTrue})
	if errs := (approvalStrategy{}).ValidateUpdate(nil, both, approved); len(errs) != 1 || !strings.Contains(errs[0].Error(), "Approved and Denied conditions are mutually exclusive") {
		t.Errorf("approved and denied: %v", errs)
	}
	removed := approved.DeepCopy()
	removed.Status.Conditions = nil
	if errs := (approvalStrategy{}).ValidateUpdate(nil, removed, approved); len(errs) != 1 || !strings.Contains(errs[0].Error(), `updates may not remove a condition of type "Approved"`) {
		t.Errorf("removing approval: %v", errs)
	}
	viaStatus := old.DeepCopy()
	viaStatus.Status.Conditions = approved.Status.Conditions
	(statusStrategy{}).PrepareForUpdate(nil, viaStatus, old)
	// kube-apiserver 1.31's answer to approving through /status.
	if errs := (statusStrategy{}).ValidateUpdate(nil, viaStatus, old); len(errs) != 1 || errs[0].Error() != `status.conditions: Forbidden: updates may not add a condition of type "Approved"` {
		t.Errorf("/status approved: %v", errs)
	}
	// Other conditions added through /status keep their place; the stored
	// approval stays where the client put it.
	later := approved.DeepCopy()
	later.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{
		{Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "changed"},
		{Type: "StatusUpdate", Status: corev1.ConditionTrue},
	}
	(statusStrategy{}).PrepareForUpdate(nil, later, approved)
	if c := later.Status.Conditions; len(c) != 2 || c[0].Reason != approved.Status.Conditions[0].Reason || c[1].Type != "StatusUpdate" {
		t.Errorf("/status update after approval: %+v", c)
	}
}

func TestAttrs(t *testing.T) {
	_, f, err := Attrs(&certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Spec: certificatesv1.CertificateSigningRequestSpec{SignerName: "example.com/s"}})
	if err != nil || f["spec.signerName"] != "example.com/s" || f["metadata.name"] != "r" {
		t.Errorf("fields %v, %v", f, err)
	}
}
