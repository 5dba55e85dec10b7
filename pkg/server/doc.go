// Package server is the generic API server: configuration, the delegation
// chain of servers, the handler chain every request passes, health
// endpoints, post-start hooks, secure HTTP/2 serving and the graceful
// shutdown sequence.
//
// A process builds a Config, completes it, opens its storage, creates one
// GenericAPIServer per link of the chain with New (each falls through to its
// delegate on a path it does not serve), prepares the top one with
// PrepareRun and calls Run.
package server
