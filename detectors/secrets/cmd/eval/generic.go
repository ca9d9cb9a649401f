package main

import (
	"fmt"
	"go/format"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/picketsec/picket/detectors/secrets"
	"github.com/picketsec/picket/sdk"
)

// Fitting the generic tier (secrets.CredentialModel): every candidate the
// tier's parser accepts on a corpus row (a value under a credential name,
// past the reference and placeholder filters) is a sample, labelled by
// its row; each row weighs 1 in all (a file with ten candidates does not
// count ten times). A logistic regression (L2, Newton's method to
// convergence: 28 features and a few thousand samples need no library)
// gives the weights; the thresholds are the lowest row scores at which
// the training rows' precision reaches the severity's bar with the
// tier's false-positive rate under its cap, and high never below
// credHighFloor:
const (
	credHighPrecision = 0.97 // what the default policy blocks: right nearly always
	credMedPrecision  = 0.85
	credMedFPR        = 0.02
	credLowPrecision  = 0.60 // below: dropped
	credIters         = 4000
	credRate          = 2.0
)

// credHighFPR caps the look-alikes the tier may block, as a share of the
// training look-alikes (-tier-fpr).
var credHighFPR = 0.007

// credHighFloor is the lowest score the high threshold may take
// (-tier-floor): below it the model itself says a look-alike is the
// likelier reading, and a grade that blocks must not rest on that.
var credHighFloor = 0.5

// credNewton fits by Newton's method to convergence (-newton); false is
// the earlier fixed run of gradient descent, whose weights depended on
// where 4,000 steps happened to stop: dropping two look-alikes from the
// training rows moved the high threshold from 0.65 to 0.74.
var credNewton = true

// newtonFit minimises the weighted logistic loss with L2 (the bias not
// penalised) by Newton's method from w, in place: 28 features need a
// 28x28 system per step, and the optimum it reaches is unique, so a
// small change in the rows moves the weights a little, not to another
// stopping point.
func newtonFit(w []float64, xs [][]float64, ys, ws []float64, wsum, l2 float64) {
	nf := len(w)
	for it := 0; it < 100; it++ {
		g := make([]float64, nf)
		h := make([][]float64, nf)
		for k := range h {
			h[k] = make([]float64, nf+1)
		}
		for i, x := range xs {
			z := 0.0
			for k, v := range x {
				z += w[k] * v
			}
			p := 1 / (1 + math.Exp(-z))
			d := (p - ys[i]) * ws[i] / wsum
			c := p * (1 - p) * ws[i] / wsum
			for k, v := range x {
				if v == 0 {
					continue
				}
				g[k] += d * v
				for j, u := range x {
					h[k][j] += c * v * u
				}
			}
		}
		for k := range w {
			reg := 1e-9
			if k > 0 {
				reg = l2
			}
			g[k] += reg * w[k]
			h[k][k] += reg
			h[k][nf] = g[k]
		}
		step := solve(h)
		max := 0.0
		for k := range w {
			w[k] -= step[k]
			max = math.Max(max, math.Abs(step[k]))
		}
		if max < 1e-7 {
			return
		}
	}
}

// solve solves the augmented system a (n rows of n+1) by Gaussian
// elimination with partial pivoting; a is overwritten.
func solve(a [][]float64) []float64 {
	n := len(a)
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		if a[c][c] == 0 {
			continue
		}
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		v := a[r][n]
		for k := r + 1; k < n; k++ {
			v -= a[r][k] * x[k]
		}
		if a[r][r] != 0 {
			x[r] = v / a[r][r]
		}
	}
	return x
}

// credL2 is the fit's L2 penalty (-tier-l2).
var credL2 = 0.0001

// bareL2 is the L2 penalty of the prefixed tier's fit (-bare-l2).
var bareL2 = 0.0001

// credBalance evens out the sources in the fit: a row weighs
// 1/n^credBalance, n the rows of its source and label with candidates, so
// that the largest source does not set the model alone (-tier-balance).
var credBalance = 0.6

// credSamples returns, per row, the feature vectors of the generic tier's
// candidates.
func credSamples(d sdk.Detector, rows []row) ([][][]float64, error) {
	out := make([][][]float64, len(rows))
	for i, r := range rows {
		fs, err := secrets.CollectCredentialFeatures(d, event(r.Text))
		if err != nil {
			return nil, err
		}
		out[i] = fs
	}
	return out, nil
}

// credExtraFPR caps, per severity, the share of the other families'
// benign rows (prose, documentation, commands) the tier may flag.
var credExtraFPR = [3]float64{0.001, 0.003, 0.01} // high, medium, low

