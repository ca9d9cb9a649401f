package pwsh

import (
	"regexp"
	"strings"
)

// Command is one command a script runs, or one .NET method it calls.
type Command struct {
	// Name is the command as PowerShell resolves it: lower case, aliases
	// expanded (iex → invoke-expression), directory and .exe dropped. For a
	// method call it is "type::member" (static, "system." dropped) or
	// ".member" (on an object).
	Name string
	// Raw is the name as written, after unescaping and folding.
	Raw string
	// Args are the arguments, folded to constants where they can be
	// (a splatted hashtable becomes -Key value pairs).
	Args   []string
	Method bool
	// Start and End are the command's span in the text given to Parse;
	// commands found in decoded or invoked strings get the span of the
	// expression that produced them.
	Start, End int
	// Depth counts the strings parsed on the way (0: the text itself).
	Depth int
	// Via says how a nested command was reached: "iex" (a string given to
	// Invoke-Expression or [ScriptBlock]::Create), "base64" (decoded from
	// base64), "" otherwise.
	Via string
}

// Script is a text that the parse found and parsed as PowerShell in turn.
type Script struct {
	Text string
	Via  string // "iex" or "base64"
	// Start and End are the span of the expression that produced it.
	Start, End int
}

// Result is what Parse found.
type Result struct {
	Commands []Command
	Scripts  []Script
}

// Limits that bound one Parse whatever the input.
const (
	maxDepth    = 5
	maxCommands = 4000
	maxSteps    = 400000
)

// Parse reads a PowerShell script. It never fails: what it cannot read it
// skips.
func Parse(src string) *Result {
	st := &state{vars: map[string]val{}, alias: map[string]string{}, res: &Result{}, steps: maxSteps}
	st.parse(src, 0, "", 0, len(src), true)
	return st.res
}

type state struct {
	vars  map[string]val
	alias map[string]string
	res   *Result
	steps int
	nest  int // groups open on the Go stack
}

const maxNest = 200

func (st *state) parse(src string, depth int, via string, start, end int, exact bool) {
	if depth > maxDepth || st.steps <= 0 {
		return
	}
	p := &parser{toks: lex(src), st: st, depth: depth, via: via, start: start, end: end, exact: exact, src: src}
	p.statements("")
}

type parser struct {
	toks       []token
	i          int
	st         *state
	depth      int
	via        string
	start, end int // span of this text in the outermost one
	exact      bool
	src        string
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) at(k tokKind, v string) bool {
	t := p.toks[p.i]
	return t.kind == k && (v == "" || t.val == v)
}

func (p *parser) op(v string) bool { return p.at(tOp, v) }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	p.st.steps--
	return t
}

func (p *parser) done() bool { return p.peek().kind == tEOF || p.st.steps <= 0 }

// span maps token offsets to the outermost text.
func (p *parser) span(s, e int) (int, int) {
	if !p.exact {
		return p.start, p.end
	}
	if e < s {
		e = s
	}
	if s < 0 || p.start+e > p.end {
		return p.start, p.end
	}
	return p.start + s, p.start + e
}

// closes reports whether the current token closes a group opened with
// closer ("" = the end of the text).
func (p *parser) closes(closer string) bool {
	if p.done() {
		return true
	}
	return closer != "" && p.op(closer)
}

// statements parses statements up to closer and returns the value of the
// last one.
func (p *parser) statements(closer string) val {
	last := unknown
	for !p.closes(closer) {
		if p.at(tNewline, "") {
			p.advance()
			continue
		}
		before := p.i
		last = p.chain(closer)
		if p.i == before {
			p.advance() // a stray token: skip it
		}
	}
	return last
}

// chain parses pipelines joined by && and ||.
func (p *parser) chain(closer string) val {
	v := p.pipeline(closer)
	for p.op("&&") || p.op("||") {
		p.advance()
		v = p.pipeline(closer)
	}
	return v
}

func (p *parser) endOfElement(closer string) bool {
	if p.closes(closer) || p.at(tNewline, "") {
		return true
	}
	t := p.peek()
	return t.kind == tOp && (t.val == "|" || t.val == "&&" || t.val == "||" || t.val == ")" || t.val == "}")
}

// pipeline parses elements joined by | and returns the last one's value.
func (p *parser) pipeline(closer string) val {
	in := unknown
	for {
		in = p.element(closer, in)
		if !p.op("|") {
			return in
		}
		p.advance()
	}
}

var keywords = map[string]bool{
	"if": true, "elseif": true, "else": true, "foreach": true, "for": true, "while": true, "do": true, "until": true,
	"switch": true, "function": true, "filter": true, "workflow": true, "try": true, "catch": true, "finally": true, "trap": true,
	"param": true, "begin": true, "process": true, "end": true, "return": true, "throw": true, "break": true, "continue": true,
	"exit": true, "class": true, "enum": true, "dynamicparam": true, "data": true,
}

