package commands

import (
	"strings"
	"testing"
)

// The embedded catalogue loads (init would have panicked otherwise); every
// row has examples both ways (TestRuleExamples runs them), and bad rows are
// refused with a sentence that names them.
func TestCatalogueRows(t *testing.T) {
	t.Parallel()
	if len(catalogue) < 80 {
		t.Fatalf("catalogue has %d rows", len(catalogue))
	}
	techniques := map[string]bool{}
	for _, e := range catalogue {
		if len(e.Must) == 0 || len(e.MustNot) == 0 {
			t.Errorf("%s: needs must and must_not examples", e.ID)
		}
		if !strings.Contains(e.rule.Msg, e.Technique) {
			t.Errorf("%s: message does not carry the technique id", e.ID)
		}
		techniques[e.Technique] = true
	}
	if len(techniques) < 50 {
		t.Errorf("only %d distinct ATT&CK techniques", len(techniques))
	}
}

func TestCatalogueRefusesBadRows(t *testing.T) {
	t.Parallel()
	row := func(extra string) string {
		return "[[entry]]\nid = \"x\"\nprograms = [\"x\"]\nplatform = \"any\"\nclass = \"c\"\ntechnique = \"T1105\"\nseverity = \"high\"\nmessage = \"m\"\n" + extra
	}
	bad := map[string]string{
		"unknown field": row("colour = \"red\"\n"),
		"technique":     strings.Replace(row(""), "T1105", "TA0001", 1),
		"severity":      strings.Replace(row(""), "\"high\"", "\"severe\"", 1),
		"platform":      strings.Replace(row(""), "\"any\"", "\"beos\"", 1),
		"regexp":        row("args = '(unclosed'\n"),
		"upper case":    row("args = 'Foo'\n"),
		"duplicate id":  row("") + row(""),
		"no program":    strings.Replace(row(""), "programs = [\"x\"]\n", "", 1),
		"not toml":      "[[entry]\n",
	}
	for name, src := range bad {
		if _, err := loadCatalogue(src); err == nil {
			t.Errorf("%s: loaded", name)
		} else if !strings.HasPrefix(err.Error(), "commands: catalogue") {
			t.Errorf("%s: error %q does not say where", name, err)
		}
	}
	if _, err := loadCatalogue(row("args = '\\S+\\W'\nmust = [\"x\"]\nmust_not = [\"y\"]\n")); err != nil {
		t.Errorf("escapes are not upper case: %v", err)
	}
}
