package commands

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"
)

// word resolves a shell word to the string the shell would pass: quotes
// removed, escapes applied, variables assigned earlier in the script
// substituted. Substitutions are walked as commands of their own and kept
// in their source form in the result. idx is the argument index of the word
// in c, or -1.
func (w *walker) word(x *syntax.Word, c *call, idx int) string {
	if x == nil {
		return ""
	}
	var b strings.Builder
	w.parts(&b, x.Parts, false, c, idx)
	return b.String()
}

func (w *walker) raw(n syntax.Node) string {
	s, e := int(n.Pos().Offset()), int(n.End().Offset())
	if !n.Pos().IsValid() || !n.End().IsValid() || s < 0 || e > len(w.src) || s > e {
		return ""
	}
	return w.src[s:e]
}

func (w *walker) parts(b *strings.Builder, parts []syntax.WordPart, quoted bool, c *call, idx int) {
	for _, p := range parts {
		switch p := p.(type) {
		case *syntax.Lit:
			b.WriteString(unescape(p.Value, quoted))
		case *syntax.SglQuoted:
			if p.Dollar {
				b.WriteString(ansiC(p.Value))
			} else {
				b.WriteString(p.Value)
			}
		case *syntax.DblQuoted:
			w.parts(b, p.Parts, true, c, idx)
		case *syntax.ParamExp:
			b.WriteString(w.param(p))
		case *syntax.CmdSubst:
			w.subst(p.Stmts, c, idx)
			b.WriteString(w.raw(p))
		case *syntax.ProcSubst:
			w.subst(p.Stmts, c, idx)
			b.WriteString(w.raw(p))
		default:
			b.WriteString(w.raw(p))
		}
	}
}

// subst walks the commands of a substitution and records them on c.
func (w *walker) subst(ss []*syntax.Stmt, c *call, idx int) {
	if w.nest >= maxSubstNest {
		return
	}
	sw := &walker{a: w.a, src: w.src, base: w.base, end: w.end, exact: w.exact, depth: w.depth, via: w.via, wrappers: w.wrappers, nest: w.nest + 1}
	sw.stmts(ss)
	if c == nil {
		return
	}
	c.substs = append(c.substs, sw.out...)
	if idx >= 0 {
		if c.argSubst == nil {
			c.argSubst = map[int][]*call{}
		}
		c.argSubst[idx] = append(c.argSubst[idx], sw.out...)
	}
}

// param resolves $name and ${name} from the script's own assignments; other
// expansions stay in their source form.
func (w *walker) param(p *syntax.ParamExp) string {
	if p.Param != nil && !p.Excl && !p.Length && p.Index == nil && p.Slice == nil && p.Repl == nil && p.Exp == nil {
		if v, ok := w.a.vars[p.Param.Value]; ok {
			return v
		}
	}
	if p.Param != nil && p.Exp != nil && p.Param.Value == "HOME" {
		return "$HOME"
	}
	return w.raw(p)
}

// verbatimAt returns where the value of word x starts verbatim in the
// analysed text (so that offsets inside the value map one to one), or -1.
func (w *walker) verbatimAt(x *syntax.Word) int {
	if !w.exact || x == nil || len(x.Parts) != 1 {
		return -1
	}
	s, _ := w.span(x.Pos(), x.End())
	switch p := x.Parts[0].(type) {
	case *syntax.Lit:
		if !strings.Contains(p.Value, "\\") {
			return s
		}
	case *syntax.SglQuoted:
		if !p.Dollar {
			return s + 1
		}
	case *syntax.DblQuoted:
		if len(p.Parts) == 1 {
			if l, ok := p.Parts[0].(*syntax.Lit); ok && !strings.Contains(l.Value, "\\") {
				return s + 1
			}
		}
	}
	return -1
}

// unescape applies backslash escapes: every one outside quotes, and only
// those before $ ` " \ and newline inside double quotes.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch != '\\' || i+1 >= len(s) {
			b.WriteByte(ch)
			continue
		}
		n := s[i+1]
		switch {
		case n == '\n':
			i++
		case !quoted || n == '$' || n == '`' || n == '"' || n == '\\':
			b.WriteByte(n)
			i++
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// ansiC decodes the escapes of a $'…' string.
func ansiC(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch ch := s[i]; ch {
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'e', 'E':
			b.WriteByte(27)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case 'x':
			j := i + 1
			for j < len(s) && j < i+3 && isHex(s[j]) {
				j++
			}
			if v, err := strconv.ParseUint(s[i+1:j], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i = j - 1
			} else {
				b.WriteString("\\x")
			}
		case 'u', 'U':
			n := 4
			if ch == 'U' {
				n = 8
			}
			j := i + 1
			for j < len(s) && j < i+1+n && isHex(s[j]) {
				j++
			}
			if v, err := strconv.ParseUint(s[i+1:j], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				b.WriteRune(rune(v))
				i = j - 1
			} else {
				b.WriteByte('\\')
				b.WriteByte(ch)
			}
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(s[i:j], 8, 16)
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
