package secrets

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/detectors/secrets/internal/gen"
	"github.com/picketsec/picket/sdk"
)

func benchEvent(text string, kind sdk.Kind) *sdk.Event {
	return &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Index: 0, Kind: kind, Text: text}}}
}

func BenchmarkDetect(b *testing.B) {
	hook, _ := gen.Mixed(4<<10, 7, false)
	hook += "\naws_access_key_id = " + expandExample("AKIA{A27:16}", "bench") + "\n"
	toolResult, _ := gen.Mixed(1<<20, 11, true)
	prose := strings.Repeat("The quick brown fox jumps over the lazy dog while the build runs its tests. ", (1<<20)/76)
	cases := []struct {
		name string
		text string
		kind sdk.Kind
	}{
		{"4KB", hook, sdk.KindPrompt},
		{"64KB", toolResult[:64<<10], sdk.KindToolResult},
		{"1MB-tool-result", toolResult, sdk.KindToolResult},
		{"1MB-prose", prose, sdk.KindToolResult},
	}
	d := New()
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		b.Fatal(err)
	}
	// Many small items, like the rule examples: per-call overhead.
	var small []sdk.Item
	size := 0
	for _, r := range builtinRules() {
		for i, ex := range r.Examples {
			tx := expandExample(ex, fmt.Sprintf("%s/%d", r.ID, i))
			small = append(small, sdk.Item{Index: len(small), Kind: sdk.KindPrompt, Text: tx})
			size += len(tx)
		}
	}
	b.Run("rule-examples", func(b *testing.B) {
		b.SetBytes(int64(size))
		b.ReportAllocs()
		ev := &sdk.Event{Items: small}
		warm(b, d, ev)
		c0 := processCPU()
		for b.Loop() {
			if _, err := d.Detect(context.Background(), ev); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
	})
	// The same tool result with over 1,000 rules loaded (gitleaks'
	// defaults plus the Betterleaks and Titus packs from ../shared): time
	// and memory per scan should stay close to the default set's.
	packs := filepath.Join("..", "..", "..", "shared", "rulepacks")
	if _, err := os.Stat(packs); err == nil {
		cfg, _ := json.Marshal(map[string]any{
			"rules_files":   []string{filepath.Join(packs, "betterleaks", "betterleaks.toml"), filepath.Join(packs, "titus", "rules")},
			"disable_rules": titusRefused,
		})
		big := New()
		if err := big.Configure(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
		ev := benchEvent(toolResult, sdk.KindToolResult)
		b.Run("1MB-tool-result-1000-rules", func(b *testing.B) {
			b.SetBytes(int64(len(toolResult)))
			b.ReportAllocs()
			warm(b, big, ev)
			c0 := processCPU()
			for b.Loop() {
				if _, err := big.Detect(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
	for _, c := range cases {
		ev := benchEvent(c.text, c.kind)
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			warm(b, d, ev)
			c0 := processCPU()
			for b.Loop() {
				if _, err := d.Detect(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
		})
	}
}

// warm scans ev once before a benchmark measures: a rule's regex is
// compiled the first time it runs, which is no part of a scan's cost.
func warm(b *testing.B, d sdk.Detector, ev *sdk.Event) {
	b.Helper()
	if _, err := d.Detect(context.Background(), ev); err != nil {
		b.Fatal(err)
	}
}

// reportCPU adds the process CPU time per operation (cpu-ms/op) since c0.
func reportCPU(b *testing.B, c0 time.Duration) {
	if c := processCPU() - c0; c > 0 && b.N > 0 {
		b.ReportMetric(float64(c.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
