// Package spool is a bounded, durable, ordered log of records on disk: the
// buffer between an alert and a SIEM sink that lets a receiver be down for
// a while without anything being lost.
//
// Lifecycle: Open (replays what a previous process left: every record not
// yet acknowledged is read again, in order) → Append and Sync (the writer)
// and Next, Ack (the reader), from one goroutine each → Close.
//
// On disk a spool is a directory of segment files, named by the sequence
// number of their first record, and an "ack" file holding the highest
// sequence number that is done with (delivered or dropped). A record is
//
//	length uint32 | crc32c(seq ‖ data) uint32 | seq uint64 | data
//
// little endian. A segment is deleted once every record in it is done. A
// torn record at the end of the newest segment (a crash mid-write) is cut
// off at Open; a bad record anywhere else loses the rest of its segment,
// and the loss is reported through Options.OnDrop like every other drop.
//
// Bounds: the records not yet done never exceed MaxRecords nor MaxBytes
// (headers included). Appending past a bound drops the oldest records
// first, each reported through OnDrop, never silently. Disk use stays
// under MaxBytes plus one segment (the done records of the oldest segment
// wait for the rest of it).
package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Drop reasons passed to Options.OnDrop.
const (
	DropFull    = "spool_full" // a bound was reached: the oldest records made room
	DropCorrupt = "corrupt"    // a record on disk failed its checksum
)

// Defaults for the zero Options fields.
const (
	DefaultMaxBytes   = 64 << 20
	DefaultMaxRecords = 100_000
	// MaxRecordBytes is the largest record a spool takes (data and header).
	MaxRecordBytes = 16 << 20
)

// ErrTooLarge is returned by Append for a record that would not fit in the
// spool even when empty.
var ErrTooLarge = errors.New("spool: record larger than the spool's bound")

// ErrClosed is returned by calls on a closed spool.
var ErrClosed = errors.New("spool: closed")

