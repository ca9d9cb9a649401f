package audit

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"
)

// Stats implements Querier. Buckets are aligned on multiples of q.Bucket
// since the Unix epoch; the range is [Since, Until).
func (s *sqlStore) Stats(ctx context.Context, tenant string, q StatsQuery) (*Stats, error) {
	if err := q.normalize(s.now()); err != nil {
		return nil, err
	}
	b := int64(q.Bucket)
	since, until := q.Since.UnixNano(), q.Until.UnixNano()
	first := floorDiv(since, b) * b
	n := int((floorDiv(until-1, b)*b-first)/b) + 1
	st := &Stats{Since: q.Since.UTC(), Until: q.Until.UTC(), Bucket: q.Bucket, Buckets: make([]StatsBucket, n), Categories: []string{}}
	for i := range st.Buckets {
		st.Buckets[i] = StatsBucket{Start: fromNS(first + int64(i)*b), Categories: map[string]CategoryCounts{}}
	}
	st.Totals.Start = fromNS(first)
	st.Totals.Categories = map[string]CategoryCounts{}
	at := func(bucketNS int64) *StatsBucket {
		i := int((bucketNS - first) / b)
		if i < 0 || i >= n {
			return nil
		}
		return &st.Buckets[i]
	}
	// The bucket width is an integer we validated: inlined, so that both
	// SQL dialects see plain integer arithmetic.
	bexpr := fmt.Sprintf("((%%s - %d) / %d) * %d + %d", first, b, b, first)

	// Decisions.
	rows, err := s.db.query(ctx, `SELECT `+fmt.Sprintf(bexpr, "received_ns")+`, decision, would_block, CASE WHEN evaluated_ns IS NULL THEN 1 ELSE 0 END, COUNT(*)
FROM events WHERE tenant = ? AND received_ns >= ? AND received_ns < ? GROUP BY 1, 2, 3, 4`, tenant, since, until)
	if err != nil {
		return nil, s.errf("stats", err)
	}
	for rows.Next() {
		var bk int64
		var dec string
		var wb, pending, count int
		if err := rows.Scan(&bk, &dec, &wb, &pending, &count); err != nil {
			rows.Close()
			return nil, s.errf("stats", err)
		}
		for _, sb := range []*StatsBucket{at(bk), &st.Totals} {
			if sb == nil {
				continue
			}
			sb.Events += count
			switch {
			case pending == 1:
				sb.Pending += count
			case dec == "block":
				sb.Blocked += count
			case dec == "modify":
				sb.Modified += count
			default:
				sb.Allowed += count
			}
			if pending == 0 && wb == 1 && dec != "block" {
				sb.WouldBlock += count
			}
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, s.errf("stats", err)
	}

	// Categories: events with a counting finding of each category.
	rows, err = s.db.query(ctx, `SELECT `+fmt.Sprintf(bexpr, "f.received_ns")+`, f.category, e.decision, e.would_block, COUNT(DISTINCT e.id)
FROM findings f JOIN events e ON e.id = f.event_id
WHERE f.tenant = ? AND e.tenant = ? AND f.received_ns >= ? AND f.received_ns < ? AND f.suppressed = ''
GROUP BY 1, 2, 3, 4`, tenant, tenant, since, until)
	if err != nil {
		return nil, s.errf("stats", err)
	}
	cats := map[string]bool{}
	for rows.Next() {
		var bk int64
		var cat, dec string
		var wb, count int
		if err := rows.Scan(&bk, &cat, &dec, &wb, &count); err != nil {
			rows.Close()
			return nil, s.errf("stats", err)
		}
		cats[cat] = true
		for _, sb := range []*StatsBucket{at(bk), &st.Totals} {
			if sb == nil {
				continue
			}
			c := sb.Categories[cat]
			c.Events += count
			switch dec {
			case "block":
				c.Blocked += count
			case "modify":
				c.Modified += count
			default:
				c.Allowed += count
			}
			if wb == 1 && dec != "block" {
				c.WouldBlock += count
			}
			sb.Categories[cat] = c
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, s.errf("stats", err)
	}
	for c := range cats {
		st.Categories = append(st.Categories, c)
	}
	sort.Strings(st.Categories)

	// Latency percentiles: the evaluated events' latencies, sorted within
	// each bucket, are read once; only one bucket is held at a time.
	rows, err = s.db.query(ctx, `SELECT `+fmt.Sprintf(bexpr, "received_ns")+`, latency_ns FROM events
WHERE tenant = ? AND received_ns >= ? AND received_ns < ? AND evaluated_ns IS NOT NULL ORDER BY 1, 2`, tenant, since, until)
	if err != nil {
		return nil, s.errf("stats", err)
	}
	var (
		cur  int64 = -1
		vals []int64
	)
	flush := func() {
		if sb := at(cur); sb != nil && len(vals) > 0 {
			sb.LatencyP50 = time.Duration(percentile(vals, 0.50))
			sb.LatencyP99 = time.Duration(percentile(vals, 0.99))
		}
		vals = vals[:0]
	}
	for rows.Next() {
		var bk, lat int64
		if err := rows.Scan(&bk, &lat); err != nil {
			rows.Close()
			return nil, s.errf("stats", err)
		}
		if bk != cur {
			flush()
			cur = bk
		}
		vals = append(vals, lat)
	}
	flush()
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, s.errf("stats", err)
	}
	// Totals' percentiles from the same kind of pass over the whole range.
	var p50, p99 int64
	if st.Totals.Events > 0 {
		if p50, p99, err = s.rangePercentiles(ctx, tenant, since, until); err != nil {
			return nil, s.errf("stats", err)
		}
	}
	st.Totals.LatencyP50, st.Totals.LatencyP99 = time.Duration(p50), time.Duration(p99)
	return st, nil
}

// rangePercentiles returns the p50 and p99 latency of the evaluated events
// in a range, by offset into the sorted latencies (two point reads).
func (s *sqlStore) rangePercentiles(ctx context.Context, tenant string, since, until int64) (int64, int64, error) {
	var n int64
	if err := s.db.queryRow(ctx, `SELECT COUNT(*) FROM events WHERE tenant = ? AND received_ns >= ? AND received_ns < ? AND evaluated_ns IS NOT NULL`,
		tenant, since, until).Scan(&n); err != nil || n == 0 {
		return 0, 0, err
	}
	at := func(p float64) (int64, error) {
		var v int64
		err := s.db.queryRow(ctx, fmt.Sprintf(`SELECT latency_ns FROM events WHERE tenant = ? AND received_ns >= ? AND received_ns < ? AND evaluated_ns IS NOT NULL
ORDER BY latency_ns LIMIT 1 OFFSET %d`, rank(int(n), p)), tenant, since, until).Scan(&v)
		return v, err
	}
	p50, err := at(0.50)
	if err != nil {
		return 0, 0, err
	}
	p99, err := at(0.99)
	return p50, p99, err
}

// rank is the nearest-rank index of percentile p among n sorted values.
func rank(n int, p float64) int {
	i := int(math.Ceil(p*float64(n))) - 1
	if i < 0 {
		i = 0
	}
	if i >= n {
		i = n - 1
	}
	return i
}

func percentile(sorted []int64, p float64) int64 {
	return sorted[rank(len(sorted), p)]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
