package options

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apiserver/apiserver/pkg/server"
)

// TestParsingNoFlagsMatchesDefaults keeps flag defaults and constructor
// defaults from drifting apart.
func TestParsingNoFlagsMatchesDefaults(t *testing.T) {
	o := NewOptions()
	for _, s := range o.Sections() {
		if err := s.Flags.Parse(nil); err != nil {
			t.Fatalf("parsing no %s flags: %v", s.Title, err)
		}
	}
	// The flag set and the values of the flags that have no effect are
	// what registering the flags adds; they are not defaults.
	o.Compatibility.fs, o.Compatibility.ignored = nil, nil
	if want := NewOptions(); !reflect.DeepEqual(o, want) {
		t.Errorf("options after parsing no flags = %+v, want %+v", o, want)
	}
}

func TestFlagsFillOptions(t *testing.T) {
	o := NewOptions()
	args := []string{
		"--bind-address=127.0.0.1", "--secure-port=7443", "--tls-min-version=VersionTLS13",
		"--http2-max-streams-per-connection=100", "--disable-http2-serving", "--permit-port-sharing",
		"--etcd-servers=https://10.0.0.5:2379,https://10.0.0.6:2379", "--etcd-prefix=/other",
		"--etcd-healthcheck-timeout=3s", "--etcd-compaction-interval=0",
		"--data-dir=/var/lib/apiserver", "--shutdown-delay-duration=5s", "--request-timeout=30s", "--livez-grace-period=10s",
		"--max-requests-inflight=50", "--max-mutating-requests-inflight=0", "--min-request-timeout=10m",
	}
	for _, s := range o.Sections() {
		s.Flags.ParseErrorsAllowlist.UnknownFlags = true
		if err := s.Flags.Parse(args); err != nil {
			t.Fatalf("parsing %s flags: %v", s.Title, err)
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"bind address", o.SecureServing.BindAddress.String(), "127.0.0.1"},
		{"port", o.SecureServing.BindPort, 7443},
		{"min TLS", o.SecureServing.MinTLSVersion, "VersionTLS13"},
		{"streams", o.SecureServing.HTTP2MaxStreamsPerConnection, 100},
		{"no http2", o.SecureServing.DisableHTTP2Serving, true},
		{"port sharing", o.SecureServing.PermitPortSharing, true},
		{"servers", o.Etcd.Servers, []string{"https://10.0.0.5:2379", "https://10.0.0.6:2379"}},
		{"prefix", o.Etcd.Prefix, "/other"},
		{"healthcheck", o.Etcd.HealthcheckTimeout, 3 * time.Second},
		{"compaction", o.Etcd.CompactionInterval, time.Duration(0)},
		{"data dir", o.Generic.DataDir, "/var/lib/apiserver"},
		{"delay", o.Generic.ShutdownDelayDuration, 5 * time.Second},
		{"timeout", o.Generic.RequestTimeout, 30 * time.Second},
		{"grace", o.Generic.LivezGracePeriod, 10 * time.Second},
		{"in flight", o.Generic.MaxRequestsInFlight, 50},
		{"mutating in flight", o.Generic.MaxMutatingRequestsInFlight, 0},
		{"min request timeout", o.Generic.MinRequestTimeout, 10 * time.Minute},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	o.Complete()
	if want := filepath.Join("/var/lib/apiserver", "pki"); o.SecureServing.CertDirectory != want {
		t.Errorf("cert dir = %q, want %q", o.SecureServing.CertDirectory, want)
	}
}

func TestSecureServingValidate(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "exists.pem")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	insecure := tls.InsecureCipherSuites()[0].Name
	tests := []struct {
		name   string
		mutate func(*SecureServingOptions)
		want   []string // substrings, one per expected error, in order
	}{
		{"defaults", func(*SecureServingOptions) {}, nil},
		{"port 0", func(o *SecureServingOptions) { o.BindPort = 0 }, []string{"--secure-port 0 must be between 1 and 65535"}},
		{"port too big", func(o *SecureServingOptions) { o.BindPort = 65536 }, []string{"--secure-port 65536"}},
		{"highest port", func(o *SecureServingOptions) { o.BindPort = 65535 }, nil},
		{"no bind address", func(o *SecureServingOptions) { o.BindAddress = nil }, []string{"--bind-address"}},
		{"TLS 1.3", func(o *SecureServingOptions) { o.MinTLSVersion = "VersionTLS13" }, nil},
		{"TLS 1.1 rejected", func(o *SecureServingOptions) { o.MinTLSVersion = "VersionTLS11" }, []string{`--tls-min-version "VersionTLS11" is not supported`}},
		{"TLS 1.0 rejected", func(o *SecureServingOptions) { o.MinTLSVersion = "VersionTLS10" }, []string{"--tls-min-version"}},
		{"secure suite", func(o *SecureServingOptions) {
			o.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
		}, nil},
		{"insecure suite", func(o *SecureServingOptions) { o.CipherSuites = []string{insecure} }, []string{"--tls-cipher-suites: " + insecure + " is insecure"}},
		{"unknown suite", func(o *SecureServingOptions) { o.CipherSuites = []string{"TLS_NOPE"} }, []string{"--tls-cipher-suites: unknown cipher suite TLS_NOPE"}},
		{"suites with TLS 1.3", func(o *SecureServingOptions) {
			o.MinTLSVersion = "VersionTLS13"
			o.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
		}, []string{"--tls-cipher-suites cannot be set with --tls-min-version=VersionTLS13"}},
		{"negative streams", func(o *SecureServingOptions) { o.HTTP2MaxStreamsPerConnection = -1 }, []string{"--http2-max-streams-per-connection -1"}},
		{"cert without key", func(o *SecureServingOptions) { o.CertFile = file }, []string{"--tls-cert-file requires --tls-private-key-file"}},
		{"key without cert", func(o *SecureServingOptions) { o.KeyFile = file }, []string{"--tls-private-key-file requires --tls-cert-file"}},
		{"unreadable files", func(o *SecureServingOptions) { o.CertFile, o.KeyFile = missing, missing }, []string{"--tls-cert-file: open", "--tls-private-key-file: open"}},
		{"every error at once", func(o *SecureServingOptions) {
			o.BindPort, o.MinTLSVersion, o.HTTP2MaxStreamsPerConnection = -5, "VersionSSL30", -2
		}, []string{"--secure-port", "--tls-min-version", "--http2-max-streams-per-connection"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewSecureServingOptions()
			tc.mutate(o)
			expectErrors(t, o.Validate(), tc.want)
		})
	}
}

