package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// CompleteClaimed on PostgreSQL writes a whole batch in a handful of round
// trips instead of some fifteen per event (completeIn, chainIn and
// remember one after the other, each statement waiting for its answer):
// one set-based statement per table for all the batch's events (unnest
// arrays), and the statements that do not need each other's answers sent
// together as one pipelined pgx.Batch. The rows it writes, the links it
// appends and the memory it keeps are those of the statement-by-statement
// path (SQLite's), which the tests compare:
//
//  1. lock the chain heads of the batch's tenants (lockHeadsOf);
//  2. lock the batch's event rows, in (tenant, session, id) order, and
//     tell the pending ones from those evaluated meanwhile or gone;
//  3. one pipeline: take the batch off the queue, write results, findings
//     and detector runs, and read the rows back for the chain (the link
//     hashes what the database holds, as VerifyChain does);
//  4. one pipeline: count the results into their sessions, append the
//     links, write session memory (each update's statements in order, so
//     that each sees the ones before it) and move the chain heads.
//
// Measured with `make load`: the completer, one goroutine, waited on these
// round trips while the evaluators sat idle (README, "Bursts, crashes and
// replicas"). The batch's IDs are joined as unnest rows, whose small
// row estimate keeps the planner on the primary keys.

// batchSender is a transaction that pipelines statements.
type batchSender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pgBatchOf returns the pipelining side of a PostgreSQL transaction.
func pgBatchOf(c conn) (batchSender, bool) {
	if cc, ok := c.(*chainConn); ok {
		c = cc.conn
	}
	p, ok := c.(pgConn)
	if !ok {
		return nil, false
	}
	b, ok := p.c.(batchSender)
	return b, ok
}

// pendingEvent is an event of the batch locked for completion.
type pendingEvent struct {
	id, tenant, session string
	received            int64
	items               *string // the recorded items, when a finding needs their tools
}

