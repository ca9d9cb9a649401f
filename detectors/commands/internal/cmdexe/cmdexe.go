// Package cmdexe reads cmd.exe command lines and batch scripts well enough
// to judge what they run: ^ escapes, "quoted" arguments, %VAR% and !VAR!
// expansion (with the substring %VAR:~s,n% and replacement %VAR:a=b% forms,
// variables set earlier in the text and the usual system variables), the
// operators & && || | and ( … ) groups, redirections, @ and call, if
// conditions, start, and for /f loops (their command in ('…') is read as a
// command too). cmd /c strings are returned as commands whose arguments the
// caller reads again (Inner gives the text).
//
// No Go parser for cmd.exe exists that this project could find; cmd.exe's
// grammar is small, so it is written here, total (any input gives a
// result) and bounded.
package cmdexe

import (
	"strconv"
	"strings"
)

// Command is one command a cmd.exe line runs.
type Command struct {
	Name       string   // lower case, directory and extension dropped ("certutil")
	Raw        string   // the program word as written, after expansion and unquoting
	Args       []string // arguments, unquoted
	Line       string   // the command's text after expansion (for cmd /c and the like)
	Start, End int      // span in the text given to Parse (the source line)
}

const (
	maxCommands = 4000
	maxLen      = 1 << 20
)

// defaults are the variables of a default Windows installation that
// obfuscated lines index (%COMSPEC:~-7,1% …).
var defaults = map[string]string{
	"comspec":                `C:\WINDOWS\system32\cmd.exe`,
	"windir":                 `C:\WINDOWS`,
	"systemroot":             `C:\WINDOWS`,
	"systemdrive":            `C:`,
	"programdata":            `C:\ProgramData`,
	"public":                 `C:\Users\Public`,
	"programfiles":           `C:\Program Files`,
	"programfiles(x86)":      `C:\Program Files (x86)`,
	"commonprogramfiles":     `C:\Program Files\Common Files`,
	"pathext":                `.COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC`,
	"os":                     "Windows_NT",
	"processor_architecture": "AMD64",
}

// Inner returns the command line that cmd /c (or /k, /r) runs, or "".
//
// The arguments come unquoted (from this parser, the POSIX one or the
// PowerShell one); the line is rebuilt as cmd.exe receives it: after the
// first word (a whole "quoted line" whose outer quotes cmd strips), an
// argument holding blanks or operators was one quoted argument, so
// reg add "HKLM\…\Terminal Server" /v … keeps its key in one word.
func Inner(args []string) string {
	for i, a := range args {
		switch strings.ToLower(a) {
		case "/c", "/k", "/r":
			return joinQuoted(args[i+1:], 1)
		}
		l := strings.ToLower(a)
		if strings.HasPrefix(l, "/c") && len(a) > 2 && !strings.HasPrefix(l, "/c:") {
			// cmd /c"whoami": the string glued to the switch.
			return a[2:] + " " + joinQuoted(args[i+1:], 0)
		}
	}
	return ""
}

// joinQuoted joins arguments with blanks, quoting those from index from
// on that hold a blank or a cmd.exe operator (and no quote of their own).
func joinQuoted(args []string, from int) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i >= from && a != "" && strings.ContainsAny(a, " \t&|<>()") && !strings.Contains(a, "\"") {
			b.WriteByte('"')
			b.WriteString(a)
			b.WriteByte('"')
			continue
		}
		b.WriteString(a)
	}
	return b.String()
}

// continuation joins lines ended by a caret (built once: a Replacer is
// costly to make and safe to share).
var continuation = strings.NewReplacer("^\r\n", "", "^\n", "")

// Parse reads a cmd.exe command line or batch script.
func Parse(src string) []Command {
	if len(src) > maxLen {
		src = src[:maxLen]
	}
	p := &parser{env: map[string]string{}}
	p.script(src, 0)
	return p.out
}

type parser struct {
	env   map[string]string
	out   []Command
	depth int
}

func (p *parser) script(src string, base int) {
	// Lines, with ^ at the end of a line joining the next.
	start := 0
	for start <= len(src) && len(p.out) < maxCommands {
		end := start
		for end < len(src) && src[end] != '\n' {
			if src[end] == '^' && end+1 < len(src) && (src[end+1] == '\n' || src[end+1] == '\r' && end+2 < len(src) && src[end+2] == '\n') {
				end++
				if src[end] == '\r' {
					end++
				}
			}
			end++
		}
		line := src[start:end]
		line = continuation.Replace(line)
		line = strings.TrimRight(line, "\r")
		p.line(line, base+start, base+end)
		start = end + 1
	}
}

