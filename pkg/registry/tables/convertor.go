package tables

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/apiserver/apiserver/pkg/registry/rest"
)

// CellsFunc returns the cells of one object, one per column.
type CellsFunc func(obj runtime.Object) ([]interface{}, error)

// Convertor prints the objects of one type: Columns describe the table and
// Cells fills one row per object. Its zero value is not usable.
type Convertor struct {
	Columns []metav1.TableColumnDefinition
	Cells   CellsFunc
	// Less, when set, orders a list's rows, as kube's printer of a type
	// may (FlowSchemas by matching precedence); nil keeps the list's order.
	Less func(a, b runtime.Object) bool
}

var _ rest.TableConvertor = Convertor{}

// ConvertToTable prints obj, one object or a list. Column definitions are
// left out when opts.NoHeaders is set (watch events after the first); each
// row's object follows opts.IncludeObject, see IncludeObjects.
func (c Convertor) ConvertToTable(_ context.Context, obj runtime.Object, opts *metav1.TableOptions) (*metav1.Table, error) {
	rows, err := Rows(obj, c.Cells)
	if err != nil {
		return nil, err
	}
	if c.Less != nil {
		slices.SortStableFunc(rows, func(a, b metav1.TableRow) int {
			switch {
			case c.Less(a.Object.Object, b.Object.Object):
				return -1
			case c.Less(b.Object.Object, a.Object.Object):
				return 1
			}
			return 0
		})
	}
	table := &metav1.Table{Rows: rows}
	CopyListMeta(table, obj)
	if opts == nil || !opts.NoHeaders {
		table.ColumnDefinitions = append([]metav1.TableColumnDefinition(nil), c.Columns...)
	}
	if err := IncludeObjects(table.Rows, includePolicy(opts)); err != nil {
		return nil, err
	}
	return table, nil
}

// Rows returns one row per object of obj, a list or a single object, with
// the object itself in Row.Object. A list always gives a non-nil slice, so
// an empty one prints as "rows": [] as kube-apiserver's printers do.
func Rows(obj runtime.Object, cells CellsFunc) ([]metav1.TableRow, error) {
	if !meta.IsListType(obj) {
		row, err := newRow(obj, cells)
		if err != nil {
			return nil, err
		}
		return []metav1.TableRow{row}, nil
	}
	items, err := meta.ExtractList(obj)
	if err != nil {
		return nil, fmt.Errorf("reading the items of %T: %w", obj, err)
	}
	rows := make([]metav1.TableRow, 0, len(items))
	for _, item := range items {
		row, err := newRow(item, cells)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func newRow(obj runtime.Object, cells CellsFunc) (metav1.TableRow, error) {
	c, err := cells(obj)
	if err != nil {
		return metav1.TableRow{}, err
	}
	return metav1.TableRow{Cells: c, Object: runtime.RawExtension{Object: obj}}, nil
}

// CopyListMeta sets the table's resourceVersion, continue token and
// remaining item count from obj when it is a list, and its resourceVersion
// from obj's metadata when it is one object.
func CopyListMeta(table *metav1.Table, obj runtime.Object) {
	if l, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion = l.GetResourceVersion()
		table.Continue = l.GetContinue()
		table.RemainingItemCount = l.GetRemainingItemCount()
		return
	}
	if m, err := meta.CommonAccessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
}

// IncludeObjects replaces each row's object as policy asks, as
// kube-apiserver does after printing: Metadata (or empty, kubectl's
// default) leaves a meta.k8s.io/v1 PartialObjectMetadata with the object's
// metadata, Object leaves the object, None leaves nothing. Any other
// policy is a 400 Bad Request.
func IncludeObjects(rows []metav1.TableRow, policy metav1.IncludeObjectPolicy) error {
	switch policy {
	case metav1.IncludeObject, metav1.IncludeMetadata, "", metav1.IncludeNone:
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("unrecognized includeObject value: %q", policy))
	}
	for i := range rows {
		row := &rows[i]
		switch policy {
		case metav1.IncludeNone:
			row.Object = runtime.RawExtension{}
		case metav1.IncludeMetadata, "":
			if row.Object.Object == nil {
				continue
			}
			m, err := meta.Accessor(row.Object.Object)
			if err != nil {
				return fmt.Errorf("reading the metadata of %T: %w", row.Object.Object, err)
			}
			partial := meta.AsPartialObjectMetadata(m)
			partial.SetGroupVersionKind(metav1.SchemeGroupVersion.WithKind("PartialObjectMetadata"))
			row.Object = runtime.RawExtension{Object: partial}
		}
	}
	return nil
}

func includePolicy(opts *metav1.TableOptions) metav1.IncludeObjectPolicy {
	if opts == nil {
		return metav1.IncludeMetadata
	}
	return opts.IncludeObject
}
