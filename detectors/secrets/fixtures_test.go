package secrets

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/picketsec/picket/detectors/internal/fixturetest"
	"github.com/picketsec/picket/sdk"
)

type fixture = fixturetest.Fixture

func loadFixtures(t *testing.T) []fixture { return fixturetest.Load(t) }

// TestFixtures scans every string of every Aperture hook fixture as a
// prompt item: fixtures that hold a secret must give a finding at high or
// above, fixtures the host must allow must give none.
func TestFixtures(t *testing.T) {
	t.Parallel()
	d := New()
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for _, fx := range loadFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			var doc any
			if err := json.Unmarshal(fx.Body, &doc); err != nil {
				t.Fatal(err)
			}
			strs := fixturetest.Strings(doc)
			ev := &sdk.Event{Type: fx.Expected.Event}
			for i, s := range strs {
				ev.Items = append(ev.Items, sdk.Item{Index: i, Kind: sdk.KindPrompt, Text: s})
			}
			fs, err := d.Detect(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			high := 0
			for _, f := range fs {
				if f.Severity >= sdk.SeverityHigh {
					high++
				}
				checkFinding(t, ev, f)
			}
			wantSecret := fx.Expected.Category != nil && *fx.Expected.Category == "secrets"
			allow := fx.Expected.PreRequestAction != nil && *fx.Expected.PreRequestAction == "allow"
			if wantSecret && high == 0 {
				t.Errorf("expected a secret at severity >= high; findings: %+v", fs)
			}
			if allow && high > 0 {
				for _, f := range fs {
					if f.Severity >= sdk.SeverityHigh {
						t.Errorf("allow fixture has finding %s (%s) %q", f.Rule, f.Severity, f.Redacted)
					}
				}
			}
		})
	}
}

// checkFinding asserts the output contract of one finding.
func checkFinding(t *testing.T, ev *sdk.Event, f sdk.Finding) {
	t.Helper()
	if f.Detector != ID || f.Category != "secrets" || f.Rule == "" || f.Class == "" || f.Fingerprint == "" {
		t.Errorf("incomplete finding %+v", f)
	}
	if !f.Severity.Valid() || f.Confidence <= 0 || f.Confidence > 1 {
		t.Errorf("finding %s: severity %v confidence %v", f.Rule, f.Severity, f.Confidence)
	}
	var text string
	for _, it := range ev.Items {
		if it.Index == f.Item {
			text = it.Text
		}
	}
	if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
		t.Fatalf("finding %s: span %d:%d outside item of %d bytes", f.Rule, f.Start, f.End, len(text))
	}
	span := text[f.Start:f.End]
	if len(span) >= 8 && (containsFold(f.Message, span) || containsFold(f.Redacted, span)) {
		t.Errorf("finding %s leaks the secret in its message or redaction", f.Rule)
	}
}

func containsFold(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && indexFold(s, sub) >= 0
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
