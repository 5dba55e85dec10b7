package storage_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/storage"
)

func storedConfigMap() *corev1.ConfigMap {
	now := metav1.Now()
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Name: "c", Namespace: "ns", UID: "0b61498f-69d3-4b0f-8145-233dcdfb7d24", CreationTimestamp: now,
			Labels: map[string]string{"a": "b"}, Annotations: map[string]string{"<html>": "&amp;"},
			ManagedFields: []metav1.ManagedFieldsEntry{{
				Manager: "m", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1", Time: &now,
				FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:data":{".":{},"f:value":{}}}`)},
			}},
		},
		Data:       map[string]string{"value": "x\u00e9\u2028\n\"quoted\""},
		BinaryData: map[string][]byte{"bin": {0, 1, 2, 255}},
	}
}

// The storage codec writes the bytes encoding/json writes and decodes them
// into exactly what encoding/json would: the built-in types, their custom
// marshallers (times, quantities, raw fields) and the
// CustomResourceDefinition's.
func TestCodecMatchesEncodingJSON(t *testing.T) {
	micro := metav1.NewMicroTime(metav1.Now().Time)
	crdJSON, err := os.ReadFile("../apiextensions/v1/testdata/widgets.crd.json")
	if err != nil {
		t.Fatal(err)
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := json.Unmarshal(crdJSON, &crd); err != nil {
		t.Fatal(err)
	}
	objects := []runtime.Object{
		storedConfigMap(),
		&corev1.Secret{Data: map[string][]byte{"k": []byte("secret")}, Type: corev1.SecretTypeOpaque},
		&corev1.Namespace{Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"kubernetes"}}, Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}},
		&coordinationv1.Lease{Spec: coordinationv1.LeaseSpec{RenewTime: &micro, LeaseDurationSeconds: ptr[int32](15)}},
		&corev1.Event{Count: 3, Series: &corev1.EventSeries{Count: 2, LastObservedTime: micro}},
		&corev1.ResourceQuota{Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"cpu": resource.MustParse("1500m")}}},
		&crd,
	}
	for _, obj := range objects {
		data, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		var encoded bytes.Buffer
		if err := storage.JSONCodec.Encode(obj, &encoded); err != nil {
			t.Fatalf("%T: %v", obj, err)
		}
		if !bytes.Equal(encoded.Bytes(), data) {
			t.Errorf("%T encodes differently:\nencoding/json %s\ncodec         %s", obj, data, encoded.Bytes())
		}
		want := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(runtime.Object)
		if err := json.Unmarshal(data, want); err != nil {
			t.Fatal(err)
		}
		got := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(runtime.Object)
		if _, _, err := storage.JSONCodec.Decode(data, nil, got); err != nil {
			t.Fatalf("%T: %v", obj, err)
		}
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(got)
		if !bytes.Equal(a, b) || !reflect.DeepEqual(want, got) {
			t.Errorf("%T decodes differently:\nencoding/json %s\ncodec         %s", obj, a, b)
		}
	}
	// Custom resources decode through Unstructured's own unmarshaller.
	u := &unstructured.Unstructured{}
	if _, _, err := storage.JSONCodec.Decode([]byte(`{"apiVersion":"example.com/v1","kind":"Widget","spec":{"n":1,"f":1.5,"big":9007199254740993}}`), nil, u); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := unstructured.NestedInt64(u.Object, "spec", "big"); n != 9007199254740993 {
		t.Errorf("a large integer of a custom resource decoded as %v", u.Object["spec"])
	}
}

func ptr[T any](v T) *T { return &v }

func BenchmarkDecode(b *testing.B) {
	data, err := json.Marshal(storedConfigMap())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			var cm corev1.ConfigMap
			if err := json.Unmarshal(data, &cm); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("storage codec", func(b *testing.B) {
		for b.Loop() {
			var cm corev1.ConfigMap
			if _, _, err := storage.JSONCodec.Decode(data, nil, &cm); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	cm := storedConfigMap()
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(cm); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("storage codec", func(b *testing.B) {
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := storage.JSONCodec.Encode(cm, &buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