const (
	headerSize   = 16
	segmentExt   = ".seg"
	ackFile      = "ack"
	ackRecordLen = 12
	// ackEvery bounds how often Ack writes the ack file; Sync, Flush and
	// Close write it at once. A crash redelivers at most what was acked
	// in that window (delivery is at least once).
	ackEvery = 200 * time.Millisecond
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configure a spool.
type Options struct {
	Dir        string // created if missing (0700)
	MaxBytes   int64  // bound on the bytes of records not yet done; 0 means DefaultMaxBytes
	MaxRecords int    // bound on the records not yet done; 0 means DefaultMaxRecords
	// SegmentBytes is the size past which a new segment file is started;
	// 0 means MaxBytes/8, between 4 KiB and 4 MiB.
	SegmentBytes int64
	// OnDrop is told about every record dropped (n of them, for reason),
	// with the spool's lock held: it must not call the spool.
	OnDrop func(n int, reason string)
}

// Record is one record read back.
type Record struct {
	Seq  uint64
	Data []byte
}

type segment struct {
	first uint64 // sequence number in the name
	last  uint64 // highest sequence number written; 0 when empty
	size  int64
	f     *os.File
	path  string
}

type entry struct {
	seq  uint64
	seg  *segment
	off  int64
	size int64 // header included
}

// Spool is a durable bounded log. Append and Sync are meant for one writer
// goroutine and Next, Ack and Flush for one reader goroutine; all methods
// are safe to call concurrently.
type Spool struct {
	mu       sync.Mutex
	opts     Options
	lock     io.Closer
	segs     []*segment // oldest first; the last one takes appends
	ents     []entry    // records not yet done, oldest first, from head
	head     int
	bytes    int64
	next     uint64 // next sequence number
	synced   uint64 // records below this sequence number are on disk
	acked    uint64 // every record at or below is done
	ackDirty bool
	ackAt    time.Time
	ready    chan struct{}
	closed   bool
}

// Open opens (creating) the spool in opts.Dir and replays it: every record
// not yet acknowledged is there for Next again, oldest first. A second
// Open of the same directory while the first is open fails.
func Open(opts Options) (*Spool, error) {
	if opts.Dir == "" {
		return nil, errors.New("spool: no directory")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxRecords <= 0 {
		opts.MaxRecords = DefaultMaxRecords
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = min(max(opts.MaxBytes/8, 4<<10), 4<<20)
	}
	if opts.OnDrop == nil {
		opts.OnDrop = func(int, string) {}
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lk, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{opts: opts, lock: lk, ready: make(chan struct{}, 1), next: 1}
	if err := s.replay(); err != nil {
		s.closeFiles()
		lk.Close()
		return nil, err
	}
	s.synced = s.next
	// Replay may have found drops (the bounds may be smaller than those
	// of the last run): write them down.
	if err := s.trim(); err != nil {
		s.closeFiles()
		lk.Close()
		return nil, err
	}
	if len(s.ents) > s.head {
		s.signal()
	}
	return s, nil
}

// replay reads the ack file and every segment.
func (s *Spool) replay() error {
	if b, err := os.ReadFile(filepath.Join(s.opts.Dir, ackFile)); err == nil {
		if seq, ok := DecodeAck(b); ok {
			s.acked = seq
		}
		// A bad ack file means everything spooled is sent again: at
		// least once, never less.
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	names, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	var firsts []uint64
	for _, n := range names {
		base, ok := strings.CutSuffix(n.Name(), segmentExt)
		if !ok || n.IsDir() {
			continue
		}
		first, err := strconv.ParseUint(base, 10, 64)
		if err != nil || first == 0 {
			continue
		}
		firsts = append(firsts, first)
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	var last uint64 // highest sequence number read
	for i, first := range firsts {
		seg := &segment{first: first, path: filepath.Join(s.opts.Dir, segName(first))}
		f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		seg.f = f
		s.segs = append(s.segs, seg)
		b, err := io.ReadAll(f)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		var off int64
		for off < int64(len(b)) {
			seq, _, n, err := DecodeRecord(b[off:])
			if err == nil && seq <= last {
				err = errors.New("spool: sequence out of order")
			}
			if err != nil {
				if i == len(firsts)-1 {
					// A torn tail from a crash mid-write (or a bad record
					// near the end): cut it, and count what was there.
					s.opts.OnDrop(1, DropCorrupt)
					if terr := f.Truncate(off); terr != nil {
						return fmt.Errorf("spool: truncate %s: %w", seg.path, terr)
					}
				} else if lost := int64(firsts[i+1]) - int64(max(last, s.acked)) - 1; lost > 0 {
					// The rest of this segment is lost: count it by the
					// next segment's first sequence number.
					s.opts.OnDrop(int(lost), DropCorrupt)
				}
				break
			}
			last, seg.last = seq, seq
			if seq > s.acked {
				s.ents = append(s.ents, entry{seq: seq, seg: seg, off: off, size: int64(n)})
				s.bytes += int64(n)
			}
			off += int64(n)
		}
		seg.size = off
	}
	s.next = max(last, s.acked) + 1
	return nil
}

func segName(first uint64) string { return fmt.Sprintf("%020d%s", first, segmentExt) }

// EncodeRecord appends the encoding of (seq, data) to dst.
func EncodeRecord(dst []byte, seq uint64, data []byte) []byte {
	var h [headerSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(data)))
	binary.LittleEndian.PutUint64(h[8:16], seq)
	c := crc32.Update(0, castagnoli, h[8:16])
	c = crc32.Update(c, castagnoli, data)
	binary.LittleEndian.PutUint32(h[4:8], c)
	dst = append(dst, h[:]...)
	return append(dst, data...)
}

// Decoding errors.
var (
	errShort    = errors.New("spool: short record")
	errChecksum = errors.New("spool: record checksum mismatch")
	errLength   = errors.New("spool: record length out of range")
)

// DecodeRecord decodes the record at the start of b: its sequence number,
// its data (a slice of b) and its encoded length.
func DecodeRecord(b []byte) (seq uint64, data []byte, n int, err error) {
	if len(b) < headerSize {
		return 0, nil, 0, errShort
	}
	l := binary.LittleEndian.Uint32(b[0:4])
	if int64(l)+headerSize > MaxRecordBytes {
		return 0, nil, 0, errLength
	}
	n = headerSize + int(l)
	if len(b) < n {
		return 0, nil, 0, errShort
	}
	seq = binary.LittleEndian.Uint64(b[8:16])
	c := crc32.Update(0, castagnoli, b[8:16])
	c = crc32.Update(c, castagnoli, b[headerSize:n])
	if c != binary.LittleEndian.Uint32(b[4:8]) || seq == 0 {
		return 0, nil, 0, errChecksum
	}
	return seq, b[headerSize:n], n, nil
}

// EncodeAck is the ack file's content for seq.
func EncodeAck(seq uint64) []byte {
	b := make([]byte, ackRecordLen)
	binary.LittleEndian.PutUint64(b[0:8], seq)
	binary.LittleEndian.PutUint32(b[8:12], crc32.Checksum(b[0:8], castagnoli))
	return b
}

// DecodeAck reads an ack file's content; ok is false when it is not one.
func DecodeAck(b []byte) (seq uint64, ok bool) {
	if len(b) != ackRecordLen || crc32.Checksum(b[0:8], castagnoli) != binary.LittleEndian.Uint32(b[8:12]) {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[0:8]), true
}

func (s *Spool) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Ready is signalled when records may have become available to Next.
func (s *Spool) Ready() <-chan struct{} { return s.ready }

// Append adds a record at the end, dropping the oldest records first when
// a bound would be passed. It is visible to Next after the next Sync. It
// returns the record's sequence number.
func (s *Spool) Append(data []byte) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	size := int64(headerSize + len(data))
	if size > MaxRecordBytes || size > s.opts.MaxBytes {
		return 0, ErrTooLarge
	}
	dropped := 0
	for s.live() > 0 && (s.live()+1 > s.opts.MaxRecords || s.bytes+size > s.opts.MaxBytes) {
		e := s.ents[s.head]
		s.popHead()
		s.acked = e.seq
		s.ackDirty = true
		dropped++
	}
	if dropped > 0 {
		s.opts.OnDrop(dropped, DropFull)
	}
	seg, err := s.active(size)
	if err != nil {
		return 0, err
	}
	seq := s.next
	rec := EncodeRecord(make([]byte, 0, size), seq, data)
	if _, err := seg.f.WriteAt(rec, seg.size); err != nil {
		// Leave no partial record behind for the next one to follow.
		_ = seg.f.Truncate(seg.size)
		return 0, fmt.Errorf("spool: write: %w", err)
	}
	s.ents = append(s.ents, entry{seq: seq, seg: seg, off: seg.size, size: size})
	s.bytes += size
	seg.size += size
	seg.last = seq
	s.next++
	if dropped > 0 {
		s.removeDone()
	}
	return seq, nil
}

// active returns the segment that takes a record of size bytes, starting
// a new one when the newest is full (or there is none).
func (s *Spool) active(size int64) (*segment, error) {
	if n := len(s.segs); n > 0 {
		seg := s.segs[n-1]
		if seg.size == 0 || seg.size+size <= s.opts.SegmentBytes {
			return seg, nil
		}
		// The full segment's records go to disk before the next
		// segment's, so that a crash never leaves a hole.
		if err := seg.f.Sync(); err != nil {
			return nil, fmt.Errorf("spool: sync: %w", err)
		}
	}
	seg := &segment{first: s.next, path: filepath.Join(s.opts.Dir, segName(s.next))}
	f, err := os.OpenFile(seg.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	seg.f = f
	if err := syncDir(s.opts.Dir); err != nil {
		f.Close()
		os.Remove(seg.path)
		return nil, err
	}
	s.segs = append(s.segs, seg)
	return seg, nil
}

// Sync makes the records appended so far durable and visible to Next,
// and writes down what was dropped.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if n := len(s.segs); n > 0 && s.synced < s.next {
		if err := s.segs[n-1].f.Sync(); err != nil {
			return fmt.Errorf("spool: sync: %w", err)
		}
	}
	if s.synced < s.next {
		s.synced = s.next
		s.signal()
	}
	return s.writeAck()
}

// Next returns the oldest durable record with a sequence number above
// after, or false when there is none yet (wait on Ready). A record whose
// bytes fail their checksum when read back is dropped (OnDrop, corrupt)
// and the next one is returned.
func (s *Spool) Next(after uint64) (Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Record{}, false, ErrClosed
	}
	for {
		live := s.ents[s.head:]
		i := sort.Search(len(live), func(i int) bool { return live[i].seq > after })
		if i == len(live) || live[i].seq >= s.synced {
			return Record{}, false, nil
		}
		e := live[i]
		b := make([]byte, e.size)
		_, err := e.seg.f.ReadAt(b, e.off)
		if err != nil {
			return Record{}, false, fmt.Errorf("spool: read: %w", err)
		}
		seq, data, _, err := DecodeRecord(b)
		if err == nil && seq == e.seq {
			return Record{Seq: seq, Data: data}, true, nil
		}
		s.opts.OnDrop(1, DropCorrupt)
		after = e.seq
		if i == 0 {
			s.popHead()
			s.acked = e.seq
			s.ackDirty = true
		}
	}
}

// Ack marks every record up to seq done: it will not be replayed (the ack
// file is written at most every 200ms, and by Sync, Flush and Close; a
// crash before it redelivers those records).
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if seq <= s.acked {
		return nil
	}
	for s.live() > 0 && s.ents[s.head].seq <= seq {
		s.popHead()
	}
	s.acked = seq
	s.ackDirty = true
	s.removeDone()
	if time.Since(s.ackAt) >= ackEvery {
		return s.writeAck()
	}
	return nil
}

