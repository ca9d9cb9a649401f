package secrets

import (
	"os"
	"path/filepath"
	"regexp/syntax"
	"slices"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// TestPrintRegexRoundTrip checks printRegex, which prints the trees the
// engine compiles: printed, every tree must parse back to an equal tree,
// for hand-written edge cases, every built-in and gitleaks rule and, when
// ../shared/rulepacks is there, every pack rule as loaded (anchored rules
// cut at their literals, repetitions capped). The differential test cannot
// see a printing fault: its reference path runs the same compiled regex.
func TestPrintRegexRoundTrip(t *testing.T) {
	t.Parallel()
	srcs := []string{
		`a|b|`, `(?i)abc[x-z]\d+?`, `[\]\[\-^]`, `[^\n]`, `(?s).`, `.`, `^a$`, `(?m)^a$`, `\Aa\z`, `\bx\B`,
		`(?P<name>x{2,5}?)`, `(?:ab)*`, `(?:a|b)+c`, `(?i:K)`, `ſ`, `[\x{10000}-\x{10FFFF}]`, `\x00\t\n\\`,
		`a{0}`, `(?:)`, `[^\x00-\x{10FFFF}]`, `(?U)a+`, `x{3}`, `(?i)[a-z]{0,70}`, `\.\+\*\?\(\)\|\{\}\^\$`,
	}
	for _, r := range builtinRules() {
		srcs = append(srcs, r.Regex)
	}
	gl, err := gitleaksDefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	var trees []*syntax.Regexp
	for _, r := range gl {
		trees = append(trees, r.tree)
	}
	if dir := rulepacksDir(); dir != "" {
		for _, f := range []string{filepath.Join(dir, "betterleaks", "betterleaks.toml"), filepath.Join(dir, "titus", "rules")} {
			disabled := map[string]bool{}
			for _, id := range titusRefused {
				disabled[id] = true
			}
			rs, err := loadRulesFile(f, sdk.SeverityHigh, disabled)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				trees = append(trees, r.tree)
			}
		}
	}
	for _, s := range srcs {
		tr, err := parseRegex(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		trees = append(trees, tr)
	}
	for _, tr := range trees {
		for _, x := range []*syntax.Regexp{tr, capRepeats(tr)} {
			p := printRegex(x)
			back, err := parseRegex(p)
			if err != nil {
				t.Errorf("%s: printed %q does not parse: %v", x, p, err)
				continue
			}
			if !sameRegex(back.Simplify(), x.Simplify()) {
				t.Errorf("%s: printed %q parses to %s", x, p, back)
			}
		}
	}
}

// rulepacksDir is ../shared/rulepacks, or "" when it is absent.
func rulepacksDir() string {
	dir := filepath.Join("..", "..", "..", "shared", "rulepacks")
	if _, err := os.Stat(dir); err != nil {
		return ""
	}
	return dir
}

// sameRegex is syntax.Regexp.Equal without comparing the case-folding
// flag of character classes, which folding has already been applied to
// (a class parsed under (?i) carries the flag, the same class printed as
// its ranges does not), and with nested concatenations and alternations
// flattened (the parser's factoring of alternatives leaves some nested).
func sameRegex(x, y *syntax.Regexp) bool {
	if x.Op != y.Op {
		return false
	}
	xs, ys := flatSubs(x), flatSubs(y)
	if len(xs) != len(ys) {
		return false
	}
	switch x.Op {
	case syntax.OpEndText:
		return x.Flags&syntax.WasDollar == y.Flags&syntax.WasDollar
	case syntax.OpLiteral:
		return x.Flags&syntax.FoldCase == y.Flags&syntax.FoldCase && slices.Equal(x.Rune, y.Rune)
	case syntax.OpCharClass:
		return slices.Equal(x.Rune, y.Rune)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		if x.Flags&syntax.NonGreedy != y.Flags&syntax.NonGreedy || x.Min != y.Min || x.Max != y.Max {
			return false
		}
	case syntax.OpCapture:
		if x.Cap != y.Cap || x.Name != y.Name {
			return false
		}
	}
	for i := range xs {
		if !sameRegex(xs[i], ys[i]) {
			return false
		}
	}
	return true
}

// flatSubs returns t's subexpressions, those of a nested concatenation
// (alternation) in a concatenation (alternation) spliced in, and adjacent
// literals of one case folding joined.
func flatSubs(t *syntax.Regexp) []*syntax.Regexp {
	if t.Op != syntax.OpConcat && t.Op != syntax.OpAlternate {
		return t.Sub
	}
	var out []*syntax.Regexp
	for _, s := range t.Sub {
		if s.Op == t.Op {
			out = append(out, flatSubs(s)...)
			continue
		}
		if n := len(out); t.Op == syntax.OpConcat && n > 0 && s.Op == syntax.OpLiteral && out[n-1].Op == syntax.OpLiteral &&
			out[n-1].Flags&syntax.FoldCase == s.Flags&syntax.FoldCase {
			j := *out[n-1]
			j.Rune = append(append([]rune(nil), j.Rune...), s.Rune...)
			out[n-1] = &j
			continue
		}
		out = append(out, s)
	}
	return out
}
