package secrets

import (
	"regexp/syntax"
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
func byteGates(src string) []byteGate {
	t, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
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
