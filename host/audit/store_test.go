package audit_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/audit/audittest"
	"github.com/picketsec/picket/sdk"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func ev(tenant, id, typ, req, session string, at time.Time) *audit.Event {
	return &audit.Event{
		ID: id, Tenant: tenant, Type: typ, RequestID: req, SessionID: session,
		Identity: sdk.Identity{Login: "alice@example.com", UserAgent: "claude-cli/2.0"},
		Model:    "claude", Provider: "anthropic", APIFormat: "anthropic-messages", ReceivedAt: at,
		Items: []audit.Item{{Index: 0, Kind: sdk.KindPrompt, Origin: sdk.OriginRequest, New: true, Digest: "d0", Length: 5, Text: "hello"}},
		Spool: []byte("sealed-" + id),
	}
}

func result(decision string, would bool, lat time.Duration, fs ...audit.Finding) *audit.Result {
	r := &audit.Result{Decision: decision, WouldBlock: would, Mode: "enforce", Findings: fs, Latency: lat,
		EvaluatedAt: t0.Add(time.Hour),
		Detectors:   []audit.DetectorRun{{Detector: "secrets", Runtime: "builtin", Outcome: "ok", Duration: 300 * time.Microsecond, Findings: len(fs)}}}
	for _, f := range fs {
		if f.Suppressed == "" && f.Severity > r.MaxSeverity {
			r.MaxSeverity, r.Category = f.Severity, f.Category
		}
	}
	return r
}

func fnd(det, cat string, sev sdk.Severity, suppressed string) audit.Finding {
	return audit.Finding{Finding: sdk.Finding{Detector: det, Rule: det + "-rule", Category: cat, Severity: sev, Confidence: 0.5,
		Message: cat + " found", Redacted: "AKIA****", Fingerprint: "fp-" + det}, Action: "block", Suppressed: suppressed}
}

func mustRecord(t *testing.T, s audit.Store, e *audit.Event) {
	t.Helper()
	if _, dup, err := s.Record(testCtx(t), e); err != nil || dup {
		t.Fatalf("record %s: dup=%v err=%v", e.ID, dup, err)
	}
}

func mustComplete(t *testing.T, s audit.Store, id string, r *audit.Result) {
	t.Helper()
	if err := s.Complete(testCtx(t), id, r); err != nil {
		t.Fatalf("complete %s: %v", id, err)
	}
}

