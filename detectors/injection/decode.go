package injection

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// encodedRun is a run of encoded text in an item that decodes to text.
type encodedRun struct {
	scheme     string // "base64", "hex", "url"
	start, end int    // byte span in the input
	decoded    string
}

const (
	minBase64 = 24 // characters
	minHex    = 32 // characters (16 bytes)
	minURLEsc = 4  // %XX escapes
)

// findEncoded returns the runs of s that are base64, hex or URL-encoded and
// decode to readable text.
func findEncoded(s string) []encodedRun {
	var out []encodedRun
	// Base64 and hex: maximal runs of the base64 alphabet.
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		hexOnly, hasLower, hasUpper, hasDigit := true, false, false, false
		for j < len(s) && isB64(s[j]) {
			b := s[j]
			switch {
			case b >= 'a' && b <= 'z':
				hasLower = true
				hexOnly = hexOnly && b <= 'f'
			case b >= 'A' && b <= 'Z':
				hasUpper = true
				hexOnly = hexOnly && b <= 'F'
			case b >= '0' && b <= '9':
				hasDigit = true
			default:
				hexOnly = false
			}
			j++
		}
		k := j
		for k < len(s) && k-j < 2 && s[k] == '=' {
			k++
		}
		n := j - i
		switch {
		case hexOnly && n >= minHex && n%2 == 0:
			if d, ok := decodeHex(s[i:j]); ok {
				out = append(out, encodedRun{"hex", i, j, d})
			}
		case n >= minBase64 && hasLower && (hasUpper || hasDigit):
			if d, ok := decodeBase64(s[i:k]); ok {
				out = append(out, encodedRun{"base64", i, k, d})
			}
		}
		i = k
	}
	// URL escapes: runs of %XX mixed with URL-safe characters.
	for i := 0; i < len(s); {
		p := strings.IndexByte(s[i:], '%')
		if p < 0 {
			break
		}
		start := i + p
		for start > i && isURLChar(s[start-1]) {
			start--
		}
		e, cnt := start, 0
		for e < len(s) {
			if s[e] == '%' && e+2 < len(s) && isHexDigit(s[e+1]) && isHexDigit(s[e+2]) {
				cnt++
				e += 3
				continue
			}
			if isURLChar(s[e]) {
				e++
				continue
			}
			break
		}
		if cnt >= minURLEsc {
			if d, err := url.QueryUnescape(s[start:e]); err == nil && readable(d) {
				out = append(out, encodedRun{"url", start, e, d})
			}
		}
		i = max(e, i+p+1)
	}
	return out
}

func isURLChar(c byte) bool {
	return isB64(c) || c == '.' || c == '~' || c == '+'
}

var b64Table = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		b := byte(c)
		t[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '-' || b == '_'
	}
	return t
}()

func isB64(c byte) bool { return b64Table[c] }

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func decodeHex(s string) (string, bool) {
	// Test a prefix first: most hex runs are digests, not text.
	p := s
	if len(p) > 64 {
		p = p[:64]
	}
	b, err := hex.DecodeString(p)
	if err != nil || !readable(string(b)) {
		return "", false
	}
	b, err = hex.DecodeString(s)
	if err != nil || !readable(string(b)) {
		return "", false
	}
	return string(b), true
}

func decodeBase64(s string) (string, bool) {
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		if strings.ContainsAny(s, "+/") {
			return "", false
		}
		enc = base64.URLEncoding
	}
	body := strings.TrimRight(s, "=")
	// Test a prefix first: most base64 runs are images or binary.
	p := body
	if len(p) > 64 {
		p = p[:64]
	}
	p = p[:len(p)/4*4]
	b, err := enc.WithPadding(base64.NoPadding).DecodeString(p)
	if err != nil || !readable(string(b)) {
		return "", false
	}
	full := body[:len(body)/4*4]
	rest := body[len(full):]
	b, err = enc.WithPadding(base64.NoPadding).DecodeString(full)
	if err != nil {
		return "", false
	}
	if len(rest) >= 2 {
		if t, err := enc.WithPadding(base64.NoPadding).DecodeString(rest); err == nil {
			b = append(b, t...)
		}
	}
	d := string(b)
	if !utf8.ValidString(d) {
		// The tail may cut a rune; keep the valid prefix.
		for len(d) > 0 && !utf8.ValidString(d) {
			d = d[:len(d)-1]
		}
	}
	if !readable(d) {
		return "", false
	}
	return d, true
}

// readable reports whether d looks like natural-language text: valid
// UTF-8, mostly letters and spaces, with at least two words.
func readable(d string) bool {
	if len(d) < 8 || !utf8.ValidString(d) {
		return false
	}
	letters, spaces, bad, total := 0, 0, 0, 0
	for _, r := range d {
		total++
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ' || r == '\n' || r == '\t':
			spaces++
		case unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == '\r':
		default:
			bad++
		}
	}
	return bad == 0 && spaces >= 1 && letters*10 >= total*6
}
