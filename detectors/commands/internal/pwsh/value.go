package pwsh

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// vkind is the kind of a folded value.
type vkind int

const (
	vUnknown vkind = iota
	vStr
	vNum
	vArr
	vBytes
	vHash
	vBlock // a script block: s is its text
	vEnc   // a text encoding: s is its name
	vType  // a type literal: s is its lower-case name without "system."
)

// val is the value of an expression when it can be known without running
// anything.
type val struct {
	kind vkind
	s    string
	n    int64
	arr  []val
	b    []byte
	hash [][2]val
	// raw marks a string that is only the source text of an expression
	// whose value is not known (kept so that an argument reads as written):
	// it is not code to run, and it was parsed where it stands.
	raw bool
}

const (
	maxStr = 1 << 20 // longest string a fold may build
	maxArr = 1 << 14 // longest array
)

var unknown = val{}

func str(s string) val {
	if len(s) > maxStr {
		s = s[:maxStr]
	}
	return val{kind: vStr, s: s}
}

// rawText is the source text standing for an unknown value.
func rawText(s string) val {
	v := str(s)
	v.raw = true
	return v
}

func num(n int64) val { return val{kind: vNum, n: n} }

func (v val) known() bool { return v.kind != vUnknown }

// String converts a value as PowerShell would when it needs a string.
func (v val) String() string {
	switch v.kind {
	case vStr, vBlock:
		return v.s
	case vNum:
		return strconv.FormatInt(v.n, 10)
	case vArr:
		parts := make([]string, 0, len(v.arr))
		for _, x := range v.arr {
			parts = append(parts, x.String())
		}
		return strings.Join(parts, " ")
	case vBytes:
		return string(v.b)
	case vType:
		return v.s
	case vHash:
		// As written, with the values folded: a hashtable handed to a
		// program (winrm set … @{AllowUnencrypted="true"}) or to a
		// cmdlet's -Arguments is read by what it holds.
		parts := make([]string, 0, len(v.hash))
		for _, kv := range v.hash {
			parts = append(parts, kv[0].String()+"="+kv[1].String())
		}
		return "@{" + strings.Join(parts, "; ") + "}"
	}
	return ""
}

