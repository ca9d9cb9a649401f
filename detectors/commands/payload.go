package commands

import (
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decoders turn their input into something else: a payload that goes
// through one and then into a shell is hidden on purpose.
func isDecoder(c *call) bool {
	switch c.name {
	case "base64", "base32", "basenc", "gbase64":
		return hasAnyFlag(c, "-d", "--decode", "-D", "-di", "-id")
	case "xxd":
		return hasAnyFlag(c, "-r", "-rp", "-pr", "-r -p", "--revert")
	case "openssl":
		return strings.Contains(strings.Join(c.args(), " "), "-d") && (c.arg(1) == "base64" || c.arg(1) == "enc")
	case "rev", "uudecode", "certutil":
		return true
	case "tr":
		return strings.Contains(c.arg(1), "A-Z") && strings.Contains(c.arg(2), "N-Z")
	}
	if isInterp(c.name) && !strings.HasSuffix(c.name, "awk") {
		// perl -MMIME::Base64 -e 'print decode_base64(…)': code that
		// decodes and prints is a decoder.
		for _, code := range interpCodeArgs(c) {
			if decodeCodeRe.MatchString(code) && !execCodeRe.MatchString(code) {
				return true
			}
		}
	}
	return false
}

// hasAnyFlag reports whether any argument equals one of flags, or is a
// single-dash group holding one of their letters.
func hasAnyFlag(c *call, flags ...string) bool {
	for _, a := range c.args() {
		for _, f := range flags {
			if a == f {
				return true
			}
			if len(f) == 2 && f[0] == '-' && f[1] != '-' && len(a) > 2 && a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], f[1]) >= 0 && isLetters(a[1:]) {
				return true
			}
		}
	}
	return false
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// payload returns the literal text that a pipeline stage produces, when it
// can be known statically (echo, printf, cat of a here-document, a decoder
// of one of these), and whether a decoder was involved.
func payload(s *call, depth int) (string, bool) {
	if s == nil || depth > 6 {
		return "", false
	}
	switch {
	case s.name == "echo":
		var parts []string
		esc := false
		for i, a := range s.args() {
			if i == len(parts) && (a == "-n" || a == "-e" || a == "-E" || a == "-ne" || a == "-en") && len(parts) == 0 {
				esc = esc || strings.Contains(a, "e")
				continue
			}
			parts = append(parts, a)
		}
		out := strings.Join(parts, " ")
		if esc {
			out = ansiC(out)
		}
		return out, false
	case s.name == "printf":
		if len(s.argv) < 2 {
			return "", false
		}
		f := ansiC(strings.ReplaceAll(s.argv[1], "%%", "%"))
		for _, a := range s.argv[2:] {
			if i := strings.Index(f, "%s"); i >= 0 {
				f = f[:i] + a + f[i+2:]
			} else if i := strings.Index(f, "%b"); i >= 0 {
				f = f[:i] + ansiC(a) + f[i+2:]
			}
		}
		return f, strings.Contains(s.argv[1], "\\x") || strings.Contains(s.argv[1], "\\0")
	case s.name == "cat" && len(s.argv) == 1 && s.stdin != "":
		return s.stdin, false
	case isDecoder(s):
		in := s.stdin
		if in == "" {
			in, _ = payload(s.prev, depth+1)
		}
		if in == "" {
			return "", true
		}
		return decode(s, in), true
	}
	return "", false
}

// decode applies a decoder stage to its input; it returns "" when the
// input does not decode to text.
func decode(s *call, in string) string {
	in = strings.TrimSpace(in)
	var out []byte
	var err error
	switch s.name {
	case "base64", "basenc", "gbase64", "openssl", "certutil":
		out, err = b64(in)
	case "base32":
		out, err = base32.StdEncoding.DecodeString(strings.Join(strings.Fields(in), ""))
	case "xxd":
		out, err = hex.DecodeString(strings.Map(func(r rune) rune {
			if isHex(byte(r)) && r < 128 {
				return r
			}
			return -1
		}, in))
	case "rev":
		r := []rune(in)
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r)
	case "tr":
		return rot13(in)
	default:
		return ""
	}
	if err != nil || !utf8.Valid(out) {
		return ""
	}
	return string(out)
}

func b64(in string) ([]byte, error) {
	in = strings.Join(strings.Fields(in), "")
	if out, err := base64.StdEncoding.DecodeString(in); err == nil {
		return out, nil
	}
	if out, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(in, "=")); err == nil {
		return out, nil
	}
	return base64.URLEncoding.DecodeString(in)
}

