package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/session"
	"github.com/picketsec/picket/sdk"
)

// Asynchronous events are evaluated from the store's work queue (see
// audit.Queue), not from memory: the hook records the event (which queues
// it) and answers; the dispatcher claims batches of queued events with a
// lease and hands them to the evaluators; the completer writes their
// results in group commits. Whatever the backlog, a crash or a dead
// replica, every recorded event stays queued until a result is committed.
//
//	hook ─Record→ work_queue ─Claim→ dispatcher → evaluators → completer ─CompleteClaimed→ store
const (
	// DefaultLease is how long a claim lasts unless renewed; a replica that
	// dies holds its claims this long at most.
	DefaultLease = 30 * time.Second
	// DefaultInflight bounds the events claimed and not yet completed.
	DefaultInflight = 256
	// claimBatch bounds one claim.
	claimBatch = 128
	// pollEvery is how often an idle dispatcher looks at the queue for
	// work it was not told about (other replicas' events, expired claims).
	pollEvery = 500 * time.Millisecond
	// claimWindow lets a few more events arrive before a claim woken by one.
	claimWindow = 3 * time.Millisecond
	// completeBatch and completeWindow shape the group commits of results.
	completeBatch  = 256
	completeWindow = 2 * time.Millisecond
	// backlogEvery is how often the backlog gauges are refreshed.
	backlogEvery = 2 * time.Second
)

// workOwner names this process's claims in the queue.
func workOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b[:])
}

type asyncJob struct {
	id     string
	spool  *spoolData
	tenant string
	// turn is the event's session memory, recalled with its claimed
	// batch (nil: memory off, or judged alone).
	turn *session.Turn
}

type doneJob struct {
	job  asyncJob
	v    *engine.Verdict
	turn *session.Turn // nil without session memory
}

// workQueue runs the dispatcher, evaluators and completer of one server.
type workQueue struct {
	s        *Server
	owner    string
	lease    time.Duration
	inflight int

	jobs    chan asyncJob
	results chan doneJob
	wake    chan struct{} // an event was queued here
	slot    chan struct{} // a claimed event was completed or dropped
	held    atomic.Int64  // claimed, not completed nor dropped

	stop     chan struct{}
	stopped  atomic.Bool
	evalWG   sync.WaitGroup
	loopsWG  sync.WaitGroup
	complete sync.WaitGroup
	backlog  atomic.Pointer[audit.Backlog]
	// progress is when this process last committed results (or started),
	// in Unix nanoseconds: /readyz tells a stuck process from a busy one.
	progress atomic.Int64
}

func newWorkQueue(s *Server, inflight int, lease time.Duration) *workQueue {
	return &workQueue{
		s: s, owner: workOwner(), lease: lease, inflight: inflight,
		jobs: make(chan asyncJob, inflight), results: make(chan doneJob, inflight),
		wake: make(chan struct{}, 1), slot: make(chan struct{}, 1), stop: make(chan struct{}),
	}
}

func (q *workQueue) start(workers int) {
	q.progress.Store(time.Now().UnixNano())
	for range workers {
		q.evalWG.Add(1)
		go q.evaluator()
	}
	q.complete.Add(1)
	go q.completer()
	q.loopsWG.Add(3)
	go q.dispatcher()
	go q.renewer()
	go q.sampler()
}

// notify tells the dispatcher that an event was queued.
func (q *workQueue) notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *workQueue) freed(n int) {
	q.held.Add(int64(-n))
	select {
	case q.slot <- struct{}{}:
	default:
	}
}

// dispatcher claims queued events while there is room and hands them to
// the evaluators.
func (q *workQueue) dispatcher() {
	defer q.loopsWG.Done()
	poll := time.NewTicker(pollEvery)
	defer poll.Stop()
	for {
		room := q.inflight - int(q.held.Load())
		if room <= 0 {
			select {
			case <-q.stop:
				return
			case <-q.slot:
			case <-poll.C:
			}
			continue
		}
		n := q.claim(min(room, claimBatch))
		if n == min(room, claimBatch) {
			continue // more may be waiting
		}
		select {
		case <-q.stop:
			return
		case <-q.wake:
			// Let the burst that woke us put a few more events in.
			select {
			case <-q.stop:
				return
			case <-time.After(claimWindow):
			}
		case <-poll.C:
		}
	}
}

