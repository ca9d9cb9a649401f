package linear

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// magic opens every weights file; the last two bytes are the format version.
var magic = [8]byte{'P', 'K', 'T', 'I', 'N', 'J', '0', '1'}

// Model is a calibrated linear classifier. Its zero value is not usable; a
// Model is read-only once built and safe for concurrent use.
type Model struct {
	W    []float32 // Dim signed weights, indexed by hash&(Dim-1)
	Bias float64
	// Platt calibration: P(injection) = 1 / (1 + exp(A·margin + B)).
	A, B float64
}

// Weight returns the signed weight of feature hash h.
func (m *Model) Weight(h uint32) float32 {
	w := m.W[h&mask]
	if h&0x80000000 != 0 {
		return -w
	}
	return w
}

// Margin is the raw linear score of a feature vector.
func (m *Model) Margin(s Sparse) float64 {
	z := m.Bias
	for k, i := range s.Idx {
		z += float64(float64(m.W[i]) * float64(s.Val[k]))
	}
	return z
}

// Prob turns a margin into a calibrated probability.
func (m *Model) Prob(margin float64) float64 {
	return sigmoid(-float64(m.A*margin) - m.B)
}

// ProbText scores one normalized text as a whole.
func (m *Model) ProbText(text []byte) float64 {
	return m.Prob(m.Margin(Vectorize(text)))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// MarshalBinary encodes m in the weights file format: magic, bits, flags,
// bias, A, B (float64), then Dim float32 weights, all little-endian.
func (m *Model) MarshalBinary() ([]byte, error) {
	if len(m.W) != Dim {
		return nil, fmt.Errorf("linear: model has %d weights, want %d", len(m.W), Dim)
	}
	var buf bytes.Buffer
	buf.Grow(8 + 8 + 24 + 4*Dim)
	buf.Write(magic[:])
	var hdr [8 + 24]byte
	binary.LittleEndian.PutUint32(hdr[0:], Bits)
	binary.LittleEndian.PutUint32(hdr[4:], 0)
	binary.LittleEndian.PutUint64(hdr[8:], math.Float64bits(m.Bias))
	binary.LittleEndian.PutUint64(hdr[16:], math.Float64bits(m.A))
	binary.LittleEndian.PutUint64(hdr[24:], math.Float64bits(m.B))
	buf.Write(hdr[:])
	var w [4]byte
	for _, v := range m.W {
		binary.LittleEndian.PutUint32(w[:], math.Float32bits(v))
		buf.Write(w[:])
	}
	return buf.Bytes(), nil
}

// ErrFormat is returned for a weights file that is not in this package's
// format.
var ErrFormat = errors.New("linear: not a weights file of this version")

// Load decodes a weights file.
func Load(b []byte) (*Model, error) {
	if len(b) != 8+8+24+4*Dim || !bytes.Equal(b[:8], magic[:]) {
		return nil, ErrFormat
	}
	if binary.LittleEndian.Uint32(b[8:]) != Bits {
		return nil, fmt.Errorf("%w: bits %d", ErrFormat, binary.LittleEndian.Uint32(b[8:]))
	}
	m := &Model{
		W:    make([]float32, Dim),
		Bias: math.Float64frombits(binary.LittleEndian.Uint64(b[16:])),
		A:    math.Float64frombits(binary.LittleEndian.Uint64(b[24:])),
		B:    math.Float64frombits(binary.LittleEndian.Uint64(b[32:])),
	}
	p := b[40:]
	for i := range m.W {
		m.W[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	for _, f := range []float64{m.Bias, m.A, m.B} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: non-finite parameter", ErrFormat)
		}
	}
	return m, nil
}
