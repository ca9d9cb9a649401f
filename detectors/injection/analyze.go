package injection

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/picketsec/picket/detectors/injection/internal/charlm"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/norm"
	"github.com/picketsec/picket/sdk"
)

// Windows: the normalized text is cut into blocks; a window is winBlocks
// blocks and windows start every stepBlocks blocks, so each byte is judged
// in two overlapping windows and nothing is left out.
const (
	blockShift = 8 // 256-byte blocks
	winBlocks  = 8 // 2 KiB windows
	stepBlocks = 4 // 1 KiB step
	maxDepth   = 2 // nested decodings judged (base64 inside base64 …)
)

// The fixed combination of a model without a combiner (linear.Stack; the
// shipped model has one, fitted on held-out sources; the evaluation builds
// models without one to compare): in untrusted content a window whose
// signals weigh less than corroboration counts the classifier at
// uncorroborated of its score unless the classifier reaches
// classifierAlone.
const (
	corroboration   = 0.5
	classifierAlone = 0.99
	uncorroborated  = 0.7
)

// With the fitted combiner, a user-prompt window without any signal counts
// at most promptAloneCap (medium at the default thresholds) unless the
// classifier reaches promptAlone. Chosen on the leave-one-out scores by the
// rule the evaluation states (most held-out recall with at most 2 % of
// benign rows and 1 in 1,000 benign agent requests blocked): role-play and
// prompt-engineering requests that the classifier scores 0.97–0.99 were
// blocking whole requests, and held out a third of the benign prompts the
// classifier alone blocked were chat prompts of sources it never saw.
const (
	promptAlone    = 0.995
	promptAloneCap = 0.75
)

// hitWeight is the weight of one signal match.
func (h *hit) weight(untrusted bool) float64 {
	if h.fixed > 0 {
		return h.fixed
	}
	if untrusted {
		return h.sig.Untrusted
	}
	return h.sig.Direct
}

func (h *hit) id() string {
	if h.enc != nil {
		return h.enc.ID
	}
	return h.sig.ID
}

func (h *hit) class() string {
	if h.enc != nil {
		return h.enc.Class
	}
	return h.sig.Class
}

func (h *hit) desc() string {
	if h.enc != nil {
		if h.sig != nil {
			return h.enc.Desc + " (" + h.sig.Desc + ")"
		}
		return h.enc.Desc
	}
	return h.sig.Desc
}

// Signals for decoded content; their weight is the decoded text's score.
var (
	sigBase64 = &signal{ID: "encoded.base64", Class: ClassEncoded, Desc: "base64-encoded instruction"}
	sigHex    = &signal{ID: "encoded.hex", Class: ClassEncoded, Desc: "hex-encoded instruction"}
	sigURL    = &signal{ID: "encoded.url", Class: ClassEncoded, Desc: "URL-encoded instruction"}
	sigRot13  = &signal{ID: "encoded.rot13", Class: ClassEncoded, Desc: "rot13-encoded instruction"}
	sigLeet   = &signal{ID: "encoded.leetspeak", Class: ClassEncoded, Desc: "leetspeak-obfuscated instruction"}
)

// window is one judged span of normalized text.
type window struct {
	start, end int // byte span in the normalized text
	model      float64
	heur       float64
	score      float64
	hits       []hit
	// fam is the strongest signal weight of each family in the window.
	fam [linear.Families]float64
}

// analysis is what the detector found in one text.
type analysis struct {
	nt      *norm.Text
	windows []window
	// zwSplitsSignal is the best score of a window where zero-width
	// characters split a signal's words (0 when none does).
	zwSplitsSignal float64
}

// Scores are an item's best window scores.
type Scores struct {
	Combined  float64 // what findings and severities are based on
	Model     float64 // the classifier alone
	Heuristic float64 // the heuristic signals alone
}

// StackInputs are the combiner's inputs for every window of text judged
// as an item of kind (the classifier's probability and each signal family's
// strongest weight), in window order, with each window's span in the
// normalized text. Training the combiner uses them.
func (d *Detector) StackInputs(ctx context.Context, kind sdk.Kind, text string) ([]linear.StackInput, error) {
	untrusted := kind == sdk.KindToolResult
	a, err := d.analyze(ctx, text, untrusted, 0)
	if err != nil {
		return nil, err
	}
	sp := linear.Direct
	if untrusted {
		sp = linear.Untrusted
	}
	out := make([]linear.StackInput, len(a.windows))
	for i, w := range a.windows {
		out[i] = linear.StackInput{P: w.model, Fam: w.fam, Speaker: sp}
	}
	return out, nil
}

