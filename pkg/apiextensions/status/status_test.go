package status

import (
	"encoding/json"
	"testing"
	"time"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
)

func crd(name, group string, names apiextensionsv1.CustomResourceDefinitionNames) *apiextensionsv1.CustomResourceDefinition {
	c := &apiextensionsv1.CustomResourceDefinition{}
	c.Name = name
	c.Spec.Group = group
	c.Spec.Names = names
	apiextensionsv1.SetDefaults(c)
	return c
}

// TestUpdate: the status kube-apiserver 1.31.4 gave gizmos.example.com
// (kind Widget, shortNames wd, gz, widget) next to an established
// widgets.example.com (kind Widget, shortNames wd).
func TestUpdate(t *testing.T) {
	now := time.Date(2026, 11, 25, 15, 41, 9, 0, time.UTC)
	widgets := crd("widgets.example.com", "example.com", apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget", ShortNames: []string{"wd"}, Categories: []string{"all"}})
	Update(widgets, nil, now)
	got, _ := json.Marshal(widgets.Status)
	want := `{"conditions":[{"type":"NamesAccepted","status":"True","lastTransitionTime":"2026-11-25T15:41:09Z","reason":"NoConflicts","message":"no conflicts found"},{"type":"Established","status":"True","lastTransitionTime":"2026-11-25T15:41:09Z","reason":"InitialNamesAccepted","message":"the initial names have been accepted"}],"acceptedNames":{"plural":"widgets","singular":"widget","shortNames":["wd"],"kind":"Widget","listKind":"WidgetList","categories":["all"]},"storedVersions":null}`
	if string(got) != want {
		t.Errorf("widgets status\n got %s\nwant %s", got, want)
	}

	gizmos := crd("gizmos.example.com", "example.com", apiextensionsv1.CustomResourceDefinitionNames{Plural: "gizmos", Kind: "Widget", ShortNames: []string{"wd", "gz", "widget"}})
	Update(gizmos, []*apiextensionsv1.CustomResourceDefinition{widgets, gizmos}, now)
	got, _ = json.Marshal(gizmos.Status)
	want = `{"conditions":[{"type":"NamesAccepted","status":"False","lastTransitionTime":"2026-11-25T15:41:09Z","reason":"ListKindConflict","message":"\"WidgetList\" is already in use"},{"type":"Established","status":"False","lastTransitionTime":"2026-11-25T15:41:09Z","reason":"NotAccepted","message":"not all names are accepted"}],"acceptedNames":{"plural":"gizmos","kind":""},"storedVersions":null}`
	if string(got) != want {
		t.Errorf("gizmos status\n got %s\nwant %s", got, want)
	}

	// Renamed to free names, it is accepted and established; the
	// transition time of a condition moves only when its status changes.
	later := now.Add(time.Minute)
	gizmos.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{Plural: "gizmos", Singular: "gizmo", Kind: "Gizmo", ListKind: "GizmoList"}
	Update(gizmos, []*apiextensionsv1.CustomResourceDefinition{widgets, gizmos}, later)
	if !IsConditionTrue(gizmos, apiextensionsv1.NamesAccepted) || !IsConditionTrue(gizmos, apiextensionsv1.Established) {
		t.Errorf("gizmos not accepted and established: %+v", gizmos.Status.Conditions)
	}
	Update(gizmos, []*apiextensionsv1.CustomResourceDefinition{widgets, gizmos}, later.Add(time.Hour))
	if c := FindCondition(gizmos, apiextensionsv1.Established); !c.LastTransitionTime.Time.Equal(later) {
		t.Errorf("Established moved to %v", c.LastTransitionTime)
	}
	RemoveCondition(gizmos, apiextensionsv1.Established)
	if FindCondition(gizmos, apiextensionsv1.Established) != nil {
		t.Error("Established not removed")
	}
}
