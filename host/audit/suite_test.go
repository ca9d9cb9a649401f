package audit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/picketsec/picket/host/audit"
)

// The store suite runs every test against SQLite (always) and PostgreSQL
// (at PICKET_TEST_POSTGRES_DSN; skipped when unreachable unless
// PICKET_REQUIRE_POSTGRES=1). Each PostgreSQL store lives in a fresh schema,
// dropped when its test ends, so parallel runs do not collide.

const defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func postgresDSN() string {
	if v := os.Getenv("PICKET_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return defaultPostgresDSN
}

var (
	pgOnce sync.Once
	pgErr  error
)

func postgresReachable() error {
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, postgresDSN())
		if err != nil {
			pgErr = err
			return
		}
		defer c.Close(ctx)
		pgErr = c.Ping(ctx)
	})
	return pgErr
}

// driver makes store configs for one backend.
type driver struct {
	name string
	// config returns a config for a new, empty store; the same config
	// opens the same store again.
	config func(t testing.TB) audit.Config
}

func drivers(t testing.TB) []driver {
	t.Helper()
	ds := []driver{{name: "sqlite", config: func(t testing.TB) audit.Config {
		return audit.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "audit.db")}
	}}}
	ds = append(ds, driver{name: "postgres", config: func(t testing.TB) audit.Config {
		if err := postgresReachable(); err != nil {
			if os.Getenv("PICKET_REQUIRE_POSTGRES") == "1" {
				t.Fatalf("postgres at PICKET_TEST_POSTGRES_DSN unreachable and PICKET_REQUIRE_POSTGRES=1: %v", err)
			}
			t.Skipf("PostgreSQL tests skipped: no server at PICKET_TEST_POSTGRES_DSN (%v); start one, or set PICKET_REQUIRE_POSTGRES=1 (as CI does) to fail instead", err)
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "picket_test_" + hex.EncodeToString(b[:])
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, postgresDSN())
			if err != nil {
				t.Logf("drop schema %s: %v", schema, err)
				return
			}
			defer c.Close(ctx)
			if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
				t.Logf("drop schema %s: %v", schema, err)
			}
		})
		return audit.Config{Driver: "postgres", DSN: postgresDSN(), Schema: schema, MaxConns: 4}
	}})
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
