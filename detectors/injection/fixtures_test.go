package injection

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// fixtureDir holds the Aperture hook fixtures. They are embedded in
// host/internal/fixtures, which Go's internal rule keeps this package from
// importing, so the test reads the same files by path.
const fixtureDir = "../../host/internal/fixtures/aperture"

type expected struct {
	Event            string  `json:"event"`
	PreRequestAction *string `json:"pre_request_action"`
	Category         *string `json:"category"`
}

type fixture struct {
	Name     string
	Body     []byte
	Expected expected
}

func loadFixtures(t *testing.T) []fixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]expected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
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

// collectStrings returns every string value in a JSON document.
func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case []any:
		for _, e := range x {
			collectStrings(e, out)
		}
	case map[string]any:
		for _, e := range x {
			collectStrings(e, out)
		}
	}
}

func maxSeverity(fs []sdk.Finding) sdk.Severity {
	var m sdk.Severity
	for _, f := range fs {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m
}

func describe(fs []sdk.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "\n    %s %s %.3f [%d:%d] %s", f.Severity, f.Rule, f.Confidence, f.Start, f.End, f.Message)
	}
	return b.String()
}

// TestFixtures runs every string of every Aperture fixture through the
// detector as a prompt and as a tool result: injection fixtures must give a
// finding of high severity or more, allowed fixtures none.
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
			var strs []string
			collectStrings(doc, &strs)
			cat := ""
			if fx.Expected.Category != nil {
				cat = *fx.Expected.Category
			}
			allow := fx.Expected.PreRequestAction != nil && *fx.Expected.PreRequestAction == "allow"
			best := map[sdk.Kind]sdk.Severity{}
			for _, kind := range []sdk.Kind{sdk.KindPrompt, sdk.KindToolResult} {
				for _, s := range strs {
					ev := &sdk.Event{Type: fx.Expected.Event, Items: []sdk.Item{{Index: 0, Kind: kind, Text: s}}}
					fs, err := d.Detect(context.Background(), ev)
					if err != nil {
						t.Fatal(err)
					}
					sev := maxSeverity(fs)
					if sev > best[kind] {
						best[kind] = sev
					}
					if allow && sev >= sdk.SeverityHigh {
						t.Errorf("allowed fixture: %s finding as %s in %q:%s", sev, kind, clip(s), describe(fs))
					}
				}
			}
			if cat == "injection" {
				if best[sdk.KindToolResult] < sdk.SeverityHigh {
					t.Errorf("injection fixture: best severity as tool_result %s, want >= high", best[sdk.KindToolResult])
				}
				if strings.Contains(fx.Name, "string-input") && best[sdk.KindPrompt] < sdk.SeverityHigh {
					t.Errorf("injection fixture: best severity as prompt %s, want >= high", best[sdk.KindPrompt])
				}
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
