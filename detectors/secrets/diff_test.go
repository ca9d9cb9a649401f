package secrets

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/picketsec/picket/detectors/internal/fixturetest"
	"github.com/picketsec/picket/detectors/secrets/internal/gen"
	"github.com/picketsec/picket/sdk"
	"gopkg.in/yaml.v3"
)

// TestFastPathMatchesReference is the differential test of the scanning
// engine: the keyword automaton (with its interleaved streams), the
// gates and gate regexes that skip regex runs must never change a
// finding. Every input is scanned by the engine as shipped and by the
// reference path (keywords found by a plain search for each, every regex
// run without gates), and the findings must be identical: rule, span,
// severity, confidence, message, fingerprint, in the same order. Inputs:
// every row of the corpus (when ../shared/corpus is there), the same rows
// joined into long texts, every string of every Aperture fixture, every
// rule example and generated mixed text; with the default rules and, when
// ../shared/rulepacks is there, with the Betterleaks and Titus packs.
func TestFastPathMatchesReference(t *testing.T) {
	t.Parallel()
	var inputs []string
	for _, r := range builtinRules() {
		for i, ex := range append(append([]string(nil), r.Examples...), r.NonExamples...) {
			inputs = append(inputs, expandExample(ex, fmt.Sprintf("%s/%d", r.ID, i)))
		}
	}
	for _, fx := range loadFixtures(t) {
		var doc any
		if json.Unmarshal(fx.Body, &doc) == nil {
			inputs = append(inputs, strings.Join(fixturetest.Strings(doc), "\n"))
		}
	}
	corpus := filepath.Join("..", "..", "..", "shared", "corpus")
	var rows []string
	for _, f := range []string{"secrets.malicious.jsonl", "secrets.benign.jsonl"} {
		rows = append(rows, corpusTexts(t, filepath.Join(corpus, f))...)
	}
	if len(rows) == 0 {
		t.Logf("no corpus at %s: corpus rows not compared", corpus)
	}
	inputs = append(inputs, rows...)
	// With the packs only the first long texts are compared (and under the
	// race detector a quarter of the inputs).
	nShort := len(inputs)
	// Long texts of corpus rows: the automaton cuts texts of 16 KiB and
	// more into streams, whose cuts then fall among real secrets.
	for i := 0; i < len(rows); {
		var b strings.Builder
		for ; i < len(rows) && b.Len() < 48<<10; i++ {
			b.WriteString(rows[i])
			b.WriteString("\n")
		}
		inputs = append(inputs, b.String())
	}
	mixed, _ := gen.Mixed(256<<10, 3, true)
	inputs = append([]string{mixed}, inputs...)
	nShort++

	configs := map[string][]byte{"defaults": []byte("{}")}
	packs := filepath.Join("..", "..", "..", "shared", "rulepacks")
	// The packs' own examples, and each with the case folds the keyword
	// automaton and the literal gates do not see (K Kelvin sign, ſ long
	// s), upper-cased, and with a non-ASCII rune after its first blank:
	// the gates' "non-ASCII passes" paths.
	var packInputs []string
	for _, ex := range packExamples(t, filepath.Join(packs, "titus", "rules")) {
		packInputs = append(packInputs, ex, strings.NewReplacer("k", "\u212a", "K", "\u212a", "s", "\u017f").Replace(ex),
			strings.ToUpper(ex), strings.Replace(ex, " ", " \u00e9 ", 1))
	}
	if _, err := os.Stat(packs); err == nil {
		configs["packs"], _ = json.Marshal(map[string]any{
			"rules_files":   []string{filepath.Join(packs, "betterleaks", "betterleaks.toml"), filepath.Join(packs, "titus", "rules")},
			"disable_rules": titusRefused,
		})
	} else {
		t.Logf("no rule packs at %s: compared with the default rules only", packs)
	}
	for name, raw := range configs {
		inputs := inputs
		if name != "defaults" {
			inputs = append(inputs[:min(len(inputs), nShort+8):min(len(inputs), nShort+8)], packInputs...)
			if raceEnabled {
				var some []string
				for i := 0; i < len(inputs); i += 4 {
					some = append(some, inputs[i])
				}
				inputs = some
			}
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg, err := parseConfig(raw)
			if err != nil {
				t.Fatal(err)
			}
			fast, err := newEngine(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := newEngine(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ref.plain = true
			var df, dr Detector
			df.eng.Store(fast)
			dr.eng.Store(ref)
			found := 0
			for i, text := range inputs {
				ev := &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Index: 0, Kind: sdk.KindToolResult, Text: text}}}
				got, err := df.Detect(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				want, err := dr.Detect(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				found += len(want)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("input %d (%d bytes): fast path %d findings, reference %d\nfast: %s\nreference: %s",
						i, len(text), len(got), len(want), summary(got), summary(want))
				}
			}
			t.Logf("%d inputs, %d findings, identical", len(inputs), found)
		})
	}
}

