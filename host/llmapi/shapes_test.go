package llmapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

var update = flag.Bool("update", false, "rewrite testdata/shapes/*.golden.json from the normalizer's output")

// shapeCase is one file of testdata/shapes: a request body of a format,
// optionally a whole response or the stream chunks of one, and the items
// that must be among the output (every field given must match).
type shapeCase struct {
	About    string            `json:"about"`
	Format   Format            `json:"format"`
	Request  json.RawMessage   `json:"request"`
	Response json.RawMessage   `json:"response"`
	Stream   []json.RawMessage `json:"stream"`
	Must     []shapeWant       `json:"must"`
}

type shapeWant struct {
	Kind      sdk.Kind   `json:"kind"`
	Text      string     `json:"text"`
	Tool      *string    `json:"tool"`
	Command   *string    `json:"command"`
	Untrusted *bool      `json:"untrusted"`
	Origin    sdk.Origin `json:"origin"`
	Pointer   string     `json:"pointer"`
}

func (w shapeWant) matches(it sdk.Item) bool {
	if it.Kind != w.Kind || it.Text != w.Text {
		return false
	}
	if w.Tool != nil && (it.Tool == nil || it.Tool.Name != *w.Tool) {
		return false
	}
	if w.Command != nil {
		cmd := ""
		if it.Tool != nil {
			cmd = it.Tool.Command
		}
		if cmd != *w.Command {
			return false
		}
	}
	if w.Untrusted != nil && it.Untrusted != *w.Untrusted {
		return false
	}
	if w.Origin != "" && it.Origin != w.Origin {
		return false
	}
	return w.Pointer == "" || it.Pointer == w.Pointer
}

// extractShape runs a case through the Extractor the way aperture.Normalize
// does for a post-response event.
func extractShape(t *testing.T, c *shapeCase) []sdk.Item {
	t.Helper()
	x := NewExtractor(16)
	body := jsonscan.Trim(c.Request)
	if err := jsonscan.Validate(body, jsonscan.DefaultMaxDepth); err != nil {
		t.Fatal(err)
	}
	if err := x.Request(c.Format, body); err != nil {
		t.Fatalf("Request: %v", err)
	}
	x.MarkResponses()
	if c.Response != nil {
		x.Response(c.Format, jsonscan.Trim(c.Response))
	}
	if len(c.Stream) > 0 {
		chunks := make([]jsonscan.Value, len(c.Stream))
		for i, r := range c.Stream {
			chunks[i] = jsonscan.Trim(r)
		}
		x.Stream(c.Format, chunks)
	}
	return x.Finish()
}

// TestShapes checks each shape of testdata/shapes: the items it must give,
// that every tool result is untrusted, that a pointer names the exact text
// in the request, and the whole output against its golden file (-update
// rewrites those; review the diff).
func TestShapes(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/shapes/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var c shapeCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			items := extractShape(t, &c)
			for _, w := range c.Must {
				found := false
				for _, it := range items {
					if w.matches(it) {
						found = true
						break
					}
				}
				if !found {
					t.Errorf("no item matches %+v", w)
				}
			}
			for _, it := range items {
				if it.Kind == sdk.KindToolResult && !it.Untrusted {
					t.Errorf("tool result %q is not untrusted", it.Text)
				}
				if it.Pointer != "" {
					s, e, ok := jsonscan.Locate(jsonscan.Trim(c.Request), it.Pointer)
					if !ok || jsonscan.Value(jsonscan.Trim(c.Request)[s:e]).Str() != it.Text {
						t.Errorf("pointer %q does not name the text %q", it.Pointer, it.Text)
					}
				}
			}
			got, err := json.MarshalIndent(items, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			gf := strings.TrimSuffix(f, ".json") + ".golden.json"
			if *update {
				if err := os.WriteFile(gf, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gf)
			if err != nil {
				t.Fatalf("%v (run go test -update and review the file)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (-want +got):\n%s", gf, cmp.Diff(string(want), string(got)))
			}
		})
	}
	if n == 0 {
		t.Fatal("no shapes")
	}
}
