package policyeval

import (
	"fmt"
	"io"
	"sort"
)

// Counts is a confusion matrix.
type Counts struct{ TP, FN, FP, TN int }

// Add counts one row: malicious is its label, flagged what was decided.
func (c *Counts) Add(malicious, flagged bool) {
	switch {
	case malicious && flagged:
		c.TP++
	case malicious:
		c.FN++
	case flagged:
		c.FP++
	default:
		c.TN++
	}
}

// Recall is TP / (TP + FN), or 0 with no malicious rows.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// FPR is FP / (FP + TN), or 0 with no benign rows.
func (c Counts) FPR() float64 { return ratio(c.FP, c.FP+c.TN) }

// Precision is TP / (TP + FP), or 0 with nothing flagged.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// String is the matrix as recall, FPR and precision with their counts.
func (c Counts) String() string {
	return fmt.Sprintf("recall %5.1f %% (%d/%d)  FPR %5.2f %% (%d/%d)  precision %5.1f %%",
		100*c.Recall(), c.TP, c.TP+c.FN, 100*c.FPR(), c.FP, c.FP+c.TN, 100*c.Precision())
}

// Tally keeps a matrix per corpus source.
type Tally map[string]*Counts

// Add counts one row of source.
func (t Tally) Add(source string, malicious, flagged bool) {
	c := t[source]
	if c == nil {
		c = &Counts{}
		t[source] = c
	}
	c.Add(malicious, flagged)
}

// Total sums every source.
func (t Tally) Total() Counts {
	var s Counts
	for _, c := range t {
		s.TP += c.TP
		s.FN += c.FN
		s.FP += c.FP
		s.TN += c.TN
	}
	return s
}

// Sources lists the sources in name order.
func (t Tally) Sources() []string {
	out := make([]string, 0, len(t))
	for s := range t {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// WorstRecall is the source with malicious rows (at least min of them)
// whose recall is lowest; WorstFPR the one with benign rows (at least min)
// whose false-positive rate is highest. ok is false when none qualifies.
func (t Tally) WorstRecall(min int) (source string, c Counts, ok bool) {
	for _, s := range t.Sources() {
		x := *t[s]
		if x.TP+x.FN >= min && (!ok || x.Recall() < c.Recall()) {
			source, c, ok = s, x, true
		}
	}
	return
}

// WorstFPR: see WorstRecall.
func (t Tally) WorstFPR(min int) (source string, c Counts, ok bool) {
	for _, s := range t.Sources() {
		x := *t[s]
		if x.FP+x.TN >= min && (!ok || x.FPR() > c.FPR()) {
			source, c, ok = s, x, true
		}
	}
	return
}

// Fprint writes the total, one line per source and the worst sources.
func (t Tally) Fprint(w io.Writer, title string) {
	fmt.Fprintf(w, "%s\n  all sources            %s\n", title, t.Total())
	for _, s := range t.Sources() {
		fmt.Fprintf(w, "  %-22s %s\n", s, *t[s])
	}
	if s, c, ok := t.WorstRecall(10); ok {
		fmt.Fprintf(w, "  worst recall:  %s (%.1f %%)\n", s, 100*c.Recall())
	}
	if s, c, ok := t.WorstFPR(10); ok {
		fmt.Fprintf(w, "  worst FPR:     %s (%.2f %%)\n", s, 100*c.FPR())
	}
}
