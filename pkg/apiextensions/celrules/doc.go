// Package celrules compiles and evaluates the x-kubernetes-validations
// rules of a CustomResourceDefinition schema as kube-apiserver 1.31 does:
// each rule is type-checked against the schema (self has the type of the
// node it is written on; objects are struct types with their properties
// as fields, restricted to name and generateName under the root
// metadata), refused when it does not compile or does not yield a bool,
// and run on create and update with self and, for transition rules that
// use oldSelf, the correlated old value (object fields, map values, and
// the items of x-kubernetes-list-type=map lists by their keys). On
// update, values the update left unchanged are not validated again
// (ratcheting). A failed rule reports its message, messageExpression,
// reason and fieldPath as kube does, with the node's type as the value;
// evaluation is bounded by a per-call cost limit and a per-object budget.
package celrules
