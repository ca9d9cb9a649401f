package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Triage states an operator can give a finding or an event. "open" takes a
// mark back.
const (
	TriageAcknowledged  = "acknowledged"
	TriageFalsePositive = "false_positive"
	TriageEscalated     = "escalated"
	TriageOpen          = "open"
)

// TriageStates lists the states in the order the UI offers them.
var TriageStates = []string{TriageAcknowledged, TriageFalsePositive, TriageEscalated, TriageOpen}

// Triage is one mark: who said what about which finding (or event), when.
// Marks are kept, never overwritten: the latest per target is its state,
// and the history is part of the trail.
type Triage struct {
	ID      string    `json:"id"`
	EventID string    `json:"event_id"`
	Finding int       `json:"finding"` // the finding's index in the event; -1: the event
	State   string    `json:"state"`
	Actor   string    `json:"actor"`
	Note    string    `json:"note,omitempty"`
	At      time.Time `json:"at"`
}

// TriageError is a mark that cannot be recorded: a bad state, no actor, or
// a finding the event does not have. The API answers it with 400.
type TriageError struct{ Reason string }

func (e *TriageError) Error() string { return "audit: triage: " + e.Reason }

func validTriage(m *Triage) error {
	ok := false
	for _, s := range TriageStates {
		ok = ok || m.State == s
	}
	switch {
	case !ok:
		return &TriageError{fmt.Sprintf("state %q: want one of %s", m.State, strings.Join(TriageStates, ", "))}
	case strings.TrimSpace(m.Actor) == "":
		return &TriageError{"who marks it (actor) is required"}
	case len(m.Actor) > 200 || !utf8.ValidString(m.Actor):
		return &TriageError{"actor: at most 200 bytes of UTF-8"}
	case len(m.Note) > 2000 || !utf8.ValidString(m.Note):
		return &TriageError{"note: at most 2000 bytes of UTF-8"}
	case m.Finding < -1:
		return &TriageError{"finding: an index ≥ 0, or -1 for the event"}
	}
	return nil
}

