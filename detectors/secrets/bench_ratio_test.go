package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/detectors/secrets/internal/gen"
	"github.com/picketsec/picket/sdk"
)

// The benchmarks below report ratios against a baseline measured in the
// same run, on the same text, so that they hold on a loaded machine
// (speed targets live here, never in tests as timed assertions):
//
//	go test -run '^$' -bench BenchmarkSecrets -benchtime 1x -cpu 1 ./detectors/secrets/
//
// cpu-MB/s is megabytes (10^6 bytes) per CPU second of this process.

// mixedText is the eval's mixed file (internal/gen, seed 1, planted
// credentials), of size bytes.
func mixedText(size int) string {
	t, _ := gen.Mixed(size, 1, true)
	return t
}

// cpuPerScan scans text with d n times and returns the least CPU time of
// one scan (least: other processes only add to it).
func cpuPerScan(b *testing.B, d sdk.Detector, text string, n int) time.Duration {
	ev := &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Kind: sdk.KindToolResult, Text: text}}}
	best := time.Duration(1 << 62)
	for range n {
		c0 := processCPU()
		if _, err := d.Detect(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
		best = min(best, processCPU()-c0)
	}
	return max(best, time.Microsecond)
}

func mbps(n int, d time.Duration) float64 { return float64(n) / d.Seconds() / 1e6 }

// BenchmarkSecretsMixed10MB is the one-core target: the eval's 10 MiB mixed file
// with the default rules (picket's and gitleaks'), cpu-MB/s (>= 100).
func BenchmarkSecretsMixed10MB(b *testing.B) {
	text := mixedText(10 << 20)
	d := New()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	ev := &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Kind: sdk.KindToolResult, Text: text}}}
	// Warm: a rule's regex is compiled the first time it runs.
	if _, err := d.Detect(context.Background(), ev); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	for b.Loop() {
		c0 := processCPU()
		if _, err := d.Detect(context.Background(), ev); err != nil {
			b.Fatal(err)
		}
		cpu += processCPU() - c0
	}
	b.ReportMetric(mbps(len(text)*b.N, cpu), "cpu-MB/s")
}

// ruleSets are the configurations BenchmarkSecretsRuleSets compares: the defaults
// (picket's rules and gitleaks' 220), plus the Betterleaks and Titus
// packs (~1,370 rules), plus 1,000 synthesized rules in the packs'
// formats (~2,370). Nil when ../shared/rulepacks is absent.
func ruleSets(b *testing.B) map[string][]byte {
	packs := filepath.Join("..", "..", "..", "shared", "rulepacks")
	if _, err := os.Stat(packs); err != nil {
		return nil
	}
	files := []string{filepath.Join(packs, "betterleaks", "betterleaks.toml"), filepath.Join(packs, "titus", "rules")}
	withPacks, _ := json.Marshal(map[string]any{"rules_files": files, "disable_rules": titusRefused})
	synth := filepath.Join(b.TempDir(), "synth.toml")
	if err := os.WriteFile(synth, []byte(synthRules(1000)), 0o600); err != nil {
		b.Fatal(err)
	}
	withSynth, _ := json.Marshal(map[string]any{"rules_files": append(files, synth), "disable_rules": titusRefused})
	return map[string][]byte{"defaults": []byte("{}"), "packs": withPacks, "packs+1000": withSynth}
}

// synthRules writes n rules in gitleaks / Betterleaks TOML shaped like
// the packs' two kinds: half a provider prefix with a fixed-length token
// (`\b(pfx_[A-Za-z0-9]{32})\b`, keyword the prefix), half a provider name
// assigned a token (`name[\w.-]{0,20}[\s'"]{0,3}[=:]…([a-z0-9]{32})`,
// keyword the name). Prefixes and names are deterministic letter strings.
func synthRules(n int) string {
	var b strings.Builder
	name := func(i int) string {
		const al = "bcdfghjklmnpqrstvwxz"
		s := []byte{}
		for v := i + 401; v > 0; v /= len(al) {
			s = append(s, al[v%len(al)])
		}
		return "q" + string(s) + "x"
	}
	for i := range n {
		nm := name(i)
		if i%2 == 0 {
			fmt.Fprintf(&b, "[[rules]]\nid = \"synth-%d\"\nregex = '''\\b(%s_[A-Za-z0-9]{32})\\b'''\nkeywords = [\"%s_\"]\n\n", i, nm, nm)
		} else {
			fmt.Fprintf(&b, "[[rules]]\nid = \"synth-%d\"\nregex = '''(?i)[\\w.-]{0,50}?(?:%s)(?:[ \\t\\w.-]{0,20})[\\s'\"]{0,3}(?:=|>|:{1,3}=|\\|\\||:|=>|\\?=|,)[\\x60'\"\\s=]{0,5}([a-z0-9]{32})(?:[\\x60'\"\\s;]|\\\\[nr]|$)'''\nkeywords = [\"%s\"]\nentropy = 3\n\n", i, nm, nm)
		}
	}
	return b.String()
}

