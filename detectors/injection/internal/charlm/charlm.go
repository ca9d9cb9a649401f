// Package charlm is a character trigram model of ordinary text: how
// surprising each byte of a normalized text is after the two before it,
// learned from benign prompts, documents, code and agent traffic. The
// detector uses it to see an adversarial suffix (GCG-style optimised junk
// glued to a fluent request), which no word list names: the junk is far
// less likely than the request in front of it.
package charlm

import (
	"fmt"
	"math"
)

// Bytes are folded into classes (letters, one class for digits,
// whitespace, newline, each ASCII punctuation mark, non-ASCII, other
// controls) so that the table is small and dense; start opens a text.
const (
	classes = 64
	start   = 63
	// Size is the length of a model's table: one surprise per trigram of
	// classes.
	Size = classes * classes * classes
	// Unit is the scale of a stored surprise: Unit steps per nat.
	Unit = 16
)

var classOf = func() (t [256]uint8) {
	next := uint8(29)
	for c := 0; c < 256; c++ {
		b := byte(c)
		switch {
		case b >= 'a' && b <= 'z':
			t[c] = b - 'a'
		case b >= 'A' && b <= 'Z':
			t[c] = b - 'A'
		case b >= '0' && b <= '9':
			t[c] = 26
		case b == ' ' || b == '\t' || b == '\r':
			t[c] = 27
		case b == '\n':
			t[c] = 28
		case b > ' ' && b < 0x7f:
			t[c] = next // each punctuation mark its own class (32 of them)
			next++
		case b >= 0x80:
			t[c] = 61
		default:
			t[c] = 62
		}
	}
	return t
}()

// Model is a trained table of surprises (−log P(byte | two before), in
// 1/Unit nats, capped at 255). Read-only once built.
type Model struct {
	S []uint8
}

// smoothing is the pseudo-count every class gets after every context.
const smoothing = 0.1

// Train counts trigrams in texts (normalized, see package norm) and
// returns the model. The same texts in the same order give the same
// table.
func Train(texts [][]byte) *Model {
	tri := make([]uint32, Size)
	bi := make([]uint32, classes*classes)
	for _, t := range texts {
		a, b := uint32(start), uint32(start)
		for _, x := range t {
			c := uint32(classOf[x])
			tri[(a*classes+b)*classes+c]++
			bi[a*classes+b]++
			a, b = b, c
		}
	}
	m := &Model{S: make([]uint8, Size)}
	for ctx := 0; ctx < classes*classes; ctx++ {
		n := float64(bi[ctx]) + smoothing*classes
		for c := 0; c < classes; c++ {
			p := (float64(tri[ctx*classes+c]) + smoothing) / n
			m.S[ctx*classes+c] = uint8(math.Min(255, math.Round(-math.Log(p)*Unit)))
		}
	}
	return m
}

// Load wraps a table read from a weights file.
func Load(s []byte) (*Model, error) {
	if len(s) != Size {
		return nil, fmt.Errorf("charlm: table of %d bytes, want %d", len(s), Size)
	}
	return &Model{S: s}, nil
}

// Surprises appends to dst the surprise of every byte of t after the two
// before it (t's own start counts as the start of a text).
func (m *Model) Surprises(dst []uint8, t []byte) []uint8 {
	a, b := uint32(start), uint32(start)
	for _, x := range t {
		c := uint32(classOf[x])
		dst = append(dst, m.S[(a*classes+b)*classes+c])
		a, b = b, c
	}
	return dst
}
