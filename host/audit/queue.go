package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The work queue holds the events that Record stored and no Complete has
// evaluated yet. It lives in the store, beside the events, so that nothing
// acknowledged is lost whatever the backlog, the crash or the replica:
//
//   - Record enqueues the event in the transaction that stores it; a
//     redelivered duplicate of an event not yet evaluated makes sure it is
//     queued (and claimable again if it had gone dead).
//   - A worker Claims a batch with a lease: the rows are its own until the
//     lease ends. On PostgreSQL claims take FOR UPDATE SKIP LOCKED, so that
//     replicas claiming at once share the rows instead of waiting on each
//     other; a replica that dies leaves claims that any other takes over
//     once their lease has run out.
//   - The worker Renews its leases while it holds work, and completes a
//     batch with CompleteClaimed: one transaction (one commit, one fsync)
//     for the whole batch, which also removes the rows from the queue.
//   - Release gives claims back (a clean shutdown, or at start on a store
//     only one process uses).
//
// Delivery is at least once: an event whose worker died after evaluating
// and before committing is evaluated again. CompleteClaimed skips an event
// already evaluated, so that its findings and sinks count once.
type Queue interface {
	// Claim leases up to limit queued events to owner until now+lease,
	// oldest first, skipping those under another live lease and those
	// claimed MaxAttempts times already. The events carry their spools.
	Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]*Event, error)
	// Renew extends every live claim of owner to now+lease and returns how
	// many it extended.
	Renew(ctx context.Context, owner string, lease time.Duration) (int64, error)
	// Release frees the claims of owner ("" frees every claim: only for a
	// store no other process uses) and returns how many it freed. A freed
	// event may be claimed again at once.
	Release(ctx context.Context, owner string) (int64, error)
	// CompleteClaimed stores the results of a batch of events in one
	// transaction and removes them from the queue. It returns the IDs it
	// skipped: events evaluated meanwhile (by another worker that took an
	// expired claim over) or no longer in the store (pruned).
	CompleteClaimed(ctx context.Context, batch []Completion) (skipped []string, err error)
	// Backlog says how much work is queued.
	Backlog(ctx context.Context) (Backlog, error)
}

// MaxAttempts is how many times an event may be claimed without being
// completed. Past it the event is dead: still pending, counted in
// Backlog.Dead, and claimed again only after a redelivery re-arms it. It
// keeps an event that crashes its evaluator from crashing every replica in
// turn.
const MaxAttempts = 8

// Completion is the result of one claimed event.
type Completion struct {
	ID     string
	Result *Result
	// Memory, when set, is what the event adds to its session's memory:
	// stored in the same transaction, and only if the result is.
	Memory *MemoryUpdate
}

// Backlog is the state of the work queue.
type Backlog struct {
	Depth   int64     `json:"depth"`   // events queued, claimed or not, dead included
	Claimed int64     `json:"claimed"` // of which under a live lease
	Dead    int64     `json:"dead"`    // of which claimed MaxAttempts times and not under a live lease
	Oldest  time.Time `json:"oldest"`  // when the oldest queued event was received; zero when none
	// OldestLive is when the oldest queued event that is not dead was
	// received; zero when none.
	OldestLive time.Time `json:"oldest_live"`
}

// Claimable is how many queued events no live lease holds and are not
// dead: work any replica may claim now.
func (b Backlog) Claimable() int64 { return max(b.Depth-b.Claimed-b.Dead, 0) }

// OldestAge is how long the oldest queued event has waited at now; 0 when
// the queue is empty.
func (b Backlog) OldestAge(now time.Time) time.Duration {
	if b.Oldest.IsZero() {
		return 0
	}
	return max(now.Sub(b.Oldest), 0)
}

// enqueueSQL queues a new event (in Record's transaction).
const enqueueSQL = `INSERT INTO work_queue (event_id, enqueued_ns) VALUES (?, ?) ON CONFLICT DO NOTHING`

// requeueSQL makes sure an unevaluated event is queued and claimable: a
// redelivered duplicate of it re-arms a dead one.
const requeueSQL = `INSERT INTO work_queue (event_id, enqueued_ns) SELECT id, received_ns FROM events WHERE id = ? AND evaluated_ns IS NULL
ON CONFLICT (event_id) DO UPDATE SET attempts = 0`

