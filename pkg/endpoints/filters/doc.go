// Package filters holds the HTTP middleware of the handler chain that needs
// to know about API requests: request info, authentication and
// authorization.
package filters
