package handlers_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A list served from the watch cache's shared objects, spliced from their
// remembered encodings, is byte for byte the list the etcd path encodes.
func TestSharedListMatchesEncodedList(t *testing.T) {
	f := newFixtureCached(t, true)
	for i := range 5 {
		body := fmt.Sprintf(`{"metadata":{"name":"c%d","labels":{"n":"%d"}},"data":{"k":"<&>"}}`, i, i%2)
		if resp, data := f.do(t, "POST", cms, "", "application/json", body); resp.StatusCode != 201 {
			t.Fatalf("create = %d %s", resp.StatusCode, data)
		}
	}
	_, data := f.do(t, "GET", cms, "", "", "")
	var list metav1.List
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatalf("list: %v: %s", err, data)
	}
	rv := list.ResourceVersion
	for _, tc := range []struct{ name, query string }{
		{"all", ""},
		{"label selector", "&labelSelector=n%3D1"},
		{"none selected", "&labelSelector=n%3D7"},
		{"field selector", "&fieldSelector=metadata.name%3Dc3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second time from the remembered encodings
				_, cached := f.do(t, "GET", cms+"?resourceVersion="+rv+"&resourceVersionMatch=NotOlderThan"+tc.query, "", "", "")
				_, exact := f.do(t, "GET", cms+"?resourceVersion="+rv+"&resourceVersionMatch=Exact"+tc.query, "", "", "")
				if !bytes.Equal(cached, exact) {
					t.Fatalf("from the cache:\n%s\nfrom etcd:\n%s", cached, exact)
				}
			}
		})
	}
}

// JSON watch events are written as json.Encoder would write a WatchEvent,
// from the cache's shared objects as from copies.
func TestWatchEventFraming(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprint("cached=", cached), func(t *testing.T) {
			f := newFixtureCached(t, cached)
			f.do(t, "POST", cms, "", "application/json", `{"metadata":{"name":"c"},"data":{"k":"<&>"}}`)
			resp, err := http.Get(f.server.URL + cms + "?watch=true&resourceVersion=0&timeoutSeconds=1")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadBytes('\n')
			if err != nil {
				t.Fatal(err)
			}
			var ev metav1.WatchEvent
			if err := json.Unmarshal(line, &ev); err != nil {
				t.Fatalf("event %q: %v", line, err)
			}
			var want bytes.Buffer
			json.NewEncoder(&want).Encode(ev) //nolint:errcheck
			if !bytes.Equal(line, want.Bytes()) || ev.Type != "ADDED" || !bytes.Contains(ev.Object.Raw, []byte(`"kind":"ConfigMap"`)) {
				t.Errorf("event line %q, json.Encoder writes %q", line, want.Bytes())
			}
		})
	}
}

// A get served from the watch cache's remembered encoding is the object
// the other path encodes (here indented by ?pretty=true, then compacted).
func TestSharedGetMatchesEncodedGet(t *testing.T) {
	f := newFixtureCached(t, true)
	if resp, data := f.do(t, "POST", cms, "", "application/json", `{"metadata":{"name":"c","labels":{"a":"b"}},"data":{"k":"<&>"}}`); resp.StatusCode != 201 {
		t.Fatalf("create = %d %s", resp.StatusCode, data)
	}
	for _, rv := range []string{"", "0"} {
		resp, shared := f.do(t, "GET", cms+"/c?resourceVersion="+rv, "", "", "")
		_, pretty := f.do(t, "GET", cms+"/c?pretty=true&resourceVersion="+rv, "", "", "")
		var compact bytes.Buffer
		if err := json.Compact(&compact, pretty); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !bytes.Equal(bytes.TrimSpace(shared), compact.Bytes()) {
			t.Errorf("resourceVersion %q: %d %s\n%s\nwant\n%s", rv, resp.StatusCode, resp.Header.Get("Content-Type"), shared, compact.Bytes())
		}
	}
	if resp, data := f.do(t, "GET", cms+"/missing", "", "", ""); resp.StatusCode != 404 || !bytes.Contains(data, []byte(`"reason":"NotFound"`)) {
		t.Errorf("a missing object = %d %s", resp.StatusCode, data)
	}
}
