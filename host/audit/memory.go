package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/picketsec/picket/sdk"
)

// Session memory (see host/session): per tenant and session key, the items
// already judged with their findings, the marks (credential and injected-lead
// fingerprints) and the quarantine. Everything here is a keyed hash, a
// redacted finding or a label: no item text and no secret is ever given to
// these methods, and none is stored.

// JudgedItem is an item the detectors judged earlier in a session.
type JudgedItem struct {
	Digest     string        `json:"digest"`    // keyed hash of kind, tool and text
	Signature  string        `json:"signature"` // the detector set that judged it
	Kind       sdk.Kind      `json:"kind"`
	FirstEvent string        `json:"first_event"`
	FirstStep  int           `json:"first_step"`
	Findings   []sdk.Finding `json:"findings"` // as judged: redacted, keyed fingerprints; Item is meaningless
}

// Mark kinds.
const (
	MarkSecret  = "secret"  // a credential (or one of its encodings)
	MarkURL     = "url"     // a URL an injected item named
	MarkHost    = "host"    // a host an injected item named
	MarkAddress = "address" // an e-mail address an injected item named
	MarkCommand = "command" // a command an injected item contained
)

// Mark is the fingerprint of something seen in a session.
type Mark struct {
	FP         string       `json:"-"` // keyed hash of the value: never shown
	Kind       string       `json:"kind"`
	Label      string       `json:"label"` // what it is, never the value ("secrets/aws-access-key, base64")
	FirstSeen  time.Time    `json:"first_seen"`
	FirstEvent string       `json:"first_event"`
	FirstStep  int          `json:"first_step"`
	FirstItem  int          `json:"first_item"`
	Severity   sdk.Severity `json:"severity,omitempty"`
}

// Quarantine is a session's quarantine: set by a block-level finding of an
// asynchronous event, lifted by time or by an operator.
type Quarantine struct {
	Since    time.Time    `json:"since"`
	Until    time.Time    `json:"until,omitzero"` // zero: until lifted
	Severity sdk.Severity `json:"severity"`
	Reason   string       `json:"reason"` // the finding's category, class and rule; never its text
	Event    string       `json:"event"`
	Detector string       `json:"detector"`
	// Mode is the quarantining detector's hold-back: "monitor" when it
	// was held back from enforcing (the quarantine then only records
	// would-block), else "".
	Mode         string    `json:"mode,omitempty"`
	LiftedAt     time.Time `json:"lifted_at,omitzero"`
	LiftedBy     string    `json:"lifted_by,omitempty"`
	LiftedReason string    `json:"lifted_reason,omitempty"`
}

// Active reports whether q holds at now.
func (q *Quarantine) Active(now time.Time) bool {
	if q == nil || q.Since.IsZero() || !q.LiftedAt.IsZero() {
		return false
	}
	return q.Until.IsZero() || now.Before(q.Until)
}

// MemoryState is the summary of one session's memory.
type MemoryState struct {
	Session    string       `json:"session"`
	FirstSeen  time.Time    `json:"first_seen"`
	LastSeen   time.Time    `json:"last_seen"`
	Steps      int          `json:"steps"`   // events committed to memory
	Items      int          `json:"items"`   // judged items remembered
	Marks      int          `json:"marks"`   // credential and lead fingerprints remembered
	Dropped    int          `json:"dropped"` // rows dropped by the size bounds
	Risk       sdk.Severity `json:"risk,omitempty"`
	Quarantine *Quarantine  `json:"quarantine,omitempty"` // the latest, active or not
}

// Recall is what Recall returns: the state, the asked items that are known,
// and every mark of the session.
type Recall struct {
	State *MemoryState          // nil: the session has no memory yet
	Items map[string]JudgedItem // by digest
	Marks []Mark
}

// SessionFinding is a finding as a session keeps it: once, with the
// requests it recurred in.
type SessionFinding struct {
	Key        string       `json:"key"`
	Detector   string       `json:"detector"`
	Rule       string       `json:"rule"`
	Category   string       `json:"category"`
	Class      string       `json:"class,omitempty"`
	Severity   sdk.Severity `json:"severity"`
	Message    string       `json:"message"`
	Redacted   string       `json:"redacted,omitempty"`
	Finger     string       `json:"fingerprint,omitempty"`
	Suppressed string       `json:"suppressed,omitempty"`
	FirstSeen  time.Time    `json:"first_seen"`
	FirstEvent string       `json:"first_event"`
	FirstStep  int          `json:"first_step"`
	LastSeen   time.Time    `json:"last_seen"`
	LastEvent  string       `json:"last_event"`
	// Requests counts the events it was found or reused in; the trail
	// lists them (their findings of this fingerprint, suppressed "reused"
	// after the first).
	Requests int `json:"requests"`
}

