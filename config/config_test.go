package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/sdk"
)

func TestExampleConfigLoads(t *testing.T) {
	t.Parallel()
	cfg, err := Load("picket.hcl")
	if err != nil {
		t.Fatalf("example config: %v", err)
	}
	if cfg.Listen != "127.0.0.1:8080" || cfg.Mode != ModeMonitor || cfg.Budget != 250*time.Millisecond {
		t.Errorf("top level = %q %q %v", cfg.Listen, cfg.Mode, cfg.Budget)
	}
	if len(cfg.Detectors) != 3 {
		t.Fatalf("detectors = %d, want 3", len(cfg.Detectors))
	}
	cmd := cfg.Detectors[2]
	if cmd.Name != "commands" || cmd.Timeout != 50*time.Millisecond || cmd.Action != ActionBlock || cmd.MinSeverity != sdk.SeverityHigh {
		t.Errorf("commands detector = %+v", cmd)
	}
	if cfg.Store.Payload != PayloadRedacted {
		t.Errorf("payload = %q", cfg.Store.Payload)
	}
}

func TestDetectorConfigBecomesJSON(t *testing.T) {
	t.Parallel()
	src := `
tenant "a" { api_key_sha256 = ["` + strings.Repeat("ab", 32) + `"] }
detector "deny" {
  source = "wasm"
  path   = "x.wasm"
  sha256 = "` + strings.Repeat("cd", 32) + `"
  config = { words = ["zebra", "lion"], n = 3 }
}`
	cfg, err := Parse("t.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(cfg.Detectors[0].Config); got != `{"n":3,"words":["zebra","lion"]}` {
		t.Errorf("config JSON = %s", got)
	}
	if cfg.Tenants[0].Mode != ModeMonitor {
		t.Errorf("tenant mode = %q, want the global default", cfg.Tenants[0].Mode)
	}
}

