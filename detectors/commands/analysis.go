package commands

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"
)

// Limits that keep one Detect call bounded whatever the input.
const (
	maxDepth     = 6       // nested scripts (bash -c, eval, decoded payloads)
	maxCalls     = 4000    // simple commands judged per item
	maxTextBytes = 1 << 20 // bytes of one command text that are parsed
	maxSubstNest = 16      // nested $(…) walked
)

// redir is one redirection of a simple command.
type redir struct {
	op     string // ">", ">>", "<", "<>", ">&", "<&", "&>", "&>>", "<<", "<<<"
	fd     string // explicit descriptor ("2" in 2>), or ""
	target string // resolved target word, or the here-document body
}

// call is one simple command after unwrapping, with what feeds it and where
// its output goes.
type call struct {
	argv     []string // resolved words; argv[0] is the program as written
	name     string   // normalized program name: base name, lower case, no .exe
	assigns  map[string]string
	redirs   []redir
	prev     *call           // previous stage of the pipeline (feeds stdin)
	next     *call           // next stage of the pipeline (reads stdout)
	stdin    string          // here-string or here-document body, when one feeds stdin
	substs   []*call         // commands inside $(…), `…` and <(…) of this command's words
	argSubst map[int][]*call // the same, per argument index
	argAt    []int           // where each argument's value starts verbatim in the analysed text, or -1
	argSpan  [][2]int        // span of each argument word
	wrappers []string        // programs that ran this one (sudo, env, xargs, find -exec, an interpreter)
	via      string          // how the command was reached: "" (top level), "-c", "eval", "stdin", "code", "decoded"
	start    int             // span in the analysed text
	end      int
	depth    int
	bg       bool     // run in the background (&)
	negated  bool     // "! cmd": also how a shell escape typed into a pager reads
	wrote    bool     // written is computed
	written  []string // files the call writes (see writes)
	inners   []*call  // commands this one runs directly (sudo x, xargs x, find -exec x)
	a        *analysis
}

// arg returns argv[i] or "".
func (c *call) arg(i int) string {
	if i < len(c.argv) {
		return c.argv[i]
	}
	return ""
}

// args returns the arguments after the program name.
func (c *call) args() []string {
	if len(c.argv) < 2 {
		return nil
	}
	return c.argv[1:]
}

// wrapped reports whether another program ran this one.
func (c *call) wrapped(name string) bool {
	for _, w := range c.wrappers {
		if w == name {
			return true
		}
	}
	return false
}

// analysis holds every simple command found in one text, nested scripts
// included, and the facts that rules share.
type analysis struct {
	ctx      context.Context
	text     string
	calls    []*call
	vars     map[string]string
	funcs    map[string]*syntax.FuncDecl
	forkBomb [2]int // span of a self-replicating function, when one is found
	hasFork  bool
	parseErr bool
	extra    []extraText // scripts in other languages (PowerShell, cmd.exe)
	wins     []inv       // commands the PowerShell and cmd.exe parsers read
	winTop   bool        // the text itself was read by the Windows parsers
	winKnown bool        // winIs is computed
	winIs    bool        // the text looks like Windows (see windowsish)
	budget   int
	execs    map[*call]string // base names of the files each call runs (download-then-run)
	cfgDone  bool
	cfgWrite []*call // top-level calls that write a configuration that runs code (config-exec)
}

var parserPool = sync.Pool{New: func() any {
	return syntax.NewParser(syntax.Variant(syntax.LangBash))
}}

// analyze parses text as a bash script and collects its simple commands,
// falling back to a tokenizer when it does not parse.
func analyze(ctx context.Context, text string) *analysis {
	if len(text) > maxTextBytes {
		text = text[:maxTextBytes]
	}
	a := &analysis{ctx: ctx, text: text, vars: map[string]string{}, funcs: map[string]*syntax.FuncDecl{}, budget: maxCalls}
	a.script(text, 0, len(text), 0, "", true)
	a.windowsParse()
	a.post()
	return a
}

// later returns the calls of c's analysis that come after c, in order: the
// commands a file c fetched, wrote or cloned could be run by.
func (c *call) later() []*call {
	for i, o := range c.a.calls {
		if o == c {
			return c.a.calls[i+1:]
		}
	}
	return nil
}