// Pending says whether record seq is still to be done: false once it is
// acknowledged or dropped (by a bound, meanwhile).
func (s *Spool) Pending(seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.closed && seq > s.acked
}

// Flush writes the ack file if acknowledgements are pending.
func (s *Spool) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return s.writeAck()
}

// Depth is the number and bytes of records not yet done.
func (s *Spool) Depth() (records int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(), s.bytes
}

// Close writes the ack file and closes the spool; what is not acked is
// replayed by the next Open.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	err := s.writeAck()
	if n := len(s.segs); n > 0 {
		err = errors.Join(err, s.segs[n-1].f.Sync())
	}
	s.closed = true
	s.closeFiles()
	err = errors.Join(err, s.lock.Close())
	return err
}

func (s *Spool) live() int { return len(s.ents) - s.head }

func (s *Spool) popHead() {
	s.bytes -= s.ents[s.head].size
	s.ents[s.head] = entry{}
	s.head++
	if s.head == len(s.ents) {
		s.ents, s.head = s.ents[:0], 0
	} else if s.head > 1024 && s.head*2 > len(s.ents) {
		n := copy(s.ents, s.ents[s.head:])
		clear(s.ents[n:])
		s.ents, s.head = s.ents[:n], 0
	}
}

// removeDone deletes the oldest segments whose records are all done,
// keeping the newest (it takes the appends).
func (s *Spool) removeDone() {
	for len(s.segs) > 1 && s.segs[0].last <= s.acked {
		seg := s.segs[0]
		// The ack goes to disk first: a crash between the two never makes
		// the next Open take a later segment's records for the first.
		if s.ackDirty && s.writeAck() != nil {
			return
		}
		seg.f.Close()
		_ = os.Remove(seg.path)
		s.segs[0] = nil
		s.segs = s.segs[1:]
	}
}

