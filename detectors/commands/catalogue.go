package commands

import (
	_ "embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/BurntSushi/toml"

	"github.com/picketsec/picket/sdk"
)

// catalogue.toml is the table of abused programs: each row names programs,
// the arguments that make a call dangerous, an effect class, an ATT&CK
// technique and a severity, with commands it must and must not flag
// (checked by TestRuleExamples). Adding a program is adding a row.
//
//go:embed catalogue.toml
var catalogueTOML string

// entry is one catalogue row.
type entry struct {
	ID        string   `toml:"id"`
	Programs  []string `toml:"programs"` // names; "*" is any program
	NamesRe   string   `toml:"names_re"` // or a regular expression over the normalized name
	Path      string   `toml:"path"`     // regular expression over the program as written (lower case, / for \\)
	Platform  string   `toml:"platform"` // "windows" (names and flags case-insensitive, /flag = -flag), "posix", "any"
	Class     string   `toml:"class"`
	Technique string   `toml:"technique"`
	Severity  string   `toml:"severity"`
	Message   string   `toml:"message"`
	Sub       []string `toml:"sub"`       // any of these subcommands: positional words, consecutive, near the start
	Flags     []string `toml:"flags"`     // any of these flags
	AllFlags  []string `toml:"all_flags"` // every one of these flags
	Args      string   `toml:"args"`      // regular expression over the arguments (lower case, joined by spaces)
	Also      string   `toml:"also"`      // a second one that must match too (two simple patterns run faster than one with both orders)
	Not       string   `toml:"not"`       // regular expression that must not match the arguments
	Sudo      bool     `toml:"sudo"`      // only when run by sudo or doas
	Keywords  []string `toml:"keywords"`  // one of these must occur in the name or the arguments (a cheap prefilter, lower case)
	Policy    string   `toml:"policy"`    // "admin-or-public": an argument is a JSON policy document that allows every action or any principal
	Must      []string `toml:"must"`
	MustNot   []string `toml:"must_not"`

	re, also, not, names, path *litRe
	open                       bool     // a row for any program ("*") or names_re: args may match the program word too
	nameHits                   sync.Map // name → bool: names_re results (names repeat across calls)
	nameHitsN                  atomic.Int32
	subs                       [][]string
	flags                      []string
	all                        []string
	rule                       *rule
}

type catalogueFile struct {
	Entry []*entry `toml:"entry"`
}

var (
	catalogue      []*entry
	catalogueIndex map[string][]*entry
	catalogueOpen  []*entry // rows for any program, or for names matched by a regular expression
)

func init() {
	es, err := loadCatalogue(catalogueTOML)
	if err != nil {
		panic(err) // the embedded table is checked by the tests
	}
	catalogue = es
	catalogueIndex = map[string][]*entry{}
	for _, e := range es {
		if e.names != nil {
			e.open = true
			catalogueOpen = append(catalogueOpen, e)
		}
		for _, p := range e.Programs {
			if p == "*" {
				e.open = true
				catalogueOpen = append(catalogueOpen, e)
				continue
			}
			n := progKey(p)
			catalogueIndex[n] = append(catalogueIndex[n], e)
		}
	}
	winCatalogue = winCatalogueNames()
	for i, e := range catalogueOpen {
		if len(e.Keywords) == 0 {
			openUnkeyed = append(openUnkeyed, i)
		}
		for _, k := range e.Keywords {
			openKeywords.add(k, i)
			if strings.HasPrefix(k, "-") {
				openKeywords.add("/"+k[1:], i)
			}
		}
	}
}

// openKeywords finds, in one pass over an invocation's words, the open rows
// (any program, names_re) one of whose keywords occurs; openUnkeyed are the
// open rows with no keyword. The open rows are asked of every invocation,
// and asking each for its keywords cost more than their patterns.
var (
	openKeywords = &kwIndex{}
	openUnkeyed  []int
)

var (
	techniqueRe = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	escapeRe    = regexp.MustCompile(`\\.`)
	upperRe     = regexp.MustCompile(`[A-Z]`)
)