// MemoryUpdate is what one evaluated event adds to its session's memory.
type MemoryUpdate struct {
	Tenant, Session, Event string
	At                     time.Time
	Items                  []JudgedItem // newly judged
	Marks                  []Mark
	Findings               []SessionFinding // counted once more each; new ones are added
	Risk                   sdk.Severity
	Quarantine             *Quarantine // non-nil: quarantine the session (unless already)
	// Bounds per session; 0 means no bound.
	MaxItems, MaxMarks, MaxFindings int
	// Dropped is set by the store: rows the bounds dropped.
	Dropped int
}

// MemoryStore keeps session memory. The SQL stores implement it; the
// sessions of one PostgreSQL database are shared by every replica.
type MemoryStore interface {
	// Recall returns the session's state, which of digests it has judged,
	// and its marks.
	Recall(ctx context.Context, tenant, session string, digests []string) (*Recall, error)
	// RecallBatch is Recall for several sessions (a worker's claimed
	// batch) in a few round trips whatever their number: out[i] answers
	// reqs[i], and requests of one session each get their own Recall.
	RecallBatch(ctx context.Context, reqs []RecallRequest) ([]*Recall, error)
	// Remember adds each update to its session in one transaction (a group
	// commit), in order, applies the bounds (dropping the oldest rows) and
	// returns how many rows the bounds dropped.
	Remember(ctx context.Context, ups ...*MemoryUpdate) (dropped int, err error)
	// MemoryState returns the session's state (ErrNotFound without memory).
	MemoryState(ctx context.Context, tenant, session string) (*MemoryState, error)
	// MemoryStates returns the states of those of sessions that have memory.
	MemoryStates(ctx context.Context, tenant string, sessions []string) (map[string]*MemoryState, error)
	// SessionFindings returns up to limit of the session's findings, most
	// severe first; SessionMarks its marks, oldest first.
	SessionFindings(ctx context.Context, tenant, session string, limit int) ([]SessionFinding, error)
	SessionMarks(ctx context.Context, tenant, session string, limit int) ([]Mark, error)
	// LiftQuarantine ends the session's quarantine, recording who and why.
	// ErrNotFound when the session is not quarantined.
	LiftQuarantine(ctx context.Context, tenant, session, by, reason string, at time.Time) (*MemoryState, error)
	// PruneMemory forgets sessions last seen before cutoff whose quarantine
	// is not active, and returns how many.
	PruneMemory(ctx context.Context, cutoff time.Time) (int64, error)
}

// MemoryOf returns s's session memory, when s (or the store it wraps) is
// one of the SQL stores.
func MemoryOf(s Store) (MemoryStore, bool) {
	ss, ok := sqlOf(s)
	if !ok {
		return nil, false
	}
	return ss, true
}

const memoryCols = `session_key, first_ns, last_ns, steps, items, marks, dropped, risk, q_since_ns, q_until_ns, q_severity, q_reason, q_event, q_detector, q_mode, q_lifted_ns, q_lifted_by, q_lifted_reason`

func scanMemory(r scanner) (*MemoryState, error) {
	var st MemoryState
	var first, last, qs, qu, ql int64
	var risk, qsev int
	var q Quarantine
	if err := r.Scan(&st.Session, &first, &last, &st.Steps, &st.Items, &st.Marks, &st.Dropped, &risk, &qs, &qu, &qsev, &q.Reason, &q.Event, &q.Detector, &q.Mode, &ql, &q.LiftedBy, &q.LiftedReason); err != nil {
		return nil, err
	}
	st.FirstSeen, st.LastSeen, st.Risk = fromNS(first), fromNS(last), sdk.Severity(risk)
	if qs != 0 {
		q.Since, q.Severity = fromNS(qs), sdk.Severity(qsev)
		if qu != 0 {
			q.Until = fromNS(qu)
		}
		if ql != 0 {
			q.LiftedAt = fromNS(ql)
		}
		st.Quarantine = &q
	}
	return &st, nil
}

