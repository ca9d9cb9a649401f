// Package trainer builds the injection classifier from corpus rows: it
// normalizes each text the way the detector does, turns every row into
// training examples for the speakers it can come from, fits the linear model
// on one set of rows and calibrates it on another.
package trainer

import (
	"bytes"
	"fmt"

	"github.com/picketsec/picket/detectors/injection/internal/agenttraffic"
	"github.com/picketsec/picket/detectors/injection/internal/charlm"
	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/norm"
)

// Vector is the feature vector the detector computes for text written by s.
func Vector(text string, s linear.Speaker) linear.Sparse {
	return linear.Vectorize(norm.Normalize(text).B, s)
}

// SpeakerOf is the speaker a row's text stands for.
func SpeakerOf(r *corpus.Row) linear.Speaker {
	if r.Untrusted() {
		return linear.Untrusted
	}
	return linear.Direct
}

// Examples turns rows into training examples. Who wrote a text changes what
// it means, so a row is used as every speaker it could come from with the
// label it has there:
//
//   - every row as its own speaker;
//   - a benign row also as the other speaker (a rules file read by a tool,
//     a documentation page the user pasted: harmless either way);
//   - a jailbreak or extraction ask also as untrusted content (the same
//     text in a fetched page is still an attack);
//   - a poisoned document only as untrusted content, and, for BIPIA's
//     plain task directives ("Encode your response in Base64"), the
//     sentence that was inserted into it, alone, as a benign request of the
//     user: the same words typed by the user are a request, not an
//     injection. (TaskTracker's insertions open with an override phrase,
//     "Disregard any prior directives", which is an attack from anyone.)
func Examples(rows []*corpus.Row) []linear.Example {
	ex := make([]linear.Example, 0, 2*len(rows))
	for _, r := range rows {
		ex = append(ex, RowExamples(r)...)
	}
	return ex
}

// Windows: the detector judges a long text in windows of WindowBytes
// every StepBytes (see package injection), so training sees long texts cut
// the same way. They must match the detector's constants (checked by a test
// there).
const (
	WindowBytes = 2048
	StepBytes   = 1024
)

// windows cuts normalized text into the detector's windows: the byte spans
// of each.
func windows(n int) [][2]int {
	if n <= WindowBytes {
		return [][2]int{{0, n}}
	}
	var out [][2]int
	for s := 0; ; s += StepBytes {
		e := min(s+WindowBytes, n)
		out = append(out, [2]int{s, e})
		if e == n {
			return out
		}
	}
}

// RowExamples are the training examples of one row (see Examples). A long
// text gives one example per window; in a poisoned document whose inserted
// text is known, only the windows that hold the insertion are malicious:
// the rest of the host is as benign as the clean host.
func RowExamples(r *corpus.Row) []linear.Example {
	var ex []linear.Example
	add := func(text string, s linear.Speaker, label bool, inserted string) {
		b := norm.Normalize(text).B
		ws := windows(len(b))
		for i, l := range windowLabels(b, ws, label, inserted) {
			ex = append(ex, linear.Example{X: linear.Vectorize(b[ws[i][0]:ws[i][1]], s), Label: l})
		}
	}
	own := SpeakerOf(r)
	add(r.Text, own, r.Malicious, r.Inserted)
	switch {
	case !r.Malicious:
		add(r.Text, 1-own, false, "")
	case own == linear.Direct:
		add(r.Text, linear.Untrusted, true, "")
	case r.Inserted != "" && r.Repo == "bipia":
		add(r.Inserted, linear.Direct, false, "")
	}
	return ex
}

// windowLabels labels the windows ws of normalized text b: all as label,
// except that in a poisoned document whose inserted text is known only the
// windows that hold the insertion, or most of it, are malicious.
func windowLabels(b []byte, ws [][2]int, label bool, inserted string) []bool {
	lo, hi := -1, -1
	if label && inserted != "" {
		ib := norm.Normalize(inserted).B
		if k := bytes.Index(b, ib); k >= 0 && len(ib) > 0 {
			lo, hi = k, k+len(ib)
		}
	}
	out := make([]bool, len(ws))
	for i, w := range ws {
		out[i] = label
		if lo >= 0 {
			ov := min(w[1], hi) - max(w[0], lo)
			out[i] = ov >= min(hi-lo, w[1]-w[0])/2 && ov > 0
		}
	}
	return out
}

// WindowLabels are the labels of the detector's windows of a row's text as
// its own speaker (see RowExamples).
func WindowLabels(r *corpus.Row) []bool {
	b := norm.Normalize(r.Text).B
	return windowLabels(b, windows(len(b)), r.Malicious, r.Inserted)
}

// Cache holds rows' training examples and calibration vectors so that
// several models (leave-one-source-out) are built without vectorizing the
// same rows again. Not safe for concurrent use.
type Cache struct {
	ex  map[*corpus.Row][]linear.Example
	cal map[*corpus.Row][]linear.Sparse
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{ex: map[*corpus.Row][]linear.Example{}, cal: map[*corpus.Row][]linear.Sparse{}}
}