// BenchmarkSecretsRuleSets measures, in one run, the CPU per scan of a 1 MiB mixed
// text and the heap in use with each rule set, and reports each
// as a ratio to the defaults: cpu-x-defaults (scan CPU with the set /
// with the defaults) and heap-x-defaults (heap in use with the set / with
// the defaults). "Flat" means both stay near 1 as rules are added.
func BenchmarkSecretsRuleSets(b *testing.B) {
	sets := ruleSets(b)
	if sets == nil {
		b.Skip("no ../shared/rulepacks: nothing to compare the defaults with")
	}
	text := mixedText(1 << 20)
	type result struct {
		cpu   time.Duration
		heap  uint64
		rules int
	}
	// heap is the process's heap in use (after two collections, so the
	// pools' victim caches are empty) with the detector configured, the
	// regex cache emptied first: the rules, automaton and compiled
	// programs, plus what every configuration shares (the embedded
	// gitleaks rules, the generic tier's model, the test's own text).
	measure := func(raw []byte) result {
		compiledRegexps.Clear()
		exprFilters.Clear()
		d := New()
		if err := d.Configure(context.Background(), raw); err != nil {
			b.Fatal(err)
		}
		e := d.(*Detector).eng.Load()
		r := result{cpu: cpuPerScan(b, d, text, 3), rules: len(e.rules)}
		var ms runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		r.heap = ms.HeapAlloc
		runtime.KeepAlive(d)
		return r
	}
	for _, name := range []string{"packs", "packs+1000"} {
		b.Run(name, func(b *testing.B) {
			var base, with result
			for b.Loop() {
				base = measure(sets["defaults"])
				with = measure(sets[name])
			}
			b.ReportMetric(float64(with.rules), "rules")
			b.ReportMetric(mbps(len(text), base.cpu), "defaults-cpu-MB/s")
			b.ReportMetric(mbps(len(text), with.cpu), "cpu-MB/s")
			b.ReportMetric(float64(with.cpu)/float64(base.cpu), "cpu-x-defaults")
			b.ReportMetric(float64(with.heap)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(with.heap)/float64(max(base.heap, 1)), "heap-x-defaults")
		})
	}
}

// BenchmarkSecretsBuild measures, in one run, the CPU time and the bytes
// allocated to build an engine (New, then Configure) with each rule set,
// the process's caches of compiled regexes and filters emptied first
// (what a fresh process or WASM instance pays), and reports the packs'
// as a ratio to the defaults' (build-x-defaults).
func BenchmarkSecretsBuild(b *testing.B) {
	sets := ruleSets(b)
	if sets == nil {
		b.Skip("no ../shared/rulepacks: nothing to compare the defaults with")
	}
	build := func(raw []byte) (time.Duration, uint64) {
		best, alloc := time.Duration(1<<62), uint64(0)
		for range 3 {
			compiledRegexps.Clear()
			exprFilters.Clear()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			c0 := processCPU()
			cfg, err := parseConfig(raw)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := newEngine(cfg); err != nil {
				b.Fatal(err)
			}
			best = min(best, processCPU()-c0)
			runtime.ReadMemStats(&m1)
			alloc = m1.TotalAlloc - m0.TotalAlloc
		}
		return best, alloc
	}
	for _, name := range []string{"defaults", "packs", "packs+1000"} {
		b.Run(name, func(b *testing.B) {
			var base, with time.Duration
			var alloc uint64
			for b.Loop() {
				base, _ = build(sets["defaults"])
				with, alloc = build(sets[name])
			}
			b.ReportMetric(float64(with.Microseconds())/1000, "build-cpu-ms")
			b.ReportMetric(float64(alloc)/(1<<20), "build-alloc-MiB")
			b.ReportMetric(float64(with)/float64(max(base, 1)), "build-x-defaults")
		})
	}
}

// BenchmarkSecretsVsGitleaks runs gitleaks v8.30.1 (detectors/secrets/cmd/eval/
// install-gitleaks.sh puts it in ~/.cache/picket/peers/bin; skipped when
// absent) on the 10 MiB mixed file with GOMAXPROCS=1, its startup on an
// empty file subtracted, and picket on the same text in the same run:
// x-gitleaks is picket's CPU throughput over gitleaks' (>= 20).
func BenchmarkSecretsVsGitleaks(b *testing.B) {
	bin := os.Getenv("PICKET_GITLEAKS")
	if bin == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			b.Skip("no cache directory for gitleaks")
		}
		bin = filepath.Join(dir, "picket", "peers", "bin", "gitleaks")
	}
	if _, err := os.Stat(bin); err != nil {
		b.Skipf("gitleaks not installed at %s (detectors/secrets/cmd/eval/install-gitleaks.sh)", bin)
	}
	text := mixedText(10 << 20)
	tmp := b.TempDir()
	mixed, empty := filepath.Join(tmp, "mixed.txt"), filepath.Join(tmp, "empty.txt")
	if err := os.WriteFile(mixed, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		b.Fatal(err)
	}
	run := func(target string) time.Duration {
		cmd := exec.Command(bin, "dir", target, "--no-banner", "--log-level", "error", "--exit-code", "0",
			"--report-format", "json", "--report-path", filepath.Join(tmp, "report.json"))
		cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("gitleaks: %v: %s", err, out)
		}
		return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	d := New()
	var gl, startup, pk time.Duration
	for b.Loop() {
		startup, gl = time.Duration(1<<62), time.Duration(1<<62)
		for range 2 {
			startup = min(startup, run(empty))
			gl = min(gl, run(mixed))
		}
		pk = cpuPerScan(b, d, text, 3)
	}
	gl = max(gl-startup, time.Millisecond)
	b.ReportMetric(mbps(len(text), gl), "gitleaks-cpu-MB/s")
	b.ReportMetric(mbps(len(text), pk), "cpu-MB/s")
	b.ReportMetric(float64(gl)/float64(pk), "x-gitleaks")
}