func TestEtcdValidate(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	malformed := filepath.Join(t.TempDir(), "encryption.yaml")
	if err := os.WriteFile(malformed, []byte("resources: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*EtcdOptions)
		want   []string
	}{
		{"defaults (embedded)", func(*EtcdOptions) {}, nil},
		{"external", func(o *EtcdOptions) { o.Servers = []string{"https://10.0.0.5:2379", "http://127.0.0.1:2379"} }, nil},
		{"not a URL", func(o *EtcdOptions) { o.Servers = []string{"10.0.0.5:2379"} }, []string{"--etcd-servers"}},
		{"bad scheme", func(o *EtcdOptions) { o.Servers = []string{"ftp://10.0.0.5:2379"} }, []string{"--etcd-servers: \"ftp://10.0.0.5:2379\": scheme must be"}},
		{"path in URL", func(o *EtcdOptions) { o.Servers = []string{"https://10.0.0.5:2379/x"} }, []string{"must be scheme://host:port"}},
		{"empty prefix", func(o *EtcdOptions) { o.Prefix = "" }, []string{"--etcd-prefix must not be empty"}},
		{"TLS files without servers", func(o *EtcdOptions) { o.CAFile = "/ca" }, []string{"--etcd-cafile requires --etcd-servers", "--etcd-cafile: open"}},
		{"cert without key", func(o *EtcdOptions) {
			o.Servers = []string{"https://a:2379"}
			o.CertFile = missing
		}, []string{"--etcd-certfile and --etcd-keyfile must be set together", "--etcd-certfile: open"}},
		{"zero health timeout", func(o *EtcdOptions) { o.HealthcheckTimeout = 0 }, []string{"--etcd-healthcheck-timeout 0s must be greater than 0"}},
		{"zero ready timeout", func(o *EtcdOptions) { o.ReadycheckTimeout = 0 }, []string{"--etcd-readycheck-timeout"}},
		{"negative compaction", func(o *EtcdOptions) { o.CompactionInterval = -time.Second }, []string{"--etcd-compaction-interval -1s must not be negative"}},
		{"no watch cache window", func(o *EtcdOptions) { o.WatchCacheSize = 0 }, []string{"--default-watch-cache-size 0 must be greater than 0"}},
		{"compaction off", func(o *EtcdOptions) { o.CompactionInterval = 0 }, nil},
		{"encryption config missing", func(o *EtcdOptions) { o.EncryptionProviderConfig = missing },
			[]string{"--encryption-provider-config: reading the encryption provider config " + missing + ": open"}},
		{"encryption config malformed", func(o *EtcdOptions) { o.EncryptionProviderConfig = malformed },
			[]string{"--encryption-provider-config: encryption provider config " + malformed + ": kind \"\" and apiVersion \"\" must be"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewEtcdOptions()
			tc.mutate(o)
			expectErrors(t, o.Validate(), tc.want)
		})
	}
}

func TestServerRunValidate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*ServerRunOptions)
		want   []string
	}{
		{"defaults", func(*ServerRunOptions) {}, nil},
		{"empty data dir", func(o *ServerRunOptions) { o.DataDir = "" }, []string{"--data-dir must not be empty"}},
		{"data dir is a file", func(o *ServerRunOptions) { o.DataDir = file }, []string{"is not a directory"}},
		{"negative delay", func(o *ServerRunOptions) { o.ShutdownDelayDuration = -time.Second }, []string{"--shutdown-delay-duration"}},
		{"zero request timeout", func(o *ServerRunOptions) { o.RequestTimeout = 0 }, []string{"--request-timeout 0s must be greater than 0"}},
		{"negative grace", func(o *ServerRunOptions) { o.LivezGracePeriod = -1 }, []string{"--livez-grace-period"}},
		{"zero min request timeout", func(o *ServerRunOptions) { o.MinRequestTimeout = 0 }, []string{"--min-request-timeout 0s must be greater than 0"}},
		{"negative limits, both reported", func(o *ServerRunOptions) { o.MaxRequestsInFlight, o.MaxMutatingRequestsInFlight = -1, -2 },
			[]string{"--max-requests-inflight -1 must not be negative", "--max-mutating-requests-inflight -2 must not be negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewServerRunOptions()
			tc.mutate(o)
			expectErrors(t, o.Validate(), tc.want)
		})
	}
}

