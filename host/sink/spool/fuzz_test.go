package spool_test

import (
	"bytes"
	"testing"

	"github.com/picketsec/picket/host/sink/spool"
)

// FuzzDecodeRecord: whatever bytes a segment holds, decoding never panics,
// never reads past them, and what decodes re-encodes to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add(spool.EncodeRecord(nil, 1, []byte(`{"event_id":"ev-1"}`)))
	f.Add(spool.EncodeRecord(nil, 1<<40, nil))
	f.Add(append(spool.EncodeRecord(nil, 7, []byte("x")), 0, 1, 2))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, data, n, err := spool.DecodeRecord(b)
		if err != nil {
			return
		}
		if n > len(b) || n < 16 || seq == 0 {
			t.Fatalf("n=%d len=%d seq=%d", n, len(b), seq)
		}
		if re := spool.EncodeRecord(nil, seq, data); !bytes.Equal(re, b[:n]) {
			t.Fatalf("re-encoding differs")
		}
		spool.DecodeAck(b)
	})
}

func FuzzDecodeAck(f *testing.F) {
	f.Add(spool.EncodeAck(42))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, ok := spool.DecodeAck(b)
		if ok && !bytes.Equal(spool.EncodeAck(seq), b) {
			t.Fatal("re-encoding differs")
		}
	})
}
