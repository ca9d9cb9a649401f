// Package norm turns text into the canonical form the injection detector
// judges: Unicode NFKC, lowercase, Latin diacritics and typographic
// punctuation folded, homoglyphs folded inside mixed-script words, and
// invisible characters (zero-width, bidi controls, Unicode tags) removed,
// with a map from every normalized byte back to the input and a record of
// what was hidden.
package norm

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// HiddenKind says which kind of invisible character a Hidden run holds.
type HiddenKind int

// Kinds of invisible characters.
const (
	HiddenTags      HiddenKind = iota + 1 // Unicode tag characters carrying ASCII
	HiddenZeroWidth                       // zero-width characters inside words
	HiddenBidi                            // bidi overrides and isolates
)

// Hidden is a run of invisible characters in the input.
type Hidden struct {
	Kind       HiddenKind
	Start, End int // byte span in the input
	Count      int // invisible characters in the run
	// NormStart and NormEnd span what the run contributes to the
	// normalized text (tag characters are decoded into it).
	NormStart, NormEnd int
}

// Text is normalized text.
type Text struct {
	// B is the normalized text: valid UTF-8, lowercase.
	B []byte
	// off maps B[i] to its byte offset in the input; nil means identity.
	off []int32
	// inLen is the length of the input.
	inLen int
	// Hidden lists runs of invisible characters, in input order.
	Hidden []Hidden
}

// Orig maps a byte offset in B (0..len(B)) to an offset in the input.
func (t *Text) Orig(i int) int {
	if i < 0 {
		return 0
	}
	if t.off == nil {
		if i > t.inLen {
			return t.inLen
		}
		return i
	}
	if i >= len(t.off) {
		return t.inLen
	}
	return int(t.off[i])
}

// Normalize returns the normalized form of s. It never fails: invalid UTF-8
// becomes spaces.
func Normalize(s string) *Text {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		b := make([]byte, len(s))
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		return &Text{B: b, inLen: len(s)}
	}
	return normalizeSlow(s)
}

type rec struct {
	r   rune
	off int32
}

