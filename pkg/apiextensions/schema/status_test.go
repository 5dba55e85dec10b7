package schema

import (
	"testing"

	"github.com/apiserver/apiserver/pkg/apiextensions/internal/causes"
)

// TestValidateStatusUpdate: PUT .../widgets/t1/status with an invalid
// status, as kube-apiserver 1.31.4 answered: the status alone is validated
// (its schema's messages name fields relative to status), then the scale
// status paths.
func TestValidateStatusUpdate(t *testing.T) {
	s, scale := widgets(t)
	old := decode(t, widget(`{"size":"ab","replicas":3,"color":"blue"}`))
	obj := decode(t, widget(`{"size":"ab","replicas":3,"color":"blue"}`))
	obj["status"] = map[string]any{"replicas": "many", "selector": int64(5)}
	errs := s.ValidateStatusUpdate(obj, old)
	errs = append(errs, ValidateScaleStatus(obj, scale)...)
	causes.ExpectUnordered(t, errs,
		`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"string\": replicas in body must be of type integer: \"string\"","field":"status.replicas"}`,
		`{"reason":"FieldValueTypeInvalid","message":"Invalid value: \"integer\": selector in body must be of type string: \"integer\"","field":"status.selector"}`,
		`{"reason":"FieldValueInvalid","message":"Invalid value: 0: .status.replicas accessor error: many is of the type string, expected int64","field":".status.replicas"}`,
		`{"reason":"FieldValueInvalid","message":"Invalid value: \"\": .status.selector accessor error: 5 is of the type int64, expected string","field":".status.selector"}`,
	)
}
