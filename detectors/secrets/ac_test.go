package secrets

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestACMatcherStreams checks the interleaved scan against a single pass
// (same hits, same order) and against a naive search (same set), on texts
// long enough to be cut into streams and with keywords that straddle the
// cuts.
func TestACMatcherStreams(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	alpha := "abcAB_-.:x0"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	for round := range 20 {
		var kws []string
		for range 1 + rng.IntN(40) {
			kws = append(kws, strings.ToLower(word(2+rng.IntN(6+round))))
		}
		m := newACMatcher(kws)
		size := []int{0, 1, 7, acStreamMin - 1, acStreamMin, acStreamMin + 3, 3 * acStreamMin, 100_003}[round%8]
		tb := []byte(word(size))
		if size >= acStreamMin {
			// The longest keyword across each cut between streams, ending
			// one and two bytes past it, where a short lead-in would lose it.
			long := kws[0]
			for _, k := range kws {
				if len(k) > len(long) {
					long = k
				}
			}
			for j := 1; j < acStreams; j++ {
				cut := size * j / acStreams
				for _, end := range []int{cut + 1, cut + 2 + len(long)} {
					copy(tb[end-len(long):], long)
				}
			}
		}
		text := string(tb)
		type hit struct {
			id  int32
			end int
		}
		var got, one []hit
		m.scan(text, func(id int32, end int) { got = append(got, hit{id, end}) })
		m.scanOne(text, 0, 0, func(id int32, end int) { one = append(one, hit{id, end}) })
		if !slices.Equal(got, one) {
			t.Fatalf("round %d (%d bytes): streamed scan gave %d hits, a single pass %d", round, size, len(got), len(one))
		}
		var naive []hit
		lt := strings.ToLower(text)
		for id, k := range kws {
			for i := 0; i+len(k) <= len(lt); i++ {
				if lt[i:i+len(k)] == k {
					naive = append(naive, hit{int32(id), i + len(k)})
				}
			}
		}
		key := func(a, b hit) int {
			if a.end != b.end {
				return a.end - b.end
			}
			return int(a.id - b.id)
		}
		slices.SortFunc(naive, key)
		sorted := slices.Clone(got)
		slices.SortFunc(sorted, key)
		// Duplicate keywords are one state output each; compare as sets.
		if !slices.Equal(slices.Compact(sorted), slices.Compact(naive)) {
			t.Fatalf("round %d (%d bytes): %d hits, naive search %d", round, size, len(sorted), len(naive))
		}
	}
}
