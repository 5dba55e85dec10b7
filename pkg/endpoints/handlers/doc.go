// Package handlers serves the REST verbs of one resource over HTTP: it
// negotiates the media type, decodes and checks request bodies, calls the
// generic store, and writes objects, lists, tables, watch streams and
// Status errors as kube-apiserver does.
package handlers