func TestRecordCompletePending(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		for i := 0; i < 3; i++ {
			mustRecord(t, s, ev("acme", fmt.Sprintf("e%d", i), sdk.EventEntireRequest, fmt.Sprintf("r%d", i), "s1", t0.Add(time.Duration(2-i)*time.Minute)))
		}
		p, err := s.Pending(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range p {
			ids = append(ids, e.ID)
			if string(e.Spool) != "sealed-"+e.ID {
				t.Errorf("pending %s spool = %q", e.ID, e.Spool)
			}
		}
		if diff := cmp.Diff([]string{"e2", "e1", "e0"}, ids); diff != "" {
			t.Fatalf("pending order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(ev("acme", "e2", sdk.EventEntireRequest, "r2", "s1", t0), p[0]); diff != "" {
			t.Errorf("pending event round trip (-want +got):\n%s", diff)
		}
		if p, _ := s.Pending(ctx, 1); len(p) != 1 {
			t.Errorf("pending limit 1 gave %d", len(p))
		}

		f := fnd("secrets", "secrets", sdk.SeverityCritical, "")
		res := result("block", true, 12*time.Millisecond, f, fnd("injection", "injection", sdk.SeverityLow, "below_threshold"))
		res.Items = []audit.Item{{Index: 0, Kind: sdk.KindPrompt, Digest: "d0", Length: 5, Text: "h****"}}
		mustComplete(t, s, "e1", res)
		p, _ = s.Pending(ctx, 10)
		if len(p) != 2 || p[0].ID != "e2" || p[1].ID != "e0" {
			t.Fatalf("pending after complete = %v", p)
		}
		d, err := s.GetEvent(ctx, "acme", "e1")
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != audit.StatusEvaluated || d.Result == nil || d.Result.Decision != "block" || !d.Result.WouldBlock {
			t.Fatalf("detail = %+v", d)
		}
		if d.Items[0].Text != "h****" {
			t.Errorf("items not replaced by the result's: %q", d.Items[0].Text)
		}
		want := append([]audit.Finding(nil), res.Findings...)
		for i := range want {
			want[i].Classify() // the taxonomy is filled when read
		}
		if diff := cmp.Diff(want, d.Result.Findings); diff != "" {
			t.Errorf("findings (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(res.Detectors, d.Result.Detectors); diff != "" {
			t.Errorf("detector runs (-want +got):\n%s", diff)
		}
		if d.Result.Latency != 12*time.Millisecond || !d.Result.EvaluatedAt.Equal(res.EvaluatedAt) || d.Result.MaxSeverity != sdk.SeverityCritical {
			t.Errorf("result = %+v", d.Result)
		}
		dump, err := audit.DumpAll(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(dump, []byte("sealed-e1")) || !bytes.Contains(dump, []byte("sealed-e0")) {
			t.Errorf("complete must drop the spool, and only its event's:\n%s", dump)
		}

		// A second Complete (re-evaluation) replaces the first.
		mustComplete(t, s, "e1", result("allow", false, time.Millisecond))
		d, _ = s.GetEvent(ctx, "acme", "e1")
		if d.Result.Decision != "allow" || len(d.Result.Findings) != 0 || d.Items[0].Text != "h****" {
			t.Errorf("re-complete: %+v", d.Result)
		}
		// A pending event has no result.
		d, err = s.GetEvent(ctx, "acme", "e0")
		if err != nil || d.Status != audit.StatusPending || d.Result != nil {
			t.Errorf("pending detail = %+v, %v", d, err)
		}
		if err := s.Complete(ctx, "nope", res); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("complete unknown = %v, want ErrNotFound", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
		// An event without an ID gets one.
		e := ev("acme", "", sdk.EventPreRequest, "", "", t0)
		id, _, err := s.Record(ctx, e)
		if err != nil || id == "" || id != e.ID {
			t.Errorf("record without id: %q %v", id, err)
		}
		if _, _, err := s.Record(ctx, ev("acme", "e0", sdk.EventPreRequest, "", "", t0)); err == nil {
			t.Error("recording an ID twice must fail")
		}
	})
}

func TestDedup(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		mustRecord(t, s, ev("acme", "a1", sdk.EventPreRequest, "req-1", "s", t0))
		cases := []struct {
			name   string
			ev     *audit.Event
			dup    bool
			wantID string
		}{
			{"same tenant type request", ev("acme", "a2", sdk.EventPreRequest, "req-1", "s", t0), true, "a1"},
			{"other type", ev("acme", "a3", sdk.EventEntireRequest, "req-1", "s", t0), false, "a3"},
			{"other tenant", ev("globex", "a4", sdk.EventPreRequest, "req-1", "s", t0), false, "a4"},
			{"empty request id", ev("acme", "a5", sdk.EventPreRequest, "", "s", t0), false, "a5"},
			{"empty request id again", ev("acme", "a6", sdk.EventPreRequest, "", "s", t0), false, "a6"},
		}
		for _, c := range cases {
			id, dup, err := s.Record(ctx, c.ev)
			if err != nil || dup != c.dup || id != c.wantID {
				t.Errorf("%s: id=%q dup=%v err=%v, want %q %v", c.name, id, dup, err, c.wantID, c.dup)
			}
		}
		// Racing duplicates: exactly one wins.
		var wg sync.WaitGroup
		var mu sync.Mutex
		ids := map[string]int{}
		news := 0
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				id, dup, err := s.Record(ctx, ev("acme", fmt.Sprintf("race%d", i), sdk.EventEntireRequest, "req-race", "s", t0))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("race %d: %v", i, err)
					return
				}
				ids[id]++
				if !dup {
					news++
				}
			}(i)
		}
		wg.Wait()
		if news != 1 || len(ids) != 1 {
			t.Errorf("racing duplicates: %d new, ids %v", news, ids)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		now := time.Now().UTC()
		a, err := audittest.Seed(ctx, s, "acme", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audittest.Seed(ctx, s, "globex", now); err != nil {
			t.Fatal(err)
		}
		for _, tenant := range []string{"acme", "globex", "initech"} {
			page, err := s.ListEvents(ctx, tenant, audit.EventFilter{Limit: audit.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			want := len(a.Events)
			if tenant == "initech" {
				want = 0
			}
			if len(page.Events) != want {
				t.Errorf("%s sees %d events, want %d", tenant, len(page.Events), want)
			}
			for _, e := range page.Events {
				if !strings.HasPrefix(e.ID, tenant+"-") {
					t.Errorf("%s sees %s", tenant, e.ID)
				}
			}
			sp, _ := s.ListSessions(ctx, tenant, audit.SessionFilter{})
			for _, se := range sp.Sessions {
				if !strings.HasPrefix(se.ID, tenant+"-") {
					t.Errorf("%s sees session %s", tenant, se.ID)
				}
			}
			fp, _ := s.ListFindings(ctx, tenant, audit.FindingFilter{IncludeSuppressed: true, Limit: audit.MaxLimit})
			for _, f := range fp.Findings {
				if !strings.HasPrefix(f.EventID, tenant+"-") {
					t.Errorf("%s sees finding of %s", tenant, f.EventID)
				}
			}
			st, err := s.Stats(ctx, tenant, audit.StatsQuery{Since: now.Add(-3 * time.Hour), Until: now.Add(time.Minute), Bucket: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if st.Totals.Events != want {
				t.Errorf("%s stats count %d events, want %d", tenant, st.Totals.Events, want)
			}
		}
		if _, err := s.GetEvent(ctx, "globex", a.Events[0]); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("globex reads acme's event: %v", err)
		}
		if _, err := s.GetSession(ctx, "globex", a.Sessions[0]); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("globex reads acme's session: %v", err)
		}
		if _, err := s.GetEvent(ctx, "acme", a.Events[0]); err != nil {
			t.Errorf("acme reads its own event: %v", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestEventFilters(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		type spec struct {
			id, typ, session, login string
			res                     *audit.Result // nil: pending
		}
		specs := []spec{
			{"f0", sdk.EventPreRequest, "s1", "alice", result("allow", false, time.Millisecond)},
			{"f1", sdk.EventPreRequest, "s1", "alice", result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityCritical, ""))},
			{"f2", sdk.EventEntireRequest, "s2", "bob", result("allow", true, time.Millisecond, fnd("injection", "injection", sdk.SeverityHigh, ""))},
			{"f3", sdk.EventToolCallEntireRequest, "s2", "bob", result("allow", false, time.Millisecond, fnd("commands", "command", sdk.SeverityMedium, ""))},
			{"f4", sdk.EventPreRequest, "s3", "carol", result("modify", false, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, ""))},
			{"f5", sdk.EventPreRequest, "s3", "carol", result("allow", false, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, "allowlist"))},
			{"f6", sdk.EventPreRequest, "s3", "carol", nil},
		}
		for i, sp := range specs {
			e := ev("acme", sp.id, sp.typ, "", sp.session, t0.Add(time.Duration(i)*time.Minute))
			e.Identity.Login = sp.login
			mustRecord(t, s, e)
			if sp.res != nil {
				mustComplete(t, s, sp.id, sp.res)
			}
		}
		cases := []struct {
			name string
			f    audit.EventFilter
			want []string // newest first
		}{
			{"all", audit.EventFilter{}, []string{"f6", "f5", "f4", "f3", "f2", "f1", "f0"}},
			{"session", audit.EventFilter{SessionID: "s2"}, []string{"f3", "f2"}},
			{"login", audit.EventFilter{Login: "carol"}, []string{"f6", "f5", "f4"}},
			{"type", audit.EventFilter{Type: sdk.EventEntireRequest}, []string{"f2"}},
			{"decision block", audit.EventFilter{Decision: "block"}, []string{"f1"}},
			{"decision allow", audit.EventFilter{Decision: "allow"}, []string{"f5", "f3", "f2", "f0"}},
			{"decision modify", audit.EventFilter{Decision: "modify"}, []string{"f4"}},
			{"decision pending", audit.EventFilter{Decision: "pending"}, []string{"f6"}},
			{"would block", audit.EventFilter{WouldBlock: ptr(true)}, []string{"f2", "f1"}},
			{"would not block", audit.EventFilter{WouldBlock: ptr(false)}, []string{"f5", "f4", "f3", "f0"}},
			{"detector", audit.EventFilter{Detector: "secrets"}, []string{"f4", "f1"}},
			{"category", audit.EventFilter{Category: "command"}, []string{"f3"}},
			{"min severity high", audit.EventFilter{MinSeverity: sdk.SeverityHigh}, []string{"f4", "f2", "f1"}},
			{"min severity critical", audit.EventFilter{MinSeverity: sdk.SeverityCritical}, []string{"f1"}},
			{"detector and severity", audit.EventFilter{Detector: "secrets", MinSeverity: sdk.SeverityCritical}, []string{"f1"}},
			{"since", audit.EventFilter{Since: t0.Add(4 * time.Minute)}, []string{"f6", "f5", "f4"}},
			{"until", audit.EventFilter{Until: t0.Add(2 * time.Minute)}, []string{"f1", "f0"}},
			{"range", audit.EventFilter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, []string{"f2", "f1"}},
			{"combined", audit.EventFilter{Login: "bob", WouldBlock: ptr(true), Category: "injection"}, []string{"f2"}},
			{"ascending", audit.EventFilter{Login: "alice", Ascending: true}, []string{"f0", "f1"}},
			{"none", audit.EventFilter{Login: "mallory"}, []string{}},
		}
		for _, c := range cases {
			page, err := s.ListEvents(ctx, "acme", c.f)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			got := []string{}
			for _, e := range page.Events {
				got = append(got, e.ID)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, diff)
			}
		}
		// Summaries carry the result.
		page, _ := s.ListEvents(ctx, "acme", audit.EventFilter{Decision: "block"})
		e := page.Events[0]
		if e.Status != audit.StatusEvaluated || e.Decision != "block" || !e.WouldBlock || e.Findings != 1 || e.MaxSeverity != sdk.SeverityCritical || e.Category != "secrets" {
			t.Errorf("summary = %+v", e)
		}
		page, _ = s.ListEvents(ctx, "acme", audit.EventFilter{Decision: "allow", Detector: "secrets"})
		if len(page.Events) != 0 {
			t.Errorf("a suppressed finding must not match a detector filter: %+v", page.Events)
		}
		var qe *audit.QueryError
		if _, err := s.ListEvents(ctx, "acme", audit.EventFilter{Decision: "maybe"}); !errors.As(err, &qe) || qe.Param != "decision" {
			t.Errorf("bad decision: %v", err)
		}
	})
}

