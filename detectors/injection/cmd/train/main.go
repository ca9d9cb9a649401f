// Command train builds the injection detector's classifier weights from the
// permissively licensed rows of the labelled corpus (fit split), the
// project-written rows of model/extra.jsonl and agent traffic built from
// this repository at a pinned commit, calibrates them on the cal split,
// fits the combiner of classifier and signals on leave-one-source-group-out
// scores (package stacking), trains the character model of ordinary text on
// the benign fit rows (package charlm) and writes the weights file and its
// sha256. The same inputs give the same
// bytes; -check verifies that without writing.
//
//	go run ./detectors/injection/cmd/train -corpus ../shared/corpus -out detectors/injection/model/weights.bin
//	go run ./detectors/injection/cmd/train -corpus ../shared/corpus -check
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/stacking"
	"github.com/picketsec/picket/detectors/injection/internal/trainer"
)

func main() {
	dir := flag.String("corpus", "../shared/corpus", "directory holding injection.{malicious,benign}.jsonl")
	out := flag.String("out", "detectors/injection/model/weights.bin", "weights file to write")
	extra := flag.String("extra", "detectors/injection/model/extra.jsonl", "project-written rows added to the fit split (\"\" for none)")
	repo := flag.String("repo", ".", "this repository's checkout, whose files at -commit become benign agent traffic (\"\" for none)")
	commit := flag.String("commit", trainer.RepoCommit, "commit of -repo to read")
	combiner := flag.Bool("combiner", true, "fit the combiner on leave-one-source-group-out scores (false: the fixed combination of the previous model, no folds)")
	check := flag.Bool("check", false, "do not write: train and compare with -out and its recorded sha256 (exit 1 when they differ)")
	flag.Parse()
	if err := run(*dir, *out, *extra, *repo, *commit, *check, *combiner); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(dir, out, extra, repo, commit string, check, combiner bool) error {
	rows, err := corpus.Load(dir, linear.DefaultParams.Seed)
	if err != nil {
		return err
	}
	fit := trainer.Select(rows, corpus.Fit)
	cal := trainer.Select(rows, corpus.Cal)
	ex, err := corpus.ReadRows(extra)
	if err != nil {
		return err
	}
	fit = append(fit, ex...)
	var agent []*corpus.Row
	if repo != "" {
		if agent, err = trainer.AgentRows(repo, commit); err != nil {
			return err
		}
		fit = append(fit, agent...)
	}
	counts := map[corpus.Split]int{}
	for _, r := range rows {
		counts[r.Split]++
	}
	m := trainer.Build(fit, cal, linear.DefaultParams)
	m.LM = trainer.BuildLM(fit).S
	// The combiner: fitted on what classifiers trained without each source
	// group make of that group (package stacking).
	if combiner {
		held, err := stacking.Folds(context.Background(), rows, ex, agent, os.Stderr)
		if err != nil {
			return err
		}
		m.Stack = stacking.Fit(held, func(*stacking.Held) bool { return true })
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	sum := fmt.Sprintf("%x", sha256.Sum256(b))
	sumFile := strings.TrimSuffix(out, filepath.Ext(out)) + ".sha256"
	if check {
		shipped, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		recorded, err := os.ReadFile(sumFile)
		if err != nil {
			return err
		}
		rec := strings.Fields(string(recorded))
		switch {
		case len(rec) == 0 || rec[0] != sum:
			return fmt.Errorf("training gave sha256 %s, %s records %q: the shipped weights are not what this corpus and code build", sum, sumFile, strings.TrimSpace(string(recorded)))
		case !bytes.Equal(shipped, b):
			return fmt.Errorf("training gave sha256 %s but %s has sha256 %x", sum, out, sha256.Sum256(shipped))
		}
		fmt.Printf("ok: training reproduces %s bit for bit (sha256 %s)\n", out, sum)
		return nil
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(sumFile, []byte(sum+"  "+filepath.Base(out)+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("rows: fit %d (+%d project rows, %d of them agent traffic built from %s at %.12s), cal %d, val %d, evalonly %d\n",
		counts[corpus.Fit], len(fit)-counts[corpus.Fit], len(agent), repo, commit, counts[corpus.Cal], counts[corpus.Val], counts[corpus.EvalOnly])
	fmt.Printf("platt: A=%.4f B=%.4f bias=%.4f\n", m.A, m.B, m.Bias)
	if m.Stack != nil {
		fmt.Printf("combiner c = min(p, σ(A·logit(p) + B)), [A B]: direct %.3f; untrusted %.3f\n", m.Stack.W[linear.Direct], m.Stack.W[linear.Untrusted])
	}
	fmt.Printf("wrote %s (%d bytes, sha256 %s) and %s\n", out, len(b), sum, sumFile)
	return nil
}
