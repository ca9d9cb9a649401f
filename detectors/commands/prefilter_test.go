package commands

import (
	"math/rand"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestRequiredLits(t *testing.T) {
	cases := []struct {
		pat  string
		want []string
		fold bool
	}{
		{`abc`, []string{"abc"}, false},
		{`downloadstring|downloaddata`, []string{"downloadstring", "downloaddata"}, false},
		{`\biex\b|invoke-expression`, []string{"iex", "invoke-expression"}, false},
		{`certutil(\.exe)?\s+.*-urlcache`, []string{"-urlcache"}, false},
		{`\.(xml|txt)\b`, []string{".xml", ".txt"}, false},
		{`(?i)xmrig|minerd`, []string{"xmrig", "minerd"}, true},
		{`a?b*`, nil, false},                       // needs nothing
		{`abc|d*`, nil, false},                     // one branch needs nothing
		{`(?i)ſtratum`, []string{"stratum"}, true}, // looked for in ASCII text only
		{`[^x]+`, nil, false},                      // a large class
		{`x\d+y`, []string{"x"}, false},
	}
	for _, c := range cases {
		got, fold := requiredLits(c.pat)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) || fold != c.fold && got != nil {
			t.Errorf("requiredLits(%q) = %q fold %v, want %q fold %v", c.pat, got, fold, want, c.fold)
		}
	}
}

// TestPrefilterNeverRejectsAMatch runs every prefiltered expression of the
// detector over the rule examples (as the rows read them and mutated) and
// over random strings built from the expressions' own literals: wherever
// the expression matches, the prefilter must let it run.
func TestPrefilterNeverRejectsAMatch(t *testing.T) {
	var res []*litRe
	for _, e := range catalogue {
		for _, r := range []*litRe{e.re, e.not, e.names, e.path} {
			if r != nil {
				res = append(res, r)
			}
		}
	}
	for _, r := range textRules {
		res = append(res, r.re)
		if r.also != nil {
			res = append(res, r.also)
		}
	}
	for _, s := range sensitiveRes {
		res = append(res, s.re)
	}
	res = append(res, minerRe)

	var texts []string
	add := func(s string) { texts = append(texts, s, strings.ToLower(s), normWin(s), strings.ToUpper(s)) }
	for _, r := range allRules() {
		for _, s := range append(slices.Clone(r.Must), r.MustNot...) {
			add(s)
		}
	}
	for _, e := range catalogue {
		for _, s := range append(slices.Clone(e.Must), e.MustNot...) {
			add(s)
			for _, f := range strings.Fields(strings.ToLower(s)) {
				texts = append(texts, f)
			}
		}
	}
	rnd := rand.New(rand.NewSource(1))
	var pieces []string
	for _, r := range res {
		pieces = append(pieces, r.lits...)
	}
	pieces = append(pieces, " ", "\\", "/", "-", ".", "\t", "K", "\u212a", "ſ", "\xff", "c:\\", "::", "1", "x")
	for i := 0; i < 500; i++ {
		var b strings.Builder
		for j := rnd.Intn(6); j >= 0; j-- {
			b.WriteString(pieces[rnd.Intn(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	// A sample keeps the test quick (under -race too).
	rnd.Shuffle(len(texts), func(i, j int) { texts[i], texts[j] = texts[j], texts[i] })
	if len(texts) > 1500 {
		texts = texts[:1500]
	}
	n := 0
	for _, r := range res {
		plain := regexp.MustCompile(r.String())
		for _, s := range texts {
			m := plain.MatchString(s)
			if m {
				n++
				if !r.may(s) {
					t.Fatalf("prefilter %q of %q rejects %q, which matches", r.lits, r.String(), s)
				}
			}
			if r.MatchString(s) != m {
				t.Fatalf("%q (%d branches) answers %v on %q, the plain expression %v", r.String(), len(r.alts), !m, s, m)
			}
			if got, want := r.FindStringIndex(s), plain.FindStringIndex(s); !slices.Equal(got, want) {
				t.Fatalf("%q (%d branches) finds %v in %q, the plain expression %v", r.String(), len(r.alts), got, s, want)
			}
		}
	}
	if n < 300 {
		t.Fatalf("only %d matches exercised: the test does not test", n)
	}
}
