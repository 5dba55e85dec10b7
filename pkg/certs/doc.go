// Package certs creates and loads the TLS material the server needs when the
// operator supplies none: a self-signed CA, serving certificates and client
// certificates signed by it. Files are reused across restarts, written
// atomically, and private keys are only ever readable by their owner (0600).
package certs
