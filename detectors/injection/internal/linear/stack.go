package linear

import (
	"math"
)

// Families is the number of heuristic signal families a window reports to
// the combiner (package injection's classIndex).
const Families = 9

// StackInput is what the detector knows of one window before combining:
// the classifier's calibrated probability, the strongest signal weight of
// each family, and who wrote the text.
type StackInput struct {
	P       float64
	Fam     [Families]float64
	Speaker Speaker
}

// StackParams is the number of the combiner's parameters per speaker.
const StackParams = 2

// Stack combines a window's classifier probability with its heuristic
// signals the way the detector always has, as independent evidence
// (1 − (1−c)·Π(1−w) over the strongest signal w of each family), with the
// classifier's term c recalibrated for sources it was never trained on:
// c = min(p, σ(A·logit(p) + B)), A ≥ 0 and B per speaker, fitted on the
// scores that classifiers trained without a source group give that group
// (package stacking). c never exceeds the classifier's own p (so a window
// it clears keeps only its signals' evidence), A < 1 flattens it where it
// is confident, and with A = 0 σ(B) caps it.
type Stack struct {
	W [Speakers][StackParams]float64
}

// Classifier is the classifier's term c for probability p and speaker sp.
func (s *Stack) Classifier(p float64, sp Speaker) float64 {
	w := &s.W[sp&1]
	return math.Min(p, sigmoid(float64(w[0]*Logit(p))+w[1]))
}

// Prob is the combined probability of a window.
func (s *Stack) Prob(in StackInput) float64 {
	return 1 - (1-s.Classifier(in.P, in.Speaker))*miss(in.Fam)
}

func miss(fam [Families]float64) float64 {
	m := 1.0
	for _, w := range fam {
		m *= 1 - w
	}
	return m
}

// Logit is the inverse of the logistic function, clamped away from 0 and 1.
func Logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

// TrainStack fits A and B per speaker by weighted maximum likelihood of
// the combined probability (gradient descent with backtracking from A = 1,
// B = 0, the classifier as it is, for a fixed number of steps, A kept at
// or above zero), with an L2 pull towards that start.
// Deterministic: the same inputs in the same order give the same weights.
func TrainStack(in []StackInput, labels []bool, weights []float64, l2 float64) *Stack {
	st := &Stack{}
	for sp := Speaker(0); sp < Speakers; sp++ {
		var ps, ms, ys, ws []float64
		for i := range in {
			if in[i].Speaker&1 != sp {
				continue
			}
			ps = append(ps, in[i].P)
			ms = append(ms, miss(in[i].Fam))
			y := 0.0
			if labels[i] {
				y = 1
			}
			ys = append(ys, y)
			ws = append(ws, weights[i])
		}
		st.W[sp] = fitStack(ps, ms, ys, ws, l2)
	}
	return st
}

// stackStart is where the fit starts and what the penalty pulls towards.
var stackStart = [StackParams]float64{1, 0}

func fitStack(ps, ms, ys, ws []float64, l2 float64) [StackParams]float64 {
	w := stackStart
	if len(ps) == 0 {
		return w
	}
	total := 0.0
	for _, v := range ws {
		total += v
	}
	ls := make([]float64, len(ps))
	for k, p := range ps {
		ls[k] = Logit(p)
	}
	// obj is the mean weighted negative log-likelihood plus the penalty;
	// grad its gradient.
	obj := func(w [StackParams]float64) (f float64, g [StackParams]float64) {
		for k := range ls {
			s := sigmoid(float64(w[0]*ls[k]) + w[1])
			c, dc := s, float64(s*(1-s)) // c and dc/dz
			if ps[k] < s {
				c, dc = ps[k], 0
			}
			notP := math.Max(float64((1-c)*ms[k]), 1e-12) // 1 − P
			p := math.Max(1-notP, 1e-12)
			var dz float64
			if ys[k] == 1 {
				f -= float64(ws[k] * math.Log(p))
				dz = -float64(ms[k]*dc) / p
			} else {
				f -= float64(ws[k] * math.Log(notP))
				dz = dc / math.Max(1-c, 1e-12)
			}
			dz = float64(ws[k] * dz)
			g[0] += float64(dz * ls[k])
			g[1] += dz
		}
		f /= total
		g[0], g[1] = g[0]/total, g[1]/total
		d0, d1 := w[0]-stackStart[0], w[1]-stackStart[1]
		f += float64(l2 * float64(float64(d0*d0)+float64(d1*d1)))
		g[0] += float64(2 * l2 * d0)
		g[1] += float64(2 * l2 * d1)
		return f, g
	}
	f, g := obj(w)
	step := 1.0
	for it := 0; it < 300; it++ {
		for step > 1e-8 {
			// A stays at or above zero: a higher classifier score is
			// never evidence against an injection.
			nw := [StackParams]float64{math.Max(0, w[0]-float64(step*g[0])), w[1] - float64(step*g[1])}
			nf, ng := obj(nw)
			if nf < f {
				w, f, g = nw, nf, ng
				step *= 2
				break
			}
			step /= 2
		}
		if step <= 1e-8 || math.Abs(g[1]) < 1e-9 && (math.Abs(g[0]) < 1e-9 || w[0] == 0 && g[0] > 0) {
			break
		}
	}
	return w
}
