package installer

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The storage version hash is kube-apiserver's: values it publishes.
func TestStorageVersionHash(t *testing.T) {
	for gvk, want := range map[schema.GroupVersionKind]string{
		{Version: "v1", Kind: "ConfigMap"}:                                                    "qFsyl6wFWjQ=",
		{Version: "v1", Kind: "Event"}:                                                        "r2yiGXH7wu8=",
		{Group: "autoscaling", Version: "v2", Kind: "HorizontalPodAutoscaler"}:                "qwQve8ut294=",
		{Group: "apiextensions.k8s.io", Version: "v1beta1", Kind: "CustomResourceDefinition"}: "jfWCUB31mvA=",
	} {
		if got := storageVersionHash(gvk); got != want {
			t.Errorf("%v: %s, want %s", gvk, got, want)
		}
	}
}