// claimSQL leases the oldest limit claimable events and returns their IDs.
// On PostgreSQL replicas claiming at once skip each other's rows (FOR
// UPDATE SKIP LOCKED) instead of queueing behind them, and the claimed
// rows are joined, not matched with IN: with IN the planner hashed the
// subquery and scanned the whole queue, 20,000 rows deep in a burst, for
// every claim.
func claimSQL(driver string, limit int) string {
	next := `SELECT event_id FROM work_queue WHERE lease_until_ns < ? AND attempts < ? ORDER BY enqueued_ns, event_id LIMIT ` + strconv.Itoa(limit)
	if driver == "postgres" {
		return `UPDATE work_queue w SET owner = ?, lease_until_ns = ?, attempts = w.attempts + 1
FROM (` + next + ` FOR UPDATE SKIP LOCKED) AS c WHERE w.event_id = c.event_id
RETURNING w.event_id`
	}
	return `UPDATE work_queue SET owner = ?, lease_until_ns = ?, attempts = attempts + 1
WHERE event_id IN (` + next + `)
RETURNING event_id`
}

// Claim implements Queue.
func (s *sqlStore) Claim(ctx context.Context, owner string, limit int, lease time.Duration) ([]*Event, error) {
	if owner == "" {
		return nil, fmt.Errorf("audit: claim: empty owner")
	}
	if limit <= 0 {
		limit = 64
	}
	if lease <= 0 {
		return nil, fmt.Errorf("audit: claim: lease must be positive")
	}
	var out []*Event
	err := s.work.write(ctx, func(c conn) error {
		out = out[:0]
		now := s.now().UnixNano()
		rows, err := c.query(ctx, claimSQL(s.db.driver(), limit), owner, now+int64(lease), now, MaxAttempts)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil || len(ids) == 0 {
			return err
		}
		in, args := inList(ids)
		evs, err := s.scanPending(ctx, c, `SELECT `+eventCols+`, e.items, e.spool FROM events e WHERE e.evaluated_ns IS NULL AND e.id IN `+in+` ORDER BY e.received_ns, e.id`, args...)
		if err != nil {
			return err
		}
		out = evs
		if len(evs) == len(ids) {
			return nil
		}
		// Rows whose event is gone (pruned) or already evaluated are not
		// work any more.
		found := make(map[string]bool, len(evs))
		for _, e := range evs {
			found[e.ID] = true
		}
		var stale []string
		for _, id := range ids {
			if !found[id] {
				stale = append(stale, id)
			}
		}
		in, args = inList(stale)
		_, err = c.exec(ctx, `DELETE FROM work_queue WHERE event_id IN `+in, args...)
		return err
	})
	if err != nil {
		return nil, s.errf("claim", err)
	}
	return out, nil
}

// Renew implements Queue.
func (s *sqlStore) Renew(ctx context.Context, owner string, lease time.Duration) (int64, error) {
	var n int64
	err := s.work.write(ctx, func(c conn) error {
		now := s.now().UnixNano()
		var err error
		q := `UPDATE work_queue SET lease_until_ns = ? WHERE owner = ? AND lease_until_ns >= ?`
		if s.db.driver() == "postgres" {
			// A row locked now is one this owner's completer is taking
			// off the queue: skip it rather than wait. Waiting deadlocked
			// (PostgreSQL's log, in a 20,000-event burst of the build
			// before) when the completion waited in turn for a row the
			// renewal had updated; should that completion fail, the next
			// renewal, a third of a lease later, extends the row.
			q = `UPDATE work_queue w SET lease_until_ns = ? FROM (SELECT event_id FROM work_queue WHERE owner = ? AND lease_until_ns >= ? FOR UPDATE SKIP LOCKED) AS c
WHERE w.event_id = c.event_id`
		}
		n, err = c.exec(ctx, q, now+int64(lease), owner, now)
		return err
	})
	if err != nil {
		return 0, s.errf("renew", err)
	}
	return n, nil
}

// Release implements Queue.
func (s *sqlStore) Release(ctx context.Context, owner string) (int64, error) {
	var n int64
	err := s.work.write(ctx, func(c conn) error {
		var err error
		if owner == "" {
			n, err = c.exec(ctx, `UPDATE work_queue SET owner = '', lease_until_ns = 0 WHERE owner <> '' OR lease_until_ns <> 0`)
		} else {
			n, err = c.exec(ctx, `UPDATE work_queue SET owner = '', lease_until_ns = 0 WHERE owner = ?`, owner)
		}
		return err
	})
	if err != nil {
		return 0, s.errf("release", err)
	}
	return n, nil
}

// errEvaluated says that an event CompleteClaimed was given had been
// evaluated meanwhile.
var errEvaluated = errors.New("already evaluated")

