package linear

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// magic opens every weights file; the last two bytes are the format version.
var magic = [8]byte{'P', 'K', 'T', 'I', 'N', 'J', '0', '5'}

// Model is a calibrated linear classifier. Its zero value is not usable; a
// Model is read-only once built and safe for concurrent use.
type Model struct {
	// W holds Dim weights quantized to int8, indexed by hash&(Dim-1); the
	// weight of a bucket is W·Q, negated when the hash's top bit is set.
	W []int8
	Q float64
	// Bias per speaker.
	Bias [Speakers]float64
	// Platt calibration: P(injection) = 1 / (1 + exp(A·margin + B)).
	A, B float64
	// Stack, when set, combines a window's probability with the
	// heuristic signals (see Stack); nil in a model still being built.
	Stack *Stack
	// LM, when set, is the character model of ordinary text the detector
	// measures adversarial suffixes with (package charlm's table, LMSize
	// bytes; opaque here).
	LM []byte
}

// LMSize is the length of a model's LM table (charlm.Size).
const LMSize = 64 * 64 * 64

// Margin is the raw linear score of a feature vector.
func (m *Model) Margin(s Sparse) float64 {
	z := 0.0
	for k, i := range s.Idx {
		z += float64(float64(m.W[i]) * float64(s.Val[k]))
	}
	return m.Bias[s.Speaker&1] + float64(z*m.Q)
}

// WindowMargin is the raw linear score of a span written by speaker s whose
// n distinct features' quantized weights sum to sum (see Windows).
func (m *Model) WindowMargin(sum int64, n int, s Speaker) float64 {
	return m.Bias[s&1] + float64(float64(sum)*m.Q)*Scale(n)
}

// Prob turns a margin into a calibrated probability.
func (m *Model) Prob(margin float64) float64 {
	return sigmoid(-float64(m.A*margin) - m.B)
}

// ProbText scores one normalized text written by s as a whole.
func (m *Model) ProbText(text []byte, s Speaker) float64 {
	return m.Prob(m.Margin(Vectorize(text, s)))
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// MarshalBinary encodes m in the weights file format: magic, bits, flags,
// bias of each speaker, A, B, Q (float64), then Dim int8 weights, then,
// when flags has bit 0 set, the combiner's weights (float64, speaker by
// speaker), all little-endian, then, when flags has bit 1 set, the LM
// table.
func (m *Model) MarshalBinary() ([]byte, error) {
	if len(m.W) != Dim {
		return nil, fmt.Errorf("linear: model has %d weights, want %d", len(m.W), Dim)
	}
	var buf bytes.Buffer
	buf.Grow(headerLen + Dim)
	buf.Write(magic[:])
	var hdr [headerLen - 8]byte
	binary.LittleEndian.PutUint32(hdr[0:], Bits)
	flags := uint32(0)
	if m.Stack != nil {
		flags = flagStack
	}
	if m.LM != nil {
		if len(m.LM) != LMSize {
			return nil, fmt.Errorf("linear: LM table of %d bytes, want %d", len(m.LM), LMSize)
		}
		flags |= flagLM
	}
	binary.LittleEndian.PutUint32(hdr[4:], flags)
	binary.LittleEndian.PutUint64(hdr[8:], math.Float64bits(m.Bias[0]))
	binary.LittleEndian.PutUint64(hdr[16:], math.Float64bits(m.Bias[1]))
	binary.LittleEndian.PutUint64(hdr[24:], math.Float64bits(m.A))
	binary.LittleEndian.PutUint64(hdr[32:], math.Float64bits(m.B))
	binary.LittleEndian.PutUint64(hdr[40:], math.Float64bits(m.Q))
	buf.Write(hdr[:])
	for _, v := range m.W {
		buf.WriteByte(byte(v))
	}
	if m.Stack != nil {
		var b [8]byte
		for sp := range m.Stack.W {
			for _, v := range m.Stack.W[sp] {
				binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
				buf.Write(b[:])
			}
		}
	}
	buf.Write(m.LM)
	return buf.Bytes(), nil
}

const (
	headerLen = 8 + 8 + 40
	stackLen  = 8 * Speakers * StackParams
	flagStack = 1
	flagLM    = 2
)

// ErrFormat is returned for a weights file that is not in this package's
// format.
var ErrFormat = errors.New("linear: not a weights file of this version")

// Load decodes a weights file.
func Load(b []byte) (*Model, error) {
	if len(b) < headerLen+Dim || !bytes.Equal(b[:8], magic[:]) {
		return nil, ErrFormat
	}
	if binary.LittleEndian.Uint32(b[8:]) != Bits {
		return nil, fmt.Errorf("%w: bits %d", ErrFormat, binary.LittleEndian.Uint32(b[8:]))
	}
	flags := binary.LittleEndian.Uint32(b[12:])
	want := headerLen + Dim
	if flags&flagStack != 0 {
		want += stackLen
	}
	if flags&flagLM != 0 {
		want += LMSize
	}
	if flags&^(flagStack|flagLM) != 0 || len(b) != want {
		return nil, fmt.Errorf("%w: flags %#x, %d bytes", ErrFormat, flags, len(b))
	}
	m := &Model{
		W:    make([]int8, Dim),
		Bias: [Speakers]float64{math.Float64frombits(binary.LittleEndian.Uint64(b[16:])), math.Float64frombits(binary.LittleEndian.Uint64(b[24:]))},
		A:    math.Float64frombits(binary.LittleEndian.Uint64(b[32:])),
		B:    math.Float64frombits(binary.LittleEndian.Uint64(b[40:])),
		Q:    math.Float64frombits(binary.LittleEndian.Uint64(b[48:])),
	}
	for i, v := range b[headerLen : headerLen+Dim] {
		m.W[i] = int8(v)
	}
	params := []float64{m.Bias[0], m.Bias[1], m.A, m.B, m.Q}
	if flags&flagStack != 0 {
		m.Stack = &Stack{}
		off := headerLen + Dim
		for sp := range m.Stack.W {
			for i := range m.Stack.W[sp] {
				m.Stack.W[sp][i] = math.Float64frombits(binary.LittleEndian.Uint64(b[off:]))
				params = append(params, m.Stack.W[sp][i])
				off += 8
			}
		}
	}
	if flags&flagLM != 0 {
		m.LM = append([]byte(nil), b[len(b)-LMSize:]...)
	}
	for _, f := range params {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: non-finite parameter", ErrFormat)
		}
	}
	return m, nil
}

// quantize turns float weights into a Model's int8 weights and scale.
func quantize(w []float64, bias [Speakers]float64) *Model {
	maxAbs := 0.0
	for _, v := range w {
		maxAbs = math.Max(maxAbs, math.Abs(v))
	}
	m := &Model{W: make([]int8, Dim), Bias: bias, A: -1}
	if maxAbs == 0 {
		m.Q = 1
		return m
	}
	m.Q = maxAbs / 127
	for i, v := range w {
		q := math.Round(v / m.Q)
		m.W[i] = int8(math.Max(-127, math.Min(127, q)))
	}
	return m
}
