// Package sink forwards alerts to an operator's SIEM: a webhook (HTTP POST
// of JSON) and syslog (RFC 5424 over UDP, TCP or TLS), each behind its own
// bounded durable spool (host/sink/spool).
//
// Lifecycle of one sink: New (opens the spool in Options.Dir and starts
// delivering what a previous process left in it) → Emit, from the
// evaluation path → Close (stops taking alerts, delivers until its
// context is done, leaves the rest in the spool for the next start).
//
// Emit never blocks: it hands the alert to a bounded in-memory queue; a
// writer goroutine appends it to the spool (one fsync per batch), and a
// delivery goroutine sends the spooled alerts one at a time, oldest first,
// and acknowledges each once the receiver took it. A receiver that is down
// or slow holds back its own sink only. Delivery is at least once: a crash
// between a delivery and its acknowledgement sends it again, and every
// delivery carries the event ID (webhook: Idempotency-Key; syslog: the
// event_id and index structured-data parameters) and the spool sequence
// number, so that a receiver can drop repeats and see gaps. Drops — the
// spool at its bound (oldest first), the hand-off queue full, a record
// failing its checksum, an alert the receiver refuses as malformed — are
// counted (picket_sink_dropped_total{sink,reason}) and logged, never
// silent.
package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/host/sink/spool"
	"github.com/picketsec/picket/sdk"
)

// Drop reasons, the reason label of picket_sink_dropped_total.
const (
	DropSpoolFull  = spool.DropFull    // the spool's bound: the oldest alerts made room
	DropCorrupt    = spool.DropCorrupt // a spooled record failed its checksum
	DropQueueFull  = "queue_full"      // the hand-off queue before the spool was full
	DropWriteError = "write_error"     // the spool could not be written (disk full?)
	DropTooLarge   = "too_large"       // one alert larger than the spool's bound
	DropRejected   = "rejected"        // the receiver refused the alert as malformed (webhook 400, 413, 415, 422)
	DropClosed     = "closed"          // emitted after Close
)

// Defaults of the zero Options fields.
const (
	DefaultQueueSize  = 1024
	DefaultBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff = time.Minute
	DefaultTimeout    = 10 * time.Second
	// MaxRetryAfter caps how long a receiver's Retry-After holds a sink.
	MaxRetryAfter = 15 * time.Minute
)

// Options are what every sink takes.
type Options struct {
	Name        string       // the config's sink label; names metrics and logs
	Dir         string       // the spool's directory (one per sink)
	MaxBytes    int64        // spool bound; 0 means spool.DefaultMaxBytes
	MaxRecords  int          // spool bound; 0 means spool.DefaultMaxRecords
	MinSeverity sdk.Severity // findings below are not sent; 0 means high
	QueueSize   int          // hand-off queue between Emit and the spool; 0 means DefaultQueueSize
	Backoff     time.Duration
	MaxBackoff  time.Duration
	Timeout     time.Duration // per delivery attempt; 0 means DefaultTimeout
	Logger      hclog.Logger
	Metrics     *metrics.Metrics
}

// Stats counts what a sink did since New.
type Stats struct {
	Spooled   int64
	Delivered int64
	Retries   int64
	Dropped   map[string]int64 // by reason
	Depth     int              // alerts spooled and not yet delivered
	Bytes     int64
}

// transport delivers one spooled alert. An error is retried after a
// backoff unless it is a *rejectedError; a *retryAfterError says how long
// to wait at least. Only the delivery goroutine calls it.
type transport interface {
	deliver(ctx context.Context, seq uint64, a *audit.Alert, body []byte) error
	close()
}

// rejectedError is a delivery the receiver refused for good.
type rejectedError struct{ err error }

func (e *rejectedError) Error() string { return e.err.Error() }

// retryAfterError is a delivery to retry no sooner than after.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }

// base is the spool, queue and goroutines a sink's transport runs on.
type base struct {
	opts Options
	log  hclog.Logger
	sp   *spool.Spool
	tr   transport

	mu     sync.RWMutex // Emit holds it shared; Close exclusively
	closed bool
	ch     chan *audit.Alert

	stop      chan struct{} // closed to abandon delivery
	stopOnce  sync.Once
	written   chan struct{} // the writer is done
	delivered chan struct{} // the deliverer is done
	idle      chan struct{} // signalled when the deliverer finds the spool empty

	spooled, sent, retries atomic.Int64
	dropMu                 sync.Mutex
	dropped                map[string]int64
	dropLog                map[string]time.Time
}

