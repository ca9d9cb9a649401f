package loadtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The scenarios of `make load`, small: a few thousand events, so that they
// fit in `go test`. They check promises (nothing lost, left or
// duplicated), never rates.

var picketBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "picket-loadtest")
	if err != nil {
		panic(err)
	}
	picketBin = filepath.Join(dir, "picket")
	if out, err := exec.Command("go", "build", "-o", picketBin, "../../cmd/picket").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building picket: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PICKET_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = c.Ping(ctx)
		c.Close(ctx)
	}
	if err != nil {
		if os.Getenv("PICKET_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("postgres unreachable and PICKET_REQUIRE_POSTGRES=1: %v", err)
		}
		t.Skipf("postgres unreachable (%v)", err)
	}
	return dsn
}

func runScenario(t *testing.T, sc Scenario) {
	t.Helper()
	sc.Bin = picketBin
	sc.Dir = t.TempDir()
	sc.Log = testWriter{t}
	sc.Timeout = 5 * time.Minute
	rep, err := Run(context.Background(), sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(rep)
	if !rep.OK() {
		logs, _ := filepath.Glob(filepath.Join(sc.Dir, "replica-*.log"))
		for _, l := range logs {
			b, _ := os.ReadFile(l)
			t.Logf("%s:\n%.3000s", l, b)
		}
		t.Fatalf("promise broken: %s", rep)
	}
	if sc.KillAfter > 0 && !rep.Killed {
		t.Fatal("no replica was killed")
	}
	if rep.Acked != sc.Events {
		t.Fatalf("%d of %d acknowledged", rep.Acked, sc.Events)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Logf("%s", b)
	return len(b), nil
}

// TestKillAndRestartSQLite: SIGKILL mid-burst, restart on the same file.
func TestKillAndRestartSQLite(t *testing.T) {
	t.Parallel()
	runScenario(t, Scenario{Name: "kill-restart-sqlite", Driver: "sqlite", Events: 1200, Clients: 8, KillAfter: 500, Restart: true})
}

// TestKillAndRestartPostgres: the same on PostgreSQL; the restarted
// process takes over its predecessor's claims when their lease runs out.
func TestKillAndRestartPostgres(t *testing.T) {
	t.Parallel()
	runScenario(t, Scenario{Name: "kill-restart-postgres", Driver: "postgres", PostgresDSN: postgresDSN(t),
		Events: 1000, Clients: 8, KillAfter: 400, Restart: true, Lease: 2 * time.Second})
}

// TestTwoReplicasOneKilled: two replicas on one PostgreSQL; one is killed
// mid-burst and not restarted; the other evaluates everything, the killed
// one's claims included.
func TestTwoReplicasOneKilled(t *testing.T) {
	t.Parallel()
	runScenario(t, Scenario{Name: "replicas-postgres", Driver: "postgres", PostgresDSN: postgresDSN(t),
		Events: 1000, Clients: 8, Replicas: 2, KillAfter: 400, Lease: 2 * time.Second})
}