func TestNilOptionsValidate(t *testing.T) {
	var s *SecureServingOptions
	var e *EtcdOptions
	var g *ServerRunOptions
	if errs := append(append(s.Validate(), e.Validate()...), g.Validate()...); len(errs) != 0 {
		t.Errorf("nil options reported %v", errs)
	}
}

func TestServingIPsIncludeBindAddress(t *testing.T) {
	tests := []struct {
		bind string
		want int
	}{{"0.0.0.0", 2}, {"127.0.0.1", 2}, {"10.1.2.3", 3}, {"::", 2}}
	for _, tc := range tests {
		if got := servingIPs(net.ParseIP(tc.bind)); len(got) != tc.want {
			t.Errorf("servingIPs(%s) = %v, want %d addresses", tc.bind, got, tc.want)
		}
	}
}

func expectErrors(t *testing.T, errs []error, want []string) {
	t.Helper()
	if len(errs) != len(want) {
		t.Fatalf("got %d errors %q, want %d matching %q", len(errs), errs, len(want), want)
	}
	for i, err := range errs {
		if !strings.Contains(err.Error(), want[i]) {
			t.Errorf("error %d = %q, want it to contain %q", i, err, want[i])
		}
	}
}

func TestAuthorizationValidate(t *testing.T) {
	tests := []struct {
		name  string
		modes []string
		want  []string
	}{
		{"default", NewAuthorizationOptions().Modes, nil},
		{"every mode", []string{"RBAC", "AlwaysDeny", "AlwaysAllow"}, nil},
		{"none", nil, []string{"--authorization-mode: at least one mode is required"}},
		{"unknown and repeated", []string{"Webhook", "RBAC", "RBAC"},
			[]string{`--authorization-mode: unknown mode "Webhook": use AlwaysAllow, AlwaysDeny, RBAC`, `--authorization-mode: "RBAC" given twice`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &AuthorizationOptions{Modes: tc.modes}
			expectErrors(t, o.Validate(), tc.want)
		})
	}
}

