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

// Speaker is who wrote a text, as the classifier sees it: every feature
// exists once shared by all speakers and once per speaker, so that the model
// learns what is suspicious anywhere (a jailbreak template) apart from what
// is suspicious only in content the assistant reads but nobody in the
// conversation wrote (an instruction to the assistant inside a web page).
type Speaker uint8

// The speakers.
const (
	// Direct is text the user (or the model) wrote.
	Direct Speaker = 0
	// Untrusted is tool output, fetched documents, files, search results.
	Untrusted Speaker = 1
	// Speakers is the number of speakers.
	Speakers = 2
)

// speakerSalt salts a feature's hash into its speaker-specific copy.
var speakerSalt = [Speakers]uint32{0x27d4eb2f, 0x165667b1}

// speakerFeature is the hash of feature h's copy for speaker s (bucket in
// the low Bits bits, sign in the top bit, like Visit's hashes).
func speakerFeature(h uint32, s Speaker) uint32 {
	return quick(h ^ speakerSalt[s&1])
}

// Sparse is a feature vector: sorted bucket indices and their values, scaled
// so that its Euclidean norm is what the model expects (1/sqrt(count)).
type Sparse struct {
	Idx     []uint32
	Val     []float32
	Speaker Speaker
}

// Vectorize turns normalized text written by speaker s into a sparse
// feature vector: every feature of Visit, shared and speaker-specific.
func Vectorize(text []byte, s Speaker) Sparse {
	counts := make(map[uint32]float32)
	total := 0
	add := func(h uint32) {
		if h&0x80000000 != 0 {
			counts[h&mask]--
		} else {
			counts[h&mask]++
		}
	}
	Visit(text, func(_ int, h uint32) {
		total++
		add(h)
		add(speakerFeature(h, s))
	})
	v := Sparse{Idx: make([]uint32, 0, len(counts)), Val: make([]float32, 0, len(counts)), Speaker: s}
	for k := range counts {
		v.Idx = append(v.Idx, k)
	}
	slices.Sort(v.Idx)
	scale := float32(Scale(total))
	for _, k := range v.Idx {
		v.Val = append(v.Val, counts[k]*scale)
	}
	return v
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

// BlockSums adds, for every feature of text written by speaker s, the
// signed quantized weights of its shared and speaker-specific copies to
// sum[pos>>shift+1] and one to cnt[pos>>shift+1], pos being where the
// feature starts.
func (m *Model) BlockSums(text []byte, s Speaker, shift uint, sum []int64, cnt []int32) {
	w := m.W
	add := func(pos int, h uint32) {
		k := pos>>shift + 1
		v := int64(w[h&mask])
		if h&0x80000000 != 0 {
			v = -v
		}
		h2 := speakerFeature(h, s)
		v2 := int64(w[h2&mask])
		if h2&0x80000000 != 0 {
			v2 = -v2
		}
		sum[k] += v + v2
		cnt[k]++
	}
	Visit(text, add)
}
