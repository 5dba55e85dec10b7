package serviceaccount

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
)

// getter serves objects from a map by namespace/name.
type getter struct {
	resource string
	objs     map[string]runtime.Object
}

func (g getter) Get(_ context.Context, ns, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if obj, ok := g.objs[ns+"/"+name]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: g.resource}, name)
}

func TestTokenRequest(t *testing.T) {
	key, err := serviceaccount.LoadOrCreateSigningKey(filepath.Join(t.TempDir(), "sa.key"))
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := serviceaccount.NewIssuer("https://issuer", key)
	if err != nil {
		t.Fatal(err)
	}
	s := &TokenStorage{
		Issuer: issuer, Audiences: []string{"api"}, MaxLifetime: 2 * time.Hour,
		ServiceAccounts: getter{"serviceaccounts", map[string]runtime.Object{"ns/bot": &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "bot", Namespace: "ns", UID: "sa-uid"}}}},
		Secrets:         getter{"secrets", map[string]runtime.Object{"ns/s": &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", UID: "secret-uid"}}}},
	}
	ref := func(kind, apiVersion, name, uid string) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{Kind: kind, APIVersion: apiVersion, Name: name, UID: k8stypes.UID(uid)}
	}
	for _, tc := range []struct {
		name     string
		sa       string
		spec     authenticationv1.TokenRequestSpec
		code     int32
		message  string
		lifetime int64
	}{
		{name: "defaults", sa: "bot", lifetime: 3600},
		{name: "capped", sa: "bot", spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](86400)}, lifetime: 7200},
		{name: "bound to a secret", sa: "bot", spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Secret", "v1", "s", "")}, lifetime: 3600},
		{name: "too short", sa: "bot", spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](599)}, code: 422,
			message: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes`},
		{name: "no such account", sa: "nobody", code: 404, message: `serviceaccounts "nobody" not found`},
		{name: "unsupported kind", sa: "bot", spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("ConfigMap", "v1", "x", "")}, code: 400,
			message: "cannot bind token to object of type /v1, Kind=ConfigMap"},
		{name: "no such secret", sa: "bot", spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Secret", "v1", "nope", "")}, code: 404, message: `secrets "nope" not found`},
		{name: "stale uid", sa: "bot", spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Secret", "v1", "s", "123")}, code: 409,
			message: `Operation cannot be fulfilled on Secret "s": the UID in the bound object reference (123) does not match the UID in record. The object might have been deleted and then recreated`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.CreateNamed(context.Background(), "ns", tc.sa, &authenticationv1.TokenRequest{Spec: tc.spec}, false)
			if tc.code != 0 {
				status, ok := err.(apierrors.APIStatus)
				if !ok || status.Status().Code != tc.code || status.Status().Message != tc.message {
					t.Fatalf("error = %v, want %d %q", err, tc.code, tc.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tr := out.(*authenticationv1.TokenRequest)
			if tr.Name != "bot" || tr.Namespace != "ns" || *tr.Spec.ExpirationSeconds != tc.lifetime || tr.Spec.Audiences[0] != "api" || strings.Count(tr.Status.Token, ".") != 2 {
				t.Errorf("token request = %+v", tr)
			}
			if d := time.Until(tr.Status.ExpirationTimestamp.Time); d < time.Duration(tc.lifetime-5)*time.Second || d > time.Duration(tc.lifetime+5)*time.Second {
				t.Errorf("expires in %v, want %ds", d, tc.lifetime)
			}
		})
	}
	out, err := s.CreateNamed(context.Background(), "ns", "bot", &authenticationv1.TokenRequest{}, true)
	if err != nil || out.(*authenticationv1.TokenRequest).Status.Token != "" {
		t.Errorf("dry run = %v, %v; want no token", out, err)
	}
}
