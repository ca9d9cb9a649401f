package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
)

// The trail is tamper-evident: every decision written (Complete, or an
// event of RecordDecided) appends one link to its tenant's hash chain in
// the same transaction. A link's hash is
//
//	SHA-256("picket-chain-v1" ‖ tenant ‖ seq ‖ prev_hash ‖ the event's row ‖ its findings)
//
// with every field length-prefixed, read back from the database inside the
// transaction, so that writing and verifying hash the very same bytes. The
// chain head of a tenant (chain_heads) is locked for the transaction
// (SELECT … FOR UPDATE on PostgreSQL; SQLite has one writer), so that
// replicas writing the same tenant append one after the other; a group
// commit locks the heads of its tenants in name order, before any other
// row, so two batches never wait on each other in a cycle.

// chainGenesis is the prev_hash of a tenant's first link.
func chainGenesis(tenant string) string {
	sum := sha256.Sum256([]byte("picket-chain-v1\x00genesis\x00" + tenant))
	return hex.EncodeToString(sum[:])
}

// chainConn is a transaction with the chain heads it has locked, kept in
// memory until flush writes them once per tenant.
type chainConn struct {
	conn
	heads map[string]*chainHead
}

type chainHead struct {
	seq   int64
	hash  string
	dirty bool
}

// lockHeads makes sure the chain heads of tenants exist, locks them in
// sorted order and returns the transaction that knows them.
func (s *sqlStore) lockHeads(ctx context.Context, c conn, tenants []string) (*chainConn, error) {
	cc, ok := c.(*chainConn)
	if !ok {
		cc = &chainConn{conn: c, heads: map[string]*chainHead{}}
	}
	ts := slices.Clone(tenants)
	slices.Sort(ts)
	ts = slices.Compact(ts)
	lock := ""
	if s.db.driver() == "postgres" {
		lock = " FOR UPDATE"
	}
	for _, t := range ts {
		if cc.heads[t] != nil {
			continue
		}
		if _, err := c.exec(ctx, `INSERT INTO chain_heads (tenant, seq, hash) VALUES (?, 0, ?) ON CONFLICT DO NOTHING`, t, chainGenesis(t)); err != nil {
			return nil, err
		}
		h := &chainHead{}
		if err := c.queryRow(ctx, `SELECT seq, hash FROM chain_heads WHERE tenant = ?`+lock, t).Scan(&h.seq, &h.hash); err != nil {
			return nil, err
		}
		cc.heads[t] = h
	}
	return cc, nil
}

// lockHeadsOf locks the chain heads of the tenants of events ids (see
// lockHeads). Transactions take these locks before any other, so that the
// order is the same everywhere.
func (s *sqlStore) lockHeadsOf(ctx context.Context, c conn, ids []string) (*chainConn, error) {
	var tenants []string
	if len(ids) > 0 {
		in, args := inList(ids)
		var err error
		if tenants, err = queryStrings(ctx, c, `SELECT DISTINCT tenant FROM events WHERE id IN `+in, args...); err != nil {
			return nil, err
		}
	}
	return s.lockHeads(ctx, c, tenants)
}

// headUpdate moves a tenant's chain head (arguments: seq, hash, tenant).
const headUpdate = `UPDATE chain_heads SET seq = ?, hash = ? WHERE tenant = ?`

// flush writes the heads the transaction moved.
func (cc *chainConn) flush(ctx context.Context) error {
	for t, h := range cc.heads {
		if h.dirty {
			if _, err := cc.exec(ctx, headUpdate, h.seq, h.hash, t); err != nil {
				return err
			}
			h.dirty = false
		}
	}
	return nil
}

// chainIn appends the decision of event id (tenant's, already written in
// the transaction c) to the tenant's chain. c must be the chainConn that
// locked the tenant's head: appending without the lock could fork the
// chain between replicas.
func (s *sqlStore) chainIn(ctx context.Context, c conn, tenant, id string) error {
	cc, ok := c.(*chainConn)
	if !ok || cc.heads[tenant] == nil {
		return fmt.Errorf("audit: chain head of tenant %q not locked by the transaction", tenant)
	}
	h := cc.heads[tenant]
	seq := h.seq + 1
	sum, err := decisionHash(ctx, c, tenant, id, seq, h.hash)
	if err != nil {
		return err
	}
	if _, err := c.exec(ctx, `INSERT INTO chain (tenant, seq, event_id, prev_hash, hash, at_ns) VALUES (?, ?, ?, ?, ?, ?)`,
		tenant, seq, id, h.hash, sum, s.now().UnixNano()); err != nil {
		return err
	}
	h.seq, h.hash, h.dirty = seq, sum, true
	return nil
}

