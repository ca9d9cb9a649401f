package commands

import (
	"strings"

	"github.com/picketsec/picket/detectors/commands/internal/cmdexe"
	"github.com/picketsec/picket/detectors/commands/internal/pwsh"
)

// inv is one program invocation, from any of the three parsers, as the
// catalogue reads it.
type inv struct {
	name       string   // normalized program name (lower case, no directory or extension)
	raw        string   // the program as written
	args       []string // arguments
	start, end int      // span in the analysed text
	win        bool     // read by the PowerShell or cmd.exe parser
	method     bool     // a .NET method call read by the PowerShell parser
	sudo       bool     // run by sudo or doas (POSIX)
	covered    bool     // a POSIX call in a text the Windows parsers read too
}

// windowsParse reads the Windows scripts of the analysis with the
// PowerShell and cmd.exe parsers: the text itself when it looks like
// Windows, and every PowerShell or cmd.exe script found inside it
// (-Command, -EncodedCommand, cmd /c, strings given to Invoke-Expression,
// base64 decoded). Commands they run through bash, sh or wsl are read by
// the POSIX parser.
func (a *analysis) windowsParse() {
	seen := map[string]bool{}
	if a.windowsish() {
		a.winTop = true
		a.winScript(a.text, "auto", 0, len(a.text), 0, true, seen)
	}
	for i := 0; i < len(a.extra) && i < 256 && a.ctx.Err() == nil; i++ {
		x := a.extra[i]
		if x.parsed {
			continue
		}
		a.winScript(x.text, x.kind, x.start, x.end, 1, false, seen)
	}
}

// winScript parses one Windows script. kind is "ps", "cmd" or "auto" (both
// parsers: a text whose dialect is not known).
func (a *analysis) winScript(src, kind string, start, end, depth int, exact bool, seen map[string]bool) {
	if depth > maxDepth || strings.TrimSpace(src) == "" || a.budget <= 0 || len(a.wins) >= maxCalls {
		return
	}
	key := kind + "\x00" + src
	if seen[key] || len(seen) > 512 {
		return
	}
	seen[key] = true
	span := func(s, e int) (int, int) {
		if !exact || s < 0 || e > len(src) || s > e {
			return start, end
		}
		return start + s, start + e
	}
	if kind == "auto" {
		kind = dialect(src)
	}
	if kind == "ps" || kind == "auto" {
		r := pwsh.Parse(src)
		for _, sc := range r.Scripts {
			s, e := span(sc.Start, sc.End)
			a.extra = append(a.extra, extraText{text: sc.Text, start: s, end: e, kind: "ps", parsed: true, encoded: false})
		}
		for _, c := range r.Commands {
			s, e := span(c.Start, c.End)
			if c.Depth > 0 {
				s, e = span(c.Start, c.End)
			}
			a.budget--
			in := inv{name: c.Name, raw: c.Raw, args: c.Args, start: s, end: e, win: true, method: c.Method}
			a.wins = append(a.wins, in)
			if !c.Method {
				a.dispatch(in, depth, seen)
			}
		}
	}
	if kind == "cmd" || kind == "auto" {
		for _, c := range cmdexe.Parse(src) {
			s, e := span(c.Start, c.End)
			a.budget--
			in := inv{name: c.Name, raw: c.Raw, args: c.Args, start: s, end: e, win: true}
			a.wins = append(a.wins, in)
			a.dispatch(in, depth, seen)
		}
	}
}

// dispatch follows a Windows command into the script it runs.
func (a *analysis) dispatch(in inv, depth int, seen map[string]bool) {
	switch in.name {
	case "powershell", "pwsh", "powershell_ise":
		if t, enc := psInner(in.args); t != "" {
			if enc {
				a.extra = append(a.extra, extraText{text: t, start: in.start, end: in.end, kind: "ps", encoded: true, parsed: true})
			}
			a.winScript(t, "ps", in.start, in.end, depth+1, false, seen)
		}
	case "cmd":
		if t := cmdexe.Inner(in.args); t != "" {
			a.winScript(strings.Trim(t, "\" "), "cmd", in.start, in.end, depth+1, false, seen)
		}
	case "bash", "sh", "zsh", "dash":
		for i, x := range in.args {
			if x == "-c" || x == "-lc" || x == "-ic" || x == "-cl" {
				if i+1 < len(in.args) {
					a.posix(in.args[i+1], in, depth)
				}
				return
			}
		}
	case "wsl", "wsl.exe", "ubuntu", "debian", "kali":
		// wsl [-d distro] [-u user] [-e|--exec|--] command …
		args := in.args
		for i := 0; i < len(args); i++ {
			switch strings.ToLower(args[i]) {
			case "-d", "--distribution", "-u", "--user", "--cd":
				i++
				continue
			case "-e", "--exec":
				a.posix(joinArgv(args[i+1:]), in, depth)
				return
			case "--", "run", "-c":
				// The rest is a command line for the default shell.
				a.posix(strings.Join(args[i+1:], " "), in, depth)
				return
			}
			if !strings.HasPrefix(args[i], "-") {
				a.posix(strings.Join(args[i:], " "), in, depth)
				return
			}
		}
	case "start-process", "invoke-item":
		// Start-Process [-FilePath] prog [-ArgumentList] "args"
		var prog, argl string
		pos := 0
		for i := 0; i < len(in.args); i++ {
			f := strings.ToLower(in.args[i])
			switch {
			case strings.HasPrefix(f, "-f") && strings.HasPrefix("-filepath", f) && i+1 < len(in.args):
				prog = in.args[i+1]
				i++
			case (f == "-args" || strings.HasPrefix(f, "-a") && strings.HasPrefix("-argumentlist", f)) && i+1 < len(in.args):
				argl = in.args[i+1]
				i++
			case strings.HasPrefix(f, "-"):
				if f == "-verb" || f == "-windowstyle" || f == "-workingdirectory" || f == "-credential" || f == "-redirectstandardoutput" || f == "-redirectstandarderror" || f == "-redirectstandardinput" {
					i++
				}
			default:
				if pos == 0 && prog == "" {
					prog = in.args[i]
				} else if pos == 1 && argl == "" {
					argl = in.args[i]
				}
				pos++
			}
		}
		if prog != "" {
			line := quoteWord(prog) + " " + argl
			a.winScript(line, "cmd", in.start, in.end, depth+1, false, seen)
		}
	}
}

