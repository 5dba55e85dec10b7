// Package version reports which build of apiserver is running. The release
// build sets the variables below with -ldflags "-X ...".
package version

import (
	"fmt"
	"runtime"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

// Set at build time by hack/build.sh; the defaults describe a development
// build. gitMajor and gitMinor are the Kubernetes API level the server
// serves, which kubectl compares with its own version.
var (
	gitVersion   = "v0.1.0-dev"
	gitCommit    = ""
	gitTreeState = ""
	buildDate    = "1970-01-01T00:00:00Z"
	gitMajor     = "1"
	gitMinor     = "31"
)

// Get returns the version of this binary in the shape of kube-apiserver's
// /version answer.
func Get() apimachineryversion.Info {
	return apimachineryversion.Info{
		Major:        gitMajor,
		Minor:        gitMinor,
		GitVersion:   gitVersion,
		GitCommit:    gitCommit,
		GitTreeState: gitTreeState,
		BuildDate:    buildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
}
