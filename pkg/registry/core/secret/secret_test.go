package secret

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/apiserver/apiserver/pkg/registry/core/internal/coretest"
	"github.com/apiserver/apiserver/pkg/registry/rest"
	"github.com/apiserver/apiserver/pkg/registry/tables/tablestest"
)

// Causes below are kube-apiserver 1.31's answers to the same requests,
// pasted from its 422 Status.
const badKeyMsg = `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`

func required(path string) string {
	return `{"reason":"FieldValueRequired","message":"Required value","field":"` + path + `"}`
}

func forbidden(path string) string {
	return `{"reason":"FieldValueForbidden","message":"Forbidden: field is immutable when ` + "`immutable`" + ` is set","field":"` + path + `"}`
}

func TestTypeInfo(t *testing.T) {
	// kube-apiserver 1.31 discovery: {"name":"secrets","singularName":"secret","namespaced":true,"kind":"Secret",
	// "verbs":["create","delete","deletecollection","get","list","patch","update","watch"]}: no short name.
	want := rest.ResourceInfo{
		GroupVersionResource: corev1.SchemeGroupVersion.WithResource("secrets"),
		Kind:                 "Secret", ListKind: "SecretList", Singular: "secret", Namespaced: true,
		Verbs: []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
	}
	typ := Type()
	if !reflect.DeepEqual(typ.Info, want) {
		t.Errorf("Info = %+v, want %+v", typ.Info, want)
	}
	if _, ok := typ.New().(*corev1.Secret); !ok {
		t.Errorf("New() = %T", typ.New())
	}
	if _, ok := typ.NewList().(*corev1.SecretList); !ok {
		t.Errorf("NewList() = %T", typ.NewList())
	}
	if typ.Strategy.AllowCreateOnUpdate() || !typ.Strategy.AllowUnconditionalUpdate() {
		t.Error("secrets: PUT may not create, may skip resourceVersion")
	}
	if !reflect.DeepEqual(typ.SelectableFields, []string{"type"}) {
		t.Errorf("SelectableFields = %v", typ.SelectableFields)
	}
}

// request is a Secret as a client sends it, decoded (with the type's
// defaults, as the scheme applies them) and prepared as the store does
// before validating.
func request(typ corev1.SecretType, data map[string][]byte, stringData map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "s1", Namespace: "default"},
		Type:       typ, Data: data, StringData: stringData,
	}
	Type().Defaults(s)
	Type().Strategy.PrepareForCreate(context.Background(), s)
	return s
}

