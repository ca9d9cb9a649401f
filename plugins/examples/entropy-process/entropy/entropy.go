// Package entropy flags long tokens whose characters are spread like those
// of a random string (Shannon entropy per character above a threshold).
package entropy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/picketsec/picket/sdk"
)

// ID is the detector's id.
const ID = "entropy"

// Config is the detector's config.
type Config struct {
	MinLength      int     `json:"min_length"`        // shortest token considered; default 24
	MinBitsPerChar float64 `json:"min_bits_per_char"` // default 4.0
}

// Detector is the entropy detector.
type Detector struct{ cfg Config }

// Interface guard.
var _ sdk.Detector = (*Detector)(nil)

// New returns a detector with the default config.
func New() sdk.Detector { return &Detector{cfg: Config{MinLength: 24, MinBitsPerChar: 4.0}} }

// Info describes the detector.
func (d *Detector) Info() sdk.Info {
	return sdk.Info{
		ID:          ID,
		Version:     "1.0.0",
		APIVersion:  sdk.APIVersion,
		Description: "flags long high-entropy tokens (possible credentials)",
		Kinds:       []sdk.Kind{sdk.KindPrompt, sdk.KindToolCall, sdk.KindToolResult},
		ConfigSchema: `{"type":"object","properties":{
  "min_length":{"type":"integer","minimum":8,"maximum":1024},
  "min_bits_per_char":{"type":"number","minimum":1,"maximum":6}},
  "additionalProperties":false}`,
	}
}

// Configure reads a Config; an error names the bad field.
func (d *Detector) Configure(_ context.Context, raw []byte) error {
	c := New().(*Detector).cfg
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return fmt.Errorf("entropy: config: %w", err)
	}
	if c.MinLength < 8 || c.MinLength > 1024 {
		return fmt.Errorf("entropy: config: field min_length: %d is outside [8, 1024]", c.MinLength)
	}
	if c.MinBitsPerChar < 1 || c.MinBitsPerChar > 6 {
		return fmt.Errorf("entropy: config: field min_bits_per_char: %v is outside [1, 6]", c.MinBitsPerChar)
	}
	d.cfg = c
	return nil
}

// Detect reports each token of at least MinLength token characters
// (letters, digits, '+', '/', '=', '_', '-') whose entropy reaches the
// threshold.
func (d *Detector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	var out []sdk.Finding
	for _, it := range ev.Items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		text := it.Text
		for i := 0; i < len(text); {
			if !tokenByte(text[i]) {
				i++
				continue
			}
			j := i
			for j < len(text) && tokenByte(text[j]) {
				j++
			}
			if tok := text[i:j]; len(tok) >= d.cfg.MinLength {
				if bits := entropy(tok); bits >= d.cfg.MinBitsPerChar {
					out = append(out, sdk.Finding{
						Detector:    ID,
						Rule:        "high-entropy-token",
						Category:    "secrets",
						Class:       "generic",
						Severity:    sdk.SeverityMedium,
						Confidence:  math.Min(1, bits/6),
						Item:        it.Index,
						Start:       i,
						End:         j,
						Message:     fmt.Sprintf("high-entropy token of %d characters (%.1f bits/char)", len(tok), bits),
						Redacted:    sdk.Redact(tok, 4),
						Fingerprint: sdk.Fingerprint(ID, "high-entropy-token", tok),
					})
				}
			}
			i = j
		}
	}
	return out, nil
}

func tokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '=' || c == '_' || c == '-'
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return math.Round(h*1000) / 1000
}
