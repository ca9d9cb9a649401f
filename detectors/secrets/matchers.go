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
