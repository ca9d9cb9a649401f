package audit

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/picketsec/picket/host/taxonomy"
)

// ExportRecord is one line of a JSONL export: an event with its result,
// findings and detector runs. Item text is left out: SIEM pipelines get
// the verdict and the redacted findings (with their evidence: the matched
// command or instruction, secrets masked, and their taxonomy ids), not the
// conversation.
type ExportRecord struct {
	ID          string        `json:"id"`
	Tenant      string        `json:"tenant"`
	Type        string        `json:"type"`
	ReceivedAt  time.Time     `json:"received_at"`
	RequestID   string        `json:"request_id,omitempty"`
	SessionID   string        `json:"session_id,omitempty"`
	Login       string        `json:"login,omitempty"`
	Tailnet     string        `json:"tailnet,omitempty"`
	Node        string        `json:"node,omitempty"`
	UserAgent   string        `json:"user_agent,omitempty"`
	Model       string        `json:"model,omitempty"`
	Provider    string        `json:"provider,omitempty"`
	APIFormat   string        `json:"api_format,omitempty"`
	Items       int           `json:"items"`
	Status      string        `json:"status"`
	Decision    string        `json:"decision,omitempty"`
	WouldBlock  bool          `json:"would_block"`
	Mode        string        `json:"mode,omitempty"`
	Category    string        `json:"category,omitempty"`
	Message     string        `json:"message,omitempty"`
	MaxSeverity string        `json:"max_severity,omitempty"`
	LatencyMS   float64       `json:"latency_ms"`
	Findings    []Finding     `json:"findings"`
	Detectors   []DetectorRun `json:"detectors"`
}

func exportRecord(d *EventDetail) ExportRecord {
	r := ExportRecord{
		ID: d.ID, Tenant: d.Tenant, Type: d.Type, ReceivedAt: d.ReceivedAt, RequestID: d.RequestID, SessionID: d.SessionID,
		Login: d.Identity.Login, Tailnet: d.Identity.Tailnet, Node: d.Identity.Node, UserAgent: d.Identity.UserAgent,
		Model: d.Model, Provider: d.Provider, APIFormat: d.APIFormat, Items: len(d.Items), Status: d.Status,
		Findings: []Finding{}, Detectors: []DetectorRun{},
	}
	if res := d.Result; res != nil {
		r.Decision, r.WouldBlock, r.Mode, r.Category, r.Message = res.Decision, res.WouldBlock, res.Mode, res.Category, res.Message
		r.MaxSeverity = res.MaxSeverity.String()
		r.LatencyMS = float64(res.Latency) / float64(time.Millisecond)
		r.Findings, r.Detectors = res.Findings, res.Detectors
	}
	return r
}

var csvHeader = []string{
	"event_id", "received_at", "tenant", "type", "session_id", "request_id", "login", "user_agent", "model", "provider",
	"status", "decision", "would_block", "mode", "category", "max_severity", "latency_ms",
	"detector", "rule", "finding_category", "class", "severity", "confidence", "item", "redacted", "fingerprint", "action", "suppressed", "message",
	"evidence", "owasp_llm", "atlas", "attack", "cwe",
}