// extraRow reports a row of another family (a benign prose or command row).
func extraRow(r row) bool { return !strings.HasPrefix(r.ID, "secrets.") }

type credFitStats struct {
	rows, malRows, benRows, extraRows, samples int
	high, med, low                             score // training rows at each threshold
	bare                                       *credFitStats
}

// bareHighFPR caps the look-alikes the prefixed tier (bare tokens, no
// name) may block, as a share of the training look-alikes (-bare-fpr):
// its own model and thresholds, fitted on its own candidates.
var bareHighFPR = 0.001

// fitCred fits the generic tier's two models on the rows skip does not
// exclude: the named candidates' and the bare tokens' (the feature bare
// tells them apart), each with its own thresholds.
func fitCred(rows []row, feats [][][]float64, skip func(row) bool) (secrets.CredentialModel, credFitStats) {
	named, st := fitCredKind(rows, kindFeats(feats, false), skip, credHighFPR, credL2)
	bare, bst := fitCredKind(rows, kindFeats(feats, true), skip, bareHighFPR, bareL2)
	named.Bare = &bare
	st.bare = &bst
	return named, st
}

// kindFeats keeps, per row, the candidates that are bare tokens (or not).
func kindFeats(feats [][][]float64, bare bool) [][][]float64 {
	out := make([][][]float64, len(feats))
	for i, fs := range feats {
		for _, f := range fs {
			if (f[len(f)-1] == 1) == bare {
				out[i] = append(out[i], f)
			}
		}
	}
	return out
}

// fitCredKind fits one model on the rows skip does not exclude.
func fitCredKind(rows []row, feats [][][]float64, skip func(row) bool, highFPR, l2 float64) (secrets.CredentialModel, credFitStats) {
	var xs [][]float64
	var ys, ws []float64
	var st credFitStats
	perSource := map[string]int{}
	for i, r := range rows {
		if (skip == nil || !skip(r)) && len(feats[i]) > 0 {
			perSource[sourceOf(r)+" "+r.Label]++
		}
	}
	for i, r := range rows {
		if skip != nil && skip(r) {
			continue
		}
		switch {
		case extraRow(r):
			st.extraRows++
		case r.Label == "malicious":
			st.malRows++
		default:
			st.benRows++
		}
		if len(feats[i]) == 0 {
			continue
		}
		st.rows++
		y := 0.0
		if r.Label == "malicious" {
			y = 1
		}
		for _, f := range feats[i] {
			xs = append(xs, f)
			ys = append(ys, y)
			ws = append(ws, 1/float64(len(feats[i]))/math.Pow(float64(perSource[sourceOf(r)+" "+r.Label]), credBalance))
		}
	}
	st.samples = len(xs)
	nf := len(secrets.CredentialFeatureNames())
	w := make([]float64, nf)
	if len(xs) == 0 {
		return secrets.CredentialModel{Weights: w, High: 2, Medium: 2, Low: 2}, st
	}
	var wsum float64
	for _, x := range ws {
		wsum += x
	}
	if credNewton {
		newtonFit(w, xs, ys, ws, wsum, l2)
	} else {
		g := make([]float64, nf)
		for it := 0; it < credIters; it++ {
			for k := range g {
				g[k] = 0
			}
			for i, x := range xs {
				z := 0.0
				for k, v := range x {
					z += w[k] * v
				}
				p := 1 / (1 + math.Exp(-z))
				d := (p - ys[i]) * ws[i]
				for k, v := range x {
					g[k] += d * v
				}
			}
			for k := range w {
				reg := 0.0
				if k > 0 {
					reg = l2 * w[k]
				}
				w[k] -= credRate * (g[k]/wsum + reg)
			}
		}
	}
	m := secrets.CredentialModel{Weights: w}
	// Row scores: the best candidate of each training row.
	type rs struct {
		p          float64
		mal, extra bool
	}
	var scored []rs
	for i, r := range rows {
		if (skip != nil && skip(r)) || len(feats[i]) == 0 {
			continue
		}
		best := 0.0
		for _, f := range feats[i] {
			best = math.Max(best, m.Score(f))
		}
		scored = append(scored, rs{best, r.Label == "malicious", extraRow(r)})
	}
	sort.Slice(scored, func(i, j int) bool { return scored[i].p > scored[j].p })
	pickAt := func(t float64) (float64, score) {
		var s score
		for _, x := range scored {
			if x.p >= t && !x.extra {
				if x.mal {
					s.tp++
				} else {
					s.fp++
				}
			}
		}
		s.fn = st.malRows - s.tp
		s.tn = st.benRows - s.fp
		return t, s
	}
	pick := func(prec, fprCap, extraCap float64) (float64, score) {
		t, best := 2.0, score{}
		var s score
		fpExtra := 0
		for i, x := range scored {
			switch {
			case x.extra:
				fpExtra++
			case x.mal:
				s.tp++
			default:
				s.fp++
			}
			if i+1 < len(scored) && scored[i+1].p == x.p {
				continue
			}
			if ratio(s.tp, s.tp+s.fp+fpExtra) >= prec && ratio(s.fp, st.benRows) <= fprCap && ratio(fpExtra, st.extraRows) <= extraCap {
				t, best = x.p, s
			}
		}
		best.fn = st.malRows - best.tp
		best.tn = st.benRows - best.fp
		return t, best
	}
	m.High, st.high = pick(credHighPrecision, highFPR, credExtraFPR[0])
	if m.High < credHighFloor {
		m.High, st.high = pickAt(credHighFloor)
	}
	m.Medium, st.med = pick(credMedPrecision, credMedFPR, credExtraFPR[1])
	m.Low, st.low = pick(credLowPrecision, 1, credExtraFPR[2])
	m.Medium = math.Min(m.Medium, m.High)
	m.Low = math.Min(m.Low, m.Medium)
	return m, st
}

