// Package model embeds the injection detector's trained classifier weights
// (weights.bin: the classifier, its combiner and the character model of
// ordinary text), written by detectors/injection/cmd/train. Rebuild them with
// `make train`; the file must not be edited by hand.
package model

import _ "embed"

// Weights is the weights file in the format of package
// detectors/injection/internal/linear.
//
//go:embed weights.bin
var Weights []byte
