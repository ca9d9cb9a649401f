// Package denylist flags words (internal code names) and host names (with
// their subdomains) from a configured deny-list, ignoring ASCII case.
package denylist

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// ID is the detector's id.
const ID = "denylist"

// Config is the detector's config.
type Config struct {
	// Words are code names, matched as whole words.
	Words []string `json:"words"`
	// Hosts are host names, matched as whole names or as the parent
	// domain of a longer one ("corp.example.com" matches
	// "db.corp.example.com").
	Hosts []string `json:"hosts"`
	// Severity of a finding; default "medium".
	Severity string `json:"severity"`
}

const schema = `{
  "type": "object",
  "properties": {
    "words": {"type": "array", "items": {"type": "string", "minLength": 2}},
    "hosts": {"type": "array", "items": {"type": "string", "minLength": 3}},
    "severity": {"enum": ["info", "low", "medium", "high", "critical"]}
  },
  "additionalProperties": false
}`

type term struct {
	text string // lowercase
	rule string
}

// Detector is the deny-list detector.
type Detector struct {
	terms    []term
	severity sdk.Severity
}

// Interface guard.
var _ sdk.Detector = (*Detector)(nil)

// New returns an unconfigured detector (an empty deny-list).
func New() sdk.Detector { return &Detector{severity: sdk.SeverityMedium} }

// Info describes the detector.
func (d *Detector) Info() sdk.Info {
	return sdk.Info{
		ID:           ID,
		Version:      "1.0.0",
		APIVersion:   sdk.APIVersion,
		Description:  "flags internal code names and host names from a deny-list",
		Kinds:        []sdk.Kind{sdk.KindPrompt, sdk.KindToolCall, sdk.KindToolResult, sdk.KindResponse},
		ConfigSchema: schema,
	}
}

// Configure reads a Config; an error names the bad field.
func (d *Detector) Configure(_ context.Context, raw []byte) error {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("denylist: config: %w", err)
	}
	sev := sdk.SeverityMedium
	if c.Severity != "" {
		s, err := sdk.ParseSeverity(c.Severity)
		if err != nil {
			return fmt.Errorf("denylist: config: field severity: %w", err)
		}
		sev = s
	}
	var terms []term
	for i, w := range c.Words {
		if len(strings.TrimSpace(w)) < 2 {
			return fmt.Errorf("denylist: config: field words[%d]: want at least 2 characters", i)
		}
		terms = append(terms, term{text: lower(strings.TrimSpace(w)), rule: "codename"})
	}
	for i, h := range c.Hosts {
		h = strings.Trim(strings.TrimSpace(h), ".")
		if len(h) < 3 || strings.ContainsAny(h, " /:@") {
			return fmt.Errorf("denylist: config: field hosts[%d]: not a host name", i)
		}
		terms = append(terms, term{text: lower(h), rule: "hostname"})
	}
	d.terms, d.severity = terms, sev
	return nil
}

// Detect reports every deny-listed term in the items.
func (d *Detector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	var out []sdk.Finding
	for _, it := range ev.Items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		text := lower(it.Text)
		for _, t := range d.terms {
			for off := 0; ; {
				i := strings.Index(text[off:], t.text)
				if i < 0 {
					break
				}
				start, end := off+i, off+i+len(t.text)
				off = end
				if !boundary(text, start, end, t.rule == "hostname") {
					continue
				}
				match := it.Text[start:end]
				out = append(out, sdk.Finding{
					Detector:    ID,
					Rule:        t.rule,
					Category:    "data-loss",
					Class:       t.rule,
					Severity:    d.severity,
					Confidence:  0.9,
					Item:        it.Index,
					Start:       start,
					End:         end,
					Message:     "deny-listed " + map[string]string{"codename": "code name", "hostname": "host name"}[t.rule] + " mentioned",
					Redacted:    sdk.Redact(match, 2),
					Fingerprint: sdk.Fingerprint(ID, t.rule, strings.ToLower(match)),
				})
			}
		}
	}
	return out, nil
}

// boundary reports whether text[start:end] stands alone: no word character
// (letter, digit, '_' or '-') on either side; a host may also be preceded
// by '.', as the parent domain of a longer name.
func boundary(text string, start, end int, host bool) bool {
	if start > 0 {
		c := text[start-1]
		if wordByte(c) || (c == '.' && !host) {
			return false
		}
	}
	if end < len(text) && wordByte(text[end]) {
		return false
	}
	return true
}

func wordByte(c byte) bool {
	return c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 0x80
}

// lower lowercases ASCII letters only, so that byte offsets stay the same.
func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