func TestPagination(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		var want []string
		for i := 0; i < 23; i++ {
			// Pairs share a timestamp: the ID breaks the tie.
			id := fmt.Sprintf("p%02d", i)
			mustRecord(t, s, ev("acme", id, sdk.EventPreRequest, "", fmt.Sprintf("sess%02d", i%5), t0.Add(time.Duration(i/2)*time.Second)))
			mustComplete(t, s, id, result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, ""), fnd("commands", "command", sdk.SeverityLow, "")))
			want = append(want, id)
		}
		mustRecord(t, s, ev("globex", "other", sdk.EventPreRequest, "", "sess00", t0))
		for _, asc := range []bool{false, true} {
			var got []string
			cur := ""
			pages := 0
			for {
				page, err := s.ListEvents(ctx, "acme", audit.EventFilter{Limit: 5, Cursor: cur, Ascending: asc})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, e := range page.Events {
					got = append(got, e.ID)
				}
				if page.Next == "" {
					break
				}
				cur = page.Next
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
			}
			w := append([]string(nil), want...)
			if !asc {
				sort.Sort(sort.Reverse(sort.StringSlice(w)))
			}
			if diff := cmp.Diff(w, got); diff != "" || pages != 5 {
				t.Errorf("ascending=%v: %d pages (-want +got):\n%s", asc, pages, diff)
			}
		}
		// An exact multiple of the limit ends without an empty page.
		page, _ := s.ListEvents(ctx, "acme", audit.EventFilter{Limit: 23})
		if page.Next != "" || len(page.Events) != 23 {
			t.Errorf("full page: next=%q n=%d", page.Next, len(page.Events))
		}
		// Sessions and findings paginate too.
		var sessions []string
		cur := ""
		for i := 0; i < 5; i++ {
			sp, err := s.ListSessions(ctx, "acme", audit.SessionFilter{Limit: 2, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			for _, se := range sp.Sessions {
				sessions = append(sessions, se.ID)
			}
			if cur = sp.Next; cur == "" {
				break
			}
		}
		if diff := cmp.Diff([]string{"sess02", "sess01", "sess00", "sess04", "sess03"}, sessions); diff != "" {
			t.Errorf("sessions (-want +got):\n%s", diff)
		}
		n := 0
		seen := map[string]bool{}
		cur = ""
		for i := 0; i < 20; i++ {
			fp, err := s.ListFindings(ctx, "acme", audit.FindingFilter{Limit: 7, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fp.Findings {
				k := f.EventID + "/" + f.Detector
				if seen[k] {
					t.Errorf("finding %s twice", k)
				}
				seen[k] = true
				n++
			}
			if cur = fp.Next; cur == "" {
				break
			}
		}
		if n != 46 {
			t.Errorf("paged through %d findings, want 46", n)
		}
		for _, c := range []struct {
			f     audit.EventFilter
			param string
		}{
			{audit.EventFilter{Cursor: "!!not-base64"}, "cursor"},
			{audit.EventFilter{Cursor: "e30"}, "cursor"}, // "{}"
			{audit.EventFilter{Limit: -1}, "limit"},
			{audit.EventFilter{Limit: audit.MaxLimit + 1}, "limit"},
		} {
			_, err := s.ListEvents(ctx, "acme", c.f)
			var qe *audit.QueryError
			if !errors.As(err, &qe) || qe.Param != c.param || !errors.Is(err, audit.ErrBadQuery) {
				t.Errorf("%+v: err %v, want a bad %s", c.f, err, c.param)
			}
		}
	})
}

func TestSessions(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		now := time.Now().UTC().Truncate(time.Second)
		seeded, err := audittest.Seed(ctx, s, "acme", now)
		if err != nil {
			t.Fatal(err)
		}
		sp, err := s.ListSessions(ctx, "acme", audit.SessionFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(sp.Sessions) != 3 {
			t.Fatalf("sessions = %+v", sp.Sessions)
		}
		byID := map[string]audit.SessionSummary{}
		for _, se := range sp.Sessions {
			byID[se.ID] = se
		}
		alice := byID["acme-sess-claude-alice"]
		if alice.Login != "alice@example.com" || alice.UserAgent != "claude-cli/2.0.14 (external, cli)" || alice.Requests != 5 ||
			alice.Blocked != 2 || alice.WouldBlock != 0 || alice.MaxSeverity != sdk.SeverityCritical || alice.LastDecision != "allow" ||
			alice.Findings != 3 || alice.Duration <= 0 || !alice.LastSeen.Equal(alice.Started.Add(alice.Duration)) {
			t.Errorf("alice = %+v", alice)
		}
		bob := byID["acme-sess-codex-bob"]
		if bob.WouldBlock != 2 || bob.Blocked != 0 || bob.Findings != 2 || bob.MaxSeverity != sdk.SeverityHigh {
			t.Errorf("bob = %+v", bob)
		}
		if carol := byID["acme-sess-gemini-carol"]; carol.LastDecision != audit.StatusPending {
			t.Errorf("carol last decision = %q", carol.LastDecision)
		}
		if sp.Sessions[0].ID != "acme-sess-gemini-carol" {
			t.Errorf("most recent first: %s", sp.Sessions[0].ID)
		}
		sp, _ = s.ListSessions(ctx, "acme", audit.SessionFilter{Login: "bob@example.com"})
		if len(sp.Sessions) != 1 || sp.Sessions[0].ID != "acme-sess-codex-bob" {
			t.Errorf("login filter: %+v", sp.Sessions)
		}
		// Agent (a prefix of the user agent), risk and time, alone and
		// together, in both orders.
		for name, c := range map[string]struct {
			f    audit.SessionFilter
			want []string
		}{
			"agent family":   {audit.SessionFilter{Agent: "claude-cli"}, []string{"acme-sess-claude-alice"}},
			"agent version":  {audit.SessionFilter{Agent: "codex_cli_rs/0.46"}, []string{"acme-sess-codex-bob"}},
			"agent unknown":  {audit.SessionFilter{Agent: "cursor"}, nil},
			"critical risk":  {audit.SessionFilter{MinRisk: 50}, []string{"acme-sess-claude-alice"}},
			"high risk":      {audit.SessionFilter{MinRisk: 40, Sort: audit.SortRisk}, []string{"acme-sess-claude-alice", "acme-sess-codex-bob", "acme-sess-gemini-carol"}},
			"quarantined":    {audit.SessionFilter{MinRisk: 100}, nil},
			"risk and agent": {audit.SessionFilter{MinRisk: 40, Agent: "Gemini"}, []string{"acme-sess-gemini-carol"}},
			"until":          {audit.SessionFilter{Until: alice.Started.Add(time.Nanosecond)}, []string{"acme-sess-claude-alice"}},
			"since":          {audit.SessionFilter{Since: alice.LastSeen.Add(time.Nanosecond), Sort: audit.SortRisk}, []string{"acme-sess-codex-bob", "acme-sess-gemini-carol"}},
		} {
			sp, err := s.ListSessions(ctx, "acme", c.f)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var got []string
			for _, se := range sp.Sessions {
				got = append(got, se.ID)
			}
			if c.f.Sort != audit.SortRisk {
				slices.Sort(got)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: sessions %v, want %v", name, got, c.want)
			}
		}
		if _, err := s.ListSessions(ctx, "acme", audit.SessionFilter{MinRisk: -1}); !errors.Is(err, audit.ErrBadQuery) {
			t.Errorf("negative min risk: %v", err)
		}
		d, err := s.GetSession(ctx, "acme", "acme-sess-claude-alice")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 5 || d.Requests != 5 || d.Truncated {
			t.Fatalf("timeline has %d events", len(d.Events))
		}
		for i := 1; i < len(d.Events); i++ {
			if d.Events[i].ReceivedAt.Before(d.Events[i-1].ReceivedAt) {
				t.Errorf("timeline not oldest first at %d", i)
			}
		}
		blocked := d.Events[1]
		if blocked.ID != seeded.Events[1] || blocked.Result == nil || blocked.Result.Decision != "block" || len(blocked.Result.Findings) != 1 ||
			blocked.Result.Findings[0].Redacted != "AKIA************" || len(blocked.Items) != 2 || len(blocked.Result.Detectors) != 3 {
			t.Errorf("timeline event = %+v", blocked)
		}
		if _, err := s.GetSession(ctx, "acme", "nope"); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("unknown session: %v", err)
		}
		if _, err := s.GetSession(ctx, "acme", ""); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("empty session: %v", err)
		}
		// Findings list: the threats page.
		fp, err := s.ListFindings(ctx, "acme", audit.FindingFilter{Category: "secrets"})
		if err != nil {
			t.Fatal(err)
		}
		if len(fp.Findings) != 3 {
			t.Errorf("secrets findings = %d, want 3 (one is allowlisted)", len(fp.Findings))
		}
		fp, _ = s.ListFindings(ctx, "acme", audit.FindingFilter{Category: "secrets", IncludeSuppressed: true})
		if len(fp.Findings) != 4 {
			t.Errorf("with suppressed = %d, want 4", len(fp.Findings))
		}
		// The tool facet: findings in a call to or a result of a tool.
		fp, _ = s.ListFindings(ctx, "acme", audit.FindingFilter{Tool: "Bash"})
		if len(fp.Findings) != 2 || fp.Findings[0].Tool != "Bash" || fp.Findings[0].Category != "command" || fp.Findings[0].UserAgent != "claude-cli/2.0.14 (external, cli)" {
			t.Errorf("Bash findings = %+v", fp.Findings)
		}
		fp, _ = s.ListFindings(ctx, "acme", audit.FindingFilter{Tool: "read_file", Category: "secrets"})
		if len(fp.Findings) != 1 || fp.Findings[0].Rule != "github-pat" {
			t.Errorf("read_file secrets = %+v", fp.Findings)
		}
		fp, _ = s.ListFindings(ctx, "acme", audit.FindingFilter{Category: "secrets", SessionID: "acme-sess-claude-alice"})
		if len(fp.Findings) != 1 || fp.Findings[0].Tool != "" {
			t.Errorf("a prompt's finding names no tool: %+v", fp.Findings)
		}
		fp, _ = s.ListFindings(ctx, "acme", audit.FindingFilter{MinSeverity: sdk.SeverityCritical, SessionID: "acme-sess-claude-alice"})
		if len(fp.Findings) != 2 || fp.Findings[0].Login != "alice@example.com" || fp.Findings[0].Decision != "block" {
			t.Errorf("critical findings of alice = %+v", fp.Findings)
		}
	})
}

