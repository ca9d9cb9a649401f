package sink_test

import (
	"testing"

	"github.com/picketsec/picket/host/sink"
	"github.com/picketsec/picket/host/sink/spool"
)

// BenchmarkEmit is what a sink costs the evaluation path: building the
// alert and handing it over (the receiver is down; the queue drops what
// the writer cannot take, which costs the same).
func BenchmarkEmit(b *testing.B) {
	o := sink.Options{Name: "bench", Dir: b.TempDir(), QueueSize: 1 << 16}
	// Port 1 on loopback: refused at once.
	w, err := sink.NewWebhook(sink.WebhookConfig{Options: o, URL: "http://127.0.0.1:1/alerts"})
	if err != nil {
		b.Fatal(err)
	}
	ev, res := event(1)
	b.ReportAllocs()
	for b.Loop() {
		w.Emit(ev, res)
	}
}

// BenchmarkSpoolAppend appends alert-sized records, one sync per 64 (the
// writer's batches under load are up to 256).
func BenchmarkSpoolAppend(b *testing.B) {
	sp, err := spool.Open(spool.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer sp.Close()
	rec := make([]byte, 600)
	b.SetBytes(int64(len(rec)))
	i := 0
	for b.Loop() {
		if _, err := sp.Append(rec); err != nil {
			b.Fatal(err)
		}
		if i++; i%64 == 0 {
			sp.Sync()
		}
	}
}
