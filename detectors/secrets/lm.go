package secrets

import (
	_ "embed"
	"strings"
)

// A letter-trigram language model and a word list, both built by `go run
// ./detectors/secrets/internal/lmgen` from the Go standard library's
// comments and identifiers (BSD-3-Clause, The Go Authors; see NOTICE and
// README "Generic tier"). They measure how much a value reads like words
// and code (the question Betterleaks answers with a BPE tokenizer's
// token efficiency: no Go module served here embeds a BPE vocabulary):
// identifiers and prose cost about 2–3 bits per letter under the model,
// random letters 4.5 and more.

//go:embed lm_trigram.bin
var lmTrigram string

//go:embed lm_words.txt
var lmWordsText string

const lmAlpha, lmBoundary = 27, 26

var lmWords = func() map[string]bool {
	m := make(map[string]bool, 10000)
	for _, w := range strings.Split(lmWordsText, "\n") {
		if w != "" {
			m[w] = true
		}
	}
	return m
}()

// letterRuns calls f with each run of letters of v (lower-cased into buf),
// broken at a lower-to-upper case change.
func letterRuns(v string, f func(run []byte)) {
	var buf [64]byte
	n := 0
	flush := func() {
		if n > 0 {
			f(buf[:n])
		}
		n = 0
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		up, lo := c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z'
		if !up && !lo {
			flush()
			continue
		}
		if up && i > 0 && v[i-1] >= 'a' && v[i-1] <= 'z' {
			flush()
		}
		if n == len(buf) {
			flush()
		}
		buf[n] = c | 0x20
		n++
	}
	flush()
}

// lmBits returns the mean cost in bits per symbol (letters and word ends)
// of v's letter runs under the trigram model, and how many letters it
// scored.
func lmBits(v string) (float64, int) {
	var total, symbols, letters int
	letterRuns(v, func(run []byte) {
		a, b := lmBoundary, lmBoundary
		for i := 0; i <= len(run); i++ {
			c := lmBoundary
			if i < len(run) {
				c = int(run[i] - 'a')
			}
			total += int(lmTrigram[(a*lmAlpha+b)*lmAlpha+c])
			a, b = b, c
		}
		symbols += len(run) + 1
		letters += len(run)
	})
	if symbols == 0 {
		return 0, 0
	}
	return float64(total) / 16 / float64(symbols), letters
}

// wordCover returns the share of v's letters that lie in dictionary words
// of four or more letters (the best cover of each letter run).
func wordCover(v string) float64 {
	var covered, letters int
	letterRuns(v, func(run []byte) {
		letters += len(run)
		if len(run) < 4 {
			return
		}
		// best[i]: letters covered in run[:i].
		var best [65]int
		for i := 1; i <= len(run); i++ {
			best[i] = best[i-1]
			for l := 4; l <= i && l <= 16; l++ {
				if best[i-l]+l > best[i] && lmWords[string(run[i-l:i])] {
					best[i] = best[i-l] + l
				}
			}
		}
		covered += best[len(run)]
	})
	if letters == 0 {
		return 0
	}
	return float64(covered) / float64(letters)
}