func TestStats(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		// Bucket 0: 10 allowed events, latencies 1..10ms. Bucket 1: a block
		// (secrets), a would-block (injection, monitor), a modify (secrets)
		// and a pending event. Bucket 2: empty.
		n := 0
		rec := func(at time.Time, r *audit.Result) {
			id := fmt.Sprintf("st%02d", n)
			n++
			mustRecord(t, s, ev("acme", id, sdk.EventPreRequest, "", "s", at))
			if r != nil {
				mustComplete(t, s, id, r)
			}
		}
		for i := 1; i <= 10; i++ {
			rec(t0.Add(time.Duration(i)*time.Minute), result("allow", false, time.Duration(i)*time.Millisecond))
		}
		rec(t0.Add(time.Hour+time.Minute), result("block", true, 40*time.Millisecond, fnd("secrets", "secrets", sdk.SeverityCritical, ""), fnd("secrets", "secrets", sdk.SeverityHigh, "")))
		rec(t0.Add(time.Hour+2*time.Minute), result("allow", true, 20*time.Millisecond, fnd("injection", "injection", sdk.SeverityHigh, "")))
		rec(t0.Add(time.Hour+3*time.Minute), result("modify", false, 30*time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, ""), fnd("commands", "command", sdk.SeverityLow, "below_threshold")))
		rec(t0.Add(time.Hour+4*time.Minute), nil)
		rec(t0.Add(-time.Minute), result("allow", false, time.Second)) // outside the range

		st, err := s.Stats(ctx, "acme", audit.StatsQuery{Since: t0, Until: t0.Add(3 * time.Hour), Bucket: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Buckets) != 3 {
			t.Fatalf("%d buckets", len(st.Buckets))
		}
		b0, b1, b2 := st.Buckets[0], st.Buckets[1], st.Buckets[2]
		if !b0.Start.Equal(t0) || !b1.Start.Equal(t0.Add(time.Hour)) {
			t.Errorf("bucket starts %v %v", b0.Start, b1.Start)
		}
		if b0.Events != 10 || b0.Allowed != 10 || b0.LatencyP50 != 5*time.Millisecond || b0.LatencyP99 != 10*time.Millisecond {
			t.Errorf("bucket 0 = %+v", b0)
		}
		want1 := audit.StatsBucket{Start: b1.Start, Events: 4, Allowed: 1, Blocked: 1, Modified: 1, WouldBlock: 1, Pending: 1,
			Categories: map[string]audit.CategoryCounts{
				"secrets":   {Events: 2, Blocked: 1, Modified: 1},
				"injection": {Events: 1, Allowed: 1, WouldBlock: 1},
			},
			LatencyP50: 30 * time.Millisecond, LatencyP99: 40 * time.Millisecond}
		if diff := cmp.Diff(want1, b1); diff != "" {
			t.Errorf("bucket 1 (-want +got):\n%s", diff)
		}
		if b2.Events != 0 || len(b2.Categories) != 0 {
			t.Errorf("bucket 2 = %+v", b2)
		}
		if st.Totals.Events != 14 || st.Totals.Blocked != 1 || st.Totals.LatencyP50 != 7*time.Millisecond || st.Totals.LatencyP99 != 40*time.Millisecond {
			t.Errorf("totals = %+v", st.Totals)
		}
		if diff := cmp.Diff([]string{"injection", "secrets"}, st.Categories); diff != "" {
			t.Errorf("categories (-want +got):\n%s", diff)
		}
		// Unaligned range: buckets are aligned on the epoch.
		st, err = s.Stats(ctx, "acme", audit.StatsQuery{Since: t0.Add(30 * time.Minute), Until: t0.Add(90 * time.Minute), Bucket: time.Hour})
		if err != nil || len(st.Buckets) != 2 || st.Buckets[0].Events != 0 || st.Buckets[1].Events != 4 || !st.Buckets[0].Start.Equal(t0) {
			t.Errorf("unaligned: %v %+v", err, st)
		}
		for _, c := range []struct {
			q     audit.StatsQuery
			param string
		}{
			{audit.StatsQuery{Since: t0, Until: t0}, "since"},
			{audit.StatsQuery{Since: t0, Until: t0.Add(time.Hour), Bucket: time.Millisecond}, "bucket"},
			{audit.StatsQuery{Since: t0, Until: t0.Add(24 * time.Hour), Bucket: time.Second}, "bucket"},
		} {
			var qe *audit.QueryError
			if _, err := s.Stats(ctx, "acme", c.q); !errors.As(err, &qe) || qe.Param != c.param {
				t.Errorf("%+v: %v, want bad %s", c.q, err, c.param)
			}
		}
	})
}