// csvCell keeps a cell from being read as a formula by a spreadsheet.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Export streams tenant's events received at or after since, oldest first,
// to w: "jsonl" writes one ExportRecord per line; "csv" writes a header and
// one row per finding (one row with empty finding columns for an event
// without findings). It reads the store page by page and stops at the first
// error.
func Export(ctx context.Context, s Store, tenant string, since time.Time, format string, w io.Writer) error {
	var (
		cw  *csv.Writer
		enc *json.Encoder
	)
	switch format {
	case "jsonl", "json":
		enc = json.NewEncoder(w)
		enc.SetEscapeHTML(false)
	case "csv":
		cw = csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
	default:
		return fmt.Errorf("audit: export: unknown format %q (want jsonl or csv)", format)
	}
	emit := func(d *EventDetail) error {
		rec := exportRecord(d)
		if enc != nil {
			return enc.Encode(rec)
		}
		return writeCSV(cw, &rec)
	}
	flush := func() error {
		if cw == nil {
			return nil
		}
		cw.Flush()
		return cw.Error()
	}
	if ss, ok := sqlOf(s); ok {
		// Whole pages of events with their findings: three queries per
		// page rather than three per event.
		var at int64
		var last string
		if !since.IsZero() {
			at = since.UnixNano()
		}
		for {
			ds, err := ss.details(ctx, tenant, "e.received_ns >= ? AND (e.received_ns > ? OR (e.received_ns = ? AND e.id > ?))",
				[]any{at, at, at, last}, "e.received_ns, e.id", 500)
			if err != nil {
				return fmt.Errorf("audit: export: %w", err)
			}
			for i := range ds {
				if err := emit(&ds[i]); err != nil {
					return fmt.Errorf("audit: export: %w", err)
				}
			}
			if err := flush(); err != nil {
				return fmt.Errorf("audit: export: %w", err)
			}
			if len(ds) < 500 {
				return nil
			}
			at, last = ds[len(ds)-1].ReceivedAt.UnixNano(), ds[len(ds)-1].ID
		}
	}
	f := EventFilter{Since: since, Ascending: true, Limit: 500}
	for {
		page, err := s.ListEvents(ctx, tenant, f)
		if err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		for _, sum := range page.Events {
			d, err := s.GetEvent(ctx, tenant, sum.ID)
			if err != nil {
				return fmt.Errorf("audit: export: %w", err)
			}
			if err := emit(d); err != nil {
				return fmt.Errorf("audit: export: %w", err)
			}
		}
		if err := flush(); err != nil {
			return fmt.Errorf("audit: export: %w", err)
		}
		if page.Next == "" {
			return nil
		}
		f.Cursor = page.Next
	}
}

func writeCSV(cw *csv.Writer, r *ExportRecord) error {
	base := []string{
		r.ID, r.ReceivedAt.Format(time.RFC3339Nano), r.Tenant, r.Type, r.SessionID, r.RequestID, r.Login, r.UserAgent, r.Model, r.Provider,
		r.Status, r.Decision, strconv.FormatBool(r.WouldBlock), r.Mode, r.Category, r.MaxSeverity, strconv.FormatFloat(r.LatencyMS, 'f', 3, 64),
	}
	for i := range base {
		base[i] = csvCell(base[i])
	}
	if len(r.Findings) == 0 {
		return cw.Write(append(base, make([]string, len(csvHeader)-len(base))...))
	}
	for _, f := range r.Findings {
		row := append(append([]string(nil), base...),
			csvCell(f.Detector), csvCell(f.Rule), csvCell(f.Category), csvCell(f.Class), f.Severity.String(),
			strconv.FormatFloat(f.Confidence, 'f', 2, 64), strconv.Itoa(f.Item), csvCell(f.Redacted), csvCell(f.Fingerprint),
			csvCell(f.Action), csvCell(f.Suppressed), csvCell(f.Message), csvCell(f.Evidence))
		var tx taxonomy.Refs
		if f.Taxonomy != nil {
			tx = *f.Taxonomy
		}
		row = append(row, strings.Join(tx.OWASP, " "), strings.Join(tx.ATLAS, " "), strings.Join(tx.ATTACK, " "), strings.Join(tx.CWE, " "))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// ParseTime reads a time as the query API and the export command take it:
// RFC 3339 ("2026-11-20T10:00:00Z"), a date ("2026-11-20", UTC midnight),
// Unix seconds ("1795000000"), or a duration before now ("24h", "-24h",
// "90m"). It is for flags and query parameters.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Unix(n, 0), nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("audit: time %q: want RFC 3339, YYYY-MM-DD, Unix seconds, or a duration ago such as 24h", s)
}
