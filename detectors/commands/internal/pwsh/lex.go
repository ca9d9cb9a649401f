// Package pwsh reads PowerShell well enough to judge what a script runs.
//
// It is not a PowerShell implementation: it tokenizes a script (strings,
// here-strings, variables, backtick escapes, comments, script blocks,
// sub-expressions, type literals), splits it into statements and pipelines,
// and reads each pipeline element either as a command (name and arguments,
// PowerShell's argument mode) or as an expression (expression mode), folding
// the expressions an obfuscator uses into constants: string concatenation,
// the -f format operator, -join / -split / -replace, [char] casts and char
// arrays, indexing and reversal of strings, .Replace / .Substring / .ToLower
// and friends, variables assigned earlier, splatted hashtables, aliases
// (built-in ones and those made with Set-Alias / sal / New-Alias), and
// base64 decoded with [Convert]::FromBase64String and a text encoding.
// Strings that reach Invoke-Expression, [ScriptBlock]::Create, or that are
// decoded from base64, are parsed in turn (to a bounded depth).
//
// No Go PowerShell parser is maintained as far as this project could find
// (the published ones shell out to PowerShell itself), so this one is
// written for the job: small, total (it never fails on any input, it reads
// what it can), and bounded in time and memory.
package pwsh

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tEOF     tokKind = iota
	tNewline         // newline or ;
	tWord            // a bare word: command name, argument, parameter (-Name), keyword
	tStr             // a quoted string or here-string (value expanded where it can be)
	tNum             // a number
	tVar             // $name, ${name}, $env:name
	tSplat           // @name
	tOp              // operators and punctuation: | || && & . , + = ( ) { } [ ] $( @( @{ :: ..
	tParam           // -Name in expression mode is an operator, in command mode a parameter: kept as tParam
)

type token struct {
	kind   tokKind
	val    string // value: words without escapes, strings expanded, names of variables lower-cased
	raw    string // the text as written
	dq     bool   // a double-quoted string (its $(…) parts are sub-expressions)
	start  int
	end    int
	spaced bool // whitespace before the token
}

// lexer tokenizes a whole script up front.
type lexer struct {
	src  string
	pos  int
	toks []token
}

const maxTokens = 200000

func lex(src string) []token {
	l := &lexer{src: src, toks: make([]token, 0, min(len(src)/4+8, maxTokens+1))}
	for l.pos < len(src) && len(l.toks) < maxTokens {
		l.next()
	}
	l.toks = append(l.toks, token{kind: tEOF, start: len(src), end: len(src)})
	return l.toks
}

// isDash reports the dashes PowerShell accepts for '-' (en dash, em dash,
// horizontal bar), and returns their width in bytes.
func dashAt(s string, i int) int {
	if s[i] == '-' {
		return 1
	}
	if s[i] < 0x80 {
		return 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '\u2013', '\u2014', '\u2015':
		return n
	}
	return 0
}