func normalizeSlow(s string) *Text {
	t := &Text{inLen: len(s)}
	rs := make([]rec, 0, len(s))
	var cur *Hidden
	flush := func() {
		if cur != nil {
			t.Hidden = append(t.Hidden, *cur)
			cur = nil
		}
	}
	note := func(k HiddenKind, start, end int) {
		if cur != nil && cur.Kind == k && cur.End == start {
			cur.End = end
			cur.Count++
			return
		}
		flush()
		cur = &Hidden{Kind: k, Start: start, End: end, Count: 1, NormStart: -1}
	}
	prevFlag := false // the previous visible rune was U+1F3F4 (subdivision flags use tags)
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		off := int32(i)
		next := i + size
		switch {
		case r == utf8.RuneError && size == 1:
			flush()
			rs = append(rs, rec{' ', off})
		case r >= 0xE0000 && r <= 0xE007F:
			if prevFlag {
				break // emoji tag sequence: 🏴 + region code + cancel tag
			}
			if r >= 0xE0020 && r <= 0xE007E {
				note(HiddenTags, i, next)
				rs = append(rs, rec{unicode.ToLower(r - 0xE0000), off})
			} else {
				note(HiddenTags, i, next)
			}
		case isZeroWidth(r):
			// Inside a Latin word it hides text; elsewhere (ZWJ in emoji,
			// ZWNJ in Persian or Hindi words) it is ordinary writing.
			if len(rs) > 0 && isLatinLetter(rs[len(rs)-1].r) && next < len(s) {
				nr, _ := utf8.DecodeRuneInString(s[next:])
				if isLatinLetter(nr) || isZeroWidth(nr) {
					note(HiddenZeroWidth, i, next)
				}
			}
		case r == 0x200E || r == 0x200F || r == 0x061C:
			// Directional marks: ordinary in right-to-left text.
		case isBidi(r):
			note(HiddenBidi, i, next)
		case isDropped(r):
			// Variation selectors and other default-ignorables.
		default:
			flush()
			prevFlag = r == 0x1F3F4
			if r < utf8.RuneSelf {
				if r >= 'A' && r <= 'Z' {
					r += 'a' - 'A'
				}
				rs = append(rs, rec{r, off})
				break
			}
			n := utf8.EncodeRune(buf[:], r)
			p := norm.NFKC.Properties(buf[:n])
			if p.Decomposition() == nil {
				rs = append(rs, rec{fold(r), off})
				break
			}
			for _, r2 := range norm.NFKC.String(string(r)) {
				if isZeroWidth(r2) || isDropped(r2) {
					continue
				}
				rs = append(rs, rec{fold(r2), off})
			}
		}
		i = next
	}
	flush()
	foldConfusables(rs)
	// Encode, remembering offsets.
	t.B = make([]byte, 0, len(s))
	t.off = make([]int32, 0, len(s)+1)
	hi := 0
	for _, x := range rs {
		for hi < len(t.Hidden) && t.Hidden[hi].End <= int(x.off) {
			hi++
		}
		if hi < len(t.Hidden) && t.Hidden[hi].Kind == HiddenTags && int(x.off) >= t.Hidden[hi].Start && int(x.off) < t.Hidden[hi].End {
			h := &t.Hidden[hi]
			if h.NormStart < 0 {
				h.NormStart = len(t.B)
			}
			h.NormEnd = len(t.B) + utf8.RuneLen(x.r)
		}
		n := utf8.EncodeRune(buf[:], x.r)
		for k := 0; k < n; k++ {
			t.B = append(t.B, buf[k])
			t.off = append(t.off, x.off)
		}
	}
	t.off = append(t.off, int32(len(s)))
	for k := range t.Hidden {
		if t.Hidden[k].NormStart < 0 {
			t.Hidden[k].NormStart, t.Hidden[k].NormEnd = 0, 0
		}
	}
	return t
}

func isLatinLetter(r rune) bool {
	return r < 0x250 && unicode.IsLetter(r)
}

func isZeroWidth(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200D, r == 0x2060, r == 0x2061, r == 0x2062,
		r == 0x2063, r == 0x2064, r == 0xFEFF, r == 0x00AD, r == 0x180E, r == 0x034F:
		return true
	}
	return false
}

