package injection

import (
	"context"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// benchText builds n bytes of ordinary tool output: prose, code, log lines
// and URLs, the mix an agent reads.
func benchText(n int) string {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields(`the a to of and in is for that with on this as are be it by from or
		function return error value file test build run config request response server client user
		data table query index update delete create import package module version install docs page
		note important warning info debug system model token session cache load parse string int`)
	lines := []string{
		"func (s *Server) handle(w http.ResponseWriter, r *http.Request) {",
		"    if err != nil { return fmt.Errorf(\"load: %w\", err) }",
		"2025-10-14T09:12:55Z INFO request completed status=200 duration=12ms path=/v1/items",
		"See https://docs.example.com/guide/install?lang=en#step-2 for details.",
		"tests/test_parse.py::test_parse_date PASSED                               [ 42%]",
	}
	var b strings.Builder
	for b.Len() < n {
		if rng.IntN(4) == 0 {
			b.WriteString(lines[rng.IntN(len(lines))])
			b.WriteByte('\n')
			continue
		}
		for k := 0; k < 12; k++ {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteString(".\n")
	}
	return b.String()[:n]
}

func BenchmarkDetect(b *testing.B) {
	d := New()
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		size int
	}{{"4KB", 4 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}} {
		text := benchText(c.size)
		ev := &sdk.Event{Items: []sdk.Item{{Kind: sdk.KindToolResult, Text: text}}}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := d.Detect(context.Background(), ev); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time per operation: on a shared machine wall time
			// measures the neighbours too.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
