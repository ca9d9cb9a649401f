package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/aperture"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/session"
	"github.com/picketsec/picket/host/telemetry"
	"github.com/picketsec/picket/sdk"
)

// hook serves POST /v1/agent/events[/:event] for all three Aperture events.
func (s *Server) hook(c *gin.Context) {
	start := time.Now()
	ctx, call := s.tel.StartHook(c.Request.Context(), telemetry.SourceAperture, c.Request.Header)
	if ctx != c.Request.Context() {
		c.Request = c.Request.WithContext(ctx)
	}
	defer func() { call.End(c.Writer.Status()) }()
	// Aperture learns from this which codings it may use for later bodies.
	c.Header("Accept-Encoding", "zstd, gzip")
	body, err := readBody(c.Request)
	if err != nil {
		var he *httpError
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The rest of the body will not come in time: say so and hang
			// up, so that the connection is not held.
			c.Header("Connection", "close")
			abort(c, http.StatusRequestTimeout, "request body not received within "+s.bodyTime.String())
		} else if errors.As(err, &he) {
			abort(c, he.status, he.msg)
		} else {
			abort(c, http.StatusBadRequest, "reading body: "+err.Error())
		}
		return
	}
	hook, err := aperture.Parse(body)
	if err != nil {
		abort(c, http.StatusBadRequest, err.Error())
		return
	}
	event, err := aperture.ResolveEvent(c.Param("event"), c.Query("event"), hook)
	if err != nil {
		abort(c, http.StatusBadRequest, err.Error())
		return
	}
	ev, err := aperture.Normalize(hook, event)
	if err != nil {
		abort(c, http.StatusBadRequest, err.Error())
		return
	}
	tenant, ok := s.config().Tenant(TenantOf(c))
	if !ok {
		// The config was reloaded without this tenant since auth ran.
		abort(c, http.StatusUnauthorized, "unknown API key")
		return
	}
	ev.Tenant = tenant.Name
	ev.ID = newEventID(start)
	if s.sessions != nil && s.config().Session.Enabled {
		session.Assign(s.sessions, ev)
	}
	c.Header("X-Picket-Event-Id", ev.ID)
	call.Event(ev, tenant.Mode)

	if ev.Type == sdk.EventPreRequest {
		s.preRequest(c, ev, tenant, hook.RequestBody, start, call)
		return
	}
	s.async(c, ev, tenant, call)
}

