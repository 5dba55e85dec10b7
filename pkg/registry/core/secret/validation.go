package secret

import (
	"encoding/json"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/registry/core/internal/validate"
)

// redacted stands for the value of a docker config that is not JSON, so
// that the error does not show the secret.
const redacted = "<secret contents redacted>"

// Validate returns the errors of a normalized Secret: each key of data must
// be a config key, the values together may not exceed 1 MiB (reported at
// data), and the built-in types need their keys:
//
//   - kubernetes.io/service-account-token: the annotation
//     kubernetes.io/service-account.name;
//   - kubernetes.io/dockercfg and kubernetes.io/dockerconfigjson:
//     .dockercfg or .dockerconfigjson, holding a JSON object;
//   - kubernetes.io/basic-auth: username or password (either may be empty);
//   - kubernetes.io/ssh-auth: a non-empty ssh-privatekey;
//   - kubernetes.io/tls: tls.crt and tls.key (either may be empty).
//
// Any other type, even one kube does not know, is accepted.
func Validate(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	data := field.NewPath("data")
	size := 0
	for _, k := range validate.SortedKeys(s.Data) {
		errs = append(errs, validate.ConfigKey(data, k)...)
		size += len(s.Data[k])
	}
	if size > validate.MaxDataSize {
		errs = append(errs, validate.TooLarge(data))
	}
	return append(errs, validateType(s, data)...)
}

func validateType(s *corev1.Secret, data *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Type {
	case corev1.SecretTypeServiceAccountToken:
		// The token and the account's uid are added later by a controller.
		if s.Annotations[corev1.ServiceAccountNameKey] == "" {
			errs = append(errs, field.Required(field.NewPath("metadata", "annotations").Key(corev1.ServiceAccountNameKey), ""))
		}
	case corev1.SecretTypeDockercfg:
		errs = append(errs, dockerConfig(s, data, corev1.DockerConfigKey)...)
	case corev1.SecretTypeDockerConfigJson:
		errs = append(errs, dockerConfig(s, data, corev1.DockerConfigJsonKey)...)
	case corev1.SecretTypeBasicAuth:
		_, user := s.Data[corev1.BasicAuthUsernameKey]
		_, password := s.Data[corev1.BasicAuthPasswordKey]
		if !user && !password {
			errs = append(errs,
				field.Required(data.Key(corev1.BasicAuthUsernameKey), ""),
				field.Required(data.Key(corev1.BasicAuthPasswordKey), ""))
		}
	case corev1.SecretTypeSSHAuth:
		if len(s.Data[corev1.SSHAuthPrivateKey]) == 0 {
			errs = append(errs, field.Required(data.Key(corev1.SSHAuthPrivateKey), ""))
		}
	case corev1.SecretTypeTLS:
		for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
			if _, ok := s.Data[k]; !ok {
				errs = append(errs, field.Required(data.Key(k), ""))
			}
		}
	}
	return errs
}

// dockerConfig requires key, holding a JSON object; the error of a value
// that is not one is encoding/json's, as in kube.
func dockerConfig(s *corev1.Secret, data *field.Path, key string) field.ErrorList {
	b, ok := s.Data[key]
	if !ok {
		return field.ErrorList{field.Required(data.Key(key), "")}
	}
	if err := json.Unmarshal(b, &map[string]interface{}{}); err != nil {
		return field.ErrorList{field.Invalid(data.Key(key), redacted, err.Error())}
	}
	return nil
}

// ValidateUpdate returns the errors of updating old to s (both normalized):
// type may not change, an immutable Secret must stay immutable with the
// same data, and s must be valid.
func ValidateUpdate(s, old *corev1.Secret) field.ErrorList {
	errs := metavalidation.ValidateImmutableField(s.Type, old.Type, field.NewPath("type"))
	var changed []*field.Path
	if !reflect.DeepEqual(s.Data, old.Data) {
		changed = append(changed, field.NewPath("data"))
	}
	errs = append(errs, validate.Immutable(old.Immutable, s.Immutable, changed...)...)
	return append(errs, Validate(s)...)
}
