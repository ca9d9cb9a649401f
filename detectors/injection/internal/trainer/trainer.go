// Package trainer builds the injection classifier from corpus rows: it
// normalizes each text the way the detector does, turns every row into
// training examples for the speakers it can come from, fits the linear model
// on one set of rows and calibrates it on another.
package trainer

import (
	"fmt"

	"github.com/picketsec/picket/detectors/injection/internal/agenttraffic"
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
	add := func(text string, s linear.Speaker, label bool) {
		ex = append(ex, linear.Example{X: Vector(text, s), Label: label})
	}
	for _, r := range rows {
		own := SpeakerOf(r)
		add(r.Text, own, r.Malicious)
		switch {
		case !r.Malicious:
			add(r.Text, 1-own, false)
		case own == linear.Direct:
			add(r.Text, linear.Untrusted, true)
		case r.Inserted != "" && r.Repo == "bipia":
			add(r.Inserted, linear.Direct, false)
		}
	}
	return ex
}

// Build trains on fit and calibrates on cal with params p. The result
// depends only on the rows (in order) and p.
func Build(fit, cal []*corpus.Row, p linear.Params) *linear.Model {
	m := linear.Train(Examples(fit), p)
	margins := make([]float64, len(cal))
	labels := make([]bool, len(cal))
	for i, r := range cal {
		margins[i] = m.Margin(Vector(r.Text, SpeakerOf(r)))
		labels[i] = r.Malicious
	}
	m.Calibrate(margins, labels)
	return m
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

// agentExamples is how many benign agent-traffic rows training draws.
const agentExamples = 2400

// AgentRows builds benign agent-traffic rows (tool results and prompts,
// see package agenttraffic) from the repository files at commit that are
// not held back for testing.
func AgentRows(repo, commit string) ([]*corpus.Row, error) {
	files, err := agenttraffic.ReadCommit(repo, commit, agenttraffic.Trained)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("trainer: no usable files in %s at %s", repo, commit)
	}
	texts, untrusted := agenttraffic.New(files, 20261202).Examples(agentExamples)
	rows := make([]*corpus.Row, len(texts))
	for i, t := range texts {
		kind := "prompt"
		if untrusted[i] {
			kind = "tool_result"
		}
		rows[i] = &corpus.Row{ID: fmt.Sprintf("injection.benign.picket.agent-traffic.%d", i), Label: "benign",
			Text: t, Source: "picketsec/picket@" + commit[:12] + " (this repository, Apache-2.0)", Kind: kind,
			Repo: "picket", Tag: "agent-traffic", Split: corpus.Fit}
	}
	return rows, nil
}
