// Package request parses what an API request is about (RequestInfo) and
// carries it, and the authenticated user, in the request's context.
package request
