package secrets

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// rulepacks is the shared folder of real rule packs (../shared/rulepacks
// from the repository root). Tests that need it skip when it is absent.
func rulepacks(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "rulepacks")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("rule packs not found at %s (../shared/rulepacks beside the repository): %v", dir, err)
	}
	return dir
}

// titusRefused are the Titus rules (at the pack's commit 369d8dc4359a)
// whose own examples contradict their patterns: picket refuses each with
// its file, line and reason, so the pack loads only with them disabled.
var titusRefused = []string{
	"rules.np.amplitude.1", "rules.np.azure.6", "rules.kingfisher.contentful.1", "rules.kingfisher.contentful.2",
	"rules.kingfisher.curl.2", "rules.np.cypress.1", "rules.np.grafana.1", "rules.np.grafana.3", "rules.np.redis.1",
	"rules.np.twitter.3",
}

func packConfig(t *testing.T, files ...string) string {
	t.Helper()
	cfg := map[string]any{"rules_files": files}
	for _, f := range files {
		if filepath.Base(f) == "rules" {
			cfg["disable_rules"] = titusRefused
		}
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRealRulePacks(t *testing.T) {
	t.Parallel()
	dir := rulepacks(t)
	cases := []struct {
		path, prefix string
		min          int
	}{
		{filepath.Join(dir, "betterleaks", "betterleaks.toml"), "betterleaks.", 350},
		{filepath.Join(dir, "titus", "rules"), "rules.", 400},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			t.Parallel()
			disabled := map[string]bool{}
			for _, id := range titusRefused {
				disabled[id] = true
			}
			rs, err := loadRulesFile(c.path, sdk.SeverityHigh, disabled)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(rs) < c.min {
				t.Fatalf("%d rules, want at least %d", len(rs), c.min)
			}
			for _, r := range rs {
				if !strings.HasPrefix(r.ID, c.prefix) {
					t.Fatalf("rule id %q not namespaced %q", r.ID, c.prefix)
				}
			}
			d := newDetector(t, packConfig(t, c.path))
			e := d.(*Detector).eng.Load()
			if len(e.rules) < len(builtinRules())+len(rs) {
				t.Errorf("engine holds %d rules, want the built-in ones plus %d", len(e.rules), len(rs))
			}
		})
	}
	// Without the disables, the first refused rule names itself.
	err := New().Configure(t.Context(), []byte(`{"rules_files": [`+strconvQuote(cases[1].path)+`]}`))
	if err == nil || !strings.Contains(err.Error(), "amplitude.yml:") || !strings.Contains(err.Error(), "np.amplitude.1") {
		t.Errorf("unchecked examples: %v", err)
	}
	// Both packs at once, with gitleaks' defaults: over 1,000 rules.
	d := newDetector(t, packConfig(t, cases[0].path, cases[1].path))
	if n := len(d.(*Detector).eng.Load().rules); n < 1000 {
		t.Errorf("%d rules loaded, want over 1000", n)
	}
	// A pack rule finds a credential picket has no rule of its own for.
	tok := expandExample("SNYK_TOKEN={uuid}", "snyk")
	fs := detect(t, d, sdk.Item{Text: tok})
	if len(fs) == 0 {
		t.Errorf("no finding for a Snyk token with the packs loaded")
	}
}

