// Package commands is picket's unsafe-command detector. It judges the shell
// commands that coding agents run through tool calls (Claude Code's Bash,
// Codex's shell and exec_command, Gemini's run_shell_command, and any tool
// with a command, cmd or script argument).
//
// Commands are parsed with mvdan.cc/sh/v3 and judged on their effects, not
// their words: every simple command is resolved (quotes, escapes, variables
// assigned earlier), unwrapped (sudo, env, xargs, find -exec, timeout, …),
// and followed into what it hides (bash -c strings, eval, substitutions,
// here-documents, payloads piped through base64 -d into a shell, code
// handed to interpreters, PowerShell -EncodedCommand). Text that does not
// parse is split by a quote-aware tokenizer and judged the same way.
//
// Each rule in the rule table names an effect class ("reverse shell",
// "download and execute", …) and carries commands it must flag and near
// misses it must not; TestRuleExamples checks both.
package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/picketsec/picket/sdk"
)

// ID is the detector's id, and Finding.Detector of its findings.
const ID = "commands"

// Version is the detector's version.
const Version = "0.1.0"

// Category is Finding.Category of every finding.
const Category = "command"

// Detector is the unsafe-command detector. It is safe for concurrent use.
type Detector struct {
	cfg atomic.Pointer[config]
}

// Interface guard.
var _ sdk.Detector = (*Detector)(nil)

// New returns a detector with the default configuration.
func New() sdk.Detector {
	d := &Detector{}
	d.cfg.Store(defaultConfig)
	return d
}

// Info describes the detector: it wants tool_call items.
func (d *Detector) Info() sdk.Info {
	return sdk.Info{
		ID:           ID,
		Version:      Version,
		APIVersion:   sdk.APIVersion,
		Description:  "Flags shell, PowerShell and cmd.exe commands in tool calls by their effect: download and execute, reverse shells, destructive filesystem, VCS and database operations, credential access, exfiltration, persistence, defence evasion, privilege escalation, miners, fork bombs, container escapes.",
		Kinds:        []sdk.Kind{sdk.KindToolCall},
		ConfigSchema: ConfigSchema,
	}
}

// Configure sets the protected branches, protected paths and allowed hosts
// from a JSON object. A bad config returns an error naming the field and
// leaves the previous configuration in place.
func (d *Detector) Configure(ctx context.Context, raw []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commands: configure: %w", err)
	}
	c, err := parseConfig(raw)
	if err != nil {
		return err
	}
	d.cfg.Store(c)
	return nil
}