// loadCatalogue parses and checks the table.
func loadCatalogue(src string) ([]*entry, error) {
	var f catalogueFile
	md, err := toml.Decode(src, &f)
	if err != nil {
		return nil, fmt.Errorf("commands: catalogue: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("commands: catalogue: unknown field %s", und[0])
	}
	seen := map[string]bool{}
	for i, e := range f.Entry {
		where := fmt.Sprintf("commands: catalogue entry %d (%s)", i, e.ID)
		if e.ID == "" || seen[e.ID] {
			return nil, fmt.Errorf("%s: missing or duplicate id", where)
		}
		seen[e.ID] = true
		if len(e.Programs) == 0 && e.NamesRe == "" || e.Class == "" || e.Message == "" {
			return nil, fmt.Errorf("%s: programs (or names_re), class and message are required", where)
		}
		for _, p := range []struct {
			field, src string
			dst        **litRe
		}{{"names_re", e.NamesRe, &e.names}, {"path", e.Path, &e.path}, {"args", e.Args, &e.re}, {"also", e.Also, &e.also}, {"not", e.Not, &e.not}} {
			if p.src == "" {
				continue
			}
			re, err := regexp.Compile(p.src)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", where, p.field, err)
			}
			*p.dst = newLitRe(re)
		}
		if !techniqueRe.MatchString(e.Technique) {
			return nil, fmt.Errorf("%s: technique %q is not an ATT&CK id", where, e.Technique)
		}
		var sev sdk.Severity
		sev, err = sdk.ParseSeverity(e.Severity)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		switch e.Platform {
		case "windows", "posix", "any":
		default:
			return nil, fmt.Errorf("%s: platform %q is not windows, posix or any", where, e.Platform)
		}
		for _, pat := range []string{e.Args, e.Also, e.Not, e.NamesRe, e.Path} {
			if upperRe.MatchString(escapeRe.ReplaceAllString(pat, "")) {
				return nil, fmt.Errorf("%s: pattern %q has upper-case letters; the text it reads is lower case", where, pat)
			}
		}
		if e.Policy != "" && e.Policy != "admin-or-public" {
			return nil, fmt.Errorf("%s: policy %q is not admin-or-public", where, e.Policy)
		}
		for _, s := range e.Sub {
			e.subs = append(e.subs, strings.Fields(strings.ToLower(s)))
		}
		for _, x := range e.Flags {
			e.flags = append(e.flags, flagKey(x))
		}
		for _, x := range e.AllFlags {
			e.all = append(e.all, flagKey(x))
		}
		e.rule = &rule{ID: e.ID, Class: e.Class, Sev: sev, Msg: e.Message + " (ATT&CK " + e.Technique + ")", Must: e.Must, MustNot: e.MustNot}
	}
	return f.Entry, nil
}

// progKey normalizes a program name as the parsers do.
func progKey(p string) string {
	p = strings.ToLower(strings.Trim(p, "\"' "))
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 && i < len(p)-1 {
		p = p[i+1:]
	}
	for _, ext := range []string{".exe", ".com", ".cmd", ".bat", ".cpl"} {
		if strings.HasSuffix(p, ext) && len(p) > len(ext) {
			return p[:len(p)-len(ext)]
		}
	}
	return p
}

// flagKey is a flag without its dashes or slash, lower case, and without
// a :value or =value.
func flagKey(a string) string {
	a = strings.ToLower(strings.TrimLeft(a, "-/"))
	if i := strings.IndexAny(a, ":="); i > 0 {
		a = a[:i]
	}
	return a
}

// isFlag reports whether an argument is a flag: -x, --x, and /x on Windows.
func isFlag(a string, win bool) bool {
	if len(a) < 2 {
		return false
	}
	if a[0] == '-' {
		return true
	}
	if win && a[0] == '/' {
		// /flag or /flag:value, not a path (/usr/x).
		body := a[1:]
		if i := strings.IndexAny(body, ":="); i >= 0 {
			body = body[:i]
		}
		return !strings.ContainsAny(body, "/\\.")
	}
	return false
}

// canon is an invocation's arguments as the rows read them.
type canon struct {
	prog  string   // the program as written, lower case, \\ for /, quotes dropped
	line  string   // arguments, lower case, joined by spaces; /flag written -flag on Windows
	flags []string // flag keys
	pos   []string // positional arguments, lower case
}

