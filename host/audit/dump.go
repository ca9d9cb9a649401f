package audit

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
)

// DumpAll returns every row of every table of s as text, one line per
// row: "table: col=value col=value ...". Byte columns are written as
// quoted strings, so that a secret in an unsealed spool would show. It is
// for tests that check that no secret reached the store.
func DumpAll(ctx context.Context, s Store) ([]byte, error) {
	ss, ok := sqlOf(s)
	if !ok {
		return nil, fmt.Errorf("audit: dump: not a SQL store")
	}
	tables, err := ss.db.tables(ctx)
	if err != nil {
		return nil, ss.errf("dump", err)
	}
	var buf bytes.Buffer
	for _, t := range tables {
		if err := ss.dumpTable(ctx, &buf, t); err != nil {
			return nil, ss.errf("dump "+t, err)
		}
	}
	return buf.Bytes(), nil
}

func (s *sqlStore) dumpTable(ctx context.Context, buf *bytes.Buffer, table string) error {
	var cols []string
	var q string
	if s.db.driver() == "postgres" {
		q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`
	} else {
		q = `SELECT name FROM pragma_table_info(?) ORDER BY cid`
	}
	cols, err := queryStrings(ctx, s.db, q, table)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return nil
	}
	sel := "SELECT "
	for i, c := range cols {
		if i > 0 {
			sel += ", "
		}
		sel += `"` + c + `"`
	}
	rows, err := s.db.query(ctx, sel+` FROM "`+table+`"`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		buf.WriteString(table)
		buf.WriteByte(':')
		for i, v := range vals {
			buf.WriteByte(' ')
			buf.WriteString(cols[i])
			buf.WriteByte('=')
			switch x := v.(type) {
			case nil:
				buf.WriteString("NULL")
			case []byte:
				buf.WriteString(strconv.Quote(string(x)))
			case string:
				buf.WriteString(strconv.Quote(x))
			default:
				fmt.Fprint(buf, x)
			}
		}
		buf.WriteByte('\n')
	}
	return rows.Err()
}