// hashWriter writes length-prefixed fields into a hash.
type hashWriter struct{ h hash.Hash }

func (w hashWriter) str(s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	w.h.Write(n[:])
	w.h.Write([]byte(s))
}

func (w hashWriter) int(v int64) { w.str(strconv.FormatInt(v, 10)) }

// errEventGone is decisionHash's error when the event row does not exist.
var errEventGone = errors.New("event row missing")

// hashEventCols are the columns of an event row that its chain link
// hashes; hashFindingCols those of each of its findings, in seq order.
const (
	hashEventCols = `id, tenant, type, COALESCE(request_id, ''), session_id, login, tailnet, node, user_agent, model, provider, api_format,
items, decision, mode, category, message, received_ns, evaluated_ns, would_block, max_severity, findings, latency_ns`
	hashFindingCols = `seq, detector, rule, category, class, severity, item, start_pos, end_pos, message, redacted, fingerprint, action, suppressed, evidence, text_start, text_end`
)

// hashedEvent is an event row as read with hashEventCols.
type hashedEvent struct {
	cols                                      [17]string // cols[0] is the ID, cols[1] the tenant
	received, wouldBlock, maxSev, nf, latency int64
	evaluated                                 sql.NullInt64
}

func (e *hashedEvent) dest() []any {
	dest := make([]any, 0, len(e.cols)+6)
	for i := range e.cols {
		dest = append(dest, &e.cols[i])
	}
	return append(dest, &e.received, &e.evaluated, &e.wouldBlock, &e.maxSev, &e.nf, &e.latency)
}

// hashedFinding is a finding row as read with hashFindingCols.
type hashedFinding struct {
	fs                                  [10]string
	fseq, sev, item, start, end, ts, te int64
}

func (f *hashedFinding) dest() []any {
	return []any{&f.fseq, &f.fs[0], &f.fs[1], &f.fs[2], &f.fs[3], &f.sev, &f.item, &f.start, &f.end, &f.fs[4], &f.fs[5], &f.fs[6], &f.fs[7], &f.fs[8], &f.fs[9], &f.ts, &f.te}
}

