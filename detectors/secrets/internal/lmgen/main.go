// Command lmgen builds the letter-trigram language model and the word list
// that the secrets detector's generic tier uses to tell a machine-made
// value from words and identifiers (detectors/secrets/lm.go).
//
// The training text is the Go standard library's source (comments and
// identifiers, camelCase and snake_case split into words) under GOROOT/src,
// BSD-3-Clause, Copyright 2009 The Go Authors (see NOTICE): English prose
// and code vocabulary, no secrets, nothing from the labelled corpus. It
// writes lm_trigram.bin (27×27×27 bytes: −log2 P(c | a b) in 1/16 bit,
// 26 letters and a word boundary, add-k smoothed) and lm_words.txt (the
// most frequent words of four or more letters in comments).
//
//	go run ./detectors/secrets/internal/lmgen [GOROOT]
package main

import (
	"bufio"
	"fmt"
	"go/scanner"
	"go/token"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

const (
	alpha    = 27 // a-z and the word boundary
	boundary = 26
	smoothK  = 0.05
	maxWords = 12000
	minCount = 4
)

func main() {
	root := runtime.GOROOT()
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	src := filepath.Join(root, "src")
	var tri [alpha * alpha * alpha]float64
	words := map[string]int{}
	files := 0
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		var s scanner.Scanner
		fset := token.NewFileSet()
		s.Init(fset.AddFile(path, -1, len(b)), b, nil, scanner.ScanComments)
		for {
			_, tok, lit := s.Scan()
			if tok == token.EOF {
				break
			}
			if tok == token.COMMENT || tok == token.IDENT {
				for _, w := range splitWords(lit) {
					add(&tri, w)
					if len(w) >= 4 && tok == token.COMMENT {
						words[w]++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lmgen:", err)
		os.Exit(1)
	}
	out := make([]byte, len(tri))
	for a := 0; a < alpha; a++ {
		for b := 0; b < alpha; b++ {
			var n float64
			for c := 0; c < alpha; c++ {
				n += tri[(a*alpha+b)*alpha+c]
			}
			for c := 0; c < alpha; c++ {
				p := (tri[(a*alpha+b)*alpha+c] + smoothK) / (n + smoothK*alpha)
				q := math.Round(-math.Log2(p) * 16)
				out[(a*alpha+b)*alpha+c] = byte(min(q, 255))
			}
		}
	}
	dir := "detectors/secrets"
	if err := os.WriteFile(filepath.Join(dir, "lm_trigram.bin"), out, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "lmgen:", err)
		os.Exit(1)
	}
	var list []string
	for w, n := range words {
		if n >= minCount && wordLike(w) {
			list = append(list, w)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if words[list[i]] != words[list[j]] {
			return words[list[i]] > words[list[j]]
		}
		return list[i] < list[j]
	})
	if len(list) > maxWords {
		list = list[:maxWords]
	}
	sort.Strings(list)
	f, err := os.Create(filepath.Join(dir, "lm_words.txt"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "lmgen:", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(f)
	for _, s := range list {
		w.WriteString(s)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil || f.Close() != nil {
		fmt.Fprintln(os.Stderr, "lmgen: write lm_words.txt")
		os.Exit(1)
	}
	fmt.Printf("lmgen: %d files of %s, %d words kept\n", files, src, len(list))
}

// splitWords splits text into lower-case letter words: runs of letters,
// broken at a lower-to-upper case change (camelCase) and before the last
// capital of a capital run followed by lower case (HTTPServer).
func splitWords(s string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			out = append(out, strings.ToLower(s[start:end]))
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		up, lo := c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z'
		if !up && !lo {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		p := s[i-1]
		if up && p >= 'a' && p <= 'z' {
			flush(i)
			start = i
		} else if lo && p >= 'A' && p <= 'Z' && i-1 > start {
			flush(i - 1)
			start = i - 1
		}
	}
	flush(len(s))
	return out
}

func add(tri *[alpha * alpha * alpha]float64, w string) {
	a, b := boundary, boundary
	for i := 0; i <= len(w); i++ {
		c := boundary
		if i < len(w) {
			c = int(w[i] - 'a')
		}
		tri[(a*alpha+b)*alpha+c]++
		a, b = b, c
	}
}

// wordLike keeps words that read as words: a vowel, no letter three times
// in a row (assembly mnemonics and hex constants are not vocabulary).
func wordLike(w string) bool {
	if !strings.ContainsAny(w, "aeiouy") {
		return false
	}
	for i := 2; i < len(w); i++ {
		if w[i] == w[i-1] && w[i] == w[i-2] {
			return false
		}
	}
	return true
}