// Recall implements MemoryStore.
func (s *sqlStore) Recall(ctx context.Context, tenant, session string, digests []string) (*Recall, error) {
	rc := &Recall{Items: map[string]JudgedItem{}}
	st, err := scanMemory(s.work.queryRow(ctx, `SELECT `+memoryCols+` FROM session_memory WHERE tenant = ? AND session_key = ?`, tenant, session))
	switch {
	case errors.Is(err, errNoRows):
		return rc, nil // nothing remembered: no items or marks either
	case err != nil:
		return nil, s.errf("recall", err)
	}
	rc.State = st
	// Ask for the digests in chunks: a long conversation has hundreds.
	const chunk = 200
	for i := 0; i < len(digests); i += chunk {
		part := digests[i:min(i+chunk, len(digests))]
		args := []any{tenant, session}
		for _, d := range part {
			args = append(args, d)
		}
		q := `SELECT ` + judgedItemCols + ` FROM session_items WHERE tenant = ? AND session_key = ? AND digest IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		if err := s.scanItems(ctx, rc.Items, q, args...); err != nil {
			return nil, s.errf("recall", err)
		}
	}
	if st.Marks > 0 {
		marks, err := s.marks(ctx, tenant, session, 0)
		if err != nil {
			return nil, s.errf("recall", err)
		}
		rc.Marks = marks
	}
	return rc, nil
}

// RecallRequest is one event's part of a RecallBatch.
type RecallRequest struct {
	Tenant, Session string
	Digests         []string
}

// recallChunk bounds the rows one RecallBatch statement asks for (the
// placeholders SQLite and PostgreSQL take are bounded).
const recallChunk = 200

// RecallBatch implements MemoryStore.
func (s *sqlStore) RecallBatch(ctx context.Context, reqs []RecallRequest) ([]*Recall, error) {
	type key struct{ tenant, session string }
	var keys []key
	states := map[key]*MemoryState{}
	for _, r := range reqs {
		k := key{r.Tenant, r.Session}
		if _, seen := states[k]; !seen {
			states[k] = nil
			keys = append(keys, k)
		}
	}
	for i := 0; i < len(keys); i += recallChunk {
		part := keys[i:min(i+recallChunk, len(keys))]
		var args []any
		for _, k := range part {
			args = append(args, k.tenant, k.session)
		}
		rows, err := s.work.query(ctx, `SELECT tenant, `+memoryCols+` FROM session_memory WHERE (tenant, session_key) IN (VALUES `+tuples(len(part), 2)+`)`, args...)
		if err != nil {
			return nil, s.errf("recall", err)
		}
		for rows.Next() {
			var tenant string
			st, err := scanMemory(prefixed{rows, &tenant})
			if err != nil {
				rows.Close()
				return nil, s.errf("recall", err)
			}
			states[key{tenant, st.Session}] = st
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.errf("recall", err)
		}
	}
	// The asked digests of the sessions remembered, and their marks.
	type item struct {
		key
		digest string
	}
	var ask []item
	asked := map[item]bool{}
	for _, r := range reqs {
		k := key{r.Tenant, r.Session}
		if states[k] == nil {
			continue
		}
		for _, d := range r.Digests {
			if it := (item{k, d}); !asked[it] {
				asked[it] = true
				ask = append(ask, it)
			}
		}
	}
	items := map[key]map[string]JudgedItem{}
	for i := 0; i < len(ask); i += recallChunk {
		part := ask[i:min(i+recallChunk, len(ask))]
		var args []any
		for _, it := range part {
			args = append(args, it.tenant, it.session, it.digest)
		}
		rows, err := s.work.query(ctx, `SELECT tenant, session_key, `+judgedItemCols+` FROM session_items
WHERE (tenant, session_key, digest) IN (VALUES `+tuples(len(part), 3)+`)`, args...)
		if err != nil {
			return nil, s.errf("recall", err)
		}
		for rows.Next() {
			var k key
			it, err := scanJudgedItem(rows, &k.tenant, &k.session)
			if err != nil {
				rows.Close()
				return nil, s.errf("recall", err)
			}
			if items[k] == nil {
				items[k] = map[string]JudgedItem{}
			}
			items[k][it.Digest] = it
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.errf("recall", err)
		}
	}
	marks := map[key][]Mark{}
	for _, k := range keys {
		if st := states[k]; st != nil && st.Marks > 0 {
			m, err := s.marks(ctx, k.tenant, k.session, 0)
			if err != nil {
				return nil, s.errf("recall", err)
			}
			marks[k] = m
		}
	}
	out := make([]*Recall, len(reqs))
	for i, r := range reqs {
		k := key{r.Tenant, r.Session}
		rc := &Recall{Items: map[string]JudgedItem{}}
		if st := states[k]; st != nil {
			cp := *st
			rc.State = &cp
			for _, d := range r.Digests {
				if it, ok := items[k][d]; ok {
					rc.Items[d] = it
				}
			}
			rc.Marks = slices.Clone(marks[k]) // each turn appends its own
		}
		out[i] = rc
	}
	return out, nil
}

// tuples is n parenthesized groups of width placeholders: "(?, ?), (?, ?)".
func tuples(n, width int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
}

// prefixed scans a row whose first column goes to first and the others to
// the destinations Scan is given.
type prefixed struct {
	r     scanner
	first any
}

func (p prefixed) Scan(dest ...any) error { return p.r.Scan(append([]any{p.first}, dest...)...) }

func (s *sqlStore) scanItems(ctx context.Context, into map[string]JudgedItem, q string, args ...any) error {
	rows, err := s.work.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		it, err := scanJudgedItem(rows)
		if err != nil {
			return err
		}
		into[it.Digest] = it
	}
	return rows.Err()
}

// judgedItemCols are the columns scanJudgedItem reads, in its order.
const judgedItemCols = `digest, signature, kind, first_event, first_step, findings`

// scanJudgedItem reads a session_items row of judgedItemCols, after the
// columns before those go to (if any).
func scanJudgedItem(r scanner, before ...any) (JudgedItem, error) {
	var it JudgedItem
	var kind, fs string
	if err := r.Scan(append(before, &it.Digest, &it.Signature, &kind, &it.FirstEvent, &it.FirstStep, &fs)...); err != nil {
		return it, err
	}
	it.Kind = sdk.Kind(kind)
	if err := json.Unmarshal([]byte(fs), &it.Findings); err != nil {
		return it, fmt.Errorf("item %s: findings: %w", it.Digest, err)
	}
	return it, nil
}

func (s *sqlStore) marks(ctx context.Context, tenant, session string, limit int) ([]Mark, error) {
	q := `SELECT fp, kind, label, first_ns, first_event, first_step, first_item, severity FROM session_marks WHERE tenant = ? AND session_key = ? ORDER BY first_ns, fp`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rows, err := s.work.query(ctx, q, tenant, session)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mark
	for rows.Next() {
		var m Mark
		var at int64
		var sev int
		if err := rows.Scan(&m.FP, &m.Kind, &m.Label, &at, &m.FirstEvent, &m.FirstStep, &m.FirstItem, &sev); err != nil {
			return nil, err
		}
		m.FirstSeen, m.Severity = fromNS(at), sdk.Severity(sev)
		out = append(out, m)
	}
	return out, rows.Err()
}

// memoryUpsertPlain counts one more step of a session; memoryUpsert also
// returns what remember needs of the row.
const (
	memoryUpsertPlain = `INSERT INTO session_memory (tenant, session_key, first_ns, last_ns, steps, risk) VALUES (?, ?, ?, ?, 1, ?)
ON CONFLICT (tenant, session_key) DO UPDATE SET
  steps = session_memory.steps + 1,
  last_ns = CASE WHEN excluded.last_ns > session_memory.last_ns THEN excluded.last_ns ELSE session_memory.last_ns END,
  risk = CASE WHEN excluded.risk > session_memory.risk THEN excluded.risk ELSE session_memory.risk END`
	memoryUpsert = memoryUpsertPlain + `
RETURNING steps, items, marks, q_since_ns, q_until_ns, q_lifted_ns`
)

// Remember implements MemoryStore.
func (s *sqlStore) Remember(ctx context.Context, ups ...*MemoryUpdate) (int, error) {
	for _, up := range ups {
		if up.Tenant == "" || up.Session == "" {
			return 0, fmt.Errorf("audit: remember: empty tenant or session")
		}
	}
	dropped := 0
	err := s.work.write(ctx, func(c conn) error {
		for _, up := range ups {
			n, err := s.remember(ctx, c, up)
			if err != nil {
				return err
			}
			dropped += n
		}
		return nil
	})
	if err != nil {
		return 0, s.errf("remember", err)
	}
	return dropped, nil
}

func (s *sqlStore) remember(ctx context.Context, c conn, up *MemoryUpdate) (int, error) {
	at := up.At.UnixNano()
	var step, items, marks, items0, marks0 int
	err := func() error {
		var qs, qu, ql int64
		if err := c.queryRow(ctx, memoryUpsert, up.Tenant, up.Session, at, at, int(up.Risk)).Scan(&step, &items, &marks, &qs, &qu, &ql); err != nil {
			return err
		}
		items0, marks0 = items, marks
		for _, it := range up.Items {
			fs, err := json.Marshal(it.Findings)
			if err != nil {
				return err
			}
			n, err := c.exec(ctx, `INSERT INTO session_items (tenant, session_key, digest, signature, first_ns, first_event, first_step, kind, findings)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, session_key, digest) DO UPDATE SET signature = excluded.signature, findings = excluded.findings
WHERE session_items.signature <> excluded.signature`,
				up.Tenant, up.Session, it.Digest, it.Signature, at, up.Event, step, string(it.Kind), string(fs))
			if err != nil {
				return err
			}
			if n > 0 {
				items++
			}
		}
		for _, m := range up.Marks {
			n, err := c.exec(ctx, `INSERT INTO session_marks (tenant, session_key, fp, kind, label, first_ns, first_event, first_step, first_item, severity)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, session_key, fp) DO NOTHING`,
				up.Tenant, up.Session, m.FP, m.Kind, m.Label, at, up.Event, step, m.FirstItem, int(m.Severity))
			if err != nil {
				return err
			}
			marks += int(n)
		}
		for _, f := range up.Findings {
			if err := rememberFinding(ctx, c, up, step, f); err != nil {
				return err
			}
		}
		if q := up.Quarantine; q != nil {
			active := qs != 0 && ql == 0 && (qu == 0 || qu > at)
			if !active {
				var until int64
				if !q.Until.IsZero() {
					until = q.Until.UnixNano()
				}
				if _, err := c.exec(ctx, quarantineSet,
					at, until, int(q.Severity), q.Reason, up.Event, q.Detector, q.Mode, up.Tenant, up.Session); err != nil {
					return err
				}
			}
		}
		return nil
	}()
	if err != nil {
		return 0, err
	}
	n, err := s.bound(ctx, c, up, step, items, marks, items != items0 || marks != marks0)
	up.Dropped = n
	return n, err
}

// quarantineSet puts a session in quarantine (its arguments: since, until,
// severity, reason, event, detector, mode, tenant, session).
const quarantineSet = `UPDATE session_memory SET q_since_ns = ?, q_until_ns = ?, q_severity = ?, q_reason = ?, q_event = ?, q_detector = ?, q_mode = ?,
  q_lifted_ns = 0, q_lifted_by = '', q_lifted_reason = '' WHERE tenant = ? AND session_key = ?`

// findingUpsert adds a finding to its session, or counts it once more
// (once per event: an event evaluated again does not count twice).
const findingUpsert = findingInsert + `?, ?, ?, 1)
` + findingConflict

// findingUpsertStep is findingUpsert taking the step from the session's
// row (written earlier in the transaction) instead of an argument. For
// PostgreSQL only: $1 and $2 are the first two arguments once rebind has
// numbered the '?'s.
const findingUpsertStep = findingInsert + `(SELECT steps FROM session_memory WHERE tenant = $1 AND session_key = $2), ?, ?, 1)
` + findingConflict

// findingInsert is the start of both upserts of a session finding, up to
// its first step, which each gives its own way.
const findingInsert = `INSERT INTO session_findings (tenant, session_key, fkey, detector, rule, category, class, severity, message, redacted, fingerprint, suppressed,
  first_ns, first_event, first_step, last_ns, last_event, requests)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, `

const findingConflict = `ON CONFLICT (tenant, session_key, fkey) DO UPDATE SET
  requests = session_findings.requests + (CASE WHEN session_findings.last_event = excluded.last_event THEN 0 ELSE 1 END),
  last_ns = excluded.last_ns, last_event = excluded.last_event,
  suppressed = CASE WHEN excluded.suppressed = '' THEN '' ELSE session_findings.suppressed END,
  severity = CASE WHEN excluded.severity > session_findings.severity THEN excluded.severity ELSE session_findings.severity END`

func rememberFinding(ctx context.Context, c conn, up *MemoryUpdate, step int, f SessionFinding) error {
	at := up.At.UnixNano()
	_, err := c.exec(ctx, findingUpsert,
		up.Tenant, up.Session, f.Key, f.Detector, f.Rule, f.Category, f.Class, int(f.Severity), f.Message, f.Redacted, f.Finger, f.Suppressed,
		at, up.Event, step, at, up.Event)
	return err
}

// boundEvery is how often (in steps) the distinct findings of a session
// are counted against their bound: they grow slowly, and counting is not
// free. Items and marks are counted in session_memory as they are added.
const boundEvery = 32

// bound drops the oldest rows of a session beyond its bounds and keeps
// the counters of session_memory.
func (s *sqlStore) bound(ctx context.Context, c conn, up *MemoryUpdate, step, items, marks int, changed bool) (int, error) {
	dropped := 0
	drop := func(table string, max int) (int, error) {
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE tenant = ? AND session_key = ?`, up.Tenant, up.Session).Scan(&n); err != nil {
			return 0, err
		}
		if n <= max {
			return n, nil
		}
		// The newest row to drop: everything at or before it goes.
		var cut int64
		if err := c.queryRow(ctx, fmt.Sprintf(`SELECT first_ns FROM %s WHERE tenant = ? AND session_key = ? ORDER BY first_ns DESC LIMIT 1 OFFSET %d`, table, max),
			up.Tenant, up.Session).Scan(&cut); err != nil {
			return 0, err
		}
		k, err := c.exec(ctx, `DELETE FROM `+table+` WHERE tenant = ? AND session_key = ? AND first_ns <= ?`, up.Tenant, up.Session, cut)
		if err != nil {
			return 0, err
		}
		dropped += int(k)
		return n - int(k), nil
	}
	var err error
	if up.MaxItems > 0 && items > up.MaxItems {
		if items, err = drop("session_items", up.MaxItems); err != nil {
			return 0, err
		}
	}
	if up.MaxMarks > 0 && marks > up.MaxMarks {
		if marks, err = drop("session_marks", up.MaxMarks); err != nil {
			return 0, err
		}
	}
	if up.MaxFindings > 0 && len(up.Findings) > 0 && step%boundEvery == 0 {
		if _, err = drop("session_findings", up.MaxFindings); err != nil {
			return 0, err
		}
	}
	if !changed && dropped == 0 {
		return 0, nil
	}
	_, err = c.exec(ctx, `UPDATE session_memory SET items = ?, marks = ?, dropped = dropped + ? WHERE tenant = ? AND session_key = ?`, items, marks, dropped, up.Tenant, up.Session)
	return dropped, err
}

