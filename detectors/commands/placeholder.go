package commands

import "strings"

// placeholders rewrites the <placeholder> words that documentation and
// walkthroughs put in commands (aws iam create-access-key --user-name
// <user>, ssh ec2-user@<public-ip>) so that the shell parser reads them as
// words: as written they parse as a redirection from one file and into
// the next word, and the command loses its arguments. A placeholder is a
// < directly followed by a letter, then letters, digits, _, -, ' or spaces,
// then >, outside quotes, not preceded by < or a digit and followed by the
// end, a space or punctuation that continues a word (/ : @ . \ , ;). The
// angle brackets, spaces and quotes become _, so every offset stays where
// it was. An emulation plan's #{argument} at the start of a word, which
// the shell would read as a comment, becomes _{argument}. Real redirections (sort <in.txt >out.txt, cmd <file>out) keep a
// dot, a slash or a word right after the >, and are left as they are.
func placeholders(src string) string {
	angle := strings.IndexByte(src, '<') >= 0 && strings.IndexByte(src, '>') >= 0
	if !angle && !strings.Contains(src, "#{") {
		return src
	}
	var b []byte // copied on the first change
	quote := byte(0)
	for i := 0; i < len(src); i++ {
		ch := src[i]
		switch {
		case quote == 0 && ch == '\\':
			i++
			continue
		case quote != 0:
			if ch == quote {
				quote = 0
			} else if ch == '\\' && quote == '"' {
				i++
			}
			continue
		case ch == '\'' || ch == '"':
			quote = ch
			continue
		case ch == '#' && i+1 < len(src) && src[i+1] == '{' && (i == 0 || strings.IndexByte(" \t\n;|&(", src[i-1]) >= 0):
			// #{input} (emulation plans' arguments) where a word starts
			// would begin a comment and drop the rest of the line.
			if j := strings.IndexAny(src[i:], "}\n"); j > 0 && src[i+j] == '}' {
				if b == nil {
					b = []byte(src)
				}
				b[i] = '_'
			}
			continue
		case ch != '<':
			continue
		}
		if i > 0 && (src[i-1] == '<' || src[i-1] >= '0' && src[i-1] <= '9' || src[i-1] == '&') {
			continue
		}
		j := placeholderEnd(src, i)
		if j < 0 {
			continue
		}
		if b == nil {
			b = []byte(src)
		}
		for k := i; k <= j; k++ {
			switch b[k] {
			case '<', '>', ' ', '\'':
				b[k] = '_'
			}
		}
		i = j
	}
	if b == nil {
		return src
	}
	return string(b)
}

// placeholderEnd returns the index of the > that closes a placeholder
// opened at src[i], or -1.
func placeholderEnd(src string, i int) int {
	if i+1 >= len(src) || !isASCIILetter(src[i+1]) {
		return -1
	}
	for j := i + 2; j < len(src) && j < i+48; j++ {
		c := src[j]
		switch {
		case c == '>':
			if j+1 < len(src) {
				switch src[j+1] {
				case ' ', '\t', '\n', '/', ':', '@', '.', '\\', ',', ';', ')', '"', '\'':
				default:
					return -1
				}
			}
			if src[j-1] == ' ' {
				return -1
			}
			return j
		case isASCIILetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '\'' || c == ' ':
		default:
			return -1
		}
	}
	return -1
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
