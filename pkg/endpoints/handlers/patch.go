package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/generic"
)

// Patcher says which patch types a resource accepts.
type Patcher struct {
	// Strategic allows strategic merge patches, which need the Go type's
	// patch strategies: built-in types only.
	Strategic bool
}

func (p *Patcher) accepted() string {
	s := "application/json-patch+json, application/merge-patch+json"
	if p.Strategic {
		s += ", application/strategic-merge-patch+json"
	}
	return s
}

func (h *Resource) patch(w http.ResponseWriter, r *http.Request, store *generic.Store, info *request.RequestInfo) error {
	if h.Patch == nil || info.Name == "" {
		return methodNotAllowed()
	}
	out, err := negotiate(r)
	if err != nil {
		return err
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	pt := types.PatchType(mediaType)
	switch pt {
	case types.JSONPatchType, types.MergePatchType:
	case types.StrategicMergePatchType:
		if !h.Patch.Strategic {
			return unsupportedMediaType(h.Patch.accepted())
		}
	default:
		return unsupportedMediaType(h.Patch.accepted())
	}
	patch, err := ReadBody(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	dry, err := dryRun(q)
	if err != nil {
		return err
	}
	validation, err := fieldValidationParam(q)
	if err != nil {
		return err
	}
	gvk := h.Store.Info().GroupVersionKind()
	var warnings []string
	ctx, cancel := h.requestContext(r)
	defer cancel()
	updated, _, err := store.Update(ctx, info.Namespace, info.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(store.Info().GroupResource(), info.Name)
		}
		current = current.DeepCopyObject()
		current.GetObjectKind().SetGroupVersionKind(gvk)
		original, err := json.Marshal(current)
		if err != nil {
			return nil, err
		}
		patched, err := applyPatch(pt, original, patch, store.New())
		if err != nil {
			return nil, err
		}
		obj := store.New()
		if warnings, err = h.decode(patched, bodyJSON, obj, gvk, validation); err != nil {
			return nil, err
		}
		return obj, nil
	}, dry, false)
	if err != nil {
		return err
	}
	addWarnings(w, warnings)
	return h.write(w, r, http.StatusOK, updated, out)
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