// MemoryState implements MemoryStore.
func (s *sqlStore) MemoryState(ctx context.Context, tenant, session string) (*MemoryState, error) {
	st, err := scanMemory(s.db.queryRow(ctx, `SELECT `+memoryCols+` FROM session_memory WHERE tenant = ? AND session_key = ?`, tenant, session))
	if errors.Is(err, errNoRows) {
		return nil, fmt.Errorf("audit: session memory %q: %w", session, ErrNotFound)
	}
	if err != nil {
		return nil, s.errf("session memory", err)
	}
	return st, nil
}

// MemoryStates implements MemoryStore.
func (s *sqlStore) MemoryStates(ctx context.Context, tenant string, sessions []string) (map[string]*MemoryState, error) {
	out := map[string]*MemoryState{}
	if len(sessions) == 0 {
		return out, nil
	}
	args := []any{tenant}
	for _, id := range sessions {
		args = append(args, id)
	}
	rows, err := s.db.query(ctx, `SELECT `+memoryCols+` FROM session_memory WHERE tenant = ? AND session_key IN (?`+strings.Repeat(",?", len(sessions)-1)+`)`, args...)
	if err != nil {
		return nil, s.errf("session memory", err)
	}
	defer rows.Close()
	for rows.Next() {
		st, err := scanMemory(rows)
		if err != nil {
			return nil, s.errf("session memory", err)
		}
		out[st.Session] = st
	}
	return out, rows.Err()
}

