package e2e

// The tests run a binary that TestMain builds from cmd/apiserver, which
// go test cannot see: importing the command ties this package's cached
// results to the server's source, so a change to the server reruns them.
import _ "github.com/apiserver/apiserver/cmd/apiserver/app"