// element parses one pipeline element; in is the value piped into it.
func (p *parser) element(closer string, in val) val {
	t := p.peek()
	switch {
	case t.kind == tWord && keywords[strings.ToLower(t.val)]:
		return p.keyword(closer)
	case t.kind == tWord, t.kind == tOp && (t.val == "%" || t.val == "?"):
		return p.command(closer, in, false)
	case t.kind == tOp && (t.val == "&" || t.val == "."):
		p.advance()
		return p.command(closer, in, true)
	}
	// Expression mode, with an assignment when a variable is followed by =.
	if t.kind == tVar {
		n := p.toks[p.i+1]
		if n.kind == tOp && (n.val == "=" || n.val == "+=") {
			p.advance()
			p.advance()
			v := p.chain(closer)
			if n.val == "+=" {
				v = add(p.st.vars[t.val], v)
			}
			p.setVar(t.val, v)
			return v
		}
	}
	v := p.expr(0)
	// Redirections after an expression: > file, 2>&1.
	for p.op(">") || p.op(">>") {
		p.advance()
		if !p.endOfElement(closer) {
			p.advance()
		}
	}
	return v
}

func (p *parser) setVar(name string, v val) {
	if len(p.st.vars) < 4096 || p.st.vars[name].known() {
		p.st.vars[name] = v
	}
}

// keyword parses a language statement: its conditions and bodies are read
// as statements.
func (p *parser) keyword(closer string) val {
	kw := strings.ToLower(p.advance().val)
	switch kw {
	case "function", "filter", "workflow", "class", "enum":
		if p.at(tWord, "") {
			p.advance()
		}
	case "return", "throw", "exit":
		if p.endOfElement(closer) {
			return unknown
		}
		return p.pipeline(closer)
	}
	for !p.endOfElement(closer) {
		switch {
		case p.op("("):
			p.advance()
			p.statements(")")
			p.advance()
			if kw == "param" {
				return unknown
			}
		case p.op("{"):
			p.advance()
			p.statements("}")
			p.advance()
			return p.continuation(closer)
		case p.at(tWord, "") && keywords[strings.ToLower(p.peek().val)]:
			p.advance()
		default:
			before := p.i
			p.expr(0)
			if p.i == before {
				p.advance()
			}
		}
	}
	return p.continuation(closer)
}

// continuation reads else / elseif / catch / finally / until / while after
// a statement's block, on the same line or the next.
func (p *parser) continuation(closer string) val {
	for {
		j := p.i
		for p.toks[j].kind == tNewline {
			j++
		}
		t := p.toks[j]
		if t.kind == tWord {
			switch strings.ToLower(t.val) {
			case "else", "elseif", "catch", "finally", "until", "while":
				p.i = j
				return p.keyword(closer)
			}
		}
		return unknown
	}
}

// builtinAliases are PowerShell's default aliases that matter here.
var builtinAliases = map[string]string{
	"iex": "invoke-expression", "iwr": "invoke-webrequest", "irm": "invoke-restmethod", "wget": "invoke-webrequest",
	"curl": "invoke-webrequest", "sal": "set-alias", "nal": "new-alias", "saps": "start-process", "start": "start-process",
	"icm": "invoke-command", "ii": "invoke-item", "gwmi": "get-wmiobject", "iwmi": "invoke-wmimethod", "swmi": "set-wmiinstance",
	"rwmi": "remove-wmiobject", "gcim": "get-ciminstance", "icim": "invoke-cimmethod", "rcim": "remove-ciminstance",
	"%": "foreach-object", "foreach": "foreach-object", "?": "where-object", "where": "where-object", "sv": "set-variable",
	"set": "set-variable", "gv": "get-variable", "ni": "new-item", "sp": "set-itemproperty", "gp": "get-itemproperty",
	"rp": "remove-itemproperty", "ri": "remove-item", "rm": "remove-item", "del": "remove-item", "erase": "remove-item",
	"rd": "remove-item", "rmdir": "remove-item", "cp": "copy-item", "copy": "copy-item", "cpi": "copy-item", "mv": "move-item",
	"move": "move-item", "mi": "move-item", "gc": "get-content", "cat": "get-content", "type": "get-content",
	"sc": "set-content", "ac": "add-content", "clc": "clear-content", "gci": "get-childitem", "ls": "get-childitem",
	"dir": "get-childitem", "spps": "stop-process", "kill": "stop-process", "gps": "get-process", "ps": "get-process",
	"sasv": "start-service", "spsv": "stop-service", "gsv": "get-service", "ipmo": "import-module", "etsn": "enter-pssession",
	"nsn": "new-pssession", "echo": "write-output", "write": "write-output", "cls": "clear-host", "gcm": "get-command",
	"ihy": "invoke-history", "r": "invoke-history", "clhy": "clear-history", "epal": "export-alias", "ipal": "import-alias",
	"sls": "select-string", "iwrm": "invoke-webrequest",
}

