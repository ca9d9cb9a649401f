// Package injection is picket's prompt-injection detector: direct
// jailbreaks in the user's prompt and indirect injection in tool results and
// fetched documents.
//
// Every item is normalized (NFKC, homoglyphs, invisible characters,
// leetspeak; base64 / hex / URL-encoded runs and rot13 text are decoded and
// scanned again), then judged in overlapping windows by weighted heuristic
// signals and a trained linear classifier (package internal/linear, weights
// embedded from model/weights.bin). The two combine into one calibrated
// score per window; the best window of an item becomes a finding whose
// severity follows the score and the per-kind threshold. Nothing is
// truncated and nothing is fetched at run time.
package injection

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/norm"
	"github.com/picketsec/picket/detectors/injection/model"
	"github.com/picketsec/picket/sdk"
)

// ID is the detector's id.
const ID = "injection"

// Version is the detector's version.
const Version = "0.1.0"

// Category is the category of every finding.
const Category = "injection"

// Interface guard.
var _ sdk.Detector = (*Detector)(nil)

// Config is the detector's configuration (JSON).
type Config struct {
	// Thresholds per item kind: a score at or above it is a high (or
	// critical) finding, which the host blocks by default.
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
	// ScanSystem makes the detector judge system prompts (off by default:
	// they are the application's own scaffolding).
	ScanSystem bool `json:"scan_system,omitempty"`
	// ScanResponse makes the detector judge model output.
	ScanResponse bool `json:"scan_response,omitempty"`
	// MinScore is the lowest score reported at all (as low or medium).
	MinScore *float64 `json:"min_score,omitempty"`
}

// DefaultThresholds are the per-kind thresholds used when the config names
// none, fitted on sources held back from training (README, "Measured"):
// the lowest at which no benign whole agent request built from held-back
// material was blocked. Prompts and tool results share one threshold: what
// makes tool results riskier, or safer, is already in the evidence
// (instructions aimed at the assistant weigh more there, see
// signal.Untrusted; the classifier alone weighs less, see corroboration).
// System prompts (never above medium) and model output, scanned only on
// request, need stronger evidence.
var DefaultThresholds = map[sdk.Kind]float64{
	sdk.KindSystem:     0.9,
	sdk.KindPrompt:     0.8,
	sdk.KindToolResult: 0.8,
	sdk.KindResponse:   0.9,
}

// DefaultMinScore is the lowest score reported by default.
const DefaultMinScore = 0.5

const configSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "thresholds": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "system": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "prompt": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "tool_result": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "response": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
      }
    },
    "scan_system": {"type": "boolean"},
    "scan_response": {"type": "boolean"},
    "min_score": {"type": "number", "minimum": 0, "maximum": 1}
  }
}`

var kinds = []sdk.Kind{sdk.KindSystem, sdk.KindPrompt, sdk.KindToolResult, sdk.KindResponse}

type settings struct {
	threshold    map[sdk.Kind]float64
	scanSystem   bool
	scanResponse bool
	minScore     float64
}

func defaultSettings() *settings {
	s := &settings{threshold: map[sdk.Kind]float64{}, minScore: DefaultMinScore}
	for k, v := range DefaultThresholds {
		s.threshold[k] = v
	}
	return s
}

// Detector is the prompt-injection detector. It is safe for concurrent use;
// Configure may run while Detect calls are in flight (they keep the config
// they started with).
type Detector struct {
	model   *linear.Model
	loadErr error
	m       *matcher
	cfg     atomic.Pointer[settings]
}

var (
	sharedOnce    sync.Once
	sharedModel   *linear.Model
	sharedErr     error
	sharedMatcher *matcher
)

func shared() (*linear.Model, *matcher, error) {
	sharedOnce.Do(func() {
		sharedMatcher = newMatcher()
		sharedModel, sharedErr = linear.Load(model.Weights)
		if sharedErr != nil {
			sharedErr = fmt.Errorf("injection: embedded weights: %w", sharedErr)
		}
	})
	return sharedModel, sharedMatcher, sharedErr
}

// New returns the detector with the embedded model and default config.
func New() sdk.Detector {
	m, mt, err := shared()
	d := &Detector{model: m, loadErr: err, m: mt}
	d.cfg.Store(defaultSettings())
	return d
}

// NewWithModel returns a detector that uses the classifier m instead of the
// embedded one (evaluation of models trained on other splits).
func NewWithModel(m *linear.Model) *Detector {
	_, mt, _ := shared()
	d := &Detector{model: m, m: mt}
	d.cfg.Store(defaultSettings())
	return d
}

// Info describes the detector.
func (d *Detector) Info() sdk.Info {
	return sdk.Info{
		ID:           ID,
		Version:      Version,
		APIVersion:   sdk.APIVersion,
		Description:  "Prompt injection and jailbreaks: heuristics in eight languages plus a trained classifier, tool results judged as untrusted",
		Kinds:        append([]sdk.Kind(nil), kinds...),
		ConfigSchema: configSchema,
	}
}

// Configure validates and applies config (a JSON object). A bad config is
// refused with an error naming the field, and the previous config stays.
func (d *Detector) Configure(_ context.Context, config []byte) error {
	if d.loadErr != nil {
		return d.loadErr
	}
	s, err := parseConfig(config)
	if err != nil {
		return err
	}
	d.cfg.Store(s)
	return nil
}

func parseConfig(config []byte) (*settings, error) {
	s := defaultSettings()
	if len(bytes.TrimSpace(config)) == 0 {
		return s, nil
	}
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("injection: config: %w", err)
	}
	if dec.More() {
		return nil, errors.New("injection: config: trailing data after the object")
	}
	var errs []error
	names := make([]string, 0, len(c.Thresholds))
	for k := range c.Thresholds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := c.Thresholds[k]
		kind := sdk.Kind(k)
		known := false
		for _, kk := range kinds {
			known = known || kk == kind
		}
		switch {
		case !known:
			errs = append(errs, fmt.Errorf("thresholds.%s: unknown item kind (want system, prompt, tool_result or response)", k))
		case math.IsNaN(v) || v <= 0 || v > 1:
			errs = append(errs, fmt.Errorf("thresholds.%s: %v is not in (0, 1]", k, v))
		default:
			s.threshold[kind] = v
		}
	}
	if c.MinScore != nil {
		if v := *c.MinScore; math.IsNaN(v) || v < 0 || v > 1 {
			errs = append(errs, fmt.Errorf("min_score: %v is not in [0, 1]", v))
		} else {
			s.minScore = v
		}
	}
	s.scanSystem, s.scanResponse = c.ScanSystem, c.ScanResponse
	if len(errs) == 0 {
		for _, k := range kinds {
			if s.minScore > s.threshold[k] {
				errs = append(errs, fmt.Errorf("min_score: %v is above thresholds.%s (%v): high findings would be dropped", s.minScore, k, s.threshold[k]))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("injection: config: %w", errors.Join(errs...))
	}
	return s, nil
}

// maxFindings caps the window findings reported for one item.
const maxFindings = 4

// Detect judges every item of a declared kind and returns one finding per
// suspicious window (at most a few per item, best first) plus one per run of
// hidden text.
func (d *Detector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	if d.loadErr != nil {
		return nil, d.loadErr
	}
	if ev == nil {
		return nil, nil
	}
	s := d.cfg.Load()
	var out []sdk.Finding
	for i := range ev.Items {
		it := &ev.Items[i]
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("injection: %w", err)
		}
		switch it.Kind {
		case sdk.KindPrompt, sdk.KindToolResult:
		case sdk.KindSystem:
			if !s.scanSystem {
				continue
			}
		case sdk.KindResponse:
			if !s.scanResponse {
				continue
			}
		default:
			continue
		}
		if it.Text == "" {
			continue
		}
		fs, err := d.detectItem(ctx, s, it)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

func untrustedItem(it *sdk.Item) bool {
	return it.Kind == sdk.KindToolResult || it.Untrusted
}

// speaker is who wrote an item, as far as the detector can tell, and what
// that allows a finding on it to be.
type speaker struct {
	name      string // safe to show: "user prompt", "tool result of WebFetch", …
	untrusted bool   // content nobody in the conversation wrote
	// capped findings never reach high: the operator's own system prompt,
	// and the user's earlier turns, judged when they were new.
	capped bool
}

// speakerOf says who wrote it. The operator's system prompt is never an
// injection; the user's own turns are judged for direct attacks
// (jailbreaks, overrides, extraction), and only when they are new: a turn
// the client resends was judged when it was new, and re-blocking it would
// lock the session; untrusted content (tool output, fetched pages, files,
// search results, MCP output) is judged for text that addresses the
// assistant, changes its task, asks for its instructions, calls tools or
// sends data somewhere, in every request it is part of, since the model
// reads it again each time.
func speakerOf(it *sdk.Item) speaker {
	tool := ""
	if it.Tool != nil && it.Tool.Name != "" {
		tool = " of " + it.Tool.Name
	}
	history := it.Origin == sdk.OriginHistory && !it.New
	switch {
	case it.Kind == sdk.KindSystem:
		return speaker{name: "operator's system prompt", untrusted: it.Untrusted, capped: true}
	case it.Kind == sdk.KindToolResult:
		return speaker{name: "tool result" + tool + " (untrusted content)", untrusted: true}
	case it.Kind == sdk.KindResponse:
		return speaker{name: "model response", untrusted: it.Untrusted}
	case it.Untrusted:
		return speaker{name: "untrusted content in a prompt", untrusted: true}
	case history:
		return speaker{name: "user prompt resent in history (judged when new)", capped: true}
	}
	return speaker{name: "user prompt"}
}

func (d *Detector) detectItem(ctx context.Context, s *settings, it *sdk.Item) ([]sdk.Finding, error) {
	sp := speakerOf(it)
	a, err := d.analyze(ctx, it.Text, sp.untrusted, 0)
	if err != nil {
		return nil, err
	}
	thr, ok := s.threshold[it.Kind]
	if !ok {
		thr = DefaultThresholds[sdk.KindPrompt]
	}
	var out []sdk.Finding
	order := make([]int, len(a.windows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return a.windows[order[i]].score > a.windows[order[j]].score })
	var picked []*window
	for _, wi := range order {
		w := &a.windows[wi]
		if w.score < s.minScore || len(picked) >= maxFindings {
			break
		}
		if len(picked) > 0 && w.score < thr {
			break
		}
		overlaps := false
		for _, p := range picked {
			if w.start < p.end && p.start < w.end {
				overlaps = true
				break
			}
		}
		if overlaps {
			continue
		}
		picked = append(picked, w)
		out = append(out, d.windowFinding(it, sp, a, w, thr, s.minScore))
	}
	out = append(out, hiddenFindings(it, sp, a, thr)...)
	if sp.capped {
		for i := range out {
			out[i].Severity = min(out[i].Severity, sdk.SeverityMedium)
		}
	}
	return out, nil
}

// severity maps a score to a severity given the kind's threshold: at or
// above the threshold high (critical near certainty), below it medium or
// low.
func severity(score, thr, minScore float64) sdk.Severity {
	switch {
	case score >= thr && score >= thr+0.75*(1-thr):
		return sdk.SeverityCritical
	case score >= thr:
		return sdk.SeverityHigh
	case score >= (minScore+thr)/2:
		return sdk.SeverityMedium
	default:
		return sdk.SeverityLow
	}
}

func (d *Detector) windowFinding(it *sdk.Item, sp speaker, a *analysis, w *window, thr, minScore float64) sdk.Finding {
	rule, class, desc := "classifier.linear", ClassClassifier, "text resembles known injections and jailbreaks"
	var top *hit
	topW := 0.0
	var sigs []string
	seen := map[string]bool{}
	for k := range w.hits {
		h := &w.hits[k]
		wt := h.weight(sp.untrusted)
		if !seen[h.id()] {
			seen[h.id()] = true
			sigs = append(sigs, fmt.Sprintf("%s %.2f%s", h.id(), wt, h.askNote()))
		}
		if wt > topW {
			top, topW = h, wt
		}
	}
	// The span that triggered: the strongest signal's match when a signal
	// names the finding (it says what the text does), else the window the
	// classifier judged.
	ns, ne := w.start, w.end
	if top != nil && (topW >= 0.5 || topW >= w.model) {
		rule, class, desc = top.id(), top.class(), top.desc()
		if top.ask == askHostile {
			desc += ", asking it " + top.askWhat
		}
		ns, ne = top.start, top.end
	}
	msg := fmt.Sprintf("possible prompt injection in %s: %s", sp.name, desc)
	if len(sigs) > 0 {
		msg += "; signals: " + strings.Join(sigs, ", ")
	}
	msg += fmt.Sprintf("; classifier %.2f; score %.2f (blocks at %.2f)", w.model, w.score, thr)
	if sp.capped {
		msg += "; not blocking: " + cappedReason(it)
	}
	start, end := a.nt.Orig(ns), a.nt.Orig(ne)
	return sdk.Finding{
		Detector:    ID,
		Rule:        rule,
		Category:    Category,
		Class:       class,
		Severity:    severity(w.score, thr, minScore),
		Confidence:  round3(w.score),
		Item:        it.Index,
		Start:       start,
		End:         end,
		Message:     msg,
		Fingerprint: sdk.Fingerprint(ID, rule, it.Text[start:end]),
	}
}

func cappedReason(it *sdk.Item) string {
	if it.Kind == sdk.KindSystem {
		return "the operator's system prompt is not an injection"
	}
	return "an earlier user turn, judged when it was new"
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// hiddenFindings reports invisible characters that hide text: Unicode tag
// characters carrying ASCII, zero-width characters inside words, and bidi
// overrides.
func hiddenFindings(it *sdk.Item, sp speaker, a *analysis, thr float64) []sdk.Finding {
	type agg struct {
		start, end, count int
		nstart, nend      int
		first             bool
	}
	var tags, zw, bidi agg
	add := func(g *agg, h norm.Hidden) {
		if !g.first {
			g.start, g.nstart, g.first = h.Start, h.NormStart, true
			g.nend = h.NormEnd
		}
		g.end = h.End
		g.count += h.Count
		if h.NormEnd > g.nend {
			g.nend = h.NormEnd
		}
	}
	for _, h := range a.nt.Hidden {
		switch h.Kind {
		case norm.HiddenTags:
			add(&tags, h)
		case norm.HiddenZeroWidth:
			add(&zw, h)
		case norm.HiddenBidi:
			add(&bidi, h)
		}
	}
	// The score of the text the invisible characters touch.
	scoreAt := func(nstart, nend int) float64 {
		best := 0.0
		for _, w := range a.windows {
			if w.start <= nend && nstart < w.end+1 && w.score > best {
				best = w.score
			}
		}
		return best
	}
	var out []sdk.Finding
	mk := func(rule, msg string, sev sdk.Severity, conf float64, g agg) sdk.Finding {
		return sdk.Finding{
			Detector: ID, Rule: rule, Category: Category, Class: ClassHidden,
			Severity: sev, Confidence: round3(conf), Item: it.Index,
			Start: g.start, End: g.end, Message: msg,
			Fingerprint: sdk.Fingerprint(ID, rule, it.Text[g.start:g.end]),
		}
	}
	if tags.count >= 4 {
		sc := scoreAt(tags.nstart, tags.nend)
		sev, conf := sdk.SeverityHigh, math.Max(0.9, sc)
		if sc >= thr {
			sev = sdk.SeverityCritical
		}
		out = append(out, mk("hidden.unicode_tags",
			fmt.Sprintf("hidden text in %s: %d invisible Unicode tag characters carry text (decoded and scanned)", sp.name, tags.count),
			sev, conf, tags))
	}
	if zw.count >= 3 {
		// Zero-width characters splitting the words of a signal are an
		// evasion; elsewhere they are suspicious only.
		sev, conf := sdk.SeverityMedium, 0.6
		if a.zwSplitsSignal > 0 {
			sev, conf = sdk.SeverityHigh, math.Max(0.9, a.zwSplitsSignal)
		}
		out = append(out, mk("hidden.zero_width",
			fmt.Sprintf("hidden text in %s: %d zero-width characters inside words", sp.name, zw.count),
			sev, conf, zw))
	}
	if bidi.count >= 2 {
		out = append(out, mk("hidden.bidi",
			fmt.Sprintf("hidden text in %s: %d bidirectional control characters reorder the text", sp.name, bidi.count),
			sdk.SeverityLow, 0.4, bidi))
	}
	return out
}