// dialect guesses whether a Windows text is PowerShell ("ps"), cmd.exe
// ("cmd"), or either ("auto": both parsers read it), from signs only one
// of them has. Plain substring tests: this runs on every Windows text.
func dialect(s string) string {
	if len(s) > 4096 {
		s = s[:4096] // the dialect shows in the first lines
	}
	l := asciiLower(s)
	ps := psVarSign(l) || containsAny(l, "@{", "@(", "]::", "-object", "invoke-", "get-", "set-", "new-", "write-", "foreach-",
		"where-", "select-", "remove-", "start-", "| iex", "|iex", "| %", "$env:")
	cmd := hasCmdVar(l) || containsAny(l, "echo off", "set /a", "setlocal", "for /f", "for /d", "for /r", "for /l", "goto ", "if exist",
		"if not exist", "errorlevel", "%%", "^&", "^|", "call :") || caretEscaped(l) || lineStartsWith(l, "set ", "@set ")
	switch {
	case ps && !cmd && !quotedProgram(s):
		return "ps"
	case cmd && !ps:
		return "cmd"
	}
	return "auto"
}

// quotedProgram reports a command line that starts with a quoted program
// path ("C:\…\x.exe" args), as process-creation logs write them: cmd.exe
// runs it, while PowerShell would read the quoted path as a string (it
// needs & to call it), so such a text is not PowerShell alone.
func quotedProgram(s string) bool {
	t := strings.TrimLeft(s, " \t")
	if len(t) < 6 || t[0] != '"' {
		return false
	}
	end := strings.IndexByte(t[1:], '"')
	if end < 4 {
		return false
	}
	p := asciiLower(t[1 : 1+end])
	return strings.HasSuffix(p, ".exe") || strings.HasSuffix(p, ".com") || strings.HasSuffix(p, ".bat") || strings.HasSuffix(p, ".cmd")
}

// psVarSign reports a $name variable.
func psVarSign(l string) bool {
	for i := strings.IndexByte(l, '$'); i >= 0 && i+1 < len(l); {
		if c := l[i+1]; c >= 'a' && c <= 'z' || c == '_' || c == '{' || c == '(' {
			return true
		}
		j := strings.IndexByte(l[i+1:], '$')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

// hasCmdVar reports a %NAME% or %NAME:…% reference.
func hasCmdVar(l string) bool {
	for i := strings.IndexByte(l, '%'); i >= 0 && i+1 < len(l); {
		j := i + 1
		for j < len(l) && (l[j] >= 'a' && l[j] <= 'z' || l[j] == '_' || j > i+1 && l[j] >= '0' && l[j] <= '9') {
			j++
		}
		if j > i+1 && j < len(l) && (l[j] == '%' || l[j] == ':') {
			return true
		}
		k := strings.IndexByte(l[i+1:], '%')
		if k < 0 {
			return false
		}
		i += k + 1
	}
	return false
}

// caretEscaped reports ^ between two letters (c^e^r^t…).
func caretEscaped(l string) bool {
	for i := strings.IndexByte(l, '^'); i > 0 && i+1 < len(l); {
		if isLetter(l[i-1]) && isLetter(l[i+1]) {
			return true
		}
		j := strings.IndexByte(l[i+1:], '^')
		if j < 0 {
			return false
		}
		i += j + 1
	}
	return false
}

func lineStartsWith(l string, prefixes ...string) bool {
	for _, line := range strings.Split(l, "\n") {
		t := strings.TrimLeft(line, " \t&(")
		for _, p := range prefixes {
			if strings.HasPrefix(t, p) {
				return true
			}
		}
	}
	return false
}

func quoteWord(s string) string {
	if strings.ContainsAny(s, " \t") {
		return "\"" + s + "\""
	}
	return s
}

// posix reads a command that a Windows command runs in a POSIX shell.
func (a *analysis) posix(src string, in inv, depth int) {
	if strings.TrimSpace(src) == "" {
		return
	}
	a.script(src, in.start, in.end, depth+1, "-c", false, in.name)
}

// invocations returns every invocation the catalogue reads: the POSIX
// parser's calls and the Windows parsers' commands.
func (a *analysis) invocations() []inv {
	out := make([]inv, 0, len(a.calls)+len(a.wins))
	for _, c := range a.calls {
		if c.name == "" {
			continue
		}
		out = append(out, inv{name: c.name, raw: c.argv0(), args: c.args(), start: c.start, end: c.end, sudo: c.wrapped("sudo") || c.wrapped("doas"),
			covered: a.winTop && c.depth == 0})
	}
	return append(out, a.wins...)
}
