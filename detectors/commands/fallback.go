package commands

import "strings"

// tokenize splits a script that does not parse into simple commands with a
// quote-aware tokenizer, links pipelines, and walks the commands as the
// parser path does.
func (w *walker) tokenize(src string) []*call {
	type tok struct {
		val        string
		start, end int
		quoted     bool
	}
	var (
		words []tok
		b     strings.Builder
		start = -1
		quote byte
		prev  *call
		pipe  bool
	)
	flushWord := func(end int, quoted bool) {
		if start >= 0 {
			words = append(words, tok{val: b.String(), start: start, end: end, quoted: quoted})
		}
		b.Reset()
		start = -1
	}
	flushCall := func(op string) {
		if len(words) == 0 {
			prev = nil
			return
		}
		w.a.budget--
		c := &call{assigns: map[string]string{}, depth: w.depth, via: w.via, a: w.a,
			wrappers: append([]string(nil), w.wrappers...)}
		if w.exact {
			c.start, c.end = w.base+words[0].start, w.base+words[len(words)-1].end
		} else {
			c.start, c.end = w.base, w.end
		}
		for i := 0; i < len(words); i++ {
			t := words[i]
			if !t.quoted && isRedirTok(t.val) {
				op, fd, target := splitRedir(t.val)
				if target == "" && i+1 < len(words) && !strings.HasSuffix(op, "&") {
					target = words[i+1].val
					i++
				}
				c.redirs = append(c.redirs, redir{op: op, fd: fd, target: target})
				continue
			}
			if len(c.argv) == 0 && !t.quoted {
				if k := strings.Index(t.val, "="); k > 0 && isName(t.val[:k]) {
					c.assigns[t.val[:k]] = t.val[k+1:]
					continue
				}
			}
			c.argv = append(c.argv, t.val)
			if w.exact {
				c.argSpan = append(c.argSpan, [2]int{w.base + t.start, w.base + t.end})
			} else {
				c.argSpan = append(c.argSpan, [2]int{w.base, w.end})
			}
			c.argAt = append(c.argAt, -1)
		}
		if len(c.argv) == 0 {
			for k, v := range c.assigns {
				w.a.vars[k] = v
			}
		}
		if pipe && prev != nil {
			prev.next = c
			c.prev = prev
		}
		c.bg = op == "&"
		words = nil
		w.finish(c)
		if op == "|" {
			prev, pipe = c, true
		} else {
			prev, pipe = nil, false
		}
	}
	quotedWord := false
	for i := 0; i < len(src) && w.a.budget > 0; i++ {
		ch := src[i]
		if quote != 0 {
			if ch == quote {
				quote = 0
				continue
			}
			if quote == '"' && ch == '\\' && i+1 < len(src) && strings.IndexByte("\"\\$`", src[i+1]) >= 0 {
				i++
				b.WriteByte(src[i])
				continue
			}
			b.WriteByte(ch)
			continue
		}
		switch ch {
		case '\'', '"':
			if start < 0 {
				start = i
			}
			quote = ch
			quotedWord = true
		case '\\':
			if start < 0 {
				start = i
			}
			if i+1 < len(src) {
				i++
				if src[i] != '\n' {
					b.WriteByte(src[i])
				}
			}
		case ' ', '\t', '\r':
			flushWord(i, quotedWord)
			quotedWord = false
		case '\n', ';':
			flushWord(i, quotedWord)
			quotedWord = false
			flushCall(";")
		case '|', '&':
			if ch == '&' && start >= 0 && strings.HasSuffix(b.String(), ">") || ch == '&' && i+1 < len(src) && src[i+1] == '>' {
				if start < 0 {
					start = i
				}
				b.WriteByte(ch)
				continue
			}
			flushWord(i, quotedWord)
			quotedWord = false
			if i+1 < len(src) && src[i+1] == ch {
				i++
				flushCall(";")
			} else if ch == '|' {
				flushCall("|")
			} else {
				flushCall("&")
			}
		default:
			if start < 0 {
				start = i
			}
			b.WriteByte(ch)
		}
	}
	flushWord(len(src), quotedWord)
	flushCall(";")
	return w.out
}

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return s != ""
}

// isRedirTok reports whether an unquoted token is a redirection (with or
// without its target joined: ">file", "2>&1", ">>").
func isRedirTok(s string) bool {
	t := strings.TrimLeft(s, "0123456789&")
	return strings.HasPrefix(t, ">") || strings.HasPrefix(t, "<") && !strings.HasPrefix(t, "<(")
}

func splitRedir(s string) (op, fd, target string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	fd = s[:i]
	j := i
	for j < len(s) && strings.IndexByte("<>&|", s[j]) >= 0 {
		j++
	}
	return s[i:j], fd, s[j:]
}
