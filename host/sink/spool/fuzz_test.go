package spool_test

import (
	"bytes"
	"os"
	"path/filepath"
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

// FuzzReplay: whatever a segment and the ack file hold, Open recovers
// without panicking, what it replays is in order, and appends after it
// survive another Open.
func FuzzReplay(f *testing.F) {
	good := spool.EncodeRecord(nil, 1, []byte("a"))
	good = spool.EncodeRecord(good, 2, []byte("bb"))
	f.Add(good, spool.EncodeAck(0))
	f.Add(good, spool.EncodeAck(1))
	f.Add(good[:len(good)-1], []byte{})
	f.Add(append(spool.EncodeRecord(nil, 5, nil), spool.EncodeRecord(nil, 3, nil)...), spool.EncodeAck(9))
	f.Fuzz(func(t *testing.T, seg, ack []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "00000000000000000001.seg"), seg, 0o600)
		if len(ack) > 0 {
			os.WriteFile(filepath.Join(dir, "ack"), ack, 0o600)
		}
		s, err := spool.Open(spool.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		var after uint64
		for {
			r, ok, err := s.Next(after)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if r.Seq <= after {
				t.Fatalf("seq %d after %d", r.Seq, after)
			}
			after = r.Seq
		}
		seq, err := s.Append([]byte("new"))
		if err != nil || seq <= after {
			t.Fatalf("append: %d %v (after %d)", seq, err, after)
		}
		s.Sync()
		s.Ack(after)
		s.Close()
		s, err = spool.Open(spool.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r, ok, err := s.Next(0)
		if err != nil || !ok || string(r.Data) != "new" {
			t.Fatalf("after reopen: %+v %v %v", r, ok, err)
		}
	})
}