// toNum converts a value to a number when it is one.
func (v val) toNum() (int64, bool) {
	switch v.kind {
	case vNum:
		return v.n, true
	case vStr:
		s := strings.TrimSpace(v.s)
		if strings.HasPrefix(strings.ToLower(s), "0x") {
			n, err := strconv.ParseInt(s[2:], 16, 64)
			return n, err == nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// items returns the elements of an array, or the value itself.
func (v val) items() []val {
	switch v.kind {
	case vArr:
		return v.arr
	case vBytes:
		out := make([]val, 0, len(v.b))
		for _, c := range v.b {
			out = append(out, num(int64(c)))
		}
		return out
	}
	return []val{v}
}

func arr(xs []val) val {
	if len(xs) > maxArr {
		xs = xs[:maxArr]
	}
	return val{kind: vArr, arr: xs}
}

// charOf converts a number to the character it codes.
func charOf(n int64) val {
	if n < 0 || n > utf8.MaxRune {
		return unknown
	}
	return str(string(rune(n)))
}

// castTo applies a [type] cast.
func castTo(t string, v val) val {
	switch t {
	case "char":
		if n, ok := v.toNum(); ok && v.kind == vNum {
			return charOf(n)
		}
		if v.kind == vStr && utf8.RuneCountInString(v.s) == 1 {
			return v
		}
		if n, ok := v.toNum(); ok {
			return charOf(n)
		}
	case "char[]":
		if v.kind == vStr {
			var out []val
			for _, r := range v.s {
				out = append(out, str(string(r)))
			}
			return arr(out)
		}
		var out []val
		for _, x := range v.items() {
			n, ok := x.toNum()
			if x.kind == vStr && utf8.RuneCountInString(x.s) == 1 {
				out = append(out, x)
				continue
			}
			if !ok {
				return unknown
			}
			out = append(out, charOf(n))
		}
		return arr(out)
	case "string":
		if v.known() {
			return str(v.String())
		}
	case "int", "int32", "int64", "long", "byte", "int16", "uint32", "uint16":
		if n, ok := v.toNum(); ok {
			return num(n)
		}
	case "byte[]":
		if v.kind == vBytes {
			return v
		}
		var b []byte
		for _, x := range v.items() {
			n, ok := x.toNum()
			if !ok {
				return unknown
			}
			b = append(b, byte(n))
		}
		return val{kind: vBytes, b: b}
	case "scriptblock":
		if v.kind == vStr {
			return val{kind: vBlock, s: v.s}
		}
		return v
	case "array", "object[]", "string[]":
		if v.kind == vArr {
			return v
		}
		if v.known() {
			return arr([]val{v})
		}
	case "io.memorystream":
		return v
	}
	if v.kind == vBlock || v.kind == vBytes {
		return v
	}
	return unknown
}

// index applies [i] to a string or an array; negative indexes count from
// the end, and an array of indexes picks several elements.
func index(v, ix val) val {
	var elems []val
	switch v.kind {
	case vStr:
		for _, r := range v.s {
			elems = append(elems, str(string(r)))
			if len(elems) > maxArr {
				break
			}
		}
	case vArr, vBytes:
		elems = v.items()
	default:
		return unknown
	}
	pick := func(x val) (val, bool) {
		n, ok := x.toNum()
		if !ok || x.kind != vNum {
			return unknown, false
		}
		if n < 0 {
			n += int64(len(elems))
		}
		if n < 0 || n >= int64(len(elems)) {
			return unknown, false
		}
		return elems[n], true
	}
	if ix.kind == vArr {
		var out []val
		for _, x := range ix.arr {
			e, ok := pick(x)
			if !ok {
				return unknown
			}
			out = append(out, e)
		}
		return arr(out)
	}
	e, _ := pick(ix)
	return e
}

// format applies the -f operator: {0}, {1,5}, {2:x} placeholders.
func format(f string, args []val) val {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '{' {
			if i+1 < len(f) && f[i+1] == '{' {
				b.WriteByte('{')
				i++
				continue
			}
			j := strings.IndexByte(f[i:], '}')
			if j < 0 {
				return unknown
			}
			spec := f[i+1 : i+j]
			if k := strings.IndexAny(spec, ",:"); k >= 0 {
				spec = spec[:k]
			}
			n, err := strconv.Atoi(strings.TrimSpace(spec))
			if err != nil || n < 0 || n >= len(args) {
				return unknown
			}
			b.WriteString(args[n].String())
			i += j
			if b.Len() > maxStr {
				return unknown
			}
			continue
		}
		if c == '}' && i+1 < len(f) && f[i+1] == '}' {
			i++
		}
		b.WriteByte(c)
	}
	return str(b.String())
}

// join applies -join.
func join(v val, sep string) val {
	if !v.known() {
		return unknown
	}
	parts := make([]string, 0, len(v.items()))
	for _, x := range v.items() {
		if !x.known() {
			return unknown
		}
		parts = append(parts, x.String())
	}
	return str(strings.Join(parts, sep))
}

// decodeB64 decodes base64 the way [Convert]::FromBase64String does
// (whitespace ignored, padding optional).
func decodeB64(s string) ([]byte, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if s == "" {
		return nil, false
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// DecodeUTF16LE decodes base64 of UTF-16LE text: PowerShell's
// -EncodedCommand. It returns "" when s is not that.
func DecodeUTF16LE(s string) string {
	b, ok := decodeB64(s)
	if !ok || len(b) < 2 {
		return ""
	}
	return utf16le(b)
}

func utf16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// looksUTF16LE reports whether bytes are mostly ASCII coded as UTF-16LE.
func looksUTF16LE(b []byte) bool {
	if len(b) < 4 {
		return false
	}
	zero := 0
	for i := 1; i < len(b); i += 2 {
		if b[i] == 0 {
			zero++
		}
	}
	return zero*10 >= len(b)/2*8
}

// bytesText turns decoded bytes into text: UTF-16LE or UTF-8, inflated
// first when they are gzip or deflate streams.
func bytesText(b []byte, enc string) string {
	if inflated, ok := inflate(b); ok {
		b = inflated
	}
	switch enc {
	case "unicode", "bigendianunicode":
		return utf16le(b)
	case "utf8", "ascii", "default", "utf7":
		return string(b)
	}
	if looksUTF16LE(b) {
		return utf16le(b)
	}
	return string(b)
}

// inflate decompresses a gzip stream, or a raw deflate stream, when b is
// one (bounded).
func inflate(b []byte) ([]byte, bool) {
	var r io.Reader
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		z, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, false
		}
		r = z
	} else {
		r = flate.NewReader(bytes.NewReader(b))
	}
	out, err := io.ReadAll(io.LimitReader(r, maxStr))
	if err != nil && len(out) == 0 || len(out) == 0 {
		return nil, false
	}
	if !utf8.Valid(out) && !looksUTF16LE(out) {
		return nil, false
	}
	return out, true
}
