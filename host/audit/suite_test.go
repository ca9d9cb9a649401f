package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/audit/audittest"
)

// The store suite runs every test against SQLite (always) and PostgreSQL
// (at PICKET_TEST_POSTGRES_DSN; skipped when unreachable unless
// PICKET_REQUIRE_POSTGRES=1). Each PostgreSQL store lives in a fresh schema,
// dropped when its test ends, so parallel runs do not collide.

// driver makes store configs for one backend.
type driver = struct {
	name string
	// config returns a config for a new, empty store; the same config
	// opens the same store again.
	config func(t testing.TB) audit.Config
}

func drivers(t testing.TB) []driver {
	t.Helper()
	var ds []driver
	for _, d := range audittest.Drivers() {
		ds = append(ds, driver{name: d.Name, config: d.Config})
	}
	return ds
}

// forEachDriver runs fn as a parallel subtest per driver, with a fresh store.
func forEachDriver(t *testing.T, fn func(t *testing.T, s audit.Store)) {
	t.Helper()
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			s := openStore(t, d.config(t))
			fn(t, s)
		})
	}
}

// forEachConfig is forEachDriver for tests that open stores themselves.
func forEachConfig(t *testing.T, fn func(t *testing.T, cfg audit.Config)) {
	t.Helper()
	for _, d := range drivers(t) {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			fn(t, d.config(t))
		})
	}
}

func openStore(t *testing.T, cfg audit.Config) audit.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := audit.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
