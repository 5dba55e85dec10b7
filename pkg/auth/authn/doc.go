// Package authn finds out who sent a request: from a client certificate
// signed by --client-ca-file (CN is the user, O the groups) or from a static
// bearer token of --token-auth-file. The authentication filter of the server
// uses a Union of them and falls back to the anonymous user where allowed.
package authn
