package secrets

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits on decoding, besides the engine's depth and byte budget.
const (
	minB64Run    = 24   // shortest base64 run worth decoding
	minHexRun    = 32   // shortest hex run worth decoding
	maxRunsTried = 4096 // encoded runs tried per text
)

// scanDecoded finds escaped, URL-encoded, base64 and hex content in text,
// decodes it, scans the decoded text one level deeper and maps each match
// back to a span of text: the exact source bytes for escapes, the whole
// encoded run for base64 and hex.
func (e *engine) scanDecoded(ctx context.Context, text string, depth int, budget *int) ([]match, error) {
	var out []match
	if strings.IndexByte(text, '\\') >= 0 || strings.IndexByte(text, '%') >= 0 || strings.IndexByte(text, '&') >= 0 {
		for _, seg := range escapeSegments(text) {
			if *budget <= 0 {
				break
			}
			src := text[seg[0]:seg[1]]
			dec, offs := unescape(src)
			if dec == src {
				continue
			}
			*budget -= len(dec)
			ms, err := e.scanText(ctx, dec, depth+1, budget)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				m.start = seg[0] + mapStart(offs, m.start)
				m.end = seg[0] + mapEnd(offs, m.end, len(src))
				m.via = joinVia("unescaped", m.via)
				m.confidence *= 0.97
				out = append(out, m)
			}
		}
	}
	tried := 0
	for i := 0; i < len(text) && tried < maxRunsTried && *budget > 0; {
		if b64Class[text[i]] == 0 {
			i++
			continue
		}
		j := i
		var cls uint8
		for j < len(text) {
			c := b64Class[text[j]]
			if c == 0 {
				break
			}
			cls |= c
			j++
		}
		k := j
		for k < len(text) && k-j < 2 && text[k] == '=' {
			k++
		}
		run := text[i:j]
		start, end := i, k
		i = k
		if len(run) < minB64Run {
			continue
		}
		isHexRun := cls&(clsNonHex|clsSym) == 0 && (cls&clsUpper == 0 || cls&clsLower == 0)
		mixed := cls&clsUpper != 0 && cls&clsLower != 0 && cls&clsDigit != 0
		var dec []byte
		via := ""
		if isHexRun {
			if len(run) < minHexRun || len(run)%2 != 0 {
				continue
			}
			tried++
			d, err := hex.DecodeString(run)
			if err != nil {
				continue
			}
			dec, via = d, "hex-decoded"
		} else {
			if !mixed || looksLikeImageData(text, start, run) {
				continue
			}
			tried++
			dec = decodeB64(run)
			via = "base64-decoded"
		}
		if len(dec) < 12 || !mostlyText(dec) {
			continue
		}
		*budget -= len(dec)
		ms, err := e.scanText(ctx, string(dec), depth+1, budget)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			m.start, m.end = start, end
			m.via = joinVia(via, m.via)
			m.confidence *= 0.95
			out = append(out, m)
		}
	}
	return out, nil
}

func joinVia(outer, inner string) string {
	if inner == "" {
		return outer
	}
	return inner + ", " + outer
}

// Character classes of base64 text, for one-pass run detection.
const (
	clsUpper uint8 = 1 << iota
	clsLower
	clsDigit
	clsSym
	clsNonHex
)

var b64Class = func() (t [256]uint8) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clsUpper
		if c > 'F' {
			t[c] |= clsNonHex
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLower
		if c > 'f' {
			t[c] |= clsNonHex
		}
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	for _, c := range "+/-_" {
		t[c] = clsSym
	}
	return t
}()