func TestDefaults(t *testing.T) {
	tests := []struct {
		name       string
		typ        corev1.SecretType
		data       map[string][]byte
		stringData map[string]string
		want       string
	}{
		// kube: {"data":{"a":"b3Zlcg==","b":"Mg=="},"type":"Opaque"}
		{name: "stringData wins over data", data: map[string][]byte{"a": []byte("1"), "b": []byte("2")}, stringData: map[string]string{"a": "over"},
			want: `{"metadata":{"name":"s1","namespace":"default"},"data":{"a":"b3Zlcg==","b":"Mg=="},"type":"Opaque"}`},
		{name: "stringData alone", typ: "foo/bar", stringData: map[string]string{"k": "v"},
			want: `{"metadata":{"name":"s1","namespace":"default"},"data":{"k":"dg=="},"type":"foo/bar"}`},
		{name: "empty stringData", stringData: map[string]string{},
			want: `{"metadata":{"name":"s1","namespace":"default"},"type":"Opaque"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(request(tc.typ, tc.data, tc.stringData))
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("stored\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
}

func TestCanonicalizeClearsStringData(t *testing.T) {
	s := &corev1.Secret{StringData: map[string]string{"a": "1"}}
	Type().Strategy.Canonicalize(s)
	if s.StringData != nil || string(s.Data["a"]) != "1" {
		t.Errorf("Canonicalize: %+v", s)
	}
}

func TestValidate(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	sa := func(annotations map[string]string, data map[string][]byte) *corev1.Secret {
		s := request(corev1.SecretTypeServiceAccountToken, data, nil)
		s.Annotations = annotations
		return s
	}
	tests := []struct {
		name string
		obj  *corev1.Secret
		want []string
	}{
		{name: "opaque", obj: request("", map[string][]byte{"a": []byte("1")}, nil)},
		{name: "unknown type", obj: request("foo/bar", nil, nil)},
		{name: "any type string", obj: request("bad type!", nil, nil)},
		{name: "bootstrap token has no rules here", obj: request("bootstrap.kubernetes.io/token", nil, nil)},
		{
			name: "bad keys in data and stringData",
			obj:  request("", map[string][]byte{"bad key": []byte("1")}, map[string]string{"bad2 key": "x"}),
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad key\": ` + badKeyMsg + `","field":"data[bad key]"}`,
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad2 key\": ` + badKeyMsg + `","field":"data[bad2 key]"}`,
			},
		},
		{name: "exactly 1 MiB", obj: request("", nil, map[string]string{"a": big})},
		{
			name: "over 1 MiB",
			obj:  request("", map[string][]byte{"b": []byte("y")}, map[string]string{"a": big}),
			want: []string{`{"reason":"FieldValueTooLong","message":"Too long: must have at most 1048576 bytes","field":"data"}`},
		},
		{name: "service account token without name", obj: sa(nil, nil), want: []string{required("metadata.annotations[kubernetes.io/service-account.name]")}},
		{name: "service account token", obj: sa(map[string]string{"kubernetes.io/service-account.name": "default"}, map[string][]byte{"token": []byte("x")})},
		{name: "dockercfg missing", obj: request(corev1.SecretTypeDockercfg, nil, nil), want: []string{required("data[.dockercfg]")}},
		{
			name: "dockercfg not JSON",
			obj:  request(corev1.SecretTypeDockercfg, map[string][]byte{".dockercfg": []byte("notjson")}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"<secret contents redacted>\": invalid character 'o' in literal null (expecting 'u')","field":"data[.dockercfg]"}`},
		},
		{name: "dockercfg", obj: request(corev1.SecretTypeDockercfg, map[string][]byte{".dockercfg": []byte("{}")}, nil)},
		{name: "dockerconfigjson missing", obj: request(corev1.SecretTypeDockerConfigJson, nil, nil), want: []string{required("data[.dockerconfigjson]")}},
		{
			name: "dockerconfigjson bad",
			obj:  request(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte("{bad")}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"<secret contents redacted>\": invalid character 'b' looking for beginning of object key string","field":"data[.dockerconfigjson]"}`},
		},
		{
			name: "dockerconfigjson empty",
			obj:  request(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": {}}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"<secret contents redacted>\": unexpected end of JSON input","field":"data[.dockerconfigjson]"}`},
		},
		{name: "basic-auth without both", obj: request(corev1.SecretTypeBasicAuth, nil, nil), want: []string{required("data[username]"), required("data[password]")}},
		{name: "basic-auth username", obj: request(corev1.SecretTypeBasicAuth, nil, map[string]string{"username": "u"})},
		{name: "basic-auth password", obj: request(corev1.SecretTypeBasicAuth, nil, map[string]string{"password": "p", "x": "y"})},
		{name: "ssh-auth missing", obj: request(corev1.SecretTypeSSHAuth, nil, nil), want: []string{required("data[ssh-privatekey]")}},
		{name: "ssh-auth empty", obj: request(corev1.SecretTypeSSHAuth, map[string][]byte{"ssh-privatekey": {}}, nil), want: []string{required("data[ssh-privatekey]")}},
		{name: "tls missing", obj: request(corev1.SecretTypeTLS, nil, nil), want: []string{required("data[tls.crt]"), required("data[tls.key]")}},
		{name: "tls key only", obj: request(corev1.SecretTypeTLS, nil, map[string]string{"tls.key": "k"}), want: []string{required("data[tls.crt]")}},
		{name: "tls empty values", obj: request(corev1.SecretTypeTLS, map[string][]byte{"tls.crt": {}, "tls.key": {}}, nil)},
		{
			// kube answered in this order (after its metadata errors).
			name: "keys, size, then type",
			obj:  request(corev1.SecretTypeTLS, nil, map[string]string{"bad key": big + "x"}),
			want: []string{
				`{"reason":"FieldValueInvalid","message":"Invalid value: \"bad key\": ` + badKeyMsg + `","field":"data[bad key]"}`,
				`{"reason":"FieldValueTooLong","message":"Too long: must have at most 1048576 bytes","field":"data"}`,
				required("data[tls.crt]"), required("data[tls.key]"),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			coretest.ExpectCauses(t, Type().Strategy.Validate(context.Background(), tc.obj), tc.want...)
		})
	}
}

// update prepares s as the store does for an update of old.
func update(s, old *corev1.Secret) *corev1.Secret {
	Type().Defaults(s)
	Type().Strategy.PrepareForUpdate(context.Background(), s, old)
	return s
}