func newBase(opts Options, tr transport) (*base, error) {
	if opts.Name == "" || opts.Dir == "" {
		return nil, errors.New("sink: a name and a spool directory are required")
	}
	if opts.MinSeverity == 0 {
		opts.MinSeverity = sdk.SeverityHigh
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Backoff <= 0 {
		opts.Backoff = DefaultBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	opts.MaxBackoff = max(opts.MaxBackoff, opts.Backoff)
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	b := &base{
		opts: opts, log: opts.Logger, tr: tr,
		ch: make(chan *audit.Alert, opts.QueueSize), stop: make(chan struct{}),
		written: make(chan struct{}), delivered: make(chan struct{}), idle: make(chan struct{}, 1),
		dropped: map[string]int64{}, dropLog: map[string]time.Time{},
	}
	sp, err := spool.Open(spool.Options{Dir: opts.Dir, MaxBytes: opts.MaxBytes, MaxRecords: opts.MaxRecords, OnDrop: b.drop})
	if err != nil {
		return nil, fmt.Errorf("sink %q: %w", opts.Name, err)
	}
	b.sp = sp
	if n, _ := sp.Depth(); n > 0 {
		b.log.Info("sink: replaying the spool", "alerts", n)
	}
	b.gauges()
	go b.writer()
	go b.deliverer()
	return b, nil
}

// Emit implements audit.Sink: it queues the alert for ev (if any finding
// reaches the sink's severity) and returns at once.
func (b *base) Emit(ev *audit.Event, res *audit.Result) {
	a := audit.AlertFor(ev, res, b.opts.MinSeverity)
	if a == nil {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		b.drop(1, DropClosed)
		return
	}
	select {
	case b.ch <- a:
	default:
		b.drop(1, DropQueueFull)
	}
}

// drop counts n alerts dropped for reason, and logs it (at most every 10s
// per reason, with the count since). It may run with the spool's lock held.
func (b *base) drop(n int, reason string) {
	b.opts.Metrics.SinkDropped(b.opts.Name, reason, n)
	b.dropMu.Lock()
	defer b.dropMu.Unlock()
	b.dropped[reason] += int64(n)
	if last, ok := b.dropLog[reason]; !ok || time.Since(last) >= 10*time.Second {
		b.dropLog[reason] = time.Now()
		b.log.Warn("sink: alerts dropped", "reason", reason, "alerts", n, "dropped_total", b.dropped[reason])
	}
}

func (b *base) gauges() {
	n, bytes := b.sp.Depth()
	b.opts.Metrics.SinkSpool(b.opts.Name, n, bytes)
}

// writer moves alerts from the hand-off queue to the spool, one sync per
// batch.
func (b *base) writer() {
	defer close(b.written)
	for a := range b.ch {
		batch := []*audit.Alert{a}
	more:
		for len(batch) < 256 {
			select {
			case a, ok := <-b.ch:
				if !ok {
					break more
				}
				batch = append(batch, a)
			default:
				break more
			}
		}
		n := 0
		for _, a := range batch {
			body, err := json.Marshal(a)
			if err == nil {
				_, err = b.sp.Append(body)
			}
			switch {
			case err == nil:
				n++
			case errors.Is(err, spool.ErrTooLarge):
				b.drop(1, DropTooLarge)
			default:
				b.log.Error("sink: spool write failed", "event_id", a.EventID, "error", err)
				b.drop(1, DropWriteError)
			}
		}
		if err := b.sp.Sync(); err != nil {
			b.log.Error("sink: spool sync failed", "error", err)
		}
		b.spooled.Add(int64(n))
		b.opts.Metrics.SinkSpooled(b.opts.Name, n)
		b.gauges()
	}
}

// deliverer sends the spooled alerts in order, each until it is taken,
// refused for good, or dropped by the spool's bound meanwhile.
func (b *base) deliverer() {
	defer close(b.delivered)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-b.stop
		cancel()
	}()
	var after uint64
	for {
		rec, ok, err := b.sp.Next(after)
		if err != nil {
			if !errors.Is(err, spool.ErrClosed) {
				b.log.Error("sink: spool read failed", "error", err)
			}
			return
		}
		if !ok {
			if err := b.sp.Flush(); err != nil {
				b.log.Error("sink: spool ack failed", "error", err)
			}
			select {
			case b.idle <- struct{}{}:
			default:
			}
			select {
			case <-b.sp.Ready():
				continue
			case <-b.stop:
				return
			}
		}
		var a audit.Alert
		if err := json.Unmarshal(rec.Data, &a); err != nil {
			// The checksum held, so this is not disk damage: a bug.
			b.log.Error("sink: a spooled alert does not decode", "seq", rec.Seq, "error", err)
			b.drop(1, DropCorrupt)
		} else if !b.send(ctx, rec, &a) {
			return
		}
		if err := b.sp.Ack(rec.Seq); err != nil {
			return
		}
		after = rec.Seq
		b.gauges()
	}
}

// send delivers one alert, retrying with backoff; it returns false when
// the sink stops first.
func (b *base) send(ctx context.Context, rec spool.Record, a *audit.Alert) bool {
	var failingSince time.Time
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, b.opts.Timeout)
		err := b.tr.deliver(actx, rec.Seq, a, rec.Data)
		cancel()
		if err == nil {
			b.sent.Add(1)
			b.opts.Metrics.SinkDelivered(b.opts.Name)
			if attempt > 0 {
				b.log.Info("sink: delivering again", "event_id", a.EventID, "tries", attempt+1, "down_for", time.Since(failingSince).Round(time.Millisecond))
			}
			return true
		}
		var rej *rejectedError
		if errors.As(err, &rej) {
			b.log.Error("sink: the receiver refused an alert", "event_id", a.EventID, "error", err)
			b.drop(1, DropRejected)
			return true
		}
		select {
		case <-b.stop:
			return false
		default:
		}
		if attempt == 0 {
			failingSince = time.Now()
			b.log.Warn("sink: delivery failed; retrying with backoff (alerts wait in the spool)", "event_id", a.EventID, "error", err)
		} else if attempt%20 == 0 {
			b.log.Warn("sink: delivery still failing", "event_id", a.EventID, "tries", attempt+1, "error", err)
		}
		b.retries.Add(1)
		b.opts.Metrics.SinkRetry(b.opts.Name)
		wait := Backoff(b.opts.Backoff, b.opts.MaxBackoff, attempt)
		var ra *retryAfterError
		if errors.As(err, &ra) && ra.after > 0 {
			wait = min(ra.after, MaxRetryAfter)
		}
		t := time.NewTimer(wait)
		select {
		case <-b.stop:
			t.Stop()
			return false
		case <-t.C:
		}
		if !b.sp.Pending(rec.Seq) {
			// Dropped by the spool's bound while it waited (and counted
			// there): the next one is newer.
			return true
		}
	}
}