// Resolve returns the canonical name of a command word: lower case,
// directory and extension dropped, aliases expanded.
//
// Aliases match a bare word only: PowerShell looks a name up as an alias
// before anything else, but `sc.exe`, `curl.exe` or `C:\Windows\sc` name
// the program itself (sc.exe is the service controller, not Set-Content).
func Resolve(word string) string {
	n := baseName(word)
	if !bareWord(word, n) {
		return n
	}
	if a, ok := builtinAliases[n]; ok {
		return a
	}
	return implicitGet(n)
}

// defaultVerbNouns are nouns PowerShell runs as Get-<noun> when a bare word
// names no alias, function or program (its command discovery tries the
// Get- verb last: `ChildItem -Recurse` is Get-ChildItem). Only nouns that
// name no common program are listed (not "process": a keyword in function
// bodies; not "date", "help" or "location", which are programs or words
// elsewhere).
var defaultVerbNouns = map[string]bool{
	"childitem": true, "content": true, "item": true, "itemproperty": true, "service": true, "wmiobject": true,
	"ciminstance": true, "clipboard": true, "localuser": true, "localgroupmember": true, "aduser": true,
	"adcomputer": true, "acl": true, "credential": true, "psreadlineoption": true,
}

// implicitGet returns get-<n> for a noun PowerShell would run that way.
func implicitGet(n string) string {
	if defaultVerbNouns[n] {
		return "get-" + n
	}
	return n
}

// bareWord reports whether word, as written, is the name n itself (no
// directory, no extension), which is when an alias can apply.
func bareWord(word, n string) bool {
	return strings.ToLower(strings.Trim(word, "\"' ")) == n
}

func baseName(w string) string {
	w = strings.Trim(w, "\"' ")
	if i := strings.LastIndexAny(w, "/\\"); i >= 0 && i < len(w)-1 {
		w = w[i+1:]
	}
	w = strings.ToLower(w)
	for _, ext := range []string{".exe", ".com", ".cmd", ".bat", ".cpl"} {
		if strings.HasSuffix(w, ext) && len(w) > len(ext) {
			return w[:len(w)-len(ext)]
		}
	}
	return w
}

func (p *parser) resolve(word string) string {
	n := baseName(word)
	if !bareWord(word, n) {
		return n
	}
	for i := 0; i < 4; i++ {
		a, ok := p.st.alias[n]
		if !ok {
			break
		}
		n = a
	}
	if a, ok := builtinAliases[n]; ok {
		return a
	}
	return implicitGet(n)
}

// command parses a command in argument mode. With call, the name is an
// expression (& 'name', & $var, . (…)).
func (p *parser) command(closer string, in val, call bool) val {
	first := p.peek()
	var raw string
	var block val
	if call {
		v := p.primary()
		if v.kind == vBlock {
			block = v
		}
		raw = v.String()
		// & $env:TEMP\x.exe: a path written right after the variable is
		// part of the program's name (argument mode joins them).
		if first.kind == tVar {
			if raw == "" {
				raw = "$" + first.val
			}
			for !p.endOfElement(closer) {
				n := p.peek()
				if n.spaced || n.kind != tWord || !strings.HasPrefix(n.val, "\\") && !strings.HasPrefix(n.val, "/") {
					break
				}
				raw += p.advance().val
			}
		}
	} else if first.kind == tOp {
		raw = p.advance().val
	} else {
		raw = p.wordArg()
	}
	c := Command{Raw: raw, Name: p.resolve(raw), Depth: p.depth, Via: p.via}
	var blocks []val
	var positional []val // constant values of non-parameter arguments
	var params = map[string]val{}
	lastParam := ""
	native, comma := nativeName(c.Name), false
	for !p.endOfElement(closer) && len(c.Args) < 512 {
		t := p.peek()
		switch {
		case t.kind == tParam:
			p.advance()
			name := t.val
			if i := strings.IndexByte(name, ':'); i >= 0 {
				name = name[:i]
				c.Args = append(c.Args, name)
				if !p.endOfElement(closer) && !p.peek().spaced {
					v := p.argValue()
					c.Args = append(c.Args, v.String())
					params[name] = v
				}
				lastParam = ""
				continue
			}
			c.Args = append(c.Args, name)
			lastParam = name
			continue
		case t.kind == tSplat:
			p.advance()
			h := p.st.vars[t.val]
			if h.kind == vHash {
				for _, kv := range h.hash {
					k := "-" + strings.ToLower(kv[0].String())
					c.Args = append(c.Args, k, kv[1].String())
					params[k] = kv[1]
				}
			} else if h.kind == vArr {
				for _, x := range h.arr {
					c.Args = append(c.Args, x.String())
					positional = append(positional, x)
				}
			}
			lastParam = ""
			continue
		case t.kind == tOp && (t.val == ">" || t.val == ">>"):
			p.advance()
			if !p.endOfElement(closer) && !p.op("&") {
				p.argValue()
			} else if p.op("&") {
				p.advance()
				if p.at(tNum, "") {
					p.advance()
				}
			}
			continue
		case t.kind == tOp && t.val == ",":
			// a,b is an array; PowerShell passes it to a native program as
			// the one argument "a,b" (rundll32 x.dll,Entry keeps its shape).
			p.advance()
			comma = native && len(c.Args) > 0 && !strings.HasPrefix(c.Args[len(c.Args)-1], "-")
			continue
		case t.kind == tOp && t.val == "&":
			// cmd-style "a & b" is a syntax error in PowerShell; read b as a command.
			return unknown
		}
		v := p.argValue()
		if v.kind == vBlock {
			blocks = append(blocks, v)
		}
		s := v.String()
		if comma {
			comma = false
			c.Args[len(c.Args)-1] += "," + s
			continue
		}
		c.Args = append(c.Args, s)
		if lastParam != "" {
			params[lastParam] = v
			lastParam = ""
		} else {
			positional = append(positional, v)
		}
	}
	_ = block
	e := p.toks[p.i].start
	if p.i > 0 {
		e = p.toks[p.i-1].end
	}
	c.Start, c.End = p.span(first.start, e)
	if len(p.st.res.Commands) < maxCommands {
		p.st.res.Commands = append(p.st.res.Commands, c)
	}
	return p.effects(c, in, positional, params, blocks)
}

