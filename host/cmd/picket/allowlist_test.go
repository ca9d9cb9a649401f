package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// The allowlist a tenant's false positives give is config text that loads,
// and puts exactly those fingerprints on their detectors.
func TestAllowlistPrintsEntriesThatLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	store, err := audit.Open(ctx, audit.Config{Driver: "sqlite", DSN: filepath.Join(dir, "picket.db")})
	if err != nil {
		t.Fatal(err)
	}
	fnd := func(det, rule, fp string) audit.Finding {
		return audit.Finding{Finding: sdk.Finding{Detector: det, Rule: rule, Category: det, Severity: sdk.SeverityHigh, Fingerprint: fp}, Action: "block"}
	}
	var batch []audit.Decided
	for i, f := range []audit.Finding{fnd("secrets", "generic-password", "aaaa1111"), fnd("commands", "rm-critical", "bbbb2222"),
		fnd("secrets", "github-pat", "cccc3333"), fnd("secrets", "generic-password", "aaaa1111")} {
		batch = append(batch, audit.Decided{
			Event:  &audit.Event{ID: fmt.Sprintf("e%d", i), Tenant: "default", Type: sdk.EventPreRequest, ReceivedAt: time.Now()},
			Result: &audit.Result{Decision: "block", Findings: []audit.Finding{f}},
		})
	}
	if err := store.RecordDecided(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"e0", "e1", "e3"} { // e2 stays a true positive
		if _, err := audit.MarkTriage(ctx, store, "default", audit.Triage{EventID: id, Finding: 0, State: audit.TriageFalsePositive, Actor: "alice", Note: "test data\nin the repo"}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	code, out, errb := run(t, nil, "allowlist", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errb)
	}
	if !strings.Contains(out, "3 finding(s) marked false positive") || strings.Count(out, `"aaaa1111"`) != 1 || strings.Contains(out, "cccc3333") ||
		!strings.Contains(out, "# false positive: commands/rm-critical in event e1, marked by alice on ") || !strings.Contains(out, ": test data in the repo") {
		t.Fatalf("output:\n%s", out)
	}
	tenant := "tenant \"default\" {\n  api_key_sha256 = [\"" + strings.Repeat("ab", 32) + "\"]\n}\n"
	cfg, err := config.Parse("pasted.hcl", []byte(tenant+out))
	if err != nil {
		t.Fatalf("the printed allowlist does not load: %v\n%s", err, out)
	}
	got := map[string][]string{}
	for _, d := range cfg.Detectors {
		got[d.Name] = d.AllowFingerprints
	}
	if !slices.Equal(got["secrets"], []string{"aaaa1111"}) || !slices.Equal(got["commands"], []string{"bbbb2222"}) {
		t.Errorf("allowlists = %v", got)
	}
	if code, out, _ := run(t, nil, "allowlist", "--data-dir", dir, "--tenant", "other"); code != 0 || !strings.Contains(out, "0 finding(s)") {
		t.Errorf("another tenant: %d %s", code, out)
	}
}
