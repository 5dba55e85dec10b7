// Package rest defines what a resource type contributes to the API: its
// names and scope (ResourceInfo), how objects are prepared and validated on
// create and update (Strategy), which fields selectors may use, and how it
// prints as a table. The generic store in package registry/generic turns a
// Strategy into a full read-write, watchable resource, so a new type is a
// Strategy and a few lines of wiring.
package rest
