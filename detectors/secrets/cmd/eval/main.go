// Command eval measures the secrets detector on the labelled corpus
// (precision, recall, false-positive rate) and its single-core throughput,
// optionally side by side with gitleaks on the same rows and input.
//
//	go run ./detectors/secrets/cmd/eval -corpus ../shared/corpus [-gitleaks] [-v]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/picketsec/picket/detectors/secrets"
	"github.com/picketsec/picket/detectors/secrets/internal/gen"
	"github.com/picketsec/picket/sdk"
)

type row struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Text   string `json:"text"`
	Source string `json:"source"`
}

type score struct{ tp, fn, fp, tn int }

func (s score) String() string {
	p := ratio(s.tp, s.tp+s.fp)
	r := ratio(s.tp, s.tp+s.fn)
	f := ratio(s.fp, s.fp+s.tn)
	return fmt.Sprintf("precision %6.2f%%  recall %6.2f%%  FPR %5.2f%%  (tp %d fn %d fp %d tn %d)", 100*p, 100*r, 100*f, s.tp, s.fn, s.fp, s.tn)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "directory holding secrets.{malicious,benign}.jsonl")
	withGitleaks := flag.Bool("gitleaks", false, "also run gitleaks on the same rows and input (install it with install-gitleaks.sh)")
	glBin := flag.String("gitleaks-bin", defaultGitleaks(), "gitleaks binary")
	verbose := flag.Bool("v", false, "print misses and false positives (ids and rules only)")
	mixedMB := flag.Int("mixed-mb", 10, "size of the generated mixed file in MiB")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the throughput runs to this file")
	fitOut := flag.String("fit-severity", "", "fit the per-class severity table on the corpus and write it (Go source) to this file, then exit")
	packs := flag.String("rules-files", "", "comma-separated rule packs to load into the detector for the detector-level numbers (e.g. ../shared/rulepacks/betterleaks/betterleaks.toml)")
	disable := flag.String("disable-rules", "", "comma-separated rule ids to disable (with -rules-files)")
	policy := flag.Bool("policy", true, "report the shipped default policy end to end (internal/policyeval)")
	loso := flag.Bool("loso", true, "report leave-one-source-out scores (severity table and generic-tier model refit without each source)")
	fitGeneric := flag.String("fit-generic", "", "fit the generic tier's model on the corpus and write it (Go source) to this file, then exit")
	flag.Float64Var(&credHighFPR, "tier-fpr", credHighFPR, "generic tier: the largest share of training look-alikes its high threshold may block")
	flag.Float64Var(&bareHighFPR, "bare-fpr", bareHighFPR, "prefixed tier (bare tokens): the largest share of training look-alikes its high threshold may block")
	flag.Float64Var(&credL2, "tier-l2", credL2, "generic tier: the fit's L2 penalty")
	flag.Float64Var(&credHighFloor, "tier-floor", credHighFloor, "generic and prefixed tiers: the lowest score a fitted high threshold may take")
	flag.BoolVar(&credNewton, "newton", credNewton, "fit both tiers' models by Newton's method to convergence (false: the earlier 4,000 steps of gradient descent)")
	flag.Float64Var(&bareL2, "bare-l2", bareL2, "prefixed tier (bare tokens): the fit's L2 penalty")
	flag.Float64Var(&credBalance, "tier-balance", credBalance, "generic tier: weigh each row 1/n^x, n the candidate rows of its source and label")
	flag.BoolVar(&gradedFit, "graded-fit", gradedFit, "severity fit: measure a class on its findings at its own grade (weak values, reported one lower, left out)")
	flag.BoolVar(&looWhy, "why", false, "bucket the leave-one-source-out misses by mechanism (with -v: each miss)")
	quick := flag.Bool("quick", false, "skip the throughput runs and the other families' benign rows")
	flag.Parse()
	runtime.GOMAXPROCS(1)
	looVerbose = *verbose

	var rows []row
	for _, f := range []string{"secrets.malicious.jsonl", "secrets.benign.jsonl"} {
		rs, err := readRows(filepath.Join(*corpus, f))
		if err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		rows = append(rows, rs...)
	}
	// The other families' benign rows (prose, documentation, commands)
	// are look-alikes too: the generic tier trains on them as negatives
	// (all but the evaluation-only BIPIA tables) and they are held out by
	// source like the rest.
	var extra []row
	for _, f := range []string{"command.benign.jsonl", "injection.benign.jsonl"} {
		rs, err := readRows(filepath.Join(*corpus, f))
		if err != nil {
			continue
		}
		for _, r := range rs {
			if !strings.Contains(r.ID, ".context-table.") && !strings.Contains(r.ID, ".embedded-table.") {
				extra = append(extra, r)
			}
		}
	}
	d := secrets.New()
	detCfg := map[string]any{}
	if *packs != "" {
		detCfg["rules_files"] = strings.Split(*packs, ",")
	}
	if *disable != "" {
		detCfg["disable_rules"] = strings.Split(*disable, ",")
	}
	cfgJSON, _ := json.Marshal(detCfg)
	if err := d.Configure(context.Background(), cfgJSON); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if *policy && *fitOut == "" && *fitGeneric == "" {
		if err := runPolicy(rows); err != nil {
			fmt.Fprintln(os.Stderr, "eval: policy:", err)
			os.Exit(1)
		}
	}
	if *fitGeneric != "" {
		feats, err := credSamples(d, append(append([]row(nil), rows...), extra...))
		if err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		m, st := fitCred(append(append([]row(nil), rows...), extra...), feats, nil)
		if err := writeCredModel(*fitGeneric, m, st); err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (high >= %.4f: %s)\n", *fitGeneric, m.High, st.high)
		return
	}
	if *fitOut != "" || *loso {
		// Classes are measured with no fitted table in place (each rule at
		// its own severity), so which rule wins a shared span does not
		// depend on the table being fitted: one pass, no cycle.
		shipped := secrets.SetFittedSeverity(map[string]sdk.Severity{})
		dFit := secrets.New()
		if err := dFit.Configure(context.Background(), cfgJSON); err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		classes, generic, err := rowClasses(dFit, rows)
		secrets.SetFittedSeverity(shipped)
		if err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		if *fitOut != "" {
			table, counts, pt := fitTable(rows, classes, generic, nil)
			if err := writeTable(*fitOut, table, counts, pt); err != nil {
				fmt.Fprintln(os.Stderr, "eval:", err)
				os.Exit(1)
			}
			fmt.Printf("wrote %s (%d classes)\n", *fitOut, len(table))
			return
		}
		all := append(append([]row(nil), rows...), extra...)
		feats, err := credSamples(d, all)
		if err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		if err := looReport(rows, classes, generic, all, feats); err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
	}
	var any, medium, high score
	perSource := map[string]*score{}
	var corpusBytes int
	for _, r := range rows {
		corpusBytes += len(r.Text)
		fs, err := d.Detect(ctx, event(r.Text))
		if err != nil {
			fmt.Fprintln(os.Stderr, "eval:", err)
			os.Exit(1)
		}
		hit, hitMed, hitHigh := len(fs) > 0, false, false
		var rules []string
		for _, f := range fs {
			if f.Severity >= sdk.SeverityHigh {
				hitHigh = true
			}
			if f.Severity >= sdk.SeverityMedium {
				hitMed = true
			}
			rules = append(rules, f.Rule+"/"+f.Severity.String())
		}
		tag := strings.Join(strings.Split(r.ID, ".")[2:4], ".")
		ps := perSource[r.Label+" "+tag]
		if ps == nil {
			ps = &score{}
			perSource[r.Label+" "+tag] = ps
		}
		tally(&any, r.Label, hit)
		tally(&medium, r.Label, hitMed)
		tally(&high, r.Label, hitHigh)
		tally(ps, r.Label, hit)
		if *verbose {
			if r.Label == "malicious" && !hit {
				fmt.Printf("MISS %s (%s)\n", r.ID, r.Source)
			}
			if r.Label == "benign" && hit {
				fmt.Printf("FP   %s (%s) %v\n", r.ID, r.Source, rules)
			}
		}
	}
	fmt.Printf("corpus: %d rows (%d bytes) from %s\n", len(rows), corpusBytes, *corpus)
	fmt.Printf("picket  any finding:        %s\n", any)
	fmt.Printf("picket  severity >= medium: %s\n", medium)
	fmt.Printf("picket  severity >= high:   %s\n", high)
	var keys []string
	for k := range perSource {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := perSource[k]
		if strings.HasPrefix(k, "malicious") {
			fmt.Printf("  %-44s recall %6.2f%% (%d/%d)\n", k, 100*ratio(s.tp, s.tp+s.fn), s.tp, s.tp+s.fn)
		} else {
			fmt.Printf("  %-44s FPR    %6.2f%% (%d/%d)\n", k, 100*ratio(s.fp, s.fp+s.tn), s.fp, s.fp+s.tn)
		}
	}

	if *quick {
		return
	}
	// Other families' benign rows (shell commands, prompts) hold no
	// credentials: any finding there is a false positive too. Reported
	// apart, when the files are present.
	for _, f := range []string{"command.benign.jsonl", "injection.benign.jsonl"} {
		rs, err := readRows(filepath.Join(*corpus, f))
		if err != nil {
			continue
		}
		hits := 0
		for _, r := range rs {
			fs, err := d.Detect(ctx, event(r.Text))
			if err != nil {
				fmt.Fprintln(os.Stderr, "eval:", err)
				os.Exit(1)
			}
			if len(fs) > 0 {
				hits++
				if *verbose {
					fmt.Printf("FP   %s (%s) %d findings\n", r.ID, r.Source, len(fs))
				}
			}
		}
		fmt.Printf("picket  %s: %d/%d rows with any finding\n", f, hits, len(rs))
	}

	// Throughput, one core: the corpus rows, repeated for at least 1 s.
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	if *cpuProfile != "" {
		pf, err := os.Create(*cpuProfile)
		if err == nil && pprof.StartCPUProfile(pf) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	mbps := measure(func() {
		for _, t := range texts {
			_, _ = d.Detect(ctx, event(t))
		}
	}, corpusBytes)
	fmt.Printf("picket  throughput corpus (1 core): %s\n", mbps)
	mixed, planted := gen.Mixed(*mixedMB<<20, 1, true)
	var found int
	mixedMBps := measure(func() {
		fs, _ := d.Detect(ctx, event(mixed))
		found = 0
		for _, f := range fs {
			if f.Severity >= sdk.SeverityHigh {
				found++
			}
		}
	}, len(mixed))
	fmt.Printf("picket  throughput %d MiB mixed file (1 core): %s (%d planted, %d findings >= high)\n", *mixedMB, mixedMBps, planted, found)

	if *withGitleaks {
		if err := runGitleaks(*glBin, rows, mixed, corpusBytes); err != nil {
			fmt.Fprintln(os.Stderr, "eval: gitleaks:", err)
			os.Exit(1)
		}
	}
}