// script parses src (which sits at [start,end) of the analysed text; when
// exact, src is the text itself at start and offsets map one to one) and
// walks it.
func (a *analysis) script(src string, start, end, depth int, via string, exact bool, wrappers ...string) []*call {
	if depth > maxDepth || a.budget <= 0 || a.ctx.Err() != nil {
		return nil
	}
	src = placeholders(src)
	p := parserPool.Get().(*syntax.Parser)
	f, err := p.Parse(strings.NewReader(src), "")
	parserPool.Put(p)
	w := &walker{a: a, src: src, base: start, end: end, exact: exact, depth: depth, via: via, wrappers: wrappers}
	if err != nil {
		if depth == 0 {
			a.parseErr = true
		}
		return w.tokenize(src)
	}
	for _, s := range f.Stmts {
		w.stmt(s)
	}
	return w.out
}

// walker turns one parsed script into calls.
type walker struct {
	a        *analysis
	src      string
	base     int
	end      int
	exact    bool
	depth    int
	via      string
	wrappers []string
	out      []*call
	nest     int // depth of $(…) nesting
}

// span maps a node's positions into the analysed text.
func (w *walker) span(p, e syntax.Pos) (int, int) {
	if !w.exact {
		return w.base, w.end
	}
	s, t := int(p.Offset()), int(e.Offset())
	if s > len(w.src) || t > len(w.src) || s > t || !p.IsValid() || !e.IsValid() {
		return w.base, w.end
	}
	return w.base + s, w.base + t
}

func (w *walker) stmts(ss []*syntax.Stmt) {
	for _, s := range ss {
		w.stmt(s)
	}
}

func (w *walker) stmt(s *syntax.Stmt) {
	if s == nil || w.a.budget <= 0 {
		return
	}
	w.pipeline(s)
}

// pipeline walks a statement that may be a pipeline and links its stages.
// It returns the first and last simple commands of the statement, so that a
// pipe around it can be linked.
func (w *walker) pipeline(s *syntax.Stmt) (first, last *call) {
	if s == nil || w.a.budget <= 0 {
		return nil, nil
	}
	switch cmd := s.Cmd.(type) {
	case nil:
		// A bare redirection (> /var/log/wtmp) truncates or creates its
		// target: it is a command with no program.
		if len(s.Redirs) == 0 {
			return nil, nil
		}
		c := &call{assigns: map[string]string{}, a: w.a, depth: w.depth, via: w.via, wrappers: append([]string(nil), w.wrappers...)}
		c.start, c.end = w.span(s.Pos(), s.End())
		for _, r := range s.Redirs {
			c.redirs = append(c.redirs, w.redirect(r, c))
		}
		w.add(c)
		return c, c
	case *syntax.BinaryCmd:
		if cmd.Op == syntax.Pipe || cmd.Op == syntax.PipeAll {
			fx, lx := w.pipeline(cmd.X)
			fy, ly := w.pipeline(cmd.Y)
			if lx != nil && fy != nil {
				link(lx, fy)
			}
			w.applyRedirs(s, ly)
			if fx == nil {
				fx = fy
			}
			return fx, ly
		}
		w.pipeline(cmd.X)
		w.pipeline(cmd.Y)
		return nil, nil
	case *syntax.CallExpr:
		c := w.callExpr(s, cmd)
		return c, c
	case *syntax.Subshell:
		n := len(w.out)
		w.stmts(cmd.Stmts)
		return w.groupEnds(n, s)
	case *syntax.Block:
		n := len(w.out)
		w.stmts(cmd.Stmts)
		return w.groupEnds(n, s)
	case *syntax.IfClause:
		for c := cmd; c != nil; c = c.Else {
			w.stmts(c.Cond)
			w.stmts(c.Then)
		}
	case *syntax.WhileClause:
		n := len(w.out)
		w.stmts(cmd.Cond)
		w.stmts(cmd.Do)
		return w.groupEnds(n, s)
	case *syntax.ForClause:
		if wi, ok := cmd.Loop.(*syntax.WordIter); ok {
			first := ""
			for i, x := range wi.Items {
				v := w.word(x, nil, -1)
				if i == 0 {
					first = v
				}
			}
			// for f in /home/*/.ssh/id_*; do cat "$f"; done reads what the
			// first item names: the loop variable stands for it.
			if wi.Name != nil && first != "" && !strings.ContainsAny(first, "$`") {
				w.a.vars[wi.Name.Value] = first
			}
		}
		n := len(w.out)
		w.stmts(cmd.Do)
		return w.groupEnds(n, s)
	case *syntax.CaseClause:
		w.word(cmd.Word, nil, -1)
		for _, it := range cmd.Items {
			w.stmts(it.Stmts)
		}
	case *syntax.FuncDecl:
		if cmd.Name != nil {
			w.a.funcs[cmd.Name.Value] = cmd
			if selfForks(cmd) {
				w.a.hasFork = true
				w.a.forkBomb[0], w.a.forkBomb[1] = w.span(cmd.Pos(), cmd.End())
			}
		}
		w.pipeline(cmd.Body)
	case *syntax.DeclClause:
		variant := "declare"
		if cmd.Variant != nil {
			variant = cmd.Variant.Value
		}
		c := &call{argv: []string{variant}, name: variant, assigns: map[string]string{}, a: w.a, depth: w.depth, via: w.via,
			wrappers: append([]string(nil), w.wrappers...)}
		c.start, c.end = w.span(s.Pos(), s.End())
		for _, as := range cmd.Args {
			w.assign(as, nil)
			switch {
			case as.Name != nil:
				c.argv = append(c.argv, as.Name.Value+"="+w.a.vars[as.Name.Value])
			case as.Value != nil:
				c.argv = append(c.argv, w.word(as.Value, c, -1))
			}
		}
		for _, r := range s.Redirs {
			c.redirs = append(c.redirs, w.redirect(r, c))
		}
		w.add(c)
		return c, c
	case *syntax.LetClause:
	case *syntax.TimeClause:
		tw := *w
		tw.wrappers = append(append([]string(nil), w.wrappers...), "time")
		tw.out = nil
		f, l := tw.pipeline(cmd.Stmt)
		w.out = append(w.out, tw.out...)
		return f, l
	case *syntax.CoprocClause:
		return w.pipeline(cmd.Stmt)
	case *syntax.TestClause:
		syntax.Walk(cmd, func(n syntax.Node) bool {
			if x, ok := n.(*syntax.Word); ok {
				w.word(x, nil, -1)
				return false
			}
			return true
		})
	}
	return nil, nil
}

