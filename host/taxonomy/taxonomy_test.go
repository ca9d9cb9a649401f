package taxonomy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestForMergesCategoryClassRuleAndExtra(t *testing.T) {
	r := For("command", "download and execute", "download-pipe-shell", "T1204", "AML.T0011", "bogus", "CWE-78")
	for _, want := range []struct {
		list []string
		id   string
	}{
		{r.OWASP, "LLM06:2025"}, {r.ATLAS, "AML.T0050"}, {r.ATLAS, "AML.T0011"}, {r.ATTACK, "T1059.004"},
		{r.ATTACK, "T1105"}, {r.ATTACK, "T1204"}, {r.CWE, "CWE-78"}, {r.CWE, "CWE-494"},
	} {
		if !slices.Contains(want.list, want.id) {
			t.Errorf("refs %+v lack %s", r, want.id)
		}
	}
	if n := strings.Count(strings.Join(r.CWE, " "), "CWE-78"); n != 1 {
		t.Errorf("CWE-78 listed %d times: %v", n, r.CWE)
	}
	if slices.Contains(r.All(), "bogus") {
		t.Error("an id of no known shape was kept")
	}
	if !For("unknown-plugin-category", "", "").Empty() {
		t.Error("an unknown category has refs")
	}
	if got := For("injection", "System Prompt Extraction", ""); !slices.Contains(got.OWASP, "LLM07:2025") || !slices.Contains(got.OWASP, "LLM01:2025") {
		t.Errorf("class match is not case-insensitive or lacks the category: %+v", got)
	}
}

// Every id this package hands out has a name, and its shape is right.
func TestEveryIDIsNamedAndWellFormed(t *testing.T) {
	shape := map[string]*regexp.Regexp{
		"owasp": regexp.MustCompile(`^LLM(0[1-9]|10):2025$`), "atlas": regexp.MustCompile(`^AML\.T\d{4}(\.\d{3})?$`),
		"attack": regexp.MustCompile(`^T\d{4}(\.\d{3})?$`), "cwe": regexp.MustCompile(`^CWE-\d+$`),
	}
	check := func(where string, r Refs) {
		for kind, ids := range map[string][]string{"owasp": r.OWASP, "atlas": r.ATLAS, "attack": r.ATTACK, "cwe": r.CWE} {
			for _, id := range ids {
				if !shape[kind].MatchString(id) {
					t.Errorf("%s: %s id %q is malformed", where, kind, id)
				}
				if Names[id] == "" {
					t.Errorf("%s: %q has no name", where, id)
				}
			}
		}
	}
	for c, r := range byCategory {
		check(c, r)
	}
	for c, m := range byClass {
		for cl, r := range m {
			check(c+"/"+cl, r)
		}
	}
	for rule, r := range byRule {
		check(rule, r)
	}
}

// The classes and rules mapped here exist in the built-in detectors: a
// renamed class would silently lose its ids.
func TestMappedClassesAndRulesExist(t *testing.T) {
	src := map[string]string{}
	for _, dir := range []string{"commands", "injection", "secrets"} {
		files, _ := filepath.Glob(filepath.Join("../../detectors", dir, "*.go"))
		var b strings.Builder
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		src[dir] = b.String()
	}
	for class := range byClass["command"] {
		if !strings.Contains(src["commands"], `Class: "`+class+`"`) {
			t.Errorf("command class %q is not in detectors/commands", class)
		}
	}
	for class := range byClass["injection"] {
		if !strings.Contains(src["injection"], `"`+class+`"`) {
			t.Errorf("injection class %q is not in detectors/injection", class)
		}
	}
	for rule := range byRule {
		if !strings.Contains(src["commands"]+src["secrets"], `ID: "`+rule+`"`) {
			t.Errorf("rule %q is in no built-in detector", rule)
		}
	}
}

// TestCategoriesAreMappedAndListedInTheUI: every category of Categories
// has a mapping (possibly empty) and the Observatory's Threats facet lists
// exactly these.
func TestCategoriesAreMappedAndListedInTheUI(t *testing.T) {
	for _, c := range Categories {
		if _, ok := byCategory[c]; !ok {
			t.Errorf("category %q has no mapping", c)
		}
	}
	for c := range byCategory {
		if !slices.Contains(Categories, c) {
			t.Errorf("mapped category %q is not in Categories", c)
		}
	}
	js, err := os.ReadFile("../observatory/ui/app.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)var CATEGORIES = \[(.*?)\];`).FindSubmatch(js)
	if m == nil {
		t.Fatal("app.js has no CATEGORIES list")
	}
	var ui []string
	for _, p := range regexp.MustCompile(`\["([a-z_]+)", "[^"]*"\]`).FindAllSubmatch(m[1], -1) {
		ui = append(ui, string(p[1]))
	}
	if !slices.Equal(ui, Categories) {
		t.Errorf("the Threats facet lists %v, want %v", ui, Categories)
	}
	for _, c := range []string{"exfiltration", "injection_chain"} {
		if For(c, "", "").Empty() {
			t.Errorf("session category %s has no refs", c)
		}
	}
}
