package commands

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode/utf8"
)

// litRe is a regular expression with a literal prefilter: the strings of
// which every match must contain at least one. The prefilter is derived
// from the pattern itself (regexp/syntax), so it cannot change an answer:
// when none of the strings occurs, the expression cannot match and is not
// run. Go's regexp only skips ahead to a literal prefix; most of the
// detector's patterns begin with an alternation or a class, and running
// them cost more than the rest of a Windows command's judging.
type litRe struct {
	*regexp.Regexp
	lits []string // nil: no prefilter (the pattern needs no literal)
	fold bool     // a part is case-insensitive: lits are lower case and looked for ignoring ASCII case
	// alts are the branches of a pattern that is an alternation at the top,
	// each with its own prefilter: a match of the whole is a match of one
	// branch, so MatchString asks only the branches whose strings occur.
	// Go's regexp runs a long alternation with word boundaries as slowly
	// as a backtracker over every branch at every position. They are
	// compiled at the first match, not at package init: the detector's
	// hundreds of patterns would otherwise cost its start (and a WASM
	// instance's _initialize) several times what they save.
	alts     []*litRe
	altsOnce sync.Once
}

func newLitRe(re *regexp.Regexp) *litRe {
	ls, fold := requiredLits(re.String())
	return &litRe{Regexp: re, lits: ls, fold: fold}
}

// branches compiles the branches of a top-level alternation (under any
// capturing group), or returns nil when the pattern is not one, has fewer
// than three branches, or no branch has a prefilter.
func branches(pat string) []*litRe {
	t, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return nil
	}
	for t.Op == syntax.OpCapture && len(t.Sub) == 1 {
		t = t.Sub[0]
	}
	if t.Op != syntax.OpAlternate || len(t.Sub) < 3 {
		return nil
	}
	var out []*litRe
	useful := false
	for _, b := range t.Sub {
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil
		}
		ls, fold := requiredLits(re.String())
		if ls != nil {
			useful = true
		}
		out = append(out, &litRe{Regexp: re, lits: ls, fold: fold})
	}
	if !useful {
		return nil
	}
	return out
}

func mustLitRe(pat string) *litRe { return newLitRe(regexp.MustCompile(pat)) }

// may reports whether s can match: false only when it certainly cannot.
func (r *litRe) may(s string) bool {
	if r.lits == nil {
		return true
	}
	if !r.fold {
		return containsAny(s, r.lits...)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true // Unicode folding (K for k, ſ for s): let the expression decide
		}
	}
	for _, l := range r.lits {
		if containsFold(s, l) {
			return true
		}
	}
	return false
}

// containsFold reports whether s holds lit (lower case ASCII) ignoring
// ASCII case.
func containsFold(s, lit string) bool {
	if len(lit) == 0 {
		return true
	}
	c0, u0 := lit[0], lit[0]
	if c0 >= 'a' && c0 <= 'z' {
		u0 = c0 - 'a' + 'A'
	}
	for i := 0; i+len(lit) <= len(s); i++ {
		if (s[i] == c0 || s[i] == u0) && strings.EqualFold(s[i:i+len(lit)], lit) {
			return true
		}
	}
	return false
}

func (r *litRe) MatchString(s string) bool {
	if !r.may(s) {
		return false
	}
	r.altsOnce.Do(func() { r.alts = branches(r.String()) })
	if r.alts == nil {
		return r.Regexp.MatchString(s)
	}
	for _, b := range r.alts {
		if b.may(s) && b.Regexp.MatchString(s) {
			return true
		}
	}
	return false
}

// FindStringIndex is the whole pattern's leftmost match. For a top-level
// alternation it is found branch by branch, each behind its prefilter: the
// leftmost start of any branch, and at that start the first branch in
// order, which is what leftmost-first matching of the whole chooses.
func (r *litRe) FindStringIndex(s string) []int {
	if !r.may(s) {
		return nil
	}
	r.altsOnce.Do(func() { r.alts = branches(r.String()) })
	if r.alts == nil {
		return r.Regexp.FindStringIndex(s)
	}
	var best []int
	for _, b := range r.alts {
		if !b.may(s) {
			continue
		}
		if loc := b.Regexp.FindStringIndex(s); loc != nil && (best == nil || loc[0] < best[0]) {
			best = loc
		}
	}
	return best
}

// maxLits bounds the prefilter's size; a pattern that needs more is run
// without one.
const maxLits = 48

// requiredLits returns strings of which every match of pat contains one,
// or nil when none can be named (a case-insensitive part, an optional
// part, a large class). No string in the result is empty.
func requiredLits(pat string) (lits []string, fold bool) {
	re, err := syntax.Parse(pat, syntax.Perl)
	if err != nil {
		return nil, false
	}
	ls := need(re.Simplify())
	if len(ls) == 0 || len(ls) > maxLits {
		return nil, false
	}
	for _, l := range ls {
		if l == "" {
			return nil, false
		}
	}
	if hasFold(re) {
		for i, l := range ls {
			ls[i] = strings.ToLower(l)
		}
		return ls, true
	}
	return ls, false
}

func hasFold(re *syntax.Regexp) bool {
	if re.Flags&syntax.FoldCase != 0 {
		return true
	}
	for _, s := range re.Sub {
		if hasFold(s) {
			return true
		}
	}
	return false
}

// exact returns every string re matches, when they are few and re holds
// no empty-width assertion; else nil.
func exact(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			if r == utf8.RuneError || re.Flags&syntax.FoldCase != 0 && r >= utf8.RuneSelf {
				return nil // also matches an invalid byte
			}
		}
		return []string{string(re.Rune)}
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				if len(out) >= 8 || r == utf8.RuneError {
					return nil
				}
				out = append(out, string(r))
			}
		}
		return out
	case syntax.OpCapture:
		return exact(re.Sub[0])
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			e := exact(s)
			if e == nil || len(out)+len(e) > maxLits {
				return nil
			}
			out = append(out, e...)
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			e := exact(s)
			if e == nil || len(out)*len(e) > maxLits {
				return nil
			}
			out = cross(out, e)
		}
		return out
	}
	return nil
}

func cross(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}

// need returns strings one of which every match of re contains, or nil.
func need(re *syntax.Regexp) []string {
	if e := exact(re); e != nil {
		return e
	}
	switch re.Op {
	case syntax.OpCapture:
		return need(re.Sub[0])
	case syntax.OpPlus:
		return need(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return need(re.Sub[0])
		}
		return nil
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			n := need(s)
			if n == nil || len(out)+len(n) > maxLits {
				return nil
			}
			out = append(out, n...)
		}
		return out
	case syntax.OpConcat:
		// Runs of consecutive exact parts make longer strings; of all the
		// candidates the one whose shortest string is longest is kept.
		var best []string
		consider := func(c []string) {
			if c != nil && len(c) <= maxLits && (best == nil || minLen(c) > minLen(best)) {
				best = c
			}
		}
		var run []string
		for _, s := range re.Sub {
			if e := exact(s); e != nil && (run == nil || len(run)*len(e) <= maxLits) {
				if run == nil {
					run = e
				} else {
					run = cross(run, e)
				}
				consider(run)
				continue
			}
			run = nil
			if e := exact(s); e != nil {
				run = e
				consider(run)
				continue
			}
			consider(need(s))
		}
		return best
	}
	return nil
}

func minLen(ls []string) int {
	m := -1
	for _, l := range ls {
		if m < 0 || len(l) < m {
			m = len(l)
		}
	}
	return m
}
