package installer_test

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// plainStrategy accepts every object as it is.
type plainStrategy struct{}

func (plainStrategy) PrepareForCreate(context.Context, runtime.Object)                 {}
func (plainStrategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}
func (plainStrategy) Validate(context.Context, runtime.Object) field.ErrorList         { return nil }
func (plainStrategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}
func (plainStrategy) Canonicalize(runtime.Object)    {}
func (plainStrategy) AllowCreateOnUpdate() bool      { return false }
func (plainStrategy) AllowUnconditionalUpdate() bool { return true }
