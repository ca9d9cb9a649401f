package secrets

import (
	"math"
	"strings"
)

// shannon returns the Shannon entropy of s in bits per byte.
func shannon(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	var h float64
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		h -= p * math.Log2(p)
	}
	return h
}

// charClasses counts how many of lower, upper, digit and other printable
// characters occur in s.
func charClasses(s string) int {
	var lo, up, di, ot int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			lo = 1
		case c >= 'A' && c <= 'Z':
			up = 1
		case c >= '0' && c <= '9':
			di = 1
		default:
			ot = 1
		}
	}
	return lo + up + di + ot
}

func distinct(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// placeholderWords are substrings (lowercase) that mark a value as a
// documentation example or template rather than a live credential.
var placeholderWords = []string{
	"example", "xxxx", "placeholder", "changeme", "change_me", "change-me",
	"your_", "your-", "yourkey", "yourtoken", "yoursecret", "yourpassword", "redacted", "dummy", "insert_", "replace_me",
	"replaceme", "_here", "-here", "notreal", "not_real", "not-a-", "not-set", "notset", "not_set", "a1b2c3", "1a2b3c",
}

// walkMarks removes the counting walks among the placeholder words, for
// the checks that weigh or keep walks instead of dropping them.
var walkMarks = strings.NewReplacer("a1b2c3", "", "1a2b3c", "")

// placeholderSymbols are template and masking marks; only values whose
// alphabet allows them (generic rules) are checked for them.
var placeholderSymbols = []string{"****", "<your", "${", "{{", "}}", "$(", "%(", "........", "••••", "____", "----------"}

// isPlaceholder reports whether v is obviously not a live secret: a
// template, a documented example, a run of one character or a counting
// sequence. It is applied to every rule's secret.
func isPlaceholder(v string) bool {
	if isPlaceholderWords(v, true) {
		return true
	}
	if len(v) >= 12 && distinct(v) <= 4 {
		return true
	}
	// Long runs of one character (aaaaaaaa..., 00000000...).
	run, best := 1, 1
	for i := 1; i < len(v); i++ {
		if v[i] == v[i-1] {
			run++
			if run > best {
				best = run
			}
		} else {
			run = 1
		}
	}
	return best >= 8 || (len(v) >= 16 && best*3 >= len(v))
}

// isPlaceholderWords reports whether v holds a placeholder word, a run of
// six or more consecutive ascending letters or digits ("abcdef", "123456"),
// or, when symbols is set, a template or masking mark.
func isPlaceholderWords(v string, symbols bool) bool {
	return placeholderMarked(v, symbols) || ascendingCover(v) > 0 || interleavedWalk(v)
}

// interleavedWalk reports an alphabet walk interleaved with a digit walk
// (abc123def456ghi789…): the letters alone run ascending for nine or more
// and the digits alone for six or more. A random token does that with odds
// far below one in a billion; documentation fakes do it all the time.
func interleavedWalk(v string) bool {
	var letters, digits []byte
	for i := 0; i < len(v); i++ {
		switch c := v[i] | 0x20; {
		case c >= 'a' && c <= 'z':
			letters = append(letters, c)
		case v[i] >= '0' && v[i] <= '9':
			digits = append(digits, v[i])
		}
	}
	return longestAscending(letters) >= 9 && longestAscending(digits) >= 6
}

// longestAscending is the longest run of consecutive ascending bytes
// (digits wrap from 9 to 0: 7890123).
func longestAscending(b []byte) int {
	best, run := 0, 1
	for i := 1; i < len(b); i++ {
		if b[i] == b[i-1]+1 || (b[i-1] == '9' && b[i] == '0') {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	if len(b) > 0 {
		best = max(best, 1)
	}
	return best
}

// placeholderMarked reports whether v is empty or holds a placeholder word
// or, when symbols is set, a template or masking mark.
func placeholderMarked(v string, symbols bool) bool {
	if v == "" {
		return true
	}
	l := strings.ToLower(v)
	for _, w := range placeholderWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	if symbols {
		for _, w := range placeholderSymbols {
			if strings.Contains(l, w) {
				return true
			}
		}
	}
	return false
}

// ascendingCover returns how many bytes of v lie in runs of consecutive
// ascending letters (six or more, "abcdef", case-insensitive) or digits
// (seven or more, "1234567"). Such runs practically never occur in a
// random token (a six-letter run in a 40-character base62 string has odds
// below 1e-7): they mark a hand-typed or hand-edited value.
func ascendingCover(v string) int {
	lower := func(c byte) byte {
		if c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	cover, run := 0, 1
	flush := func(last byte) {
		if (last >= 'a' && last <= 'z' && run >= 6) || run >= 7 {
			cover += run
		}
	}
	for i := 1; i < len(v); i++ {
		p, c := lower(v[i-1]), lower(v[i])
		if c == p+1 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			run++
			continue
		}
		flush(p)
		run = 1
	}
	if len(v) > 0 {
		flush(lower(v[len(v)-1]))
	}
	return cover
}

// isUUID reports whether s is exactly a canonical UUID.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isIdentChar(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// hashPrefixes mark content digests (lock files, SRI, go.sum, image
// digests), which are high-entropy but public.
var hashPrefixes = []string{"sha1-", "sha256-", "sha384-", "sha512-", "sha1:", "sha256:", "sha384:", "sha512:", "h1:", "md5:", "md5-", "blake2b", "sha3-"}

// valueWords are literal values that are never secrets.
var valueWords = map[string]bool{
	"true": true, "false": true, "null": true, "nil": true, "none": true, "undefined": true,
	"password": true, "passwd": true, "token": true, "string": true, "required": true,
	"optional": true, "empty": true, "default": true, "hidden": true, "masked": true, "unset": true,
}

// isCodeReference reports whether a generic rule's value is a reference to
// a secret stored elsewhere (a variable, an environment lookup, a function
// call, a template) rather than a literal. key is the assigned name.
func isCodeReference(v, key string) bool {
	if v == "" {
		return true
	}
	l := strings.ToLower(v)
	if valueWords[l] {
		return true
	}
	if key != "" && strings.EqualFold(strings.Trim(v, `"'`), key) {
		return true
	}
	switch v[0] {
	case '$', '%', '@', '&', '*', '#', '{', '[', '(', '<', '!', '~', '\\', '?':
		return true
	case '/':
		if !base64Token(v) {
			return true // a path or a route
		}
	}
	if strings.ContainsAny(v, "()[]{}<>") {
		return true
	}
	for _, p := range hashPrefixes {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for _, p := range []string{"process.env", "os.environ", "env.", "getenv", "secrets.", "vars.", "config.", "settings.", "self.", "this.", "params.", "args.", "request.", "props.", "file:", "http://", "https://", "vault:", "arn:", "ref:", "ssm:"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	// Dotted identifier paths (obj.field.sub) and ENV_VAR_NAMES.
	dots, upperOnly, hasUnderscore := 0, true, false
	ident := true
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			dots++
		case c == '_':
			hasUnderscore = true
		case c >= 'a' && c <= 'z':
			upperOnly = false
		case isIdentChar(c):
		default:
			ident = false
		}
	}
	if ident && dots > 0 && !strings.Contains(v, "..") && v[len(v)-1] != '.' {
		// a.b.c with identifier segments that start with a letter and
		// read as words (few digits), not random token parts.
		seg := strings.Split(v, ".")
		allWordy := true
		for _, s := range seg {
			if s == "" || !(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) ||
				strings.Count(s, "0")+strings.Count(s, "1")+strings.Count(s, "2")+strings.Count(s, "3")+strings.Count(s, "4")+
					strings.Count(s, "5")+strings.Count(s, "6")+strings.Count(s, "7")+strings.Count(s, "8")+strings.Count(s, "9") > 2 {
				allWordy = false
				break
			}
		}
		if allWordy {
			return true
		}
	}
	if ident && upperOnly && hasUnderscore && dots == 0 {
		return true
	}
	// Lower-case identifiers in snake or kebab case (my_password_var).
	if ident && dots == 0 && hasUnderscore && strings.ToLower(v) == v && charClasses(v) <= 2 {
		noDigit := !strings.ContainsAny(v, "0123456789")
		if noDigit {
			return true
		}
	}
	return false
}

// looksLikeImageData reports whether the text just before a base64 run
// declares an image, or the run starts with a well-known image header.
func looksLikeImageData(text string, start int, run string) bool {
	for _, magic := range []string{"iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "PHN2Zy", "Qk0", "AAAAIGZ0eXA", "AAAAHGZ0eXA", "SUkqAA", "JVBERi0"} {
		if strings.HasPrefix(run, magic) {
			return true
		}
	}
	lo := start - 64
	if lo < 0 {
		lo = 0
	}
	before := strings.ToLower(text[lo:start])
	return strings.Contains(before, "image/") || strings.Contains(before, "font/") || strings.Contains(before, "application/pdf") || strings.Contains(before, "application/octet-stream")
}

// alphabetTyped reports a value holding the alphabet typed in order: a
// letter walk of 20 or more (ABCDEFGHIJKLMNOPQRSTUVWXYZ). Shorter walks
// inside a provider's token are kept: rule examples of real providers are
// full of them.
func alphabetTyped(v string) bool { return longestLetterWalk(v) >= 20 }

// templateMarked reports a template's variable (${USER:-…}, {{ token }},
// $(cat …), <your-key>) in a value. Provider formats rarely allow these
// bytes, but the rules whose values are free text (gitleaks' curl
// user:password) do, and there it is a reference, not a secret.
func templateMarked(v string) bool {
	for _, m := range []string{"${", "{{", "}}", "$(", "<your"} {
		if strings.Contains(v, m) {
			return true
		}
	}
	return false
}

// documentedExamples are values that vendors' own documentation prints as
// the example (kubeadm's bootstrap token): a copy of the manual, not a
// credential.
var documentedExamples = map[string]bool{"abcdef.0123456789abcdef": true}

// longestLetterWalk is the longest run of letters in alphabet order
// (case-insensitive).
func longestLetterWalk(v string) int {
	best, run := 0, 0
	for i := 0; i < len(v); i++ {
		c := v[i] | 0x20
		if c < 'a' || c > 'z' {
			run = 0
			continue
		}
		if run > 0 && c == v[i-1]|0x20+1 {
			run++
		} else {
			run = 1
		}
		best = max(best, run)
	}
	return best
}

// base64Token reports a value that reads as base64 rather than a path
// although it starts with '/' (one in 64 random base64 strings does): 20
// characters or more of the base64 alphabet, upper and lower case and
// digits, a '+' or '=' padding, and at most two '/' (a path has a '/' per
// segment and no '+' or '=').
func base64Token(v string) bool {
	if len(v) < 20 || strings.Count(v, "/") > 2 || !strings.ContainsAny(v, "+=") || charClasses(v) < 4 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '+' && c != '/' && c != '=' {
			return false
		}
	}
	return true
}