func canonOf(in inv, win bool) canon {
	c := canon{prog: strings.ReplaceAll(strings.ToLower(strings.Trim(in.raw, "\"' ")), "/", "\\")}
	parts := make([]string, 0, len(in.args))
	for _, a := range in.args {
		a = strings.ToLower(strings.Trim(a, "\""))
		if win && strings.Contains(a, "\\\\") {
			a = collapseBackslashes(a)
		}
		if isFlag(a, win) {
			if a[0] == '/' {
				a = "-" + a[1:]
			}
			c.flags = append(c.flags, flagKey(a))
		} else {
			c.pos = append(c.pos, a)
		}
		parts = append(parts, a)
	}
	c.line = strings.Join(parts, " ")
	return c
}

// collapseBackslashes writes runs of backslashes as one, keeping a leading
// \\\\ (a UNC path): C:\\\\Users\\\\x (escaped once too often) is C:\\Users\\x.
func collapseBackslashes(a string) string {
	lead := ""
	if strings.HasPrefix(a, "\\\\") {
		lead, a = "\\\\", strings.TrimLeft(a, "\\")
	}
	var b strings.Builder
	for i := 0; i < len(a); i++ {
		if a[i] == '\\' && i > 0 && a[i-1] == '\\' {
			continue
		}
		b.WriteByte(a[i])
	}
	return lead + b.String()
}

// hasFlag reports whether a flag is present. On Windows a PowerShell
// parameter may be abbreviated to a unique prefix (-DisableRealtimeMon).
func (c *canon) hasFlag(f string, cmdlet bool) bool {
	for _, x := range c.flags {
		if x == f || cmdlet && len(x) >= 5 && strings.HasPrefix(f, x) {
			return true
		}
	}
	return false
}