func event(text string) *sdk.Event {
	return &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: text, Origin: sdk.OriginRequest, New: true}}}
}

func tally(s *score, label string, hit bool) {
	switch {
	case label == "malicious" && hit:
		s.tp++
	case label == "malicious":
		s.fn++
	case hit:
		s.fp++
	default:
		s.tn++
	}
}

// rate is a throughput in MB/s (10^6 bytes per second) by wall-clock time
// and by CPU time (user+system) of the scanning process: on a shared
// machine the wall-clock figure understates the speed, the CPU figure is
// what one dedicated core would do.
type rate struct{ wall, cpu float64 }

func (r rate) String() string { return fmt.Sprintf("%.3g MB/s wall, %.3g MB/s CPU", r.wall, r.cpu) }

// measure runs f until at least a second has passed and returns the rate
// for n bytes per run.
func measure(f func(), n int) rate {
	f() // warm up
	start, c0 := time.Now(), processCPU()
	runs := 0
	for time.Since(start) < time.Second || runs < 2 {
		f()
		runs++
	}
	wall, cpu := time.Since(start), processCPU()-c0
	return rate{float64(n*runs) / wall.Seconds() / 1e6, float64(n*runs) / max(cpu, time.Microsecond).Seconds() / 1e6}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

func defaultGitleaks() string {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "picket", "peers", "bin", "gitleaks")
}

