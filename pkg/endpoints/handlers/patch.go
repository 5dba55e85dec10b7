package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// acceptedPatches lists the patch types of a 415, as kube-apiserver does.
func acceptedPatches(strategic, apply bool) string {
	s := "application/json-patch+json, application/merge-patch+json"
	if strategic {
		s += ", application/strategic-merge-patch+json"
	}
	if apply {
		s += ", application/apply-patch+yaml"
	}
	return s
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
	apply := t.fieldManager != nil
	switch pt {
	case types.JSONPatchType, types.MergePatchType:
	case types.StrategicMergePatchType:
		if !t.strategic {
			return unsupportedMediaType(acceptedPatches(false, apply))
		}
	case types.ApplyYAMLPatchType:
		if !apply {
			return unsupportedMediaType(acceptedPatches(t.strategic, false))
		}
	default:
		if t.strategic {
			// kube-apiserver's router answers this for built-in types
			// before any handler runs.
			return &apierrors.StatusError{ErrStatus: metav1.Status{
				Status: metav1.StatusFailure, Code: http.StatusUnsupportedMediaType, Reason: metav1.StatusReasonUnsupportedMediaType,
				Message: "415: Unsupported Media Type", Details: &metav1.StatusDetails{},
			}}
		}
		return unsupportedMediaType(acceptedPatches(false, apply))
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
	manager, err := fieldManagerParam(r, patchOptions)
	if err != nil {
		return err
	}
	force, err := forceParam(q, pt, manager)
	if err != nil {
		return err
	}
	var warnings []string
	var update rest.UpdateFunc
	if pt == types.ApplyYAMLPatchType {
		applied, err := t.appliedObject(patch)
		if err != nil {
			return err
		}
		// As kube-apiserver, duplicate keys in an apply patch are found by
		// a strict parse of its YAML, answered once the apply succeeds.
		var strict error
		if validation != validationIgnore {
			strict = yaml.UnmarshalStrict(patch, &map[string]any{})
		}
		if strict != nil && validation == validationWarn {
			warnings = append(warnings, yamlWarnings(strict)...)
		}
		update = func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				current = t.empty(info)
			}
			fm, err := t.fieldManager()
			if err != nil {
				return nil, apierrors.NewInternalError(err)
			}
			obj, err := fm.Apply(current, applied.DeepCopyObject(), manager, force)
			var status apierrors.APIStatus
			if err != nil && !errors.As(err, &status) {
				// kube-apiserver answers an apply its schema cannot type
				// (an unknown field) with a bare 500.
				return nil, &apierrors.StatusError{ErrStatus: metav1.Status{
					Status: metav1.StatusFailure, Code: http.StatusInternalServerError, Message: err.Error(),
				}}
			}
			if err == nil && strict != nil && validation == validationStrict {
				return nil, apierrors.NewBadRequest(fmt.Sprintf("error strict decoding YAML: %v", strict))
			}
			return obj, err
		}
	} else {
		update = func(_ context.Context, current runtime.Object) (runtime.Object, error) {
			if current == nil {
				return nil, apierrors.NewNotFound(t.gr, info.Name)
			}
			live := current
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
			return t.track(live, obj, manager, info), nil
		}
	}
	ctx, cancel := h.requestContext(r)
	defer cancel()
	// An apply creates the object when it does not exist, as in
	// kube-apiserver.
	updated, created, err := t.storage.(rest.Updater).Update(ctx, info.Namespace, info.Name, update, dry, pt == types.ApplyYAMLPatchType)
	if err != nil {
		return err
	}
	addWarnings(w, warnings)
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	return h.write(w, r, t, code, updated, out)
}

// forceParam reads force, which only an apply patch may set, and checks
// that an apply names its manager, with kube-apiserver's 422s.
func forceParam(q url.Values, pt types.PatchType, manager string) (bool, error) {
	force := false
	if _, set := q["force"]; set {
		force = boolValue(q["force"])
		if pt != types.ApplyYAMLPatchType {
			return false, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: patchOptions}, "", field.ErrorList{
				field.Forbidden(field.NewPath("force"), "may not be specified for non-apply patch")})
		}
	}
	if pt == types.ApplyYAMLPatchType && q.Get("fieldManager") == "" {
		return false, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: patchOptions}, "", field.ErrorList{
			field.Required(field.NewPath("fieldManager"), "is required for apply patch")})
	}
	return force, nil
}

// boolValue reads a boolean query parameter as apimachinery does: false
// only when absent, "0" or "false" in any case.
func boolValue(values []string) bool {
	return len(values) > 0 && values[0] != "0" && !strings.EqualFold(values[0], "false")
}

// appliedObject decodes an apply patch (YAML) into the unstructured object
// it describes, which must be of t's kind.
func (t *target) appliedObject(patch []byte) (*unstructured.Unstructured, error) {
	data, err := yamlToJSON(patch)
	if err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	applied := &unstructured.Unstructured{}
	if err := applied.UnmarshalJSON(data); err != nil {
		if runtime.IsMissingKind(err) || runtime.IsMissingVersion(err) {
			return nil, apierrors.NewBadRequest("invalid object type: /, Kind=")
		}
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding apply patch: %v", err))
	}
	if gvk := applied.GroupVersionKind(); gvk != t.gvk {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid object type: %s", gvk))
	}
	return applied, nil
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
