// Package jsonscan validates JSON text strictly and reads validated text
// without building a tree: a Value is a sub-slice of the input, and
// iterators walk objects and arrays in place. It exists because the hook
// decoder is on the hot path and must refuse what encoding/json would
// silently accept (invalid UTF-8) or spend unbounded work on (deep nesting).
//
// Validate first; the readers (Value, ObjectIter, ArrayIter) assume their
// input passed Validate and never panic on it.
package jsonscan

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// ErrorKind classifies a SyntaxError.
type ErrorKind uint8

// Kinds of syntax errors.
const (
	ErrSyntax ErrorKind = iota + 1 // not JSON
	ErrEOF                         // input ends inside a value
	ErrUTF8                        // invalid UTF-8 inside a string
	ErrDepth                       // nesting deeper than the limit
	ErrEmpty                       // no value at all
)

// SyntaxError describes why Validate refused its input.
type SyntaxError struct {
	Kind   ErrorKind
	Offset int    // byte offset in the input where the problem was found
	Field  string // top-level object member the problem is inside, "" for the document itself
	Msg    string // detail for ErrSyntax
	Limit  int    // the depth limit, for ErrDepth
}

// Error names the field (or "body") and the problem.
func (e *SyntaxError) Error() string {
	f := e.Field
	if f == "" {
		f = "body"
	}
	switch e.Kind {
	case ErrEOF:
		return fmt.Sprintf("%s: unexpected end of JSON input at byte %d", f, e.Offset)
	case ErrUTF8:
		return fmt.Sprintf("%s: invalid UTF-8 at byte %d", f, e.Offset)
	case ErrDepth:
		return fmt.Sprintf("%s: nesting deeper than %d levels at byte %d", f, e.Limit, e.Offset)
	case ErrEmpty:
		return fmt.Sprintf("%s: empty", f)
	}
	return fmt.Sprintf("%s: invalid JSON at byte %d: %s", f, e.Offset, e.Msg)
}

// DefaultMaxDepth is the nesting limit the hook decoder uses.
const DefaultMaxDepth = 256

// Validate reports whether b holds exactly one JSON value (RFC 8259,
// surrounded by optional whitespace) whose strings are valid UTF-8 and
// whose arrays and objects nest at most maxDepth levels. When the value is
// an object, errors inside one of its members name that member in Field.
// The returned error is nil or a *SyntaxError.
func Validate(b []byte, maxDepth int) error {
	_, err := validate(b, maxDepth, nil, false)
	return err
}

// Member is a member of the top-level object, or of an object that is the
// value of one (Parent is then the index of that member; -1 for top-level
// members).
type Member struct {
	Key    []byte // raw key text between the quotes (escapes not decoded)
	Val    Value
	Parent int
}

// ValidateMembers is Validate that also returns, appended to dst, the
// members of the top-level object and of the objects one level down, in
// document order; the members of an object follow its own entry. Readers
// of the document then need not scan these levels again.
func ValidateMembers(b []byte, maxDepth int, dst []Member) ([]Member, error) {
	return validate(b, maxDepth, dst, true)
}

func validate(b []byte, maxDepth int, dst []Member, record bool) ([]Member, error) {
	v := validator{b: b, max: maxDepth, field: -1, members: dst, record: record, parent: -1}
	v.skipWS()
	if v.i >= len(b) {
		return dst, &SyntaxError{Kind: ErrEmpty}
	}
	if !v.value(0) {
		return dst, v.err
	}
	v.skipWS()
	if v.i < len(b) {
		v.fail(ErrSyntax, "data after the top-level value")
		return dst, v.err
	}
	return v.members, nil
}

type validator struct {
	b     []byte
	i     int
	max   int
	field int // offset of the current top-level member's key, -1 outside
	err   *SyntaxError

	record  bool
	members []Member
	parent  int // index in members of the top-level member being read
}

func (v *validator) fail(kind ErrorKind, msg string) bool {
	e := &SyntaxError{Kind: kind, Offset: v.i, Msg: msg, Limit: v.max}
	if v.field >= 0 {
		e.Field = Value(v.b[v.field:skipString(v.b, v.field)]).Str()
	}
	v.err = e
	return false
}

func (v *validator) unexpected(what string) bool {
	if v.i >= len(v.b) {
		return v.fail(ErrEOF, "")
	}
	return v.fail(ErrSyntax, fmt.Sprintf("invalid character %s %s", quoteByte(v.b[v.i]), what))
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("0x%02x", c)
}

