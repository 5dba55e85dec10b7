// Package version reports which build of apiserver is running. The release
// build sets the variables below with -ldflags "-X ...".
package version

import (
	"fmt"
	"runtime"
	"strings"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

// Set at build time by hack/build.sh; the defaults describe a development
// build.
var (
	gitVersion   = "v0.1.0-dev"
	gitCommit    = ""
	gitTreeState = ""
	buildDate    = "1970-01-01T00:00:00Z"
)

// The Kubernetes API level served. kubectl and client-go compare it with
// their own version (kubectl warns beyond one minor version of skew), so
// /version reports it first, with this build's own version as semver build
// metadata: v1.31.0+apiserver.0.1.0-dev.
const (
	kubeMajor = "1"
	kubeMinor = "31"
)

// Binary returns this build's own version, such as v0.1.0.
func Binary() string { return gitVersion }

// Get returns the version in the shape of kube-apiserver's /version answer.
func Get() apimachineryversion.Info {
	return apimachineryversion.Info{
		Major:        kubeMajor,
		Minor:        kubeMinor,
		GitVersion:   "v" + kubeMajor + "." + kubeMinor + ".0+apiserver." + strings.TrimPrefix(gitVersion, "v"),
		GitCommit:    gitCommit,
		GitTreeState: gitTreeState,
		BuildDate:    buildDate,
		GoVersion:    runtime.Version(),
		Compiler:     runtime.Compiler,
		Platform:     fmt.Sprintf("%s/%s", runtime.GOOS, runtime.GOARCH),
	}
}
