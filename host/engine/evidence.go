package engine

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/picketsec/picket/host/audit"
)

// MaxEvidence caps the evidence kept per finding, in bytes.
const MaxEvidence = 1024

// Sensitive reports whether f's match is a secret: its span is masked
// wherever item text is kept, and it is never quoted as evidence. That is
// every finding of the secrets category and every finding whose detector
// gave it a redacted form (the SDK's sign that the match must not be
// shown). Commands and injected instructions are not: an operator has to
// see what the agent ran or read.
func Sensitive(f *audit.Finding) bool {
	return f.Category == "secrets" || f.Redacted != ""
}

// Evidence returns text with the span of every sensitive finding masked
// (as Mask does) and annotates each finding of the item in findings (those
// with Item == item): Evidence is its match as it reads in the masked text
// (secrets inside it masked; empty for a sensitive finding itself), and
// TextSpan is where that is in the masked text, for highlighting.
// Findings of other items are left alone.
func Evidence(text string, item int, findings []audit.Finding) string {
	var sens []audit.Finding
	for _, f := range findings {
		if f.Item == item && Sensitive(&f) {
			sens = append(sens, f)
		}
	}
	masked, spans := maskMap(text, sens)
	for i := range findings {
		f := &findings[i]
		if f.Item != item || f.End > len(text) || f.Start < 0 || f.End < f.Start {
			continue
		}
		a, b := mapPos(spans, f.Start, false), mapPos(spans, f.End, true)
		f.TextSpan = []int{a, b}
		if !Sensitive(f) {
			f.Evidence = capEvidence(masked[a:b])
		}
	}
	return masked
}

// maskSpan is one masked span: [start, end) in the original text, and
// where its mask starts and ends in the masked text.
type maskSpan struct{ start, end, mstart, mend int }

// maskMap masks the findings' spans like Mask and returns where each mask
// went.
func maskMap(text string, findings []audit.Finding) (string, []maskSpan) {
	fs := make([]audit.Finding, 0, len(findings))
	for _, f := range findings {
		if f.Start >= 0 && f.End <= len(text) && f.End > f.Start {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return text, nil
	}
	slices.SortStableFunc(fs, func(a, b audit.Finding) int { return a.Start - b.Start })
	var (
		b     strings.Builder
		spans []maskSpan
		pos   int
	)
	for _, f := range fs {
		if f.Start < pos {
			if f.End > pos {
				pos = f.End
				spans[len(spans)-1].end = pos
			}
			continue
		}
		b.WriteString(text[pos:f.Start])
		ms := b.Len()
		b.WriteString("[REDACTED:" + f.Rule + "]")
		spans = append(spans, maskSpan{start: f.Start, end: f.End, mstart: ms, mend: b.Len()})
		pos = f.End
	}
	b.WriteString(text[pos:])
	return b.String(), spans
}

// mapPos maps a position of the original text into the masked text. A
// position inside a masked span maps to the mask's start (end = false) or
// end (end = true), so that a span touching a secret covers its mask.
func mapPos(spans []maskSpan, p int, end bool) int {
	shift := 0
	for _, s := range spans {
		switch {
		case p <= s.start:
			return p + shift
		case p < s.end:
			if end {
				return s.mend
			}
			return s.mstart
		}
		shift = s.mend - s.end
	}
	return p + shift
}

func capEvidence(s string) string {
	if len(s) <= MaxEvidence {
		return s
	}
	cut := MaxEvidence
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
