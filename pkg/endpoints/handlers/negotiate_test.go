package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// A create-only resource (a review) has no Table form: kube-apiserver's
// conformance test wants a 406, and another acceptable type wins.
func TestNoTableForCreateOnly(t *testing.T) {
	tgt := &target{builtin: true, noTable: true}
	r := httptest.NewRequest(http.MethodPost, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", nil)
	r.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	_, err := tgt.negotiate(r, "create")
	if !apierrors.IsNotAcceptable(err) || !strings.Contains(err.Error(), "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf") {
		t.Errorf("a Table of a review: %v", err)
	}
	r.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io, application/json")
	if out, err := tgt.negotiate(r, "create"); err != nil || out != outputJSON {
		t.Errorf("with JSON acceptable too: %v %v", out, err)
	}
}
