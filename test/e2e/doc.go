// Package e2e runs the real apiserver binary, as users and service
// managers do, and talks to it with real clients.
package e2e