// Detect judges the command of every tool_call item of ev.
func (d *Detector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	if ev == nil {
		return nil, nil
	}
	cfg := d.cfg.Load()
	var out []sdk.Finding
	for i := range ev.Items {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("commands: %w", err)
		}
		it := &ev.Items[i]
		if it.Kind != sdk.KindToolCall {
			continue
		}
		cmd := commandOf(it)
		if strings.TrimSpace(cmd) == "" {
			continue
		}
		ms := judge(ctx, cmd, cfg)
		if !cfg.raw {
			ms = dropCovered(ms) // after calibration: the most severe grade of each effect stands
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("commands: %w", err)
		}
		base, exact := 0, it.Text == cmd
		if !exact {
			if j := strings.Index(it.Text, cmd); j >= 0 {
				base, exact = j, true
			}
		}
		for _, m := range ms {
			f := sdk.Finding{
				Detector:    ID,
				Rule:        m.rule.ID,
				Category:    Category,
				Class:       m.rule.Class,
				Severity:    m.sev,
				Confidence:  confidence(m.sev),
				Item:        it.Index,
				Message:     m.msg,
				Fingerprint: sdk.Fingerprint(ID, m.rule.ID, cmd[m.start:m.end]),
			}
			if exact {
				f.Start, f.End = base+m.start, base+m.end
			} else {
				f.Start, f.End = 0, len(it.Text)
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// dropCovered drops a match that says again what another match of the
// same class says about a wider or the same span at no lower severity (a
// download from a bare address inside a download piped into a shell): one
// finding per effect and span, the most telling one.
func dropCovered(ms []match) []match {
	out := ms[:0:0]
	for i, m := range ms {
		covered := false
		for j, k := range ms {
			if j == i || k.rule.Class != m.rule.Class || k.sev < m.sev || k.start > m.start || k.end < m.end {
				continue
			}
			if k.sev > m.sev || k.end-k.start > m.end-m.start || j < i {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, m)
		}
	}
	return out
}

func confidence(s sdk.Severity) float64 {
	switch {
	case s >= sdk.SeverityCritical:
		return 0.95
	case s >= sdk.SeverityHigh:
		return 0.85
	case s >= sdk.SeverityMedium:
		return 0.6
	}
	return 0.4
}

// match is one rule's verdict on a command, with a span into it.
type match struct {
	rule       *rule
	sev        sdk.Severity
	msg        string
	start, end int
}

// judge runs every rule over one command line and returns one match per
// rule (the most severe), most severe first.
func judge(ctx context.Context, cmd string, cfg *config) []match {
	a := analyze(ctx, cmd)
	best := map[string]match{}
	put := func(r *rule, sev sdk.Severity, msg string, s, e int) {
		if sev == 0 {
			sev = r.Sev
		}
		if msg == "" {
			msg = r.Msg
		}
		if !cfg.raw {
			sev = calibrated(r.ID, sev)
		}
		s, e = clamp(s, e, len(a.text))
		if old, ok := best[r.ID]; ok && old.sev >= sev {
			return
		}
		best[r.ID] = match{rule: r, sev: sev, msg: msg, start: s, end: e}
	}
	for _, c := range a.calls {
		if ctx.Err() != nil {
			return nil
		}
		for _, r := range rules {
			if r.check == nil {
				continue
			}
			if h := r.check(c, cfg); h != nil {
				hc := h.c
				if hc == nil {
					hc = c
				}
				st := hc.start
				if h.from != nil && h.from.start < st && h.from.depth == hc.depth {
					st = h.from.start
				}
				put(r, h.sev, h.msg, st, hc.end)
			}
		}
	}
	catalogueMatches(a, func(r *rule, s, e int) { put(r, 0, "", s, e) })
	winChecks(a, cfg, func(r *rule, sev sdk.Severity, s, e int) { put(r, sev, "", s, e) })
	scriptChecks(a, func(r *rule, sev sdk.Severity, s, e int) { put(r, sev, "", s, e) })
	// Windows rules read the whole text and every PowerShell or cmd.exe
	// script found inside it.
	type wtext struct {
		s          string
		start, end int
		exact      bool
		anyOnly    bool // not Windows: only the rules for any platform
	}
	var texts []wtext
	if a.windowsish() {
		texts = append(texts, wtext{s: a.text, start: 0, end: len(a.text), exact: true})
	} else if anyTextKeywords.in(asciiLower(a.text)) {
		texts = append(texts, wtext{s: a.text, start: 0, end: len(a.text), exact: true, anyOnly: true})
	}
	for _, x := range a.extra {
		texts = append(texts, wtext{s: x.text, start: x.start, end: x.end})
		if x.encoded {
			sev := encodedRule.Sev
			if isEncodedHidden(a.text) {
				sev = sdk.SeverityHigh
			}
			put(encodedRule, sev, "", x.start, x.end)
		}
	}
	var cand []bool
	var done map[string]bool // scripts already read (a -Command text is found by more than one path)
	for _, t := range texts {
		n := normWin(t.s)
		if !t.exact {
			if done == nil {
				done = map[string]bool{}
			}
			if done[n] {
				continue
			}
			done[n] = true
		}
		if cand == nil {
			cand = make([]bool, len(textRules))
		} else {
			clear(cand)
		}
		if !textKeywords.candidates(n, cand) {
			continue
		}
		for i, r := range textRules {
			if !cand[i] || t.anyOnly && !r.anyOS {
				continue
			}
			loc := r.matchKW(n)
			if loc == nil {
				continue
			}
			if t.exact && len(n) == len(t.s) {
				put(&r.rule, 0, "", loc[0], loc[1])
			} else {
				put(&r.rule, 0, "", t.start, t.end)
			}
		}
	}
	out := make([]match, 0, len(best))
	for _, m := range best {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].sev != out[j].sev {
			return out[i].sev > out[j].sev
		}
		if out[i].start != out[j].start {
			return out[i].start < out[j].start
		}
		return out[i].rule.ID < out[j].rule.ID
	})
	return out
}

func clamp(s, e, n int) (int, int) {
	if s < 0 {
		s = 0
	}
	if e > n {
		e = n
	}
	if s > e {
		s, e = 0, n
	}
	return s, e
}