// link joins two pipeline stages, and the commands that either runs.
func link(l, f *call) {
	l.next = f
	f.prev = l
	for _, x := range f.inners {
		if x.prev == nil {
			x.prev = l
			link2prev(x, l)
		}
	}
	for _, x := range l.inners {
		if x.next == nil {
			x.next = f
		}
	}
}

func link2prev(x, l *call) {
	for _, y := range x.inners {
		if y.prev == nil {
			y.prev = l
			link2prev(y, l)
		}
	}
}

// groupEnds gives the first and last simple commands of a ( … ) or { … }
// group (those walked since index n) so that a pipeline can feed it or read
// it, and applies the group's redirections to its last command.
func (w *walker) groupEnds(n int, s *syntax.Stmt) (*call, *call) {
	if n >= len(w.out) {
		return nil, nil
	}
	first, last := w.out[n], w.out[len(w.out)-1]
	w.applyRedirs(s, last)
	return first, last
}

func (w *walker) applyRedirs(s *syntax.Stmt, c *call) {
	if c == nil || len(s.Redirs) == 0 {
		return
	}
	if _, ok := s.Cmd.(*syntax.CallExpr); ok {
		return
	}
	for _, r := range s.Redirs {
		c.redirs = append(c.redirs, w.redirect(r, c))
	}
}

// selfForks reports whether a function calls itself at least twice in one
// pipeline or in the background: the shape of a fork bomb.
func selfForks(fd *syntax.FuncDecl) bool {
	name := fd.Name.Value
	n, bg := 0, false
	syntax.Walk(fd.Body, func(nd syntax.Node) bool {
		switch x := nd.(type) {
		case *syntax.CallExpr:
			if len(x.Args) > 0 && x.Args[0].Lit() == name {
				n++
			}
		case *syntax.Stmt:
			if x.Background {
				bg = true
			}
		}
		return true
	})
	return n >= 2 || (n >= 1 && bg)
}

func (w *walker) assign(as *syntax.Assign, c *call) {
	if as == nil || as.Name == nil {
		if as != nil && as.Value != nil {
			w.word(as.Value, c, -1)
		}
		return
	}
	val := ""
	if as.Value != nil {
		val = w.word(as.Value, c, -1)
	}
	if as.Array != nil {
		var parts []string
		for _, el := range as.Array.Elems {
			if el.Value != nil {
				parts = append(parts, w.word(el.Value, c, -1))
			}
		}
		val = strings.Join(parts, " ")
	}
	if c != nil {
		c.assigns[as.Name.Value] = val
		return
	}
	if as.Append {
		val = w.a.vars[as.Name.Value] + val
	}
	w.a.vars[as.Name.Value] = val
}

