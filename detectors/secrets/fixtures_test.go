package secrets

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// fixtureDir holds the Aperture hook fixtures. Package
// host/internal/fixtures embeds the same files, but internal packages are
// not importable from detectors/, so the test reads them from the tree.
const fixtureDir = "../../host/internal/fixtures/aperture"

type fixtureExpected struct {
	Event            string  `json:"event"`
	PreRequestAction *string `json:"pre_request_action"`
	Category         *string `json:"category"`
}

type fixture struct {
	Name     string
	Body     []byte
	Expected fixtureExpected
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]fixtureExpected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var out []fixture
	for _, n := range names {
		base := filepath.Base(n)
		if base == "expected.json" {
			continue
		}
		e, ok := exp[base]
		if !ok {
			t.Fatalf("no expected.json entry for %s", base)
		}
		body, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fixture{Name: strings.TrimSuffix(base, ".json"), Body: body, Expected: e})
	}
	if len(out) == 0 {
		t.Fatal("no fixtures found")
	}
	return out
}

// collectStrings returns every string value in a decoded JSON document.
func collectStrings(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		out = append(out, x)
	case []any:
		for _, e := range x {
			out = collectStrings(e, out)
		}
	case map[string]any:
		for _, e := range x {
			out = collectStrings(e, out)
		}
	}
	return out
}

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
			strs := collectStrings(doc, nil)
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
