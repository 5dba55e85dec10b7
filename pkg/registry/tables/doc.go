// Package tables prints API objects as meta.k8s.io/v1 Tables, the form
// kubectl get asks for, the way kube-apiserver 1.31 prints them.
//
// A resource type describes its columns and the cells of one object; a
// Convertor turns one object or a list into rows, copies the list's
// resourceVersion, continue token and remaining item count, and fills each
// row's object as TableOptions.IncludeObject asks (a PartialObjectMetadata
// by default, as kubectl expects). Types without a printer of their own use
// DefaultTableConvertor, kube-apiserver's Name and Created At table.
//
//	var convertor = tables.Convertor{
//		Columns: []metav1.TableColumnDefinition{tables.NameColumn(), tables.AgeColumn()},
//		Cells: func(obj runtime.Object) ([]interface{}, error) {
//			cm := obj.(*corev1.ConfigMap)
//			return []interface{}{cm.Name, tables.Age(cm.CreationTimestamp)}, nil
//		},
//	}
package tables
