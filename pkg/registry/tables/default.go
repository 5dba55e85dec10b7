package tables

import (
	"context"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// DefaultTableConvertor is kube-apiserver's table for types without a
// printer of their own (custom resources without additionalPrinterColumns,
// CustomResourceDefinitions): a Name column and a Created At column of type
// date holding metadata.creationTimestamp in RFC 3339. resource names the
// type in the 406 Not Acceptable answered for objects without metadata.
//
// As in kube-apiserver, an empty list gives no rows at all ("rows": null),
// unlike the printers of built-in types.
func DefaultTableConvertor(resource schema.GroupResource) rest.TableConvertor {
	return defaultConvertor{resource: resource}
}

type defaultConvertor struct {
	resource schema.GroupResource
}

// DefaultColumns are the columns of DefaultTableConvertor.
func DefaultColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		NameColumn(),
		{Name: "Created At", Type: "date", Description: ObjectMetaDescription("creationTimestamp")},
	}
}

func (c defaultConvertor) ConvertToTable(_ context.Context, obj runtime.Object, opts *metav1.TableOptions) (*metav1.Table, error) {
	table := &metav1.Table{}
	add := func(item runtime.Object) error {
		m, err := meta.Accessor(item)
		if err != nil {
			return c.notAcceptable()
		}
		table.Rows = append(table.Rows, metav1.TableRow{
			Cells:  []interface{}{m.GetName(), m.GetCreationTimestamp().UTC().Format(time.RFC3339)},
			Object: runtime.RawExtension{Object: item},
		})
		return nil
	}
	if meta.IsListType(obj) {
		if err := meta.EachListItem(obj, add); err != nil {
			return nil, err
		}
	} else if err := add(obj); err != nil {
		return nil, err
	}
	CopyListMeta(table, obj)
	if opts == nil || !opts.NoHeaders {
		table.ColumnDefinitions = DefaultColumns()
	}
	if err := IncludeObjects(table.Rows, includePolicy(opts)); err != nil {
		return nil, err
	}
	return table, nil
}

func (c defaultConvertor) notAcceptable() error {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    http.StatusNotAcceptable,
		Reason:  metav1.StatusReasonNotAcceptable,
		Message: fmt.Sprintf("the resource %s does not support being converted to a Table", c.resource),
	}}
}
