// Package encryption is encryption at rest: it reads kube-apiserver's
// EncryptionConfiguration (apiserver.config.k8s.io/v1) and builds, per
// resource, the storage.Transformer that encrypts values before they reach
// etcd with the first provider listed and decrypts them with whichever
// provider wrote them. Values are written as kube-apiserver writes them,
// "k8s:enc:<provider>:v1:<key name>:" followed by the ciphertext, so that
// the same configuration reads the same data with either server.
package encryption

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/apiserver/apiserver/pkg/storage"
)

// Configuration is apiserver.config.k8s.io/v1 EncryptionConfiguration.
type Configuration struct {
	Kind       string           `json:"kind"`
	APIVersion string           `json:"apiVersion"`
	Resources  []ResourceConfig `json:"resources"`
}

// ResourceConfig lists resources and the providers that encrypt them, the
// first one writing.
type ResourceConfig struct {
	Resources []string         `json:"resources"`
	Providers []ProviderConfig `json:"providers"`
}

// ProviderConfig is one provider; exactly one field is set.
type ProviderConfig struct {
	AESGCM    *KeysConfig     `json:"aesgcm,omitempty"`
	AESCBC    *KeysConfig     `json:"aescbc,omitempty"`
	Secretbox *KeysConfig     `json:"secretbox,omitempty"`
	Identity  *IdentityConfig `json:"identity,omitempty"`
	KMS       map[string]any  `json:"kms,omitempty"`
}

// KeysConfig holds a provider's keys, the first one writing.
type KeysConfig struct {
	Keys []Key `json:"keys"`
}

// Key is a named key, base64 in the file.
type Key struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// IdentityConfig has no settings: values are stored as they are.
type IdentityConfig struct{}

// LoadFile reads an EncryptionConfiguration and returns the transformer of
// each resource it names. Errors name the file and say what is wrong, in
// one line, and never include a key.
func LoadFile(path string) (map[schema.GroupResource]storage.Transformer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the encryption provider config %s: %w", path, err)
	}
	out, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("encryption provider config %s: %w", path, err)
	}
	return out, nil
}

// Parse reads an EncryptionConfiguration document.
func Parse(data []byte) (map[schema.GroupResource]storage.Transformer, error) {
	var c Configuration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("not a valid EncryptionConfiguration: %s", firstLine(err.Error()))
	}
	if c.Kind != "EncryptionConfiguration" || c.APIVersion != "apiserver.config.k8s.io/v1" {
		return nil, fmt.Errorf("kind %q and apiVersion %q must be EncryptionConfiguration and apiserver.config.k8s.io/v1", c.Kind, c.APIVersion)
	}
	if len(c.Resources) == 0 {
		return nil, errors.New("resources: at least one entry is required")
	}
	out := map[schema.GroupResource]storage.Transformer{}
	for i, rc := range c.Resources {
		at := fmt.Sprintf("resources[%d]", i)
		if len(rc.Resources) == 0 {
			return nil, fmt.Errorf("%s.resources: at least one resource is required", at)
		}
		t, err := newTransformer(rc.Providers, at)
		if err != nil {
			return nil, err
		}
		for j, name := range rc.Resources {
			if name == "" || strings.Contains(name, "*") {
				return nil, fmt.Errorf("%s.resources[%d]: %q: name a resource (resource.group, or resource for the core group); wildcards are not supported", at, j, name)
			}
			gr := schema.ParseGroupResource(name)
			if _, dup := out[gr]; dup {
				return nil, fmt.Errorf("%s.resources[%d]: %s is configured twice", at, j, name)
			}
			out[gr] = t
		}
	}
	return out, nil
}

// newTransformer builds the transformer of one resource entry's providers.
func newTransformer(providers []ProviderConfig, at string) (storage.Transformer, error) {
	if len(providers) == 0 {
		return nil, fmt.Errorf("%s.providers: at least one provider is required", at)
	}
	var t prefixTransformers
	for i, p := range providers {
		pat := fmt.Sprintf("%s.providers[%d]", at, i)
		set := 0
		for _, isSet := range []bool{p.AESGCM != nil, p.AESCBC != nil, p.Secretbox != nil, p.Identity != nil, p.KMS != nil} {
			if isSet {
				set++
			}
		}
		if set != 1 {
			return nil, fmt.Errorf("%s: exactly one of aesgcm, aescbc, secretbox, identity must be set", pat)
		}
		switch {
		case p.KMS != nil:
			return nil, fmt.Errorf("%s: kms is not supported by this server", pat)
		case p.Identity != nil:
			t = append(t, prefixed{prefix: "", value: identity{}})
		default:
			name, keys, build := "aesgcm", p.AESGCM, newAESGCM
			if p.AESCBC != nil {
				name, keys, build = "aescbc", p.AESCBC, newAESCBC
			} else if p.Secretbox != nil {
				name, keys, build = "secretbox", p.Secretbox, newSecretbox
			}
			if len(keys.Keys) == 0 {
				return nil, fmt.Errorf("%s.%s.keys: at least one key is required", pat, name)
			}
			seen := map[string]bool{}
			for j, k := range keys.Keys {
				kat := fmt.Sprintf("%s.%s.keys[%d]", pat, name, j)
				if k.Name == "" || strings.Contains(k.Name, ":") {
					return nil, fmt.Errorf("%s.name: %q must be set and hold no colon", kat, k.Name)
				}
				if seen[k.Name] {
					return nil, fmt.Errorf("%s.name: %q is used twice", kat, k.Name)
				}
				seen[k.Name] = true
				secret, err := base64.StdEncoding.DecodeString(k.Secret)
				if err != nil {
					return nil, fmt.Errorf("%s.secret: not valid base64", kat)
				}
				v, err := build(secret)
				if err != nil {
					return nil, fmt.Errorf("%s.secret: %w", kat, err)
				}
				t = append(t, prefixed{prefix: "k8s:enc:" + name + ":v1:" + k.Name + ":", value: v})
			}
		}
	}
	return t, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