func rot13(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

// utf16le decodes PowerShell's -EncodedCommand payload: base64 of UTF-16LE.
func utf16le(b64text string) string {
	raw, err := b64(b64text)
	if err != nil || len(raw) < 2 {
		return ""
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// lastStages returns the calls among cs whose output leaves their pipeline.
func lastStages(cs []*call) []*call {
	var out []*call
	for _, c := range cs {
		if c.next == nil {
			out = append(out, c)
		}
	}
	return out
}

// execSubsts returns the substitutions whose output c runs as code:
// $(…) as the program, eval "$(…)", sh -c "$(…)", sh <(…), source <(…).
func execSubsts(c *call) []*call {
	if len(c.argSubst) == 0 {
		return nil
	}
	var out []*call
	if v, ok := c.argSubst[0]; ok {
		out = append(out, v...)
	}
	switch {
	case c.name == "eval":
		for i, v := range c.argSubst {
			if i > 0 {
				out = append(out, v...)
			}
		}
	case isShell(c.name) || isInterp(c.name) || c.name == "source" || c.name == ".":
		if i := shellScript(c.argv); i >= 0 {
			out = append(out, c.argSubst[i]...)
		}
		prog := programOperand(c)
		for i, v := range c.argSubst {
			if i > 0 && (strings.HasPrefix(c.argv[i], "<(") && i == prog || interpCodeArg(c, i)) {
				out = append(out, v...)
			}
		}
	}
	return lastStages(out)
}

// programOperand returns the index of the argument that a shell,
// interpreter or source reads its program from, or -1.
func programOperand(c *call) int {
	if isShell(c.name) {
		return shellOperand(c.argv)
	}
	for i := 1; i < len(c.argv); i++ {
		a := c.argv[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if a == "-f" || a == "-F" || a == "-v" || a == "-m" || a == "-W" || a == "-X" {
				if a == "-f" {
					return i + 1
				}
				i++
			}
			continue
		}
		return i
	}
	return -1
}

// interpCodeArg reports whether argument i of an interpreter call is code
// (it follows -c or -e).
func interpCodeArg(c *call, i int) bool {
	if !isInterp(c.name) || i < 2 {
		return false
	}
	p := c.argv[i-1]
	return p == "-c" || p == "-e" || p == "-E" || p == "-r"
}

// readsStdinProgram reports whether c takes its program from stdin: a shell
// with no -c and no script file, an interpreter with no code argument, or
// source of /dev/stdin.
func readsStdinProgram(c *call) bool {
	switch {
	case isShell(c.name):
		if shellScript(c.argv) >= 0 {
			return false
		}
		op := shellOperand(c.argv)
		return op < 0 || c.argv[op] == "/dev/stdin" || c.argv[op] == "-"
	case c.name == "source" || c.name == ".":
		return c.arg(1) == "/dev/stdin" || c.arg(1) == "-"
	case c.name == "at" || c.name == "batch":
		return !hasFlag(c, "flcdr", "--file")
	case c.name == "iex" || c.name == "invoke-expression":
		return true
	case c.name == "powershell" || c.name == "pwsh":
		// powershell - (and -Command -) runs what is piped in.
		args := c.args()
		return len(args) > 0 && args[len(args)-1] == "-"
	case c.name == "osascript":
		// osascript [-l language] [-s flags] [-i] [script|-]: no -e and no
		// script file means the script is read from standard input.
		args := c.args()
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "-":
				return true
			case a == "-e":
				return false
			case a == "-l" || a == "-s":
				i++
			case !strings.HasPrefix(a, "-"):
				return false
			}
		}
		return true
	case isInterp(c.name):
		if strings.HasSuffix(c.name, "awk") || c.name == "gdb" || c.name == "vim" || c.name == "vi" || c.name == "nvim" {
			return false
		}
		for _, a := range c.args() {
			if a == "-" {
				return true
			}
			if !strings.HasPrefix(a, "-") {
				return false
			}
			if a == "-c" || a == "-e" || a == "-E" || a == "-r" && c.name == "php" || a == "-m" || a == "--eval" || a == "--print" ||
				a == "-p" && strings.HasPrefix(c.name, "node") {
				return false
			}
			// grouped options that carry code: perl -pe, -lne, ruby -ne
			if !strings.HasPrefix(a, "--") && len(a) > 2 && isLetters(a[1:]) && strings.ContainsAny(a[1:], "eEc") {
				return false
			}
		}
		return true
	}
	return false
}

// post walks what pipelines feed into shells: a literal or decoded payload
// piped into sh, and the output of substitutions that a command runs.
func (a *analysis) post() {
	for i := 0; i < len(a.calls) && a.budget > 0 && a.ctx.Err() == nil; i++ {
		c := a.calls[i]
		if c.depth >= maxDepth {
			continue
		}
		wr := append(append([]string(nil), c.wrappers...), c.name)
		if c.prev != nil && c.stdin == "" && readsStdinProgram(c) {
			if p, dec := payload(c.prev, 0); strings.TrimSpace(p) != "" {
				via := "stdin"
				if dec {
					via = "decoded"
				}
				a.script(p, c.start, c.end, c.depth+1, via, false, wr...)
			}
		}
		for _, s := range execSubsts(c) {
			if p, dec := payload(s, 0); strings.TrimSpace(p) != "" {
				via := "stdin"
				if dec {
					via = "decoded"
				}
				a.script(p, c.start, c.end, c.depth+1, via, false, wr...)
			}
		}
	}
}