// nativeName reports a command name that is a program rather than a
// cmdlet, alias or function (cmd, rundll32, net1: no verb-noun dash).
func nativeName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// effects applies what a command does to the parse: aliases, variables,
// invoked strings, and the value of ForEach-Object over a constant input.
func (p *parser) effects(c Command, in val, positional []val, params map[string]val, blocks []val) val {
	pos := func(i int) val {
		if i < len(positional) {
			return positional[i]
		}
		return unknown
	}
	named := func(i int, names ...string) val {
		for _, n := range names {
			if v, ok := params[n]; ok {
				return v
			}
		}
		return pos(i)
	}
	switch c.Name {
	case "set-alias", "new-alias":
		n, v := named(0, "-name", "-n"), named(1, "-value", "-v")
		if n.known() && v.known() && len(p.st.alias) < 256 {
			p.st.alias[strings.ToLower(n.String())] = p.resolve(v.String())
		}
	case "set-variable", "new-variable":
		n, v := named(0, "-name", "-n"), named(1, "-value", "-v")
		if n.known() {
			p.setVar(strings.ToLower(n.String()), v)
		}
	case "invoke-expression":
		v := named(0, "-command", "-c")
		if !v.known() {
			v = in
		}
		if v.kind == vStr && !v.raw || v.kind == vBlock {
			p.nested(v.String(), "iex", c.Start, c.End)
		}
	case "foreach-object":
		if len(blocks) == 1 && in.known() {
			return p.mapBlock(blocks[0], in)
		}
	case "write-output":
		if len(positional) == 1 {
			return positional[0]
		}
	}
	return unknown
}

// nested parses a string as PowerShell (Invoke-Expression, decoded text).
func (p *parser) nested(text, via string, s, e int) {
	if strings.TrimSpace(text) == "" || p.depth >= maxDepth {
		return
	}
	if len(p.st.res.Scripts) < 256 {
		p.st.res.Scripts = append(p.st.res.Scripts, Script{Text: text, Via: via, Start: s, End: e})
	}
	p.st.parse(text, p.depth+1, via, s, e, false)
}

// mapBlock evaluates a ForEach-Object script block over each element of a
// constant input, with $_ bound: ('105,101,120'.Split(',') | % {[char][int]$_}).
func (p *parser) mapBlock(b val, in val) val {
	items := in.items()
	if len(items) > 4096 {
		return unknown
	}
	toks := lex(b.s)
	old, had := p.st.vars["_"]
	var out []val
	for _, x := range items {
		if p.st.steps <= 0 {
			return unknown
		}
		q := &parser{toks: toks, st: p.st, depth: p.depth, via: p.via, start: p.start, end: p.end, exact: false, src: b.s}
		p.st.vars["_"] = x
		p.st.vars["psitem"] = x
		v := q.statements("")
		if !v.known() {
			out = nil
			break
		}
		out = append(out, v)
	}
	if had {
		p.st.vars["_"] = old
	} else {
		delete(p.st.vars, "_")
	}
	delete(p.st.vars, "psitem")
	if out == nil {
		return unknown
	}
	return arr(out)
}

// wordArg reads one argument-mode word, gluing tokens written without a
// space between them (c:\"program files"\x, "i"ex).
func (p *parser) wordArg() string {
	return p.argValue().String()
}