// claim claims up to limit events and queues them for evaluation; it
// returns how many it claimed.
func (q *workQueue) claim(limit int) int {
	s := q.s
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := s.store.Claim(ctx, q.owner, limit, q.lease)
	if err != nil {
		s.log.Error("claim queued events", "error", err)
		return 0
	}
	q.held.Add(int64(len(evs)))
	jobs := make([]asyncJob, 0, len(evs))
	for _, rec := range evs {
		sp, err := s.sealer.open(rec.Spool)
		if err != nil {
			// Left claimed: the lease runs out, and after audit.MaxAttempts
			// claims the event is dead (counted in the backlog) until a
			// redelivery.
			s.log.Error("queued event cannot be evaluated", "event_id", rec.ID, "error", err)
			q.freed(1)
			continue
		}
		sp.Event.ID, sp.Event.Tenant = rec.ID, rec.Tenant
		jobs = append(jobs, asyncJob{id: rec.ID, spool: sp, tenant: rec.Tenant})
	}
	q.recall(ctx, jobs)
	for _, j := range jobs {
		q.jobs <- j
	}
	return len(evs)
}

// recall recalls the session memory of a claimed batch in one go (a
// round trip per event was most of the store's work left per event on
// PostgreSQL). On a store error the events are judged alone, as
// beginSession does.
func (q *workQueue) recall(ctx context.Context, jobs []asyncJob) {
	s := q.s
	if s.sessions == nil || len(jobs) == 0 {
		return
	}
	evs := make([]*sdk.Event, len(jobs))
	for i := range jobs {
		evs[i] = jobs[i].spool.Event
	}
	turns, err := s.sessions.BeginBatch(ctx, evs, s.config(), s.eng.Signature())
	if err != nil {
		s.log.Warn("session memory unavailable; judging the claimed events alone", "events", len(jobs), "first_event_id", jobs[0].id, "error", err)
	}
	for i := range jobs {
		jobs[i].turn = turns[i]
	}
}

func (q *workQueue) evaluator() {
	defer q.evalWG.Done()
	for {
		select {
		case <-q.stop:
			return
		case j := <-q.jobs:
			v, turn, ok := q.s.evaluateAsync(j)
			if !ok {
				q.freed(1)
				continue
			}
			q.results <- doneJob{job: j, v: v, turn: turn}
		}
	}
}

// completer writes results in group commits: one transaction for all the
// results that are ready, up to completeBatch.
func (q *workQueue) completer() {
	defer q.complete.Done()
	groupCommits(q.results, completeBatch, completeWindow, q.commit)
}

func (q *workQueue) commit(batch []doneJob) {
	s := q.s
	comps := make([]audit.Completion, len(batch))
	results := make([]audit.Result, len(batch))
	for i, d := range batch {
		results[i] = trailResult(d.v)
		results[i].Items = s.auditItems(d.job.spool.Event, results[i].Findings)
		// Session memory goes in the same transaction: once the result is
		// visible, a quarantine it set holds for the next pre_request.
		comps[i] = audit.Completion{ID: d.job.id, Result: &results[i], Memory: s.sessions.Update(d.turn, d.v)}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	skipped, err := s.store.CompleteClaimed(ctx, comps)
	defer q.freed(len(batch))
	if err != nil {
		// The claims stay; their lease runs out and they are evaluated again.
		s.log.Error("record results", "events", len(batch), "first_event_id", batch[0].job.id, "error", err)
		return
	}
	q.progress.Store(time.Now().UnixNano())
	skip := make(map[string]bool, len(skipped))
	for _, id := range skipped {
		skip[id] = true
	}
	if s.sessions != nil {
		var ups []*audit.MemoryUpdate
		var vs []*engine.Verdict
		for i, d := range batch {
			if !skip[d.job.id] && comps[i].Memory != nil {
				ups, vs = append(ups, comps[i].Memory), append(vs, d.v)
			}
		}
		s.sessions.Committed(ups, vs)
	}
	for i, d := range batch {
		if skip[d.job.id] {
			continue
		}
		ev := d.job.spool.Event
		s.metrics.Event(ev.Type, ev.Tenant, d.v.Decision, d.v.WouldBlock)
		s.emit(s.auditEvent(ev, nil), &results[i])
	}
}

// renewer keeps this process's claims alive while it holds any.
func (q *workQueue) renewer() {
	defer q.loopsWG.Done()
	t := time.NewTicker(q.lease / 3)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			if q.held.Load() == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), q.lease/3)
			if _, err := q.s.store.Renew(ctx, q.owner, q.lease); err != nil {
				q.s.log.Error("renew claims", "error", err)
			}
			cancel()
		}
	}
}

