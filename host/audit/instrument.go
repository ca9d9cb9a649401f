package audit

import (
	"context"
	"time"
)

// Observer is told the duration and outcome of each store call, by
// operation name: record, complete, pending, claim, renew, release,
// complete_claimed, backlog, ping, list_events, get_event,
// list_sessions, get_session, list_findings, stats, prune. It must be fast
// and safe for concurrent use (a Prometheus histogram's Observe is).
type Observer func(op string, d time.Duration, err error)

// Instrument returns a Store that reports every call of s to obs. DumpAll,
// SchemaVersion and Export see through it.
func Instrument(s Store, obs Observer) Store {
	return &instrumented{s: s, obs: obs}
}

type instrumented struct {
	s   Store
	obs Observer
}

// Interface guard.
var _ Store = (*instrumented)(nil)

// Unwrap returns the instrumented store.
func (i *instrumented) Unwrap() Store { return i.s }

func (i *instrumented) done(op string, start time.Time, err error) {
	i.obs(op, time.Since(start), err)
}

func (i *instrumented) Record(ctx context.Context, ev *Event) (string, bool, error) {
	start := time.Now()
	id, dup, err := i.s.Record(ctx, ev)
	i.done("record", start, err)
	return id, dup, err
}

func (i *instrumented) RecordBatch(ctx context.Context, evs []*Event) []Recorded {
	start := time.Now()
	out := i.s.RecordBatch(ctx, evs)
	var err error
	for _, r := range out {
		if r.Err != nil {
			err = r.Err
			break
		}
	}
	i.done("record_batch", start, err)
	return out
}

func (i *instrumented) Complete(ctx context.Context, id string, res *Result) error {
	start := time.Now()
	err := i.s.Complete(ctx, id, res)
	i.done("complete", start, err)
	return err
}

func (i *instrumented) RecordDecided(ctx context.Context, batch []Decided) error {
	start := time.Now()
	err := i.s.RecordDecided(ctx, batch)
	i.done("record_decided", start, err)
	return err
}

func (i *instrumented) Pending(ctx context.Context, limit int) ([]*Event, error) {
	start := time.Now()
	evs, err := i.s.Pending(ctx, limit)
	i.done("pending", start, err)
	return evs, err
}

func (i *instrumented) Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]*Event, error) {
	start := time.Now()
	evs, err := i.s.Claim(ctx, owner, limit, lease)
	i.done("claim", start, err)
	return evs, err
}

func (i *instrumented) Renew(ctx context.Context, owner string, lease time.Duration) (int64, error) {
	start := time.Now()
	n, err := i.s.Renew(ctx, owner, lease)
	i.done("renew", start, err)
	return n, err
}

func (i *instrumented) Release(ctx context.Context, owner string) (int64, error) {
	start := time.Now()
	n, err := i.s.Release(ctx, owner)
	i.done("release", start, err)
	return n, err
}

func (i *instrumented) CompleteClaimed(ctx context.Context, batch []Completion) ([]string, error) {
	start := time.Now()
	skipped, err := i.s.CompleteClaimed(ctx, batch)
	i.done("complete_claimed", start, err)
	return skipped, err
}

func (i *instrumented) Backlog(ctx context.Context) (Backlog, error) {
	start := time.Now()
	b, err := i.s.Backlog(ctx)
	i.done("backlog", start, err)
	return b, err
}

func (i *instrumented) Ping(ctx context.Context) error {
	start := time.Now()
	err := i.s.Ping(ctx)
	i.done("ping", start, err)
	return err
}

func (i *instrumented) Close() error { return i.s.Close() }

func (i *instrumented) Prune(ctx context.Context, cutoff time.Time, maxEvents int) (int64, error) {
	start := time.Now()
	n, err := i.s.Prune(ctx, cutoff, maxEvents)
	i.done("prune", start, err)
	return n, err
}

func (i *instrumented) ListEvents(ctx context.Context, tenant string, f EventFilter) (*EventPage, error) {
	start := time.Now()
	p, err := i.s.ListEvents(ctx, tenant, f)
	i.done("list_events", start, err)
	return p, err
}

func (i *instrumented) GetEvent(ctx context.Context, tenant, id string) (*EventDetail, error) {
	start := time.Now()
	d, err := i.s.GetEvent(ctx, tenant, id)
	i.done("get_event", start, err)
	return d, err
}

func (i *instrumented) ListSessions(ctx context.Context, tenant string, f SessionFilter) (*SessionPage, error) {
	start := time.Now()
	p, err := i.s.ListSessions(ctx, tenant, f)
	i.done("list_sessions", start, err)
	return p, err
}

func (i *instrumented) GetSession(ctx context.Context, tenant, id string) (*SessionDetail, error) {
	start := time.Now()
	d, err := i.s.GetSession(ctx, tenant, id)
	i.done("get_session", start, err)
	return d, err
}

func (i *instrumented) ListFindings(ctx context.Context, tenant string, f FindingFilter) (*FindingPage, error) {
	start := time.Now()
	p, err := i.s.ListFindings(ctx, tenant, f)
	i.done("list_findings", start, err)
	return p, err
}

func (i *instrumented) Stats(ctx context.Context, tenant string, q StatsQuery) (*Stats, error) {
	start := time.Now()
	st, err := i.s.Stats(ctx, tenant, q)
	i.done("stats", start, err)
	return st, err
}

// sqlOf finds the SQL store under wrappers that have an Unwrap method.
func sqlOf(s Store) (*sqlStore, bool) {
	for i := 0; i < 8 && s != nil; i++ {
		if ss, ok := s.(*sqlStore); ok {
			return ss, true
		}
		u, ok := s.(interface{ Unwrap() Store })
		if !ok {
			return nil, false
		}
		s = u.Unwrap()
	}
	return nil, false
}
