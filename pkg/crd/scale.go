package crd

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/endpoints/handlers"
	"github.com/apiserver/apiserver/pkg/endpoints/request"
	"github.com/apiserver/apiserver/pkg/endpoints/responsewriters"
	"github.com/apiserver/apiserver/pkg/registry/generic"
)

// scaleHandler serves /scale of a custom resource as an autoscaling/v1
// Scale, mapped through the definition's replica paths.
type scaleHandler struct {
	store *generic.Store
	paths *apiextensionsv1.CustomResourceSubresourceScale
}

func path(p string) []string { return strings.Split(strings.TrimPrefix(p, "."), ".") }

func (h scaleHandler) toScale(u *unstructured.Unstructured) *autoscalingv1.Scale {
	s := &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{APIVersion: "autoscaling/v1", Kind: "Scale"},
		ObjectMeta: metav1.ObjectMeta{
			Name: u.GetName(), Namespace: u.GetNamespace(), UID: u.GetUID(),
			ResourceVersion: u.GetResourceVersion(), CreationTimestamp: u.GetCreationTimestamp(),
		},
	}
	if v, ok, _ := unstructured.NestedInt64(u.Object, path(h.paths.SpecReplicasPath)...); ok {
		s.Spec.Replicas = int32(v)
	}
	if v, ok, _ := unstructured.NestedInt64(u.Object, path(h.paths.StatusReplicasPath)...); ok {
		s.Status.Replicas = int32(v)
	}
	if h.paths.LabelSelectorPath != nil {
		if v, ok, _ := unstructured.NestedString(u.Object, path(*h.paths.LabelSelectorPath)...); ok {
			s.Status.Selector = v
		}
	}
	return s
}

func (h scaleHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, _ := request.RequestInfoFrom(r.Context())
	if info == nil {
		info = request.Parse(r)
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	var out runtime.Object
	var err error
	switch info.Verb {
	case "get":
		var obj runtime.Object
		if obj, err = h.store.Get(ctx, info.Namespace, info.Name, &metav1.GetOptions{}); err == nil {
			out = h.toScale(obj.(*unstructured.Unstructured))
		}
	case "update", "patch":
		out, err = h.write(ctx, r, info)
	default:
		err = apierrors.NewMethodNotSupported(h.store.Info().GroupResource(), info.Verb)
	}
	if err != nil {
		responsewriters.WriteError(w, r, err)
		return
	}
	responsewriters.WriteJSON(w, r, http.StatusOK, out)
}

// write applies a new Scale (PUT) or a patch of the current one (PATCH) to
// the replicas of the object.
func (h scaleHandler) write(ctx context.Context, r *http.Request, info *request.RequestInfo) (runtime.Object, error) {
	body, err := handlers.ReadBody(r)
	if err != nil {
		return nil, err
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	updated, _, err := h.store.Update(ctx, info.Namespace, info.Name, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(h.store.Info().GroupResource(), info.Name)
		}
		u := current.DeepCopyObject().(*unstructured.Unstructured)
		scaleJSON, err := json.Marshal(h.toScale(u))
		if err != nil {
			return nil, err
		}
		switch {
		case info.Verb == "update":
			scaleJSON = body
		case types.PatchType(mediaType) == types.MergePatchType || types.PatchType(mediaType) == types.StrategicMergePatchType:
			// A Scale has no lists: a strategic merge patch is a merge patch.
			scaleJSON, err = jsonpatch.MergePatch(scaleJSON, body)
		case types.PatchType(mediaType) == types.JSONPatchType:
			var p jsonpatch.Patch
			if p, err = jsonpatch.DecodePatch(body); err == nil {
				scaleJSON, err = p.Apply(scaleJSON)
			}
		default:
			return nil, apierrors.NewBadRequest(fmt.Sprintf("unsupported patch type %q", mediaType))
		}
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		var scale autoscalingv1.Scale
		if err := json.Unmarshal(scaleJSON, &scale); err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("decoding Scale: %v", err))
		}
		if scale.ResourceVersion != "" && scale.ResourceVersion != u.GetResourceVersion() {
			return nil, apierrors.NewConflict(h.store.Info().GroupResource(), info.Name,
				fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
		}
		if err := unstructured.SetNestedField(u.Object, int64(scale.Spec.Replicas), path(h.paths.SpecReplicasPath)...); err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		return u, nil
	}, false, false)
	if err != nil {
		return nil, err
	}
	return h.toScale(updated.(*unstructured.Unstructured)), nil
}
