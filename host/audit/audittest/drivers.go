package audittest

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

// DefaultPostgresDSN is where tests find PostgreSQL when
// PICKET_TEST_POSTGRES_DSN is not set.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresDSN is PICKET_TEST_POSTGRES_DSN, else DefaultPostgresDSN.
func PostgresDSN() string {
	if v := os.Getenv("PICKET_TEST_POSTGRES_DSN"); v != "" {
		return v
	}
	return DefaultPostgresDSN
}

var (
	pgOnce sync.Once
	pgErr  error
)

// PostgresReachable reports (once per process) whether PostgresDSN answers.
func PostgresReachable() error {
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, PostgresDSN())
		if err != nil {
			pgErr = err
			return
		}
		defer c.Close(ctx)
		pgErr = c.Ping(ctx)
	})
	return pgErr
}

// Driver makes store configs for one backend.
type Driver struct {
	Name string
	// Config returns a config for a new, empty store; opening the same
	// config twice opens the same store (two replicas).
	Config func(t testing.TB) audit.Config
}

// Drivers are SQLite (always) and PostgreSQL (at PostgresDSN, each store in
// a fresh schema dropped when the test ends; skipped when unreachable unless
// PICKET_REQUIRE_POSTGRES=1).
func Drivers() []Driver {
	return []Driver{
		{Name: "sqlite", Config: func(t testing.TB) audit.Config {
			return audit.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "audit.db")}
		}},
		{Name: "postgres", Config: PostgresConfig},
	}
}

// PostgresConfig is a config for a fresh PostgreSQL schema, dropped when
// the test ends. It skips the test when PostgreSQL is unreachable, unless
// PICKET_REQUIRE_POSTGRES=1.
func PostgresConfig(t testing.TB) audit.Config {
	t.Helper()
	if err := PostgresReachable(); err != nil {
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
		c, err := pgx.Connect(ctx, PostgresDSN())
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	return audit.Config{Driver: "postgres", DSN: PostgresDSN(), Schema: schema, MaxConns: 4}
}
