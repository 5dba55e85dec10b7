package serviceaccount

import (
	"context"
	"fmt"
	"math"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/auth/serviceaccount"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// Token lifetimes, as kube-apiserver bounds them.
const (
	DefaultLifetime = time.Hour
	MinLifetime     = 10 * time.Minute
	maxSeconds      = math.MaxUint32
)

// TokenRequestKind is the kind the token subresource takes and answers.
var TokenRequestKind = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// TokenStorage is serviceaccounts/token: it issues a bound token for an
// existing ServiceAccount.
type TokenStorage struct {
	Issuer *serviceaccount.Issuer
	// Audiences are those of a request that names none: the API's.
	Audiences []string
	// MaxLifetime caps the lifetime a request asks for; 0 caps nothing.
	MaxLifetime time.Duration
	// ServiceAccounts and Secrets read the account and the bound object.
	ServiceAccounts, Secrets rest.Getter
	now                      func() time.Time
}

var _ rest.NamedCreater = (*TokenStorage)(nil)

// New implements rest.Storage.
func (*TokenStorage) New() runtime.Object { return &authenticationv1.TokenRequest{} }

// CreateNamed issues a token for the ServiceAccount namespace/name. dryRun
// validates the request and signs nothing.
func (s *TokenStorage) CreateNamed(ctx context.Context, namespace, name string, obj runtime.Object, dryRun bool) (runtime.Object, error) {
	req, ok := obj.(*authenticationv1.TokenRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenRequest: %T", obj))
	}
	if errs := ValidateTokenRequest(req); len(errs) > 0 {
		return nil, apierrors.NewInvalid(TokenRequestKind.GroupKind(), req.Name, errs)
	}
	saObj, err := s.ServiceAccounts.Get(ctx, namespace, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := saObj.(*corev1.ServiceAccount)
	issue := serviceaccount.Request{
		Namespace:      namespace,
		ServiceAccount: serviceaccount.Ref{Name: sa.Name, UID: string(sa.UID)},
		Audiences:      req.Spec.Audiences,
	}
	if len(issue.Audiences) == 0 {
		issue.Audiences = s.Audiences
	}
	if ref := req.Spec.BoundObjectRef; ref != nil {
		secret, err := s.boundSecret(ctx, namespace, ref)
		if err != nil {
			return nil, err
		}
		issue.Secret = secret
	}
	seconds := int64(DefaultLifetime / time.Second)
	if req.Spec.ExpirationSeconds != nil {
		seconds = *req.Spec.ExpirationSeconds
	}
	issue.Lifetime = time.Duration(seconds) * time.Second
	if s.MaxLifetime > 0 && issue.Lifetime > s.MaxLifetime {
		issue.Lifetime = s.MaxLifetime
	}
	out := req.DeepCopy()
	out.Name, out.Namespace = sa.Name, namespace
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	out.CreationTimestamp = metav1.NewTime(now().Truncate(time.Second))
	out.Spec.Audiences = issue.Audiences
	lifetime := int64(issue.Lifetime / time.Second)
	out.Spec.ExpirationSeconds = &lifetime
	if dryRun {
		return out, nil
	}
	token, exp, err := s.Issuer.Issue(issue)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	out.Status = authenticationv1.TokenRequestStatus{Token: token, ExpirationTimestamp: metav1.NewTime(exp)}
	return out, nil
}

// boundSecret checks the object a token is to be bound to: a Secret of the
// account's namespace, of the UID the request names if it names one.
func (s *TokenStorage) boundSecret(ctx context.Context, namespace string, ref *authenticationv1.BoundObjectReference) (*serviceaccount.Ref, error) {
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	if ref.Kind != "Secret" || (ref.APIVersion != "" && ref.APIVersion != "v1") {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk))
	}
	obj, err := s.Secrets.Get(ctx, namespace, ref.Name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	secret := obj.(*corev1.Secret)
	if ref.UID != "" && ref.UID != secret.UID {
		return nil, apierrors.NewConflict(schema.GroupResource{Resource: "Secret"}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return &serviceaccount.Ref{Name: secret.Name, UID: string(secret.UID)}, nil
}

// ValidateTokenRequest checks the lifetime, as kube does.
func ValidateTokenRequest(req *authenticationv1.TokenRequest) field.ErrorList {
	var errs field.ErrorList
	if req.Spec.ExpirationSeconds != nil {
		p := field.NewPath("spec", "expirationSeconds")
		switch s := *req.Spec.ExpirationSeconds; {
		case s < int64(MinLifetime/time.Second):
			errs = append(errs, field.Invalid(p, s, "may not specify a duration less than 10 minutes"))
		case s > maxSeconds:
			errs = append(errs, field.Invalid(p, s, "may not specify a duration larger than 2^32 seconds"))
		}
	}
	return errs
}

// Lookup reads ServiceAccounts and Secrets from the watch cache for the
// token authenticator: a token stops authenticating once its objects are
// deleted there, within the cache's lag, without an etcd read per request.
type Lookup struct {
	ServiceAccounts, Secrets rest.Getter
}

var _ serviceaccount.Lookup = Lookup{}

// ServiceAccountUID implements serviceaccount.Lookup.
func (l Lookup) ServiceAccountUID(ctx context.Context, namespace, name string) (string, bool, error) {
	return liveUID(ctx, l.ServiceAccounts, namespace, name)
}

// SecretUID implements serviceaccount.Lookup.
func (l Lookup) SecretUID(ctx context.Context, namespace, name string) (string, bool, error) {
	return liveUID(ctx, l.Secrets, namespace, name)
}

func liveUID(ctx context.Context, g rest.Getter, namespace, name string) (string, bool, error) {
	obj, err := g.Get(ctx, namespace, name, &metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", false, err
	}
	if m.GetDeletionTimestamp() != nil {
		return "", false, nil
	}
	return string(m.GetUID()), true, nil
}
