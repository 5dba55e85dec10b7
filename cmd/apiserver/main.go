// Command apiserver runs a secure, Kubernetes-style API server.
package main

import (
	"os"

	"github.com/apiserver/apiserver/cmd/apiserver/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr))
}
