package storage

import (
	"encoding/base64"
	"path"
	"strings"
	"testing"
)

func TestContinueRoundTrip(t *testing.T) {
	tests := []struct {
		start string
		rv    int64
	}{
		{"default/foo\x00", 12},
		{"foo\x00", 1},
		{"a/b", 1 << 40},
	}
	for _, tc := range tests {
		t.Run(tc.start, func(t *testing.T) {
			tok, err := EncodeContinue(tc.start, tc.rv)
			if err != nil {
				t.Fatal(err)
			}
			start, rv, err := DecodeContinue(tok)
			if err != nil || start != tc.start || rv != tc.rv {
				t.Errorf("DecodeContinue = %q, %d, %v; want %q, %d", start, rv, err, tc.start, tc.rv)
			}
		})
	}
}

func TestDecodeContinueRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, token string
	}{
		{"not base64", "!!"},
		{"padded base64", base64.URLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":1,"start":"a"}`))},
		{"not JSON", enc("nope")},
		{"other version", enc(`{"v":"meta.k8s.io/v2","rv":1,"start":"a"}`)},
		{"no revision", enc(`{"v":"meta.k8s.io/v1","start":"a"}`)},
		{"negative revision", enc(`{"v":"meta.k8s.io/v1","rv":-1,"start":"a"}`)},
		{"no start", enc(`{"v":"meta.k8s.io/v1","rv":1}`)},
		{"absolute start", enc(`{"v":"meta.k8s.io/v1","rv":1,"start":"/registry/secrets/x"}`)},
		{"climbing start", enc(`{"v":"meta.k8s.io/v1","rv":1,"start":"../secrets/x"}`)},
		{"climbing inside", enc(`{"v":"meta.k8s.io/v1","rv":1,"start":"a/../../x"}`)},
		{"empty segment", enc(`{"v":"meta.k8s.io/v1","rv":1,"start":"a//x"}`)},
		{"too long", strings.Repeat("A", maxContinueLen+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := DecodeContinue(tc.token); !IsInvalidRequest(err) {
				t.Errorf("DecodeContinue(%q) error = %v; want an invalid request", tc.token, err)
			}
		})
	}
}

// FuzzDecodeContinue: no token makes the decoder panic, and a start key it
// accepts, joined to a collection prefix, stays inside that prefix after
// any path cleaning.
func FuzzDecodeContinue(f *testing.F) {
	for _, s := range []string{
		"", "!!", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJhIn0",
		base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":5,"start":"../x"}`)),
		base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":5,"start":"ns/a\u0000"}`)),
		base64.RawURLEncoding.EncodeToString([]byte(`{"v":"meta.k8s.io/v1","rv":5,"start":"/"}`)),
	} {
		f.Add(s)
	}
	const prefix = "/registry/configmaps/"
	f.Fuzz(func(t *testing.T, token string) {
		start, rv, err := DecodeContinue(token)
		if err != nil {
			return
		}
		if rv <= 0 {
			t.Fatalf("accepted revision %d", rv)
		}
		key := prefix + start
		if !strings.HasPrefix(key, prefix) || !strings.HasPrefix(path.Clean(key)+"/", prefix) {
			t.Fatalf("start %q escapes %s", start, prefix)
		}
		again, err := EncodeContinue(start, rv)
		if err != nil {
			t.Fatalf("re-encoding an accepted token: %v", err)
		}
		if s2, rv2, err := DecodeContinue(again); err != nil || s2 != start || rv2 != rv {
			t.Fatalf("round trip of %q/%d = %q/%d, %v", start, rv, s2, rv2, err)
		}
	})
}
