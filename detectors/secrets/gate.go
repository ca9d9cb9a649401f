package secrets

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// byteGate is a necessary condition for an anchored rule's regex to match
// at a keyword hit, checked before the regex runs: a byte of set occurs
// within the first within runes of the text from the hit. It comes from a
// part of the regex that every match must pass through (the `=`/`:` of an
// assignment, a quote) after parts of bounded length. The field's
// assignment rules (`password[\w.-]{0,20}[\s'"]{0,3}(?:=|:|…)`) cost the
// backtracker thousands of steps to reject a keyword in prose, where the
// gate rejects it in a few dozen byte loads.
type byteGate struct {
	set    [256]bool
	within int
}

// maxGates is the most gates kept per rule.
const maxGates = 3

// byteGates derives gates from an anchored rule's regex (not yet wrapped
// in ^(?:…)): for each part of its top-level sequence that cannot match
// empty and whose first byte is one of a few punctuation bytes, the set
// of those bytes and the longest run of runes the parts before it can
// take. It stops at the first part of unbounded length.
func byteGates(t *syntax.Regexp) []byteGate {
	seq := []*syntax.Regexp{t}
	if t.Op == syntax.OpConcat {
		seq = t.Sub
	}
	var gates []byteGate
	off := 0
	for _, s := range seq {
		if minRunes(s) > 0 {
			if set, ok := firstBytes(s); ok && selective(&set) {
				gates = append(gates, byteGate{set: set, within: off})
				if len(gates) == maxGates {
					break
				}
			}
		}
		n := maxRunes(s)
		if n < 0 {
			break
		}
		off += n
	}
	return gates
}

