package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Hooks for the external tests (package audit_test) into the SQL store.

// ExecRaw runs SQL statements on the store's writer, for tests that set up
// states the API cannot reach (an older schema, say).
func ExecRaw(ctx context.Context, s Store, q string) error {
	ss := s.(*sqlStore)
	return ss.db.write(ctx, func(c conn) error {
		_, err := c.exec(ctx, q)
		return err
	})
}

// CheckSessions compares the sessions rollup with a recomputation from the
// events and describes the first difference.
func CheckSessions(ctx context.Context, s Store) error {
	ss := s.(*sqlStore)
	const cols = `tenant, session_id, login, user_agent, first_ns, last_ns, requests, findings, blocked, would_block, max_severity, last_event_id`
	read := func(q string) ([]string, error) {
		rows, err := ss.db.query(ctx, q)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			vals := make([]any, 12)
			ptrs := make([]any, 12)
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			var b strings.Builder
			for _, v := range vals {
				fmt.Fprintf(&b, "%v|", v)
			}
			out = append(out, b.String())
		}
		return out, rows.Err()
	}
	got, err := read(`SELECT ` + cols + ` FROM sessions ORDER BY tenant, session_id`)
	if err != nil {
		return err
	}
	rebuild := sessionRebuild[strings.Index(sessionRebuild, "SELECT"):]
	rebuild = strings.Replace(rebuild, "WHERE e.tenant = ? AND e.session_id = ?", "WHERE e.session_id <> ''", 1)
	want, err := read(`SELECT * FROM (` + rebuild + `) x ORDER BY 1, 2`)
	if err != nil {
		return err
	}
	if len(got) != len(want) {
		return fmt.Errorf("%d session rows, %d recomputed:\n%s\n---\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("session row\n got %s\nwant %s", got[i], want[i])
		}
	}
	return nil
}

// CompleteOneByOne makes s complete claimed batches statement by
// statement, as on SQLite, instead of pipelined (PostgreSQL), so that tests
// can compare the two.
func CompleteOneByOne(s Store) { s.(*sqlStore).oneByOne = true }

// DumpTables returns the rows of tables of a PostgreSQL store as JSON
// text, sorted, without the columns drop names (times of writing), for
// comparing two stores.
func DumpTables(ctx context.Context, s Store, drop []string, tables ...string) (map[string][]string, error) {
	ss := s.(*sqlStore)
	out := map[string][]string{}
	for _, t := range tables {
		q := `SELECT (to_jsonb(t)`
		for _, d := range drop {
			q += ` - '` + d + `'`
		}
		got, err := queryStrings(ctx, ss.db, q+`)::text FROM `+t+` t`)
		if err != nil {
			return nil, err
		}
		slices.Sort(got)
		out[t] = got
	}
	return out, nil
}
