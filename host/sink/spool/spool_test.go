package spool_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/picketsec/picket/host/sink/spool"
)

type drops struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *drops) on(n int, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == nil {
		d.n = map[string]int{}
	}
	d.n[reason] += n
}

func (d *drops) get(reason string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n[reason]
}

func open(t *testing.T, o spool.Options) *spool.Spool {
	t.Helper()
	s, err := spool.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func appendN(t *testing.T, s *spool.Spool, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := s.Append(fmt.Appendf(nil, "record-%04d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
}

// drain reads every available record after after, acking each.
func drain(t *testing.T, s *spool.Spool, after uint64, ack bool) []string {
	t.Helper()
	var got []string
	for {
		r, ok, err := s.Next(after)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return got
		}
		got = append(got, string(r.Data))
		after = r.Seq
		if ack {
			if err := s.Ack(r.Seq); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func want(from, to int) []string {
	var w []string
	for i := from; i < to; i++ {
		w = append(w, fmt.Sprintf("record-%04d", i))
	}
	return w
}

func equal(t *testing.T, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %d records %v\nwant %d %v", len(got), got, len(want), want)
	}
}

func TestAppendNextAckReplay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Small segments, so that records span several files.
	s := open(t, spool.Options{Dir: dir, SegmentBytes: 256})
	if _, ok, _ := s.Next(0); ok {
		t.Fatal("a record in a new spool")
	}
	s.Append([]byte("not synced"))
	if _, ok, _ := s.Next(0); ok {
		t.Fatal("a record visible before Sync")
	}
	appendN(t, s, 1, 50)
	if n, b := s.Depth(); n != 50 || b == 0 {
		t.Fatalf("depth %d %d", n, b)
	}
	// Read all without acking, then ack the first 20.
	got := drain(t, s, 0, false)
	if len(got) != 50 || got[0] != "not synced" {
		t.Fatalf("got %v", got)
	}
	for seq := uint64(1); seq <= 20; seq++ {
		if err := s.Ack(seq); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(nil); err == nil {
		t.Fatal("append after close")
	}

	// Replay: 21..50 again, in order, and appends continue after them.
	s = open(t, spool.Options{Dir: dir, SegmentBytes: 256})
	appendN(t, s, 50, 55)
	equal(t, drain(t, s, 0, true), want(20, 55))
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) > 1 {
		t.Errorf("segments left after everything was acked: %v", segs)
	}
	s.Close()
	s = open(t, spool.Options{Dir: dir, SegmentBytes: 256})
	defer s.Close()
	if got := drain(t, s, 0, true); len(got) != 0 {
		t.Fatalf("acked records replayed: %v", got)
	}
	seq, _ := s.Append([]byte("x"))
	if seq != 56 {
		t.Errorf("sequence after replay = %d, want 56", seq)
	}
}

func TestBoundsDropOldestAndCount(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]spool.Options{
		"records": {MaxRecords: 10},
		"bytes":   {MaxBytes: 10 * (16 + 11)}, // ten records of 11 bytes
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var d drops
			o.Dir, o.OnDrop, o.SegmentBytes = t.TempDir(), d.on, 100
			s := open(t, o)
			appendN(t, s, 0, 25)
			if d.get(spool.DropFull) != 15 {
				t.Fatalf("dropped %d, want 15", d.get(spool.DropFull))
			}
			if n, _ := s.Depth(); n != 10 {
				t.Fatalf("depth %d", n)
			}
			s.Close()
			// The drops are remembered; the survivors are the newest ten.
			s = open(t, o)
			defer s.Close()
			equal(t, drain(t, s, 0, true), want(15, 25))
			segs, _ := filepath.Glob(filepath.Join(o.Dir, "*.seg"))
			if len(segs) > 2 {
				t.Errorf("%d segments kept", len(segs))
			}
		})
	}
	s := open(t, spool.Options{Dir: t.TempDir(), MaxBytes: 64})
	defer s.Close()
	if _, err := s.Append(make([]byte, 64)); err != spool.ErrTooLarge {
		t.Errorf("oversized record: %v", err)
	}
}

// TestSmallerBoundsAtOpen: a restart with smaller bounds drops (and counts)
// the oldest at Open.
func TestSmallerBoundsAtOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, spool.Options{Dir: dir})
	appendN(t, s, 0, 20)
	s.Close()
	var d drops
	s = open(t, spool.Options{Dir: dir, MaxRecords: 5, OnDrop: d.on})
	defer s.Close()
	if d.get(spool.DropFull) != 15 {
		t.Fatalf("dropped %d at open", d.get(spool.DropFull))
	}
	equal(t, drain(t, s, 0, true), want(15, 20))
}

func TestTornTailAndCorruption(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, spool.Options{Dir: dir, SegmentBytes: 100})
	appendN(t, s, 0, 12) // 27 bytes each: 3 a segment, 4 segments
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	sort.Strings(segs)
	if len(segs) != 4 {
		t.Fatalf("segments %v", segs)
	}
	// Flip a byte of the second record of the second segment, and tear
	// the last record of the last one.
	b, _ := os.ReadFile(segs[1])
	b[27+20] ^= 0xff
	os.WriteFile(segs[1], b, 0o600)
	b, _ = os.ReadFile(segs[3])
	os.WriteFile(segs[3], b[:len(b)-5], 0o600)

	var d drops
	s = open(t, spool.Options{Dir: dir, SegmentBytes: 100, OnDrop: d.on})
	got := drain(t, s, 0, true)
	// Lost: records 4 and 5 (rest of segment 2) and 11 (torn).
	equal(t, got, append(want(0, 4), want(6, 11)...))
	if d.get(spool.DropCorrupt) != 3 {
		t.Errorf("corrupt drops %d, want 3", d.get(spool.DropCorrupt))
	}
	// Appends after a cut tail continue cleanly.
	appendN(t, s, 100, 102)
	s.Close()
	s = open(t, spool.Options{Dir: dir, SegmentBytes: 100})
	defer s.Close()
	equal(t, drain(t, s, 0, true), want(100, 102))
}

func TestBadAckFileReplaysAll(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, spool.Options{Dir: dir})
	appendN(t, s, 0, 5)
	drain(t, s, 0, true)
	appendN(t, s, 5, 8)
	s.Close()
	os.WriteFile(filepath.Join(dir, "ack"), []byte("garbage"), 0o600)
	s = open(t, spool.Options{Dir: dir})
	defer s.Close()
	// At least once: everything still on disk comes again.
	if got := drain(t, s, 0, true); len(got) < 3 || got[len(got)-1] != "record-0007" {
		t.Fatalf("got %v", got)
	}
}

func TestOneProcessPerDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := open(t, spool.Options{Dir: dir})
	if _, err := spool.Open(spool.Options{Dir: dir}); err == nil {
		t.Fatal("a second open of one spool")
	}
	s.Close()
	s = open(t, spool.Options{Dir: dir})
	s.Close()
}