func decodeB64(run string) []byte {
	if len(run)%4 == 1 {
		run = run[:len(run)-1]
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(run, "-_") {
		if strings.ContainsAny(run, "+/") {
			return nil
		}
		enc = base64.RawURLEncoding
	}
	d, err := enc.DecodeString(run)
	if err != nil {
		return nil
	}
	return d
}

// mostlyText reports whether at least 95% of b's characters are printable
// UTF-8 or whitespace (a stray corrupt byte is tolerated).
func mostlyText(b []byte) bool {
	bad, n := 0, 0
	for _, r := range string(b) {
		n++
		if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f || r == utf8.RuneError {
			bad++
		}
	}
	return n > 0 && bad*20 <= n
}

// escapeSegments returns [start, end) ranges of text made of consecutive
// lines that hold an escape sequence (\n, \", \u0041, \x41, %41, &quot;).
func escapeSegments(text string) [][2]int {
	var pos []int
	for _, c := range []byte{'\\', '%', '&'} {
		for i := 0; i < len(text); {
			k := strings.IndexByte(text[i:], c)
			if k < 0 {
				break
			}
			i += k
			if escapeAt(text, i) {
				pos = append(pos, i)
			}
			i++
		}
	}
	if len(pos) == 0 {
		return nil
	}
	sort.Ints(pos)
	var segs [][2]int
	for _, p := range pos {
		if n := len(segs); n > 0 && p < segs[n-1][1] {
			continue
		}
		s := strings.LastIndexByte(text[:p], '\n') + 1
		e := strings.IndexByte(text[p:], '\n')
		if e < 0 {
			e = len(text)
		} else {
			e += p
		}
		if n := len(segs); n > 0 && segs[n-1][1] >= s-1 {
			segs[n-1][1] = e
		} else {
			segs = append(segs, [2]int{s, e})
		}
	}
	return segs
}

// escapeAt reports whether an escape sequence starts at text[i].
func escapeAt(text string, i int) bool {
	if i+1 >= len(text) {
		return false
	}
	switch text[i] {
	case '\\':
		switch text[i+1] {
		case 'n', 'r', 't', '"', '\'', '\\', '/', 'u', 'x':
			return true
		}
	case '%':
		return i+2 < len(text) && isHex(text[i+1]) && isHex(text[i+2])
	case '&':
		// Only a quote starts a segment: &amp; fills every link of a
		// page, and a line of links is not worth a second scan.
		b, n := htmlEntity(text[i:])
		return n > 0 && (b == '"' || b == '\'')
	}
	return false
}

// htmlEntities are the character references that quote or delimit:
// JSON or code inside an HTML attribute or a page's text
// (data-config="{&quot;apiKey&quot;: &quot;…&quot;}").
var htmlEntities = []struct {
	ref string
	b   byte
}{{"&quot;", '"'}, {"&#34;", '"'}, {"&#x22;", '"'}, {"&apos;", '\''}, {"&#39;", '\''}, {"&#x27;", '\''},
	{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&#61;", '='}, {"&#x3d;", '='}, {"&#58;", ':'}}

// htmlEntity decodes the character reference at the start of s (ASCII
// case-insensitive) and returns its byte and length, 0 if none.
func htmlEntity(s string) (byte, int) {
	for _, e := range htmlEntities {
		if len(s) >= len(e.ref) && strings.EqualFold(s[:len(e.ref)], e.ref) {
			return e.b, len(e.ref)
		}
	}
	return 0, 0
}

// unescape decodes backslash escapes (JSON, shell, C), HTML character
// references that quote or delimit (htmlEntities) and URL
// percent-encoding. offs[i] is the offset in s of the escape sequence that
// produced output byte i; offs[len(out)] is len(s).
func unescape(s string) (string, []int32) {
	out := make([]byte, 0, len(s))
	offs := make([]int32, 0, len(s)+1)
	emit := func(at int, bs ...byte) {
		for _, b := range bs {
			out = append(out, b)
			offs = append(offs, int32(at))
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch n := s[i+1]; n {
			case 'n':
				emit(i, '\n')
				i += 2
				continue
			case 'r':
				emit(i, '\r')
				i += 2
				continue
			case 't':
				emit(i, '\t')
				i += 2
				continue
			case '"', '\'', '\\', '/':
				emit(i, n)
				i += 2
				continue
			case 'x':
				if i+3 < len(s) && isHex(s[i+2]) && isHex(s[i+3]) {
					emit(i, unhex(s[i+2])<<4|unhex(s[i+3]))
					i += 4
					continue
				}
			case 'u':
				if r, n := parseU(s[i:]); n > 0 {
					var buf [4]byte
					w := utf8.EncodeRune(buf[:], r)
					emit(i, buf[:w]...)
					i += n
					continue
				}
			}
		}
		if c == '&' {
			if b, n := htmlEntity(s[i:]); n > 0 {
				emit(i, b)
				i += n
				continue
			}
		}
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			emit(i, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 3
			continue
		}
		emit(i, c)
		i++
	}
	offs = append(offs, int32(len(s)))
	return string(out), offs
}

// parseU decodes \uXXXX (with a following low surrogate when XXXX is a
// high one) at the start of s and returns the rune and bytes consumed.
func parseU(s string) (rune, int) {
	if len(s) < 6 {
		return 0, 0
	}
	v, ok := hex4(s[2:6])
	if !ok {
		return 0, 0
	}
	if v >= 0xD800 && v < 0xDC00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if lo, ok := hex4(s[8:12]); ok && lo >= 0xDC00 && lo < 0xE000 {
			return (rune(v)-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000, 12
		}
	}
	if v >= 0xD800 && v < 0xE000 {
		return utf8.RuneError, 6
	}
	return rune(v), 6
}

func hex4(s string) (uint16, bool) {
	var v uint16
	for i := 0; i < 4; i++ {
		if !isHex(s[i]) {
			return 0, false
		}
		v = v<<4 | uint16(unhex(s[i]))
	}
	return v, true
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func mapStart(offs []int32, i int) int {
	if i >= len(offs) {
		return int(offs[len(offs)-1])
	}
	return int(offs[i])
}

// mapEnd maps an exclusive end offset in the decoded text to one in the
// source, extending past the whole escape sequence of the last byte.
func mapEnd(offs []int32, i, srcLen int) int {
	n := len(offs) - 1 // decoded length
	if i >= n {
		return srcLen
	}
	for i < n && i > 0 && offs[i] == offs[i-1] {
		i++
	}
	return int(offs[i])
}