// sampler refreshes the backlog gauges.
func (q *workQueue) sampler() {
	defer q.loopsWG.Done()
	t := time.NewTicker(backlogEvery)
	defer t.Stop()
	for {
		if _, err := q.sample(context.Background()); err != nil {
			q.s.log.Warn("read the work queue backlog", "error", err)
		}
		select {
		case <-q.stop:
			return
		case <-t.C:
		}
	}
}

func (q *workQueue) sample(ctx context.Context) (audit.Backlog, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	b, err := q.s.store.Backlog(ctx)
	if err != nil {
		return b, err
	}
	q.backlog.Store(&b)
	q.s.metrics.Backlog(b.Depth, b.Claimed, b.Dead, b.OldestAge(time.Now()))
	return b, nil
}

// stuck says why this process is stuck on the work queue, or "" when it is
// not: the oldest pending event (dead ones aside) has waited longer than
// bound, this process committed no result for as long, and it has work
// (claims of its own, or events nobody holds). A process that evaluates,
// however far behind, is not stuck (taking it out of a load balancer
// would not drain the queue faster), nor is an idle replica while others
// hold the work. A bound of 0 turns the check off.
func (q *workQueue) stuck(b audit.Backlog, bound time.Duration, now time.Time) string {
	return stuckReason(b, bound, now, time.Unix(0, q.progress.Load()), q.held.Load(), q.stopped.Load())
}

func stuckReason(b audit.Backlog, bound time.Duration, now, progress time.Time, held int64, stopped bool) string {
	if bound <= 0 || b.OldestLive.IsZero() {
		return ""
	}
	age := now.Sub(b.OldestLive)
	if age <= bound {
		return ""
	}
	idle := now.Sub(progress)
	if !stopped && idle <= bound {
		return ""
	}
	if held == 0 && b.Claimable() == 0 {
		return ""
	}
	return fmt.Sprintf("stuck: the oldest pending event has waited %s (limits.max_pending_age %s) and this process has committed no result for %s",
		age.Round(time.Second), bound, idle.Round(time.Second))
}

// shutdown stops claiming and evaluating, commits the results at hand and
// gives the remaining claims back, so that another replica (or the next
// start) takes them at once.
func (q *workQueue) shutdown(ctx context.Context) error {
	if !q.stopped.CompareAndSwap(false, true) {
		return nil
	}
	close(q.stop)
	q.evalWG.Wait()
	q.loopsWG.Wait()
	close(q.results)
	done := make(chan struct{})
	go func() { q.complete.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if _, err := q.s.store.Release(ctx, q.owner); err != nil {
		return err
	}
	return nil
}

// evaluateAsync evaluates a queued event under the policy in force now.
func (s *Server) evaluateAsync(j asyncJob) (*engine.Verdict, *session.Turn, bool) {
	ev := j.spool.Event
	mode := j.spool.TenantMode
	if cfg := s.config(); cfg != nil {
		if t, ok := cfg.Tenant(j.tenant); ok {
			mode = t.Mode
		}
	}
	ctx, call := s.tel.StartEvaluation(context.Background(), j.spool.Trace)
	defer call.End(0)
	call.Event(ev, mode)
	turn := j.turn
	v, err := s.eng.Evaluate(ctx, engine.Input{Event: ev, TenantMode: mode, Session: turn.Input()})
	if err != nil {
		s.log.Error("evaluate async event", "event_id", ev.ID, "error", err)
		return nil, nil, false
	}
	call.Decided(ctx, ev, v)
	return v, turn, true
}