// completeClaimedPG is CompleteClaimed's transaction on PostgreSQL (see
// above). ids are the batch's distinct IDs in batch order.
func (s *sqlStore) completeClaimedPG(ctx context.Context, tx conn, pipe batchSender, ids []string, results map[string]*Result,
	comps map[string]completion, memory map[string]*MemoryUpdate) ([]string, error) {
	c, err := s.lockHeadsOf(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	var needItems []string
	for _, id := range ids {
		if len(results[id].Findings) > 0 && results[id].Items == nil {
			needItems = append(needItems, id)
		}
	}
	rows, err := c.query(ctx, `SELECT id, tenant, received_ns, session_id, evaluated_ns IS NOT NULL, CASE WHEN id = ANY(?) THEN items END
FROM events JOIN unnest(?::text[]) AS u(eid) ON id = u.eid ORDER BY tenant, session_id, id FOR UPDATE OF events`, needItems, ids)
	if err != nil {
		return nil, err
	}
	var order []pendingEvent
	for rows.Next() {
		var (
			p         pendingEvent
			evaluated bool
		)
		if err := rows.Scan(&p.id, &p.tenant, &p.received, &p.session, &evaluated, &p.items); err != nil {
			rows.Close()
			return nil, err
		}
		if !evaluated {
			order = append(order, p)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}
	var skipped []string
	pendingIDs := make([]string, len(order))
	pending := make(map[string]bool, len(order))
	for i, p := range order {
		pendingIDs[i], pending[p.id] = p.id, true
	}
	for _, id := range ids {
		if !pending[id] {
			skipped = append(skipped, id) // gone (pruned) or evaluated meanwhile
		}
	}

	// 3. Results, findings, runs, session counts; then read back.
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM work_queue USING unnest($1::text[]) AS u(eid) WHERE event_id = u.eid`, ids)
	if len(order) == 0 {
		return skipped, pipe.SendBatch(ctx, b).Close()
	}
	queueSessions, err := queueResults(b, order, results, comps)
	if err != nil {
		return nil, err
	}
	hashed := make(map[string]*hashedEvent, len(order))
	b.Queue(`SELECT `+hashEventCols+` FROM events JOIN unnest($1::text[]) AS u(eid) ON id = u.eid`, pendingIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			ev := &hashedEvent{}
			if err := rows.Scan(ev.dest()...); err != nil {
				return err
			}
			hashed[ev.cols[0]] = ev
		}
		return rows.Err()
	})
	hashedFindings := map[string][]hashedFinding{}
	b.Queue(`SELECT event_id, `+hashFindingCols+` FROM findings JOIN unnest($1::text[]) AS u(eid) ON event_id = u.eid ORDER BY event_id, seq`, pendingIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id string
			var f hashedFinding
			if err := rows.Scan(append([]any{&id}, f.dest()...)...); err != nil {
				return err
			}
			hashedFindings[id] = append(hashedFindings[id], f)
		}
		return rows.Err()
	})
	if err := pipe.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}

	// 4. Session counts, links in (tenant, session, id) order, memory,
	// heads.
	b = &pgx.Batch{}
	queueSessions(b)
	var (
		lTenant, lEvent, lPrev, lHash []string
		lSeq                          []int64
	)
	for _, p := range order {
		h := c.heads[p.tenant]
		if h == nil {
			return nil, fmt.Errorf("audit: chain head of tenant %q not locked by the transaction", p.tenant)
		}
		ev := hashed[p.id]
		if ev == nil {
			return nil, errEventGone
		}
		seq := h.seq + 1
		sum, err := linkHash(p.tenant, seq, h.hash, ev, hashedFindings[p.id])
		if err != nil {
			return nil, err
		}
		lTenant, lSeq, lEvent, lPrev, lHash = append(lTenant, p.tenant), append(lSeq, seq), append(lEvent, p.id), append(lPrev, h.hash), append(lHash, sum)
		h.seq, h.hash, h.dirty = seq, sum, true
	}
	b.Queue(`INSERT INTO chain (tenant, seq, event_id, prev_hash, hash, at_ns)
SELECT t, q, e, p, h, $6 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(t, q, e, p, h)`,
		lTenant, lSeq, lEvent, lPrev, lHash, s.now().UnixNano())
	for _, p := range order {
		if up := memory[p.id]; up != nil {
			queueRemember(b, up)
		}
	}
	for t, h := range c.heads {
		if h.dirty {
			b.Queue(rebind(headUpdate), h.seq, h.hash, t)
			h.dirty = false
		}
	}
	if err := pipe.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return skipped, nil
}

// queueResults queues the writes of completeIn for every event of order
// but the session counts, and returns what queues those: they go in the
// last pipeline, so that the hot session rows, which every intake batch
// writes too, stay locked for as short a time as can be.
func queueResults(b *pgx.Batch, order []pendingEvent, results map[string]*Result, comps map[string]completion) (func(*pgx.Batch), error) {
	n := len(order)
	var (
		ids, decisions, modes, categories, messages  = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		evaluated, wouldBlock, maxSev, counting, lat = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		items                                        = make([]*string, n)
	)
	var f findingRows
	var r runRows
	type sessionKey struct{ tenant, session string }
	sessions := map[sessionKey]*[4]int64{} // findings, blocked, would_block, max severity
	var sessionOrder []sessionKey
	for i, p := range order {
		res, comp := results[p.id], comps[p.id]
		ids[i], decisions[i], modes[i], categories[i], messages[i] = p.id, res.Decision, res.Mode, res.Category, res.Message
		evaluated[i], wouldBlock[i], maxSev[i], counting[i], lat[i] = comp.evaluated.UnixNano(), int64(boolInt(res.WouldBlock)), int64(res.MaxSeverity), int64(comp.counting), int64(res.Latency)
		if s, ok := comp.items.(string); ok {
			items[i] = &s
		}
		if len(res.Findings) > 0 {
			its := res.Items
			if its == nil && p.items != nil {
				if err := json.Unmarshal([]byte(*p.items), &its); err != nil {
					return nil, fmt.Errorf("items of %s: %w", p.id, err)
				}
			}
			f.add(p, res.Findings, toolMap(its))
		}
		r.add(p.id, res.Detectors)
		if p.session != "" {
			k := sessionKey{p.tenant, p.session}
			agg := sessions[k]
			if agg == nil {
				agg = &[4]int64{}
				sessions[k] = agg
				sessionOrder = append(sessionOrder, k)
			}
			blocked, would := countsOf(res.Decision, res.WouldBlock)
			agg[0] += int64(comp.counting)
			agg[1] += int64(blocked)
			agg[2] += int64(would)
			agg[3] = max(agg[3], int64(res.MaxSeverity))
		}
	}
	b.Queue(`UPDATE events e SET spool = NULL, evaluated_ns = u.ev, decision = u.d, would_block = u.wb, mode = u.m, category = u.c, message = u.msg,
max_severity = u.sev, findings = u.nf, latency_ns = u.lat, items = COALESCE(u.items, e.items)
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::bigint[], $11::text[])
  AS u(id, ev, d, wb, m, c, msg, sev, nf, lat, items)
WHERE e.id = u.id`, ids, evaluated, decisions, wouldBlock, modes, categories, messages, maxSev, counting, lat, items)
	// completeIn first deletes the event's findings and runs, for an
	// event evaluated again; these events are pending, and every write
	// of a result (findings, runs and evaluated_ns) has always been one
	// transaction, so they have none.
	if len(f.id) > 0 {
		b.Queue(`INSERT INTO findings (event_id, seq, tenant, received_ns, detector, rule, category, class, severity, confidence, item, start_pos, end_pos,
message, redacted, fingerprint, action, suppressed, evidence, text_start, text_end, tool)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::float8[],
  $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::bigint[], $22::text[])`,
			f.id, f.seq, f.tenant, f.received, f.detector, f.rule, f.category, f.class, f.severity, f.confidence, f.item, f.start, f.end,
			f.message, f.redacted, f.fingerprint, f.action, f.suppressed, f.evidence, f.textStart, f.textEnd, f.tool)
	}
	if len(r.id) > 0 {
		b.Queue(`INSERT INTO detector_runs (event_id, seq, detector, runtime, outcome, error, duration_ns, findings)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])`,
			r.id, r.seq, r.detector, r.runtime, r.outcome, r.err, r.duration, r.findings)
	}
	return func(b *pgx.Batch) {
		if len(sessionOrder) == 0 {
			return
		}
		// Sessions in (tenant, session) order, as order has them, locked
		// before they are written.
		var ts, ss []string
		var nf, nb, nw, ms []int64
		for _, k := range sessionOrder {
			a := sessions[k]
			ts, ss, nf, nb, nw, ms = append(ts, k.tenant), append(ss, k.session), append(nf, a[0]), append(nb, a[1]), append(nw, a[2]), append(ms, a[3])
		}
		b.Queue(`SELECT 1 FROM sessions s JOIN unnest($1::text[], $2::text[]) AS u(t, s) ON s.tenant = u.t AND s.session_id = u.s
