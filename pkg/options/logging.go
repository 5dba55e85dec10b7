package options

import (
	"flag"

	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

// LoggingOptions exposes klog's verbosity flags. klog keeps the values
// itself; these flags only write into it.
type LoggingOptions struct{}

// AddFlags registers -v/--v and --vmodule.
func (o *LoggingOptions) AddFlags(fs *pflag.FlagSet) {
	gfs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(gfs)
	for _, name := range []string{"v", "vmodule"} {
		pf := pflag.PFlagFromGoFlag(gfs.Lookup(name))
		if name == "v" {
			pf.Shorthand = "v"
			pf.Usage = "Number for the log level verbosity (0-10; 2 shows lifecycle details, 5 TLS handshake failures)."
		}
		fs.AddFlag(pf)
	}
}

// Validate has nothing to check: klog refuses bad values while parsing.
func (o *LoggingOptions) Validate() []error { return nil }
