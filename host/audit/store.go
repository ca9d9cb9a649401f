package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/sdk"
)

// sqlStore is the Store on SQLite and PostgreSQL: the same SQL, two
// clients (see db.go).
type sqlStore struct {
	db database
	// work runs the work queue and session memory: on PostgreSQL a pool
	// of its own, so that a burst of intake, which holds every connection
	// of db, does not starve the evaluators and the completer (measured:
	// during a 20,000-event burst they waited for connections while the
	// hooks held all eight); on SQLite db itself, whose one writer
	// serializes anyway.
	work database
	log  hclog.Logger
	now  func() time.Time
	// oneByOne makes CompleteClaimed write statement by statement on
	// PostgreSQL too (tests compare the two paths).
	oneByOne bool
}

// Interface guard.
var _ Store = (*sqlStore)(nil)

func (s *sqlStore) errf(op string, err error) error {
	return fmt.Errorf("audit: %s: %s: %w", s.db.driver(), op, err)
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fromNS(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// Record implements Store.
func (s *sqlStore) Record(ctx context.Context, ev *Event) (string, bool, error) {
	items, err := s.prepareRecord(ev)
	if err != nil {
		return "", false, err
	}
	var (
		id  string
		dup bool
	)
	err = s.db.write(ctx, func(c conn) error {
		var err error
		id, dup, err = s.recordIn(ctx, c, ev, items, true)
		return err
	})
	if err != nil {
		return "", false, s.errf("record", err)
	}
	return id, dup, nil
}

// prepareRecord checks ev, fills its ID and time, and encodes its items.
func (s *sqlStore) prepareRecord(ev *Event) (string, error) {
	if ev == nil {
		return "", fmt.Errorf("audit: record: nil event")
	}
	if ev.Tenant == "" || ev.Type == "" {
		return "", fmt.Errorf("audit: record: event without tenant or type")
	}
	if ev.ID == "" {
		ev.ID = newID()
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = s.now()
	}
	items, err := marshalItems(nonNilItems(ev.Items))
	if err != nil {
		return "", s.errf("record", err)
	}
	return items, nil
}

// recordIn inserts ev in the transaction c; see Record.
//
// With queue, a new event is put on the work queue, and a duplicate still
// unevaluated is made sure to be on it.
func (s *sqlStore) recordIn(ctx context.Context, c conn, ev *Event, items string, queue bool) (id string, dup bool, err error) {
	id = ev.ID
	n, err := c.exec(ctx, `INSERT INTO events (id, tenant, type, request_id, session_id, login, tailnet, node, user_agent, model, provider, api_format, received_ns, items, spool, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		ev.ID, ev.Tenant, ev.Type, nullIfEmpty(ev.RequestID), ev.SessionID,
		ev.Identity.Login, ev.Identity.Tailnet, ev.Identity.Node, ev.Identity.UserAgent,
		ev.Model, ev.Provider, ev.APIFormat, ev.ReceivedAt.UnixNano(), items, ev.Spool, ev.Source)
	if err != nil {
		return "", false, err
	}
	if n == 1 {
		if queue {
			if _, err := c.exec(ctx, enqueueSQL, ev.ID, ev.ReceivedAt.UnixNano()); err != nil {
				return "", false, err
			}
		}
		if ev.SessionID == "" {
			return id, false, nil
		}
		at := ev.ReceivedAt.UnixNano()
		_, err := c.exec(ctx, sessionRecord, ev.Tenant, ev.SessionID, ev.Identity.Login, ev.Identity.UserAgent, at, at, ev.ID)
		return id, false, err
	}
	if ev.RequestID == "" {
		return "", false, fmt.Errorf("event id %q already recorded", ev.ID)
	}
	err = c.queryRow(ctx, `SELECT id FROM events WHERE tenant = ? AND type = ? AND request_id = ?`,
		ev.Tenant, ev.Type, ev.RequestID).Scan(&id)
	if errors.Is(err, errNoRows) {
		return "", false, fmt.Errorf("event id %q already recorded", ev.ID)
	}
	if err != nil {
		return "", false, err
	}
	if queue {
		// A redelivery of an event still unevaluated: make sure it is
		// queued and claimable.
		if _, err := c.exec(ctx, requeueSQL, id); err != nil {
			return "", false, err
		}
	}
	return id, true, nil
}

// RecordBatch implements Store.
func (s *sqlStore) RecordBatch(ctx context.Context, evs []*Event) []Recorded {
	out := make([]Recorded, len(evs))
	items := make([]string, len(evs))
	for i, ev := range evs {
		items[i], out[i].Err = s.prepareRecord(ev)
	}
	err := s.db.write(ctx, func(c conn) error {
		if s.db.driver() == "postgres" {
			return s.recordBatchPGIn(ctx, c, evs, items, out)
		}
		return s.recordEach(ctx, c, evs, items, out, nil)
	})
	if err == nil || len(evs) == 1 {
		for i := range out {
			if err != nil && out[i].Err == nil {
				out[i] = Recorded{Err: s.errf("record", err)}
			}
		}
		return out
	}
	// One event broke the transaction (PostgreSQL aborts all of it on an
	// error): each on its own.
	for i, ev := range evs {
		if out[i].Err == nil {
			out[i].ID, out[i].Dup, out[i].Err = s.Record(ctx, ev)
		}
	}
	return out
}

// recordEach records, one by one in the transaction c, the events of evs
// that are neither refused already (out[i].Err) nor done[i] (nil: none).
func (s *sqlStore) recordEach(ctx context.Context, c conn, evs []*Event, items []string, out []Recorded, done []bool) error {
	for i, ev := range evs {
		if out[i].Err != nil || (done != nil && done[i]) {
			continue
		}
		id, dup, err := s.recordIn(ctx, c, ev, items[i], true)
		if err != nil {
			return err
		}
		out[i].ID, out[i].Dup = id, dup
	}
	return nil
}

// RecordDecided implements Store: Record and Complete for every event of
// the batch in one transaction, so that one commit (one fsync) serves many
// events.
func (s *sqlStore) RecordDecided(ctx context.Context, batch []Decided) error {
	type prepared struct {
		items    string
		complete completion
	}
	prep := make([]prepared, len(batch))
	for i, d := range batch {
		items, err := s.prepareRecord(d.Event)
		if err != nil {
			return err
		}
		comp, err := s.prepareComplete(d.Result)
		if err != nil {
			return err
		}
		prep[i] = prepared{items, comp}
	}
	tenants := make([]string, len(batch))
	for i, d := range batch {
		tenants[i] = d.Event.Tenant
	}
	err := s.db.write(ctx, func(tx conn) error {
		// Lock the chain heads of the batch's tenants up front, in name
		// order (see chain.go).
		c, err := s.lockHeads(ctx, tx, tenants)
		if err != nil {
			return err
		}
		for i, d := range batch {
			id, dup, err := s.recordIn(ctx, c, d.Event, prep[i].items, false)
			if err != nil {
				return err
			}
			if dup {
				continue
			}
			if err := s.completeIn(ctx, c, id, d.Result, prep[i].complete, false); err != nil {
				return err
			}
		}
		return c.flush(ctx)
	})
	if err != nil {
		return s.errf("record", err)
	}
	return nil
}

// marshalItems encodes items as JSON without HTML escaping, so that the
// stored text is the text (a dump searched for a value finds it).
func marshalItems(it []Item) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(it); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func nonNilItems(it []Item) []Item {
	if it == nil {
		return []Item{}
	}
	return it
}

// Complete implements Store.
func (s *sqlStore) Complete(ctx context.Context, id string, res *Result) error {
	comp, err := s.prepareComplete(res)
	if err != nil {
		return err
	}
	err = s.db.write(ctx, func(tx conn) error {
		c, err := s.lockHeadsOf(ctx, tx, []string{id})
		if err != nil {
			return err
		}
		if err := s.completeIn(ctx, c, id, res, comp, false); err != nil {
			return err
		}
		return c.flush(ctx)
	})
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("audit: complete %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return s.errf("complete", err)
	}
	return nil
}

// completion is what Complete derives from a result before writing.
type completion struct {
	evaluated time.Time
	counting  int
	items     any // NULL keeps the recorded items
}

func (s *sqlStore) prepareComplete(res *Result) (completion, error) {
	if res == nil {
		return completion{}, fmt.Errorf("audit: complete: nil result")
	}
	comp := completion{evaluated: res.EvaluatedAt}
	if comp.evaluated.IsZero() {
		comp.evaluated = s.now()
	}
	for _, f := range res.Findings {
		if f.Suppressed == "" {
			comp.counting++
		}
	}
	if res.Items != nil {
		b, err := marshalItems(res.Items)
		if err != nil {
			return completion{}, s.errf("complete", err)
		}
		comp.items = b
	}
	return comp, nil
}

// completeIn writes the result of event id in the transaction c and takes
// it off the work queue. With onlyPending, an event evaluated already is
// left as it is and errEvaluated returned.
func (s *sqlStore) completeIn(ctx context.Context, c conn, id string, res *Result, comp completion, onlyPending bool) error {
	var (
		tenant, session string
		received        int64
		oldEvaluated    sql.NullInt64
	)
	err := c.queryRow(ctx, `SELECT tenant, received_ns, session_id, evaluated_ns FROM events WHERE id = ?`+s.forUpdate(), id).
		Scan(&tenant, &received, &session, &oldEvaluated)
	if errors.Is(err, errNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if onlyPending && oldEvaluated.Valid {
		return errEvaluated
	}
	if _, err := c.exec(ctx, `DELETE FROM work_queue WHERE event_id = ?`, id); err != nil {
		return err
	}
	_, err = c.exec(ctx, `UPDATE events SET spool = NULL, evaluated_ns = ?, decision = ?, would_block = ?, mode = ?, category = ?, message = ?,
max_severity = ?, findings = ?, latency_ns = ?, items = COALESCE(?, items) WHERE id = ?`,
		comp.evaluated.UnixNano(), res.Decision, boolInt(res.WouldBlock), res.Mode, res.Category, res.Message,
		int(res.MaxSeverity), comp.counting, int64(res.Latency), comp.items, id)
	if err != nil {
		return err
	}
	// Complete may run twice for one event (re-evaluation after a
	// crash between two writes): the last result wins.
	if _, err := c.exec(ctx, `DELETE FROM findings WHERE event_id = ?`, id); err != nil {
		return err
	}
	if _, err := c.exec(ctx, `DELETE FROM detector_runs WHERE event_id = ?`, id); err != nil {
		return err
	}
	tools, err := s.toolsOf(ctx, c, id, res)
	if err != nil {
		return err
	}
	for i, f := range res.Findings {
		ts, te := -1, -1
		if len(f.TextSpan) == 2 {
			ts, te = f.TextSpan[0], f.TextSpan[1]
		}
		_, err := c.exec(ctx, `INSERT INTO findings (event_id, seq, tenant, received_ns, detector, rule, category, class, severity, confidence, item, start_pos, end_pos, message, redacted, fingerprint, action, suppressed, evidence, text_start, text_end, tool)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, i, tenant, received, f.Detector, f.Rule, f.Category, f.Class, int(f.Severity), f.Confidence,
			f.Item, f.Start, f.End, f.Message, f.Redacted, f.Fingerprint, f.Action, f.Suppressed, f.Evidence, ts, te, tools[f.Item])
		if err != nil {
			return err
		}
	}
	if session != "" {
		if oldEvaluated.Valid {
			// A second result for the event: recount the session.
			if err := s.rebuildSession(ctx, c, tenant, session); err != nil {
				return err
			}
		} else {
			blocked, would := countsOf(res.Decision, res.WouldBlock)
			if _, err := c.exec(ctx, sessionComplete, comp.counting, blocked, would, int(res.MaxSeverity), int(res.MaxSeverity), tenant, session); err != nil {
				return err
			}
		}
	}
	for i, d := range res.Detectors {
		_, err := c.exec(ctx, `INSERT INTO detector_runs (event_id, seq, detector, runtime, outcome, error, duration_ns, findings)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, i, d.Detector, d.Runtime, d.Outcome, d.Error, int64(d.Duration), d.Findings)
		if err != nil {
			return err
		}
	}
	// The decision joins the tenant's hash chain (chain.go).
	return s.chainIn(ctx, c, tenant, id)
}

const eventCols = `e.id, e.tenant, e.type, COALESCE(e.request_id, ''), e.session_id, e.login, e.tailnet, e.node, e.user_agent, e.model, e.provider, e.api_format, e.received_ns, e.source`

type eventRow struct {
	ev       Event
	received int64
}

func (r *eventRow) dest() []any {
	e := &r.ev
	return []any{&e.ID, &e.Tenant, &e.Type, &e.RequestID, &e.SessionID, &e.Identity.Login, &e.Identity.Tailnet,
		&e.Identity.Node, &e.Identity.UserAgent, &e.Model, &e.Provider, &e.APIFormat, &r.received, &e.Source}
}

// Pending implements Store.
func (s *sqlStore) Pending(ctx context.Context, limit int) ([]*Event, error) {
	if limit <= 0 {
		limit = 100
	}
	out, err := s.scanPending(ctx, s.db, `SELECT `+eventCols+`, e.items, e.spool FROM events e WHERE e.evaluated_ns IS NULL ORDER BY e.received_ns, e.id LIMIT ?`, limit)
	if err != nil {
		return nil, s.errf("pending", err)
	}
	return out, nil
}

// Ping implements Store.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.db.ping(ctx); err != nil {
		return s.errf("ping", err)
	}
	return nil
}

// Close implements Store.
func (s *sqlStore) Close() error {
	var errs []error
	if s.work != nil && s.work != s.db {
		errs = append(errs, s.work.close())
	}
	errs = append(errs, s.db.close())
	if err := errors.Join(errs...); err != nil {
		return s.errf("close", err)
	}
	return nil
}

// where collects SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (w *where) timeRange(col string, since, until time.Time) {
	if !since.IsZero() {
		w.add(col+" >= ?", since.UnixNano())
	}
	if !until.IsZero() {
		w.add(col+" < ?", until.UnixNano())
	}
}

func (w *where) findingMatch(alias, detector, category string, min sdk.Severity) {
	if detector != "" {
		w.add(alias+".detector = ?", detector)
	}
	if category != "" {
		w.add(alias+".category = ?", category)
	}
	if min > 0 {
		w.add(alias+".severity >= ?", int(min))
	}
}

const summaryCols = eventCols + `, e.evaluated_ns, e.decision, e.would_block, e.mode, e.category, e.message, e.max_severity, e.findings, e.latency_ns`

type summaryRow struct {
	eventRow
	evaluated                         sql.NullInt64
	decision, mode, category, message string
	wouldBlock, maxSev, findings      int
	latency                           int64
}

func (r *summaryRow) dest() []any {
	return append(r.eventRow.dest(), &r.evaluated, &r.decision, &r.wouldBlock, &r.mode, &r.category, &r.message, &r.maxSev, &r.findings, &r.latency)
}

func (r *summaryRow) summary() EventSummary {
	e := r.ev
	s := EventSummary{
		ID: e.ID, Type: e.Type, RequestID: e.RequestID, SessionID: e.SessionID, Identity: e.Identity,
		Model: e.Model, Provider: e.Provider, APIFormat: e.APIFormat, Source: e.Source, ReceivedAt: fromNS(r.received),
		Status: StatusPending,
	}
	if r.evaluated.Valid {
		s.Status = StatusEvaluated
		s.Decision = r.decision
		s.WouldBlock = r.wouldBlock != 0
		s.Mode = r.mode
		s.Category = r.category
		s.Message = r.message
		s.MaxSeverity = sdk.Severity(r.maxSev)
		s.Findings = r.findings
		s.Latency = time.Duration(r.latency)
	}
	return s
}

// ListEvents implements Querier.
func (s *sqlStore) ListEvents(ctx context.Context, tenant string, f EventFilter) (*EventPage, error) {
	limit, err := limitOf(f.Limit)
	if err != nil {
		return nil, err
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("e.tenant = ?", tenant)
	if f.SessionID != "" {
		w.add("e.session_id = ?", f.SessionID)
	}
	if f.Login != "" {
		w.add("e.login = ?", f.Login)
	}
	if f.Type != "" {
		w.add("e.type = ?", f.Type)
	}
	switch f.Decision {
	case "":
	case StatusPending:
		w.add("e.evaluated_ns IS NULL")
	case "allow", "block", "modify":
		w.add("e.evaluated_ns IS NOT NULL AND e.decision = ?", f.Decision)
	default:
		return nil, badQuery("decision", "want allow, block, modify or pending")
	}
	if f.WouldBlock != nil {
		w.add("e.evaluated_ns IS NOT NULL AND e.would_block = ?", boolInt(*f.WouldBlock))
	}
	if f.Detector != "" || f.Category != "" || f.MinSeverity > 0 {
		var fw where
		fw.add("f.event_id = e.id")
		fw.add("f.suppressed = ''")
		fw.findingMatch("f", f.Detector, f.Category, f.MinSeverity)
		w.add("EXISTS (SELECT 1 FROM findings f"+fw.String()+")", fw.args...)
	}
	if f.Triage != "" {
		const latest = `COALESCE((SELECT t.state FROM triage t WHERE t.tenant = e.tenant AND t.event_id = e.id ORDER BY t.at_ns DESC, t.id DESC LIMIT 1), '')`
		if f.Triage == "untriaged" {
			w.add(latest + ` IN ('', 'open')`)
		} else if !slices.Contains(TriageStates, f.Triage) {
			return nil, &QueryError{Param: "triage", Reason: fmt.Sprintf("%q: want untriaged, %s", f.Triage, strings.Join(TriageStates, ", "))}
		} else {
			w.add(latest+` = ?`, f.Triage)
		}
	}
	w.timeRange("e.received_ns", f.Since, f.Until)
	order := "DESC"
	if cur != nil {
		if f.Ascending {
			w.add("(e.received_ns > ? OR (e.received_ns = ? AND e.id > ?))", cur.At, cur.At, cur.ID)
		} else {
			w.add("(e.received_ns < ? OR (e.received_ns = ? AND e.id < ?))", cur.At, cur.At, cur.ID)
		}
	}
	if f.Ascending {
		order = "ASC"
	}
	q := `SELECT ` + summaryCols + ` FROM events e` + w.String() +
		fmt.Sprintf(` ORDER BY e.received_ns %s, e.id %s LIMIT %d`, order, order, limit+1)
	rows, err := s.db.query(ctx, q, w.args...)
	if err != nil {
		return nil, s.errf("list events", err)
	}
	defer rows.Close()
	page := &EventPage{Events: []EventSummary{}}
	var last summaryRow
	for rows.Next() {
		var r summaryRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, s.errf("list events", err)
		}
		if len(page.Events) == limit {
			page.Next = cursor{At: last.received, ID: last.ev.ID}.encode()
			break
		}
		page.Events = append(page.Events, r.summary())
		last = r
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("list events", err)
	}
	return page, nil
}

// GetEvent implements Querier.
func (s *sqlStore) GetEvent(ctx context.Context, tenant, id string) (*EventDetail, error) {
	ds, err := s.details(ctx, tenant, "e.id = ?", []any{id}, "", 1)
	if err != nil {
		return nil, s.errf("get event", err)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("audit: event %q: %w", id, ErrNotFound)
	}
	return &ds[0], nil
}

// details loads full events of tenant matching cond, with findings and
// detector runs, in the given order.
func (s *sqlStore) details(ctx context.Context, tenant, cond string, args []any, order string, limit int) ([]EventDetail, error) {
	q := `SELECT ` + summaryCols + `, e.items FROM events e WHERE e.tenant = ? AND ` + cond
	if order != "" {
		q += " ORDER BY " + order
	}
	q += fmt.Sprintf(" LIMIT %d", limit)
	rows, err := s.db.query(ctx, q, append([]any{tenant}, args...)...)
	if err != nil {
		return nil, err
	}
	var out []EventDetail
	index := map[string]int{}
	for rows.Next() {
		var r summaryRow
		var items string
		if err := rows.Scan(append(r.dest(), &items)...); err != nil {
			rows.Close()
			return nil, err
		}
		sum := r.summary()
		d := EventDetail{Event: r.ev, Status: sum.Status}
		d.ReceivedAt = sum.ReceivedAt
		if err := json.Unmarshal([]byte(items), &d.Items); err != nil {
			rows.Close()
			return nil, fmt.Errorf("items of %s: %w", d.ID, err)
		}
		if sum.Status == StatusEvaluated {
			d.Result = &Result{
				Decision: sum.Decision, WouldBlock: sum.WouldBlock, Mode: sum.Mode, Category: sum.Category,
				Message: sum.Message, MaxSeverity: sum.MaxSeverity, Findings: []Finding{}, Detectors: []DetectorRun{},
				EvaluatedAt: fromNS(r.evaluated.Int64), Latency: sum.Latency,
			}
		}
		index[d.ID] = len(out)
		out = append(out, d)
	}
	err = rows.Err()
	rows.Close()
	if err != nil || len(out) == 0 {
		return out, err
	}
	// Findings and runs of the loaded events, in chunks to keep the
	// statements small.
	ids := make([]string, 0, len(out))
	for _, d := range out {
		if d.Result != nil {
			ids = append(ids, d.ID)
		}
	}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		in, inArgs := inList(chunk)
		frows, err := s.db.query(ctx, `SELECT event_id, detector, rule, category, class, severity, confidence, item, start_pos, end_pos, message, redacted, fingerprint, action, suppressed, evidence, text_start, text_end
FROM findings WHERE tenant = ? AND event_id IN `+in+` ORDER BY event_id, seq`, append([]any{tenant}, inArgs...)...)
		if err != nil {
			return nil, err
		}
		for frows.Next() {
			var eid string
			var f Finding
			var sev, ts, te int
			if err := frows.Scan(&eid, &f.Detector, &f.Rule, &f.Category, &f.Class, &sev, &f.Confidence, &f.Item, &f.Start, &f.End,
				&f.Message, &f.Redacted, &f.Fingerprint, &f.Action, &f.Suppressed, &f.Evidence, &ts, &te); err != nil {
				frows.Close()
				return nil, err
			}
			f.Severity = sdk.Severity(sev)
			f.setSpan(ts, te)
			r := out[index[eid]].Result
			r.Findings = append(r.Findings, f)
		}
		err = frows.Err()
		frows.Close()
		if err != nil {
			return nil, err
		}
		drows, err := s.db.query(ctx, `SELECT event_id, detector, runtime, outcome, error, duration_ns, findings FROM detector_runs WHERE event_id IN `+in+` ORDER BY event_id, seq`, inArgs...)
		if err != nil {
			return nil, err
		}
		for drows.Next() {
			var eid string
			var d DetectorRun
			var dur int64
			if err := drows.Scan(&eid, &d.Detector, &d.Runtime, &d.Outcome, &d.Error, &dur, &d.Findings); err != nil {
				drows.Close()
				return nil, err
			}
			d.Duration = time.Duration(dur)
			r := out[index[eid]].Result
			r.Detectors = append(r.Detectors, d)
		}
		err = drows.Err()
		drows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func inList(ids []string) (string, []any) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")", args
}

// ListFindings implements Querier.
func (s *sqlStore) ListFindings(ctx context.Context, tenant string, f FindingFilter) (*FindingPage, error) {
	limit, err := limitOf(f.Limit)
	if err != nil {
		return nil, err
	}
	cur, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("f.tenant = ?", tenant)
	w.add("e.tenant = ?", tenant)
	if !f.IncludeSuppressed {
		w.add("f.suppressed = ''")
	}
	if f.SessionID != "" {
		w.add("e.session_id = ?", f.SessionID)
	}
	w.findingMatch("f", f.Detector, f.Category, f.MinSeverity)
	if f.Tool != "" {
		w.add("f.tool = ?", f.Tool)
	}
	if err := w.triageCond(f.Triage); err != nil {
		return nil, err
	}
	if f.Decision != "" {
		w.add("e.decision = ?", f.Decision)
	}
	if f.Login != "" {
		w.add("e.login = ?", f.Login)
	}
	if f.Agent != "" {
		w.add("SUBSTR(e.user_agent, 1, ?) = ?", len(f.Agent), f.Agent)
	}
	w.timeRange("f.received_ns", f.Since, f.Until)
	if cur != nil {
		w.add("(f.received_ns < ? OR (f.received_ns = ? AND (f.event_id < ? OR (f.event_id = ? AND f.seq < ?))))",
			cur.At, cur.At, cur.ID, cur.ID, cur.Seq)
	}
	q := `SELECT f.event_id, f.seq, f.received_ns, f.detector, f.rule, f.category, f.class, f.severity, f.confidence, f.item, f.start_pos, f.end_pos,
f.message, f.redacted, f.fingerprint, f.action, f.suppressed, f.evidence, f.text_start, f.text_end, f.tool, e.type, e.session_id, e.login, e.user_agent, e.decision, e.would_block,
` + latestTriage + `
FROM findings f JOIN events e ON e.id = f.event_id` + w.String() +
		fmt.Sprintf(` ORDER BY f.received_ns DESC, f.event_id DESC, f.seq DESC LIMIT %d`, limit+1)
	rows, err := s.db.query(ctx, q, w.args...)
	if err != nil {
		return nil, s.errf("list findings", err)
	}
	defer rows.Close()
	page := &FindingPage{Findings: []FindingRow{}}
	var last cursor
	for rows.Next() {
		var r FindingRow
		var seq, sev, wb, ts, te int
		var at int64
		if err := rows.Scan(&r.EventID, &seq, &at, &r.Detector, &r.Rule, &r.Category, &r.Class, &sev, &r.Confidence, &r.Item, &r.Start, &r.End,
			&r.Message, &r.Redacted, &r.Fingerprint, &r.Action, &r.Suppressed, &r.Evidence, &ts, &te, &r.Tool, &r.EventType, &r.SessionID, &r.Login, &r.UserAgent, &r.Decision, &wb, &r.Triage); err != nil {
			return nil, s.errf("list findings", err)
		}
		if len(page.Findings) == limit {
			page.Next = last.encode()
			break
		}
		r.Severity = sdk.Severity(sev)
		r.setSpan(ts, te)
		r.WouldBlock = wb != 0
		r.ReceivedAt = fromNS(at)
		page.Findings = append(page.Findings, r)
		last = cursor{At: at, ID: r.EventID, Seq: seq}
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("list findings", err)
	}
	return page, nil
}

// toolsOf maps the item indexes of event id to their tool names, from the
// result's items or else from the recorded ones; nil when no finding needs
// it.
func (s *sqlStore) toolsOf(ctx context.Context, c conn, id string, res *Result) (map[int]string, error) {
	if len(res.Findings) == 0 {
		return nil, nil
	}
	items := res.Items
	if items == nil {
		var raw string
		if err := c.queryRow(ctx, `SELECT items FROM events WHERE id = ?`, id).Scan(&raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &items); err != nil {
			return nil, fmt.Errorf("items of %s: %w", id, err)
		}
	}
	return toolMap(items), nil
}

// toolMap maps item indexes to their tool names.
func toolMap(items []Item) map[int]string {
	tools := map[int]string{}
	for _, it := range items {
		if it.Tool != "" {
			tools[it.Index] = it.Tool
		}
	}
	return tools
}

// setSpan sets f's text span from its columns and fills its taxonomy.
func (f *Finding) setSpan(start, end int) {
	if start >= 0 && end >= start {
		f.TextSpan = []int{start, end}
	}
	f.Classify()
}
