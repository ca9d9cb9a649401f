package secrets

import (
	"regexp"
	"strings"
)

// nameValueKey matches, at the end of the text before a "value" label, a
// name or key label naming a secret: `name: DB_PASSWORD`, `"key":
// "api_token",`, `<key>smtp.password</key>`.
var nameValueKey = regexp.MustCompile(`(?i)(?:name|key|parameterkey)["']?\s*[:=>]\s*["']?([\w.\-]*(?:password|passwd|secret|token|api_?key)[\w.\-]*)["']?(?:\s*</key>\s*|[\s,]*["']?)$`)

// matchNameValue handles the name-value-secret rule from a "value"
// keyword hit: the value form is parsed forward, and the secret-naming
// label is looked for just before it. Groups: 1 the name, 2 the value.
func matchNameValue(text string, start, limit int) []int {
	j := start + len("value")
	if j > limit {
		return nil
	}
	lead := start
	xml := start > 0 && text[start-1] == '<' && j < limit && text[j] == '>'
	var vs, ve int
	if xml {
		lead = start - 1
		vs = j + 1
		ve = vs
		for ve < limit && ve-vs <= 128 && text[ve] != '<' && !isSpace(text[ve]) {
			ve++
		}
		if ve >= limit || text[ve] != '<' {
			return nil
		}
	} else {
		if j < limit && (text[j] == '"' || text[j] == '\'') {
			j++
		}
		j = skipBlank(text, j, limit, 4)
		if j >= limit || (text[j] != ':' && text[j] != '=') {
			return nil
		}
		j = skipBlank(text, j+1, limit, 4)
		if j < limit && (text[j] == '"' || text[j] == '\'') {
			j++
		}
		vs = j
		ve = vs
		for ve < limit && ve-vs <= 128 && !strings.ContainsRune(" \t\r\n\"'<,}", rune(text[ve])) {
			ve++
		}
		if start > 0 && (text[start-1] == '"' || text[start-1] == '\'') {
			lead = start - 1
		}
	}
	if ve-vs < 4 {
		return nil
	}
	lo := lead - 160
	if lo < 0 {
		lo = 0
	}
	loc := nameValueKey.FindStringSubmatchIndex(text[lo:lead])
	if loc == nil {
		return nil
	}
	off := lo - start
	return []int{loc[0] + off, ve - start, loc[2] + off, loc[3] + off, vs - start, ve - start}
}

// matchCurlUser parses curl's -u/--user argument from a keyword hit at
// start: one shell word, possibly made of quoted and bare parts
// (`"user":"pass"`), split at its first colon. Groups: 1 the user, 2 the
// password; with an empty password (`-u "token:"`, an API key passed as
// the user name) group 1 is unset and group 2 is the user part. A word
// holding an expansion ($, `) or no colon (curl prompts) gives nil. One
// pair of braces around a part (`{value}`, a documentation convention) is
// not part of the secret.
func matchCurlUser(text string, start, limit int) []int {
	j := start
	switch {
	case strings.HasPrefix(text[j:limit], "--user"):
		j += len("--user")
	case strings.HasPrefix(text[j:limit], "-u"):
		j += 2
	default:
		return nil
	}
	if j < limit && text[j] == '=' {
		j++
	} else {
		k := skipBlank(text, j, limit, 4)
		if k == j {
			return nil
		}
		j = k
	}
	// Collect the word's characters with their offsets.
	type part struct{ s, e int }
	var parts []part
	var quote byte
	ps := -1
	for ; j < limit && j-start < 300; j++ {
		c := text[j]
		if quote != 0 {
			if c == quote {
				parts = append(parts, part{ps, j})
				quote, ps = 0, -1
				continue
			}
			if c == '\n' || c == '`' || (quote == '"' && expansion(text, j, limit)) {
				return nil
			}
			continue
		}
		if c == '"' || c == '\'' {
			if ps >= 0 {
				parts = append(parts, part{ps, j})
			}
			quote, ps = c, j+1
			continue
		}
		if isSpace(c) {
			break
		}
		if c == '`' || expansion(text, j, limit) {
			return nil
		}
		if ps < 0 {
			ps = j
		}
	}
	if quote != 0 {
		return nil
	}
	end := j
	if ps >= 0 {
		parts = append(parts, part{ps, j})
	}
	// Find the colon that splits user from password.
	us, ue, pw := -1, -1, -1
	for k, p := range parts {
		if i := strings.IndexByte(text[p.s:p.e], ':'); i >= 0 {
			us, ue = parts[0].s, p.s+i
			if k > 0 && ue == p.s {
				ue = parts[k-1].e // "user":"pass": the user ends at its quote
			}
			pw = k
			if ue < us || (k > 0 && p.s+i != p.s) {
				return nil // user spread over several parts
			}
			if p.s+i+1 < p.e {
				parts[k].s = p.s + i + 1
			} else if k+1 < len(parts) {
				pw = k + 1
			} else {
				parts[k].s = p.e
			}
			break
		}
	}
	if pw < 0 || pw < len(parts)-1 {
		return nil
	}
	unbrace := func(s, e int) (int, int) {
		if e-s > 2 && text[s] == '{' && text[e-1] == '}' && text[s+1] != '{' {
			return s + 1, e - 1
		}
		return s, e
	}
	ps2, pe2 := unbrace(parts[pw].s, parts[pw].e)
	if pe2 > ps2 {
		us, ue = unbrace(us, ue)
		return []int{0, end - start, us - start, ue - start, ps2 - start, pe2 - start}
	}
	// Empty password: the user part is the credential when it looks
	// random (an API key passed as the user name).
	if u := text[us:ue]; len(u) < 10 || charClasses(u) < 3 || shannon(u) < 3 {
		return nil
	}
	return []int{0, end - start, -1, -1, us - start, ue - start}
}

// expansion reports whether text[j] starts a shell expansion: $name,
// ${…} or $(…). Other dollars ("pa$$", "$1") are taken as characters.
func expansion(text string, j, limit int) bool {
	if text[j] != '$' || j+1 >= limit {
		return false
	}
	c := text[j+1]
	return c == '{' || c == '(' || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