func TestServiceAccountValidate(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.key")
	tests := []struct {
		name string
		set  func(o *ServiceAccountOptions)
		want []string
	}{
		{"default", func(*ServiceAccountOptions) {}, nil},
		{"a plain issuer name", func(o *ServiceAccountOptions) { o.Issuers = []string{"kubernetes/serviceaccount"} }, nil},
		{"no issuer", func(o *ServiceAccountOptions) { o.Issuers = nil }, []string{"--service-account-issuer: at least one issuer is required"}},
		{"bad issuers", func(o *ServiceAccountOptions) { o.Issuers = []string{"", "https//x:y"} }, []string{
			"--service-account-issuer: may not be empty", `--service-account-issuer "https//x:y": an issuer with a colon must be a URL`}},
		{"missing key files", func(o *ServiceAccountOptions) { o.SigningKeyFile, o.KeyFiles = missing, []string{missing} }, []string{
			"--service-account-signing-key-file: open " + missing, "--service-account-key-file: open " + missing}},
		{"short cap", func(o *ServiceAccountOptions) { o.MaxExpiration = time.Minute }, []string{"--service-account-max-token-expiration 1m0s: must be 0 or at least 1h"}},
		{"plain http jwks", func(o *ServiceAccountOptions) { o.JWKSURI = "http://x/jwks" }, []string{`--service-account-jwks-uri "http://x/jwks": must be an https URL`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewServiceAccountOptions()
			tc.set(o)
			expectErrors(t, o.Validate(), tc.want)
		})
	}
}

func TestAuditValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n"), 0o600) //nolint:errcheck // read below
	os.WriteFile(bad, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Most}]\n"), 0o600)      //nolint:errcheck // read below
	tests := []struct {
		name string
		o    AuditOptions
		want []string
	}{
		{"off", AuditOptions{}, nil},
		{"to a file", AuditOptions{PolicyFile: good, LogPath: filepath.Join(dir, "audit.log"), MaxSize: 10}, nil},
		{"to stdout", AuditOptions{PolicyFile: good, LogPath: "-"}, nil},
		{"a bad policy", AuditOptions{PolicyFile: bad}, []string{`--audit-policy-file: ` + bad + `: rules[0].level: Unsupported value: "Most"`}},
		{"no such directory", AuditOptions{LogPath: filepath.Join(dir, "none", "audit.log")}, []string{"--audit-log-path " + filepath.Join(dir, "none", "audit.log") + ": the directory"}},
		{"negative rotation", AuditOptions{MaxSize: -1, MaxBackups: -1, MaxAge: -1}, []string{
			"--audit-log-maxsize -1: must not be negative", "--audit-log-maxbackup -1: must not be negative", "--audit-log-maxage -1: must not be negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectErrors(t, tc.o.Validate(), tc.want)
		})
	}
}

