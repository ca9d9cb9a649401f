package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// export --verify passes on an intact trail and fails, naming the event,
// once a recorded decision is edited in the database.
func TestExportVerifyCatchesAnEditedRow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "picket.db")
	ctx := context.Background()
	store, err := audit.Open(ctx, audit.Config{Driver: "sqlite", DSN: db})
	if err != nil {
		t.Fatal(err)
	}
	var batch []audit.Decided
	for i := 0; i < 5; i++ {
		batch = append(batch, audit.Decided{
			Event: &audit.Event{ID: fmt.Sprintf("ev%d", i), Tenant: "default", Type: sdk.EventPreRequest, ReceivedAt: time.Now()},
			Result: &audit.Result{Decision: "block", WouldBlock: true, Mode: "enforce", Category: "command",
				Findings: []audit.Finding{{Finding: sdk.Finding{Detector: "commands", Rule: "download-pipe-shell", Category: "command", Severity: sdk.SeverityCritical}, Action: "block"}}},
		})
	}
	if err := store.RecordDecided(ctx, batch); err != nil {
		t.Fatal(err)
	}
	store.Close()

	code, out, errb := run(t, nil, "export", "--data-dir", dir, "--verify")
	if code != 0 || !strings.Contains(out, "5 decisions") || !strings.Contains(out, "chain ok") {
		t.Fatalf("intact trail: exit %d\n%s%s", code, out, errb)
	}

	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE events SET decision = 'allow', would_block = 0 WHERE id = 'ev3'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	code, out, errb = run(t, nil, "export", "--data-dir", dir, "--verify")
	if code != 1 || !strings.Contains(out, "BROKEN at link 4 (event ev3)") || !strings.Contains(out, "chain broken") {
		t.Fatalf("edited row: exit %d, want 1\n%s%s", code, out, errb)
	}
	if code, out, _ := run(t, nil, "export", "--data-dir", dir, "--verify", "--tenant", "other"); code != 0 || !strings.Contains(out, "no recorded decisions") {
		t.Errorf("another tenant: exit %d: %s", code, out)
	}
}