ORDER BY s.tenant, s.session_id FOR UPDATE OF s`, ts, ss)
		b.Queue(`UPDATE sessions s SET findings = s.findings + u.f, blocked = s.blocked + u.b, would_block = s.would_block + u.w,
  max_severity = GREATEST(s.max_severity, u.m)
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(t, s, f, b, w, m)
WHERE s.tenant = u.t AND s.session_id = u.s`, ts, ss, nf, nb, nw, ms)
	}, nil
}

// findingRows are the columns of the findings of a batch.
type findingRows struct {
	id, tenant, detector, rule, category, class, message, redacted, fingerprint, action, suppressed, evidence, tool []string
	seq, received, severity, item, start, end, textStart, textEnd                                                   []int64
	confidence                                                                                                      []float64
}

func (r *findingRows) add(p pendingEvent, fs []Finding, tools map[int]string) {
	for i, f := range fs {
		ts, te := -1, -1
		if len(f.TextSpan) == 2 {
			ts, te = f.TextSpan[0], f.TextSpan[1]
		}
		r.id, r.seq, r.tenant, r.received = append(r.id, p.id), append(r.seq, int64(i)), append(r.tenant, p.tenant), append(r.received, p.received)
		r.detector, r.rule, r.category, r.class = append(r.detector, f.Detector), append(r.rule, f.Rule), append(r.category, f.Category), append(r.class, f.Class)
		r.severity, r.confidence, r.item = append(r.severity, int64(f.Severity)), append(r.confidence, f.Confidence), append(r.item, int64(f.Item))
		r.start, r.end, r.message, r.redacted = append(r.start, int64(f.Start)), append(r.end, int64(f.End)), append(r.message, f.Message), append(r.redacted, f.Redacted)
		r.fingerprint, r.action, r.suppressed, r.evidence = append(r.fingerprint, f.Fingerprint), append(r.action, f.Action), append(r.suppressed, f.Suppressed), append(r.evidence, f.Evidence)
		r.textStart, r.textEnd, r.tool = append(r.textStart, int64(ts)), append(r.textEnd, int64(te)), append(r.tool, tools[f.Item])
	}
}

// runRows are the columns of the detector runs of a batch.
type runRows struct {
	id, detector, runtime, outcome, err []string
	seq, duration, findings             []int64
}

func (r *runRows) add(id string, ds []DetectorRun) {
	for i, d := range ds {
		r.id, r.seq, r.detector, r.runtime = append(r.id, id), append(r.seq, int64(i)), append(r.detector, d.Detector), append(r.runtime, d.Runtime)
		r.outcome, r.err, r.duration, r.findings = append(r.outcome, d.Outcome), append(r.err, d.Error), append(r.duration, int64(d.Duration)), append(r.findings, int64(d.Findings))
	}
}

// queueRemember queues what remember writes for up, as statements that
// each read what the ones before them wrote (the step, the counters, the
// quarantine), so that a batch holding several events of one session
// keeps the memory the same updates given to remember one by one keep.
// up.Dropped is set when the batch's results are read.
func queueRemember(b *pgx.Batch, up *MemoryUpdate) {
	at := up.At.UnixNano()
	up.Dropped = 0
	b.Queue(rebind(memoryUpsertPlain), up.Tenant, up.Session, at, at, int(up.Risk))
	const step = `(SELECT steps FROM session_memory WHERE tenant = $1 AND session_key = $2)`
	// An item given twice is written again only when its signature
	// changed (remember's ON CONFLICT … WHERE): the occurrences that write
	// go in rounds, one statement each, since one statement may not
	// change a row twice.
	var rounds [][]JudgedItem
	last := map[string]string{} // digest → signature of its previous occurrence
	nth := map[string]int{}
	for _, it := range up.Items {
		if sig, seen := last[it.Digest]; seen && sig == it.Signature {
			continue
		}
		last[it.Digest] = it.Signature
		r := nth[it.Digest]
		nth[it.Digest]++
		if r == len(rounds) {
			rounds = append(rounds, nil)
		}
		rounds[r] = append(rounds[r], it)
	}
	for _, round := range rounds {
		var digests, sigs, kinds, fss []string
		for _, it := range round {
			fs, _ := json.Marshal(it.Findings)
			digests, sigs, kinds, fss = append(digests, it.Digest), append(sigs, it.Signature), append(kinds, string(it.Kind)), append(fss, string(fs))
		}
		b.Queue(`WITH ins AS (
  INSERT INTO session_items (tenant, session_key, digest, signature, first_ns, first_event, first_step, kind, findings)
  SELECT $1::text, $2::text, u.d, u.s, $3::bigint, $4::text, `+step+`, u.k, u.f
  FROM unnest($5::text[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS u(d, s, k, f, n) ORDER BY u.n
  ON CONFLICT (tenant, session_key, digest) DO UPDATE SET signature = excluded.signature, findings = excluded.findings
  WHERE session_items.signature <> excluded.signature
  RETURNING 1)
UPDATE session_memory SET items = items + (SELECT COUNT(*) FROM ins) WHERE tenant = $1 AND session_key = $2`,
			up.Tenant, up.Session, at, up.Event, digests, sigs, kinds, fss)
	}
	if len(up.Marks) > 0 {
		var fps, kinds, labels []string
		var items, sevs []int64
		seen := map[string]bool{}
		for _, m := range up.Marks {
			if seen[m.FP] {
				continue // remember's second insert of a mark changes nothing
			}
			seen[m.FP] = true
			fps, kinds, labels, items, sevs = append(fps, m.FP), append(kinds, m.Kind), append(labels, m.Label), append(items, int64(m.FirstItem)), append(sevs, int64(m.Severity))
		}
		b.Queue(`WITH ins AS (
  INSERT INTO session_marks (tenant, session_key, fp, kind, label, first_ns, first_event, first_step, first_item, severity)
  SELECT $1::text, $2::text, u.fp, u.k, u.l, $3::bigint, $4::text, `+step+`, u.i, u.sev
  FROM unnest($5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[]) WITH ORDINALITY AS u(fp, k, l, i, sev, n) ORDER BY u.n
  ON CONFLICT (tenant, session_key, fp) DO NOTHING
  RETURNING 1)
UPDATE session_memory SET marks = marks + (SELECT COUNT(*) FROM ins) WHERE tenant = $1 AND session_key = $2`,
			up.Tenant, up.Session, at, up.Event, fps, kinds, labels, items, sevs)
	}
	for _, f := range up.Findings {
		b.Queue(rebind(findingUpsertStep),
			up.Tenant, up.Session, f.Key, f.Detector, f.Rule, f.Category, f.Class, int(f.Severity), f.Message, f.Redacted, f.Finger, f.Suppressed,
			at, up.Event, at, up.Event)
	}
	if q := up.Quarantine; q != nil {
		var until int64
		if !q.Until.IsZero() {
			until = q.Until.UnixNano()
		}
		// Unless a quarantine is active at $1 (remember reads the row to
		// tell; here the statement does).
		b.Queue(rebind(quarantineSet)+` AND NOT (q_since_ns <> 0 AND q_lifted_ns = 0 AND (q_until_ns = 0 OR q_until_ns > $1))`,
			at, until, int(q.Severity), q.Reason, up.Event, q.Detector, q.Mode, up.Tenant, up.Session)
	}
	maxFindings := 0
	if len(up.Findings) > 0 {
		maxFindings = up.MaxFindings
	}
	if up.MaxItems <= 0 && up.MaxMarks <= 0 && maxFindings <= 0 {
		return
	}
	// bound: drop the oldest rows past the bounds (items and marks when
	// their counters are over, findings every boundEvery steps) and keep
	// the counters, as bound does.
	b.Queue(`WITH m AS (SELECT items, marks, steps FROM session_memory WHERE tenant = $1 AND session_key = $2),
di AS (DELETE FROM session_items WHERE tenant = $1 AND session_key = $2 AND $3::int > 0 AND (SELECT items FROM m) > $3::int
  AND first_ns <= (SELECT first_ns FROM session_items WHERE tenant = $1 AND session_key = $2 ORDER BY first_ns DESC LIMIT 1 OFFSET $3::int) RETURNING 1),
dm AS (DELETE FROM session_marks WHERE tenant = $1 AND session_key = $2 AND $4::int > 0 AND (SELECT marks FROM m) > $4::int
  AND first_ns <= (SELECT first_ns FROM session_marks WHERE tenant = $1 AND session_key = $2 ORDER BY first_ns DESC LIMIT 1 OFFSET $4::int) RETURNING 1),
df AS (DELETE FROM session_findings WHERE tenant = $1 AND session_key = $2 AND $5::int > 0 AND (SELECT steps FROM m) % `+strconv.Itoa(boundEvery)+` = 0
  AND first_ns <= (SELECT first_ns FROM session_findings WHERE tenant = $1 AND session_key = $2 ORDER BY first_ns DESC LIMIT 1 OFFSET $5::int) RETURNING 1)
UPDATE session_memory SET
  items = CASE WHEN $3::int > 0 AND items > $3::int THEN (SELECT COUNT(*) FROM session_items WHERE tenant = $1 AND session_key = $2) - (SELECT COUNT(*) FROM di) ELSE items END,
  marks = CASE WHEN $4::int > 0 AND marks > $4::int THEN (SELECT COUNT(*) FROM session_marks WHERE tenant = $1 AND session_key = $2) - (SELECT COUNT(*) FROM dm) ELSE marks END,
  dropped = dropped + (SELECT COUNT(*) FROM di) + (SELECT COUNT(*) FROM dm) + (SELECT COUNT(*) FROM df)
WHERE tenant = $1 AND session_key = $2
RETURNING (SELECT COUNT(*) FROM di) + (SELECT COUNT(*) FROM dm) + (SELECT COUNT(*) FROM df)`,
		up.Tenant, up.Session, max(up.MaxItems, 0), max(up.MaxMarks, 0), max(maxFindings, 0)).QueryRow(func(row pgx.Row) error {
		var n int64
		if err := row.Scan(&n); err != nil {
			return err
		}
		up.Dropped = int(n)
		return nil
	})
}
