package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("ab", 32)
	sum := strings.Repeat("cd", 32)
	src := `
tenant "a" { api_key_sha256 = ["` + key + `"] }
limits {
  max_connections = 100
  body_timeout    = "2s"
  queue_lease     = "10s"
  max_pending_age = "1m"
  wasm_memory     = "1GiB"
  plugin_memory   = "256MiB"
  plugin_cpu      = 0.5
}
detector "own" {
  source = "process"
  path   = "p"
  sha256 = "` + sum + `"
}
detector "tight" {
  source     = "process"
  path       = "p"
  sha256     = "` + sum + `"
  max_memory = "64MiB"
  max_cpu    = 0.25
}
detector "free" {
  source     = "process"
  path       = "p"
  sha256     = "` + sum + `"
  max_memory = "0"
  max_cpu    = 0
}
detector "secrets" {}
`
	cfg, err := Parse("t.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := Limits{MaxConnections: 100, BodyTimeout: 2 * time.Second, QueueLease: 10 * time.Second, MaxPendingAge: time.Minute,
		WasmMemory: 1 << 30, PluginMemory: 256 << 20, PluginCPU: 0.5}
	if diff := cmp.Diff(want, cfg.Limits); diff != "" {
		t.Errorf("limits (-want +got):\n%s", diff)
	}
	type bounds struct {
		Mem int64
		CPU float64
	}
	got := map[string]bounds{}
	for _, d := range cfg.Detectors {
		got[d.Name] = bounds{d.MaxMemory, d.MaxCPU}
	}
	if diff := cmp.Diff(map[string]bounds{"own": {256 << 20, 0.5}, "tight": {64 << 20, 0.25}, "free": {}, "secrets": {}}, got); diff != "" {
		t.Errorf("detector bounds (-want +got):\n%s", diff)
	}

	def, err := Parse("t.hcl", []byte(`tenant "a" { api_key_sha256 = ["`+key+`"] }`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(DefaultLimits(), def.Limits); diff != "" {
		t.Errorf("limits of a file without the block (-want +got):\n%s", diff)
	}
}

func TestExampleConfigDocumentsTheLimits(t *testing.T) {
	t.Parallel()
	cfg, err := Load("picket.hcl")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("picket.hcl")
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"max_connections", "body_timeout", "queue_lease", "max_pending_age", "wasm_memory", "plugin_memory", "plugin_cpu", "max_memory", "max_cpu"} {
		if !strings.Contains(string(src), "  "+field) && !strings.Contains(string(src), "# "+field) {
			t.Errorf("picket.hcl does not show %s", field)
		}
	}
	if diff := cmp.Diff(DefaultLimits(), cfg.Limits); diff != "" {
		t.Errorf("picket.hcl's limits block is not the defaults (-want +got):\n%s", diff)
	}
}

func TestBadLimitsNameFieldAndPosition(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("ab", 32)
	tenant := `tenant "a" { api_key_sha256 = ["` + key + `"] }` + "\n"
	cases := map[string]struct {
		src  string
		want []string
	}{
		"connections":    {"limits {\nmax_connections = 0\n}", []string{"t.hcl:3,", "invalid limits.max_connections", "at least 1"}},
		"body timeout":   {"limits {\nbody_timeout = \"soon\"\n}", []string{"t.hcl:3,", "invalid limits.body_timeout", "not a duration"}},
		"short body":     {"limits {\nbody_timeout = \"1ms\"\n}", []string{"t.hcl:3,", "shorter than 100ms"}},
		"lease":          {"limits {\nqueue_lease = \"100ms\"\n}", []string{"t.hcl:3,", "invalid limits.queue_lease", "shorter than 1s"}},
		"pending":        {"limits {\nmax_pending_age = \"10ms\"\n}", []string{"t.hcl:3,", "invalid limits.max_pending_age"}},
		"wasm size":      {"limits {\nwasm_memory = \"lots\"\n}", []string{"t.hcl:3,", "invalid limits.wasm_memory", "not a size"}},
		"wasm small":     {"limits {\nwasm_memory = \"64MiB\"\n}", []string{"t.hcl:3,", "under 128 MiB"}},
		"wasm zero":      {"limits {\nwasm_memory = \"0\"\n}", []string{"t.hcl:3,", "at least 128 MiB"}},
		"plugin memory":  {"limits {\nplugin_memory = \"1MiB\"\n}", []string{"t.hcl:3,", "invalid limits.plugin_memory", "under 32 MiB"}},
		"plugin cpu":     {"limits {\nplugin_cpu = -1\n}", []string{"t.hcl:3,", "invalid limits.plugin_cpu"}},
		"unknown":        {"limits {\nmax_conns = 3\n}", []string{"t.hcl:3,", "Unsupported argument"}},
		"builtin memory": {"detector \"secrets\" {\nmax_memory = \"64MiB\"\n}", []string{"t.hcl:3,", `invalid detector "secrets" max_memory`, "process plugin only"}},
		"wasm cpu":       {"detector \"w\" {\nsource = \"wasm\"\npath = \"w.wasm\"\nsha256 = \"" + key + "\"\nmax_cpu = 1\n}", []string{"t.hcl:6,", `invalid detector "w" max_cpu`}},
		"process memory": {"detector \"p\" {\nsource = \"process\"\npath = \"p\"\nsha256 = \"" + key + "\"\nmax_memory = \"2KiB\"\n}", []string{"t.hcl:6,", `invalid detector "p" max_memory`, "under 32 MiB"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("t.hcl", []byte(tenant+tc.src))
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