// line expands a line's %VAR% references (cmd.exe does it once per line,
// before parsing) and parses it.
func (p *parser) line(l string, s, e int) {
	t := strings.TrimSpace(l)
	if t == "" || strings.HasPrefix(t, "::") || strings.HasPrefix(strings.ToLower(t), "rem ") || strings.EqualFold(t, "rem") {
		return
	}
	l = p.expand(l, '%')
	p.commands(l, s, e)
}

// lookup returns a variable's value.
func (p *parser) lookup(name string) (string, bool) {
	n := strings.ToLower(name)
	if v, ok := p.env[n]; ok {
		return v, true
	}
	v, ok := defaults[n]
	return v, ok
}

// expand replaces %VAR% (or !VAR!) references whose value is known,
// applying :~start,len and :old=new modifiers.
func (p *parser) expand(l string, mark byte) string {
	if strings.IndexByte(l, mark) < 0 {
		return l
	}
	var b strings.Builder
	for i := 0; i < len(l); i++ {
		c := l[i]
		if c != mark {
			b.WriteByte(c)
			continue
		}
		if mark == '%' && i+1 < len(l) && l[i+1] == '%' {
			// %% in a batch file: a literal %, or a for variable (%%i).
			b.WriteString("%%")
			i++
			continue
		}
		j := strings.IndexByte(l[i+1:], mark)
		if j < 0 {
			b.WriteString(l[i:])
			break
		}
		ref := l[i+1 : i+1+j]
		if v, ok := p.ref(ref); ok {
			if b.Len()+len(v) > maxLen {
				return l // bounded: references repeated over a huge value
			}
			b.WriteString(v)
			i += j + 1
			continue
		}
		b.WriteByte(c)
	}
	if b.Len() > maxLen {
		return l
	}
	return b.String()
}

// ref resolves one reference body: NAME, NAME:~s,n or NAME:a=b.
func (p *parser) ref(ref string) (string, bool) {
	if ref == "" || strings.ContainsAny(ref, " \t\"") && !strings.Contains(ref, ":") {
		return "", false
	}
	name, mod, hasMod := strings.Cut(ref, ":")
	v, ok := p.lookup(name)
	if !ok {
		return "", false
	}
	if !hasMod {
		return v, true
	}
	if strings.HasPrefix(mod, "~") {
		parts := strings.SplitN(mod[1:], ",", 2)
		st, err := strconv.Atoi(strings.TrimSpace(parts[0]))
		if err != nil {
			return "", false
		}
		r := v
		if st < 0 {
			st += len(r)
		}
		if st < 0 {
			st = 0
		}
		if st > len(r) {
			st = len(r)
		}
		r = r[st:]
		if len(parts) == 2 {
			n, err := strconv.Atoi(strings.TrimSpace(parts[1]))
			if err != nil {
				return "", false
			}
			if n < 0 {
				n += len(r)
				if n < 0 {
					n = 0
				}
			}
			if n < len(r) {
				r = r[:n]
			}
		}
		return r, true
	}
	if old, nw, ok := strings.Cut(mod, "="); ok && old != "" {
		if strings.HasPrefix(old, "*") {
			if k := strings.Index(strings.ToLower(v), strings.ToLower(old[1:])); k >= 0 {
				return nw + v[k+len(old)-1:], true
			}
			return v, true
		}
		return replaceFold(v, old, nw), true
	}
	return "", false
}

func replaceFold(s, old, nw string) string {
	var b strings.Builder
	lo, lold := strings.ToLower(s), strings.ToLower(old)
	for {
		k := strings.Index(lo, lold)
		if k < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:k])
		b.WriteString(nw)
		s, lo = s[k+len(old):], lo[k+len(old):]
		if b.Len() > maxLen {
			return b.String()
		}
	}
}

// word is one token of a line: a word (quotes removed, ^ escapes applied)
// or an operator.
type word struct {
	s     string
	op    bool // & && || | ( ) or a redirection
	raw   string
	from  int  // offset in the line
	redir bool // a redirection target (">file"), an argument only for the rules
}