func (v *validator) skipWS() {
	if v.i < len(v.b) && v.b[v.i] > ' ' {
		return // compact JSON: no whitespace at all
	}
	// Indented JSON has long runs of spaces.
	for v.i+8 <= len(v.b) && binary.LittleEndian.Uint64(v.b[v.i:]) == 0x2020202020202020 {
		v.i += 8
	}
	for v.i < len(v.b) {
		switch v.b[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

func (v *validator) value(depth int) bool {
	if v.i >= len(v.b) {
		return v.fail(ErrEOF, "")
	}
	switch c := v.b[v.i]; c {
	case '{':
		return v.object(depth + 1)
	case '[':
		return v.array(depth + 1)
	case '"':
		return v.str()
	case 't':
		return v.literal("true")
	case 'f':
		return v.literal("false")
	case 'n':
		return v.literal("null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return v.number()
		}
		return v.unexpected("looking for the beginning of a value")
	}
}

func (v *validator) literal(lit string) bool {
	for k := 0; k < len(lit); k++ {
		if v.i >= len(v.b) {
			return v.fail(ErrEOF, "")
		}
		if v.b[v.i] != lit[k] {
			return v.unexpected("in literal " + lit)
		}
		v.i++
	}
	return true
}

func (v *validator) digits() bool {
	start := v.i
	for v.i < len(v.b) && v.b[v.i] >= '0' && v.b[v.i] <= '9' {
		v.i++
	}
	if v.i == start {
		return v.unexpected("in number (expecting a digit)")
	}
	return true
}

func (v *validator) number() bool {
	if v.b[v.i] == '-' {
		v.i++
	}
	if v.i >= len(v.b) {
		return v.fail(ErrEOF, "")
	}
	if v.b[v.i] == '0' {
		v.i++
	} else if !v.digits() {
		return false
	}
	if v.i < len(v.b) && v.b[v.i] == '.' {
		v.i++
		if !v.digits() {
			return false
		}
	}
	if v.i < len(v.b) && (v.b[v.i] == 'e' || v.b[v.i] == 'E') {
		v.i++
		if v.i < len(v.b) && (v.b[v.i] == '+' || v.b[v.i] == '-') {
			v.i++
		}
		if !v.digits() {
			return false
		}
	}
	return true
}

// plain marks the bytes a string may hold without further checks.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (v *validator) str() bool {
	b := v.b
	i := v.i + 1
	for {
		// Fast path over plain ASCII, eight bytes at a time: no byte below
		// 0x20, none with the high bit, no '"' and no '\\'.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if ((x-0x2020202020202020)&^x|x)&msb != 0 ||
				zeroBytes(x^0x2222222222222222)|zeroBytes(x^0x5c5c5c5c5c5c5c5c) != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			v.i = i
			return v.fail(ErrEOF, "")
		}
		c := b[i]
		switch {
		case c == '"':
			v.i = i + 1
			return true
		case c == '\\':
			if i+1 >= len(b) {
				v.i = i + 1
				return v.fail(ErrEOF, "")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(b) {
						v.i = i + k
						return v.fail(ErrEOF, "")
					}
					if unhex(b[i+k]) < 0 {
						v.i = i + k
						return v.unexpected("in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				v.i = i + 1
				return v.unexpected("in string escape code")
			}
		case c < 0x20:
			v.i = i
			return v.unexpected("in string literal (control characters must be escaped)")
		default: // c >= 0x80
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				v.i = i
				return v.fail(ErrUTF8, "")
			}
			i += size
		}
	}
}

func (v *validator) object(depth int) bool {
	if depth > v.max {
		return v.fail(ErrDepth, "")
	}
	v.i++ // '{'
	v.skipWS()
	if v.i < len(v.b) && v.b[v.i] == '}' {
		v.i++
		return true
	}
	for {
		v.skipWS()
		if v.i >= len(v.b) || v.b[v.i] != '"' {
			return v.unexpected("looking for the beginning of an object key")
		}
		keyAt := v.i
		if !v.str() {
			return false
		}
		keyEnd := v.i - 1
		v.skipWS()
		if v.i >= len(v.b) || v.b[v.i] != ':' {
			return v.unexpected("after object key")
		}
		v.i++
		v.skipWS()
		if depth == 1 {
			v.field = keyAt
		}
		slot := -1
		if v.record && (depth == 1 || (depth == 2 && v.parent >= 0)) {
			slot = len(v.members)
			p := -1
			if depth == 2 {
				p = v.parent
			}
			v.members = append(v.members, Member{Key: v.b[keyAt+1 : keyEnd], Parent: p})
			if depth == 1 {
				v.parent = slot
			}
		}
		valAt := v.i
		if !v.value(depth) {
			return false
		}
		if slot >= 0 {
			v.members[slot].Val = Value(v.b[valAt:v.i])
		}
		if depth == 1 {
			v.field = -1
		}
		v.skipWS()
		if v.i >= len(v.b) {
			return v.fail(ErrEOF, "")
		}
		switch v.b[v.i] {
		case ',':
			v.i++
		case '}':
			v.i++
			return true
		default:
			return v.unexpected("after object member")
		}
	}
}

func (v *validator) array(depth int) bool {
	if depth > v.max {
		return v.fail(ErrDepth, "")
	}
	v.i++ // '['
	v.skipWS()
	if v.i < len(v.b) && v.b[v.i] == ']' {
		v.i++
		return true
	}
	for {
		v.skipWS()
		if !v.value(depth) {
			return false
		}
		v.skipWS()
		if v.i >= len(v.b) {
			return v.fail(ErrEOF, "")
		}
		switch v.b[v.i] {
		case ',':
			v.i++
		case ']':
			v.i++
			return true
		default:
			return v.unexpected("after array element")
		}
	}
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