// decisionHash hashes link seq of tenant's chain, after prev, over event
// id's row and findings as c reads them.
func decisionHash(ctx context.Context, c conn, tenant, id string, seq int64, prev string) (string, error) {
	var ev hashedEvent
	err := c.queryRow(ctx, `SELECT `+hashEventCols+` FROM events WHERE id = ?`, id).Scan(ev.dest()...)
	if errors.Is(err, errNoRows) {
		return "", errEventGone
	}
	if err != nil {
		return "", err
	}
	rows, err := c.query(ctx, `SELECT `+hashFindingCols+` FROM findings WHERE event_id = ? ORDER BY seq`, id)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var fs []hashedFinding
	for rows.Next() {
		var f hashedFinding
		if err := rows.Scan(f.dest()...); err != nil {
			return "", err
		}
		fs = append(fs, f)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return linkHash(tenant, seq, prev, &ev, fs)
}

// linkHash is the hash of link seq of tenant's chain, after prev, over an
// event row and its findings (in seq order) as read from the database.
func linkHash(tenant string, seq int64, prev string, ev *hashedEvent, fs []hashedFinding) (string, error) {
	if ev.cols[1] != tenant {
		return "", errEventGone // moved to another tenant: gone from this chain
	}
	w := hashWriter{sha256.New()}
	w.str("picket-chain-v1")
	w.str(tenant)
	w.int(seq)
	w.str(prev)
	for _, v := range ev.cols {
		w.str(v)
	}
	for _, v := range []int64{ev.received, ev.evaluated.Int64, ev.wouldBlock, ev.maxSev, ev.nf, ev.latency} {
		w.int(v)
	}
	for _, f := range fs {
		w.str("finding")
		for _, v := range []int64{f.fseq, f.sev, f.item, f.start, f.end, f.ts, f.te} {
			w.int(v)
		}
		for _, v := range f.fs {
			w.str(v)
		}
	}
	return hex.EncodeToString(w.h.Sum(nil)), nil
}

// ChainProblem is one place where a tenant's chain does not hold.
type ChainProblem struct {
	Seq     int64  `json:"seq"`
	EventID string `json:"event_id,omitempty"`
	Reason  string `json:"reason"`
}

// ChainReport is the result of verifying one tenant's chain.
type ChainReport struct {
	Tenant   string         `json:"tenant"`
	Links    int64          `json:"links"`     // links read
	First    int64          `json:"first_seq"` // 0 when the chain is empty
	Last     int64          `json:"last_seq"`
	Pruned   int64          `json:"pruned"`     // links whose event retention deleted: linkage checked only
	Replaced int64          `json:"superseded"` // links of an event evaluated again later: linkage checked only
	Problems []ChainProblem `json:"problems,omitempty"`
	Head     string         `json:"head,omitempty"` // the last link's hash, to write down elsewhere
}

// OK reports whether the chain verified.
func (r *ChainReport) OK() bool { return len(r.Problems) == 0 }

const maxChainProblems = 100

// VerifyChain checks tenant's hash chain: every link follows the previous
// one (seq and prev_hash), every link's hash matches the event and findings
// as stored now (for the event's latest link), and the chain head matches
// the last link. It reads in pages and reports up to 100 problems.
func VerifyChain(ctx context.Context, st Store, tenant string) (*ChainReport, error) {
	s, ok := sqlOf(st)
	if !ok {
		return nil, fmt.Errorf("audit: verify: not a SQL store")
	}
	rep := &ChainReport{Tenant: tenant}
	problem := func(seq int64, ev, format string, args ...any) {
		if len(rep.Problems) < maxChainProblems {
			rep.Problems = append(rep.Problems, ChainProblem{Seq: seq, EventID: ev, Reason: fmt.Sprintf(format, args...)})
		}
	}
	prevHash, prevSeq := "", int64(0)
	for {
		rows, err := s.db.query(ctx, `SELECT c.seq, c.event_id, c.prev_hash, c.hash, c.pruned,
(SELECT MAX(l.seq) FROM chain l WHERE l.tenant = c.tenant AND l.event_id = c.event_id)
FROM chain c WHERE c.tenant = ? AND c.seq > ? ORDER BY c.seq LIMIT 500`, tenant, prevSeq)
		if err != nil {
			return nil, s.errf("verify chain", err)
		}
		type link struct {
			seq, latest int64
			ev, prev, h string
			pruned      int
		}
		var page []link
		for rows.Next() {
			var l link
			if err := rows.Scan(&l.seq, &l.ev, &l.prev, &l.h, &l.pruned, &l.latest); err != nil {
				rows.Close()
				return nil, s.errf("verify chain", err)
			}
			page = append(page, l)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, s.errf("verify chain", err)
		}
		if len(page) == 0 {
			break
		}
		for _, l := range page {
			rep.Links++
			if rep.First == 0 {
				rep.First = l.seq
				if l.seq == 1 && l.prev != chainGenesis(tenant) {
					problem(l.seq, l.ev, "the first link does not start from the tenant's genesis hash")
				}
			} else {
				if l.seq != prevSeq+1 {
					problem(l.seq, l.ev, "links %d to %d are missing (deleted from the chain)", prevSeq+1, l.seq-1)
				}
				if l.prev != prevHash {
					problem(l.seq, l.ev, "prev_hash does not match the hash of link %d", prevSeq)
				}
			}
			switch {
			case l.pruned != 0:
				rep.Pruned++
			case l.latest != l.seq:
				rep.Replaced++
			default:
				got, err := decisionHash(ctx, s.db, tenant, l.ev, l.seq, l.prev)
				switch {
				case errors.Is(err, errEventGone):
					problem(l.seq, l.ev, "the event was deleted outside retention")
				case err != nil:
					return nil, s.errf("verify chain", err)
				case got != l.h:
					problem(l.seq, l.ev, "the event or its findings changed after the decision was recorded")
				}
			}
			prevSeq, prevHash = l.seq, l.h
		}
	}
	rep.Last, rep.Head = prevSeq, prevHash
	var headSeq int64
	var headHash string
	err := s.db.queryRow(ctx, `SELECT seq, hash FROM chain_heads WHERE tenant = ?`, tenant).Scan(&headSeq, &headHash)
	switch {
	case errors.Is(err, errNoRows):
		if rep.Links > 0 {
			problem(rep.Last, "", "the chain head is missing")
		}
	case err != nil:
		return nil, s.errf("verify chain", err)
	case headSeq != rep.Last || (rep.Links > 0 && headHash != rep.Head):
		problem(headSeq, "", "the chain head (seq %d) does not match the last link (seq %d): links were removed from the end", headSeq, rep.Last)
	}
	return rep, nil
}
