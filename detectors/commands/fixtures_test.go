package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/picketsec/picket/detectors/internal/fixturetest"
	"github.com/picketsec/picket/sdk"
)

type fixture = fixturetest.Fixture

func loadFixtures(t *testing.T) []fixture { return fixturetest.Load(t) }

// toolArgs collects, from a decoded hook payload, every JSON object that
// carries a command (a "command" or "cmd" key with a string or an argv
// array), including objects inside JSON-encoded argument strings.
// Streamed fragments (input_json_delta, argument deltas) are not
// reassembled: the normalizer's tests cover that.
func toolArgs(v any, out *[]map[string]any, depth int) {
	if depth > 64 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"command", "cmd"} {
			switch x[k].(type) {
			case string, []any:
				*out = append(*out, x)
			}
		}
		for _, y := range x {
			toolArgs(y, out, depth+1)
		}
	case []any:
		for _, y := range x {
			toolArgs(y, out, depth+1)
		}
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
			var y any
			if json.Unmarshal([]byte(s), &y) == nil {
				toolArgs(y, out, depth+1)
			}
		}
	}
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	d := New()
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	for _, fx := range loadFixtures(t) {
		fx := fx
		t.Run(fx.Name, func(t *testing.T) {
			t.Parallel()
			var body any
			if err := json.Unmarshal(fx.Body, &body); err != nil {
				t.Fatal(err)
			}
			var objs []map[string]any
			toolArgs(body, &objs, 0)
			wantBlock := fx.Expected.Category != nil && *fx.Expected.Category == Category
			wantNone := fx.Expected.PreRequestAction != nil && *fx.Expected.PreRequestAction == "allow" ||
				fx.Expected.PreRequestAction == nil && fx.Expected.Category == nil
			var high []string
			for i, o := range objs {
				raw, _ := json.Marshal(o)
				ev := &sdk.Event{Type: fx.Expected.Event, Items: []sdk.Item{{Index: i, Kind: sdk.KindToolCall, Text: string(raw),
					Tool: &sdk.ToolCall{Name: "Bash", Arguments: string(raw)}}}}
				fs, err := d.Detect(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					if f.Severity >= sdk.SeverityHigh {
						high = append(high, f.Class+": "+commandOf(&ev.Items[0]))
					}
					if f.Start < 0 || f.End > len(ev.Items[0].Text) || f.Start > f.End {
						t.Errorf("span [%d,%d) out of bounds of %d bytes", f.Start, f.End, len(ev.Items[0].Text))
					}
				}
			}
			if wantBlock && len(high) == 0 {
				t.Errorf("want a finding >= high among %d commands, got none", len(objs))
			}
			if wantNone && len(high) > 0 {
				t.Errorf("want no finding >= high, got %q", high)
			}
		})
	}
}
