package engine

import (
	"slices"
	"strings"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// decide turns v.Findings into the decision, the would-be decision and the
// block message.
func (e *Engine) decide(set *Set, in Input, v *Verdict) {
	modes := make(map[string]string, len(set.detectors))
	for _, d := range set.detectors {
		modes[d.policy.Name] = config.EffectiveMode(in.TenantMode, d.policy.Mode)
	}
	modes[SessionDetector] = config.EffectiveMode(in.TenantMode, set.Config.Session.Mode)
	var enforceTop, wouldTop *audit.Finding
	for i := range v.Findings {
		f := &v.Findings[i]
		if f.Suppressed != "" {
			continue
		}
		v.MaxSeverity = max(v.MaxSeverity, f.Severity)
		if stronger(f, wouldTop) {
			wouldTop = f
		}
		mode := modes[f.Detector]
		if f.Mode != "" {
			mode = config.EffectiveMode(mode, f.Mode)
		}
		if mode == config.ModeEnforce && stronger(f, enforceTop) {
			enforceTop = f
		}
	}
	if wouldTop == nil {
		return
	}
	v.Category, v.Message = wouldTop.Category, BlockMessage(wouldTop)
	switch wouldTop.Action {
	case config.ActionBlock:
		v.WouldBlock = true
	case config.ActionRedact:
		if _, ok := e.redact(in, v.Findings, nil); !ok {
			v.WouldBlock = true
		}
	}
	if enforceTop == nil {
		return
	}
	v.Category, v.Message = enforceTop.Category, BlockMessage(enforceTop)
	switch enforceTop.Action {
	case config.ActionBlock:
		v.Decision = DecisionBlock
	case config.ActionRedact:
		body, ok := e.redact(in, v.Findings, modes)
		if ok {
			v.Decision, v.RequestBody = DecisionModify, body
			v.Message = ""
		} else {
			// No safe rewrite: fail safe to block.
			v.Decision = DecisionBlock
		}
	}
}

// stronger reports whether f outranks top: by action, then severity.
func stronger(f, top *audit.Finding) bool {
	if top == nil {
		return true
	}
	if a, b := config.ActionRank(f.Action), config.ActionRank(top.Action); a != b {
		return a > b
	}
	return f.Severity > top.Severity
}

// redact masks every counting redact finding (of enforce-mode detectors when
// modes is non-nil) in the request body. It reports false when a finding is
// not in a new user prompt that maps to one JSON string of the body.
func (e *Engine) redact(in Input, findings []audit.Finding, modes map[string]string) ([]byte, bool) {
	if e.rewrite == nil || len(in.RequestBody) == 0 || in.Event.Type != sdk.EventPreRequest {
		return nil, false
	}
	byItem := map[int][]audit.Finding{}
	for _, f := range findings {
		if f.Suppressed != "" || f.Action != config.ActionRedact {
			continue
		}
		if modes != nil && modes[f.Detector] != config.ModeEnforce {
			continue
		}
		if f.Item < 0 || f.Item >= len(in.Event.Items) {
			return nil, false
		}
		it := in.Event.Items[f.Item]
		if it.Kind != sdk.KindPrompt || !it.New || it.Pointer == "" || f.End <= f.Start {
			return nil, false
		}
		byItem[f.Item] = append(byItem[f.Item], f)
	}
	if len(byItem) == 0 {
		return nil, false
	}
	body := in.RequestBody
	items := make([]int, 0, len(byItem))
	for i := range byItem {
		items = append(items, i)
	}
	slices.Sort(items)
	for _, i := range items {
		it := in.Event.Items[i]
		masked := Mask(it.Text, byItem[i])
		var err error
		if body, err = e.rewrite(body, it.Pointer, masked); err != nil {
			e.log.Warn("redaction impossible, blocking instead", "pointer", it.Pointer, "error", err)
			return nil, false
		}
	}
	return body, true
}

// Mask replaces the span of every finding in text with [REDACTED:<rule>].
// Overlapping spans are merged under the first finding's rule.
func Mask(text string, findings []audit.Finding) string {
	spans := make([]audit.Finding, 0, len(findings))
	for _, f := range findings {
		if f.Start >= 0 && f.End <= len(text) && f.End > f.Start {
			spans = append(spans, f)
		}
	}
	if len(spans) == 0 {
		return text
	}
	slices.SortStableFunc(spans, func(a, b audit.Finding) int { return a.Start - b.Start })
	var b strings.Builder
	pos := 0
	for _, f := range spans {
		if f.Start < pos {
			if f.End > pos {
				pos = f.End // merged into the previous mask
			}
			continue
		}
		b.WriteString(text[pos:f.Start])
		b.WriteString("[REDACTED:")
		b.WriteString(f.Rule)
		b.WriteString("]")
		pos = f.End
	}
	b.WriteString(text[pos:])
	return b.String()
}

// BlockMessage is the message Aperture shows for a block caused by f. It
// names the category and never quotes the match.
func BlockMessage(f *audit.Finding) string {
	switch f.Category {
	case "secrets":
		return "Secrets Leaked in Prompts"
	case "injection":
		return "Prompt Injection Detected"
	case "command":
		class := f.Class
		if class == "" {
			class = "dangerous command"
		}
		return "Unsafe Command: " + class
	case "detector_failure":
		return "Request blocked: a required detector is unavailable"
	case "quarantine", "exfiltration", "injection_chain":
		// The session's findings: their messages are written by the host,
		// name steps and categories, and never quote a value.
		return f.Message
	}
	label := f.Category
	if f.Class != "" {
		label += ": " + f.Class
	}
	return "Blocked by policy (" + label + ")"
}