// tokens splits a line into words and operators.
func tokens(l string) []word {
	var out []word
	var b strings.Builder
	var raw strings.Builder
	inWord, quoted := false, false
	from := 0
	flush := func(i int) {
		if inWord {
			out = append(out, word{s: b.String(), raw: raw.String(), from: from})
			b.Reset()
			raw.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(l) && len(out) < 4096; i++ {
		c := l[i]
		if quoted {
			raw.WriteByte(c)
			if c == '"' {
				quoted = false
				continue
			}
			b.WriteByte(c)
			continue
		}
		switch c {
		case '^':
			if i+1 < len(l) {
				if !inWord {
					from = i
				}
				inWord = true
				b.WriteByte(l[i+1])
				raw.WriteString(l[i : i+2])
				i++
			}
			continue
		case '"':
			if !inWord {
				from = i
			}
			inWord, quoted = true, true
			raw.WriteByte(c)
			continue
		case ' ', '\t', ',', ';', '=':
			if c == '=' && inWord {
				// sc create x binPath= …: the = belongs to the word.
				b.WriteByte(c)
				raw.WriteByte(c)
				continue
			}
			if (c == ',' || c == ';') && inWord {
				b.WriteByte(c)
				raw.WriteByte(c)
				continue
			}
			flush(i)
			continue
		case '&', '|':
			flush(i)
			op := string(c)
			if i+1 < len(l) && l[i+1] == c {
				op += string(c)
				i++
			}
			out = append(out, word{s: op, op: true, raw: op, from: i})
			continue
		case '(', ')':
			if !inWord && (c == '(' || c == ')') {
				out = append(out, word{s: string(c), op: true, raw: string(c), from: i})
				continue
			}
			if c == ')' {
				flush(i)
				out = append(out, word{s: ")", op: true, raw: ")", from: i})
				continue
			}
		case '<', '>':
			// 2>&1, >>file, <in: the redirection and its target are skipped.
			if inWord && len(b.String()) == 1 && b.String()[0] >= '0' && b.String()[0] <= '9' {
				b.Reset()
				raw.Reset()
				inWord = false
			}
			flush(i)
			j := i + 1
			for j < len(l) && (l[j] == '>' || l[j] == '&') {
				j++
			}
			for j < len(l) && l[j] >= '0' && l[j] <= '9' && l[j-1] == '&' {
				j++
			}
			out = append(out, word{s: l[i:j], op: true, raw: l[i:j], from: i})
			i = j - 1
			continue
		}
		if !inWord {
			from = i
		}
		inWord = true
		b.WriteByte(c)
		raw.WriteByte(c)
	}
	flush(len(l))
	return out
}

// commands parses one expanded line into commands.
func (p *parser) commands(l string, s, e int) {
	ws := tokens(l)
	p.seq(ws, l, s, e)
}

// seq walks tokens, splitting at operators, and emits each command.
func (p *parser) seq(ws []word, l string, s, e int) {
	var cur []word
	emit := func() {
		if len(cur) > 0 {
			p.command(cur, l, s, e)
		}
		cur = nil
	}
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		if w.op {
			switch {
			case w.s == "&" || w.s == "&&" || w.s == "||" || w.s == "|" || w.s == "(" || w.s == ")":
				emit()
			case strings.HasPrefix(w.s, "<") || strings.HasPrefix(w.s, ">"):
				if !strings.HasSuffix(w.s, "&") && i+1 < len(ws) && !ws[i+1].op && !strings.Contains(w.s, "&") {
					// The redirection's target, kept as one argument ">file".
					i++
					if len(cur) > 0 && strings.HasPrefix(w.s, ">") {
						cur = append(cur, word{s: ">" + ws[i].s, raw: ">" + ws[i].raw, from: ws[i].from, redir: true})
					}
				}
			}
			continue
		}
		cur = append(cur, w)
	}
	emit()
}

// command emits one command, after @, call, if, start and for prefixes.
func (p *parser) command(ws []word, l string, s, e int) {
	for len(ws) > 0 && len(p.out) < maxCommands {
		w0 := strings.TrimLeft(ws[0].s, "@")
		if w0 == "" {
			ws = ws[1:]
			continue
		}
		lw := strings.ToLower(w0)
		switch lw {
		case "call":
			// call expands %VAR% a second time, with the variables set so far.
			ws = append([]word(nil), ws[1:]...)
			for i := range ws {
				ws[i].s = p.expand(ws[i].s, '%')
				ws[i].raw = p.expand(ws[i].raw, '%')
			}
			continue
		case "if":
			ws = skipIf(ws[1:])
			continue
		case "else", "do":
			ws = ws[1:]
			continue
		case "for":
			ws = p.forLoop(ws[1:], l, s, e)
			continue
		case "set":
			p.set(ws[1:])
		case "setlocal", "endlocal", "echo", "rem", "goto", "exit", "pause", "cls", "title", "color", "chcp":
			if lw == "echo" {
				// echo prints; it runs nothing. Still emitted for completeness.
			}
		}
		if len(p.env) > 0 && p.sameLineRefs(ws) {
			// %a%%b% args, with a and b set earlier on the same line: cmd.exe
			// expanded the line before those set commands ran, so the words
			// stay unexpanded only until the line runs again, a call
			// expands them, or a child cmd /c (which inherits the
			// variables) reads them; they are judged as what they name.
			ws = append([]word(nil), ws...)
			for i := range ws {
				ws[i].s = p.expand(ws[i].s, '%')
				ws[i].raw = p.expand(ws[i].raw, '%')
			}
			w0 = strings.TrimLeft(ws[0].s, "@")
			lw = strings.ToLower(w0)
			if lw == "call" || lw == "if" || lw == "for" || lw == "set" {
				continue
			}
		}
		line := joinRaw(ws)
		if strings.Contains(line, "!") {
			line = p.expand(line, '!')
		}
		c := Command{Raw: unbang(p, w0), Start: s, End: e, Line: line}
		c.Name = name(c.Raw)
		for _, w := range ws[1:] {
			a := w.s
			if strings.Contains(a, "!") {
				a = p.expand(a, '!')
			}
			c.Args = append(c.Args, a)
		}
		p.out = append(p.out, c)
		if c.Name == "start" {
			// start ["title"] [/b /min /wait …] program args
			rest := ws[1:]
			if len(rest) > 0 && strings.HasPrefix(rest[0].raw, "\"") {
				rest = rest[1:]
			}
			for len(rest) > 0 && strings.HasPrefix(rest[0].s, "/") {
				f := strings.ToLower(rest[0].s)
				rest = rest[1:]
				if f == "/d" && len(rest) > 0 {
					rest = rest[1:]
				}
			}
			ws = rest
			continue
		}
		return
	}
}

// sameLineRefs reports a word still holding a %VAR% reference that the
// variables set so far resolve.
func (p *parser) sameLineRefs(ws []word) bool {
	for _, w := range ws {
		if strings.IndexByte(w.raw, '%') >= 0 && p.expand(w.raw, '%') != w.raw {
			return true
		}
	}
	return false
}

func unbang(p *parser, w string) string {
	if strings.Contains(w, "!") {
		return p.expand(w, '!')
	}
	return w
}

func joinRaw(ws []word) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, w.raw)
	}
	return strings.Join(parts, " ")
}