// Build is the package's Build with vectors taken from and kept in c.
func (c *Cache) Build(fit, cal []*corpus.Row, p linear.Params) *linear.Model {
	var ex []linear.Example
	for _, r := range fit {
		e, ok := c.ex[r]
		if !ok {
			e = RowExamples(r)
			c.ex[r] = e
		}
		ex = append(ex, e...)
	}
	m := linear.Train(ex, p)
	c.calibrate(m, cal)
	return m
}

func (c *Cache) calibrate(m *linear.Model, cal []*corpus.Row) {
	margins := make([]float64, len(cal))
	labels := make([]bool, len(cal))
	for i, r := range cal {
		vs, ok := c.cal[r]
		if !ok {
			vs = windowVectors(r.Text, SpeakerOf(r))
			c.cal[r] = vs
		}
		// The detector judges an item by its best window.
		margins[i] = m.Margin(vs[0])
		for _, v := range vs[1:] {
			margins[i] = max(margins[i], m.Margin(v))
		}
		labels[i] = r.Malicious
	}
	m.Calibrate(margins, labels)
}

func windowVectors(text string, s linear.Speaker) []linear.Sparse {
	b := norm.Normalize(text).B
	var out []linear.Sparse
	for _, w := range windows(len(b)) {
		out = append(out, linear.Vectorize(b[w[0]:w[1]], s))
	}
	return out
}

// Build trains on fit and calibrates on cal with params p. The result
// depends only on the rows (in order) and p.
func Build(fit, cal []*corpus.Row, p linear.Params) *linear.Model {
	return NewCache().Build(fit, cal, p)
}

// Select returns the rows of the given split, in order.
func Select(rows []*corpus.Row, s corpus.Split) []*corpus.Row {
	var out []*corpus.Row
	for _, r := range rows {
		if r.Split == s {
			out = append(out, r)
		}
	}
	return out
}

// RepoCommit is the commit of this repository whose files (those not held
// back, see agenttraffic.Held) are trained on as benign agent traffic.
// Pinned, so that the same corpus and this commit give the same weights.
const RepoCommit = "6c379a088d22ca394a3b06308c90ddeebf9d8f56"

// agentExamples is how many benign agent-traffic rows training draws, and
// poisonedExamples how many tool results with a planted instruction.
const (
	agentExamples    = 2400
	poisonedExamples = 600
)

// AgentRows builds agent-traffic rows from the repository files at commit
// that are not held back for testing (see package agenttraffic): benign
// tool results and prompts, and tool results with an instruction planted
// in them (the training half of the package's attack sentences).
func AgentRows(repo, commit string) ([]*corpus.Row, error) {
	files, err := agenttraffic.ReadCommit(repo, commit, agenttraffic.Trained)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("trainer: no usable files in %s at %s", repo, commit)
	}
	g := agenttraffic.New(files, 20261202)
	texts, untrusted := g.Examples(agentExamples)
	src := "picketsec/picket@" + commit[:12] + " (this repository, Apache-2.0) and text written for package agenttraffic"
	var rows []*corpus.Row
	for i, t := range texts {
		kind := "prompt"
		if untrusted[i] {
			kind = "tool_result"
		}
		rows = append(rows, &corpus.Row{ID: fmt.Sprintf("injection.benign.picket.agent-traffic.%d", i), Label: "benign",
			Text: t, Source: src, Kind: kind, Repo: "picket", Tag: "agent-traffic", Split: corpus.Fit})
	}
	// Poisoned results come with their clean host, so that the model
	// learns the planted sentence, not the host.
	for i := 0; i < poisonedExamples; i++ {
		_, clean, poisoned, inj, _ := g.PoisonedToolResult()
		rows = append(rows,
			&corpus.Row{ID: fmt.Sprintf("injection.benign.picket.agent-host.%d", i), Label: "benign",
				Text: clean, Source: src, Kind: "tool_result", Repo: "picket", Tag: "agent-traffic", Split: corpus.Fit},
			&corpus.Row{ID: fmt.Sprintf("injection.malicious.picket.agent-traffic.%d", i), Label: "malicious",
				Text: poisoned, Source: src, Kind: "tool_result", Repo: "picket", Tag: "agent-traffic", Malicious: true, Split: corpus.Fit,
				Inserted: inj})
	}
	return rows, nil
}

// BuildLM trains the character model of ordinary text (package charlm)
// on the benign rows among rows, each normalized the way the detector
// sees it, in order.
func BuildLM(rows []*corpus.Row) *charlm.Model {
	var texts [][]byte
	for _, r := range rows {
		if !r.Malicious && corpus.Trainable(r) {
			texts = append(texts, norm.Normalize(r.Text).B)
		}
	}
	return charlm.Train(texts)
}
