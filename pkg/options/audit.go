package options

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/apiserver/apiserver/pkg/audit"
	"github.com/apiserver/apiserver/pkg/server"
)

// AuditOptions say what is audited and where events go. Both the policy
// and the log are needed; either alone audits nothing, as in
// kube-apiserver.
type AuditOptions struct {
	PolicyFile string
	LogPath    string
	MaxSize    int
	MaxBackups int
	MaxAge     int
}

// AddFlags registers the flags, with kube-apiserver's names.
func (o *AuditOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.PolicyFile, "audit-policy-file", o.PolicyFile,
		"audit.k8s.io/v1 Policy (YAML or JSON): the level and stages recorded per request. Empty: nothing is audited.")
	fs.StringVar(&o.LogPath, "audit-log-path", o.LogPath,
		"File to append audit events to, one audit.k8s.io/v1 Event per JSON line (created 0600); '-' writes them to standard output.")
	fs.IntVar(&o.MaxSize, "audit-log-maxsize", o.MaxSize, "Size in megabytes at which the audit log is rotated; 0 is 100.")
	fs.IntVar(&o.MaxBackups, "audit-log-maxbackup", o.MaxBackups, "Rotated audit logs to keep; 0 keeps them all.")
	fs.IntVar(&o.MaxAge, "audit-log-maxage", o.MaxAge, "Days to keep rotated audit logs; 0 keeps them regardless of age.")
}

// Validate reports every invalid flag value. The policy is read and
// checked here, so that a bad policy stops the start with its errors.
func (o *AuditOptions) Validate() []error {
	var errs []error
	if o.PolicyFile != "" {
		if _, err := audit.LoadPolicy(o.PolicyFile); err != nil {
			errs = append(errs, fmt.Errorf("--audit-policy-file: %w", err))
		}
	}
	if o.LogPath != "" && o.LogPath != "-" {
		if fi, err := os.Stat(filepath.Dir(o.LogPath)); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("--audit-log-path %s: the directory %s does not exist", o.LogPath, filepath.Dir(o.LogPath)))
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--audit-log-maxsize", o.MaxSize}, {"--audit-log-maxbackup", o.MaxBackups}, {"--audit-log-maxage", o.MaxAge}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("%s %d: must not be negative", f.name, f.v))
		}
	}
	return errs
}

// ApplyTo sets the audit policy and log of c.
func (o *AuditOptions) ApplyTo(c *server.Config) error {
	if o.PolicyFile == "" || o.LogPath == "" {
		return nil
	}
	policy, err := audit.LoadPolicy(o.PolicyFile)
	if err != nil {
		return fmt.Errorf("--audit-policy-file: %w", err)
	}
	log, err := audit.NewLog(audit.LogOptions{Path: o.LogPath, MaxSizeMB: o.MaxSize, MaxBackups: o.MaxBackups, MaxAgeDays: o.MaxAge})
	if err != nil {
		return fmt.Errorf("--audit-log-path: %w", err)
	}
	c.Audit = server.AuditConfig{Policy: policy, Sink: log}
	return nil
}
