// Package printers prints custom resources as a meta/v1 Table from the
// additionalPrinterColumns of their CRD version, as kube-apiserver 1.31
// does: Name first, then the columns in order, each evaluated with a
// JSONPath; a version without columns prints Name and Age.
//
//	conv, err := printers.New(version.AdditionalPrinterColumns)
//	table, err := conv.ConvertToTable(ctx, list, opts) // a rest.TableConvertor
package printers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/util/jsonpath"

	apiextensionsv1 "github.com/apiserver/apiserver/pkg/apiextensions/v1"
	"github.com/apiserver/apiserver/pkg/registry/tables"
)

// now is the clock of date cells; tests replace it.
var now = time.Now

// DefaultColumns are the columns of a version that has none: Age.
func DefaultColumns() []apiextensionsv1.CustomResourceColumnDefinition {
	return []apiextensionsv1.CustomResourceColumnDefinition{{
		Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp",
		Description: tables.ObjectMetaDescription("creationTimestamp"),
	}}
}

// Convertor prints the custom resources of one CRD version.
type Convertor struct {
	tables.Convertor
	paths []*jsonpath.JSONPath
	types []string
}

// New compiles columns (DefaultColumns when empty). It fails on a JSONPath
// that does not parse, as kube-apiserver does.
func New(columns []apiextensionsv1.CustomResourceColumnDefinition) (*Convertor, error) {
	if len(columns) == 0 {
		columns = DefaultColumns()
	}
	c := &Convertor{}
	c.Columns = []metav1.TableColumnDefinition{tables.NameColumn()}
	for _, col := range columns {
		p := jsonpath.New(col.Name)
		if err := p.Parse(fmt.Sprintf("{%s}", col.JSONPath)); err != nil {
			return nil, fmt.Errorf("unrecognized column definition %q", col.JSONPath)
		}
		p.AllowMissingKeys(true)
		desc := col.Description
		if desc == "" {
			desc = fmt.Sprintf("Custom resource definition column (in JSONPath format): %s", col.JSONPath)
		}
		c.paths = append(c.paths, p)
		c.types = append(c.types, col.Type)
		c.Columns = append(c.Columns, metav1.TableColumnDefinition{
			Name: col.Name, Type: col.Type, Format: col.Format, Description: desc, Priority: col.Priority,
		})
	}
	c.Cells = c.cells
	return c, nil
}

// cells is the row of one object: its name, then one cell per column;
// a column that finds nothing, or a value of the wrong type, is null.
func (c *Convertor) cells(obj runtime.Object) ([]any, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	content, err := contentOf(obj)
	if err != nil {
		return nil, err
	}
	cells := make([]any, 1, 1+len(c.paths))
	cells[0] = m.GetName()
	var buf bytes.Buffer
	for i, p := range c.paths {
		results, err := p.FindResults(content)
		if err != nil || len(results) == 0 || len(results[0]) == 0 {
			cells = append(cells, nil)
			continue
		}
		value := results[0][0].Interface()
		if c.types[i] != "string" {
			cells = append(cells, cellForJSONValue(c.types[i], value))
			continue
		}
		if err := p.PrintResults(&buf, []reflect.Value{reflect.ValueOf(value)}); err != nil {
			cells = append(cells, nil)
			continue
		}
		cells = append(cells, buf.String())
		buf.Reset()
	}
	return cells, nil
}

func contentOf(obj runtime.Object) (map[string]any, error) {
	if u, ok := obj.(runtime.Unstructured); ok {
		return u.UnstructuredContent(), nil
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}

// cellForJSONValue converts a JSON value to the cell of a column type.
func cellForJSONValue(typ string, value any) any {
	if value == nil {
		return nil
	}
	switch typ {
	case "integer":
		switch v := value.(type) {
		case int64:
			return v
		case float64:
			return int64(v)
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
		}
	case "number":
		switch v := value.(type) {
		case int64:
			return float64(v)
		case float64:
			return v
		case json.Number:
			if f, err := v.Float64(); err == nil {
				return f
			}
		}
	case "boolean":
		if b, ok := value.(bool); ok {
			return b
		}
	case "date":
		if s, ok := value.(string); ok {
			var t metav1.Time
			if err := t.UnmarshalQueryParameter(s); err != nil {
				return "<invalid>"
			}
			if t.IsZero() {
				return "<unknown>"
			}
			return duration.HumanDuration(now().Sub(t.Time))
		}
	}
	return nil
}
