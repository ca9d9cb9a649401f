// Command eval scores the unsafe-command detector on the labelled command
// corpus.
//
// By default (-mode policy) it measures the default policy end to end: each
// row is placed in a shell tool call of a real Aperture pre_request (Claude
// Code Bash, Codex exec_command, Codex shell argv, a Chat function call,
// Gemini run_shell_command, spread over the rows; internal/policyeval) and
// run through the engine with the shipped config in enforce mode; a row is
// flagged when the request is blocked. Results are given per source
// (repository), with the worst source, and for the sources never looked at
// while the rules were written (held out) apart from those that were.
//
// With -mode detector it calls the detector directly on a Bash tool call and
// counts a finding at -min or above, per sub-source. With -peer it runs the
// cc-safety-net npm package (installed by install-peer.sh) on the same rows
// in the same run.
//
//	go run ./detectors/commands/cmd/eval -corpus ../shared/corpus [-mode detector] [-peer]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/detectors/commands"
	"github.com/picketsec/picket/internal/policyeval"
	"github.com/picketsec/picket/sdk"
)

// tunedOn are the corpus repositories whose misses or false positives were
// read while this round's catalogue rows were written (permissively
// licensed ones only; rules were written from public facts, never from
// rows). Every other repository is held out: none of its rows was read
// this round (GTFOBins and InternalAllTheThings are evaluation-only).
var tunedOn = map[string]bool{
	"SigmaHQ/sigma": true, "S1ckB0y1337/Active-Directory-Exploitation-Cheat-Sheet": true,
	"center-for-threat-informed-defense/adversary_emulation_library": true, "scythe-io/community-threats": true,
	"uber-common/metta": true, "NextronSystems/APTSimulator": true, "mitre/stockpile": true, "mitre-attack/car": true,
	"RhinoSecurityLabs/cloudgoat": true, "OTRF/Security-Datasets": true, "AI-secure/RedCode": true,
	"MicrosoftDocs/PowerShell-Docs": true, "MicrosoftDocs/windows-powershell-docs": true, "tldr-pages/tldr": true,
	"nixawk/pentest-wiki": true, "TellinaTool/nl2bash": true, "chubin/cheat.sheets": true,
}

// repo is a row's source repository.
func (r row) repo() string {
	s := r.Source
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " + "); i >= 0 {
		s = s[:i]
	}
	return s
}

type row struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Text   string `json:"text"`
	Source string `json:"source"`
}

func (r row) tag() string {
	p := strings.Split(r.ID, ".")
	if len(p) > 3 {
		return p[3]
	}
	return "?"
}

func main() {
	corpus := flag.String("corpus", "../shared/corpus", "directory holding command.{malicious,benign}.jsonl, or one .jsonl file holding rows of both labels")
	peer := flag.Bool("peer", false, "also run cc-safety-net (see install-peer.sh) on the same rows")
	minSev := flag.String("min", "high", "lowest severity that counts as flagged")
	show := flag.Int("show", 0, "print up to N misses and N false positives (ids and rules) to stderr")
	mode := flag.String("mode", "policy", "policy: the shipped default policy end to end; detector: the detector alone")
	budget := flag.Duration("budget", 0, "with -mode policy, override the pre_request budget (0 keeps the shipped one)")
	fitOut := flag.String("fit", "", "with -mode policy, write the severities measured on the trainable rows to this file (detectors/commands/severity.toml)")
	flag.Parse()
	if *mode != "policy" && *mode != "detector" {
		fatal(fmt.Errorf("eval: -mode must be policy or detector, not %q", *mode))
	}
	min, err := sdk.ParseSeverity(*minSev)
	if err != nil {
		fatal(err)
	}
	var rows []row
	files := []string{filepath.Join(*corpus, "command.malicious.jsonl"), filepath.Join(*corpus, "command.benign.jsonl")}
	if strings.HasSuffix(*corpus, ".jsonl") {
		files = []string{*corpus} // one breadth file holding both labels
	}
	for _, f := range files {
		rs, err := load(f)
		if err != nil {
			fatal(err)
		}
		rows = append(rows, rs...)
	}
	ours := map[string]bool{}
	rulesOf := map[string]string{}
	if *mode == "policy" {
		runPolicy(rows, *budget, ours, rulesOf)
		raw := runRaw(rows, *budget)
		capped := fit(measure(rows, raw, trainable))
		diff := 0
		for _, r := range rows {
			if blockedWith(raw[r.ID], capped) != ours[r.ID] {
				diff++
			}
		}
		fmt.Printf("  severity fitted on this run's trainable rows caps %d rules at medium; it %s the shipped severity.toml (%d rows judged differently)\n",
			len(capped), map[bool]string{true: "matches", false: "differs from"}[diff == 0], diff)
		loso(rows, raw)
		if *fitOut != "" {
			f, err := os.Create(*fitOut)
			if err != nil {
				fatal(err)
			}
			if err := writeFit(f, rows, raw); err != nil {
				fatal(err)
			}
			if err := f.Close(); err != nil {
				fatal(err)
			}
			fmt.Printf("wrote %s\n", *fitOut)
		}
	} else {
		runDetector(rows, min, ours, rulesOf)
	}
	if *peer {
		theirs, err := runPeer(rows)
		if err != nil {
			fmt.Fprintf(os.Stderr, "eval: peer: %v (run detectors/commands/cmd/eval/install-peer.sh)\n", err)
		} else {
			fmt.Println()
			if *mode == "policy" {
				bySource("cc-safety-net 2.4.5 (its own verdict: deny)", rows, theirs)
			} else {
				report("cc-safety-net", rows, theirs)
			}
		}
	}
	if *show > 0 {
		nm, nf := 0, 0
		for _, r := range rows {
			mal := r.Label == "malicious"
			if mal && !ours[r.ID] && nm < *show {
				nm++
				fmt.Fprintf(os.Stderr, "MISS %s [%s] %q\n", r.ID, rulesOf[r.ID], clip(r.Text))
			}
			if !mal && ours[r.ID] && nf < *show {
				nf++
				fmt.Fprintf(os.Stderr, "FP   %s [%s] %q\n", r.ID, rulesOf[r.ID], clip(r.Text))
			}
		}
	}
}

