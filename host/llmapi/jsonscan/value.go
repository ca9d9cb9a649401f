package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Kind is the type of a JSON value.
type Kind uint8

// JSON value kinds. Invalid is the kind of an absent (empty) Value.
const (
	Invalid Kind = iota
	Null
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"nothing", "null", "boolean", "number", "string", "array", "object"}

// String names the kind as error messages do ("object", "string" …).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Value is the text of one validated JSON value, without surrounding
// whitespace. The zero Value means "absent".
type Value []byte

// Kind returns the value's type, from its first byte.
func (v Value) Kind() Kind {
	if len(v) == 0 {
		return Invalid
	}
	switch v[0] {
	case '{':
		return Object
	case '[':
		return Array
	case '"':
		return String
	case 't', 'f':
		return Bool
	case 'n':
		return Null
	}
	return Number
}

// Exists reports whether v is present and not null.
func (v Value) Exists() bool { return len(v) > 0 && v[0] != 'n' }

// IsString reports whether v is a JSON string.
func (v Value) IsString() bool { return len(v) > 0 && v[0] == '"' }

// IsObject reports whether v is a JSON object.
func (v Value) IsObject() bool { return len(v) > 0 && v[0] == '{' }

// IsArray reports whether v is a JSON array.
func (v Value) IsArray() bool { return len(v) > 0 && v[0] == '[' }