// preRequest evaluates synchronously, records, and answers Aperture's
// GuardrailResponse.
func (s *Server) preRequest(c *gin.Context, ev *sdk.Event, tenant *config.Tenant, requestBody []byte, start time.Time, call telemetry.Call) {
	turn := s.beginSession(c.Request.Context(), ev)
	v, err := s.eng.Evaluate(c.Request.Context(), engine.Input{Event: ev, TenantMode: tenant.Mode, RequestBody: requestBody, Session: turn.Input()})
	if err != nil {
		// Only a missing config gets here; answer like a fail-open hook would.
		s.log.Error("evaluate", "event_id", ev.ID, "error", err)
		abort(c, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	s.metrics.Verdict(ev.Type, time.Since(start))
	s.metrics.Event(ev.Type, tenant.Name, v.Decision, v.WouldBlock)
	call.Decided(c.Request.Context(), ev, v)
	s.sessions.Commit(context.WithoutCancel(c.Request.Context()), turn, v)
	s.recordLater(ev, v)

	h := c.Writer.Header()
	h.Set("X-Picket-Decision", v.Decision)
	h.Set("X-Picket-Would-Block", strconv.FormatBool(v.WouldBlock))
	h.Set("X-Picket-Findings", strconv.Itoa(countingFindings(v.Findings)))
	if v.Category != "" {
		h.Set("X-Picket-Category", v.Category)
	}
	c.Data(http.StatusOK, "application/json", guardrailResponse(v))
}

// guardrailResponse encodes exactly Aperture's GuardrailResponse: no other
// keys, so that strict schema checks pass.
func guardrailResponse(v *engine.Verdict) []byte {
	var resp any
	switch v.Decision {
	case engine.DecisionBlock:
		resp = struct {
			Action     string `json:"action"`
			StatusCode int    `json:"status_code"`
			Message    string `json:"message"`
		}{"block", v.StatusCode, v.Message}
	case engine.DecisionModify:
		resp = struct {
			Action      string          `json:"action"`
			RequestBody json.RawMessage `json:"request_body"`
		}{"modify", v.RequestBody}
	default:
		return []byte(`{"action":"allow"}`)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		// A rewritten body that is not JSON cannot be sent; blocking is the safe answer.
		return []byte(`{"action":"block","status_code":403,"message":"Request blocked: redaction failed"}`)
	}
	return b
}

func countingFindings(fs []audit.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Suppressed == "" {
			n++
		}
	}
	return n
}

// recordLater hands a decided pre_request event to the recorder, so that
// the gateway does not wait for the store's fsync. When the recorder is
// behind by a full queue, the handler waits for room: back pressure, never
// a lost record.
func (s *Server) recordLater(ev *sdk.Event, v *engine.Verdict) {
	s.records <- s.decided(ev, v)
}

// maxBatch bounds the events the recorder writes in one transaction, and
// batchWindow is how long it waits for more once one arrives: SQLite's
// commit (an fsync, which also holds the thread) then serves many events.
const (
	maxBatch    = 256
	batchWindow = 2 * time.Millisecond
)

// recorder writes pre_request events until the queue is closed and
// drained, in group commits.
func (s *Server) recorder() {
	defer s.recWG.Done()
	groupCommits(s.records, maxBatch, batchWindow, func(batch []audit.Decided) { s.record(context.Background(), batch) })
}

// groupCommits calls commit with batches of what arrives on ch until it is
// closed and drained: a batch is what arrives within window of its first
// item, up to max items, so that one commit (one fsync) serves many.
func groupCommits[T any](ch <-chan T, max int, window time.Duration, commit func([]T)) {
	batch := make([]T, 0, max)
	timer := time.NewTimer(window)
	for first := range ch {
		batch = append(batch[:0], first)
		timer.Reset(window)
	fill:
		for len(batch) < max {
			select {
			case d, ok := <-ch:
				if !ok {
					break fill
				}
				batch = append(batch, d)
			case <-timer.C:
				break fill
			}
		}
		commit(batch)
	}
}

// beginSession recalls ev's session; without memory (off, or the store
// failing) the event is judged alone.
func (s *Server) beginSession(ctx context.Context, ev *sdk.Event) *session.Turn {
	if s.sessions == nil {
		return nil
	}
	turn, err := s.sessions.Begin(ctx, ev, s.config(), s.eng.Signature())
	if err != nil {
		s.log.Warn("session memory unavailable; judging the event alone", "event_id", ev.ID, "error", err)
		return nil
	}
	return turn
}

// trailResult is the result as the trail keeps it: a finding reused from
// an item judged earlier in the session counted for the verdict, but is
// recorded once per session, so the event records it as suppressed.
func trailResult(v *engine.Verdict) audit.Result {
	res := v.Result
	res.Findings = make([]audit.Finding, len(v.Findings))
	for i, f := range v.Findings {
		if f.Reused && f.Suppressed == "" {
			f.Suppressed = audit.SuppressedReused
		}
		res.Findings[i] = f
	}
	return res
}

// decided is what the trail keeps of a decided event.
func (s *Server) decided(ev *sdk.Event, v *engine.Verdict) audit.Decided {
	res := trailResult(v)
	res.Items = s.auditItems(ev, res.Findings)
	return audit.Decided{Event: s.auditEvent(ev, nil), Result: &res}
}

// record writes decided events. A store failure is logged and counted but
// does not change verdicts already given: availability of the gateway comes
// first, and /readyz reports the store.
func (s *Server) record(ctx context.Context, batch []audit.Decided) {
	if err := s.store.RecordDecided(ctx, batch); err != nil {
		s.log.Error("record events", "events", len(batch), "first_event_id", batch[0].Event.ID, "error", err)
		return
	}
	for _, d := range batch {
		s.emit(d.Event, d.Result)
	}
}

// emit sends a result to the sinks.
func (s *Server) emit(ev *audit.Event, res *audit.Result) {
	for _, sink := range s.sinks {
		sink.Emit(ev, res)
	}
}

// async records the event durably (which puts it on the work queue),
// answers {}, and leaves the evaluation to the workers.
func (s *Server) async(c *gin.Context, ev *sdk.Event, tenant *config.Tenant, call telemetry.Call) {
	spool := &spoolData{Event: ev, TenantMode: tenant.Mode, Trace: telemetry.Traceparent(c.Request.Context())}
	sealed, err := s.sealer.seal(spool)
	if err != nil {
		s.log.Error("seal spool", "event_id", ev.ID, "error", err)
		abort(c, http.StatusServiceUnavailable, "cannot record event")
		return
	}
	id, dup, err := s.recordAsync(c.Request.Context(), s.auditEvent(ev, sealed))
	if err != nil {
		// Not recorded: say so, so that the gateway's logs show it.
		s.log.Error("record event", "event_id", ev.ID, "tenant", ev.Tenant, "error", err)
		abort(c, http.StatusServiceUnavailable, "cannot record event")
		return
	}
	// Recorded means queued (a duplicate still unevaluated is queued
	// again): the workers take it from the store.
	s.work.notify()
	call.Queued(dup)
	if dup {
		c.Header("X-Picket-Event-Id", id)
		c.Header("X-Picket-Duplicate", "true")
	}
	c.Data(http.StatusOK, "application/json", []byte("{}"))
}

// auditEvent is what the trail keeps of ev before evaluation: digests, no text.
func (s *Server) auditEvent(ev *sdk.Event, spool []byte) *audit.Event {
	rec := &audit.Event{
		ID: ev.ID, Tenant: ev.Tenant, Type: ev.Type, RequestID: ev.RequestID, SessionID: ev.SessionID,
		Identity: ev.Identity, Model: ev.Model, Provider: ev.Provider, APIFormat: ev.APIFormat,
		ReceivedAt: time.Now().UTC(), Spool: spool, Items: make([]audit.Item, len(ev.Items)),
	}
	for i, it := range ev.Items {
		sum := sha256.Sum256([]byte(it.Text))
		ai := audit.Item{Index: it.Index, Kind: it.Kind, Origin: it.Origin, New: it.New, Untrusted: it.Untrusted,
			Digest: hex.EncodeToString(sum[:]), Length: len(it.Text)}
		if it.Tool != nil {
			ai.Tool = it.Tool.Name
		}
		rec.Items[i] = ai
	}
	return rec
}

// auditItems are the items with their text as the payload mode says; in
// the redacted and full modes it also fills each finding's evidence and
// text span (engine.Evidence), in place.
func (s *Server) auditItems(ev *sdk.Event, findings []audit.Finding) []audit.Item {
	items := s.auditEvent(ev, nil).Items
	mode := config.PayloadRedacted
	if cfg := s.config(); cfg != nil {
		mode = cfg.Store.Payload
	}
	if mode == config.PayloadNone {
		return items
	}
	// With session memory, an item seen before in the session keeps its
	// text in the event that first saw it: the trail, like the detectors,
	// pays for what is new (the digest says which item it is).
	seen := s.sessions != nil && s.config() != nil && s.config().Session.Enabled
	for i, it := range ev.Items {
		if seen && !it.New {
			has := false
			for k := range findings {
				has = has || findings[k].Item == it.Index
			}
			if has {
				engine.Evidence(it.Text, it.Index, findings) // the findings' evidence, not the text
				for k := range findings {
					if findings[k].Item == it.Index {
						findings[k].TextSpan = nil
					}
				}
			}
			continue
		}
		masked := engine.Evidence(it.Text, it.Index, findings)
		switch {
		case mode == config.PayloadFull:
			items[i].Text = it.Text
		default:
			items[i].Text = masked
		}
	}
	if mode == config.PayloadFull {
		// The kept text is the text: spans are the findings' own (the
		// evidence stays masked all the same).
		for i := range findings {
			if f := &findings[i]; f.TextSpan != nil && f.Item >= 0 && f.Item < len(items) && items[f.Item].Text != "" {
				f.TextSpan = []int{f.Start, f.End}
			}
		}
	}
	return items
}