func TestBrokenRulePacks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name, file, body string
		want             []string // substrings of the error
	}{
		{"toml bad regex", "team.toml", "title = \"t\"\n\n[[rules]]\nid = \"ok-rule\"\nregex = '''ok_[a-z]{8}'''\n\n[[rules]]\nid = \"broken-rule\"\nregex = '''(unclosed'''\n",
			[]string{"team.toml:8:", "broken-rule", "regex", "missing closing )"}},
		{"toml bad filter", "flt.toml", "[[rules]]\nid = \"f-rule\"\nregex = '''f_[a-z]{8}'''\nfilter = '''entropy(finding[\"secret\"]) <<= 3'''\n",
			[]string{"flt.toml:2:", "f-rule", "filter"}},
		{"toml unknown required", "req.toml", "[[rules]]\nid = \"a-rule\"\nregex = '''a_[a-z]{8}'''\n[[rules.required]]\nid = \"nope\"\n",
			[]string{"req.toml:2:", "a-rule", "required", "nope"}},
		{"toml syntax", "syn.toml", "[[rules]\nid = 1\n", []string{"syn.toml:2:", "parse"}},
		{"yaml bad pattern", "np.yml", "rules:\n- name: Good\n  id: np.good.1\n  pattern: 'good_[a-z]{8}'\n  examples: ['good_abcdefgh']\n- name: Lookahead\n  id: np.bad.1\n  pattern: 'bad_(?=[a-z]{8})'\n",
			[]string{"np.yml:8:", "np.bad.1", "pattern", "invalid or unsupported Perl syntax"}},
		{"yaml example fails", "ex.yaml", "rules:\n- name: Ex\n  id: np.ex.1\n  pattern: '\\bex_[a-z]{8}\\b'\n  examples:\n  - 'ex_abcdefgh'\n  - 'ex_ABCDEFGH'\n",
			[]string{"ex.yaml:7:", "np.ex.1", "examples[1]", "does not match"}},
		{"yaml negative matches", "neg.yml", "rules:\n- name: Neg\n  id: np.neg.1\n  pattern: 'neg_[a-z]{4,}'\n  examples: ['neg_abcd']\n  negative_examples:\n  - 'neg_qzmwkrtvpl'\n",
			[]string{"neg.yml:7:", "np.neg.1", "negative_examples[0]"}},
		{"yaml no id", "noid.yml", "rules:\n- name: X\n  pattern: 'x'\n", []string{"noid.yml:2:", "id: missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(c.file, c.body)
			d := New()
			err := d.Configure(t.Context(), []byte(packConfig(t, p)))
			if err == nil {
				t.Fatal("broken pack accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if err := New().Configure(t.Context(), []byte(packConfig(t, filepath.Join(dir, "absent.toml")))); err == nil || !strings.Contains(err.Error(), "rules_files[0]") {
		t.Errorf("missing file: %v", err)
	}
}

func TestPackRuleFeatures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	toml := `
[[rules]]
id = "acme-id"
regex = '''\b(acmeid_[a-z0-9]{12})\b'''
skipReport = true

[[rules]]
id = "acme-secret"
regex = '''\b(acmesec_[a-z0-9]{20})\b'''
filter = '''entropy(finding["secret"]) < 3.0 || containsAny(finding["secret"], ["sandbox"])'''
[[rules.required]]
id = "acme-id"
withinLines = 2
`
	yml := `rules:
- name: Verbose rule
  id: np.verbose.1
  pattern: |
    (?x)(?i)
    \b verbose_key   # the name
    \s* = \s*
    ([a-z0-9]{16})   # the value
    \b
  examples:
  - 'verbose_key = abcd1234efgh5678'
  pattern_requirements:
    min_digits: 2
`
	tp := filepath.Join(dir, "acme.toml")
	yp := filepath.Join(dir, "verbose.yml")
	if err := os.WriteFile(tp, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yp, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDetector(t, packConfig(t, tp, yp))
	id := expandExample("acmeid_{lc:12}", "id")
	sec := expandExample("acmesec_{lc:20}", "sec")
	cases := []struct {
		text string
		want []string
	}{
		{id + "\n" + sec, []string{"acme.acme-secret"}}, // required within 2 lines; the id rule is not reported
		{id + "\n\n\n\n" + sec, nil},                    // too far apart
		{sec, nil},                                      // required rule absent
		{id + "\nacmesec_sandbox" + expandExample("{lc:13}", "sb"), nil}, // filter drops it
		{expandExample("VERBOSE_KEY = {lc:16}", "v") + "7", nil},         // \b fails: glued digit
		{"verbose_key = " + expandExample("{al:14}", "v") + "42", []string{"verbose.np.verbose.1"}},
		{"verbose_key = " + expandExample("{al:16}", "nodigit"), nil}, // min_digits
	}
	for i, c := range cases {
		fs := detect(t, d, sdk.Item{Text: c.text})
		got := rulesOf(fs)
		var pack []string
		for _, r := range got {
			if strings.HasPrefix(r, "acme.") || strings.HasPrefix(r, "verbose.") {
				pack = append(pack, r)
			}
		}
		if strings.Join(pack, ",") != strings.Join(c.want, ",") {
			t.Errorf("case %d: pack findings %v, want %v", i, pack, c.want)
		}
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