func (c *canon) hasSub(sub []string) bool {
	for i := 0; i+len(sub) <= len(c.pos) && i < 6; i++ {
		ok := true
		for j, w := range sub {
			if c.pos[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// matches reports whether a row flags an invocation.
func (e *entry) matches(in inv, cc *invCache) bool {
	switch e.Platform {
	case "posix":
		if in.win {
			return false
		}
	case "windows":
		// The POSIX parser's reading of a Windows line loses its
		// backslashes; the Windows parsers' reading of it is used instead.
		if in.covered {
			return false
		}
	}
	if e.Sudo && !in.sudo {
		return false
	}
	if len(e.Keywords) > 0 {
		if e.Path != "" && e.Args == "" && e.Also == "" {
			// Only the program as written is read: the keywords are looked
			// for there alone (a row for any program runs on every call).
			if !containsAnyFold(in.raw, e.Keywords) {
				return false
			}
		} else if !cc.keywordsMay(in, e.Keywords) {
			return false
		}
	}
	win := e.Platform == "windows"
	cmdlet := win && strings.Contains(in.name, "-")
	k := 0
	if win {
		k = 1
	}
	c := cc.canon[k]
	if c == nil {
		x := canonOf(in, win)
		c = &x
		cc.canon[k] = c
	}
	if len(e.Keywords) > 0 && !containsAny(in.name, e.Keywords...) && !containsAny(c.line, e.Keywords...) && !containsAny(c.prog, e.Keywords...) {
		return false
	}
	if e.path != nil && !e.path.MatchString(c.prog) {
		return false
	}
	if len(e.subs) > 0 {
		ok := false
		for _, s := range e.subs {
			if c.hasSub(s) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(e.flags) > 0 {
		ok := false
		for _, f := range e.flags {
			if c.hasFlag(f, cmdlet) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, f := range e.all {
		if !c.hasFlag(f, cmdlet) {
			return false
		}
	}
	if e.re != nil && !e.re.MatchString(c.line) && !(e.open && e.re.MatchString(c.prog+" "+c.line)) {
		return false
	}
	if e.also != nil && !e.also.MatchString(c.line) && !(e.open && e.also.MatchString(c.prog+" "+c.line)) {
		return false
	}
	if e.not != nil && e.not.MatchString(c.line) {
		return false
	}
	if e.Policy != "" && !broadPolicyArg(in.args) {
		return false
	}
	return true
}

// nameMatches runs names_re on a program name, remembering the answer for
// the first few thousand names.
func (e *entry) nameMatches(n string) bool {
	if v, ok := e.nameHits.Load(n); ok {
		return v.(bool)
	}
	m := e.names.MatchString(n)
	if e.nameHitsN.Load() < 4096 && len(n) < 64 {
		e.nameHitsN.Add(1)
		e.nameHits.Store(n, m)
	}
	return m
}

// catalogueMatches runs the catalogue over every invocation of an analysis.
func catalogueMatches(a *analysis, put func(r *rule, s, e int)) {
	ins := a.invocations()
	openBuf := make([]bool, len(catalogueOpen))
	// The same command is often read more than once (a PowerShell line by
	// both Windows parsers, a -Command script by the parser's own descent
	// and again as the script it runs): its rows are asked once.
	var seen map[string]bool
	if len(ins) > 4 {
		seen = make(map[string]bool, len(ins))
	}
	for _, in := range ins {
		if seen != nil {
			k := invKey(in)
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		es := catalogueIndex[in.name]
		var cc invCache // the invocation as the rows read it, POSIX and Windows, made once
		for _, e := range es {
			if e.matches(in, &cc) {
				put(e.rule, in.start, in.end)
			}
		}
		cand := openCandidates(in, &cc, openBuf[:0])
		for i, e := range catalogueOpen {
			if cand != nil && !cand[i] {
				continue
			}
			if e.names != nil && !e.nameMatches(in.name) {
				continue
			}
			if e.matches(in, &cc) {
				put(e.rule, in.start, in.end)
			}
		}
	}
}

// openCandidates marks in buf the open rows that can match the invocation:
// those with no keyword and those one of whose keywords its words hold. It
// returns nil (ask every row) when the words are not ASCII.
func openCandidates(in inv, cc *invCache, buf []bool) []bool {
	cc.makeWords(in)
	if !cc.ascii {
		return nil
	}
	buf = buf[:len(catalogueOpen)]
	clear(buf)
	for _, i := range openUnkeyed {
		buf[i] = true
	}
	openKeywords.candidates(cc.words, buf)
	return buf
}

// invKey is what makes two invocations the same to the rows: where they
// are, how they were read, the program and its arguments.
func invKey(in inv) string {
	n := len(in.name) + len(in.raw) + 24
	for _, x := range in.args {
		n += len(x) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(strconv.Itoa(in.start))
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(in.end))
	if in.win {
		b.WriteByte('w')
	}
	if in.method {
		b.WriteByte('m')
	}
	if in.sudo {
		b.WriteByte('s')
	}
	if in.covered {
		b.WriteByte('c')
	}
	b.WriteByte(0)
	b.WriteString(in.name)
	b.WriteByte(0)
	b.WriteString(in.raw)
	for _, x := range in.args {
		b.WriteByte(0)
		b.WriteString(x)
	}
	return b.String()
}

// invCache holds what the rows read of one invocation, made at most once:
// its canonical forms (POSIX and Windows) and its words lower-cased and
// joined, for the keyword prefilter.
type invCache struct {
	canon   [2]*canon
	words   string // name, program and arguments, ASCII lower case, NUL-separated
	ascii   bool   // words holds ASCII only
	wordsOK bool
}

// keywordsMay is keywordsMay on the joined words, made once per invocation
// (the rows for any program ask it of every invocation).
func (cc *invCache) keywordsMay(in inv, kws []string) bool {
	cc.makeWords(in)
	if !cc.ascii {
		return true // Unicode lower-casing can turn text into ASCII: the exact test decides
	}
	for _, k := range kws {
		if strings.Contains(cc.words, k) {
			return true
		}
		if strings.HasPrefix(k, "-") && strings.Contains(cc.words, "/"+k[1:]) {
			return true
		}
	}
	return false
}

// makeWords joins the invocation's words, ASCII lower case, once.
func (cc *invCache) makeWords(in inv) {
	if !cc.wordsOK {
		cc.wordsOK = true
		n := len(in.name) + len(in.raw) + 2
		for _, a := range in.args {
			n += len(a) + 1
		}
		b := make([]byte, 0, n)
		add := func(w string) {
			b = append(b, w...)
			b = append(b, 0)
		}
		add(in.name)
		add(in.raw)
		for _, a := range in.args {
			add(a)
		}
		cc.ascii = true
		for i, c := range b {
			if c >= 0x80 {
				cc.ascii = false
				break
			}
			if c >= 'A' && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		cc.words = string(b)
	}
}

func containsAnyFold(s string, kws []string) bool {
	for _, k := range kws {
		if containsFold(s, k) {
			return true
		}
	}
	return false
}