func count(t *testing.T, s audit.Store, tenant string) int {
	t.Helper()
	p, err := s.ListEvents(testCtx(t), tenant, audit.EventFilter{Limit: audit.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Events)
}

func TestRetention(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		now := time.Now()
		for i := 0; i < 20; i++ {
			id := fmt.Sprintf("r%02d", i)
			tenant := []string{"acme", "globex"}[i%2]
			mustRecord(t, s, ev(tenant, id, sdk.EventPreRequest, "", "s", now.Add(-time.Duration(20-i)*time.Hour)))
			mustComplete(t, s, id, result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, "")))
		}
		// By age: the ones older than 15h (r00..r04) go.
		n, err := s.Prune(ctx, now.Add(-15*time.Hour-time.Minute), 0)
		if err != nil || n != 5 {
			t.Fatalf("prune by age: %d, %v", n, err)
		}
		if got := count(t, s, "acme") + count(t, s, "globex"); got != 15 {
			t.Errorf("%d left, want 15", got)
		}
		// By size: keep the newest 6, across tenants.
		n, err = s.Prune(ctx, time.Time{}, 6)
		if err != nil || n != 9 {
			t.Fatalf("prune by size: %d, %v", n, err)
		}
		p, _ := s.ListEvents(ctx, "acme", audit.EventFilter{Ascending: true})
		if len(p.Events) != 3 || p.Events[0].ID != "r14" {
			t.Errorf("acme after prune: %+v", p.Events)
		}
		// Findings and runs went with their events.
		dump, _ := audit.DumpAll(ctx, s)
		dump = append([]byte("\n"), dump...)
		if c := bytes.Count(dump, []byte("\nfindings:")); c != 6 {
			t.Errorf("%d findings rows left, want 6", c)
		}
		if c := bytes.Count(dump, []byte("\ndetector_runs:")); c != 6 {
			t.Errorf("%d detector_runs rows left, want 6", c)
		}
		if n, err := s.Prune(ctx, time.Time{}, 6); err != nil || n != 0 {
			t.Errorf("prune again: %d, %v", n, err)
		}
		// The background loop.
		stop := audit.StartRetention(ctx, s, audit.RetentionPolicy{MaxEvents: 2, Every: 20 * time.Millisecond}, nil)
		deadline := time.Now().Add(10 * time.Second)
		for count(t, s, "acme")+count(t, s, "globex") > 2 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		stop()
		stop()
		if got := count(t, s, "acme") + count(t, s, "globex"); got != 2 {
			t.Errorf("retention loop left %d events, want 2", got)
		}
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	forEachConfig(t, func(t *testing.T, cfg audit.Config) {
		ctx := testCtx(t)
		s, err := audit.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		mustRecord(t, s, ev("acme", "m1", sdk.EventPreRequest, "req", "s", t0))
		_ = s.Close()
		for i := 0; i < 2; i++ {
			s = openStore(t, cfg)
			v, err := audit.SchemaVersion(ctx, s)
			if err != nil || v < 1 {
				t.Fatalf("schema version %d, %v", v, err)
			}
			if got := count(t, s, "acme"); got != 1 {
				t.Errorf("reopen %d: %d events", i, got)
			}
			dump, _ := audit.DumpAll(ctx, s)
			// One row per migration file (numbers need not be contiguous:
			// work on separate branches takes separate numbers).
			files, err := os.ReadDir(filepath.Join("migrations", cfg.Driver))
			if err != nil {
				t.Fatal(err)
			}
			if c := bytes.Count(dump, []byte("schema_migrations:")); c != len(files) {
				t.Errorf("%d migration rows for %d migrations (version %d)", c, len(files), v)
			}
			_ = s.Close()
		}
	})
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	forEachConfig(t, func(t *testing.T, cfg audit.Config) {
		ctx := testCtx(t)
		// Two stores on one database: two replicas (PostgreSQL) or two
		// handles in one process (SQLite), opened at once.
		var stores [2]audit.Store
		var wg sync.WaitGroup
		for i := range stores {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				s, err := audit.Open(ctx, cfg)
				if err != nil {
					t.Errorf("open %d: %v", i, err)
					return
				}
				stores[i] = s
			}(i)
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		defer stores[0].Close()
		defer stores[1].Close()
		const writers, each = 8, 15
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				s := stores[w%2]
				for i := 0; i < each; i++ {
					id := fmt.Sprintf("w%d-%02d", w, i)
					if _, _, err := s.Record(ctx, ev("acme", id, sdk.EventPreRequest, id, fmt.Sprintf("s%d", w), t0.Add(time.Duration(i)*time.Second))); err != nil {
						t.Errorf("record %s: %v", id, err)
						return
					}
					if err := s.Complete(ctx, id, result("allow", false, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityLow, ""))); err != nil {
						t.Errorf("complete %s: %v", id, err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		st, err := stores[0].Stats(ctx, "acme", audit.StatsQuery{Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour), Bucket: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if st.Totals.Events != writers*each || st.Totals.Allowed != writers*each || st.Totals.Categories["secrets"].Events != writers*each {
			t.Errorf("after concurrent writes: %+v", st.Totals)
		}
		if p, _ := stores[1].Pending(ctx, 1000); len(p) != 0 {
			t.Errorf("%d pending", len(p))
		}
	})
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	for _, c := range []audit.Config{
		{Driver: "mysql", DSN: "x"},
		{Driver: "sqlite"},
		{Driver: "postgres", DSN: "postgres://u:hunter2secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=1"},
		{Driver: "postgres", DSN: "::not a dsn hunter2secret"},
	} {
		_, err := audit.Open(ctx, c)
		if err == nil {
			t.Errorf("%+v: opened", c)
			continue
		}
		if strings.Contains(err.Error(), "hunter2secret") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
	// ":memory:" works for quick tests.
	s := openStore(t, audit.Config{DSN: ":memory:"})
	mustRecord(t, s, ev("acme", "m", sdk.EventPreRequest, "", "", t0))
	if got := count(t, s, "acme"); got != 1 {
		t.Errorf("memory store has %d events", got)
	}
}

// TestDumpAll checks that the dump shows stored text as it is (no JSON or
// HTML escaping), so that a test searching it for a secret finds one.
func TestDumpAll(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		e := ev("acme", "d1", sdk.EventPreRequest, "", "s", t0)
		e.Items[0].Text = `token=abc&def<ghi>"quoted" ünïcode`
		e.Spool = []byte("unsealed-spool-secret")
		mustRecord(t, s, e)
		dump, err := audit.DumpAll(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"token=abc&def<ghi>", "ünïcode", "unsealed-spool-secret", "events: id=\"d1\"", "schema_migrations:"} {
			if !bytes.Contains(dump, []byte(want)) {
				t.Errorf("dump lacks %q:\n%s", want, dump)
			}
		}
	})
}

// TestSessionRollup checks the sessions table against a recomputation from
// the events after every kind of write, and its backfill by migration 2.
func TestSessionRollup(t *testing.T) {
	t.Parallel()
	forEachConfig(t, func(t *testing.T, cfg audit.Config) {
		ctx := testCtx(t)
		s := openStore(t, cfg)
		check := func(step string) {
			t.Helper()
			if err := audit.CheckSessions(ctx, s); err != nil {
				t.Fatalf("after %s: %v", step, err)
			}
		}
		now := time.Now().UTC()
		if _, err := audittest.Seed(ctx, s, "acme", now); err != nil {
			t.Fatal(err)
		}
		check("seed")
		// Out-of-order arrival: an older event after newer ones.
		e := ev("acme", "late", sdk.EventEntireRequest, "", "acme-sess-codex-bob", now.Add(-5*time.Hour))
		e.Identity.Login = "zed@example.com"
		mustRecord(t, s, e)
		check("late record")
		mustComplete(t, s, "late", result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityCritical, "")))
		check("late complete")
		// A second result for an event lowers its counts.
		mustComplete(t, s, "late", result("allow", false, time.Millisecond))
		check("re-complete")
		// Same timestamp, greater ID: becomes the last event.
		d, _ := s.GetSession(ctx, "acme", "acme-sess-claude-alice")
		last := d.Events[len(d.Events)-1]
		mustRecord(t, s, ev("acme", last.ID+"z", sdk.EventPreRequest, "", "acme-sess-claude-alice", last.ReceivedAt))
		check("tie")
		d2, _ := s.GetSession(ctx, "acme", "acme-sess-claude-alice")
		if d2.LastDecision != audit.StatusPending || d2.Requests != d.Requests+1 {
			t.Errorf("after a tie: %+v", d2.SessionSummary)
		}
		// Pruning recounts, and drops emptied sessions.
		if _, err := s.Prune(ctx, now.Add(-100*time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		check("prune by age")
		if _, err := s.Prune(ctx, time.Time{}, 3); err != nil {
			t.Fatal(err)
		}
		check("prune by size")
		page, _ := s.ListSessions(ctx, "acme", audit.SessionFilter{})
		if len(page.Sessions) != 1 || page.Sessions[0].Requests != 3 {
			t.Errorf("after pruning to 3 events: %+v", page.Sessions)
		}

		// Migration 2 backfills the rollup of a trail written before it.
		if _, err := audittest.Seed(ctx, s, "globex", now); err != nil {
			t.Fatal(err)
		}
		before, _ := s.ListSessions(ctx, "globex", audit.SessionFilter{})
		if err := audit.ExecRaw(ctx, s, `DROP TABLE sessions; DROP INDEX events_stats; DELETE FROM schema_migrations WHERE version = 2`); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		s = openStore(t, cfg)
		check("backfill")
		after, _ := s.ListSessions(ctx, "globex", audit.SessionFilter{})
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("backfilled sessions differ (-before +after):\n%s", diff)
		}
	})
}

