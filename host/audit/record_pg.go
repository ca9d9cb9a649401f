package audit

import (
	"context"
)

// RecordBatch on PostgreSQL inserts the batch's events, queues them and
// counts them into their sessions in one statement (unnest arrays), so
// that the group commit of the intake is one round trip and one commit
// whatever its size; per-event statements, one round trip each, held hot
// session rows locked long enough for batches to time out and deadlock.
// Sessions are counted once per session of the batch, in (tenant,
// session) order, the order CompleteClaimed locks them in. An event that
// was not inserted (a redelivery) goes through recordIn as before.
const recordBatchPG = `WITH u AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
    $10::text[], $11::text[], $12::text[], $13::bigint[], $14::text[], $15::bytea[], $16::text[]) WITH ORDINALITY
    AS x(id, tenant, type, request_id, session_id, login, tailnet, node, user_agent, model, provider, api_format, received_ns, items, spool, source, n)
),
ins AS (
  INSERT INTO events (id, tenant, type, request_id, session_id, login, tailnet, node, user_agent, model, provider, api_format, received_ns, items, spool, source)
  SELECT id, tenant, type, request_id, session_id, login, tailnet, node, user_agent, model, provider, api_format, received_ns, items, spool, source FROM u ORDER BY n
  ON CONFLICT DO NOTHING
  RETURNING id, tenant, session_id, login, user_agent, received_ns
),
q AS (
  INSERT INTO work_queue (event_id, enqueued_ns) SELECT id, received_ns FROM ins ON CONFLICT DO NOTHING
),
s AS (
  INSERT INTO sessions (tenant, session_id, login, user_agent, first_ns, last_ns, requests, last_event_id)
  SELECT tenant, session_id, MAX(login), MAX(user_agent), MIN(received_ns), MAX(received_ns), COUNT(*),
    (ARRAY_AGG(id ORDER BY received_ns DESC, id DESC))[1]
  FROM ins WHERE session_id <> '' GROUP BY tenant, session_id ORDER BY tenant, session_id
  ` + sessionCount + `
)
SELECT id FROM ins`

// recordBatchPGIn records the events of evs not refused already (out) in
// the transaction c; see RecordBatch.
func (s *sqlStore) recordBatchPGIn(ctx context.Context, c conn, evs []*Event, items []string, out []Recorded) error {
	var (
		ids, tenants, types, sessions, logins, tailnets, nodes, agents, models, providers, formats, its, sources []string
		requests                                                                                                 []*string
		received                                                                                                 []int64
		spools                                                                                                   [][]byte
	)
	for i, ev := range evs {
		if out[i].Err != nil {
			continue
		}
		var req *string
		if ev.RequestID != "" {
			req = &ev.RequestID
		}
		ids, tenants, types, requests, sessions = append(ids, ev.ID), append(tenants, ev.Tenant), append(types, ev.Type), append(requests, req), append(sessions, ev.SessionID)
		logins, tailnets, nodes, agents = append(logins, ev.Identity.Login), append(tailnets, ev.Identity.Tailnet), append(nodes, ev.Identity.Node), append(agents, ev.Identity.UserAgent)
		models, providers, formats, received = append(models, ev.Model), append(providers, ev.Provider), append(formats, ev.APIFormat), append(received, ev.ReceivedAt.UnixNano())
		its, spools, sources = append(its, items[i]), append(spools, ev.Spool), append(sources, ev.Source)
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := c.query(ctx, recordBatchPG, ids, tenants, types, requests, sessions, logins, tailnets, nodes, agents, models, providers, formats, received, its, spools, sources)
	if err != nil {
		return err
	}
	inserted := make(map[string]bool, len(ids))
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		inserted[id] = true
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return err
	}
	done := make([]bool, len(evs))
	for i, ev := range evs {
		if out[i].Err == nil && inserted[ev.ID] {
			delete(inserted, ev.ID) // a second event of the batch with this ID is not this one
			out[i], done[i] = Recorded{ID: ev.ID}, true
		}
	}
	// The others: redeliveries (or IDs taken); recordIn's insert does
	// nothing and it resolves them as it always has.
	return s.recordEach(ctx, c, evs, items, out, done)
}