// MarkTriage records m for tenant's event m.EventID (ErrNotFound when the
// tenant has no such event) and returns it with its ID and time.
func MarkTriage(ctx context.Context, st Store, tenant string, m Triage) (*Triage, error) {
	s, ok := sqlOf(st)
	if !ok {
		return nil, fmt.Errorf("audit: triage: not a SQL store")
	}
	m.Actor, m.Note = strings.TrimSpace(m.Actor), strings.TrimSpace(m.Note)
	if err := validTriage(&m); err != nil {
		return nil, err
	}
	m.ID, m.At = newID(), s.now().UTC()
	err := s.db.write(ctx, func(c conn) error {
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM events WHERE tenant = ? AND id = ?`, tenant, m.EventID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if m.Finding >= 0 {
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM findings WHERE tenant = ? AND event_id = ? AND seq = ?`, tenant, m.EventID, m.Finding).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &TriageError{fmt.Sprintf("event %s has no finding %d", m.EventID, m.Finding)}
			}
		}
		_, err := c.exec(ctx, `INSERT INTO triage (id, tenant, event_id, finding, state, actor, note, at_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, tenant, m.EventID, m.Finding, m.State, m.Actor, m.Note, m.At.UnixNano())
		return err
	})
	var te *TriageError
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, fmt.Errorf("audit: event %q: %w", m.EventID, ErrNotFound)
	case errors.As(err, &te):
		return nil, te
	case err != nil:
		return nil, s.errf("triage", err)
	}
	return &m, nil
}

// TriageOf returns the marks of tenant's event id, oldest first.
func TriageOf(ctx context.Context, st Store, tenant, id string) ([]Triage, error) {
	s, ok := sqlOf(st)
	if !ok {
		return nil, fmt.Errorf("audit: triage: not a SQL store")
	}
	rows, err := s.db.query(ctx, `SELECT id, event_id, finding, state, actor, note, at_ns FROM triage WHERE tenant = ? AND event_id = ? ORDER BY at_ns, id`, tenant, id)
	if err != nil {
		return nil, s.errf("triage", err)
	}
	defer rows.Close()
	out := []Triage{}
	for rows.Next() {
		var m Triage
		var at int64
		if err := rows.Scan(&m.ID, &m.EventID, &m.Finding, &m.State, &m.Actor, &m.Note, &at); err != nil {
			return nil, s.errf("triage", err)
		}
		m.At = fromNS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// latestTriage is the SQL for the current triage state of finding f (a
// mark on the finding, or on its whole event, whichever is newer): "" when
// none. It uses the findings alias f.
const latestTriage = `COALESCE((SELECT t.state FROM triage t WHERE t.tenant = f.tenant AND t.event_id = f.event_id AND t.finding IN (f.seq, -1)
ORDER BY t.at_ns DESC, t.id DESC LIMIT 1), '')`

// triageCond adds a filter on latestTriage to w: a state, or "untriaged"
// (no mark, or taken back with "open").
func (w *where) triageCond(state string) error {
	switch state {
	case "":
		return nil
	case "untriaged":
		w.add(latestTriage + ` IN ('', 'open')`)
		return nil
	}
	for _, s := range TriageStates {
		if s == state {
			w.add(latestTriage+` = ?`, state)
			return nil
		}
	}
	return &QueryError{Param: "triage", Reason: fmt.Sprintf("%q: want untriaged, %s", state, strings.Join(TriageStates, ", "))}
}

// FalsePositives returns tenant's findings whose current state is
// false_positive, newest first, with the mark that made them so: what
// `picket allowlist` prints.
func FalsePositives(ctx context.Context, st Store, tenant string) ([]FalsePositive, error) {
	s, ok := sqlOf(st)
	if !ok {
		return nil, fmt.Errorf("audit: triage: not a SQL store")
	}
	rows, err := s.db.query(ctx, `SELECT f.event_id, f.seq, f.detector, f.rule, f.category, f.fingerprint, f.received_ns,
(SELECT t.actor FROM triage t WHERE t.tenant = f.tenant AND t.event_id = f.event_id AND t.finding IN (f.seq, -1) ORDER BY t.at_ns DESC, t.id DESC LIMIT 1),
(SELECT t.note FROM triage t WHERE t.tenant = f.tenant AND t.event_id = f.event_id AND t.finding IN (f.seq, -1) ORDER BY t.at_ns DESC, t.id DESC LIMIT 1),
(SELECT t.at_ns FROM triage t WHERE t.tenant = f.tenant AND t.event_id = f.event_id AND t.finding IN (f.seq, -1) ORDER BY t.at_ns DESC, t.id DESC LIMIT 1)
FROM findings f WHERE f.tenant = ? AND `+latestTriage+` = 'false_positive' ORDER BY f.received_ns DESC, f.event_id, f.seq`, tenant)
	if err != nil {
		return nil, s.errf("false positives", err)
	}
	defer rows.Close()
	var out []FalsePositive
	for rows.Next() {
		var fp FalsePositive
		var recv, at int64
		if err := rows.Scan(&fp.EventID, &fp.Finding, &fp.Detector, &fp.Rule, &fp.Category, &fp.Fingerprint, &recv, &fp.Actor, &fp.Note, &at); err != nil {
			return nil, s.errf("false positives", err)
		}
		fp.ReceivedAt, fp.MarkedAt = fromNS(recv), fromNS(at)
		out = append(out, fp)
	}
	return out, rows.Err()
}

// FalsePositive is a finding triaged as a false positive.
type FalsePositive struct {
	EventID     string    `json:"event_id"`
	Finding     int       `json:"finding"`
	Detector    string    `json:"detector"`
	Rule        string    `json:"rule"`
	Category    string    `json:"category"`
	Fingerprint string    `json:"fingerprint,omitempty"`
	ReceivedAt  time.Time `json:"received_at"`
	Actor       string    `json:"actor"`
	Note        string    `json:"note,omitempty"`
	MarkedAt    time.Time `json:"marked_at"`
}

// AllowlistEntry is the config text that allowlists fp: a detector block
// with a comment line saying why, and the fingerprint. ok is false when
// the finding has no fingerprint (the detector gave none), in which case
// the text says so and no entry can be exact.
func AllowlistEntry(fp FalsePositive) (string, bool) {
	why := fmt.Sprintf("# false positive: %s/%s in event %s, marked by %s on %s", fp.Detector, fp.Rule, fp.EventID,
		oneLine(fp.Actor), fp.MarkedAt.UTC().Format(time.RFC3339))
	if fp.Note != "" {
		why += ": " + oneLine(fp.Note)
	}
	if fp.Fingerprint == "" {
		return why + "\n# (this finding has no fingerprint: only an allow_regex over the match can allowlist it)\n", false
	}
	return fmt.Sprintf("detector %q {\n  %s\n  allow_fingerprints = [%q]\n}\n", fp.Detector, why, fp.Fingerprint), true
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
