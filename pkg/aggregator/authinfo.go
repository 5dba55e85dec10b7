package aggregator

import (
	"context"
	"encoding/json"
	"maps"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/auth/authn"
)

// AuthenticationConfigMap is where an aggregated API server reads how to
// authenticate the requests this server sends it and its own clients'
// certificates: kube-system/extension-apiserver-authentication.
const (
	AuthenticationNamespace = "kube-system"
	AuthenticationConfigMap = "extension-apiserver-authentication"
)

// AuthenticationInfo is what the ConfigMap publishes.
type AuthenticationInfo struct {
	// ClientCA is the PEM bundle of the client CA (--client-ca-file).
	ClientCA []byte
	// RequestHeader, when set, is the front proxy configuration and the
	// PEM of its CA (--requestheader-*).
	RequestHeader   *authn.RequestHeaderConfig
	RequestHeaderCA []byte
}

// data is the ConfigMap's content, with kube-apiserver's keys: header and
// name lists are JSON arrays.
func (info AuthenticationInfo) data() map[string]string {
	d := map[string]string{}
	if len(info.ClientCA) > 0 {
		d["client-ca-file"] = string(info.ClientCA)
	}
	if rh := info.RequestHeader; rh != nil {
		list := func(v []string) string {
			if v == nil {
				v = []string{}
			}
			b, _ := json.Marshal(v) // a list of strings always encodes
			return string(b)
		}
		d["requestheader-client-ca-file"] = string(info.RequestHeaderCA)
		d["requestheader-allowed-names"] = list(rh.AllowedNames)
		d["requestheader-username-headers"] = list(rh.UsernameHeaders)
		d["requestheader-group-headers"] = list(rh.GroupHeaders)
		d["requestheader-extra-headers-prefix"] = list(rh.ExtraHeaderPrefixes)
	}
	return d
}

// publishInterval is how often the ConfigMap is checked once written, so
// that an edit or a deletion is put right.
const publishInterval = time.Minute

// PublishAuthentication keeps the ConfigMap equal to info until ctx ends,
// through the loopback client; replicas with the same flags write the
// same content.
func PublishAuthentication(ctx context.Context, info AuthenticationInfo) {
	log := klog.FromContext(ctx).WithName("cluster-authentication-info")
	s, err := newClients(ctx)
	if err != nil {
		log.Error(err, "Not publishing the authentication ConfigMap")
		return
	}
	wait := 100 * time.Millisecond
	for {
		err := publish(ctx, s.configmaps.Namespace(AuthenticationNamespace), info.data())
		next := publishInterval
		if err != nil {
			// kube-system appears just after start; until then, retry soon.
			log.V(2).Info("Publishing the authentication ConfigMap failed; retrying", "err", err)
			next, wait = wait, min(2*wait, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(next):
		}
	}
}

func publish(ctx context.Context, configMaps dynamic.ResourceInterface, data map[string]string) error {
	cm := &corev1.ConfigMap{}
	u, err := configMaps.Get(ctx, AuthenticationConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: AuthenticationConfigMap, Namespace: AuthenticationNamespace}, Data: data}
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cm)
		if err != nil {
			return err
		}
		_, err = configMaps.Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, cm); err != nil {
		return err
	}
	if maps.Equal(cm.Data, data) {
		return nil
	}
	if err := unstructured.SetNestedStringMap(u.Object, data, "data"); err != nil {
		return err
	}
	_, err = configMaps.Update(ctx, u, metav1.UpdateOptions{})
	return err
}
