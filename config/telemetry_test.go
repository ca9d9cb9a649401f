package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTelemetryOffByDefault(t *testing.T) {
	t.Parallel()
	if Default().Telemetry != nil {
		t.Error("the embedded defaults export telemetry")
	}
	cfg, err := Parse("t.hcl", []byte(testTenant))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telemetry != nil {
		t.Error("a file without a telemetry block exports telemetry")
	}
	cfg, err = Parse("t.hcl", []byte(testTenant+"telemetry {\n  enabled = false\n  endpoint = \"127.0.0.1:4318\"\n}\n"))
	if err != nil || cfg.Telemetry != nil {
		t.Errorf("enabled = false: %v, %+v", err, cfg.Telemetry)
	}
}

func TestTelemetryBlock(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		block string
		want  Telemetry
	}{
		"defaults": {`endpoint = "collector:4318"`,
			Telemetry{Endpoint: "collector:4318", Protocol: "http", SampleRatio: 1, ServiceName: "picket", Timeout: 10 * time.Second, DecisionLogs: true}},
		"grpc, every field": {`
  endpoint      = "10.0.0.5:4317"
  protocol      = "grpc"
  insecure      = true
  headers       = { "x-scope-orgid" = "acme" }
  sample_ratio  = 0.25
  service_name  = "picket-eu"
  timeout       = "3s"
  decision_logs = false`,
			Telemetry{Endpoint: "10.0.0.5:4317", Protocol: "grpc", Insecure: true, Headers: map[string]string{"x-scope-orgid": "acme"},
				SampleRatio: 0.25, ServiceName: "picket-eu", Timeout: 3 * time.Second}},
		"http URL with a base path": {`endpoint = "http://otel.internal:4318/otlp/"`,
			Telemetry{Endpoint: "otel.internal:4318", URLPath: "/otlp", Protocol: "http", Insecure: true, SampleRatio: 1, ServiceName: "picket", Timeout: 10 * time.Second, DecisionLogs: true}},
		"https URL": {`endpoint = "https://otel.internal:4318"`,
			Telemetry{Endpoint: "otel.internal:4318", Protocol: "http", SampleRatio: 1, ServiceName: "picket", Timeout: 10 * time.Second, DecisionLogs: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Parse("t.hcl", []byte(testTenant+"telemetry {\n"+tc.block+"\n}\n"))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Telemetry == nil {
				t.Fatal("no telemetry")
			}
			if !strings.HasPrefix(cfg.Telemetry.Where, "t.hcl:2,") {
				t.Errorf("Where = %q", cfg.Telemetry.Where)
			}
			got := *cfg.Telemetry
			got.Where = ""
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("telemetry (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadTelemetryNamesFieldAndPosition(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	cases := map[string]struct {
		block string
		want  []string // each in the error; the block starts on line 2
	}{
		"missing endpoint": {`protocol = "grpc"`, []string{"t.hcl:2,", "invalid telemetry.endpoint", "needs the collector's endpoint"}},
		"empty endpoint":   {`endpoint = ""`, []string{"t.hcl:3,", "invalid telemetry.endpoint"}},
		"bad protocol":     {"endpoint = \"127.0.0.1:4318\"\nprotocol = \"udp\"", []string{"t.hcl:4,", "invalid telemetry.protocol", `"udp" is not one of http, grpc`}},
		"no port":          {`endpoint = "collector"`, []string{"t.hcl:3,", "invalid telemetry.endpoint", "not host:port"}},
		"bad scheme":       {`endpoint = "ftp://collector:21"`, []string{"t.hcl:3,", "invalid telemetry.endpoint"}},
		"grpc with path":   {"endpoint = \"http://collector:4317/x\"\nprotocol = \"grpc\"", []string{"t.hcl:3,", "a grpc endpoint has no path"}},
		"scheme vs insecure": {"endpoint = \"https://collector:4318\"\ninsecure = true",
			[]string{"t.hcl:4,", "invalid telemetry.insecure", "contradicts"}},
		"ratio above 1":  {"endpoint = \"c:4318\"\nsample_ratio = 1.5", []string{"t.hcl:4,", "invalid telemetry.sample_ratio", "between 0 and 1"}},
		"bad timeout":    {"endpoint = \"c:4318\"\ntimeout = \"soon\"", []string{"t.hcl:4,", "invalid telemetry.timeout"}},
		"empty service":  {"endpoint = \"c:4318\"\nservice_name = \" \"", []string{"t.hcl:4,", "invalid telemetry.service_name"}},
		"header name":    {"endpoint = \"c:4318\"\nheaders = { \"bad name\" = \"x\" }", []string{"t.hcl:4,", "invalid telemetry.headers", "not a header name"}},
		"header newline": {"endpoint = \"c:4318\"\nheaders = { \"x-a\" = \"1\\r\\nx-b: 2\" }", []string{"t.hcl:4,", "line break"}},
		"missing CA":     {"endpoint = \"c:4318\"\nca_file = \"" + filepath.Join(dir, "nope.pem") + "\"", []string{"t.hcl:4,", "invalid telemetry.ca_file", "cannot read"}},
		"CA not PEM":     {"endpoint = \"c:4318\"\nca_file = \"" + notPEM + "\"", []string{"t.hcl:4,", "holds no PEM certificate"}},
		"CA in plain text": {"endpoint = \"c:4318\"\ninsecure = true\nca_file = \"" + notPEM + "\"",
			[]string{"t.hcl:5,", "an insecure (plain text) endpoint uses no CA"}},
		"cert without key": {"endpoint = \"c:4318\"\ncert_file = \"" + notPEM + "\"", []string{"t.hcl:4,", "needs both cert_file and key_file"}},
		"unknown field":    {"endpoint = \"c:4318\"\nsampling = 1", []string{"t.hcl:4,", "Unsupported argument"}},
		"two blocks":       {"endpoint = \"c:4318\"\n}\ntelemetry {\nendpoint = \"d:4318\"", []string{"t.hcl:5,", "Duplicate telemetry block"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("t.hcl", []byte(testTenant+"telemetry {\n"+tc.block+"\n}\n"))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestTelemetryTLSFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for p, b := range map[string][]byte{ca: certPEM, cert: certPEM, key: keyPEM} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := testTenant + "telemetry {\nendpoint = \"c:4318\"\nca_file = \"" + ca + "\"\ncert_file = \"" + cert + "\"\nkey_file = \"" + key + "\"\n}\n"
	first, err := Parse("t.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if first.Telemetry.TLSDigest == "" || first.Telemetry.CAFile != ca || first.Telemetry.KeyFile != key {
		t.Fatalf("telemetry = %+v", first.Telemetry)
	}
	same, _ := Parse("t.hcl", []byte(src))
	if !first.Telemetry.Same(same.Telemetry) {
		t.Error("the same file twice is not the same telemetry")
	}
	// A rotated CA (same path, new contents) is a change for a reload.
	other, _ := selfSigned(t)
	os.WriteFile(ca, other, 0o600)
	rotated, err := Parse("t.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if first.Telemetry.Same(rotated.Telemetry) {
		t.Error("a rotated CA file is seen as no change")
	}
	// A key that is not the certificate's is refused, and the message
	// holds no key material.
	_, otherKey := selfSigned(t)
	os.WriteFile(key, otherKey, 0o600)
	_, err = Parse("t.hcl", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "invalid telemetry.cert_file") || strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Errorf("mismatched key: %v", err)
	}
}

func TestTelemetrySame(t *testing.T) {
	t.Parallel()
	a := &Telemetry{Endpoint: "c:4318", Protocol: "http", Headers: map[string]string{"a": "1"}, Where: "x.hcl:1,1"}
	b := *a
	b.Where, b.Headers = "y.hcl:9,1", map[string]string{"a": "1"}
	if !a.Same(&b) {
		t.Error("a block moved in the file is a change")
	}
	b.Headers = map[string]string{"a": "2"}
	if a.Same(&b) {
		t.Error("a new header value is no change")
	}
	if a.Same(nil) || !(*Telemetry)(nil).Same(nil) {
		t.Error("nil handling")
	}
}

func TestTelemetryStringHidesHeaders(t *testing.T) {
	t.Parallel()
	s := (&Telemetry{Endpoint: "c:4318", Protocol: "grpc", SampleRatio: 1, Headers: map[string]string{"authorization": "Bearer tok-123"}}).String()
	if strings.Contains(s, "tok-123") || !strings.Contains(s, "c:4318") {
		t.Errorf("String() = %q", s)
	}
}

// TestExampleTelemetryBlockLoads uncomments the example config's
// telemetry block and loads it: the documented block is a valid one.
func TestExampleTelemetryBlockLoads(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("picket.hcl")
	if err != nil {
		t.Fatal(err)
	}
	var block []string
	in := false
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "# telemetry {") {
			in = true
		}
		if !in {
			continue
		}
		line = strings.TrimPrefix(line, "#")
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "#") {
			continue // an optional field left commented out
		}
		block = append(block, line)
		if strings.TrimSpace(line) == "}" {
			break
		}
	}
	if len(block) < 5 {
		t.Fatal("no telemetry block in picket.hcl")
	}
	cfg, err := Parse("t.hcl", []byte(testTenant+strings.Join(block, "\n")+"\n"))
	if err != nil {
		t.Fatalf("the example telemetry block: %v", err)
	}
	if tc := cfg.Telemetry; tc == nil || tc.Endpoint != "127.0.0.1:4318" || tc.Protocol != "http" || !tc.Insecure || !tc.DecisionLogs {
		t.Errorf("example telemetry = %+v", cfg.Telemetry)
	}
}