// callExpr turns a simple command into a call (or several, when it wraps
// or runs others).
func (w *walker) callExpr(s *syntax.Stmt, ce *syntax.CallExpr) *call {
	w.a.budget--
	c := &call{assigns: map[string]string{}, depth: w.depth, via: w.via, a: w.a, bg: s.Background, negated: s.Negated,
		wrappers: append([]string(nil), w.wrappers...)}
	c.start, c.end = w.span(s.Pos(), s.End())
	for _, as := range ce.Assigns {
		w.assign(as, c)
	}
	if len(ce.Args) == 0 {
		// Plain assignments change the shell's variables.
		for k, v := range c.assigns {
			w.a.vars[k] = v
		}
		c.argv = nil
	}
	if e := ce.End(); len(s.Redirs) == 0 && e.IsValid() {
		_, c.end = w.span(s.Pos(), e)
	} else if len(s.Redirs) > 0 {
		_, c.end = w.span(s.Pos(), s.Redirs[len(s.Redirs)-1].End())
	}
	for i, x := range ce.Args {
		c.argv = append(c.argv, w.word(x, c, i))
		c.argAt = append(c.argAt, w.verbatimAt(x))
		s, e := w.span(x.Pos(), x.End())
		c.argSpan = append(c.argSpan, [2]int{s, e})
	}
	for _, r := range s.Redirs {
		c.redirs = append(c.redirs, w.redirect(r, c))
	}
	w.finish(c)
	return c
}

// redirect resolves one redirection; here-documents and here-strings become
// the call's stdin.
func (w *walker) redirect(r *syntax.Redirect, c *call) redir {
	rd := redir{op: r.Op.String()}
	if r.N != nil {
		rd.fd = r.N.Value
	}
	switch r.Op {
	case syntax.Hdoc, syntax.DashHdoc:
		if r.Hdoc != nil {
			rd.target = w.word(r.Hdoc, c, -1)
		}
		c.stdin = rd.target
	case syntax.WordHdoc:
		if r.Word != nil {
			rd.target = w.word(r.Word, c, -1)
		}
		c.stdin = rd.target
	default:
		if r.Word != nil {
			rd.target = w.word(r.Word, c, -1)
		}
	}
	return rd
}

// finish names the call, records it and unwraps what it runs.
func (w *walker) finish(c *call) {
	if len(c.argv) == 0 {
		w.add(c)
		return
	}
	if n := promptWords(c.argv); n > 0 && len(c.argv) > n {
		// A copied prompt: "$ file /bin/bash", "root@kali:~# id",
		// "[bob@web ~]$ id", "bash-5.1$ id".
		c.argv = c.argv[n:]
		if len(c.argAt) > n {
			c.argAt, c.argSpan = c.argAt[n:], c.argSpan[n:]
		}
	}
	if i := strings.Index(c.argv[0], "!"); i >= 0 && i < len(c.argv[0])-1 && i < 4 && c.argv[0] != "!" {
		// "!/bin/sh" or "^K!sh": a shell escape typed into an interactive program.
		c.argv[0] = c.argv[0][i+1:]
		c.negated = true
	}
	c.name = progName(c.argv[0])
	if fn, ok := w.a.funcs[c.argv[0]]; ok && fn != nil {
		// A call of a function defined in the script: judged where defined.
		w.add(c)
		return
	}
	w.add(c)
	w.unwrap(c)
}

func (w *walker) add(c *call) {
	w.out = append(w.out, c)
	w.a.calls = append(w.a.calls, c)
}

// progName normalizes a program word: base name, lower case, .exe dropped,
// and a version suffix of an interpreter kept ("python3").
func progName(p string) string {
	p = strings.TrimLeft(p, "\\")
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 && i < len(p)-1 {
		p = p[i+1:]
	}
	p = strings.ToLower(p)
	p = strings.TrimSuffix(p, ".exe")
	return p
}

// shellPromptRe matches the prompt words shells print before a command:
// user@host:dir$ or #, bash-5.1$, and the one-word prompts.
var shellPromptRe = regexp.MustCompile(`^([\w.-]+@[\w.-]+(:\S*)?|(ba|z|k|da)?sh(-[\d.]+)?|[\w.-]+@[\w.-]+ ?\S*\])?[#$%>]$`)

// promptWords returns how many leading words of argv are a copied shell
// prompt, or 0.
func promptWords(argv []string) int {
	switch {
	case len(argv) == 0:
		return 0
	case argv[0] == "$" || argv[0] == "#" || argv[0] == "%":
		return 1
	case len(argv[0]) > 2 && strings.HasPrefix(argv[0], "[") && strings.Contains(argv[0], "@"):
		// [root@host ~]# : the prompt is two words.
		for i := 0; i < len(argv) && i < 3; i++ {
			if strings.HasSuffix(argv[i], "]#") || strings.HasSuffix(argv[i], "]$") {
				return i + 1
			}
		}
	case len(argv[0]) > 1 && strings.ContainsAny(argv[0][len(argv[0])-1:], "#$") && shellPromptRe.MatchString(argv[0]):
		return 1
	}
	return 0
}
