package linear

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// stackData is a synthetic held-out set: malicious windows carry a strong
// classifier score or an override signal, benign ones mostly neither; the
// fake-delimiter family is noise that benign windows carry more often.
func stackData() ([]StackInput, []bool, []float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	var in []StackInput
	var labels []bool
	var weights []float64
	for i := 0; i < 2000; i++ {
		mal := i%2 == 0
		x := StackInput{Speaker: Speaker(i % 4 / 2)}
		x.P = rng.Float64() * 0.6
		if mal {
			x.P = 0.4 + rng.Float64()*0.6
			if rng.IntN(2) == 0 {
				x.Fam[0] = 0.9
			}
		}
		if !mal && rng.IntN(3) == 0 {
			x.Fam[3] = 0.5
		}
		in = append(in, x)
		labels = append(labels, mal)
		weights = append(weights, 1)
	}
	return in, labels, weights
}

func TestTrainStack(t *testing.T) {
	t.Parallel()
	in, labels, weights := stackData()
	a := TrainStack(in, labels, weights, 1e-3)
	b := TrainStack(in, labels, weights, 1e-3)
	if a.W != b.W {
		t.Fatal("two fits of the same data differ")
	}
	// Benign windows reach p = 0.6: the fitted classifier term must
	// score them lower than the raw probability, attacks with a signal high.
	for sp := Speaker(0); sp < Speakers; sp++ {
		if c := a.Classifier(0.55, sp); c >= 0.55 {
			t.Errorf("speaker %d: c(0.55) = %.3f, want it flattened: %v", sp, c, a.W[sp])
		}
		if p := a.Prob(StackInput{P: 0.95, Fam: [Families]float64{0.9}, Speaker: sp}); p < 0.95 {
			t.Errorf("speaker %d: attack with a signal %.3f", sp, p)
		}
		if p := a.Prob(StackInput{P: 0.1, Speaker: sp}); p > 0.2 {
			t.Errorf("speaker %d: benign %.3f", sp, p)
		}
		// No floor: a window the classifier clears keeps only its
		// signals' evidence.
		if p := a.Prob(StackInput{P: 0, Fam: [Families]float64{0.5}, Speaker: sp}); p != 0.5 {
			t.Errorf("speaker %d: p=0 with one 0.5 signal combines to %v, want 0.5", sp, p)
		}
	}
}

// roundTrip encodes m and loads the bytes back.
func roundTrip(t *testing.T, m *Model) ([]byte, *Model) {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	return b, got
}

func TestStackRoundTrip(t *testing.T) {
	t.Parallel()
	in, labels, weights := stackData()
	m := quantize(make([]float64, Dim), [Speakers]float64{0.5, -0.5})
	m.Stack = TrainStack(in, labels, weights, 1e-3)
	b, got := roundTrip(t, m)
	if got.Stack == nil || got.Stack.W != m.Stack.W {
		t.Fatalf("combiner did not survive the round trip: %+v", got.Stack)
	}
	again, _ := got.MarshalBinary()
	if !bytes.Equal(again, b) {
		t.Fatal("re-encoding changed the bytes")
	}
	if _, err := Load(b[:len(b)-1]); err == nil {
		t.Fatal("a truncated combiner loaded")
	}
}

func TestLMRoundTrip(t *testing.T) {
	t.Parallel()
	m := quantize(make([]float64, Dim), [Speakers]float64{0.5, -0.5})
	m.LM = make([]byte, LMSize)
	for i := range m.LM {
		m.LM[i] = byte(i * 7)
	}
	b, got := roundTrip(t, m)
	if !bytes.Equal(got.LM, m.LM) || got.Stack != nil {
		t.Fatal("the LM table did not survive the round trip")
	}
	if _, err := Load(b[:len(b)-1]); err == nil {
		t.Fatal("a truncated LM table loaded")
	}
	m.LM = m.LM[:10]
	if _, err := m.MarshalBinary(); err == nil {
		t.Fatal("an LM table of the wrong size was written")
	}
}
