// Package linear holds the injection detector's trained classifier: a
// logistic regression over hashed word and character n-grams, its feature
// extraction (shared by training and detection so that both see exactly the
// same features), its binary weight format, a deterministic trainer and Platt
// calibration.
package linear

import (
	"math"
	"slices"
	"sync"
)

// The feature space is the same for every model file of a format version:
// word unigrams and bigrams, and character 4-grams, over the
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
	visitWords(text, fn)
	visitChars(text, fn)
}

// visitWords reports word unigrams and bigrams in text order.
func visitWords(text []byte, fn func(pos int, h uint32)) {
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
}

// visitChars reports character 4-grams in text order, skipping those that
// open with two spaces.
func visitChars(text []byte, fn func(pos int, h uint32)) {
	n := len(text)
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

// key is what makes two features the same feature: the bucket and the
// sign of its hash.
func key(h uint32) uint32 { return h & (mask | 0x80000000) }

// Vectorize turns normalized text written by speaker s into a sparse
// feature vector: every distinct feature of Visit counted once (a word
// repeated twenty times is one piece of evidence, not twenty), in its
// shared and its speaker-specific copy.
func Vectorize(text []byte, s Speaker) Sparse {
	counts := make(map[uint32]float32)
	seen := make(map[uint32]bool)
	total := 0
	add := func(h uint32) {
		if h&0x80000000 != 0 {
			counts[h&mask]--
		} else {
			counts[h&mask]++
		}
	}
	Visit(text, func(_ int, h uint32) {
		if seen[key(h)] {
			return
		}
		seen[key(h)] = true
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

// scratch holds Windows' buffers between calls; seen is all zero between
// calls.
type scratch struct {
	words, chars []feature
	seen         []uint64
	touched      []uint32
}

var scratchPool = sync.Pool{New: func() any { return &scratch{seen: make([]uint64, (Dim*2)/64)} }}

// feature is one occurrence of a feature in a text.
type feature struct {
	pos int32
	h   uint32
}

// Windows scores the windows of normalized text written by speaker s the way
// Vectorize scores a text: window k spans the bytes [k·step, k·step+size)
// (the last one ends at the text's end, and a text shorter than size is one
// window) and holds the features that start in it, each distinct one
// counted once. fn gets each window's span and margin, in order.
func (m *Model) Windows(text []byte, s Speaker, size, step int, fn func(start, end int, margin float64)) {
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	words, chars := sc.words[:0], sc.chars[:0]
	visitWords(text, func(pos int, h uint32) { words = append(words, feature{int32(pos), h}) })
	visitChars(text, func(pos int, h uint32) { chars = append(chars, feature{int32(pos), h}) })
	seen, touched := sc.seen, sc.touched[:0]
	defer func() {
		// Keep the buffers, unless one text made them huge.
		if cap(words) <= 1<<20 {
			sc.words, sc.chars, sc.touched = words[:0], chars[:0], touched[:0]
		}
	}()
	w := m.W
	weight := func(h uint32) int64 {
		v := int64(w[h&mask])
		if h&0x80000000 != 0 {
			v = -v
		}
		return v
	}
	wi, ci := 0, 0
	for start := 0; ; start += step {
		end := min(start+size, len(text))
		for wi < len(words) && int(words[wi].pos) < start {
			wi++
		}
		for ci < len(chars) && int(chars[ci].pos) < start {
			ci++
		}
		var sum int64
		n := 0
		scan := func(fs []feature, from int) {
			for k := from; k < len(fs) && int(fs[k].pos) < end; k++ {
				h := fs[k].h
				kk := key(h)
				b := kk&mask | kk>>31<<Bits
				if seen[b>>6]&(1<<(b&63)) != 0 {
					continue
				}
				seen[b>>6] |= 1 << (b & 63)
				touched = append(touched, b)
				n++
				sum += weight(h) + weight(speakerFeature(h, s))
			}
		}
		scan(words, wi)
		scan(chars, ci)
		for _, b := range touched {
			seen[b>>6] &^= 1 << (b & 63)
		}
		touched = touched[:0]
		fn(start, end, m.WindowMargin(sum, n, s))
		if end >= len(text) {
			return
		}
	}
}