// Backoff is the wait before retry attempt+1: base doubled per attempt up
// to maxWait, with jitter (a uniform draw from its upper half), so that
// sinks failing together do not retry in step.
func Backoff(base, maxWait time.Duration, attempt int) time.Duration {
	d := maxWait
	if attempt < 32 {
		if e := base << attempt; e > 0 && e < maxWait {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// Stats returns the counts so far.
func (b *base) Stats() Stats {
	n, bytes := b.sp.Depth()
	b.dropMu.Lock()
	d := make(map[string]int64, len(b.dropped))
	for k, v := range b.dropped {
		d[k] = v
	}
	b.dropMu.Unlock()
	return Stats{Spooled: b.spooled.Load(), Delivered: b.sent.Load(), Retries: b.retries.Load(), Dropped: d, Depth: n, Bytes: bytes}
}

// Close stops taking alerts, spools those queued, and keeps delivering
// until the spool is empty or ctx is done; what is left stays spooled for
// the next start. It returns ctx's error when alerts were left.
func (b *base) Close(ctx context.Context) error {
	b.mu.Lock()
	already := b.closed
	if !already {
		b.closed = true
		close(b.ch)
	}
	b.mu.Unlock()
	if already {
		<-b.delivered
		return nil
	}
	<-b.written
	var err error
	for {
		if n, _ := b.sp.Depth(); n == 0 {
			break
		}
		select {
		case <-b.idle:
			continue
		case <-b.delivered:
		case <-ctx.Done():
			err = ctx.Err()
		}
		break
	}
	b.stopOnce.Do(func() { close(b.stop) })
	<-b.delivered
	b.tr.close()
	if n, _ := b.sp.Depth(); n > 0 {
		b.log.Info("sink: closed with alerts still spooled; they are sent after the next start", "alerts", n)
	}
	return errors.Join(err, b.sp.Close())
}

// Orphans returns the spools under root (data_dir/sinks) that belong to
// none of the sinks named and still hold alerts, with how many: a sink
// taken out of the config leaves its undelivered alerts behind, and serve
// says so at start instead of forgetting them silently.
func Orphans(root string, names []string) map[string]int {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	out := map[string]int{}
	for _, e := range entries {
		if !e.IsDir() || known[e.Name()] {
			continue
		}
		sp, err := spool.Open(spool.Options{Dir: filepath.Join(root, e.Name()), MaxBytes: math.MaxInt64, MaxRecords: math.MaxInt})
		if err != nil {
			continue
		}
		if n, _ := sp.Depth(); n > 0 {
			out[e.Name()] = n
		}
		sp.Close()
	}
	return out
}
