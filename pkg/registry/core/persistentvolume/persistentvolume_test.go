package persistentvolume

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestVolume: kube-apiserver 1.31's defaults, status, causes and cells for
// the same manifests, recorded with the reference script.
func TestVolume(t *testing.T) {
	decode := func(manifest string) *corev1.PersistentVolume {
		var pv corev1.PersistentVolume
		if err := json.Unmarshal([]byte(manifest), &pv); err != nil {
			t.Fatal(err)
		}
		Default(&pv)
		return &pv
	}
	pv := decode(`{"metadata":{"name":"pv1"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/x"}}}`)
	(Strategy{}).PrepareForCreate(nil, pv)
	spec, _ := json.Marshal(pv.Spec)
	if string(spec) != `{"capacity":{"storage":"1Gi"},"hostPath":{"path":"/tmp/x","type":""},"accessModes":["ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Retain","volumeMode":"Filesystem"}` ||
		pv.Status.Phase != corev1.VolumePending || pv.Status.LastPhaseTransitionTime == nil {
		t.Errorf("spec %s status %+v", spec, pv.Status)
	}
	if errs := Validate(pv); len(errs) != 0 {
		t.Errorf("errors of a valid volume %v", errs)
	}
	if cells, _ := Table().Cells(pv); cells[1] != "1Gi" || cells[2] != "RWO" || cells[4] != "Pending" || cells[7] != "<unset>" {
		t.Errorf("cells %v", cells)
	}
	for _, tc := range []struct{ spec, want string }{
		{`{}`, `spec.accessModes: Required value|spec.capacity: Required value|spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "storage"|spec: Required value: must specify a volume type`},
		{`{"capacity":{"storage":"-1"},"accessModes":["X"],"hostPath":{"path":"/a"},"nfs":{"server":"s","path":"/p"},"persistentVolumeReclaimPolicy":"Y"}`,
			`spec.accessModes: Unsupported value: "X": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"|` +
				`spec.capacity[storage]: Invalid value: -1: must be a valid resource quantity|spec.capacity[storage]: Invalid value: "-1": must be greater than zero|` +
				`spec.persistentVolumeReclaimPolicy: Unsupported value: "Y": supported values: "Delete", "Recycle", "Retain"|spec.nfs: Forbidden: may not specify more than 1 volume type`},
	} {
		var got []string
		for _, e := range Validate(decode(`{"spec":` + tc.spec + `}`)) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.spec, strings.Join(got, "|"), tc.want)
		}
	}
}

// TestClaim: kube-apiserver 1.31's defaults, status, causes and cells for
// the same manifests, recorded with the reference script.
func TestClaim(t *testing.T) {
	decode := func(manifest string) *corev1.PersistentVolumeClaim {
		var c corev1.PersistentVolumeClaim
		if err := json.Unmarshal([]byte(manifest), &c); err != nil {
			t.Fatal(err)
		}
		DefaultClaim(&c)
		return &c
	}
	c := decode(`{"metadata":{"name":"c1"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}`)
	(ClaimStrategy{}).PrepareForCreate(nil, c)
	if *c.Spec.VolumeMode != corev1.PersistentVolumeFilesystem || c.Status.Phase != corev1.ClaimPending || len(ValidateClaim(c)) != 0 {
		t.Errorf("claim %+v", c)
	}
	for _, tc := range []struct{ spec, want string }{
		{`{}`, "spec.accessModes: Required value: at least 1 access mode is required|spec.resources[storage]: Required value"},
		{`{"accessModes":["X"],"resources":{"requests":{"storage":"-1"}},"volumeMode":"Z"}`,
			`spec.accessModes: Unsupported value: "X": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"|` +
				`spec.resources[storage]: Invalid value: "-1": must be greater than zero|spec.volumeMode: Unsupported value: "Z": supported values: "Block", "Filesystem"`},
	} {
		var got []string
		for _, e := range ValidateClaim(decode(`{"spec":` + tc.spec + `}`)) {
			got = append(got, e.Error())
		}
		if strings.Join(got, "|") != tc.want {
			t.Errorf("%s:\n%s\nwant\n%s", tc.spec, strings.Join(got, "|"), tc.want)
		}
	}
	changed := c.DeepCopy()
	changed.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	if errs := (ClaimStrategy{}).ValidateUpdate(nil, changed, c); len(errs) != 1 ||
		errs[0].Error() != "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims" {
		t.Errorf("changing access modes: %v", errs)
	}
	grown := c.DeepCopy()
	grown.Spec.Resources.Requests[corev1.ResourceStorage] = c.Spec.Resources.Requests[corev1.ResourceStorage]
	grown.Spec.VolumeName = "pv1"
	if errs := (ClaimStrategy{}).ValidateUpdate(nil, grown, c); len(errs) != 0 {
		t.Errorf("binding a volume name: %v", errs)
	}
	if cells, _ := ClaimTable().Cells(c); cells[1] != "Pending" || cells[6] != "<unset>" || cells[8] != "Filesystem" {
		t.Errorf("cells %v", cells)
	}
}
