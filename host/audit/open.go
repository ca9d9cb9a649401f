package audit

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Config says which store to open.
type Config struct {
	// Driver is "sqlite" (the default) or "postgres".
	Driver string
	// DSN is a file path (or "file:" URI, or ":memory:") for SQLite, and a
	// PostgreSQL connection string for postgres.
	DSN string
	// Schema, for postgres, is the schema to keep the tables in; it is
	// created when missing. Empty means the connection's search_path.
	Schema string
	// MaxConns bounds the connections (readers for SQLite). 0 means 8.
	// PostgreSQL has two pools of MaxConns: one for recording and
	// reading, one for the work queue and session memory.
	MaxConns int
	// BusyTimeout is how long SQLite waits for a lock held by another
	// process. 0 means 5s.
	BusyTimeout time.Duration
	// Logger receives migration and retention messages. nil discards them.
	Logger hclog.Logger
}

//go:embed migrations
var migrationsFS embed.FS

// Open opens the store cfg names and applies any schema migration it has
// not applied yet. It fails when the database is unreachable or a migration
// fails; the error says which.
func Open(ctx context.Context, cfg Config) (Store, error) {
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 8
	}
	if cfg.BusyTimeout <= 0 {
		cfg.BusyTimeout = 5 * time.Second
	}
	var (
		db  database
		err error
	)
	switch cfg.Driver {
	case "", "sqlite", "sqlite3":
		db, err = openSQLite(ctx, cfg)
	case "postgres", "postgresql", "pgx":
		db, err = openPostgres(ctx, cfg, nil)
	default:
		return nil, fmt.Errorf("audit: unknown store driver %q (want sqlite or postgres)", cfg.Driver)
	}
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, log); err != nil {
		_ = db.close()
		return nil, err
	}
	work := db
	if db.driver() == "postgres" {
		// The work queue's and session memory's statements are key
		// lookups on rows a burst keeps hot; at the default
		// random_page_cost the planner preferred scanning the whole queue
		// (and detector_runs) to a hundred index probes.
		w, err := openPostgres(ctx, cfg, map[string]string{"random_page_cost": "1.1"})
		if err != nil {
			_ = db.close()
			return nil, err
		}
		work = w
	}
	return &sqlStore{db: db, work: work, log: log, now: time.Now}, nil
}

func openSQLite(ctx context.Context, cfg Config) (database, error) {
	if cfg.DSN == "" {
		return nil, fmt.Errorf("audit: sqlite: empty dsn (a file path)")
	}
	memory := cfg.DSN == ":memory:"
	name, query, _ := strings.Cut(cfg.DSN, "?")
	if !memory && !strings.HasPrefix(name, "file:") {
		name = "file:" + name
	}
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_txlock=immediate",
	}
	if !memory {
		// WAL lets readers run beside the writer; synchronous FULL makes a
		// committed Record survive a power cut, not just a crash.
		params = append(params, "_pragma=journal_mode(WAL)", "_pragma=synchronous(FULL)")
	}
	if query != "" {
		params = append([]string{query}, params...)
	}
	dsn := name + "?" + strings.Join(params, "&")

	if memory {
		// Each connection to ":memory:" is its own database: read and
		// write through the one connection.
		w, err := openWriter(ctx, dsn, name)
		if err != nil {
			return nil, err
		}
		return &sqliteDB{stdConn: stdConn{w}, w: w, r: w}, nil
	}
	// Stores of one file in one process share its writer connection, so
	// that their writes queue in the pool instead of racing for the file
	// lock (SQLite's busy waits are not fair).
	key, err := filepath.Abs(strings.TrimPrefix(name, "file:"))
	if err != nil {
		key = name
	}
	w, err := writers.acquire(key, func() (*sql.DB, error) { return openWriter(ctx, dsn, name) })
	if err != nil {
		return nil, err
	}
	release := func() error { return writers.release(key) }
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		_ = release()
		return nil, fmt.Errorf("audit: sqlite: open: %w", err)
	}
	r.SetMaxOpenConns(cfg.MaxConns)
	r.SetMaxIdleConns(cfg.MaxConns)
	return &sqliteDB{stdConn: stdConn{r}, w: w, r: r, release: release}, nil
}