func TestValidateUpdate(t *testing.T) {
	yes, no := true, false
	immutable := func(imm *bool, data map[string][]byte, stringData map[string]string) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "simm", Namespace: "default"}, Immutable: imm, Data: data, StringData: stringData}
		return s
	}
	old := request("", map[string][]byte{"a": []byte("1")}, nil)
	old.Immutable = &yes
	custom := request("foo/bar", nil, nil)
	tests := []struct {
		name     string
		old, obj *corev1.Secret
		want     []string
	}{
		{
			name: "type change",
			old:  request("", nil, nil), obj: update(&corev1.Secret{Type: "foo/bar"}, nil),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"foo/bar\": field is immutable","field":"type"}`},
		},
		{
			// The missing type defaults to Opaque before the comparison.
			name: "type left out",
			old:  custom, obj: update(&corev1.Secret{}, custom),
			want: []string{`{"reason":"FieldValueInvalid","message":"Invalid value: \"Opaque\": field is immutable","field":"type"}`},
		},
		{name: "same type", old: custom, obj: update(&corev1.Secret{Type: "foo/bar", Data: map[string][]byte{"x": {1}}}, custom)},
		{name: "immutable: unchanged", old: old, obj: update(immutable(&yes, map[string][]byte{"a": []byte("1")}, nil), old)},
		{name: "immutable: same value through stringData", old: old, obj: update(immutable(&yes, nil, map[string]string{"a": "1"}), old)},
		{name: "immutable: data", old: old, obj: update(immutable(&yes, map[string][]byte{"a": []byte("2")}, nil), old), want: []string{forbidden("data")}},
		{name: "immutable: stringData", old: old, obj: update(immutable(&yes, nil, map[string]string{"a": "2"}), old), want: []string{forbidden("data")}},
		{name: "immutable: unset", old: old, obj: update(immutable(nil, map[string][]byte{"a": []byte("1")}, nil), old), want: []string{forbidden("immutable")}},
		{
			name: "immutable: false and data",
			old:  old, obj: update(immutable(&no, map[string][]byte{"a": []byte("9")}, nil), old),
			want: []string{forbidden("immutable"), forbidden("data")},
		},
		{
			name: "new object is validated",
			old:  request(corev1.SecretTypeTLS, map[string][]byte{"tls.crt": {}, "tls.key": {}}, nil),
			obj:  update(&corev1.Secret{Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": {}}}, nil),
			want: []string{required("data[tls.key]")},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			coretest.ExpectCauses(t, Type().Strategy.ValidateUpdate(context.Background(), tc.obj, tc.old), tc.want...)
		})
	}
}

func TestAttrs(t *testing.T) {
	s := request(corev1.SecretTypeTLS, nil, nil)
	s.Labels = map[string]string{"app": "x"}
	l, f, err := Type().Attrs(s)
	if err != nil {
		t.Fatal(err)
	}
	want := fields.Set{"metadata.name": "s1", "metadata.namespace": "default", "type": "kubernetes.io/tls"}
	if !reflect.DeepEqual(l, labels.Set{"app": "x"}) || !reflect.DeepEqual(f, want) {
		t.Errorf("Attrs = %v, %v", l, f)
	}
	if _, _, err := Attrs(&corev1.ConfigMap{}); err == nil {
		t.Error("Attrs of a ConfigMap: no error")
	}
}

func TestGenerationNeverBumped(t *testing.T) {
	if Type().Strategy.(rest.GenerationPolicy).SpecChanged(request("", map[string][]byte{"a": {1}}, nil), request("", nil, nil)) {
		t.Error("a Secret's generation does not move in kube-apiserver")
	}
}

func TestTable(t *testing.T) {
	tablestest.ExpectColumns(t, Table().Columns, "testdata/kube-1.31-columns.json")
	created := metav1.NewTime(time.Now().Add(-20 * time.Minute))
	tests := []struct {
		name string
		obj  *corev1.Secret
		want string
	}{
		// kube-apiserver: ["s1", "Opaque", 1, "1s"] and ["t1", "kubernetes.io/tls", 2, "1s"].
		{name: "opaque", obj: request("", nil, map[string]string{"a": "1"}), want: `["s1","Opaque",1,"20m"]`},
		{name: "tls", obj: request(corev1.SecretTypeTLS, map[string][]byte{"tls.crt": {1}, "tls.key": {2}}, nil), want: `["s1","kubernetes.io/tls",2,"20m"]`},
		{name: "empty", obj: request("foo/bar", nil, nil), want: `["s1","foo/bar",0,"20m"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.obj.CreationTimestamp = created
			table, err := Type().Table.ConvertToTable(context.Background(), tc.obj, &metav1.TableOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tablestest.CellsJSON(t, table.Rows[0].Cells); got != tc.want {
				t.Errorf("cells = %s, want %s", got, tc.want)
			}
		})
	}
}
