// Package fixturetest gives the detectors' tests the Aperture hook
// fixtures. Package host/internal/fixtures embeds the same files, but Go's
// internal rule keeps detectors/ from importing it, so this package reads
// them from the repository.
package fixturetest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// Expected is the part of an expected.json entry the detectors check.
type Expected struct {
	Event            string  `json:"event"`
	PreRequestAction *string `json:"pre_request_action"`
	Category         *string `json:"category"`
}

// Fixture is one hook payload with what a correct host derives from it.
type Fixture struct {
	Name     string
	Body     []byte
	Expected Expected
}

// dir is the fixtures directory, found from this file's place in the tree.
func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "host", "internal", "fixtures", "aperture")
}

// Load returns every fixture, sorted by name.
func Load(t testing.TB) []Fixture {
	t.Helper()
	d := dir()
	raw, err := os.ReadFile(filepath.Join(d, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp map[string]Expected
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(d, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var out []Fixture
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
		out = append(out, Fixture{Name: strings.TrimSuffix(base, ".json"), Body: body, Expected: e})
	}
	if len(out) == 0 {
		t.Fatal("no fixtures found in " + d)
	}
	return out
}

// Strings returns every string value in a decoded JSON document.
func Strings(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
