package server

import (
	"context"
	"time"

	"github.com/picketsec/picket/host/audit"
)

// Asynchronous events are recorded in group commits: the hook hands its
// event to the intake loop and waits; the loop records whatever events are
// waiting at that moment in one transaction (audit.Store.RecordBatch), so
// that one commit, one fsync, acknowledges many. Nothing waits for a batch
// to fill: an event that arrives alone is committed at once, and under a
// burst the events that arrive during a commit make up the next one.
//
// On SQLite, whose one writer commits one transaction at a time,
// 20,000-event bursts run alternately against the build before and this
// one went from 458 and 543 to 504 and 696 acknowledged events per second
// (README, "Bursts, crashes and replicas"); parsing and sealing, not the
// fsync, are most of the rest. On PostgreSQL a batch is one set-based
// statement (audit's RecordBatch): the intake then takes one connection
// and one commit per batch instead of one of each per event, which leaves
// the database's time to the evaluation of what was taken in (README,
// "Bursts, crashes and replicas": the burst's drain went from under half
// of its intake rate to all of it, with the completion and recall batched
// too).
const (
	// intakeBatch bounds the events of one intake commit.
	intakeBatch = 256
	// intakeTimeout bounds one intake commit.
	intakeTimeout = 10 * time.Second
)

type intakeReq struct {
	ev   *audit.Event
	done chan audit.Recorded
}

// recordAsync records ev durably (and so queues it), in a group commit
// with the events recorded at the same time.
func (s *Server) recordAsync(ctx context.Context, ev *audit.Event) (string, bool, error) {
	req := intakeReq{ev: ev, done: make(chan audit.Recorded, 1)}
	select {
	case s.intake <- req:
	case <-ctx.Done():
		return "", false, ctx.Err()
	}
	// Once handed over, the event is committed or refused within
	// intakeTimeout, whether the client waits or not.
	r := <-req.done
	return r.ID, r.Dup, r.Err
}

// intaker commits the waiting events until the intake is closed.
func (s *Server) intaker() {
	defer s.recWG.Done()
	batch := make([]intakeReq, 0, intakeBatch)
	evs := make([]*audit.Event, 0, intakeBatch)
	for first := range s.intake {
		batch = append(batch[:0], first)
	fill:
		for len(batch) < intakeBatch {
			select {
			case r, ok := <-s.intake:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		evs = evs[:0]
		for _, r := range batch {
			evs = append(evs, r.ev)
		}
		ctx, cancel := context.WithTimeout(context.Background(), intakeTimeout)
		out := s.store.RecordBatch(ctx, evs)
		cancel()
		for i, r := range batch {
			r.done <- out[i]
		}
	}
}
