package storage

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// continueAPIVersion versions the token format, as kube-apiserver's does.
const continueAPIVersion = "meta.k8s.io/v1"

// maxContinueLen bounds the token a client can make the server decode:
// a key is at most a few KiB.
const maxContinueLen = 8 << 10

type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion int64  `json:"rv"`
	StartKey        string `json:"start"`
}

// EncodeContinue returns the opaque token for the next page of a list read
// at revision rv: the page starts at key start, which is relative to the
// listed collection's prefix (for example "default/foo\x00").
func EncodeContinue(start string, rv int64) (string, error) {
	if rv <= 0 {
		return "", fmt.Errorf("continue token needs a positive resourceVersion, got %d", rv)
	}
	if err := validateStart(start); err != nil {
		return "", err
	}
	out, err := json.Marshal(continueToken{APIVersion: continueAPIVersion, ResourceVersion: rv, StartKey: start})
	if err != nil {
		return "", fmt.Errorf("encoding continue token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// DecodeContinue returns the start key (relative to the collection prefix)
// and revision of a token made by EncodeContinue. A token that is not
// base64 JSON of the current version, has no positive revision, or whose
// start key could leave the collection ("..", a leading "/", an empty
// segment) is rejected with an ErrCodeInvalidRequest error.
func DecodeContinue(token string) (start string, rv int64, err error) {
	if len(token) > maxContinueLen {
		return "", 0, NewError(ErrCodeInvalidRequest, "", 0, errors.New("continue token is too long"))
	}
	data, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return "", 0, Errorf(ErrCodeInvalidRequest, "", 0, "continue token is not base64: %w", err)
	}
	var c continueToken
	if err := json.Unmarshal(data, &c); err != nil {
		return "", 0, Errorf(ErrCodeInvalidRequest, "", 0, "continue token is not valid JSON: %w", err)
	}
	if c.APIVersion != continueAPIVersion {
		return "", 0, Errorf(ErrCodeInvalidRequest, "", 0, "continue token version %q is not %q", c.APIVersion, continueAPIVersion)
	}
	if c.ResourceVersion <= 0 {
		return "", 0, Errorf(ErrCodeInvalidRequest, "", 0, "continue token has no positive resourceVersion")
	}
	if err := validateStart(c.StartKey); err != nil {
		return "", 0, NewError(ErrCodeInvalidRequest, "", 0, err)
	}
	return c.StartKey, c.ResourceVersion, nil
}

// validateStart accepts a relative key with non-empty segments, none of
// them "." or "..". The last segment may end in NUL (the successor of the
// last key returned).
func validateStart(start string) error {
	if start == "" {
		return errors.New("continue token has an empty start key")
	}
	if strings.HasPrefix(start, "/") {
		return fmt.Errorf("continue token start key %q is not relative", start)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(start, "\x00"), "/") {
		if seg == "" || seg == "." || seg == ".." || strings.Contains(seg, "\x00") {
			return fmt.Errorf("continue token start key %q is not a clean relative key", start)
		}
	}
	return nil
}
