package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/picketsec/picket/sdk"
)

func TestSinkConfig(t *testing.T) {
	t.Setenv("PICKET_TEST_HOOK_TOKEN", "tok")
	t.Setenv("PICKET_TEST_HOOK_HMAC", "key")
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	caPEM, _ := selfSigned(t)
	os.WriteFile(ca, caPEM, 0o600)
	src := testTenant + `
sink "siem" {
  type             = "webhook"
  url              = "https://siem.internal/picket"
  min_severity     = "medium"
  bearer_token_env = "PICKET_TEST_HOOK_TOKEN"
  hmac_key_env     = "PICKET_TEST_HOOK_HMAC"
  timeout          = "5s"
  backoff          = "250ms"
  max_backoff      = "2m"
  spool_max_size   = "16MiB"
  spool_max_records = 5000
}
sink "rsyslog" {
  type        = "syslog"
  network     = "tls"
  address     = "logs.internal:6514"
  ca_file     = "` + ca + `"
  server_name = "logs.internal"
}`
	cfg, err := Parse("t.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Sink{
		{Name: "siem", Type: "webhook", URL: "https://siem.internal/picket", Network: "udp", MinSeverity: sdk.SeverityMedium,
			BearerTokenEnv: "PICKET_TEST_HOOK_TOKEN", HMACKeyEnv: "PICKET_TEST_HOOK_HMAC",
			Timeout: 5 * time.Second, Backoff: 250 * time.Millisecond, MaxBackoff: 2 * time.Minute, SpoolMaxBytes: 16 << 20, SpoolMaxRecords: 5000},
		{Name: "rsyslog", Type: "syslog", Address: "logs.internal:6514", Network: "tls", MinSeverity: sdk.SeverityHigh, CAFile: ca, ServerName: "logs.internal"},
	}
	if d := cmp.Diff(want, cfg.Sinks); d != "" {
		t.Errorf("sinks (-want +got):\n%s", d)
	}
}

// TestBadSinkRefusedWithPosition: each bad sink block is refused with the
// file:line of the field (or of the block when a field is missing).
func TestBadSinkRefusedWithPosition(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	cases := map[string]struct {
		body string
		want []string
	}{
		"missing url":      {`type = "webhook"`, []string{"t.hcl:2,", `sink "s" url`, "needs a url"}},
		"bad url":          {"type = \"webhook\"\nurl = \"ftp://x\"", []string{"t.hcl:4,", "not an http:// or https:// URL"}},
		"missing address":  {`type = "syslog"`, []string{"t.hcl:2,", "needs an address"}},
		"bad address":      {"type = \"syslog\"\naddress = \"nowhere\"", []string{"t.hcl:4,", "is not host:port"}},
		"bad network":      {"type = \"syslog\"\naddress = \"h:514\"\nnetwork = \"quic\"", []string{"t.hcl:5,", `"quic" is not one of udp, tcp, tls`}},
		"missing ca file":  {"type = \"syslog\"\naddress = \"h:6514\"\nnetwork = \"tls\"\nca_file = \"" + filepath.Join(dir, "nope.pem") + "\"", []string{"t.hcl:6,", "ca_file", "cannot read"}},
		"ca not pem":       {"type = \"syslog\"\naddress = \"h:6514\"\nnetwork = \"tls\"\nca_file = \"" + notPEM + "\"", []string{"t.hcl:6,", "holds no PEM certificate"}},
		"cert no key":      {"type = \"syslog\"\naddress = \"h:6514\"\nnetwork = \"tls\"\ncert_file = \"" + notPEM + "\"", []string{"t.hcl:6,", "cert_file needs key_file"}},
		"bad cert":         {"type = \"syslog\"\naddress = \"h:6514\"\nnetwork = \"tls\"\ncert_file = \"" + notPEM + "\"\nkey_file = \"" + notPEM + "\"", []string{"t.hcl:6,", "do not load"}},
		"tls field on udp": {"type = \"syslog\"\naddress = \"h:514\"\nca_file = \"x\"", []string{"t.hcl:5,", "only a syslog (network = \"tls\") sink takes ca_file"}},
		"url on syslog":    {"type = \"syslog\"\naddress = \"h:514\"\nurl = \"https://x\"", []string{"t.hcl:5,", "only a webhook sink takes url"}},
		"token not set":    {"type = \"webhook\"\nurl = \"https://x\"\nbearer_token_env = \"PICKET_TEST_UNSET_VAR\"", []string{"t.hcl:5,", `"PICKET_TEST_UNSET_VAR" is not set`}},
		"bad size":         {"type = \"webhook\"\nurl = \"https://x\"\nspool_max_size = \"lots\"", []string{"t.hcl:5,", "not a size"}},
		"tiny size":        {"type = \"webhook\"\nurl = \"https://x\"\nspool_max_size = \"1KiB\"", []string{"t.hcl:5,", "outside 64KiB"}},
		"zero records":     {"type = \"webhook\"\nurl = \"https://x\"\nspool_max_records = 0", []string{"t.hcl:5,", "at least 1"}},
		"backoff order":    {"type = \"webhook\"\nurl = \"https://x\"\nbackoff = \"10s\"\nmax_backoff = \"1s\"", []string{"t.hcl:6,", "shorter than backoff"}},
		"bad timeout":      {"type = \"webhook\"\nurl = \"https://x\"\ntimeout = \"soon\"", []string{"t.hcl:5,", "not a duration"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := testTenant + "sink \"s\" {\n" + tc.body + "\n}\n"
			_, err := Parse("t.hcl", []byte(src))
			if err == nil {
				t.Fatalf("accepted:\n%s", src)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	for name, src := range map[string]string{
		"dup":      "sink \"s\" {\ntype = \"webhook\"\nurl = \"https://x\"\n}\nsink \"s\" {\ntype = \"webhook\"\nurl = \"https://y\"\n}",
		"bad name": "sink \"../x\" {\ntype = \"webhook\"\nurl = \"https://x\"\n}",
	} {
		_, err := Parse("t.hcl", []byte(testTenant+src))
		if err == nil || !strings.Contains(err.Error(), "invalid sink") || !strings.Contains(err.Error(), "t.hcl:") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