// runGitleaks scans each row as its own file with gitleaks' default rules
// (one process over a directory), then the mixed file, and prints the
// same scores and throughput. gitleaks runs with GOMAXPROCS=1.
func runGitleaks(bin string, rows []row, mixed string, corpusBytes int) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s not found; run detectors/secrets/cmd/eval/install-gitleaks.sh: %w", bin, err)
	}
	tmp, err := os.MkdirTemp("", "picket-eval-gitleaks-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	rowDir := filepath.Join(tmp, "rows")
	if err := os.Mkdir(rowDir, 0o700); err != nil {
		return err
	}
	for i, r := range rows {
		if err := os.WriteFile(filepath.Join(rowDir, fmt.Sprintf("row%05d.txt", i)), []byte(r.Text), 0o600); err != nil {
			return err
		}
	}
	report := filepath.Join(tmp, "rows.json")
	elapsed, elapsedCPU, err := gitleaksTimed(bin, rowDir, report)
	if err != nil {
		return err
	}
	hits, err := reportFiles(report)
	if err != nil {
		return err
	}
	var s score
	for i, r := range rows {
		tally(&s, r.Label, hits[fmt.Sprintf("row%05d.txt", i)])
	}
	fmt.Printf("gitleaks any finding:     %s\n", s)
	fmt.Printf("gitleaks throughput corpus (1 core, %d row files, one process, startup included): %s\n", len(rows), rateOf(corpusBytes, elapsed, elapsedCPU))

	mixedPath := filepath.Join(tmp, "mixed.txt")
	if err := os.WriteFile(mixedPath, []byte(mixed), 0o600); err != nil {
		return err
	}
	// Startup cost, to report alongside: gitleaks on an empty file.
	empty := filepath.Join(tmp, "empty.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		return err
	}
	startup, startupCPU, err := gitleaksTimed(bin, empty, filepath.Join(tmp, "empty.json"))
	if err != nil {
		return err
	}
	// Corpus throughput: all rows in one file (one line each), best of 3,
	// startup subtracted.
	var all strings.Builder
	for _, r := range rows {
		all.WriteString(r.Text)
		all.WriteByte('\n')
	}
	corpusPath := filepath.Join(tmp, "corpus.txt")
	if err := os.WriteFile(corpusPath, []byte(all.String()), 0o600); err != nil {
		return err
	}
	bestCorpus, bestCorpusCPU := time.Duration(1<<62), time.Duration(1<<62)
	for i := 0; i < 3; i++ {
		el, cpu, err := gitleaksTimed(bin, corpusPath, filepath.Join(tmp, "corpus.json"))
		if err != nil {
			return err
		}
		bestCorpus, bestCorpusCPU = min(bestCorpus, el), min(bestCorpusCPU, cpu)
	}
	fmt.Printf("gitleaks throughput corpus (1 core, rows in one file): %s (startup of %v wall, %v CPU subtracted)\n",
		rateOf(all.Len(), bestCorpus-startup, bestCorpusCPU-startupCPU), startup.Round(time.Millisecond), startupCPU.Round(time.Millisecond))
	best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
	for i := 0; i < 2; i++ {
		el, cpu, err := gitleaksTimed(bin, mixedPath, filepath.Join(tmp, "mixed.json"))
		if err != nil {
			return err
		}
		best, bestCPU = min(best, el), min(bestCPU, cpu)
	}
	n := 0
	if b, err := os.ReadFile(filepath.Join(tmp, "mixed.json")); err == nil {
		var fs []json.RawMessage
		_ = json.Unmarshal(b, &fs)
		n = len(fs)
	}
	fmt.Printf("gitleaks throughput %d MiB mixed file (1 core): %s (startup subtracted; %d findings)\n",
		len(mixed)>>20, rateOf(len(mixed), best-startup, bestCPU-startupCPU), n)
	return nil
}

func rateOf(n int, wall, cpu time.Duration) rate {
	return rate{float64(n) / max(wall, time.Millisecond).Seconds() / 1e6, float64(n) / max(cpu, time.Millisecond).Seconds() / 1e6}
}

// gitleaksTimed runs gitleaks on target and returns its wall-clock and
// CPU (user+system) time.
func gitleaksTimed(bin, target, report string) (time.Duration, time.Duration, error) {
	cmd := exec.Command(bin, "dir", target, "--no-banner", "--log-level", "error", "--exit-code", "0",
		"--report-format", "json", "--report-path", report)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, err
	}
	return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func reportFiles(path string) (map[string]bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fs []struct {
		File string `json:"File"`
	}
	if err := json.Unmarshal(b, &fs); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, f := range fs {
		out[filepath.Base(f.File)] = true
	}
	return out, nil
}
