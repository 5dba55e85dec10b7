package handlers

import (
	"bytes"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// marshalJSON's output goes on one line of a watch stream: custom objects,
// whose MarshalJSON ends with a new line, included.
func TestMarshalJSONOneLine(t *testing.T) {
	for _, obj := range []runtime.Object{
		&unstructured.Unstructured{Object: map[string]any{"apiVersion": "x/v1", "kind": "W", "metadata": map[string]any{"name": "w"}}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}},
	} {
		data, err := marshalJSON(obj)
		if err != nil || bytes.ContainsRune(data, '\n') || !bytes.HasSuffix(data, []byte("}")) {
			t.Errorf("marshalJSON(%T) = %q, %v", obj, data, err)
		}
	}
}
