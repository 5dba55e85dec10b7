// Package configmap is the core/v1 ConfigMap resource (configmaps, short
// name cm) as kube-apiserver 1.31 serves it: keys must be valid config keys
// and appear in only one of data and binaryData, values total at most
// 1 MiB, and a ConfigMap made immutable keeps its data for good. It prints
// as NAME, DATA, AGE.
package configmap
