package audit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/audit/audittest"
	"github.com/picketsec/picket/sdk"
)

// On PostgreSQL CompleteClaimed writes a batch with set-based statements
// in a few pipelines (complete_pg.go). The same events, claimed and
// completed in the same batches with the same results and session memory,
// must leave every table as the statement-by-statement path leaves it:
// results, findings and their tools, detector runs, session counts, chain
// links (hashes included), and session memory with its counters, bounds,
// drops and quarantine.
func TestCompleteClaimedPipelinedMatchesOneByOne(t *testing.T) {
	t.Parallel()
	piped := openStore(t, audittest.PostgresConfig(t))
	single := openStore(t, audittest.PostgresConfig(t))
	audit.CompleteOneByOne(single)
	ctx := testCtx(t)

	const n = 45
	type event struct {
		e   *audit.Event
		res *audit.Result
		up  *audit.MemoryUpdate
	}
	var evs []event
	for i := range n {
		tenant, session := "acme", fmt.Sprintf("s%d", i%3)
		if i%5 == 4 {
			tenant, session = "beta", "b1"
		}
		if i%9 == 8 {
			session = "" // no session
		}
		id := fmt.Sprintf("e%03d", i)
		at := t0.Add(time.Duration(i) * time.Millisecond)
		e := ev(tenant, id, sdk.EventEntireRequest, "req-"+id, session, at)
		e.Items = append(e.Items, audit.Item{Index: 1, Kind: sdk.KindToolCall, Tool: "Bash", Length: 4, Text: "ls -l"})
		var fs []audit.Finding
		switch i % 4 {
		case 1:
			f := fnd("secrets", "secrets", sdk.SeverityHigh, "")
			f.Item, f.TextSpan = 1, []int{0, 2}
			fs = append(fs, f, fnd("commands", "commands", sdk.SeverityLow, "allowlist"))
		case 2:
			f := fnd("commands", "commands", sdk.SeverityCritical, "")
			f.Item = 1
			fs = append(fs, f)
		}
		res := result([]string{"allow", "block", "allow", "modify"}[i%4], i%3 == 0, time.Duration(i)*time.Microsecond, fs...)
		if i%6 == 0 {
			res.Items = []audit.Item{{Index: 0, Kind: sdk.KindPrompt, Text: "[redacted]"}, {Index: 1, Kind: sdk.KindToolCall, Tool: "Shell"}}
		}
		var up *audit.MemoryUpdate
		if session != "" {
			// A few digests per event, some repeated across events and
			// within one; marks and findings likewise; small bounds so that
			// they drop rows.
			up = update(tenant, session, id, at, fmt.Sprintf("d%d", i%7), fmt.Sprintf("d%d", i), fmt.Sprintf("d%d", i%7))
			if i%10 == 3 {
				up.Items[0].Signature = "sig2"
			}
			up.Marks = []audit.Mark{{FP: fmt.Sprintf("m%d", i%4), Kind: audit.MarkSecret, Label: "secrets/x", FirstItem: 1, Severity: sdk.SeverityHigh},
				{FP: fmt.Sprintf("m%d", i), Kind: audit.MarkURL, Label: "url"}, {FP: fmt.Sprintf("m%d", i%4), Kind: audit.MarkSecret, Label: "again"}}
			sf := audit.SessionFinding{Key: fmt.Sprintf("k%d", i%3), Detector: "secrets", Rule: "r", Category: "secrets", Severity: sdk.Severity(i % 5), Message: "m"}
			sf2 := sf
			sf2.Suppressed = []string{"", "reused"}[i%2]
			up.Findings = []audit.SessionFinding{sf, sf2, {Key: fmt.Sprintf("u%d", i), Detector: "commands", Rule: "c", Category: "commands", Severity: sdk.SeverityLow}}
			up.Risk = sdk.Severity(i % 5)
			if i%11 == 5 {
				up.Quarantine = &audit.Quarantine{Severity: sdk.SeverityHigh, Reason: "secrets", Detector: "secrets"}
				if i > 20 {
					up.Quarantine.Until = at.Add(time.Minute)
				}
			}
			up.MaxItems, up.MaxMarks, up.MaxFindings = 6, 4, 3
		}
		evs = append(evs, event{e, res, up})
	}
	byID := map[string]event{}
	for _, s := range []audit.Store{piped, single} {
		for _, x := range evs {
			cp := *x.e
			mustRecord(t, s, &cp)
			byID[x.e.ID] = x
		}
		// An event evaluated before it is claimed is skipped.
		mustComplete(t, s, "e010", evs[10].res)
	}
	dropped := map[audit.Store]int{}
	for {
		var done bool
		for _, s := range []audit.Store{piped, single} {
			claimed, err := s.Claim(ctx, "w", 7, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if len(claimed) == 0 {
				done = true
				continue
			}
			var comps []audit.Completion
			for _, c := range claimed {
				x := byID[c.ID]
				res := *x.res
				var up *audit.MemoryUpdate
				if x.up != nil {
					cp := *x.up
					up = &cp
				}
				comps = append(comps, audit.Completion{ID: c.ID, Result: &res, Memory: up})
			}
			// e010 again: evaluated already, so skipped.
			comps = append(comps, audit.Completion{ID: "e010", Result: evs[10].res})
			skipped, err := s.CompleteClaimed(ctx, comps)
			if err != nil {
				t.Fatal(err)
			}
			if len(skipped) != 1 || skipped[0] != "e010" {
				t.Errorf("skipped %v, want [e010]", skipped)
			}
			for _, c := range comps {
				if c.Memory != nil {
					dropped[s] += c.Memory.Dropped
				}
			}
		}
		if done {
			break
		}
	}
	if dropped[piped] != dropped[single] || dropped[piped] == 0 {
		t.Errorf("rows dropped by the bounds: pipelined %d, one by one %d (want equal, and some)", dropped[piped], dropped[single])
	}
	tables := []string{"events", "findings", "detector_runs", "sessions", "chain", "chain_heads", "work_queue",
		"session_memory", "session_items", "session_marks", "session_findings"}
	a, err := audit.DumpTables(ctx, piped, []string{"at_ns"}, tables...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := audit.DumpTables(ctx, single, []string{"at_ns"}, tables...)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(b, a); diff != "" {
		t.Errorf("pipelined completion differs from one by one (-one by one +pipelined):\n%s", diff)
	}
	for _, tenant := range []string{"acme", "beta"} {
		if rep := verify(t, piped, tenant); !rep.OK() || rep.Links == 0 {
			t.Errorf("%s chain: %+v", tenant, rep)
		}
	}
	if err := audit.CheckSessions(ctx, piped); err != nil {
		t.Error(err)
	}
}
