package secrets

import (
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
)

// A rule's regex is parsed once (parseRegex) and every analysis that
// derives keywords, gates and windows from it reads that tree; what the
// engine compiles is the tree printed back (printRegex).

// parseRegex parses src as the regexp package does (Perl syntax).
func parseRegex(src string) (*syntax.Regexp, error) { return syntax.Parse(src, syntax.Perl) }

// printRegex prints t as RE2 source that parses back to t. It stands in
// for t.String(), which works out for every character class whether (?i)
// could print it shorter, calling unicode.SimpleFold on each rune of the
// class's range (125,000 calls for a `.` under (?s) or a negated class):
// for the packs' 900 rules that printing was half the engine's build.
// printRegex writes classes as their ranges and each folded literal in
// its own (?i:…), so it decides nothing.
func printRegex(t *syntax.Regexp) string {
	var b strings.Builder
	writeRegex(&b, t)
	return b.String()
}

func writeRegex(b *strings.Builder, t *syntax.Regexp) {
	switch t.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	case syntax.OpEmptyMatch:
		b.WriteString(`(?:)`)
	case syntax.OpLiteral:
		fold := t.Flags&syntax.FoldCase != 0
		if fold {
			b.WriteString(`(?i:`)
		}
		for _, r := range t.Rune {
			writeRune(b, r, false)
		}
		if fold {
			b.WriteString(`)`)
		}
	case syntax.OpCharClass:
		if len(t.Rune) == 0 {
			b.WriteString(`[^\x00-\x{10FFFF}]`)
			return
		}
		b.WriteByte('[')
		for i := 0; i+1 < len(t.Rune); i += 2 {
			lo, hi := t.Rune[i], t.Rune[i+1]
			writeRune(b, lo, true)
			if hi != lo {
				b.WriteByte('-')
				writeRune(b, hi, true)
			}
		}
		b.WriteByte(']')
	case syntax.OpAnyCharNotNL:
		b.WriteString(`(?-s:.)`)
	case syntax.OpAnyChar:
		b.WriteString(`(?s:.)`)
	case syntax.OpBeginLine:
		b.WriteString(`(?m:^)`)
	case syntax.OpEndLine:
		b.WriteString(`(?m:$)`)
	case syntax.OpBeginText:
		b.WriteString(`\A`)
	case syntax.OpEndText:
		if t.Flags&syntax.WasDollar != 0 {
			b.WriteString(`(?-m:$)`)
		} else {
			b.WriteString(`\z`)
		}
	case syntax.OpWordBoundary:
		b.WriteString(`\b`)
	case syntax.OpNoWordBoundary:
		b.WriteString(`\B`)
	case syntax.OpCapture:
		if t.Name != "" {
			b.WriteString(`(?P<` + t.Name + `>`)
		} else {
			b.WriteByte('(')
		}
		writeRegex(b, t.Sub[0])
		b.WriteByte(')')
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		sub := t.Sub[0]
		atom := sub.Op == syntax.OpCharClass || sub.Op == syntax.OpAnyChar || sub.Op == syntax.OpAnyCharNotNL ||
			sub.Op == syntax.OpCapture || sub.Op == syntax.OpNoMatch ||
			(sub.Op == syntax.OpLiteral && len(sub.Rune) == 1 && sub.Flags&syntax.FoldCase == 0)
		if !atom {
			b.WriteString(`(?:`)
		}
		writeRegex(b, sub)
		if !atom {
			b.WriteByte(')')
		}
		switch t.Op {
		case syntax.OpStar:
			b.WriteByte('*')
		case syntax.OpPlus:
			b.WriteByte('+')
		case syntax.OpQuest:
			b.WriteByte('?')
		default:
			b.WriteByte('{')
			b.WriteString(strconv.Itoa(t.Min))
			if t.Max != t.Min {
				b.WriteByte(',')
				if t.Max >= 0 {
					b.WriteString(strconv.Itoa(t.Max))
				}
			}
			b.WriteByte('}')
		}
		if t.Flags&syntax.NonGreedy != 0 {
			b.WriteByte('?')
		}
	case syntax.OpConcat, syntax.OpAlternate:
		for i, s := range t.Sub {
			if i > 0 && t.Op == syntax.OpAlternate {
				b.WriteByte('|')
			}
			// An alternation inside either needs its own group.
			if s.Op == syntax.OpAlternate {
				b.WriteString(`(?:`)
				writeRegex(b, s)
				b.WriteByte(')')
				continue
			}
			writeRegex(b, s)
		}
	default:
		// Every op of regexp/syntax is handled above; a new one would
		// print wrongly, so fall back to the library's printer.
		b.WriteString(t.String())
	}
}

// writeRune writes r as a literal, escaped when it is a metacharacter (in
// a class: one of the class's own) or not printable ASCII.
func writeRune(b *strings.Builder, r rune, inClass bool) {
	if r > ' ' && r < 0x7f && r != '\\' {
		meta := `.+*?()|[]{}^$`
		if inClass {
			meta = `[]^-`
		}
		if strings.ContainsRune(meta, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
		return
	}
	if r == '\\' {
		b.WriteString(`\\`)
		return
	}
	if r > unicode.MaxRune || r < 0 {
		r = unicode.ReplacementChar
	}
	b.WriteString(`\x{`)
	b.WriteString(strconv.FormatInt(int64(r), 16))
	b.WriteByte('}')
}

// capRepeats returns t with every counted repetition whose upper bound is
// 60 or more made open (`{20,500}` → `{20,}`), copying only the nodes it
// changes. A bounded repetition compiles to one instruction per count;
// the open one matches the same inside the bounded windows the rules run
// in and keeps programs small.
func capRepeats(t *syntax.Regexp) *syntax.Regexp {
	var subs []*syntax.Regexp
	for i, s := range t.Sub {
		if c := capRepeats(s); c != s {
			if subs == nil {
				subs = append([]*syntax.Regexp(nil), t.Sub...)
			}
			subs[i] = c
		}
	}
	big := t.Op == syntax.OpRepeat && t.Max >= 60 && t.Max != t.Min
	if subs == nil && !big {
		return t
	}
	c := *t
	if subs != nil {
		c.Sub = subs
	}
	if big {
		c.Max = -1
	}
	return &c
}