// Score judges text as an item of kind and returns its best window scores.
// Evaluation uses it to rank rows; Detect uses the same analysis.
func (d *Detector) Score(ctx context.Context, kind sdk.Kind, text string) (Scores, error) {
	a, err := d.analyze(ctx, text, kind == sdk.KindToolResult, 0)
	if err != nil {
		return Scores{}, err
	}
	var s Scores
	for _, w := range a.windows {
		s.Combined = max(s.Combined, w.score)
		s.Model = max(s.Model, w.model)
		s.Heuristic = max(s.Heuristic, w.heur)
	}
	return s, nil
}

// analyze normalizes text and judges every window of it.
func (d *Detector) analyze(ctx context.Context, text string, untrusted bool, depth int) (*analysis, error) {
	nt := norm.Normalize(text)
	b := nt.B
	a := &analysis{nt: nt}
	hits, rot := d.m.find(b)
	// Leetspeak: keep only the matches that the folding made.
	if lv := norm.Leet(b); lv != nil {
		lh, _ := d.m.find(lv)
		for _, h := range lh {
			if !bytes.Equal(lv[h.start:h.end], b[h.start:h.end]) {
				h.enc = sigLeet
				hits = append(hits, h)
			}
		}
	}
	if rot >= 2 {
		rh, _ := d.m.find(norm.Rot13(b))
		for _, h := range rh {
			h.enc = sigRot13
			hits = append(hits, h)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("injection: %w", err)
	}
	if depth < maxDepth {
		for _, r := range findEncoded(text) {
			inner, err := d.analyze(ctx, r.decoded, untrusted, depth+1)
			if err != nil {
				return nil, err
			}
			best := 0.0
			var bestHit *hit
			for _, w := range inner.windows {
				if w.score > best {
					best = w.score
					bestHit = nil
					bw := 0.0
					for k := range w.hits {
						if wt := w.hits[k].weight(untrusted); wt > bw {
							bw, bestHit = wt, &w.hits[k]
						}
					}
				}
			}
			if best < 0.3 {
				continue
			}
			h := hit{start: nt.NormPos(r.start), end: nt.NormPos(r.end), fixed: min(best, 0.99)}
			switch r.scheme {
			case "base64":
				h.enc = sigBase64
			case "hex":
				h.enc = sigHex
			default:
				h.enc = sigURL
			}
			if bestHit != nil {
				h.sig = bestHit.sig
			}
			hits = append(hits, h)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	for k := range hits {
		h := &hits[k]
		if h.enc != nil || h.fixed > 0 || h.sig == nil {
			continue
		}
		switch {
		case untrusted && h.sig == sigAnswerIntl && (foreignInEnglish(b, h.start, h.end) || foreignAround(b, h.start, h.end)):
			// A question put to the reader in another language than
			// the page (the table, the tool's output) around it.
			h.sig = sigForeignTask
		case !untrusted && (h.class() == ClassOverride || h.class() == ClassExtraction) && quoted(b, h.start, h.end):
			// The user quotes an override or an extraction ask (asks
			// about it, tests a filter with it): a mention, not a use.
			// (A persona's name in quotes, "DAN", is still a persona.)
			h.fixed = h.sig.Direct * quotedShare
			h.mention = true
		}
	}
	if untrusted {
		judgeAsks(b, hits)
	}
	hits = dropRestated(hits, untrusted)
	if untrusted && depth == 0 {
		if h, ok := offTopicQuestion(b); ok {
			hits = append(hits, h)
			sort.SliceStable(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
		}
		if h, ok := offTopicTask(b); ok {
			hits = append(hits, h)
			sort.SliceStable(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
		}
	}
	if !untrusted && depth == 0 && d.model.LM != nil {
		if h, ok := suffixHit(&charlm.Model{S: d.model.LM}, b); ok {
			hits = append(hits, h)
			sort.SliceStable(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
		}
	}

	// Classifier: each window's distinct features.
	m := d.model
	sp := linear.Direct
	if untrusted {
		sp = linear.Untrusted
	}
	var models []float64
	m.Windows(b, sp, winBlocks<<blockShift, stepBlocks<<blockShift, func(_, _ int, margin float64) {
		models = append(models, m.Prob(margin))
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("injection: %w", err)
	}
	nb := (len(b) + 1<<blockShift - 1) >> blockShift
	if nb == 0 {
		nb = 1
	}
	hi := 0
	for s, k := 0, 0; ; s, k = s+stepBlocks, k+1 {
		e := min(s+winBlocks, nb)
		w := window{start: s << blockShift, end: min(e<<blockShift, len(b))}
		w.model = models[min(k, len(models)-1)]
		for hi < len(hits) && hits[hi].start < w.start {
			hi++
		}
		// Signals of one family count once (the strongest); families
		// combine as independent evidence.
		best := &w.fam
		against := false // a signal the user may not ask for
		for k := hi; k < len(hits) && hits[k].start < w.end; k++ {
			w.hits = append(w.hits, hits[k])
			c := classIndex(hits[k].class())
			wt := hits[k].weight(untrusted)
			if wt > best[c] {
				best[c] = wt
			}
			if hits[k].speaksAgainst(untrusted) {
				against = true
			}
		}
		miss := 1.0
		for _, wt := range best {
			miss *= 1 - wt
		}
		w.heur = 1 - miss
		model := w.model
		switch {
		case m.Stack != nil:
			// The combiner fitted on held-out sources (package
			// stacking) weighs the classifier against the signals.
			w.score = m.Stack.Prob(linear.StackInput{P: w.model, Fam: w.fam, Speaker: sp})
			if !untrusted && !against && w.model < promptAlone {
				// A user prompt no signal speaks against (none, only
				// what a user may ask for: how to answer, or an
				// override the user quotes: a mention) is the
				// user's own request: the classifier alone reports
				// it, and blocks it only when it is near certain.
				w.score = min(w.score, promptAloneCap)
			}
		case untrusted && w.heur < corroboration && model < classifierAlone:
			// Documents, code, logs and pages resemble the poisoned ones
			// the classifier was trained on far more than user prompts
			// resemble jailbreaks: in untrusted content the classifier
			// corroborates signals, and blocks on its own only when it
			// is near certain.
			model *= uncorroborated
			fallthrough
		default:
			w.score = 1 - (1-model)*miss
		}
		a.windows = append(a.windows, w)
		if e >= nb {
			break
		}
		if len(a.windows)%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("injection: %w", err)
			}
		}
	}
	// Do zero-width characters split a signal's words?
	var zw []int
	for _, h := range nt.Hidden {
		if h.Kind == norm.HiddenZeroWidth {
			zw = append(zw, nt.NormPos(h.Start))
		}
	}
	if len(zw) > 0 {
		for _, w := range a.windows {
			for _, h := range w.hits {
				k := sort.SearchInts(zw, h.start+1)
				if k < len(zw) && zw[k] < h.end && w.score > a.zwSplitsSignal {
					a.zwSplitsSignal = w.score
				}
			}
		}
	}
	return a, nil
}

func classIndex(c string) int {
	switch c {
	case ClassOverride:
		return 0
	case ClassRole:
		return 1
	case ClassExtraction:
		return 2
	case ClassDelimiter:
		return 3
	case ClassHidden, ClassConceal:
		// Hidden text and text that hides the assistant's actions
		// share the combiner's slot: both keep something from the
		// user.
		return 4
	case ClassExfil:
		return 5
	case ClassEncoded:
		return 6
	case ClassTaskDrift:
		return 8
	case ClassAdversarial:
		// An optimised suffix obfuscates its request as an encoding
		// does; the combiner knows nine families.
		return 6
	}
	return 7 // ClassTool
}

// dropRestated keeps, of the hits of one family that overlap (two
// signals matching one phrase, "ignore the previous instructions" as an
// override said two ways), only the strongest: the score counts a
// family's strongest signal anyway, and the finding names each phrase
// once. hits are sorted by start.
func dropRestated(hits []hit, untrusted bool) []hit {
	out := hits[:0]
	for _, h := range hits {
		k := len(out) - 1
		for ; k >= 0 && out[k].end > h.start; k-- {
			if out[k].class() == h.class() {
				break
			}
		}
		if k < 0 || out[k].end <= h.start {
			out = append(out, h)
			continue
		}
		if h.weight(untrusted) > out[k].weight(untrusted) {
			out[k] = h
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}
