package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Usage is how one agent or one tool fared in a time range: how many
// evaluated events, how many were blocked or would have been, and the
// verdict latency percentiles.
type Usage struct {
	Name       string        `json:"name"`
	Events     int           `json:"events"`
	Blocked    int           `json:"blocked"`
	WouldBlock int           `json:"would_block"` // would block, not blocked (monitor mode, async events)
	BlockRate  float64       `json:"block_rate"`  // (blocked + would_block) / events
	P50        time.Duration `json:"latency_p50_ns"`
	P95        time.Duration `json:"latency_p95_ns"`
}

// Breakdown is the "Tools & Agents" view of a tenant's trail.
type Breakdown struct {
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Agents  []Usage   `json:"agents"`
	Tools   []Usage   `json:"tools"`
	Sampled bool      `json:"sampled,omitempty"` // more events than MaxBreakdownEvents: the newest were read
}

// MaxBreakdownEvents bounds the events Breakdown reads.
const MaxBreakdownEvents = 200_000

// AgentName is the family of a user agent: "claude-cli/2.0.14 (external,
// cli)" is "claude-cli", so that versions add up.
func AgentName(ua string) string {
	ua = strings.TrimSpace(ua)
	if i := strings.IndexAny(ua, "/ ("); i > 0 {
		ua = ua[:i]
	}
	if ua == "" {
		return "(none)"
	}
	return ua
}

// TenantBreakdown computes the per-agent and per-tool usage of tenant's
// evaluated events received in [since, until). A tool counts an event
// when one of its items is a call to or a result of that tool.
func TenantBreakdown(ctx context.Context, st Store, tenant string, since, until time.Time) (*Breakdown, error) {
	s, ok := sqlOf(st)
	if !ok {
		return nil, fmt.Errorf("audit: breakdown: not a SQL store")
	}
	if until.IsZero() {
		until = s.now()
	}
	rows, err := s.db.query(ctx, `SELECT e.user_agent, e.decision, e.would_block, e.latency_ns, e.items FROM events e
WHERE e.tenant = ? AND e.received_ns >= ? AND e.received_ns < ? AND e.evaluated_ns IS NOT NULL ORDER BY e.received_ns DESC LIMIT ?`,
		tenant, since.UnixNano(), until.UnixNano(), MaxBreakdownEvents+1)
	if err != nil {
		return nil, s.errf("breakdown", err)
	}
	defer rows.Close()
	type acc struct {
		u   Usage
		lat []int64
	}
	agents, tools := map[string]*acc{}, map[string]*acc{}
	add := func(m map[string]*acc, name, decision string, would bool, lat time.Duration) {
		a := m[name]
		if a == nil {
			a = &acc{u: Usage{Name: name}}
			m[name] = a
		}
		a.u.Events++
		switch {
		case decision == "block":
			a.u.Blocked++
		case would:
			a.u.WouldBlock++
		}
		a.lat = append(a.lat, int64(lat))
	}
	b := &Breakdown{Since: since, Until: until, Agents: []Usage{}, Tools: []Usage{}}
	n := 0
	for rows.Next() {
		var (
			ua, decision, items string
			would               int
			lat                 int64
		)
		if err := rows.Scan(&ua, &decision, &would, &lat, &items); err != nil {
			return nil, s.errf("breakdown", err)
		}
		if n++; n > MaxBreakdownEvents {
			b.Sampled = true
			break
		}
		add(agents, AgentName(ua), decision, would != 0, time.Duration(lat))
		var its []struct {
			Tool string `json:"tool"`
		}
		if err := json.Unmarshal([]byte(items), &its); err != nil {
			return nil, s.errf("breakdown", fmt.Errorf("items: %w", err))
		}
		var seen []string
		for _, it := range its {
			if it.Tool != "" && !slices.Contains(seen, it.Tool) {
				seen = append(seen, it.Tool)
				add(tools, it.Tool, decision, would != 0, time.Duration(lat))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("breakdown", err)
	}
	finish := func(m map[string]*acc) []Usage {
		out := make([]Usage, 0, len(m))
		for _, a := range m {
			slices.Sort(a.lat)
			a.u.P50, a.u.P95 = time.Duration(percentile(a.lat, 0.50)), time.Duration(percentile(a.lat, 0.95))
			a.u.BlockRate = float64(a.u.Blocked+a.u.WouldBlock) / float64(a.u.Events)
			out = append(out, a.u)
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].Events != out[j].Events {
				return out[i].Events > out[j].Events
			}
			return out[i].Name < out[j].Name
		})
		return out
	}
	b.Agents, b.Tools = finish(agents), finish(tools)
	return b, nil
}