// runPolicy wraps each row in an Aperture pre_request and runs the shipped
// default policy on it.
func runPolicy(rows []row, budget time.Duration, blocked map[string]bool, rulesOf map[string]string) {
	ctx := context.Background()
	ev, err := policyeval.New(ctx, policyeval.Options{Budget: budget})
	if err != nil {
		fatal(err)
	}
	defer ev.Close()
	byCommands := map[string]bool{}
	timeouts := 0
	start := time.Now()
	for i, r := range rows {
		o, err := ev.Text(ctx, policyeval.Spread(policyeval.Commands, i), r.Text)
		if err != nil {
			fatal(fmt.Errorf("eval: row %s: %w", r.ID, err))
		}
		timeouts += o.Timeouts
		blocked[r.ID] = o.Blocked
		var ids []string
		for _, f := range o.Findings {
			ids = append(ids, f.Detector+":"+f.Rule+"/"+f.Severity.String())
			if f.Detector == commands.ID && f.Severity >= sdk.SeverityHigh {
				byCommands[r.ID] = true
			}
		}
		rulesOf[r.ID] = strings.Join(ids, ",")
	}
	elapsed := time.Since(start)
	fmt.Printf("corpus: %d rows, each in a shell tool call of an Aperture pre_request (%s, spread);\n"+
		"flagged = blocked by the shipped default policy in enforce mode; %s (%.0f µs/row), %d detector timeouts\n\n",
		len(rows), joinPlacements(), elapsed.Round(time.Millisecond), float64(elapsed.Microseconds())/float64(len(rows)), timeouts)
	bySource("picket default policy", rows, blocked)
	n := 0
	for id, b := range blocked {
		if b && !byCommands[id] {
			n++
		}
	}
	fmt.Printf("  (%d of the blocked rows were blocked by another detector than commands)\n", n)
}

// runRaw runs the default policy with the commands detector's calibration
// off (every rule at the severity it was written with), keeping each row's
// counted findings for the fit.
func runRaw(rows []row, budget time.Duration) map[string]rawRow {
	ctx := context.Background()
	cfg := config.Default()
	for i := range cfg.Detectors {
		d := &cfg.Detectors[i]
		if d.Name != commands.ID {
			continue
		}
		m := map[string]any{}
		if len(d.Config) > 0 {
			if err := json.Unmarshal(d.Config, &m); err != nil {
				fatal(fmt.Errorf("eval: commands config: %w", err))
			}
		}
		m["calibration"] = false
		b, _ := json.Marshal(m)
		d.Config = b
	}
	ev, err := policyeval.New(ctx, policyeval.Options{Budget: budget, Config: cfg})
	if err != nil {
		fatal(err)
	}
	defer ev.Close()
	out := make(map[string]rawRow, len(rows))
	for i, r := range rows {
		o, err := ev.Text(ctx, policyeval.Spread(policyeval.Commands, i), r.Text)
		if err != nil {
			fatal(fmt.Errorf("eval: row %s: %w", r.ID, err))
		}
		rr := rawRow{blocked: o.Blocked}
		for _, f := range o.Findings {
			rr.findings = append(rr.findings, rawFinding{detector: f.Detector, rule: f.Rule, sev: f.Severity})
		}
		out[r.ID] = rr
	}
	return out
}