func TestBadConfigNamesFieldAndPosition(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("ab", 32)
	cases := map[string]struct {
		src  string
		want []string
	}{
		"bad mode":         {`mode = "enforcing"`, []string{"t.hcl:1,", "invalid mode", `"enforcing" is not one of off, monitor, enforce`}},
		"bad budget":       {`budget = "fast"`, []string{"t.hcl:1,", "invalid budget"}},
		"unknown field":    {`listne = "x"`, []string{"t.hcl:1,", "Unsupported argument"}},
		"syntax":           {`mode = `, []string{"t.hcl:1,"}},
		"raw key":          {`tenant "a" { api_key_sha256 = ["pk_live_123"] }`, []string{`invalid tenant "a" api_key_sha256`, "not a hex SHA-256"}},
		"no key":           {`tenant "a" {}`, []string{`tenant "a" api_key_sha256`}},
		"dup key":          {`tenant "a" { api_key_sha256 = ["` + key + `"] }` + "\n" + `tenant "b" { api_key_sha256 = ["` + key + `"] }`, []string{"t.hcl:2,", `also given to tenant "a"`}},
		"wasm without sha": {`detector "x" {` + "\n" + `source = "wasm"` + "\n" + `path = "x.wasm"` + "\n}", []string{`detector "x" sha256`}},
		"bad severity":     {`detector "secrets" {` + "\n" + `min_severity = "severe"` + "\n}", []string{"t.hcl:2,", `detector "secrets" min_severity`, "unknown severity"}},
		"bad kind":         {`detector "secrets" {` + "\n" + `kinds = ["prompt", "email"]` + "\n}", []string{"t.hcl:2,", `"email" is not an item kind`}},
		"bad regex":        {`detector "secrets" {` + "\n" + `allow_regex = ["("]` + "\n}", []string{"t.hcl:2,", "does not compile"}},
		"config not obj":   {`detector "secrets" {` + "\n" + `config = 3` + "\n}", []string{"t.hcl:2,", "must be an object"}},
		"several at once":  {"mode = \"x\"\nbudget = \"y\"", []string{"t.hcl:1,", "t.hcl:2,"}},
		"empty file":       {"", []string{"t.hcl:1,1", "invalid tenant", "declares no tenant"}},
		"no tenant":        {`mode = "enforce"`, []string{"declares no tenant"}},
		"all disabled": {`tenant "a" { api_key_sha256 = ["` + key + `"] }` + "\n" + `detector "secrets" {` + "\n" + `enabled = false` + "\n}\n" + `detector "commands" {` + "\n" + `enabled = false` + "\n}",
			[]string{"t.hcl:2,", "every detector is disabled"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("t.hcl", []byte(tc.src))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestEffectiveMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ tenant, det, want string }{
		{ModeEnforce, "", ModeEnforce},
		{ModeEnforce, ModeMonitor, ModeMonitor},
		{ModeMonitor, ModeEnforce, ModeMonitor},
		{ModeOff, ModeEnforce, ModeOff},
		{ModeEnforce, ModeOff, ModeOff},
	} {
		if got := EffectiveMode(tc.tenant, tc.det); got != tc.want {
			t.Errorf("EffectiveMode(%q, %q) = %q, want %q", tc.tenant, tc.det, got, tc.want)
		}
	}
}

func TestExampleConfigWarnsAboutPlaceholderKey(t *testing.T) {
	t.Parallel()
	cfg, err := Load("picket.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "picket.hcl:") || !strings.Contains(cfg.Warnings[0], "placeholder") ||
		!strings.Contains(cfg.Warnings[0], "picket keys new") {
		t.Fatalf("warnings = %q, want one about the all-zero placeholder with its position", cfg.Warnings)
	}
	ok, err := Parse("t.hcl", []byte(`tenant "a" { api_key_sha256 = ["`+strings.Repeat("ab", 32)+`"] }`))
	if err != nil || len(ok.Warnings) != 0 {
		t.Fatalf("a real hash: err %v, warnings %q", err, ok.Warnings)
	}
}

func TestSyntaxErrorStillReportsOtherProblems(t *testing.T) {
	t.Parallel()
	src := "mode = \"enforcing\"\n" +
		"tenant \"a\" {\n  mode = \n}\n" + // an attribute without a value
		"budget = \"fast\"\n"
	_, err := Parse("t.hcl", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"t.hcl:1,", "invalid mode", "t.hcl:3,", "t.hcl:5,", "invalid budget"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}

// TestErrorKeepsWhatCouldBeBuilt: past the errors, the warnings and the
// detectors whose blocks hold no error are kept for config check to load.
func TestErrorKeepsWhatCouldBeBuilt(t *testing.T) {
	t.Parallel()
	src := "mode = \"enforcing\"\n" +
		"tenant \"a\" {\n  api_key_sha256 = [\"" + strings.Repeat("0", 64) + "\"]\n}\n" +
		"detector \"clean\" {\n  source = \"builtin\"\n}\n" +
		"detector \"badmode\" {\n  mode = \"loud\"\n}\n" +
		"detector \"broken\" {\n  timeout = \n}\n"
	_, err := Parse("t.hcl", []byte(src))
	var ce *Error
	if !errors.As(err, &ce) || ce.Partial == nil {
		t.Fatalf("error %v carries nothing of the file", err)
	}
	var names []string
	for _, d := range ce.Partial.Detectors {
		names = append(names, d.Name)
	}
	if !slices.Equal(names, []string{"clean"}) || ce.Partial.Detectors[0].Where.Block != "t.hcl:5,1" {
		t.Errorf("partial detectors %v (%+v), want only the clean one", names, ce.Partial.Detectors)
	}
	if len(ce.Partial.Warnings) != 1 || !strings.Contains(ce.Partial.Warnings[0], "placeholder") {
		t.Errorf("partial warnings %q, want the placeholder key's", ce.Partial.Warnings)
	}
	for _, w := range []string{"t.hcl:1,", "t.hcl:9,", "t.hcl:12,"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