func TestInstrument(t *testing.T) {
	t.Parallel()
	s := openStore(t, audit.Config{DSN: ":memory:"})
	var mu sync.Mutex
	ops := map[string]int{}
	is := audit.Instrument(s, func(op string, d time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if d < 0 {
			t.Errorf("%s: negative duration", op)
		}
		if err != nil {
			op += " error"
		}
		ops[op]++
	})
	ctx := testCtx(t)
	mustRecord(t, is, ev("acme", "i1", sdk.EventPreRequest, "", "s", t0))
	mustComplete(t, is, "i1", result("allow", false, time.Millisecond))
	_, _ = is.GetEvent(ctx, "acme", "nope")
	_, _ = is.ListEvents(ctx, "acme", audit.EventFilter{})
	_, _ = is.Stats(ctx, "acme", audit.StatsQuery{Since: t0, Until: t0.Add(time.Hour)})
	if _, err := audit.DumpAll(ctx, is); err != nil {
		t.Errorf("DumpAll through Instrument: %v", err)
	}
	if v, err := audit.SchemaVersion(ctx, is); err != nil || v < 2 {
		t.Errorf("SchemaVersion through Instrument: %d %v", v, err)
	}
	want := map[string]int{"record": 1, "complete": 1, "get_event error": 1, "list_events": 1, "stats": 1}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("observed (-want +got):\n%s", diff)
	}
}

