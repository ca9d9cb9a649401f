package agenttraffic

import (
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

func TestRequestShape(t *testing.T) {
	t.Parallel()
	files, err := ReadTree("../../../..", Held)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("only %d held files", len(files))
	}
	for _, f := range files {
		if strings.HasPrefix(f.Path, "detectors/") || !Held(f.Path) {
			t.Fatalf("unexpected file %s", f.Path)
		}
	}
	g := NewHeld(files, 1)
	for i := 0; i < 50; i++ {
		items := g.Request()
		if len(items) < 4 || items[0].Kind != sdk.KindSystem {
			t.Fatalf("request %d: %d items, first %s", i, len(items), items[0].Kind)
		}
		newItems := 0
		for k, it := range items {
			if it.Index != k || it.Text == "" {
				t.Fatalf("request %d item %d: index %d, %d bytes", i, k, it.Index, len(it.Text))
			}
			if strings.Contains(it.Text, "%!") {
				t.Fatalf("bad format verb in %q", it.Text)
			}
			if it.New {
				newItems++
			}
		}
		if newItems == 0 {
			t.Fatalf("request %d has no new item", i)
		}
	}
	// The same seed gives the same requests.
	a, b := New(files, 7).Request(), New(files, 7).Request()
	if len(a) != len(b) || a[len(a)-1].Text != b[len(b)-1].Text {
		t.Fatal("generator is not deterministic")
	}
}