// CompleteClaimed implements Queue.
func (s *sqlStore) CompleteClaimed(ctx context.Context, batch []Completion) ([]string, error) {
	if len(batch) == 0 {
		return nil, nil
	}
	comps := make(map[string]completion, len(batch))
	results := make(map[string]*Result, len(batch))
	memory := map[string]*MemoryUpdate{}
	ids := make([]string, 0, len(batch))
	for _, b := range batch {
		comp, err := s.prepareComplete(b.Result)
		if err != nil {
			return nil, err
		}
		if _, seen := comps[b.ID]; !seen {
			ids = append(ids, b.ID)
		}
		comps[b.ID], results[b.ID] = comp, b.Result
		if b.Memory != nil {
			memory[b.ID] = b.Memory
		}
	}
	var skipped []string
	err := s.work.write(ctx, func(tx conn) error {
		if pipe, ok := pgBatchOf(tx); ok && !s.oneByOne {
			var err error
			skipped, err = s.completeClaimedPG(ctx, tx, pipe, ids, results, comps, memory)
			return err
		}
		skipped = skipped[:0]
		// Lock in one order (chain heads by tenant, then sessions, then
		// events), so that two replicas completing overlapping batches do
		// not deadlock.
		c, err := s.lockHeadsOf(ctx, tx, ids)
		if err != nil {
			return err
		}
		order, err := s.sessionOrder(ctx, c, ids)
		if err != nil {
			return err
		}
		for _, id := range order {
			err := s.completeIn(ctx, c, id, results[id], comps[id], true)
			if errors.Is(err, ErrNotFound) || errors.Is(err, errEvaluated) {
				skipped = append(skipped, id)
				if _, err := c.exec(ctx, `DELETE FROM work_queue WHERE event_id = ?`, id); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return err
			}
			if up := memory[id]; up != nil {
				if _, err := s.remember(ctx, c, up); err != nil {
					return err
				}
			}
		}
		// Events of the batch that are gone from the store.
		for _, id := range ids {
			if !slices.Contains(order, id) {
				skipped = append(skipped, id)
				if _, err := c.exec(ctx, `DELETE FROM work_queue WHERE event_id = ?`, id); err != nil {
					return err
				}
			}
		}
		return c.flush(ctx)
	})
	if err != nil {
		return nil, s.errf("complete", err)
	}
	return skipped, nil
}

// sessionOrder returns those of ids that exist, ordered by tenant,
// session and ID.
func (s *sqlStore) sessionOrder(ctx context.Context, c conn, ids []string) ([]string, error) {
	in, args := inList(ids)
	rows, err := c.query(ctx, `SELECT id FROM events WHERE id IN `+in+` ORDER BY tenant, session_id, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]string, 0, len(ids))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Backlog implements Queue.
func (s *sqlStore) Backlog(ctx context.Context) (Backlog, error) {
	var (
		b            Backlog
		oldest, live int64
	)
	now := s.now().UnixNano()
	err := s.work.queryRow(ctx, `SELECT COUNT(*),
COALESCE(SUM(CASE WHEN lease_until_ns >= ? THEN 1 ELSE 0 END), 0),
COALESCE(SUM(CASE WHEN lease_until_ns < ? AND attempts >= ? THEN 1 ELSE 0 END), 0),
COALESCE(MIN(enqueued_ns), 0),
COALESCE(MIN(CASE WHEN lease_until_ns >= ? OR attempts < ? THEN enqueued_ns END), 0) FROM work_queue`,
		now, now, MaxAttempts, now, MaxAttempts).Scan(&b.Depth, &b.Claimed, &b.Dead, &oldest, &live)
	if err != nil {
		return Backlog{}, s.errf("backlog", err)
	}
	if oldest != 0 {
		b.Oldest = fromNS(oldest)
	}
	if live != 0 {
		b.OldestLive = fromNS(live)
	}
	return b, nil
}

// scanPending reads events with their items and spools.
func (s *sqlStore) scanPending(ctx context.Context, c conn, q string, args ...any) ([]*Event, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Event
	for rows.Next() {
		var r eventRow
		var items string
		var spool []byte
		if err := rows.Scan(append(r.dest(), &items, &spool)...); err != nil {
			return nil, err
		}
		ev := r.ev
		ev.ReceivedAt = fromNS(r.received)
		if err := json.Unmarshal([]byte(items), &ev.Items); err != nil {
			return nil, fmt.Errorf("items of %s: %w", ev.ID, err)
		}
		ev.Spool = spool
		out = append(out, &ev)
	}
	return out, rows.Err()
}

// forUpdate is the row lock suffix of the driver: SQLite's one writer
// already serializes.
func (s *sqlStore) forUpdate() string {
	if s.db.driver() == "postgres" {
		return " FOR UPDATE"
	}
	return ""
}
