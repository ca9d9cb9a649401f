// Package trainer builds the injection classifier from corpus rows: it
// normalizes each text the way the detector does, fits the linear model on
// one set of rows and calibrates it on another.
package trainer

import (
	"github.com/picketsec/picket/detectors/injection/internal/corpus"
	"github.com/picketsec/picket/detectors/injection/internal/linear"
	"github.com/picketsec/picket/detectors/injection/internal/norm"
)

// Vector is the feature vector the detector computes for text.
func Vector(text string) linear.Sparse {
	return linear.Vectorize(norm.Normalize(text).B)
}

// Build trains on fit and calibrates on cal with params p. The result
// depends only on the rows (in order) and p.
func Build(fit, cal []*corpus.Row, p linear.Params) *linear.Model {
	ex := make([]linear.Example, len(fit))
	for i, r := range fit {
		ex[i] = linear.Example{X: Vector(r.Text), Label: r.Malicious}
	}
	m := linear.Train(ex, p)
	margins := make([]float64, len(cal))
	labels := make([]bool, len(cal))
	for i, r := range cal {
		margins[i] = m.Margin(Vector(r.Text))
		labels[i] = r.Malicious
	}
	m.Calibrate(margins, labels)
	return m
}

// Select returns the rows of the given split, in order.
func Select(rows []*corpus.Row, s corpus.Split) []*corpus.Row {
	var out []*corpus.Row
	for _, r := range rows {
		if r.Split == s {
			out = append(out, r)
		}
	}
	return out
}
