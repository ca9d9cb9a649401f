package audit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

func TestTriageMarksAreKeptAndFilterable(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		for i, id := range []string{"t0", "t1", "t2"} {
			mustRecord(t, s, ev("acme", id, sdk.EventEntireRequest, "", "s", t0.Add(time.Duration(i)*time.Second)))
			f := fnd("secrets", "secrets", sdk.SeverityHigh, "")
			f.Fingerprint = "fp-" + id
			mustComplete(t, s, id, result("block", true, time.Millisecond, f, fnd("commands", "command", sdk.SeverityHigh, "")))
		}
		mustRecord(t, s, ev("globex", "g0", sdk.EventEntireRequest, "", "s", t0))

		mark := func(tenant, id string, finding int, state, who, note string) (*audit.Triage, error) {
			return audit.MarkTriage(ctx, s, tenant, audit.Triage{EventID: id, Finding: finding, State: state, Actor: who, Note: note})
		}
		if _, err := mark("acme", "t0", 0, audit.TriageAcknowledged, "alice", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := mark("acme", "t0", 0, audit.TriageFalsePositive, "bob", "test fixture\nnot a key"); err != nil {
			t.Fatal(err)
		}
		if _, err := mark("acme", "t1", -1, audit.TriageEscalated, "alice", "ticket SEC-1"); err != nil {
			t.Fatal(err)
		}
		// Bad marks.
		var te *audit.TriageError
		for name, err := range map[string]error{
			"bad state":    func() error { _, err := mark("acme", "t0", 0, "ignored", "a", ""); return err }(),
			"no actor":     func() error { _, err := mark("acme", "t0", 0, audit.TriageEscalated, "  ", ""); return err }(),
			"no finding 9": func() error { _, err := mark("acme", "t0", 9, audit.TriageEscalated, "a", ""); return err }(),
		} {
			if !errors.As(err, &te) {
				t.Errorf("%s: %v, want a TriageError", name, err)
			}
		}
		if _, err := mark("globex", "t0", 0, audit.TriageEscalated, "mallory", ""); !errors.Is(err, audit.ErrNotFound) {
			t.Errorf("another tenant's event: %v, want ErrNotFound", err)
		}

		hist, err := audit.TriageOf(ctx, s, "acme", "t0")
		if err != nil || len(hist) != 2 || hist[0].Actor != "alice" || hist[1].State != audit.TriageFalsePositive || hist[1].At.IsZero() {
			t.Fatalf("history: %+v %v", hist, err)
		}
		count := func(state string) int {
			t.Helper()
			p, err := s.ListFindings(ctx, "acme", audit.FindingFilter{Triage: state, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Findings)
		}
		// t0#0 false positive; t1's two findings escalated by the event mark.
		if fp, esc, ack, un := count("false_positive"), count("escalated"), count("acknowledged"), count("untriaged"); fp != 1 || esc != 2 || ack != 0 || un != 3 {
			t.Errorf("by state: fp %d, escalated %d, acknowledged %d, untriaged %d", fp, esc, ack, un)
		}
		if _, err := s.ListFindings(ctx, "acme", audit.FindingFilter{Triage: "bogus"}); err == nil {
			t.Error("a bad triage filter was accepted")
		}
		p, _ := s.ListFindings(ctx, "acme", audit.FindingFilter{Triage: "false_positive", Limit: 10})
		if p.Findings[0].Triage != audit.TriageFalsePositive || p.Findings[0].EventID != "t0" {
			t.Errorf("row: %+v", p.Findings[0])
		}
		ep, err := s.ListEvents(ctx, "acme", audit.EventFilter{Triage: "escalated", Limit: 10})
		if err != nil || len(ep.Events) != 1 || ep.Events[0].ID != "t1" {
			t.Errorf("events escalated: %+v %v", ep, err)
		}
		// Taken back.
		if _, err := mark("acme", "t1", -1, audit.TriageOpen, "alice", "wrong event"); err != nil {
			t.Fatal(err)
		}
		if n := count("escalated"); n != 0 {
			t.Errorf("escalated after open: %d", n)
		}

		fps, err := audit.FalsePositives(ctx, s, "acme")
		if err != nil || len(fps) != 1 || fps[0].Fingerprint != "fp-t0" || fps[0].Actor != "bob" {
			t.Fatalf("false positives: %+v %v", fps, err)
		}
		entry, ok := audit.AllowlistEntry(fps[0])
		if !ok || !strings.Contains(entry, `detector "secrets" {`) || !strings.Contains(entry, `allow_fingerprints = ["fp-t0"]`) ||
			!strings.Contains(entry, "# false positive: secrets/secrets-rule in event t0, marked by bob on ") || !strings.Contains(entry, ": test fixture not a key\n") {
			t.Errorf("entry:\n%s", entry)
		}
		if other, _ := audit.FalsePositives(ctx, s, "globex"); len(other) != 0 {
			t.Errorf("globex sees acme's false positives: %+v", other)
		}
	})
}

func TestBreakdownByAgentAndTool(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		mk := func(id, ua, tool, decision string, would bool, lat time.Duration) {
			e := ev("acme", id, sdk.EventEntireRequest, "", "s", t0)
			e.Identity.UserAgent = ua
			if tool != "" {
				e.Items = append(e.Items, audit.Item{Index: 1, Kind: sdk.KindToolCall, Tool: tool, Digest: "d1"},
					audit.Item{Index: 2, Kind: sdk.KindToolResult, Tool: tool, Digest: "d2"})
			}
			mustRecord(t, s, e)
			mustComplete(t, s, id, result(decision, would, lat))
		}
		for i := 0; i < 10; i++ {
			mk(fmt.Sprintf("c%d", i), "claude-cli/2.0."+fmt.Sprint(i)+" (external, cli)", "Bash", map[bool]string{true: "block", false: "allow"}[i < 2], false, time.Duration(i+1)*time.Millisecond)
		}
		mk("x0", "codex_cli_rs/0.46.0", "shell", "allow", true, 50*time.Millisecond)
		mk("x1", "codex_cli_rs/0.46.0", "", "allow", false, 70*time.Millisecond)
		mustRecord(t, s, ev("acme", "pending", sdk.EventEntireRequest, "", "s", t0)) // not evaluated: not counted
		b, err := audit.TenantBreakdown(ctx, s, "acme", t0.Add(-time.Hour), t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Agents) != 2 || b.Agents[0].Name != "claude-cli" || b.Agents[0].Events != 10 || b.Agents[0].Blocked != 2 ||
			b.Agents[0].BlockRate != 0.2 || b.Agents[0].P50 != 5*time.Millisecond || b.Agents[0].P95 != 10*time.Millisecond {
			t.Errorf("agents: %+v", b.Agents)
		}
		if b.Agents[1].Name != "codex_cli_rs" || b.Agents[1].WouldBlock != 1 || b.Agents[1].BlockRate != 0.5 {
			t.Errorf("codex: %+v", b.Agents[1])
		}
		if len(b.Tools) != 2 || b.Tools[0].Name != "Bash" || b.Tools[0].Events != 10 || b.Tools[1].Name != "shell" || b.Tools[1].Events != 1 {
			t.Errorf("tools: %+v", b.Tools)
		}
		if other, _ := audit.TenantBreakdown(ctx, s, "globex", t0.Add(-time.Hour), t0.Add(time.Hour)); len(other.Agents) != 0 {
			t.Errorf("globex sees acme: %+v", other)
		}
	})
}