// writeCredModel writes generic_fit.go.
func writeCredModel(path string, m secrets.CredentialModel, st credFitStats) error {
	var b strings.Builder
	b.WriteString("// Code generated by `go run ./detectors/secrets/cmd/eval -corpus ../shared/corpus -fit-generic detectors/secrets/generic_fit.go`; DO NOT EDIT.\n\n")
	b.WriteString("package secrets\n\n")
	method := "Newton's method to convergence"
	if !credNewton {
		method = fmt.Sprintf("%d steps of gradient descent", credIters)
	}
	fmt.Fprintf(&b, "// credentialModel: the generic tier's scorer, fitted (%s) on %d corpus rows\n// (%d credentials, %d look-alikes, %d benign prose and command rows of the\n// other families; %d rows with candidates, %d candidates; -tier-fpr %g,\n// -tier-balance %g, -tier-l2 %g, -bare-l2 %g, -tier-floor %g).\n",
		method, st.malRows+st.benRows+st.extraRows, st.malRows, st.benRows, st.extraRows, st.rows, st.samples, credHighFPR, credBalance, credL2, bareL2, credHighFloor)
	fmt.Fprintf(&b, "// Thresholds: the lowest row score where the training rows' precision\n// reaches the bar with the tier's look-alike rates under their caps\n// (secrets look-alikes; other families' rows: high %.1f %%, medium %.1f %%,\n// low %.1f %%). Secrets rows at each threshold:\n", 100*credExtraFPR[0], 100*credExtraFPR[1], 100*credExtraFPR[2])
	fmt.Fprintf(&b, "//   high   p >= %.4f (precision >= %.2f, FPR <= %.3g %%): %s\n", m.High, credHighPrecision, 100*credHighFPR, st.high)
	fmt.Fprintf(&b, "//   medium p >= %.4f (precision >= %.2f, FPR <= %.1f %%): %s\n", m.Medium, credMedPrecision, 100*credMedFPR, st.med)
	fmt.Fprintf(&b, "//   low    p >= %.4f (precision >= %.2f): %s\n", m.Low, credLowPrecision, st.low)
	if st.bare != nil && m.Bare != nil {
		bs := st.bare
		fmt.Fprintf(&b, "//\n// Bare: the prefixed tier's model (tokens with no name; %d rows with\n// candidates, %d candidates; -bare-fpr %g), its thresholds picked alike:\n", bs.rows, bs.samples, bareHighFPR)
		fmt.Fprintf(&b, "//   high   p >= %.4f: %s\n", m.Bare.High, bs.high)
		fmt.Fprintf(&b, "//   medium p >= %.4f: %s\n", m.Bare.Medium, bs.med)
		fmt.Fprintf(&b, "//   low    p >= %.4f: %s\n", m.Bare.Low, bs.low)
	}
	b.WriteString("var credentialModel = CredentialModel{\n")
	writeWeights := func(m secrets.CredentialModel) {
		b.WriteString("\tWeights: []float64{\n")
		for i, n := range secrets.CredentialFeatureNames() {
			fmt.Fprintf(&b, "\t\t%.4f, // %s\n", m.Weights[i], n)
		}
		fmt.Fprintf(&b, "\t},\n\tHigh: %.4f, Medium: %.4f, Low: %.4f,\n", m.High, m.Medium, m.Low)
	}
	writeWeights(m)
	if m.Bare != nil {
		b.WriteString("Bare: &CredentialModel{\n")
		writeWeights(*m.Bare)
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}
