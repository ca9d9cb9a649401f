// Package linear holds the injection detector's trained classifier: a
// logistic regression over hashed word and character n-grams, its feature
// extraction (shared by training and detection so that both see exactly the
// same features), its binary weight format, a deterministic trainer and Platt
// calibration.
package linear

import (
	"math"
	"slices"
)

// The feature space is the same for every model file of a format version:
// word unigrams and bigrams, and character 3- and 5-grams, over the
// normalized (lowercased, folded) text, hashed into 1<<Bits signed buckets.
const (
	// Bits is log2 of the number of weight buckets.
	Bits = 18
	// Dim is the number of weight buckets.
	Dim  = 1 << Bits
	mask = Dim - 1

	saltWord   = 0x9e3779b1
	saltBigram = 0x85ebca77
	saltChar3  = 0xc2b2ae3d
)

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

// mix finalizes a 32-bit hash (murmur3 fmix32) so that low bits are usable
// as a bucket index and the top bit as a sign.
func mix(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// quick hashes a character 4-gram with one multiplication: the bucket is
// the product's top Bits bits, the sign the bit below them (moved to the top
// bit, where Visit's callers look for it).
func quick(x uint32) uint32 {
	h := (x ^ saltChar3) * 0x9e3779b1
	return h>>(32-Bits) | (h>>(31-Bits)&1)<<31
}

// isWordByte reports whether b continues a word token. Every byte of a
// multi-byte UTF-8 sequence counts as a word byte, so that words in any
// script form tokens.
func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b >= 0x80
}

// Visit calls fn for every feature of text with the byte position where the
// feature starts and its hash. The bucket is h&(Dim-1); the sign is the top
// bit. text must already be normalized (see package norm).
func Visit(text []byte, fn func(pos int, h uint32)) {
	// Word unigrams and bigrams.
	var prev uint32
	havePrev := false
	i := 0
	n := len(text)
	for i < n {
		if !isWordByte(text[i]) {
			i++
			continue
		}
		start := i
		h := uint32(fnvOffset)
		for i < n && isWordByte(text[i]) {
			h ^= uint32(text[i])
			h *= fnvPrime
			i++
		}
		if i-start > 40 {
			// Long tokens (hashes, base64, minified code) carry no
			// vocabulary; one shared feature marks them.
			h = 0x5bd1e995
		}
		fn(start, mix(h^saltWord))
		if havePrev {
			fn(start, mix(prev*31+h^saltBigram))
		}
		prev, havePrev = h, true
	}
	// Character 3-grams and 5-grams, skipping those made only of spaces.
	for i := 0; i+4 <= n; i++ {
		a, b := text[i], text[i+1]
		if a == ' ' && b == ' ' {
			continue
		}
		fn(i, quick(uint32(a)|uint32(b)<<8|uint32(text[i+2])<<16|uint32(text[i+3])<<24))
	}
}

// Sparse is a feature vector: sorted bucket indices and their values, scaled
// so that its Euclidean norm is what the model expects (1/sqrt(count)).
type Sparse struct {
	Idx []uint32
	Val []float32
}

// Vectorize turns normalized text into a sparse feature vector.
func Vectorize(text []byte) Sparse {
	counts := make(map[uint32]float32)
	total := 0
	Visit(text, func(_ int, h uint32) {
		total++
		if h&0x80000000 != 0 {
			counts[h&mask]--
		} else {
			counts[h&mask]++
		}
	})
	s := Sparse{Idx: make([]uint32, 0, len(counts)), Val: make([]float32, 0, len(counts))}
	for k := range counts {
		s.Idx = append(s.Idx, k)
	}
	slices.Sort(s.Idx)
	scale := float32(Scale(total))
	for _, k := range s.Idx {
		s.Val = append(s.Val, counts[k]*scale)
	}
	return s
}

// Scale is the factor applied to the summed weights of n features: the
// model scores b + Scale(n)·Σw.
func Scale(n int) float64 {
	if n <= 0 {
		return 0
	}
	return 1 / math.Sqrt(float64(n)+scaleSmooth)
}

// scaleSmooth damps the margin of short texts: a handful of features is
// weak evidence whichever way they point.
const scaleSmooth = 100

// BlockSums adds, for every feature of text, the feature's signed quantized
// weight to sum[pos>>shift+1] and one to cnt[pos>>shift+1], pos being where
// the feature starts.
func (m *Model) BlockSums(text []byte, shift uint, sum []int64, cnt []int32) {
	w := m.W
	add := func(pos int, h uint32) {
		k := pos>>shift + 1
		v := int64(w[h&mask])
		if h&0x80000000 != 0 {
			v = -v
		}
		sum[k] += v
		cnt[k]++
	}
	Visit(text, add)
}
