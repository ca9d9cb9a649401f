package audit_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/audit/audittest"
	"github.com/picketsec/picket/sdk"
)

func TestExport(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		now := time.Now().UTC()
		seeded, err := audittest.Seed(ctx, s, "acme", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audittest.Seed(ctx, s, "globex", now); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := audit.Export(ctx, s, "acme", now.Add(-3*time.Hour), "jsonl", &buf); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != len(seeded.Events) {
			t.Fatalf("%d jsonl lines, want %d", len(lines), len(seeded.Events))
		}
		var prev time.Time
		findings := 0
		for i, l := range lines {
			var r audit.ExportRecord
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
			if r.Tenant != "acme" || r.ReceivedAt.Before(prev) {
				t.Errorf("line %d: tenant %q at %v after %v", i, r.Tenant, r.ReceivedAt, prev)
			}
			prev = r.ReceivedAt
			findings += len(r.Findings)
			// Every finding of a built-in category carries its taxonomy.
			for _, f := range r.Findings {
				if f.Category == "command" && (f.Taxonomy == nil || !slices.Contains(f.Taxonomy.ATTACK, "T1059.004") || !slices.Contains(f.Taxonomy.CWE, "CWE-78")) {
					t.Errorf("line %d: command finding %s exported without its taxonomy: %+v", i, f.Rule, f.Taxonomy)
				}
				if f.Category == "secrets" && (f.Taxonomy == nil || !slices.Contains(f.Taxonomy.OWASP, "LLM02:2025")) {
					t.Errorf("line %d: secrets finding %s exported without its taxonomy: %+v", i, f.Rule, f.Taxonomy)
				}
			}
		}
		if !strings.Contains(buf.String(), `"owasp_llm":["LLM01:2025"]`) {
			t.Error("jsonl export lacks the injection finding's OWASP id")
		}
		if findings != 9 {
			t.Errorf("%d findings exported, want 9", findings)
		}
		if strings.Contains(buf.String(), "Add retries to the upload client") {
			t.Error("jsonl export holds item text")
		}
		// since filters.
		buf.Reset()
		if err := audit.Export(ctx, s, "acme", now.Add(time.Minute), "jsonl", &buf); err != nil || buf.Len() != 0 {
			t.Errorf("export of the future: %q %v", buf.String(), err)
		}
		// CSV: a row per finding, one for an event without.
		buf.Reset()
		if err := audit.Export(ctx, s, "acme", time.Time{}, "csv", &buf); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][0] != "event_id" || len(rows) != 1+9+4 {
			t.Errorf("csv has %d rows (header %v), want 14", len(rows), rows[0])
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, r := range rows[1:] {
			if r[2] != "acme" || len(r) != len(rows[0]) {
				t.Errorf("csv row %v", r)
			}
			if r[col["rule"]] == "reverse-shell" && (!strings.Contains(r[col["attack"]], "T1059.004") || r[col["owasp_llm"]] != "LLM06:2025" || r[col["cwe"]] != "CWE-78" || r[col["atlas"]] != "AML.T0050") {
				t.Errorf("csv reverse-shell row lacks its taxonomy: %v", r)
			}
		}
		if err := audit.Export(ctx, s, "acme", time.Time{}, "xml", io.Discard); err == nil {
			t.Error("unknown format accepted")
		}
	})
}

// wrapped hides the SQL store behind the interface, so Export takes its
// generic path (ListEvents + GetEvent).
type wrapped struct{ audit.Store }

func TestExportPages(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		const n = 1103 // more than two export pages
		for i := 0; i < n; i++ {
			// Groups of three share a timestamp: the ID orders them.
			id := fmt.Sprintf("x%04d", i)
			mustRecord(t, s, ev("acme", id, sdk.EventPreRequest, "", "s", t0.Add(time.Duration(i/3)*time.Millisecond)))
			if i%100 == 0 {
				mustComplete(t, s, id, result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, "")))
			}
		}
		for _, format := range []string{"jsonl", "csv"} {
			var direct, generic bytes.Buffer
			if err := audit.Export(ctx, s, "acme", t0.Add(time.Millisecond), format, &direct); err != nil {
				t.Fatal(err)
			}
			if err := audit.Export(ctx, wrapped{s}, "acme", t0.Add(time.Millisecond), format, &generic); err != nil {
				t.Fatal(err)
			}
			if direct.String() != generic.String() {
				t.Errorf("%s: the two export paths differ", format)
			}
			lines := strings.Count(direct.String(), "\n")
			want := n - 3
			if format == "csv" {
				want++ // header
			}
			if lines != want {
				t.Errorf("%s: %d lines, want %d", format, lines, want)
			}
		}
	})
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := t0
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-20T09:00:00Z", t0.Add(-time.Hour), true},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), true},
		{"24h", t0.Add(-24 * time.Hour), true},
		{"-90m", t0.Add(-90 * time.Minute), true},
		{"0", time.Unix(0, 0), true},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := audit.ParseTime(c.in, now)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v", c.in, got, err)
		}
	}
}