func openWriter(ctx context.Context, dsn, name string) (*sql.DB, error) {
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("audit: sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("audit: sqlite: open %s: %w", name, err)
	}
	return w, nil
}

// writerPool shares one writer connection per SQLite file in a process.
type writerPool struct {
	mu sync.Mutex
	m  map[string]*sharedWriter
}

type sharedWriter struct {
	db   *sql.DB
	refs int
}

var writers = &writerPool{m: map[string]*sharedWriter{}}

func (p *writerPool) acquire(key string, open func() (*sql.DB, error)) (*sql.DB, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.m[key]; ok {
		w.refs++
		return w.db, nil
	}
	db, err := open()
	if err != nil {
		return nil, err
	}
	p.m[key] = &sharedWriter{db: db, refs: 1}
	return db, nil
}

func (p *writerPool) release(key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.m[key]
	if !ok {
		return nil
	}
	if w.refs--; w.refs > 0 {
		return nil
	}
	delete(p.m, key)
	return w.db.Close()
}

// openPostgres opens a pool on cfg's database; params are run-time
// settings of its connections where the DSN does not set them.
func openPostgres(ctx context.Context, cfg Config, params map[string]string) (database, error) {
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// pgx errors may quote the DSN, password included: do not wrap.
		return nil, fmt.Errorf("audit: postgres: bad dsn")
	}
	pc.MaxConns = int32(cfg.MaxConns)
	for k, v := range params {
		if _, set := pc.ConnConfig.RuntimeParams[k]; !set {
			pc.ConnConfig.RuntimeParams[k] = v
		}
	}
	if cfg.Schema != "" {
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("audit: postgres: connect: %w", err)
	}
	if cfg.Schema != "" {
		_, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{cfg.Schema}.Sanitize())
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P06") {
			err = nil // another replica created it at the same time
		}
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("audit: postgres: create schema: %w", err)
		}
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("audit: postgres: connect: %w", err)
	}
	return &pgDB{pgConn: pgConn{pool}, pool: pool}, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(driver string) ([]migration, error) {
	dir := path.Join("migrations", driver)
	ents, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("audit: migration %s: name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(migrationsFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("audit: two migrations numbered %d", ms[i].version)
		}
	}
	return ms, nil
}

// migrationLockKey serializes migrations of several picket replicas
// starting at once on one PostgreSQL database.
const migrationLockKey = 0x7069636b6574 // "picket"

// migrate applies, in order and each in its own transaction, the numbered
// migrations not yet in schema_migrations.
func migrate(ctx context.Context, db database, log hclog.Logger) error {
	ms, err := loadMigrations(db.driver())
	if err != nil {
		return err
	}
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns BIGINT NOT NULL)`
	for _, m := range ms {
		err := db.write(ctx, func(c conn) error {
			if db.driver() == "postgres" {
				if _, err := c.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrationLockKey)); err != nil {
					return err
				}
			}
			if _, err := c.exec(ctx, create); err != nil {
				return err
			}
			var n int
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := c.exec(ctx, m.sql); err != nil {
				return err
			}
			if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)`, m.version, m.name, time.Now().UnixNano()); err != nil {
				return err
			}
			log.Info("audit: applied schema migration", "driver", db.driver(), "version", m.version, "name", m.name)
			return nil
		})
		if err != nil {
			return fmt.Errorf("audit: %s: migration %s: %w", db.driver(), m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the highest migration applied to s, for health
// pages and tests.
func SchemaVersion(ctx context.Context, s Store) (int, error) {
	ss, ok := sqlOf(s)
	if !ok {
		return 0, fmt.Errorf("audit: schema version: not a SQL store")
	}
	var v int
	err := ss.db.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}
