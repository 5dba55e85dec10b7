package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// acceptedPatches lists the patch types of a 415, as kube-apiserver does.
func acceptedPatches(strategic bool) string {
	s := "application/json-patch+json, application/merge-patch+json"
	if strategic {
		s += ", application/strategic-merge-patch+json"
	}
	return s
}

// strategic reports whether t's objects are Go types, whose patch
// strategies a strategic merge patch needs.
func (t *target) strategic() bool {
	_, unstr := t.storage.New().(*unstructured.Unstructured)
	return !unstr
}

func (h *Resource) patch(w http.ResponseWriter, r *http.Request, t *target, info *request.RequestInfo) error {
	if info.Name == "" {
		return methodNotAllowed()
	}
	out, err := t.negotiate(r, info.Verb)
	if err != nil {
		return err
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	pt := types.PatchType(mediaType)
	switch pt {
	case types.JSONPatchType, types.MergePatchType:
	case types.StrategicMergePatchType:
		if !t.strategic() {
			return unsupportedMediaType(acceptedPatches(false))
		}
	default:
		return unsupportedMediaType(acceptedPatches(t.strategic()))
	}
	patch, err := ReadBody(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	dry, err := dryRun(q, patchOptions)
	if err != nil {
		return err
	}
	validation, err := fieldValidationParam(q, patchOptions)
	if err != nil {
		return err
	}
	var warnings []string
	ctx, cancel := h.requestContext(r)
	defer cancel()
	updated, _, err := t.storage.(rest.Updater).Update(ctx, info.Namespace, info.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(t.gr, info.Name)
		}
		current = current.DeepCopyObject()
		current.GetObjectKind().SetGroupVersionKind(t.gvk)
		original, err := json.Marshal(current)
		if err != nil {
			return nil, err
		}
		patched, err := applyPatch(pt, original, patch, t.storage.New())
		if err != nil {
			return nil, err
		}
		obj := t.storage.New()
		if warnings, err = h.decode(patched, bodyJSON, obj, t, validation); err != nil {
			return nil, err
		}
		return obj, nil
	}, dry, false)
	if err != nil {
		return err
	}
	addWarnings(w, warnings)
	return h.write(w, r, t, http.StatusOK, updated, out)
}

// applyPatch applies a patch document to the JSON of an object.
func applyPatch(pt types.PatchType, original, patch []byte, schema runtime.Object) ([]byte, error) {
	switch pt {
	case types.JSONPatchType:
		ops, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		out, err := ops.Apply(original)
		if err != nil {
			return nil, patchFailed(patch, err)
		}
		return out, nil
	case types.MergePatchType:
		out, err := jsonpatch.MergePatch(original, patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid merge patch: %v", err))
		}
		return out, nil
	default:
		var doc map[string]any
		if err := json.Unmarshal(patch, &doc); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid strategic merge patch: %v", err))
		}
		out, err := strategicpatch.StrategicMergePatch(original, patch, schema)
		if err != nil {
			return nil, patchFailed(patch, err)
		}
		return out, nil
	}
}

// patchFailed is kube-apiserver's 422 for a patch that cannot apply.
func patchFailed(patch []byte, err error) error {
	return apierrors.NewInvalid(schema.GroupKind{}, "", field.ErrorList{field.Invalid(field.NewPath("patch"), string(patch), err.Error())})
}