func joinPlacements() string {
	var ps []string
	for _, p := range policyeval.Commands {
		ps = append(ps, string(p))
	}
	return strings.Join(ps, ", ")
}

// bySource prints recall and FPR per source repository, the worst source,
// and the held-out and tuned-on groups.
func bySource(title string, rows []row, flagged map[string]bool) {
	all, held, tuned := policyeval.Tally{}, policyeval.Tally{}, policyeval.Tally{}
	for _, r := range rows {
		mal := r.Label == "malicious"
		all.Add(r.repo(), mal, flagged[r.ID])
		if tunedOn[r.repo()] {
			tuned.Add(r.repo(), mal, flagged[r.ID])
		} else {
			held.Add(r.repo(), mal, flagged[r.ID])
		}
	}
	all.Fprint(os.Stdout, "== "+title)
	fmt.Printf("  held out (never looked at): %s\n", held.Total())
	if s, c, ok := held.WorstRecall(10); ok {
		fmt.Printf("    worst held-out recall: %s (%.1f %%)\n", s, 100*c.Recall())
	}
	fmt.Printf("  looked at while writing rules: %s\n", tuned.Total())
}

// runDetector calls the detector alone on a Bash tool call per row.
func runDetector(rows []row, min sdk.Severity, ours map[string]bool, rulesOf map[string]string) {
	d := commands.New()
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		fatal(err)
	}
	start := time.Now()
	for _, r := range rows {
		args, _ := json.Marshal(map[string]string{"command": r.Text})
		ev := &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Index: 0, Kind: sdk.KindToolCall, Text: r.Text,
			Tool: &sdk.ToolCall{Name: "Bash", Arguments: string(args), Command: r.Text}}}}
		fs, err := d.Detect(context.Background(), ev)
		if err != nil {
			fatal(err)
		}
		var ids []string
		for _, f := range fs {
			if f.Severity >= min {
				ours[r.ID] = true
			}
			ids = append(ids, f.Rule+"/"+f.Severity.String())
		}
		rulesOf[r.ID] = strings.Join(ids, ",")
	}
	elapsed := time.Since(start)
	fmt.Printf("%d rows, each the command of a Bash tool call; flagged = a finding >= %s; picket took %s (%.1f µs/row)\n\n", len(rows), min,
		elapsed.Round(time.Millisecond), float64(elapsed.Microseconds())/float64(len(rows)))
	report("picket", rows, ours)
}

func clip(s string) string {
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}

// report prints the detector-only numbers, per sub-source (the id's tag).
func report(name string, rows []row, flagged map[string]bool) {
	per := policyeval.Tally{}
	for _, r := range rows {
		per.Add(r.Label+"/"+r.tag(), r.Label == "malicious", flagged[r.ID])
	}
	per.Fprint(os.Stdout, "== "+name)
}

func load(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	var out []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("eval: %s: %w", path, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// runPeer pipes every row to the node driver installed by install-peer.sh
// and reads its verdicts.
func runPeer(rows []row) (map[string]bool, error) {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, err
		}
		cache = filepath.Join(home, ".cache")
	}
	dir := filepath.Join(cache, "picket", "peers")
	driver := filepath.Join(dir, "cc-safety-net-driver.mjs")
	if _, err := os.Stat(driver); err != nil {
		return nil, err
	}
	cmd := exec.Command("node", driver)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		enc := json.NewEncoder(in)
		for _, r := range rows {
			_ = enc.Encode(map[string]string{"id": r.ID, "text": r.Text})
		}
		in.Close()
	}()
	res := map[string]bool{}
	dec := json.NewDecoder(out)
	for {
		var v struct {
			ID   string `json:"id"`
			Deny bool   `json:"deny"`
		}
		if err := dec.Decode(&v); err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		res[v.ID] = v.Deny
	}
	if err := cmd.Wait(); err != nil {
		return nil, err
	}
	fmt.Printf("\ncc-safety-net took %s (node, one process, includes start-up)\n", time.Since(start).Round(time.Millisecond))
	return res, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