// SessionFindings implements MemoryStore.
func (s *sqlStore) SessionFindings(ctx context.Context, tenant, session string, limit int) ([]SessionFinding, error) {
	if limit <= 0 {
		limit = MaxTimeline
	}
	rows, err := s.db.query(ctx, fmt.Sprintf(`SELECT fkey, detector, rule, category, class, severity, message, redacted, fingerprint, suppressed,
  first_ns, first_event, first_step, last_ns, last_event, requests
FROM session_findings WHERE tenant = ? AND session_key = ? ORDER BY severity DESC, first_ns, fkey LIMIT %d`, limit), tenant, session)
	if err != nil {
		return nil, s.errf("session findings", err)
	}
	defer rows.Close()
	out := []SessionFinding{}
	for rows.Next() {
		var f SessionFinding
		var sev int
		var first, last int64
		if err := rows.Scan(&f.Key, &f.Detector, &f.Rule, &f.Category, &f.Class, &sev, &f.Message, &f.Redacted, &f.Finger, &f.Suppressed,
			&first, &f.FirstEvent, &f.FirstStep, &last, &f.LastEvent, &f.Requests); err != nil {
			return nil, s.errf("session findings", err)
		}
		f.Severity, f.FirstSeen, f.LastSeen = sdk.Severity(sev), fromNS(first), fromNS(last)
		out = append(out, f)
	}
	return out, rows.Err()
}