// Str decodes a string value; any other kind gives "". Lone UTF-16
// surrogates in \u escapes become U+FFFD, as in encoding/json.
func (v Value) Str() string {
	if !v.IsString() || len(v) < 2 {
		return ""
	}
	raw := v[1 : len(v)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	b := unescape(make([]byte, 0, len(raw)), raw)
	// b is new and not kept: hand it over instead of copying it again.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// AppendStr appends the decoded string to dst.
func (v Value) AppendStr(dst []byte) []byte {
	if !v.IsString() || len(v) < 2 {
		return dst
	}
	raw := v[1 : len(v)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return append(dst, raw...)
	}
	return unescape(dst, raw)
}

// StrEquals reports whether v is a string equal to s, without allocating
// when v holds no escapes.
func (v Value) StrEquals(s string) bool {
	if !v.IsString() || len(v) < 2 {
		return false
	}
	raw := v[1 : len(v)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == s
	}
	return string(unescape(nil, raw)) == s
}

// Bool returns the value of a boolean; any other kind gives false.
func (v Value) Bool() bool { return len(v) == 4 && v[0] == 't' }

// Int returns the value of an integral number and whether it is one that
// fits in an int.
func (v Value) Int() (int, bool) {
	if v.Kind() != Number {
		return 0, false
	}
	n, err := strconv.Atoi(string(v))
	if err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// Get returns the member key of an object (the last one when the key is
// repeated, as encoding/json and most providers do), or the zero Value.
func (v Value) Get(key string) Value {
	var out Value
	it := v.Object()
	for it.Next() {
		if it.KeyIs(key) {
			out = it.Val
		}
	}
	return out
}

// Index returns element i of an array, or the zero Value.
func (v Value) Index(i int) Value {
	it := v.Array()
	for it.Next() {
		if it.I == i {
			return it.Val
		}
	}
	return nil
}

// Len returns the number of elements of an array or members of an object.
func (v Value) Len() int {
	n := 0
	switch v.Kind() {
	case Array:
		it := v.Array()
		for it.Next() {
			n++
		}
	case Object:
		it := v.Object()
		for it.Next() {
			n++
		}
	}
	return n
}

// ObjectIter walks the members of an object in order.
type ObjectIter struct {
	b   []byte
	i   int
	Key []byte // raw key text between the quotes (escapes not decoded)
	Val Value
}

// Object returns an iterator over v's members; it yields nothing when v is
// not an object.
func (v Value) Object() ObjectIter {
	if !v.IsObject() {
		return ObjectIter{}
	}
	return ObjectIter{b: v, i: 1}
}

// Next advances to the next member.
func (it *ObjectIter) Next() bool {
	b := it.b
	i := skipWS(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipWS(b, i+1)
	}
	if i >= len(b) || b[i] != '"' {
		it.i = len(b)
		return false
	}
	end := skipString(b, i)
	if end-1 < i+1 {
		it.i = len(b)
		return false
	}
	it.Key = b[i+1 : end-1]
	i = skipWS(b, end)
	if i < len(b) && b[i] == ':' {
		i++
	}
	i = skipWS(b, i)
	vend := skipValue(b, i)
	if vend <= i {
		it.i = len(b) // not JSON: stop rather than loop
		return false
	}
	it.Val = Value(b[i:vend])
	it.i = vend
	return true
}

// KeyIs reports whether the current key, decoded, equals s. Keys are
// compared exactly (case-sensitive), as the LLM providers do.
func (it *ObjectIter) KeyIs(s string) bool {
	if len(it.Key) == len(s) && string(it.Key) == s {
		return true
	}
	if bytes.IndexByte(it.Key, '\\') < 0 {
		return false
	}
	return string(unescape(nil, it.Key)) == s
}

// KeyString returns the decoded current key.
func (it *ObjectIter) KeyString() string {
	if bytes.IndexByte(it.Key, '\\') < 0 {
		return string(it.Key)
	}
	return string(unescape(nil, it.Key))
}

// ArrayIter walks the elements of an array in order.
type ArrayIter struct {
	b   []byte
	i   int
	I   int // index of Val
	Val Value
}

// Array returns an iterator over v's elements; it yields nothing when v
// is not an array.
func (v Value) Array() ArrayIter {
	if !v.IsArray() {
		return ArrayIter{}
	}
	return ArrayIter{b: v, i: 1, I: -1}
}

// Next advances to the next element.
func (it *ArrayIter) Next() bool {
	b := it.b
	i := skipWS(b, it.i)
	if i < len(b) && b[i] == ',' {
		i = skipWS(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		it.i = len(b)
		return false
	}
	end := skipValue(b, i)
	if end <= i {
		it.i = len(b) // not JSON: stop rather than loop
		return false
	}
	it.Val = Value(b[i:end])
	it.i = end
	it.I++
	return true
}

// Trim returns b without surrounding JSON whitespace, as a Value.
func Trim(b []byte) Value {
	i, j := 0, len(b)
	for i < j && isWS(b[i]) {
		i++
	}
	for j > i && isWS(b[j-1]) {
		j--
	}
	return Value(b[i:j])
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS(b []byte, i int) int {
	for i < len(b) && isWS(b[i]) {
		i++
	}
	return i
}

// skipString returns the offset just past the string that starts at b[i]
// (a '"'), or len(b) when it is not terminated.
func skipString(b []byte, i int) int {
	j := i + 1
	for j < len(b) {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
	return len(b)
}

// skipValue returns the offset just past the value that starts at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return len(b)
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipContainer(b, i)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// unescape appends the decoded form of the raw string body s to dst.
func unescape(dst, s []byte) []byte {
	for len(s) > 0 {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:k]...)
		s = s[k:]
		if len(s) < 2 {
			return dst
		}
		switch s[1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s[2:])
			if !ok {
				return dst
			}
			s = s[6:]
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					if lo, ok := hex4(s[2:]); ok {
						if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
							r2 = dec
							s = s[6:]
						}
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[1])
		}
		s = s[2:]
	}
	return dst
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		d := unhex(s[k])
		if d < 0 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// AppendQuote appends s as a JSON string. It escapes '"', '\\' and
// control characters only, keeps other UTF-8 as is, and replaces invalid
// UTF-8 with U+FFFD.
func AppendQuote(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// PointerToken escapes one reference token of an RFC 6901 JSON pointer.
func PointerToken(s string) string {
	if strings.IndexByte(s, '~') < 0 && strings.IndexByte(s, '/') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// Locate resolves an RFC 6901 JSON pointer in the validated document b and
// returns the byte span [start, end) of the value it names. ok is false
// when the pointer is malformed or names nothing.
func Locate(b []byte, pointer string) (start, end int, ok bool) {
	start = skipWS(b, 0)
	end = skipValue(b, start)
	if pointer == "" {
		return start, end, start < len(b)
	}
	if pointer[0] != '/' {
		return 0, 0, false
	}
	rest := pointer[1:]
	for {
		tok := rest
		more := false
		if k := strings.IndexByte(rest, '/'); k >= 0 {
			tok, rest, more = rest[:k], rest[k+1:], true
		}
		if strings.IndexByte(tok, '~') >= 0 {
			if !validTilde(tok) {
				return 0, 0, false
			}
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		}
		v := Value(b[start:end])
		found := false
		switch v.Kind() {
		case Object:
			it := v.Object()
			var s, e int
			for it.Next() {
				if it.KeyIs(tok) { // the last one wins, as in Get
					s = start + it.i - len(it.Val)
					e = s + len(it.Val)
					found = true
				}
			}
			start, end = s, e
		case Array:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || (len(tok) > 1 && tok[0] == '0') || tok[0] == '+' {
				return 0, 0, false
			}
			it := v.Array()
			for it.Next() {
				if it.I == n {
					s := start + it.i - len(it.Val)
					start, end = s, s+len(it.Val)
					found = true
					break
				}
			}
		}
		if !found {
			return 0, 0, false
		}
		if !more {
			return start, end, true
		}
	}
}

func validTilde(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if tok[i] == '~' && (i+1 >= len(tok) || (tok[i+1] != '0' && tok[i+1] != '1')) {
			return false
		}
	}
	return true
}

// AppendUnescaped appends the decoded form of raw, the text between the
// quotes of a validated JSON string (such as ObjectIter.Key), to dst.
func AppendUnescaped(dst, raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return append(dst, raw...)
	}
	return unescape(dst, raw)
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// zeroBytes has the high bit set in the lowest zero byte of x (and
// possibly in bytes above it): the lowest set bit is exact.
func zeroBytes(x uint64) uint64 { return (x - lsb) &^ x & msb }

// skipContainer returns the offset just past the array or object that
// starts at b[i]. Eight bytes at a time it looks for the only bytes that
// matter, '"', '{', '}', '[' and ']' ('[' and '{', ']' and '}' differ in
// bit 5 only).
func skipContainer(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			y := x | 0x2020202020202020
			m := zeroBytes(x^0x2222222222222222) | zeroBytes(y^0x7b7b7b7b7b7b7b7b) | zeroBytes(y^0x7d7d7d7d7d7d7d7d)
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
			break
		}
		if i >= len(b) {
			break
		}
		switch b[i] {
		case '"':
			i = skipString(b, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(b)
}