// TestFindingToolBackfill: migration 20 gives the findings written before
// it the tool of their item, as Complete does for new ones.
func TestFindingToolBackfill(t *testing.T) {
	t.Parallel()
	forEachConfig(t, func(t *testing.T, cfg audit.Config) {
		ctx := testCtx(t)
		s := openStore(t, cfg)
		if _, err := audittest.Seed(ctx, s, "acme", time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		tools := func() map[string]int {
			t.Helper()
			fp, err := s.ListFindings(ctx, "acme", audit.FindingFilter{IncludeSuppressed: true, Limit: audit.MaxLimit})
			if err != nil {
				t.Fatal(err)
			}
			m := map[string]int{}
			for _, f := range fp.Findings {
				m[f.Tool]++
			}
			return m
		}
		before := tools()
		if want := map[string]int{"": 4, "Bash": 2, "WebFetch": 1, "shell": 1, "read_file": 1}; !maps.Equal(before, want) {
			t.Errorf("tools of the seeded findings = %v, want %v", before, want)
		}
		if err := audit.ExecRaw(ctx, s, `UPDATE findings SET tool = ''; DELETE FROM schema_migrations WHERE version = 20; DROP INDEX findings_tool; ALTER TABLE findings DROP COLUMN tool`); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		s = openStore(t, cfg)
		if after := tools(); !maps.Equal(before, after) {
			t.Errorf("backfilled tools %v, want %v", after, before)
		}
	})
}