func TestServicesValidate(t *testing.T) {
	svc := func(ips, ports string) ServicesOptions {
		o := NewServicesOptions()
		if ips != "" {
			o.ServiceClusterIPRange = ips
		}
		if ports != "" {
			o.ServiceNodePortRange = ports
		}
		return *o
	}
	tests := []struct {
		name string
		o    ServicesOptions
		want []string
	}{
		{"defaults", svc("", ""), nil},
		{"envtest's", svc("10.0.0.0/24", ""), nil},
		{"dual stack", svc("10.96.0.0/12,fd00::/108", "30000-32767"), nil},
		{"IPv6 first", svc("fd00::/108,10.96.0.0/16", ""), nil},
		{"not a CIDR", svc("10.0.0.0", ""), []string{`--service-cluster-ip-range "10.0.0.0": "10.0.0.0" is not a CIDR`}},
		{"three ranges", svc("10.0.0.0/24,10.1.0.0/24,fd00::/108", ""), []string{"at most two ranges"}},
		{"one family twice", svc("10.0.0.0/24,10.1.0.0/24", ""), []string{"two ranges must be of different IP families"}},
		{"too large", svc("10.0.0.0/8", ""), []string{"10.0.0.0/8 is too large; for IPv4 the mask must be >= 12"}},
		{"too large IPv6", svc("fd00::/64", ""), []string{"fd00::/64 is too large; for IPv6 the mask must be >= 108"}},
		{"too small", svc("10.0.0.0/31", ""), []string{"10.0.0.0/31 is too small"}},
		{"bad port ranges", svc("", "32767-30000"), []string{`--service-node-port-range "32767-30000"`}},
		{"both", svc("x", "y"), []string{`"x" is not a CIDR`, `--service-node-port-range "y"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			expectErrors(t, tc.o.Validate(), tc.want)
		})
	}
}

// TestServicesApplyTo: the advertised address is --advertise-address,
// else --bind-address, else one of the host's; the ranges as parsed.
func TestServicesApplyTo(t *testing.T) {
	for _, tc := range []struct {
		name            string
		advertise, bind string
		want            string
	}{
		{"advertise", "192.0.2.9", "127.0.0.1", "192.0.2.9"},
		{"bind", "", "127.0.0.1", "127.0.0.1"},
		{"unspecified advertise", "0.0.0.0", "198.51.100.1", "198.51.100.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := NewServicesOptions()
			o.ServiceClusterIPRange = "fd00::/108,10.1.0.0/16"
			o.AdvertiseAddress, o.BindAddress = net.ParseIP(tc.advertise), net.ParseIP(tc.bind)
			var c server.Config
			if err := o.ApplyTo(&c); err != nil {
				t.Fatal(err)
			}
			if c.Services.AdvertiseAddress.String() != tc.want {
				t.Errorf("advertised %s, want %s", c.Services.AdvertiseAddress, tc.want)
			}
			if len(c.Services.ClusterIPRanges) != 2 || c.Services.ClusterIPRanges[0].String() != "fd00::/108" ||
				c.Services.NodePortBase != 30000 || c.Services.NodePortSize != 2768 {
				t.Errorf("services config = %+v", c.Services)
			}
		})
	}
	o := NewServicesOptions()
	o.BindAddress = net.IPv4zero
	var c server.Config
	if err := o.ApplyTo(&c); err != nil {
		t.Fatal(err)
	}
	if ip := c.Services.AdvertiseAddress; ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		t.Errorf("the host's address is %s", ip)
	}
}

// TestAdmissionPluginFlags: kube's plugin names are accepted, unknown
// ones refused as kube refuses them, and the served plugins disabled as
// the flags say.
func TestAdmissionPluginFlags(t *testing.T) {
	tests := []struct {
		name                     string
		enable, disable, admCtrl []string
		wantErrs, wantDisabled   []string
	}{
		{"none", nil, nil, nil, nil, nil},
		{"envtest", nil, []string{"ServiceAccount"}, nil, nil, []string{"ServiceAccount"}},
		{"kubeadm", []string{"NodeRestriction"}, nil, nil, nil, nil},
		{"unknown", []string{"Bogus"}, []string{"Nope"}, nil,
			[]string{`enable-admission-plugins plugin "Bogus" is unknown`, `disable-admission-plugins plugin "Nope" is unknown`}, nil},
		{"overlap", []string{"Priority"}, []string{"Priority"}, nil, []string{"Priority in enable-admission-plugins and disable-admission-plugins overlapped"}, []string{"Priority"}},
		{"the old exact list", nil, nil, []string{"NamespaceLifecycle", "Priority"}, nil,
			[]string{"LimitRanger", "ServiceAccount", "DefaultTolerationSeconds", "RuntimeClass", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota"}},
		{"webhooks off", nil, []string{"ValidatingAdmissionWebhook", "MutatingAdmissionWebhook"}, nil, nil, []string{"MutatingAdmissionWebhook", "ValidatingAdmissionWebhook"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := &CompatibilityOptions{EnableAdmissionPlugins: tc.enable, DisableAdmissionPlugins: tc.disable, AdmissionControl: tc.admCtrl}
			expectErrors(t, o.Validate(), tc.wantErrs)
			var c server.Config
			if err := o.ApplyTo(&c); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(c.DisabledAdmissionPlugins, tc.wantDisabled) {
				t.Errorf("disabled %v, want %v", c.DisabledAdmissionPlugins, tc.wantDisabled)
			}
		})
	}
}

// TestKubeletClient: the certificate and key go together, address types
// are kube's, and without a CA kubelets' certificates are not verified,
// as kube-apiserver does.
func TestKubeletClient(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    KubeletClientOptions
		want []string
	}{
		{"defaults", *NewKubeletClientOptions(), nil},
		{"certificate alone", KubeletClientOptions{ClientCertificate: "c.crt"}, []string{"--kubelet-client-certificate and --kubelet-client-key must be given together"}},
		{"unknown address type", KubeletClientOptions{PreferredAddressTypes: []string{"InternalIP", "Nearby"}}, []string{`--kubelet-preferred-address-types: "Nearby" is not a node address type`}},
	} {
		t.Run(tc.name, func(t *testing.T) { expectErrors(t, tc.o.Validate(), tc.want) })
	}
	var c server.Config
	if err := NewKubeletClientOptions().ApplyTo(&c); err != nil || c.Kubelet.CAFile != "" || len(c.Kubelet.PreferredAddressTypes) != 5 {
		t.Errorf("defaults: %v %+v", err, c.Kubelet)
	}
	o := NewKubeletClientOptions()
	o.CertificateAuthority = filepath.Join(t.TempDir(), "missing.crt")
	if err := o.ApplyTo(&c); err == nil || !strings.Contains(err.Error(), "reading --kubelet-certificate-authority") {
		t.Errorf("a missing CA: %v", err)
	}
}

func TestAggregationValidate(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.crt")
	tests := []struct {
		name string
		set  func(o *AggregationOptions)
		want []string
	}{
		{"default", func(*AggregationOptions) {}, nil},
		{"missing files", func(o *AggregationOptions) {
			o.RequestHeaderClientCAFile, o.ProxyClientCertFile, o.ProxyClientKeyFile = missing, missing, missing
			o.RequestHeaderUsernameHeaders = []string{"X-Remote-User"}
		}, []string{"--requestheader-client-ca-file: open " + missing, "--proxy-client-cert-file: open " + missing, "--proxy-client-key-file: open " + missing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := NewAggregationOptions()
			tc.set(o)
			expectErrors(t, o.Validate(), tc.want)
		})
	}
	var nilOpts *AggregationOptions
	if errs := nilOpts.Validate(); len(errs) != 0 {
		t.Errorf("nil options reported %v", errs)
	}
	// Each error names its flag, one line each.
	ca := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(ca, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := NewAggregationOptions()
	o.RequestHeaderClientCAFile, o.ProxyClientCertFile = ca, ca
	expectErrors(t, o.Validate(), []string{
		"--proxy-client-cert-file and --proxy-client-key-file: give both or neither",
		"--requestheader-username-headers: needed with --requestheader-client-ca-file (X-Remote-User is common)",
	})
}