// packExamples returns the examples of every rule in the noseyparker /
// Titus YAML files of dir (nil when absent).
func packExamples(t *testing.T, dir string) []string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Rules []struct {
				Examples []string `yaml:"examples"`
			} `yaml:"rules"`
		}
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range doc.Rules {
			out = append(out, r.Examples...)
		}
	}
	return out
}

// summary lists findings by rule and span, never by secret.
func summary(fs []sdk.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s@%d-%d(%s) ", f.Rule, f.Start, f.End, f.Severity)
	}
	return b.String()
}

// corpusTexts reads the text of each row of a corpus file (nil when the
// file is absent).
func corpusTexts(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, r.Text)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// TestRunWindowsMatchReference: rules without keywords scan only around
// the runs of their run gate, all such rules' runs found in one pass; two
// custom rules (one whose regex is its run, one with context around it)
// must find what the reference path finds scanning the whole text.
func TestRunWindowsMatchReference(t *testing.T) {
	t.Parallel()
	toml := "[[rules]]\nid = \"ctx\"\nregex = '''x\\s{0,3}=\\s{0,3}([A-Z0-9]{20})\\b'''\n\n" +
		"[[rules]]\nid = \"bare\"\nregex = '''\\b(Q[A-Z0-9]{19}\\.[a-z0-9]{8})\\b'''\n"
	cfg, err := parseConfig([]byte(fmt.Sprintf(`{"gitleaks_toml": %q, "gitleaks_defaults": false}`, toml)))
	if err != nil {
		t.Fatal(err)
	}
	fast, err := newEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(fast.runRules) != 2 {
		t.Fatalf("%d rules grouped by runs, want 2", len(fast.runRules))
	}
	ref, _ := newEngine(cfg)
	ref.plain = true
	var b strings.Builder
	for i := range 400 {
		tok := expandExample("{AN:20}", fmt.Sprint("run", i))
		switch i % 5 {
		case 0:
			b.WriteString("x = " + tok + "\n")
		case 1:
			b.WriteString("Q" + tok[1:] + "." + expandExample("{lc:8}", fmt.Sprint("b", i)) + " ")
		case 2:
			b.WriteString("x=" + tok + tok + " x =\t" + tok + "\n")
		case 3:
			b.WriteString(tok[:12] + " prose between runs " + tok + "Q")
		default:
			b.WriteString("Q" + tok[1:] + "." + tok[:8] + "x=" + tok + "\n")
		}
	}
	for _, text := range []string{b.String(), b.String()[:777], b.String()[1234:]} {
		ev := &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Kind: sdk.KindToolResult, Text: text}}}
		var df, dr Detector
		df.eng.Store(fast)
		dr.eng.Store(ref)
		got, _ := df.Detect(context.Background(), ev)
		want, _ := dr.Detect(context.Background(), ev)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("fast path %d findings, reference %d\nfast: %s\nreference: %s", len(got), len(want), summary(got), summary(want))
		}
	}
}