// pass reports whether every gate finds one of its bytes in text from
// start within its reach.
func gatesPass(gates []byteGate, text string, start int) bool {
	for g := range gates {
		gt := &gates[g]
		ok := false
		for i, n := start, 0; i < len(text) && n <= gt.within; n++ {
			c := text[i]
			if gt.set[c] {
				ok = true
				break
			}
			if c < utf8.RuneSelf {
				i++
			} else {
				_, w := utf8.DecodeRuneInString(text[i:])
				i += w
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// selective: a set of at most eight bytes, none a letter or a digit
// (those occur everywhere).
func selective(set *[256]bool) bool {
	n := 0
	for c, in := range set {
		if !in {
			continue
		}
		if n++; n > 8 || c >= utf8.RuneSelf || isAlnum(byte(c)) {
			return false
		}
	}
	return n > 0
}

// firstBytes returns the bytes a match of t (which cannot be empty) may
// start with; ok is false when it cannot tell.
func firstBytes(t *syntax.Regexp) (set [256]bool, ok bool) {
	add := func(r rune, fold bool) {
		if r >= utf8.RuneSelf {
			for c := 0xC0; c < 256; c++ {
				set[c] = true
			}
			return
		}
		set[r] = true
		if fold {
			set[lower(byte(r))] = true
			set[upper(byte(r))] = true
			if c := lower(byte(r)); c == 'k' || c == 's' {
				// (?i)k matches K (Kelvin sign), (?i)s ſ (long s):
				// lead bytes of runes beyond ASCII, as above.
				for c := 0xC0; c < 256; c++ {
					set[c] = true
				}
			}
		}
	}
	switch t.Op {
	case syntax.OpLiteral:
		if len(t.Rune) == 0 {
			return set, false
		}
		add(t.Rune[0], t.Flags&syntax.FoldCase != 0)
		return set, true
	case syntax.OpCharClass:
		for i := 0; i+1 < len(t.Rune); i += 2 {
			lo, hi := t.Rune[i], t.Rune[i+1]
			if hi-lo > 256 {
				hi = lo + 256
			}
			for r := lo; r <= hi; r++ {
				add(r, false)
			}
		}
		return set, true
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(t.Sub[0])
	case syntax.OpRepeat:
		if t.Min < 1 {
			return set, false
		}
		return firstBytes(t.Sub[0])
	case syntax.OpAlternate:
		for _, a := range t.Sub {
			if minRunes(a) == 0 {
				return set, false
			}
			s, ok := firstBytes(a)
			if !ok {
				return set, false
			}
			for c, in := range s {
				set[c] = set[c] || in
			}
		}
		return set, true
	case syntax.OpConcat:
		// The first part that cannot be empty starts the match, unless a
		// part before it that can be empty does: only simple cases.
		for _, s := range t.Sub {
			if minRunes(s) == 0 {
				if s.Op == syntax.OpWordBoundary || s.Op == syntax.OpNoWordBoundary {
					continue
				}
				return set, false
			}
			return firstBytes(s)
		}
	}
	return set, false
}

// minRunes is the fewest runes a match of t takes.
func minRunes(t *syntax.Regexp) int {
	switch t.Op {
	case syntax.OpLiteral:
		return len(t.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minRunes(t.Sub[0])
	case syntax.OpRepeat:
		return t.Min * minRunes(t.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, s := range t.Sub {
			n += minRunes(s)
		}
		return n
	case syntax.OpAlternate:
		m := -1
		for _, s := range t.Sub {
			if k := minRunes(s); m < 0 || k < m {
				m = k
			}
		}
		return max(m, 0)
	}
	return 0 // empty-width assertions, star, quest, empty match
}

// maxRunes is the most runes a match of t takes, or -1 when unbounded.
func maxRunes(t *syntax.Regexp) int {
	switch t.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return 0
	case syntax.OpLiteral:
		return len(t.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxRunes(t.Sub[0])
	case syntax.OpRepeat:
		if t.Max < 0 {
			return -1
		}
		m := maxRunes(t.Sub[0])
		if m < 0 {
			return -1
		}
		return m * t.Max
	case syntax.OpConcat:
		n := 0
		for _, s := range t.Sub {
			k := maxRunes(s)
			if k < 0 {
				return -1
			}
			n += k
		}
		return n
	case syntax.OpAlternate:
		m := 0
		for _, s := range t.Sub {
			k := maxRunes(s)
			if k < 0 {
				return -1
			}
			m = max(m, k)
		}
		return m
	}
	return -1
}

// runGate is a necessary condition for a match: a run of at least min
// consecutive bytes of set. It comes from a stretch of the regex made of
// character classes that every match passes through (a token's body,
// `[A-Za-z0-9+/]{86}==`, `[MNO][\w-]{20,30}\.[\w-]{6}`): text without such
// a run cannot match, and a match lies within the regex's reach of one.
// Tokens are long runs of a few classes, and prose, logs and code rarely
// have them, so the gate skips most regex runs of rules whose keywords are
// common words, and lets the rules without keywords scan only around runs
// instead of the whole text.
type runGate struct {
	set [256]bool
	min int
	// whole: the regex consumes nothing but the run (its other parts are
	// \b or \B), so a match lies within one maximal run of set.
	whole bool
	// within: the most runes a match takes before the run starts, or -1
	// when unbounded. At a keyword hit of an anchored rule the run must
	// then begin within that many runes of the hit.
	within int
	// at: the index of the run's first part among the regex's
	// concatAtoms.
	at int
}

// minRunGate is the shortest run worth a gate.
const minRunGate = 16

// runGateOf derives the gate with the longest run from the regex t, or nil.
func runGateOf(t *syntax.Regexp) *runGate {
	atoms := concatAtoms(t)
	var best *runGate
	var cur runGate
	parts := 0     // runs flushed, of any length
	other := false // a part that is no run
	off := 0       // most runes the parts so far take, -1 when unbounded
	flush := func() {
		if cur.min > 0 || cur.set != ([256]bool{}) {
			parts++
		}
		if cur.min >= minRunGate && (best == nil || cur.min > best.min) {
			g := cur
			best = &g
		}
		cur = runGate{}
	}
	for i, a := range atoms {
		if a.Op == syntax.OpWordBoundary || a.Op == syntax.OpNoWordBoundary {
			continue // consumes nothing: the run goes on
		}
		set, n, ok := classRun(a)
		if !ok || set[' '] || set['\n'] {
			other = true
			flush()
		} else {
			if cur.min == 0 && cur.set == ([256]bool{}) {
				cur.within, cur.at = off, i
			}
			for c, in := range set {
				cur.set[c] = cur.set[c] || in
			}
			cur.min += n
		}
		if m := maxRunes(a); m < 0 || off < 0 {
			off = -1
		} else {
			off += m
		}
	}
	flush()
	if best != nil && parts == 1 && !other {
		best.whole = true
	}
	return best
}

// runLimit is where, in text, a run of an anchored rule's gate must have
// reached its length if the regex matches at start: the run begins
// within g.within runes (as many bytes when those are ASCII, at most four
// times as many otherwise) and its first g.min bytes follow. limit is
// returned when the gate cannot bound it.
func (g *runGate) runLimit(text string, start, limit int) int {
	if g.within < 0 {
		return limit
	}
	w := g.within
	if !isASCII(text[start:min(len(text), start+w)]) {
		w *= utf8.UTFMax
	}
	return min(limit, start+w+g.min)
}

// isASCII reports whether s holds no byte of 0x80 or above.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// tailGate is a necessary condition for a floating rule's regex to match
// in a window, checked before the regex searches it: one of lits (lower-
// case ASCII) ends somewhere in the window and the rule's run gate's run
// begins after it, past at most budget bytes that are not in gap. It
// comes from the field's usual shape, a name, a short separator, a token
// (`okta…[ \t\w.-]{0,20}[\s'"]{0,3}(?:=|:|…)…([a-z0-9]{32})`, `client_id\s*=\s*…`):
// lits are the endings of the last part before the token that always
// ends in a literal, budget the most runes of the parts between taking
// no unbounded repetition, gap the bytes of those repetitions (`\s*`).
// A window in which a name and a token are not that close, the common
// case around words like `key` and `client`, is skipped without the
// regex's search.
//
// Like litGate it folds ASCII case only and passes every window (or
// stretch after a literal) holding a byte of 0x80 or above.
type tailGate struct {
	lits   []string
	budget int
	gap    [256]bool
}

// tailGateOf derives the tail gate of a floating rule's regex t whose
// run gate is run, or nil.
func tailGateOf(t *syntax.Regexp, run *runGate) *tailGate {
	if run == nil {
		return nil
	}
	atoms := concatAtoms(t)
	g := &tailGate{}
	for j := run.at - 1; j >= 0; j-- {
		if lits := suffixLits(atoms[j]); minRunes(atoms[j]) > 0 && goodTailLits(lits) {
			for _, l := range lits {
				g.lits = append(g.lits, strings.ToLower(l))
			}
			g.lits = dropSuffixed(g.lits)
			return g
		}
		budget, ok := gapOf(atoms[j], &g.gap)
		if !ok {
			return nil
		}
		g.budget += budget
	}
	return nil
}

// goodTailLits: at most eight ASCII literals, each of two bytes or more
// or one punctuation byte (the `|` of Facebook's `\d{15}\|token`).
func goodTailLits(lits []string) bool {
	if len(lits) == 0 || len(lits) > 8 {
		return false
	}
	for _, l := range lits {
		if l == "" || !isASCII(l) || (len(l) == 1 && isWordByte(l[0])) {
			return false
		}
	}
	return true
}

// dropSuffixed removes every literal that ends with another of lits
// (ending with "accountkey" is ending with "key").
func dropSuffixed(lits []string) []string {
	var out []string
	for i, l := range lits {
		keep := true
		for j, m := range lits {
			if i != j && strings.HasSuffix(l, m) && (len(m) < len(l) || j < i) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, l)
		}
	}
	return out
}

// suffixLits returns literals one of which every match of t ends with,
// or nil when it cannot tell.
func suffixLits(t *syntax.Regexp) []string {
	switch t.Op {
	case syntax.OpLiteral:
		return []string{string(t.Rune)}
	case syntax.OpCapture:
		return suffixLits(t.Sub[0])
	case syntax.OpAlternate:
		return unionLits(t.Sub, suffixLits)
	case syntax.OpConcat:
		for k := len(t.Sub) - 1; k >= 0; k-- {
			s := t.Sub[k]
			if s.Op == syntax.OpWordBoundary || s.Op == syntax.OpNoWordBoundary {
				continue
			}
			if minRunes(s) == 0 {
				return nil
			}
			return suffixLits(s)
		}
	}
	return nil
}

// gapOf returns the most runes a match of t takes outside unbounded
// repetitions of one class, whose bytes it adds to gap; ok is false when
// t holds another unbounded part.
func gapOf(t *syntax.Regexp, gap *[256]bool) (budget int, ok bool) {
	if n := maxRunes(t); n >= 0 {
		return n, true
	}
	switch t.Op {
	case syntax.OpStar, syntax.OpPlus, syntax.OpRepeat:
		set, _, ok := classRun(t.Sub[0])
		if !ok {
			return 0, false
		}
		if t.Op == syntax.OpRepeat && t.Max >= 0 {
			return maxRunes(t), true
		}
		merge(gap, &set)
		return 0, true
	case syntax.OpCapture, syntax.OpQuest:
		return gapOf(t.Sub[0], gap)
	case syntax.OpConcat, syntax.OpAlternate:
		for _, s := range t.Sub {
			b, ok := gapOf(s, gap)
			if !ok {
				return 0, false
			}
			if t.Op == syntax.OpConcat {
				budget += b
			} else {
				budget = max(budget, b)
			}
		}
		return budget, true
	}
	return 0, false
}

// pass reports whether the window text[ws:we] may hold a match: a
// literal of g ends in it and a run of run starts after it within g's
// reach.
func (g *tailGate) pass(text string, ws, we int, run *runGate) bool {
	w := text[ws:we]
	if !isASCII(w) {
		return true
	}
	for _, l := range g.lits {
		for i := 0; ; {
			j := indexFoldASCII(w[i:], l)
			if j < 0 {
				break
			}
			p := ws + i + j + len(l)
			// The run starts where at most budget bytes outside gap
			// have passed.
			q, n := p, 0
			for q < we && (g.gap[text[q]] || n < g.budget) {
				if !g.gap[text[q]] {
					n++
				}
				q++
			}
			if run.has(text[p:min(we, q+run.min)]) {
				return true
			}
			i += j + 1
		}
	}
	return false
}

// indexFoldASCII is the index of the first occurrence of sub (lower-case
// ASCII) in s ignoring ASCII case, or -1.
func indexFoldASCII(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if lower(s[i]) != sub[0] {
			continue
		}
		j := 1
		for j < len(sub) && lower(s[i+j]) == sub[j] {
			j++
		}
		if j == len(sub) {
			return i
		}
	}
	return -1
}

// litGate is a necessary condition for an anchored rule's regex to match
// at a keyword hit: one of lits (lower-case ASCII) ends within the first
// within runes from the hit. It comes from a part of the regex that every
// match passes through, after the keyword, whose matches each hold one of
// the literals (`(?:SECRET|PRIVATE|ACCESS|KEY|TOKEN)` 16 runes after the
// provider name of Kingfisher's rules, the `s.` of noseyparker's Vault
// token), after parts of bounded length. Rules keyed on short or common
// words (`ic`, `dd`, `key`) are tried at thousands of hits per MiB; the
// gate answers most with a few dozen byte compares.
//
// The check folds ASCII case only; a window holding a byte of 0x80 or
// above always passes (a fold of s or k may be ſ or K, and runes of more
// than one byte stretch the window), so the gate never drops a match.
type litGate struct {
	lits   []string
	within int
}

// maxLitGates is the most literal gates kept per rule.
const maxLitGates = 2

// litGates derives literal gates from an anchored rule's regex t (not
// wrapped in ^(?:…)) keyed on keywords: for the parts of its top-level
// sequence that lie wholly after the shortest keyword, the literals one
// of which each part's matches hold and the most runes a match takes up
// to the part's end. It stops at the first part of unbounded length, and
// keeps the gates whose shortest literal is longest.
func litGates(t *syntax.Regexp, keywords []string) []litGate {
	minKw := 1 << 30
	for _, k := range keywords {
		minKw = min(minKw, len(k))
	}
	score := func(set []string) int {
		if len(set) == 0 || len(set) > 8 {
			return -1
		}
		m := 1 << 30
		for _, l := range set {
			if len(l) < 2 || !isASCII(l) {
				return -1
			}
			m = min(m, len(l))
		}
		return min(m, 8)*100 - len(set)
	}
	var gates []litGate
	var scores []int
	minOff, maxOff := 0, 0
	for _, a := range concatAtoms(t) {
		n := maxRunes(a)
		if n < 0 {
			break
		}
		if minOff >= minKw && minRunes(a) > 0 {
			if set := requiredLitsScored(a, score); score(set) >= 0 {
				g := litGate{within: maxOff + n}
				for _, l := range set {
					g.lits = append(g.lits, strings.ToLower(l))
				}
				gates, scores = append(gates, g), append(scores, score(set))
			}
		}
		minOff += minRunes(a)
		maxOff += n
	}
	// Keep the best few, in the order they occur.
	for len(gates) > maxLitGates {
		worst := 0
		for i := range scores {
			if scores[i] < scores[worst] {
				worst = i
			}
		}
		gates = append(gates[:worst], gates[worst+1:]...)
		scores = append(scores[:worst], scores[worst+1:]...)
	}
	return gates
}

// litGatesPass reports whether each gate finds one of its literals within
// its reach of start in text.
func litGatesPass(gates []litGate, text string, start int) bool {
	for g := range gates {
		gt := &gates[g]
		w := text[start:min(len(text), start+gt.within)]
		if !isASCII(w) {
			continue
		}
		ok := false
		for _, l := range gt.lits {
			if containsFoldASCII(w, l) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// classRun reports whether t matches only runs of bytes of one set (a
// literal, a class, a repetition of either) and the fewest runes it takes
// (each at least one byte).
func classRun(t *syntax.Regexp) (set [256]bool, n int, ok bool) {
	switch t.Op {
	case syntax.OpLiteral:
		for i := range t.Rune {
			s, ok := firstBytes(&syntax.Regexp{Op: syntax.OpLiteral, Rune: t.Rune[i : i+1], Flags: t.Flags})
			if !ok {
				return set, 0, false
			}
			merge(&set, &s)
		}
		n = len(t.Rune)
	case syntax.OpCharClass:
		if set, ok = firstBytes(t); !ok {
			return set, 0, false
		}
		n = 1
	case syntax.OpCapture:
		return classRun(t.Sub[0])
	case syntax.OpConcat:
		// (?:-[A-Z0-9]{5}): parts that are all runs of bytes.
		for _, p := range t.Sub {
			if p.Op == syntax.OpWordBoundary || p.Op == syntax.OpNoWordBoundary {
				continue
			}
			ps, pn, ok := classRun(p)
			if !ok {
				return set, 0, false
			}
			merge(&set, &ps)
			n += pn
		}
		return set, n, true
	case syntax.OpPlus, syntax.OpStar, syntax.OpQuest, syntax.OpRepeat:
		if set, n, ok = classRun(t.Sub[0]); !ok {
			return set, 0, false
		}
		switch t.Op {
		case syntax.OpStar, syntax.OpQuest:
			n = 0
		case syntax.OpRepeat:
			n *= t.Min
		}
		return set, n, true
	default:
		return set, 0, false
	}
	// A rune beyond ASCII is a lead byte (firstBytes marks them all) and
	// continuation bytes: those belong to the run too.
	if set[0xC0] {
		for c := 0x80; c < 0xC0; c++ {
			set[c] = true
		}
	}
	return set, n, true
}

func merge(dst, src *[256]bool) {
	for c, in := range src {
		dst[c] = dst[c] || in
	}
}

// has reports whether s holds a run of at least g.min bytes of g.set.
func (g *runGate) has(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		if g.set[s[i]] {
			if n++; n >= g.min {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// runs calls fn with the start and end of each maximal run of at least
// g.min bytes of g.set in s.
func (g *runGate) runs(s string, fn func(start, end int)) {
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && g.set[s[i]] {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= g.min {
			fn(start, i)
		}
		start = -1
	}
}

// runNeedsOf returns, for a whole-run regex, the byte sets of its parts
// that every match passes through and that start with one of a few
// punctuation bytes (the dots of `[MNO][\w-]{20,30}\.[\w-]{6}\.…`): a
// run can hold a match only if it holds a byte of each.
func runNeedsOf(t *syntax.Regexp) [][256]bool {
	atoms := concatAtoms(t)
	var needs [][256]bool
	for _, a := range atoms {
		if len(needs) == maxGates {
			break
		}
		if minRunes(a) == 0 {
			continue
		}
		if set, ok := firstBytes(a); ok && selective(&set) {
			needs = append(needs, set)
		}
	}
	return needs
}

// concatAtoms returns the parts every match of t passes through in order:
// its top-level concatenation, through capture groups, flattened.
func concatAtoms(t *syntax.Regexp) []*syntax.Regexp {
	var atoms []*syntax.Regexp
	var flatten func(t *syntax.Regexp)
	flatten = func(t *syntax.Regexp) {
		switch t.Op {
		case syntax.OpConcat:
			for _, s := range t.Sub {
				flatten(s)
			}
		case syntax.OpCapture:
			flatten(t.Sub[0])
		default:
			atoms = append(atoms, t)
		}
	}
	flatten(t)
	return atoms
}