// SessionMarks implements MemoryStore.
func (s *sqlStore) SessionMarks(ctx context.Context, tenant, session string, limit int) ([]Mark, error) {
	if limit <= 0 {
		limit = MaxTimeline
	}
	m, err := s.marks(ctx, tenant, session, limit)
	if err != nil {
		return nil, s.errf("session marks", err)
	}
	if m == nil {
		m = []Mark{}
	}
	return m, nil
}

// LiftQuarantine implements MemoryStore.
func (s *sqlStore) LiftQuarantine(ctx context.Context, tenant, session, by, reason string, at time.Time) (*MemoryState, error) {
	var n int64
	err := s.db.write(ctx, func(c conn) error {
		var err error
		n, err = c.exec(ctx, `UPDATE session_memory SET q_lifted_ns = ?, q_lifted_by = ?, q_lifted_reason = ?
WHERE tenant = ? AND session_key = ? AND q_since_ns <> 0 AND q_lifted_ns = 0 AND (q_until_ns = 0 OR q_until_ns > ?)`,
			at.UnixNano(), by, reason, tenant, session, at.UnixNano())
		return err
	})
	if err != nil {
		return nil, s.errf("lift quarantine", err)
	}
	if n == 0 {
		return nil, fmt.Errorf("audit: session %q is not quarantined: %w", session, ErrNotFound)
	}
	return s.MemoryState(ctx, tenant, session)
}

