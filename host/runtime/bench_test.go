package runtime

import (
	"context"
	"os"
	goruntime "runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/runtime/testdata/testdet"
	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/wasmabi"
)

// benchEvent is one prompt item of n bytes holding one "needle".
func benchEvent(n int) *sdk.Event {
	line := "2026-11-22T05:00:00Z INFO request served path=/api/v1/items status=200 dur=3ms\n"
	text := strings.Repeat(line, n/len(line)+1)[:n-len(" needle")] + " needle"
	return &sdk.Event{ID: "bench", Type: sdk.EventPreRequest, Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: text}}}
}

// benchConfig makes testdet's findings as cheap as possible, so that the
// benchmarks measure the runtimes, not sha256 in WebAssembly.
const benchConfig = `{"plain":true}`

// BenchmarkDetect measures one Detect call of the trivial testdet detector
// in each runtime, serially and from parallel goroutines.
//
//	go test -run '^$' -bench 'Detect' -benchmem ./host/runtime
func BenchmarkDetect(b *testing.B) {
	handles := map[string]func(b *testing.B) Handle{
		SourceBuiltin: func(*testing.B) Handle {
			d := testdet.New()
			d.Configure(context.Background(), []byte(benchConfig))
			return Wrap(d, SourceBuiltin)
		},
		SourceProcess: func(b *testing.B) Handle { return load(b, SourceProcess, testdetProcess(b, ""), benchConfig) },
		SourceWasm:    func(b *testing.B) Handle { return load(b, SourceWasm, testdetWasm(b), benchConfig) },
		// What the deadline checks cost: the same module on a runtime
		// without them (never used by picket).
		"wasm-nodeadline": func(b *testing.B) Handle {
			ctx := context.Background()
			host, err := newWasmHost(ctx, cacheDir, false)
			if err != nil {
				b.Fatal(err)
			}
			path := testdetWasm(b)
			spec := Spec{Name: "bench", Source: SourceWasm, Path: path, SHA256: sha256File(b, path)}
			sum, data, err := checkFile(spec, true)
			if err != nil {
				b.Fatal(err)
			}
			h, err := loadWasmOn(ctx, host, spec, Options{Logger: testLogger(b)}, sum, data)
			if err != nil {
				b.Fatal(err)
			}
			if err := h.Configure(ctx, []byte(benchConfig)); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { h.Close(); host.rt.Close(ctx) })
			return h
		},
	}
	for _, rt := range []string{SourceBuiltin, SourceProcess, SourceWasm, "wasm-nodeadline"} {
		for _, size := range []int{len(" needle"), 2 << 10, 64 << 10} {
			name := rt + "/" + strconv.Itoa(size>>10) + "KB"
			if size < 1<<10 {
				name = rt + "/" + strconv.Itoa(size) + "B"
			}
			ev := benchEvent(size)
			b.Run(name, func(b *testing.B) {
				h := handles[rt](b)
				ctx := context.Background()
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if fs, err := h.Detect(ctx, ev); err != nil || len(fs) != 1 {
						b.Fatalf("Detect = %v, %v", fs, err)
					}
				}
			})
			b.Run(name+"/parallel", func(b *testing.B) {
				h := handles[rt](b)
				ctx := context.Background()
				b.SetBytes(int64(size))
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if fs, err := h.Detect(ctx, ev); err != nil || len(fs) != 1 {
							b.Errorf("Detect = %v, %v", fs, err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkLoad measures loading a detector (start or compile, first
// instance, Info, Configure) and closing it.
//
//	go test -run '^$' -bench 'Load' -benchtime 10x ./host/runtime
func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	b.Run("process", func(b *testing.B) {
		path := testdetProcess(b, "")
		spec := Spec{Name: "bench", Source: SourceProcess, Path: path, SHA256: sha256File(b, path)}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			h, err := Load(ctx, spec, Options{})
			if err != nil {
				b.Fatal(err)
			}
			h.Close()
		}
	})
	wasmLoad := func(b *testing.B, cacheDir func(i int) string) {
		path := testdetWasm(b)
		spec := Spec{Name: "bench", Source: SourceWasm, Path: path, SHA256: sha256File(b, path), Config: []byte("{}")}
		sum, data, err := checkFile(spec, true)
		if err != nil {
			b.Fatal(err)
		}
		// Warm the directory cache once, as a previous run of picket would.
		warm := func(dir string) {
			host, err := newWasmHost(ctx, dir, true)
			if err != nil {
				b.Fatal(err)
			}
			h, err := loadWasmOn(ctx, host, spec, Options{Logger: testLogger(b)}, sum, data)
			if err != nil {
				b.Fatal(err)
			}
			h.Close()
			host.rt.Close(ctx)
		}
		if dir := cacheDir(-1); dir != "" {
			warm(dir)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			// A new runtime each time: what a freshly started picket does.
			host, err := newWasmHost(ctx, cacheDir(i), true)
			if err != nil {
				b.Fatal(err)
			}
			h, err := loadWasmOn(ctx, host, spec, Options{Logger: testLogger(b)}, sum, data)
			if err != nil {
				b.Fatal(err)
			}
			if err := h.Configure(ctx, spec.Config); err != nil {
				b.Fatal(err)
			}
			h.Close()
			host.rt.Close(ctx)
		}
	}
	b.Run("wasm/cold", func(b *testing.B) {
		wasmLoad(b, func(int) string { return "" })
	})
	b.Run("wasm/cached", func(b *testing.B) {
		dir := b.TempDir()
		wasmLoad(b, func(int) string { return dir })
	})
}

// BenchmarkWasmInstance measures making one more pooled instance: its cost,
// its host allocations (B/op), its guest linear memory after a 64 KB call
// (guest-bytes) and, with many instances alive, the growth of the
// process's resident memory per instance (rss-bytes).
//
//	go test -run '^$' -bench 'WasmInstance' -benchmem -benchtime 20x ./host/runtime
func BenchmarkWasmInstance(b *testing.B) {
	ctx := context.Background()
	// Its own host, with room for every instance it keeps alive.
	host, err := newWasmHost(ctx, "", true)
	if err != nil {
		b.Fatal(err)
	}
	host.slots = make(chan struct{}, b.N+1)
	path := testdetWasm(b)
	h := loadOnHost(b, host, Spec{Name: "bench", Source: SourceWasm, Path: path, SHA256: sha256File(b, path), Config: []byte("{}")})
	ev := benchEvent(64 << 10)
	var insts []*wasmInstance
	goruntime.GC()
	rss0 := rss()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inst, err := h.instantiate(ctx, false)
		if err != nil {
			b.Fatal(err)
		}
		inst.req = nil
		if _, err := inst.call(h.callCtx(ctx), inst.detect, true, wasmabi.AppendDetectRequest(nil, ev)); err != nil {
			b.Fatal(err)
		}
		insts = append(insts, inst)
	}
	b.StopTimer()
	goruntime.GC()
	if rss0 > 0 {
		b.ReportMetric(float64(rss()-rss0)/float64(b.N), "rss-bytes")
	}
	b.ReportMetric(float64(insts[0].mem.Size()), "guest-bytes")
	for _, inst := range insts {
		inst.close()
	}
}

// rss returns the resident set size of this process, or 0 off Linux.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// TestBenchHelpers keeps the benchmark helpers honest in normal test runs.
func TestBenchHelpers(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2 << 10, 64 << 10} {
		ev := benchEvent(n)
		if got := len(ev.Items[0].Text); got != n {
			t.Errorf("benchEvent(%d) has %d bytes", n, got)
		}
	}
}