// argValue reads one argument in argument mode.
func (p *parser) argValue() val {
	t := p.peek()
	var v val
	switch t.kind {
	case tWord, tNum, tParam:
		p.advance()
		v = str(t.val)
	case tStr:
		p.advance()
		v = p.strVal(t)
	case tVar:
		vt := p.advance()
		v = p.postfix(p.varVal(vt))
		if !v.known() && p.toks[p.i-1].end == vt.end {
			v = rawText(vt.raw) // an unknown variable: its name stands for it
		}
	case tOp:
		switch t.val {
		case "(", "$(", "@(", "@{", "{", "[":
			v = p.postfix(p.primary())
			if !v.known() {
				v = rawText(p.src[t.start:p.toks[p.i-1].end])
			}
		default:
			p.advance()
			v = str(t.val)
		}
	default:
		p.advance()
		return unknown
	}
	// Glue what follows without a space.
	for !p.done() {
		n := p.peek()
		if n.spaced || n.kind == tNewline || n.kind == tEOF {
			break
		}
		if n.kind == tOp && n.val != "." && n.val != "::" && n.val != "=" && n.val != "[" && n.val != "]" && n.val != "+" && n.val != "*" && n.val != "/" && n.val != "%" {
			break
		}
		if n.kind == tOp && (n.val == "." || n.val == "::" || n.val == "[") {
			// Member access on a variable was handled by postfix; here it is text.
		}
		p.advance()
		var x val
		switch n.kind {
		case tStr:
			x = p.strVal(n)
		case tVar:
			if x = p.varVal(n); !x.known() {
				x = str(n.raw)
			}
		default:
			x = str(n.val)
		}
		v = str(v.String() + x.String())
	}
	return v
}

var dqVarRe = regexp.MustCompile(`\$(\{[^}]+\}|[A-Za-z_][A-Za-z0-9_]*(:[A-Za-z_][A-Za-z0-9_]*)?)`)

