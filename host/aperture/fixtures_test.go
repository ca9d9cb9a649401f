package aperture

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/picketsec/picket/host/internal/fixtures"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the normalizer's output")

// goldenEvent is what a golden file holds: the event with long texts
// shortened to a prefix, their length and a digest.
type goldenEvent struct {
	Type      string       `json:"type"`
	SessionID string       `json:"session_id,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Identity  sdk.Identity `json:"identity"`
	Model     string       `json:"model,omitempty"`
	Provider  string       `json:"provider,omitempty"`
	APIFormat string       `json:"api_format,omitempty"`
	Items     []sdk.Item   `json:"items"`
}

func golden(ev *sdk.Event) goldenEvent {
	g := goldenEvent{Type: ev.Type, SessionID: ev.SessionID, RequestID: ev.RequestID, Identity: ev.Identity,
		Model: ev.Model, Provider: ev.Provider, APIFormat: ev.APIFormat}
	for _, it := range ev.Items {
		it.Text = shorten(it.Text)
		if it.Tool != nil {
			t := *it.Tool
			t.Arguments = shorten(t.Arguments)
			t.Command = shorten(t.Command)
			it.Tool = &t
		}
		g.Items = append(g.Items, it)
	}
	return g
}

func shorten(s string) string {
	if len(s) <= 600 {
		return s
	}
	cut := 300
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	sum := sha256.Sum256([]byte(s))
	return s[:cut] + "…[" + hex.EncodeToString(sum[:8]) + " " + itoa(len(s)) + " bytes]"
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestFixtures normalizes every shared fixture and checks it against
// expected.json (event, format, every expected item), the README's Items
// lists (every kind named is extracted), the item invariants, and the
// golden file in testdata/golden (go test -update rewrites those).
func TestFixtures(t *testing.T) {
	t.Parallel()
	readme := readmeItems(t)
	all := fixtures.All()
	if len(all) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range all {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			h, err := Parse(f.Body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			event, err := ResolveEvent("", "", h)
			if err != nil {
				t.Fatalf("ResolveEvent: %v", err)
			}
			if event != f.Expected.Event {
				t.Errorf("event = %q, want %q", event, f.Expected.Event)
			}
			ev, err := Normalize(h, event)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if ev.APIFormat != f.Expected.Format {
				t.Errorf("format = %q, want %q", ev.APIFormat, f.Expected.Format)
			}
			for _, want := range f.Expected.Items {
				found := false
				for _, it := range ev.Items {
					if string(it.Kind) == want.Kind && strings.Contains(it.Text, want.Contains) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("no %s item contains %q", want.Kind, want.Contains)
				}
			}
			kinds, ok := readme[f.Name]
			if !ok {
				t.Errorf("README lists no Items for %s", f.Name)
			}
			got := map[string]int{}
			for _, it := range ev.Items {
				got[string(it.Kind)]++
			}
			for k, n := range kinds {
				// The README's "×n" counts expected.json entries, several
				// of which may fall in one item; each kind must be there.
				if got[k] == 0 {
					t.Errorf("README lists %s ×%d, extracted none", k, n)
				}
				exp := 0
				for _, e := range f.Expected.Items {
					if e.Kind == k {
						exp++
					}
				}
				if exp != n {
					t.Errorf("README lists %s ×%d but expected.json has %d", k, n, exp)
				}
			}
			checkInvariants(t, h, ev)
			checkGolden(t, f.Name, ev)
		})
	}
}

// checkInvariants checks what every normalized event must satisfy.
func checkInvariants(t *testing.T, h *Hook, ev *sdk.Event) {
	t.Helper()
	for i, it := range ev.Items {
		if it.Index != i {
			t.Errorf("item %d: Index = %d", i, it.Index)
		}
		if !it.Kind.Valid() {
			t.Errorf("item %d: kind %q", i, it.Kind)
		}
		switch it.Origin {
		case sdk.OriginRequest, sdk.OriginResponse:
			if !it.New {
				t.Errorf("item %d: origin %s but not New", i, it.Origin)
			}
		case sdk.OriginHistory:
			if it.New {
				t.Errorf("item %d: history item marked New", i)
			}
		default:
			t.Errorf("item %d: origin %q", i, it.Origin)
		}
		if it.Untrusted != (it.Kind == sdk.KindToolResult) {
			t.Errorf("item %d: kind %s, Untrusted %v", i, it.Kind, it.Untrusted)
		}
		if (it.Kind == sdk.KindToolCall) != (it.Tool != nil) && it.Kind != sdk.KindToolResult {
			t.Errorf("item %d: kind %s, Tool %v", i, it.Kind, it.Tool)
		}
		if it.Origin == sdk.OriginResponse && it.Pointer != "" {
			t.Errorf("item %d: response item with pointer %q", i, it.Pointer)
		}
		if strings.Contains(it.Text, ";base64,") {
			t.Errorf("item %d: base64 data in text", i)
		}
		if it.Pointer == "" {
			continue
		}
		start, end, ok := jsonscan.Locate(h.RequestBody, it.Pointer)
		if !ok {
			t.Errorf("item %d: pointer %q names nothing", i, it.Pointer)
			continue
		}
		v := jsonscan.Value(h.RequestBody[start:end])
		if !v.IsString() || v.Str() != it.Text {
			t.Errorf("item %d: pointer %q holds %.60q, text is %.60q", i, it.Pointer, v, it.Text)
		}
	}
}

func checkGolden(t *testing.T, name string, ev *sdk.Event) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".json")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(golden(ev)); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test -update)", err)
	}
	var g, w goldenEvent
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("golden file %s: %v", path, err)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("normalized event differs from %s (-want +got):\n%s", path, d)
	}
}

func TestErrorsWrapBadInput(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`[]`))
	if !errors.Is(err, ErrBadInput) {
		t.Fatalf("err = %v, want ErrBadInput", err)
	}
}