// PruneMemory implements MemoryStore.
func (s *sqlStore) PruneMemory(ctx context.Context, cutoff time.Time) (int64, error) {
	now := s.now().UnixNano()
	var total int64
	for {
		var keys [][2]string
		err := func() error {
			rows, err := s.db.query(ctx, fmt.Sprintf(`SELECT tenant, session_key FROM session_memory WHERE last_ns < ?
  AND NOT (q_since_ns <> 0 AND q_lifted_ns = 0 AND (q_until_ns = 0 OR q_until_ns > ?)) LIMIT %d`, pruneBatch), cutoff.UnixNano(), now)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var k [2]string
				if err := rows.Scan(&k[0], &k[1]); err != nil {
					return err
				}
				keys = append(keys, k)
			}
			return rows.Err()
		}()
		if err != nil {
			return total, s.errf("prune memory", err)
		}
		if len(keys) == 0 {
			return total, nil
		}
		err = s.db.write(ctx, func(c conn) error {
			for _, k := range keys {
				for _, t := range [...]string{"session_items", "session_marks", "session_findings", "session_memory"} {
					if _, err := c.exec(ctx, `DELETE FROM `+t+` WHERE tenant = ? AND session_key = ?`, k[0], k[1]); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return total, s.errf("prune memory", err)
		}
		total += int64(len(keys))
		if len(keys) < pruneBatch {
			return total, nil
		}
	}
}
