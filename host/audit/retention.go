package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// pruneBatch is how many events one delete transaction removes, so that a
// large prune never holds the writer for long.
const pruneBatch = 500

// Prune implements Store.
func (s *sqlStore) Prune(ctx context.Context, cutoff time.Time, maxEvents int) (int64, error) {
	var total int64
	if !cutoff.IsZero() {
		n, err := s.pruneWhere(ctx, `received_ns < ?`, cutoff.UnixNano())
		total += n
		if err != nil {
			return total, s.errf("prune", err)
		}
	}
	if maxEvents > 0 {
		// The newest event that is to go: everything at or before it goes.
		var at int64
		var id string
		err := s.db.queryRow(ctx, fmt.Sprintf(`SELECT received_ns, id FROM events ORDER BY received_ns DESC, id DESC LIMIT 1 OFFSET %d`, maxEvents)).Scan(&at, &id)
		switch {
		case errors.Is(err, errNoRows):
		case err != nil:
			return total, s.errf("prune", err)
		default:
			n, err := s.pruneWhere(ctx, `(received_ns < ? OR (received_ns = ? AND id <= ?))`, at, at, id)
			total += n
			if err != nil {
				return total, s.errf("prune", err)
			}
		}
	}
	return total, nil
}

// pruneWhere deletes, oldest first and in batches, the events matching cond.
func (s *sqlStore) pruneWhere(ctx context.Context, cond string, args ...any) (int64, error) {
	var total int64
	for {
		var ids []string
		err := func() error {
			rows, err := s.db.query(ctx, fmt.Sprintf(`SELECT id FROM events WHERE %s ORDER BY received_ns, id LIMIT %d`, cond, pruneBatch), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return rows.Err()
		}()
		if err != nil || len(ids) == 0 {
			return total, err
		}
		in, inArgs := inList(ids)
		err = s.db.write(ctx, func(c conn) error {
			// The sessions these events belong to, to recount after.
			type key struct{ tenant, session string }
			var touched []key
			// In a fixed order, so that two replicas pruning at once lock
			// sessions in the same order.
			rows, err := c.query(ctx, `SELECT DISTINCT tenant, session_id FROM events WHERE session_id <> '' AND id IN `+in+` ORDER BY tenant, session_id`, inArgs...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k key
				if err := rows.Scan(&k.tenant, &k.session); err != nil {
					rows.Close()
					return err
				}
				touched = append(touched, k)
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				return err
			}
			if _, err := c.exec(ctx, `DELETE FROM findings WHERE event_id IN `+in, inArgs...); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `DELETE FROM detector_runs WHERE event_id IN `+in, inArgs...); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `DELETE FROM work_queue WHERE event_id IN `+in, inArgs...); err != nil {
				return err
			}
			// The chain keeps its links: verification checks their linkage
			// and knows their events went by retention, not by tampering.
			if _, err := c.exec(ctx, `UPDATE chain SET pruned = 1 WHERE event_id IN `+in, inArgs...); err != nil {
				return err
			}
			n, err := c.exec(ctx, `DELETE FROM events WHERE id IN `+in, inArgs...)
			if err != nil {
				return err
			}
			for _, k := range touched {
				if err := s.rebuildSession(ctx, c, k.tenant, k.session); err != nil {
					return err
				}
			}
			total += n
			return nil
		})
		if err != nil {
			return total, err
		}
		if len(ids) < pruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// RetentionPolicy says how long the trail keeps events.
type RetentionPolicy struct {
	MaxAge    time.Duration // delete events older than this; 0 keeps them by age
	MaxEvents int           // keep at most this many events (all tenants); 0 means no bound
	Every     time.Duration // how often to enforce; 0 means 10 minutes
}

// StartRetention enforces p on s in the background: once at once, then
// every p.Every, until ctx is done or stop is called. stop waits for a
// prune under way to finish. Errors are logged and retried next time.
func StartRetention(ctx context.Context, s Store, p RetentionPolicy, log hclog.Logger) (stop func()) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	log = log.Named("retention")
	if p.Every <= 0 {
		p.Every = 10 * time.Minute
	}
	ctx, cancel := context.WithCancel(ctx)
	if p.MaxAge <= 0 && p.MaxEvents <= 0 {
		cancel()
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(p.Every)
		defer t.Stop()
		for {
			var cutoff time.Time
			if p.MaxAge > 0 {
				cutoff = time.Now().Add(-p.MaxAge)
			}
			start := time.Now()
			n, err := s.Prune(ctx, cutoff, p.MaxEvents)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Error("prune failed", "error", err, "deleted", n)
			case n > 0:
				log.Info("pruned events", "deleted", n, "duration", time.Since(start))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
}
