package audit

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The SQL store runs the same queries on SQLite (database/sql) and
// PostgreSQL (pgxpool). Queries are written with '?' placeholders; the
// PostgreSQL side rewrites them to $n. These small interfaces hide the two
// client libraries from the store.

type scanner interface {
	Scan(dest ...any) error
}

type rowsIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// conn runs statements, either on a pool or inside a transaction.
type conn interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args ...any) (rowsIter, error)
	queryRow(ctx context.Context, q string, args ...any) scanner
}

// database is a connection pool with serialized writes.
type database interface {
	conn // reads
	// write runs fn in one transaction on the writer.
	write(ctx context.Context, fn func(conn) error) error
	// tables lists the tables of the store's schema.
	tables(ctx context.Context) ([]string, error)
	ping(ctx context.Context) error
	close() error
	driver() string
}

// errNoRows is what queryRow's Scan returns when there is no row.
var errNoRows = sql.ErrNoRows

// --- database/sql (SQLite) ---

type sqlConn interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type stdConn struct{ c sqlConn }

func (s stdConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	r, err := s.c.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

func (s stdConn) query(ctx context.Context, q string, args ...any) (rowsIter, error) {
	r, err := s.c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return stdRows{r}, nil
}

func (s stdConn) queryRow(ctx context.Context, q string, args ...any) scanner {
	return s.c.QueryRowContext(ctx, q, args...)
}

type stdRows struct{ *sql.Rows }

func (r stdRows) Close() { _ = r.Rows.Close() }

// sqliteDB has one writer connection (SQLite allows one writer at a time;
// serializing in the pool avoids busy loops) and a pool of readers.
type sqliteDB struct {
	stdConn // readers
	w       *sql.DB
	r       *sql.DB
	// stmts caches the writer's prepared statements by query: parsing SQL
	// is most of the cost of a small write in SQLite.
	stmts sync.Map // string → *sql.Stmt
	// release gives back a shared writer; nil when w is this store's own.
	release func() error
	once    sync.Once
	err     error
}

func (d *sqliteDB) write(ctx context.Context, fn func(conn) error) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	ts := &txStmts{tx: tx, db: d}
	if err := fn(stdConn{ts}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// The writer's one connection is free again: prepare what this
	// transaction ran unprepared, for the next ones.
	for _, q := range ts.unprepared {
		if st, err := d.w.PrepareContext(ctx, q); err == nil {
			if _, loaded := d.stmts.LoadOrStore(q, st); loaded {
				st.Close()
			}
		}
	}
	return nil
}

// txStmts runs a transaction's statements through the writer's cache of
// prepared statements. A statement not prepared yet runs as plain SQL and
// is prepared after the commit: the writer has a single connection, which
// the transaction holds.
type txStmts struct {
	tx         *sql.Tx
	db         *sqliteDB
	unprepared []string
}

func (t *txStmts) stmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := t.db.stmts.Load(q); ok {
		return t.tx.StmtContext(ctx, st.(*sql.Stmt))
	}
	t.unprepared = append(t.unprepared, q)
	return nil
}

func (t *txStmts) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t *txStmts) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t *txStmts) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

func (d *sqliteDB) tables(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, d, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
}

func (d *sqliteDB) ping(ctx context.Context) error {
	if err := d.w.PingContext(ctx); err != nil {
		return err
	}
	return d.r.PingContext(ctx)
}

func (d *sqliteDB) close() error {
	d.once.Do(func() { d.err = d.closeOnce() })
	return d.err
}

func (d *sqliteDB) closeOnce() error {
	var errs []error
	d.stmts.Range(func(_, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		return true
	})
	if d.r != d.w {
		errs = append(errs, d.r.Close())
	}
	if d.release != nil {
		errs = append(errs, d.release())
	} else {
		errs = append(errs, d.w.Close())
	}
	return errors.Join(errs...)
}

func (d *sqliteDB) driver() string { return "sqlite" }

// --- pgx (PostgreSQL) ---

type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgConn struct{ c pgQuerier }

func (p pgConn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.c.Exec(ctx, rebind(q), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (p pgConn) query(ctx context.Context, q string, args ...any) (rowsIter, error) {
	r, err := p.c.Query(ctx, rebind(q), args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (p pgConn) queryRow(ctx context.Context, q string, args ...any) scanner {
	return pgRow{p.c.QueryRow(ctx, rebind(q), args...)}
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return errNoRows
	}
	return err
}

type pgDB struct {
	pgConn
	pool *pgxpool.Pool
}

// write runs fn in a transaction. A transaction PostgreSQL aborted as a
// deadlock victim or a serialization failure (replicas writing the same
// session rows at once) is run again, a few times: fn must be safe to
// repeat, as every write of the store is.
func (d *pgDB) write(ctx context.Context, fn func(conn) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
			return fn(pgConn{tx})
		})
		var pe *pgconn.PgError
		if attempt < 4 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			continue
		}
		return err
	}
}

func (d *pgDB) tables(ctx context.Context) ([]string, error) {
	return queryStrings(ctx, d, `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
}

func (d *pgDB) ping(ctx context.Context) error { return d.pool.Ping(ctx) }

func (d *pgDB) close() error {
	d.pool.Close()
	return nil
}

func (d *pgDB) driver() string { return "postgres" }

// queryStrings returns the first column of q's rows as strings.
func queryStrings(ctx context.Context, c conn, q string, args ...any) ([]string, error) {
	rows, err := c.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// rebind turns '?' placeholders into PostgreSQL's $1, $2, ... The store's
// queries hold no '?' inside string literals.
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
