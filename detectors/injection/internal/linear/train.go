package linear

import (
	"math"
	"math/rand/v2"
)

// Example is one labelled training vector.
type Example struct {
	X     Sparse
	Label bool
}

// Params are the trainer's hyper-parameters.
type Params struct {
	Seed   uint64  // shuffling seed
	Epochs int     // passes over the data
	Rate   float64 // AdaGrad base learning rate
	L2     float64 // L2 penalty per update on touched weights
}

// DefaultParams are the hyper-parameters of the shipped model.
var DefaultParams = Params{Seed: 20240611, Epochs: 12, Rate: 0.3, L2: 1e-6}

// Train fits a logistic regression with AdaGrad over examples in an order
// fixed by p.Seed, weighting the two classes equally. The result is
// uncalibrated (A = -1, B = 0) and quantized to int8; call Calibrate with
// margins of the quantized model. Training is deterministic:
// the same examples and params give bit-identical weights on every
// platform (explicit conversions keep the compiler from fusing
// multiply-adds).
func Train(ex []Example, p Params) *Model {
	w := make([]float64, Dim)
	g2 := make([]float64, Dim)
	var bias, gb2 [Speakers]float64
	pos := 0
	for _, e := range ex {
		if e.Label {
			pos++
		}
	}
	neg := len(ex) - pos
	wPos, wNeg := 1.0, 1.0
	if pos > 0 && neg > 0 {
		wPos = float64(len(ex)) / float64(2*pos)
		wNeg = float64(len(ex)) / float64(2*neg)
	}
	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(p.Seed, p.Seed^0x6a09e667f3bcc909))
	for epoch := 0; epoch < p.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			e := ex[k]
			sp := e.X.Speaker & 1
			z := bias[sp]
			for j, i := range e.X.Idx {
				z += float64(w[i] * float64(e.X.Val[j]))
			}
			y, cw := 0.0, wNeg
			if e.Label {
				y, cw = 1.0, wPos
			}
			d := float64(cw * float64(sigmoid(z)-y)) // dLoss/dz
			gb2[sp] += float64(d * d)
			bias[sp] -= float64(p.Rate * d / (math.Sqrt(gb2[sp]) + 1e-8))
			for j, i := range e.X.Idx {
				g := float64(d*float64(e.X.Val[j])) + float64(p.L2*w[i])
				g2[i] += float64(g * g)
				w[i] -= float64(p.Rate * g / (math.Sqrt(g2[i]) + 1e-8))
			}
		}
	}
	return quantize(w, bias)
}

// Calibrate fits Platt scaling on held-out margins and labels (Platt's
// method with Lin, Lin and Weng's Newton iteration), setting m.A and m.B.
func (m *Model) Calibrate(margins []float64, labels []bool) {
	var nPos, nNeg float64
	for _, l := range labels {
		if l {
			nPos++
		} else {
			nNeg++
		}
	}
	if nPos == 0 || nNeg == 0 {
		m.A, m.B = -1, 0
		return
	}
	hi := (nPos + 1) / (nPos + 2)
	lo := 1 / (nNeg + 2)
	t := make([]float64, len(labels))
	for i, l := range labels {
		if l {
			t[i] = hi
		} else {
			t[i] = lo
		}
	}
	a, b := 0.0, math.Log((nNeg+1)/(nPos+1))
	const sigma = 1e-12
	obj := func(a, b float64) float64 {
		f := 0.0
		for i, z := range margins {
			fApB := float64(z*a) + b
			if fApB >= 0 {
				f += float64(t[i]*fApB) + math.Log1p(math.Exp(-fApB))
			} else {
				f += float64((t[i]-1)*fApB) + math.Log1p(math.Exp(fApB))
			}
		}
		return f
	}
	fval := obj(a, b)
	for it := 0; it < 100; it++ {
		h11, h22, h21, g1, g2 := sigma, sigma, 0.0, 0.0, 0.0
		for i, z := range margins {
			fApB := float64(z*a) + b
			var p, q float64
			if fApB >= 0 {
				p = math.Exp(-fApB) / (1 + math.Exp(-fApB))
				q = 1 / (1 + math.Exp(-fApB))
			} else {
				p = 1 / (1 + math.Exp(fApB))
				q = math.Exp(fApB) / (1 + math.Exp(fApB))
			}
			d2 := float64(p * q)
			h11 += float64(float64(z*z) * d2)
			h22 += d2
			h21 += float64(z * d2)
			d1 := t[i] - p
			g1 += float64(z * d1)
			g2 += d1
		}
		if math.Abs(g1) < 1e-5 && math.Abs(g2) < 1e-5 {
			break
		}
		det := float64(h11*h22) - float64(h21*h21)
		dA := -(float64(h22*g1) - float64(h21*g2)) / det
		dB := -(float64(-h21*g1) + float64(h11*g2)) / det
		gd := float64(g1*dA) + float64(g2*dB)
		step := 1.0
		for step >= 1e-10 {
			na, nb := a+float64(step*dA), b+float64(step*dB)
			nf := obj(na, nb)
			if nf < fval+float64(0.0001*step*gd) {
				a, b, fval = na, nb, nf
				break
			}
			step /= 2
		}
		if step < 1e-10 {
			break
		}
	}
	m.A, m.B = a, b
}
