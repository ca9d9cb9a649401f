package injection

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/picketsec/picket/detectors/internal/fixturetest"
	"github.com/picketsec/picket/sdk"
)

type fixture = fixturetest.Fixture

func loadFixtures(t *testing.T) []fixture { return fixturetest.Load(t) }

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
			strs = fixturetest.Strings(doc)
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
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
