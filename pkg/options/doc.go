// Package options turns command-line flags into a server.Config. Each
// options type registers its flags (AddFlags), reports every invalid value
// at once (Validate), and fills its part of the configuration (ApplyTo).
// Options composes them into the flag sections the command shows.
package options
