package authn

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"k8s.io/klog/v2"

	"github.com/apiserver/apiserver/pkg/auth/user"
)

// TokenFile authenticates static bearer tokens read from a CSV file in
// kube-apiserver's format: token,user,uid[,"group1,group2"].
type TokenFile struct {
	// tokens are keyed by the SHA-256 of the token, so the map holds no
	// secret and lookups do not compare secrets byte by byte.
	tokens map[[32]byte]*user.Info
}

var _ Request = (*TokenFile)(nil)

// NewTokenFile reads path. It refuses lines with fewer than three columns
// and warns (without the token) about empty and duplicate tokens.
func NewTokenFile(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--token-auth-file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	tf := &TokenFile{tokens: map[[32]byte]*user.Info{}}
	for n := 1; ; n++ {
		record, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file %s: %w", path, err)
		}
		if len(record) < 3 {
			return nil, fmt.Errorf("--token-auth-file %s: record %d must have at least 3 columns (token, user name, user uid), found %d", path, n, len(record))
		}
		if record[0] == "" {
			klog.InfoS("Skipping an empty token in the token file", "file", path, "record", n)
			continue
		}
		if record[1] == "" {
			return nil, fmt.Errorf("--token-auth-file %s: record %d has an empty user name", path, n)
		}
		key := sha256.Sum256([]byte(record[0]))
		if _, dup := tf.tokens[key]; dup {
			klog.InfoS("A token appears twice in the token file; the later record wins", "file", path, "record", n)
		}
		u := &user.Info{Name: record[1], UID: record[2]}
		if len(record) >= 4 && record[3] != "" {
			u.Groups = strings.Split(record[3], ",")
		}
		tf.tokens[key] = u
	}
	return tf, nil
}

// AuthenticateRequest implements Request.
func (tf *TokenFile) AuthenticateRequest(r *http.Request) (*user.Info, bool, error) {
	return Bearer{tf}.AuthenticateRequest(r)
}

// AuthenticateToken implements Token.
func (tf *TokenFile) AuthenticateToken(_ context.Context, token string) (*user.Info, bool, error) {
	if u, found := tf.tokens[sha256.Sum256([]byte(token))]; found {
		return u, true, nil
	}
	return nil, false, errInvalidBearer
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(strings.TrimSpace(h), " ")
	if !found || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