// strVal expands a string token: variables and $( … ) in double-quoted ones.
func (p *parser) strVal(t token) val {
	if !t.dq || !strings.Contains(t.val, "$") {
		return str(t.val)
	}
	s := t.val
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '(' {
			e := matchParen(s, i+1)
			inner := s[i+2 : max(i+2, e-1)]
			q := &parser{toks: lex(inner), st: p.st, depth: p.depth, via: p.via, start: p.start, end: p.end, src: inner}
			if p.exact {
				q.start, q.end = p.span(t.start, t.end)
			}
			v := q.statements("")
			if v.known() {
				b.WriteString(v.String())
			} else {
				b.WriteString(s[i:e])
			}
			i = e
			continue
		}
		if s[i] == '$' {
			if loc := dqVarRe.FindStringIndex(s[i:]); loc != nil && loc[0] == 0 {
				name := strings.ToLower(strings.Trim(s[i+1:i+loc[1]], "{}"))
				if v, ok := p.lookup(name); ok {
					b.WriteString(v.String())
				} else {
					b.WriteString(s[i : i+loc[1]])
				}
				i += loc[1]
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return str(b.String())
}

// wellKnown are automatic and environment variables with the values they
// have on a default Windows installation: obfuscators index them to spell
// commands ($pshome[4]+$pshome[30]+'x' is iex).
var wellKnown = map[string]string{
	"pshome":            `C:\Windows\System32\WindowsPowerShell\v1.0`,
	"shellid":           "Microsoft.PowerShell",
	"verbosepreference": "SilentlyContinue",
	"env:comspec":       `C:\WINDOWS\system32\cmd.exe`,
	"env:windir":        `C:\WINDOWS`,
	"env:systemroot":    `C:\WINDOWS`,
	"env:public":        `C:\Users\Public`,
	"env:programdata":   `C:\ProgramData`,
	"env:systemdrive":   `C:`,
	"true":              "True",
	"false":             "False",
	"null":              "",
}

func (p *parser) lookup(name string) (val, bool) {
	if v, ok := p.st.vars[name]; ok {
		return v, v.known()
	}
	if s, ok := wellKnown[name]; ok {
		return str(s), true
	}
	return unknown, false
}

func (p *parser) varVal(t token) val {
	if v, ok := p.lookup(t.val); ok {
		return v
	}
	if t.val == "true" {
		return num(1)
	}
	return unknown
}

// Operator precedence, loosest first.
var precedence = map[string]int{
	"-and": 1, "-or": 1, "-xor": 1,
	"-eq": 2, "-ne": 2, "-gt": 2, "-ge": 2, "-lt": 2, "-le": 2, "-like": 2, "-notlike": 2, "-match": 2, "-notmatch": 2,
	"-contains": 2, "-notcontains": 2, "-in": 2, "-notin": 2, "-join": 2, "-split": 2, "-isplit": 2, "-csplit": 2,
	"-replace": 2, "-ireplace": 2, "-creplace": 2, "-is": 2, "-isnot": 2, "-as": 2, "-ieq": 2, "-ceq": 2,
	"-band": 3, "-bor": 3, "-bxor": 3, "-shl": 3, "-shr": 3,
	"+": 4, "-": 4,
	"*": 5, "/": 5, "%": 5,
	"-f": 6,
	"..": 7,
	",":  8,
}

func (p *parser) binop() (string, int) {
	t := p.peek()
	switch t.kind {
	case tParam:
		if n, ok := precedence[t.val]; ok {
			return t.val, n
		}
	case tOp:
		if n, ok := precedence[t.val]; ok {
			return t.val, n
		}
	}
	return "", 0
}

// expr parses a binary expression whose operators bind tighter than min.
func (p *parser) expr(min int) val {
	left := p.unary()
	for !p.done() {
		op, prec := p.binop()
		if prec == 0 || prec <= min {
			return left
		}
		p.advance()
		if op == "," {
			// a, b, c: one array.
			items := append([]val(nil), left.items()...)
			if left.kind != vArr {
				items = []val{left}
			}
			items = append(items, p.expr(prec))
			left = arr(items)
			continue
		}
		right := p.expr(prec)
		left = apply(op, left, right)
	}
	return left
}

func (p *parser) unary() val {
	t := p.peek()
	switch {
	case t.kind == tParam && (t.val == "-join" || t.val == "-not" || t.val == "-bnot" || t.val == "-split"):
		p.advance()
		v := p.unary()
		switch t.val {
		case "-join":
			return join(v, "")
		case "-split":
			if v.kind == vStr {
				return splitStr(v.s, " ")
			}
		}
		return unknown
	case t.kind == tOp && (t.val == "!" || t.val == "-" || t.val == "+" || t.val == "++"):
		p.advance()
		v := p.unary()
		if t.val == "-" {
			if n, ok := v.toNum(); ok {
				return num(-n)
			}
		}
		return unknown
	case t.kind == tOp && t.val == ",":
		p.advance()
		return arr([]val{p.unary()})
	case t.kind == tOp && t.val == "[":
		// A type literal: a cast when an operand follows, else a type value
		// for ::member.
		ty := p.typeLit()
		if p.op("::") {
			return p.postfix(val{kind: vType, s: ty})
		}
		n := p.peek()
		if n.kind == tEOF || n.kind == tNewline || n.kind == tOp && (n.val == ")" || n.val == "}" || n.val == "|" || n.val == ";" || n.val == "," || n.val == "]") {
			return val{kind: vType, s: ty}
		}
		if _, prec := p.binop(); prec > 0 && n.kind != tOp {
			return val{kind: vType, s: ty}
		}
		return castTo(ty, p.unary())
	}
	return p.postfix(p.primary())
}

// typeLit reads [type] (with nested [] for arrays) and returns the type's
// lower-case name without "system.".
func (p *parser) typeLit() string {
	p.advance() // [
	var b strings.Builder
	depth := 1
	for !p.done() {
		t := p.advance()
		if t.kind == tOp && t.val == "[" {
			depth++
		}
		if t.kind == tWord {
			depth += strings.Count(t.raw, "[")
		}
		if t.kind == tOp && t.val == "]" {
			depth--
			if depth == 0 {
				break
			}
		}
		b.WriteString(t.raw)
	}
	ty := strings.ToLower(strings.ReplaceAll(b.String(), " ", ""))
	ty = strings.TrimPrefix(ty, "system.")
	return ty
}

// primary parses a value: a literal, a variable, a group, a hashtable, a
// script block, or a bare word (a string in expression mode).
func (p *parser) primary() val {
	t := p.peek()
	switch t.kind {
	case tStr:
		p.advance()
		return p.strVal(t)
	case tNum:
		p.advance()
		if n, ok := str(t.val).toNum(); ok {
			return num(n)
		}
		return unknown
	case tVar:
		p.advance()
		return p.varVal(t)
	case tWord, tParam:
		p.advance()
		return str(t.val)
	case tOp:
		switch t.val {
		case "(", "$(", "@(", "@{", "{":
			if p.st.nest >= maxNest {
				p.st.steps = 0 // too deep to be a script: stop
				p.advance()
				return unknown
			}
			p.st.nest++
			defer func() { p.st.nest-- }()
		}
		switch t.val {
		case "(", "$(", "@(":
			p.advance()
			v := p.statements(")")
			if p.op(")") {
				p.advance()
			}
			if t.val == "@(" && v.known() && v.kind != vArr {
				v = arr([]val{v})
			}
			return v
		case "@{":
			p.advance()
			return p.hashtable()
		case "{":
			p.advance()
			s := p.peek().start
			p.statements("}")
			e := p.peek().start
			if p.op("}") {
				p.advance()
			}
			return val{kind: vBlock, s: p.src[min(s, e):e]}
		case "[":
			return p.unary()
		}
	}
	p.advance()
	return unknown
}

// hashtable parses @{ key = value; … }.
func (p *parser) hashtable() val {
	h := val{kind: vHash}
	for !p.closes("}") {
		if p.at(tNewline, "") {
			p.advance()
			continue
		}
		k := p.primary()
		if !p.op("=") {
			continue
		}
		p.advance()
		v := p.chain("}")
		if len(h.hash) < 256 {
			h.hash = append(h.hash, [2]val{k, v})
		}
	}
	if p.op("}") {
		p.advance()
	}
	return h
}

// postfix applies member access, method calls and indexing.
func (p *parser) postfix(v val) val {
	for !p.done() {
		t := p.peek()
		if t.spaced || t.kind != tOp {
			return v
		}
		switch t.val {
		case "[":
			p.advance()
			ix := p.statements("]")
			if p.op("]") {
				p.advance()
			}
			v = index(v, ix)
		case ".", "::":
			start := t.start
			p.advance()
			static := t.val == "::"
			var name string
			switch n := p.peek(); n.kind {
			case tWord, tParam:
				p.advance()
				name = strings.ToLower(strings.TrimLeft(n.val, "-"))
			case tStr:
				p.advance()
				name = strings.ToLower(p.strVal(n).String())
			case tVar:
				p.advance()
				name = strings.ToLower(p.varVal(n).String())
			case tOp:
				if n.val == "(" {
					name = strings.ToLower(p.primary().String())
				} else {
					return unknown
				}
			default:
				return unknown
			}
			if p.op("(") && !p.peek().spaced {
				p.advance()
				// [Array]::Reverse($x) reverses the variable's array in
				// place: obfuscators spell a command backwards and turn it
				// round this way before -join.
				reverse := ""
				if static && v.kind == vType && v.s == "array" && name == "reverse" && p.peek().kind == tVar {
					reverse = p.peek().val
				}
				var args []val
				for !p.closes(")") {
					if p.op(",") || p.at(tNewline, "") {
						p.advance()
						continue
					}
					before := p.i
					args = append(args, p.expr(8))
					if p.i == before {
						p.advance()
					}
				}
				end := p.peek().end
				if p.op(")") {
					p.advance()
				}
				if reverse != "" {
					if x, ok := p.lookup(reverse); ok && x.kind == vArr {
						r := make([]val, len(x.arr))
						for i, y := range x.arr {
							r[len(r)-1-i] = y
						}
						p.setVar(reverse, val{kind: vArr, arr: r})
					}
				}
				v = p.method(v, name, static, args, start, end)
				continue
			}
			v = property(v, name, static)
		default:
			return v
		}
	}
	return v
}

// property reads .Length, .Count, [Text.Encoding]::UTF8 and friends.
func property(v val, name string, static bool) val {
	switch {
	case static && (v.s == "text.encoding" || v.s == "text.unicodeencoding" || v.s == "text.utf8encoding"):
		return val{kind: vEnc, s: name}
	case name == "length" || name == "count":
		switch v.kind {
		case vStr:
			return num(int64(len([]rune(v.s))))
		case vArr, vBytes:
			return num(int64(len(v.items())))
		}
	case v.kind == vType && static:
		return unknown
	}
	return unknown
}

// method folds the methods obfuscators use, decodes base64, parses strings
// that become script blocks, and records every other call.
func (p *parser) method(recv val, name string, static bool, args []val, s, e int) val {
	arg := func(i int) val {
		if i < len(args) {
			return args[i]
		}
		return unknown
	}
	if static && recv.kind == vType {
		switch recv.s + "::" + name {
		case "convert::frombase64string":
			in := arg(0)
			if in.kind == vStr {
				if b, ok := decodeB64(in.s); ok {
					text := bytesText(b, "")
					if printable(text) {
						ss, ee := p.span(s, e)
						p.nested(text, "base64", ss, ee)
					}
					return val{kind: vBytes, b: b}
				}
			}
			return unknown
		case "scriptblock::create":
			if v := arg(0); v.kind == vStr {
				ss, ee := p.span(s, e)
				p.nested(v.s, "iex", ss, ee)
				return val{kind: vBlock, s: v.s}
			}
		case "string::join":
			if v := arg(0); v.known() {
				rest := args[1:]
				if len(rest) == 1 {
					return join(rest[0], v.String())
				}
				return join(arr(rest), v.String())
			}
		case "string::concat":
			return join(arr(args), "")
		case "char::convertfromutf32", "convert::tochar":
			if n, ok := arg(0).toNum(); ok {
				return charOf(n)
			}
		case "convert::tostring":
			if v := arg(0); v.known() {
				return str(v.String())
			}
		case "text.encoding::getencoding":
			return val{kind: vEnc, s: strings.ToLower(arg(0).String())}
		}
		p.record(recv.s+"::"+name, recv.s+"::"+name, args, s, e)
		return unknown
	}
	switch recv.kind {
	case vEnc:
		if name == "getstring" {
			if b := arg(0); b.kind == vBytes {
				return str(bytesText(b.b, recv.s))
			}
		}
	case vStr:
		s0 := recv.s
		switch name {
		case "replace":
			if a, b := arg(0), arg(1); a.kind == vStr && b.known() && a.s != "" {
				return str(strings.ReplaceAll(s0, a.s, b.String()))
			}
		case "tolower", "tolowerinvariant":
			return str(strings.ToLower(s0))
		case "toupper", "toupperinvariant":
			return str(strings.ToUpper(s0))
		case "trim":
			return str(strings.TrimSpace(s0))
		case "tostring":
			return recv
		case "substring":
			r := []rune(s0)
			i, ok := arg(0).toNum()
			if !ok || i < 0 || i > int64(len(r)) {
				return unknown
			}
			if n, ok := arg(1).toNum(); ok {
				if n < 0 || i+n > int64(len(r)) {
					return unknown
				}
				return str(string(r[i : i+n]))
			}
			return str(string(r[i:]))
		case "split":
			if a := arg(0); a.kind == vStr {
				return splitStr(s0, a.s)
			}
		case "tochararray":
			return castTo("char[]", recv)
		case "insert":
			r := []rune(s0)
			if i, ok := arg(0).toNum(); ok && i >= 0 && i <= int64(len(r)) && arg(1).known() {
				return str(string(r[:i]) + arg(1).String() + string(r[i:]))
			}
		case "remove":
			r := []rune(s0)
			if i, ok := arg(0).toNum(); ok && i >= 0 && i <= int64(len(r)) {
				n := int64(len(r)) - i
				if m, ok := arg(1).toNum(); ok && m >= 0 && i+m <= int64(len(r)) {
					n = m
				}
				return str(string(r[:i]) + string(r[i+n:]))
			}
		}
	case vBlock:
		if name == "invoke" || name == "invokereturnasis" {
			return unknown
		}
	case vArr:
		if name == "tostring" {
			return str(recv.String())
		}
	}
	p.record("."+name, "."+name, args, s, e)
	return unknown
}

func (p *parser) record(name, raw string, args []val, s, e int) {
	if len(p.st.res.Commands) >= maxCommands {
		return
	}
	c := Command{Name: name, Raw: raw, Method: true, Depth: p.depth, Via: p.via}
	for _, a := range args {
		c.Args = append(c.Args, a.String())
	}
	c.Start, c.End = p.span(s, e)
	p.st.res.Commands = append(p.st.res.Commands, c)
}

func printable(s string) bool {
	if s == "" {
		return false
	}
	bad := 0
	n := 0
	for _, r := range s {
		n++
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0xfffd {
			bad++
		}
	}
	return bad*10 <= n
}

func splitStr(s, sep string) val {
	var parts []string
	if sep == "" {
		parts = []string{s}
	} else {
		parts = strings.Split(s, sep)
	}
	if len(parts) > maxArr {
		return unknown
	}
	out := make([]val, 0, len(parts))
	for _, x := range parts {
		out = append(out, str(x))
	}
	return arr(out)
}

// add applies +: string concatenation, array append, number addition.
func add(a, b val) val {
	switch {
	case a.kind == vStr:
		if !b.known() {
			return unknown
		}
		return str(a.s + b.String())
	case a.kind == vNum && b.kind == vNum:
		return num(a.n + b.n)
	case a.kind == vArr:
		if !b.known() {
			return unknown
		}
		return arr(append(append([]val(nil), a.arr...), b.items()...))
	}
	return unknown
}

// apply folds a binary operator.
func apply(op string, a, b val) val {
	switch op {
	case "+":
		return add(a, b)
	case "-":
		x, ok1 := a.toNum()
		y, ok2 := b.toNum()
		if ok1 && ok2 && a.kind == vNum {
			return num(x - y)
		}
	case "*":
		if a.kind == vStr {
			if n, ok := b.toNum(); ok && n >= 0 && int64(len(a.s))*n <= maxStr {
				return str(strings.Repeat(a.s, int(n)))
			}
		}
		if x, ok := a.toNum(); ok && a.kind == vNum {
			if y, ok := b.toNum(); ok {
				return num(x * y)
			}
		}
	case "-bxor", "-band", "-bor":
		x, ok1 := a.toNum()
		y, ok2 := b.toNum()
		if ok1 && ok2 {
			switch op {
			case "-bxor":
				return num(x ^ y)
			case "-band":
				return num(x & y)
			}
			return num(x | y)
		}
	case "-f":
		if a.kind == vStr {
			return format(a.s, b.items())
		}
	case "-join":
		if b.known() {
			return join(a, b.String())
		}
	case "-split", "-isplit", "-csplit":
		if a.kind == vStr && b.kind == vStr {
			if re, err := regexp.Compile("(?i)" + b.s); err == nil && len(a.s) <= maxStr {
				parts := re.Split(a.s, maxArr)
				out := make([]val, 0, len(parts))
				for _, x := range parts {
					out = append(out, str(x))
				}
				return arr(out)
			}
		}
	case "-replace", "-ireplace", "-creplace":
		if a.known() && !(a.kind == vArr) {
			items := b.items()
			pat := items[0]
			repl := ""
			if len(items) > 1 {
				repl = items[1].String()
			}
			if pat.kind == vStr {
				flags := "(?i)"
				if op == "-creplace" {
					flags = ""
				}
				if re, err := regexp.Compile(flags + pat.s); err == nil {
					return str(re.ReplaceAllString(a.String(), strings.ReplaceAll(repl, "$", "$$")))
				}
			}
		}
	case "..":
		x, ok1 := a.toNum()
		y, ok2 := b.toNum()
		if ok1 && ok2 && (y-x) < maxArr && (x-y) < maxArr {
			var out []val
			if x <= y {
				for i := x; i <= y; i++ {
					out = append(out, num(i))
				}
			} else {
				for i := x; i >= y; i-- {
					out = append(out, num(i))
				}
			}
			return arr(out)
		}
	}
	return unknown
}
