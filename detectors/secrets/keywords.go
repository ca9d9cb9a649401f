package secrets

import (
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// regexKeywords derives prefilter keywords for a rule that has none
// (noseyparker / Titus rules carry no keywords) from its parsed regex t:
// a set of literals such that every match contains at least one of them,
// lower-cased for the ASCII case-insensitive automaton. It returns nil
// when no such set of literals of at least three bytes (at most 24 of
// them) exists; the rule then has to scan whole texts.
func regexKeywords(t *syntax.Regexp) []string {
	set := requiredLits(t.Simplify())
	if !goodLits(set) {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range set {
		if s = strings.ToLower(s); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

const maxKeywordSet = 24

func goodLits(set []string) bool {
	if len(set) == 0 || len(set) > maxKeywordSet {
		return false
	}
	for _, s := range set {
		if len(s) < 3 {
			return false
		}
	}
	return true
}

// litScore ranks literal sets: fewer, longer literals prefilter better.
func litScore(set []string) int {
	if !goodLits(set) {
		return -1
	}
	m := 1 << 30
	for _, s := range set {
		m = min(m, len(s))
	}
	return min(m, 8)*100 - len(set)
}

// requiredLits returns literals one of which every match of t contains, or
// nil when it cannot tell.
func requiredLits(t *syntax.Regexp) []string { return requiredLitsScored(t, litScore) }

// requiredLitsScored is requiredLits choosing, of the sets a sequence
// offers, the one score ranks highest (a negative score refuses a set).
func requiredLitsScored(t *syntax.Regexp, score func([]string) int) []string {
	switch t.Op {
	case syntax.OpLiteral:
		return []string{string(t.Rune)}
	case syntax.OpCapture:
		return requiredLitsScored(t.Sub[0], score)
	case syntax.OpPlus:
		return requiredLitsScored(t.Sub[0], score)
	case syntax.OpRepeat:
		if t.Min >= 1 {
			return requiredLitsScored(t.Sub[0], score)
		}
		return nil
	case syntax.OpCharClass:
		// A class of one letter in both cases ([Aa]) is a literal for a
		// case-insensitive automaton.
		if len(t.Rune) == 4 && t.Rune[0] == t.Rune[1] && t.Rune[2] == t.Rune[3] &&
			strings.EqualFold(string(t.Rune[0]), string(t.Rune[2])) {
			return []string{string(t.Rune[0])}
		}
		if len(t.Rune) == 2 && t.Rune[0] == t.Rune[1] {
			return []string{string(t.Rune[0])}
		}
		return nil
	case syntax.OpAlternate:
		return unionLits(t.Sub, func(a *syntax.Regexp) []string { return requiredLitsScored(a, score) })
	case syntax.OpConcat:
		// Join runs of single-literal children into longer literals, then
		// take the best child set.
		var best []string
		bestScore := -1
		var run []string // cross product of the current run of literal sets
		flush := func() {
			if sc := score(run); sc > bestScore {
				best, bestScore = run, sc
			}
			run = nil
		}
		for _, s := range t.Sub {
			ls := requiredLitsScored(s, score)
			exact := ls != nil && exactLits(s)
			if ls == nil {
				flush()
				continue
			}
			if !exact {
				flush()
				if sc := score(ls); sc > bestScore {
					best, bestScore = ls, sc
				}
				continue
			}
			if run == nil {
				run = ls
			} else if len(run)*len(ls) <= maxKeywordSet {
				run = crossLits(run, ls)
			} else {
				flush()
				run = ls
			}
		}
		flush()
		return best
	}
	return nil
}

// secondaryLits returns literals one of which every match of a floating
// rule's regex holds and that are no mere part of its keywords (gitleaks'
// datadog rule is keyed on "token" but every match holds "datadog" or
// "dd"), lower-cased, or nil. A window around a keyword hit holding none
// of them cannot hold a match. Literals the regex matches ignoring case
// must not hold s or k, which also match ſ and K (Kelvin sign), beyond
// the keyword automaton's ASCII folding.
func secondaryLits(t *syntax.Regexp, keywords []string) []string {
	fold := foldsCase(t)
	score := func(set []string) int {
		if len(set) == 0 || len(set) > maxKeywordSet {
			return -1
		}
		m := 1 << 30
		for _, l := range set {
			ll := strings.ToLower(l)
			if len(l) < 2 || (fold && strings.ContainsAny(ll, "sk")) {
				return -1
			}
			for i := 0; i < len(ll); i++ {
				if ll[i] >= utf8.RuneSelf {
					return -1
				}
			}
			for _, k := range keywords {
				if strings.Contains(k, ll) {
					return -1 // wherever the keyword is, so is it
				}
			}
			m = min(m, len(l))
		}
		return min(m, 8)*100 - len(set)
	}
	set := requiredLitsScored(t, score)
	if score(set) < 0 {
		return nil
	}
	out := make([]string, 0, len(set))
	seen := map[string]bool{}
	for _, l := range set {
		if l = strings.ToLower(l); !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}

// foldsCase reports whether a literal of t is matched ignoring case, as
// "(?i" in t.String() would say; printing a large expression costs more
// than the rest of compiling its rule (String recomputes case folds).
func foldsCase(t *syntax.Regexp) bool {
	if t.Op == syntax.OpLiteral && t.Flags&syntax.FoldCase != 0 {
		for _, r := range t.Rune {
			if unicode.SimpleFold(r) != r {
				return true
			}
		}
	}
	for _, s := range t.Sub {
		if foldsCase(s) {
			return true
		}
	}
	return false
}

// exactLits reports whether t matches exactly one of its required
// literals (and nothing around it), so that it can be joined with its
// neighbours in a concatenation.
func exactLits(t *syntax.Regexp) bool {
	switch t.Op {
	case syntax.OpLiteral, syntax.OpCharClass:
		return true
	case syntax.OpCapture:
		return exactLits(t.Sub[0])
	case syntax.OpAlternate:
		for _, s := range t.Sub {
			if !exactLits(s) {
				return false
			}
		}
		return true
	}
	return false
}

// maxMatchLen returns the longest match of the regex t in bytes, or -1
// when unbounded (or over limit). Imported rules whose matches are
// bounded scan windows of exactly that reach around each keyword hit
// instead of the default 256 bytes before and 1024 after.
func maxMatchLen(t *syntax.Regexp, limit int) int {
	n := maxLen(t, limit)
	if n > limit {
		return -1
	}
	return n
}

func maxLen(t *syntax.Regexp, limit int) int {
	const inf = 1 << 30
	switch t.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		n := 0
		for _, r := range t.Rune {
			n += runeBytes(r)
		}
		return n
	case syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return 4
	case syntax.OpCapture:
		return maxLen(t.Sub[0], limit)
	case syntax.OpStar, syntax.OpPlus:
		return inf
	case syntax.OpQuest:
		return maxLen(t.Sub[0], limit)
	case syntax.OpRepeat:
		if t.Max < 0 {
			return inf
		}
		m := maxLen(t.Sub[0], limit)
		if m >= inf || m*t.Max > limit {
			return inf
		}
		return m * t.Max
	case syntax.OpConcat:
		s := 0
		for _, c := range t.Sub {
			s += maxLen(c, limit)
			if s > limit {
				return inf
			}
		}
		return s
	case syntax.OpAlternate:
		m := 0
		for _, c := range t.Sub {
			m = max(m, maxLen(c, limit))
		}
		return m
	}
	return inf
}

func runeBytes(r rune) int {
	switch {
	case r < 0x80:
		return 1
	case r < 0x800:
		return 2
	case r < 0x10000:
		return 3
	}
	return 4
}

// anchorRegex rewrites an imported regex to start at a literal that
// every match begins with, so that the rule can run anchored at the
// keyword automaton's hits of that literal (one attempt per hit) instead
// of searching windows. The field's rules mostly read
// `[\w.-]{0,50}?(?:name|other)…` or `\b(prefix…)`: the optional leading
// identifier run and a leading \b only move the match start (picket's own
// check that a token is not glued to more token text stands in for \b),
// so the rest of the pattern, anchored at a hit of its leading literals,
// finds the same secrets. ok is false when the regex has no such shape.
func anchorRegex(t *syntax.Regexp) (anchored *syntax.Regexp, lits []string, boundary, ok bool) {
	subs := []*syntax.Regexp{t}
	if t.Op == syntax.OpConcat {
		subs = t.Sub
	}
	i := 0
	if i < len(subs) && optionalRun(subs[i]) {
		i++
	}
	for i < len(subs) && subs[i].Op == syntax.OpWordBoundary {
		i++
		boundary = true
	}
	if i < len(subs) && subs[i].Op == syntax.OpCapture && len(subs[i].Sub) == 1 && subs[i].Sub[0].Op == syntax.OpConcat &&
		len(subs[i].Sub[0].Sub) > 0 && subs[i].Sub[0].Sub[0].Op == syntax.OpWordBoundary {
		boundary = true
	}
	if i >= len(subs) {
		return nil, nil, false, false
	}
	lits = leadLits(subs[i:])
	if len(lits) == 0 || len(lits) > maxKeywordSet {
		return nil, nil, false, false
	}
	for _, l := range lits {
		if len(l) < 2 {
			return nil, nil, false, false
		}
	}
	anchored = &syntax.Regexp{Op: syntax.OpConcat, Flags: t.Flags, Sub: subs[i:]}
	if len(subs[i:]) == 1 {
		anchored = subs[i]
	}
	seen := map[string]bool{}
	out := lits[:0:0]
	for _, l := range lits {
		if l = strings.ToLower(l); !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return anchored, out, boundary, true
}

// gateRegex returns the regex t without the optional character-class runs
// that lead it or each of its top-level alternatives (`[\w.-]{0,50}?` in
// the field's rules), or nil when there are none. Such a run can be empty, so
// the result matches somewhere in a text exactly when src does; without
// it the regex machine runs one short-lived thread per byte instead of
// up to fifty, so it makes a cheap test of whether a window can hold a
// match at all before the submatch search.
func gateRegex(t *syntax.Regexp) *syntax.Regexp {
	stripped := false
	strip := func(t *syntax.Regexp) *syntax.Regexp {
		if t.Op != syntax.OpConcat {
			return t
		}
		i := 0
		for i < len(t.Sub)-1 && optionalRun(t.Sub[i]) {
			i++
		}
		if i == 0 {
			return t
		}
		stripped = true
		if len(t.Sub)-i == 1 {
			return t.Sub[i]
		}
		return &syntax.Regexp{Op: syntax.OpConcat, Flags: t.Flags, Sub: t.Sub[i:]}
	}
	if t.Op == syntax.OpAlternate {
		alts := make([]*syntax.Regexp, len(t.Sub))
		for i, a := range t.Sub {
			alts[i] = strip(a)
		}
		t = &syntax.Regexp{Op: syntax.OpAlternate, Flags: t.Flags, Sub: alts}
	} else {
		t = strip(t)
	}
	if !stripped {
		return nil
	}
	return t
}

// optionalRun reports whether t is a possibly empty run of a character
// class ([\w.-]{0,50}?, \w*).
func optionalRun(t *syntax.Regexp) bool {
	switch t.Op {
	case syntax.OpStar, syntax.OpQuest:
		return t.Sub[0].Op == syntax.OpCharClass
	case syntax.OpRepeat:
		return t.Min == 0 && t.Sub[0].Op == syntax.OpCharClass
	}
	return false
}

// leadLits returns the literals one of which every match of the
// concatenation seq starts with (joining leading exact literals), or nil.
func leadLits(seq []*syntax.Regexp) []string {
	if len(seq) == 0 {
		return nil
	}
	for len(seq) > 1 && seq[0].Op == syntax.OpWordBoundary {
		seq = seq[1:]
	}
	first := seq[0]
	switch first.Op {
	case syntax.OpAlternate:
		if exactLits(first) {
			break
		}
		return unionLits(first.Sub, func(alt *syntax.Regexp) []string {
			if alt.Op == syntax.OpConcat {
				return leadLits(alt.Sub)
			}
			return leadLits([]*syntax.Regexp{alt})
		})
	case syntax.OpCapture:
		inner := []*syntax.Regexp{first.Sub[0]}
		if first.Sub[0].Op == syntax.OpConcat {
			inner = first.Sub[0].Sub
		}
		return leadLits(inner)
	case syntax.OpConcat:
		return leadLits(first.Sub)
	}
	var run []string
	for _, s := range seq {
		last := false
		var ls []string
		if exactLits(s) {
			ls = requiredLits(s)
		} else if run != nil && (s.Op == syntax.OpAlternate || s.Op == syntax.OpCapture) {
			// A factored alternation after a literal (A(?:KIA|SIA|3T[…]))
			// contributes its own leading literals, and ends the run.
			ls, last = leadLits([]*syntax.Regexp{s}), true
		}
		if ls == nil {
			break
		}
		if run == nil {
			run = ls
			continue
		}
		if len(run)*len(ls) > maxKeywordSet {
			break
		}
		run = crossLits(run, ls)
		if last {
			break
		}
	}
	return run
}

// unionLits is the union of each alternative's literal set, or nil when
// one has none or the union grows past maxKeywordSet.
func unionLits(alts []*syntax.Regexp, f func(*syntax.Regexp) []string) []string {
	var out []string
	for _, a := range alts {
		ls := f(a)
		if ls == nil {
			return nil
		}
		if out = append(out, ls...); len(out) > maxKeywordSet {
			return nil
		}
	}
	return out
}

// crossLits joins every literal of a with every literal of b.
func crossLits(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return out
}