// name normalizes a program word.
func name(w string) string {
	w = strings.Trim(w, "\"' ")
	if i := strings.LastIndexAny(w, "/\\"); i >= 0 && i < len(w)-1 {
		w = w[i+1:]
	}
	w = strings.ToLower(w)
	for _, ext := range []string{".exe", ".com", ".cmd", ".bat"} {
		if strings.HasSuffix(w, ext) && len(w) > len(ext) {
			return w[:len(w)-len(ext)]
		}
	}
	return w
}

// skipIf drops an if condition: [/i] [not] exist x | defined x |
// errorlevel n | a==b | a op b.
func skipIf(ws []word) []word {
	i := 0
	if i < len(ws) && strings.EqualFold(ws[i].s, "/i") {
		i++
	}
	if i < len(ws) && strings.EqualFold(ws[i].s, "not") {
		i++
	}
	if i >= len(ws) {
		return nil
	}
	switch strings.ToLower(ws[i].s) {
	case "exist", "defined", "errorlevel", "cmdextversion":
		i += 2
	default:
		if strings.Contains(ws[i].s, "==") {
			i++
		} else if i+2 < len(ws) {
			i += 3
		} else {
			i = len(ws)
		}
	}
	if i > len(ws) {
		return nil
	}
	return ws[i:]
}

func (p *parser) set(ws []word) {
	if len(ws) == 0 {
		return
	}
	a := ws[0].s
	if strings.HasPrefix(strings.ToLower(a), "/a") || strings.HasPrefix(strings.ToLower(a), "/p") {
		return
	}
	text := joinWords(ws)
	k, v, ok := strings.Cut(text, "=")
	if !ok || k == "" || len(p.env) > 1024 {
		return
	}
	if strings.Contains(v, "!") {
		// set b=!a!util under delayed expansion: !a! is read when set runs.
		v = p.expand(v, '!')
	}
	p.env[strings.ToLower(strings.TrimSpace(k))] = v
}

func joinWords(ws []word) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		parts = append(parts, w.s)
	}
	return strings.Join(parts, " ")
}

// forLoop reads for [/f ["opts"]] %%i in (set) do cmd: a command inside
// ('…') or (`…`) is parsed, and the loop body is returned to be read.
func (p *parser) forLoop(ws []word, l string, s, e int) []word {
	for i := 0; i < len(ws); i++ {
		if ws[i].op && ws[i].s == "(" {
			// The set: up to the closing parenthesis.
			j := i + 1
			var inner []string
			for j < len(ws) && !(ws[j].op && ws[j].s == ")") {
				inner = append(inner, ws[j].raw)
				j++
			}
			set := strings.TrimSpace(strings.Join(inner, " "))
			if len(set) > 1 && (set[0] == '\'' || set[0] == '`') && p.depth < 4 {
				body := strings.Trim(set, "'`")
				p.depth++
				p.commands(body, s, e)
				p.depth--
			}
			// do …
			for k := j; k < len(ws); k++ {
				if !ws[k].op && strings.EqualFold(ws[k].s, "do") {
					return ws[k+1:]
				}
			}
			return nil
		}
	}
	return nil
}