// quoteAt returns the quote character a position holds (' or "), treating
// typographic quotes as PowerShell does, and its width.
func quoteAt(s string, i int) (byte, int) {
	switch s[i] {
	case '\'', '"':
		return s[i], 1
	}
	if s[i] < 0x80 {
		return 0, 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch r {
	case '\u2018', '\u2019', '\u201a', '\u201b':
		return '\'', n
	case '\u201c', '\u201d', '\u201e':
		return '"', n
	}
	return 0, 0
}

func (l *lexer) emit(k tokKind, val string, start int, spaced bool) {
	l.toks = append(l.toks, token{kind: k, val: val, raw: l.src[start:l.pos], start: start, end: l.pos, spaced: spaced})
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

func (l *lexer) next() {
	s := l.src
	spaced := false
	for l.pos < len(s) {
		c := s[l.pos]
		switch {
		case isSpace(c):
			l.pos++
			spaced = true
			continue
		case c == '`' && l.pos+1 < len(s) && (s[l.pos+1] == '\n' || s[l.pos+1] == '\r'):
			// Line continuation.
			l.pos += 2
			if l.pos < len(s) && s[l.pos] == '\n' {
				l.pos++
			}
			spaced = true
			continue
		case c == 0xc2 && l.pos+1 < len(s) && s[l.pos+1] == 0xa0: // no-break space
			l.pos += 2
			spaced = true
			continue
		case c == '#' && placeholderLen(s[l.pos:]) > 0:
			// #{name}: a test catalogue's argument, a word to be filled in.
		case c == '#':
			for l.pos < len(s) && s[l.pos] != '\n' {
				l.pos++
			}
			continue
		case c == '<' && strings.HasPrefix(s[l.pos:], "<#"):
			if e := strings.Index(s[l.pos+2:], "#>"); e >= 0 {
				l.pos += 2 + e + 2
			} else {
				l.pos = len(s)
			}
			continue
		}
		break
	}
	if l.pos >= len(s) {
		return
	}
	start := l.pos
	c := s[l.pos]
	switch {
	case c == '\n' || c == ';':
		l.pos++
		l.emit(tNewline, "", start, spaced)
		return
	case c == '@' && l.pos+1 < len(s) && (s[l.pos+1] == '\'' || s[l.pos+1] == '"') && l.hereString():
		l.toks[len(l.toks)-1].spaced = spaced
		return
	}
	if q, n := quoteAt(s, l.pos); q != 0 {
		l.pos += n
		l.quoted(q, start, spaced)
		return
	}
	switch c {
	case '$':
		l.variable(start, spaced)
		return
	case '@':
		if l.pos+1 < len(s) {
			switch s[l.pos+1] {
			case '(', '{':
				l.pos += 2
				l.emit(tOp, s[start:l.pos], start, spaced)
				return
			}
			if isNameByte(s[l.pos+1]) {
				l.pos++
				for l.pos < len(s) && isNameByte(s[l.pos]) {
					l.pos++
				}
				l.emit(tSplat, strings.ToLower(s[start+1:l.pos]), start, spaced)
				return
			}
		}
		l.pos++
		l.emit(tOp, "@", start, spaced)
		return
	case '|', '&':
		if l.pos+1 < len(s) && s[l.pos+1] == c {
			l.pos += 2
		} else {
			l.pos++
		}
		l.emit(tOp, s[start:l.pos], start, spaced)
		return
	case '(', ')', '{', '}', ',', '[', ']':
		l.pos++
		l.emit(tOp, string(c), start, spaced)
		return
	case '+', '*', '/', '%', '=', '!', '>', '<':
		l.pos++
		if l.pos < len(s) && (s[l.pos] == '=' || (c == '>' && s[l.pos] == '>') || (c == '+' && s[l.pos] == '+')) {
			l.pos++
		}
		if (c == '>' || c == '<') && !l.afterValue() {
			// Redirection: 2>&1, >file, handled as words by the parser.
		}
		l.emit(tOp, s[start:l.pos], start, spaced)
		return
	case ':':
		if strings.HasPrefix(s[l.pos:], "::") {
			l.pos += 2
			l.emit(tOp, "::", start, spaced)
			return
		}
	case '.':
		if strings.HasPrefix(s[l.pos:], "..") {
			l.pos += 2
			l.emit(tOp, "..", start, spaced)
			return
		}
		// ". script" (dot-sourcing), or ".member" right after a value.
		if l.pos+1 >= len(s) || isSpace(s[l.pos+1]) || !spaced && l.afterValue() {
			l.pos++
			l.emit(tOp, ".", start, spaced)
			return
		}
		if s[l.pos+1] == '(' || s[l.pos+1] == '$' || s[l.pos+1] == '\'' || s[l.pos+1] == '"' {
			l.pos++
			l.emit(tOp, ".", start, spaced)
			return
		}
	}
	if d := dashAt(s, l.pos); d > 0 {
		// -Name parameters and -operators; a lone '-' or '--' is an operator;
		// negative numbers are numbers.
		j := l.pos + d
		if j < len(s) && isNameStart(s[j]) {
			k := j
			for k < len(s) && (isNameByte(s[k]) || s[k] == '`' && k+1 < len(s) && isNameByte(s[k+1])) {
				k++
			}
			if k < len(s) && s[k] == ':' && !(k+1 < len(s) && s[k+1] == ':') {
				k++ // -Param:value
			}
			l.pos = k
			l.emit(tParam, "-"+strings.ToLower(strings.ReplaceAll(s[j:k], "`", "")), start, spaced)
			return
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' && !l.afterValue() {
			l.pos = j
			l.number(start, spaced)
			return
		}
		if j < len(s) && dashAt(s, j) > 0 {
			l.pos = j + dashAt(s, j)
		} else {
			l.pos = j
		}
		l.emit(tOp, "-", start, spaced)
		return
	}
	if c >= '0' && c <= '9' {
		l.number(start, spaced)
		return
	}
	l.word(start, spaced)
}

// afterValue reports whether the previous token ends a value (so that what
// follows is an operator or a member access).
func (l *lexer) afterValue() bool {
	if len(l.toks) == 0 {
		return false
	}
	t := l.toks[len(l.toks)-1]
	if t.end != l.pos && t.end != l.pos-0 {
		// whitespace between: callers check spaced themselves
	}
	switch t.kind {
	case tStr, tNum, tVar, tWord:
		return true
	case tOp:
		return t.val == ")" || t.val == "]" || t.val == "}"
	}
	return false
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '?'
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (l *lexer) number(start int, spaced bool) {
	s := l.src
	if strings.HasPrefix(s[l.pos:], "0x") || strings.HasPrefix(s[l.pos:], "0X") {
		l.pos += 2
		for l.pos < len(s) && isHex(s[l.pos]) {
			l.pos++
		}
	} else {
		for l.pos < len(s) && (s[l.pos] >= '0' && s[l.pos] <= '9' || s[l.pos] == '.' && l.pos+1 < len(s) && s[l.pos+1] >= '0' && s[l.pos+1] <= '9') {
			l.pos++
		}
	}
	// A number glued to letters is a word (7z.exe, 2>&1 handled by the parser).
	if l.pos < len(s) && (isNameByte(s[l.pos]) || s[l.pos] == '.' && !strings.HasPrefix(s[l.pos:], "..") || s[l.pos] == '\\' || s[l.pos] == ':') {
		l.pos = start
		l.word(start, spaced)
		return
	}
	l.emit(tNum, s[start:l.pos], start, spaced)
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// word reads a bare word, up to whitespace or a character that ends one;
// backticks escape the next character.
func (l *lexer) word(start int, spaced bool) {
	s := l.src
	var b strings.Builder
	for l.pos < len(s) {
		c := s[l.pos]
		if isSpace(c) || c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')' || c == '{' || c == '}' || c == ',' || c == '=' {
			break
		}
		if c == '[' && b.Len() == 0 || c == ']' {
			break
		}
		if c == '#' {
			if n := placeholderLen(s[l.pos:]); n > 0 {
				b.WriteString(s[l.pos : l.pos+n])
				l.pos += n
				continue
			}
		}
		if c == '`' {
			if l.pos+1 < len(s) {
				b.WriteString(escape(s[l.pos+1]))
				l.pos += 2
				continue
			}
			l.pos++
			continue
		}
		if c == '$' && l.pos > start {
			break
		}
		if q, _ := quoteAt(s, l.pos); q != 0 && l.pos > start {
			// 'a'"b"c: a word made of quoted parts.
			break
		}
		if c == '.' && l.pos+1 < len(s) && (s[l.pos+1] == '(' || s[l.pos+1] == '\'' || s[l.pos+1] == '"') {
			break
		}
		b.WriteByte(c)
		l.pos++
	}
	if l.pos == start {
		l.pos++
		b.WriteByte(s[start])
	}
	l.emit(tWord, b.String(), start, spaced)
}

// escape maps a backtick escape to its character; any other escaped
// character stands for itself (`i`e`x is iex).
func escape(c byte) string {
	switch c {
	case 'n':
		return "\n"
	case 't':
		return "\t"
	case 'r':
		return "\r"
	case '0':
		return ""
	case 'a', 'b', 'f', 'v':
		return ""
	}
	return string(c)
}

// quoted reads a string after its opening quote.
func (l *lexer) quoted(q byte, start int, spaced bool) {
	s := l.src
	var b strings.Builder
	for l.pos < len(s) {
		if qq, n := quoteAt(s, l.pos); qq == q {
			if l.pos+n < len(s) {
				if nq, n2 := quoteAt(s, l.pos+n); nq == q {
					// Doubled quote: a literal quote.
					b.WriteByte(q)
					l.pos += n + n2
					continue
				}
			}
			l.pos += n
			l.emit(tStr, b.String(), start, spaced)
			l.toks[len(l.toks)-1].dq = q == '"'
			return
		}
		c := s[l.pos]
		if q == '"' && c == '`' && l.pos+1 < len(s) {
			b.WriteString(escape(s[l.pos+1]))
			l.pos += 2
			continue
		}
		if q == '"' && c == '$' && l.pos+1 < len(s) && s[l.pos+1] == '(' {
			// Keep $( … ) verbatim, to the matching parenthesis; the parser
			// folds it.
			e := matchParen(s, l.pos+1)
			b.WriteString(s[l.pos:e])
			l.pos = e
			continue
		}
		b.WriteByte(c)
		l.pos++
	}
	l.emit(tStr, b.String(), start, spaced)
	l.toks[len(l.toks)-1].dq = q == '"'
}

// matchParen returns the index after the parenthesis that closes the one at
// i, or len(s).
func matchParen(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return j + 1
			}
		case '\'':
			if k := strings.IndexByte(s[j+1:], '\''); k >= 0 {
				j += k + 1
			}
		}
	}
	return len(s)
}

// hereString reads @' … '@ or @" … "@; it reports false when the text is
// not one (no newline after the opening).
func (l *lexer) hereString() bool {
	s := l.src
	q := s[l.pos+1]
	j := l.pos + 2
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j >= len(s) || s[j] != '\n' {
		return false
	}
	start := l.pos
	body := j + 1
	end := strings.Index(s[body:], "\n"+string(q)+"@")
	var val string
	if end < 0 {
		val = s[body:]
		l.pos = len(s)
	} else {
		val = s[body : body+end]
		l.pos = body + end + 3
	}
	val = strings.TrimSuffix(val, "\r")
	l.emit(tStr, val, start, false)
	l.toks[len(l.toks)-1].dq = q == '"'
	return true
}

// variable reads $name, ${name}, $env:name, $( (a sub-expression) or a lone $.
func (l *lexer) variable(start int, spaced bool) {
	s := l.src
	l.pos++
	if l.pos < len(s) && s[l.pos] == '(' {
		l.pos++
		l.emit(tOp, "$(", start, spaced)
		return
	}
	if l.pos < len(s) && s[l.pos] == '{' {
		e := strings.IndexByte(s[l.pos:], '}')
		if e < 0 {
			l.pos = len(s)
			l.emit(tVar, strings.ToLower(s[start+2:]), start, spaced)
			return
		}
		name := s[l.pos+1 : l.pos+e]
		l.pos += e + 1
		l.emit(tVar, strings.ToLower(name), start, spaced)
		return
	}
	n := l.pos
	for l.pos < len(s) && (isNameByte(s[l.pos]) || s[l.pos] == ':' && l.pos+1 < len(s) && isNameStart(s[l.pos+1]) && l.pos > n) {
		l.pos++
	}
	if l.pos == n && l.pos < len(s) && (s[l.pos] == '_' || s[l.pos] == '?' || s[l.pos] == '^' || s[l.pos] == '$') {
		l.pos++
	}
	l.emit(tVar, strings.ToLower(s[n:l.pos]), start, spaced)
}

// placeholderLen is the length of a #{name} placeholder at the start of s
// (the argument syntax of public technique-test catalogues: #{user.name},
// #{output_file}, #{host.process.id}), or 0. PowerShell would read # as a
// comment; a template's reader fills the word in, so it is kept as a word
// rather than hiding the rest of the line.
func placeholderLen(s string) int {
	if len(s) < 4 || s[0] != '#' || s[1] != '{' {
		return 0
	}
	for i := 2; i < len(s) && i < 96; i++ {
		c := s[i]
		switch {
		case c == '}':
			if i == 2 {
				return 0
			}
			return i + 1
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-', c == '[', c == ']', c == '(', c == ')', c == '=', c == ',', c == ' ':
		default:
			return 0
		}
	}
	return 0
}
