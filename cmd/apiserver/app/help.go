package app

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/options"
)

// helpColumns is the width --help wraps flag descriptions to, so the output
// is the same on every terminal and can be compared with a golden file.
const helpColumns = 100

// setHelp prints flags grouped by section, as kube-apiserver does, instead
// of cobra's single alphabetical list.
func setHelp(cmd *cobra.Command, sections []options.FlagSection) {
	print := func(w io.Writer) {
		fmt.Fprintf(w, "%s\n\nUsage:\n  %s [flags]\n", cmd.Long, cmd.Use)
		for _, s := range sections {
			fmt.Fprintf(w, "\n%s flags:\n\n%s", s.Title, s.Flags.FlagUsagesWrapped(helpColumns))
		}
		other := pflag.NewFlagSet("other", pflag.ContinueOnError)
		for _, name := range []string{"help", "version"} {
			other.AddFlag(cmd.Flags().Lookup(name))
		}
		fmt.Fprintf(w, "\nOther flags:\n\n%s", other.FlagUsagesWrapped(helpColumns))
	}
	cmd.SetHelpFunc(func(c *cobra.Command, _ []string) { print(c.OutOrStdout()) })
	cmd.SetUsageFunc(func(c *cobra.Command) error {
		var b strings.Builder
		print(&b)
		_, err := io.WriteString(c.ErrOrStderr(), b.String())
		return err
	})
}