// trim applies the bounds after replay (they may be smaller than the last
// run's) and removes segments left with nothing to do.
func (s *Spool) trim() error {
	dropped := 0
	for s.live() > 0 && (s.live() > s.opts.MaxRecords || s.bytes > s.opts.MaxBytes) {
		s.acked = s.ents[s.head].seq
		s.popHead()
		s.ackDirty = true
		dropped++
	}
	if dropped > 0 {
		s.opts.OnDrop(dropped, DropFull)
	}
	if s.live() == 0 && len(s.segs) > 0 {
		// Nothing left to deliver: start afresh at the next Append.
		s.acked = s.next - 1
		s.ackDirty = true
		if err := s.writeAck(); err != nil {
			return err
		}
		for _, seg := range s.segs {
			seg.f.Close()
			_ = os.Remove(seg.path)
		}
		s.segs = nil
	}
	s.removeDone()
	return s.writeAck()
}

// writeAck writes the ack file when it changed: a new file, synced, then
// renamed over the old one.
func (s *Spool) writeAck() error {
	if !s.ackDirty {
		return nil
	}
	tmp := filepath.Join(s.opts.Dir, ackFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: ack: %w", err)
	}
	_, err = f.Write(EncodeAck(s.acked))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.opts.Dir, ackFile))
	}
	if err != nil {
		return fmt.Errorf("spool: ack: %w", err)
	}
	s.ackDirty = false
	s.ackAt = time.Now()
	return nil
}

func (s *Spool) closeFiles() {
	for _, seg := range s.segs {
		if seg.f != nil {
			seg.f.Close()
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("spool: sync dir: %w", err)
	}
	return nil
}