func isBidi(r rune) bool {
	switch {
	case r == 0x200E, r == 0x200F, r == 0x061C, r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

func isDropped(r rune) bool {
	switch {
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF, r == 0x115F, r == 0x1160,
		r == 0x3164, r == 0xFFA0, r >= 0x1BCA0 && r <= 0x1BCA3:
		return true
	}
	return false
}

// latinFold maps Latin-1 Supplement and Latin Extended-A/B letters to their
// ASCII base letter (é → e), built from the canonical decompositions.
var latinFold [0x250 - 0xC0]rune

func init() {
	for r := rune(0xC0); r < 0x250; r++ {
		d := norm.NFD.String(string(r))
		b, _ := utf8.DecodeRuneInString(d)
		if b < utf8.RuneSelf && unicode.IsLetter(b) && len(d) > 1 {
			latinFold[r-0xC0] = unicode.ToLower(b)
		}
	}
	latinFold[0xD8-0xC0] = 'o'  // Ø
	latinFold[0xF8-0xC0] = 'o'  // ø
	latinFold[0x131-0xC0] = 'i' // dotless i
	latinFold[0x142-0xC0] = 'l' // ł
}

// fold lowercases r and folds Latin diacritics and typographic punctuation.
func fold(r rune) rune {
	r = unicode.ToLower(r)
	if r >= 0xC0 && r < 0x250 {
		if f := latinFold[r-0xC0]; f != 0 {
			return f
		}
		return r
	}
	switch r {
	case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0x02BC, 0xFF07:
		return '\''
	case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x00AB, 0x00BB:
		return '"'
	case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015, 0x2212:
		return '-'
	case 0x00A0, 0x2007, 0x202F, 0x3000:
		return ' '
	}
	return r
}

// confusable maps Cyrillic and Greek letters that look like Latin ones.
var confusable = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p',
	'с': 'c', 'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ї': 'i', 'ј': 'j', 'ѕ': 's', 'һ': 'h',
	'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ɡ': 'g', 'ı': 'i',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p',
	'τ': 't', 'υ': 'u', 'χ': 'x', 'γ': 'y', 'ω': 'w',
}

// foldConfusables replaces look-alike letters inside words that also hold
// ASCII Latin letters: "іgnоrе" (Cyrillic і, о, е) becomes "ignore", while
// Russian or Greek words are left alone.
func foldConfusables(rs []rec) {
	for i := 0; i < len(rs); {
		if !unicode.IsLetter(rs[i].r) {
			i++
			continue
		}
		j := i
		latin, other := false, false
		for j < len(rs) && (unicode.IsLetter(rs[j].r) || unicode.IsDigit(rs[j].r)) {
			r := rs[j].r
			if r < utf8.RuneSelf {
				latin = true
			} else if _, ok := confusable[r]; ok {
				other = true
			}
			j++
		}
		if latin && other {
			for k := i; k < j; k++ {
				if c, ok := confusable[rs[k].r]; ok {
					rs[k].r = c
				}
			}
		}
		i = j
	}
}

// leet maps digits and symbols used as letters.
var leet = [128]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i'}

// Leet returns a copy of b with leetspeak folded inside tokens that mix
// letters with leet digits ("1gn0r3" → "ignore"), or nil when nothing
// changes. The copy has the same length, so offsets carry over.
func Leet(b []byte) []byte {
	if !hasLeetCandidate(b) {
		return nil
	}
	var out []byte
	for i := 0; i < len(b); {
		c := b[i]
		if !isTok(c) {
			i++
			continue
		}
		j := i
		letters, subs, other := 0, 0, 0
		for j < len(b) && isTok(b[j]) {
			switch {
			case b[j] >= 'a' && b[j] <= 'z':
				letters++
			case leet[b[j]] != 0:
				subs++
			default:
				other++
			}
			j++
		}
		// "!" ends sentences and "$" opens variables: only fold them
		// inside a token, never at its edges.
		if letters >= 2 && subs >= 1 && other == 0 && b[j-1] != '!' && b[i] != '$' {
			if out == nil {
				out = make([]byte, len(b))
				copy(out, b)
			}
			for k := i; k < j; k++ {
				if l := leet[b[k]]; l != 0 {
					out[k] = l
				}
			}
		}
		i = j
	}
	return out
}

var tokTable = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '@' || b == '$' || b == '!'
	}
	return t
}()

func isTok(c byte) bool { return tokTable[c] }

// Rot13 returns b with ASCII letters rotated by 13.
func Rot13(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'm':
			c += 13
		case c >= 'n' && c <= 'z':
			c -= 13
		}
		out[i] = c
	}
	return out
}

// NormPos maps a byte offset in the input to the first normalized byte at
// or after it.
func (t *Text) NormPos(orig int) int {
	if t.off == nil {
		return min(max(orig, 0), len(t.B))
	}
	lo, hi := 0, len(t.off)-1 // off has len(B)+1 entries, the last = input length
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if int(t.off[m]) < orig {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// hasLeetCandidate reports whether some leet digit or symbol touches a
// letter: the cheap test that lets most texts skip Leet.
func hasLeetCandidate(b []byte) bool {
	for i := 1; i < len(b); i++ {
		c := b[i]
		if c < 0x80 && leet[c] != 0 {
			p := b[i-1]
			if p >= 'a' && p <= 'z' {
				return true
			}
			if i+1 < len(b) && b[i+1] >= 'a' && b[i+1] <= 'z' {
				return true
			}
		}
	}
	return false
}
