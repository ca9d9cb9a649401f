package policyeval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// Recorded is one row of a recorded-traffic set: a real request body that
// another project's test suite recorded (an SDK cassette, an httprr trace),
// wrapped as an Aperture pre_request hook by WrapRequest. Every such row
// is ordinary traffic: the shipped policy should let it through.
type Recorded struct {
	ID     string `json:"id"`     // module@version/path#n: where the recording is
	Format string `json:"format"` // the API format the URL names
	// KnownFP, when set, says why the shipped policy is known to block the
	// row today (a detector's false positive being worked on elsewhere):
	// the checks report such a row and tolerate it.
	KnownFP string          `json:"known_fp,omitempty"`
	Hook    json.RawMessage `json:"hook"`
}

// ReadRecorded reads a JSONL file of Recorded rows.
func ReadRecorded(path string) ([]Recorded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Recorded
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r Recorded
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// Block is one finding that made the policy block a recorded row.
type Block struct {
	Detector, Rule string
	Severity       sdk.Severity
	Confidence     float64
	Message        string
	Excerpt        string // the matched span, cut to 80 bytes
	Why            string // for Near: why it did not block
}

// RecordedResult is what the policy did with one recorded row.
type RecordedResult struct {
	Row     Recorded
	Blocked bool
	Blocks  []Block // the counted findings of a blocked row
	// Near are the findings of a row that passed: recorded by the trail
	// but below the block line (Why says why: the suppression, or the
	// detector's action).
	Near  []Block
	Items int
}

// RunRecorded evaluates every row and returns the results in row order.
func (e *Evaluator) RunRecorded(ctx context.Context, rows []Recorded) ([]RecordedResult, error) {
	out := make([]RecordedResult, 0, len(rows))
	for _, r := range rows {
		o, err := e.Hook(ctx, r.Hook)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.ID, err)
		}
		res := RecordedResult{Row: r, Blocked: o.Blocked, Items: o.Items}
		fs := o.All
		if o.Blocked {
			fs = o.Findings
		}
		for _, f := range fs {
			b := Block{
				Detector: f.Detector, Rule: f.Rule, Severity: f.Severity, Confidence: f.Confidence,
				Message: f.Message, Excerpt: excerpt(o.Event, f),
			}
			if o.Blocked {
				res.Blocks = append(res.Blocks, b)
				continue
			}
			b.Why = f.Suppressed
			if b.Why == "" {
				b.Why = "action " + f.Action
			}
			res.Near = append(res.Near, b)
		}
		out = append(out, res)
	}
	return out, nil
}

// excerpt is the finding's span of its item's text (the redacted form for
// a secret), whitespace folded and cut to 80 bytes.
func excerpt(ev *sdk.Event, f audit.Finding) string {
	s := f.Redacted
	if s == "" && ev != nil && f.Item >= 0 && f.Item < len(ev.Items) {
		t := ev.Items[f.Item].Text
		if f.Start >= 0 && f.Start < f.End && f.End <= len(t) {
			s = t[f.Start:f.End]
		} else {
			s = t
		}
	}
	if s == "" {
		s = f.Evidence
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		s = strings.ToValidUTF8(s[:80], "") + "…"
	}
	return s
}

// FprintRecorded writes the blocked count over the total, the blocked
// rows per detector and rule, one line per blocked row, and the passed
// rows that had findings below the block line per detector, rule and
// reason (each such row too when verbose).
func FprintRecorded(w io.Writer, res []RecordedResult, verbose bool) {
	blocked, known := 0, 0
	by := map[string]int{}
	near := map[string]int{}
	nearRows := 0
	for _, r := range res {
		if !r.Blocked {
			seen := map[string]bool{}
			for _, b := range r.Near {
				k := b.Detector + " " + b.Rule + " (" + b.Why + ")"
				if !seen[k] {
					seen[k] = true
					near[k]++
				}
			}
			if len(r.Near) > 0 {
				nearRows++
			}
			continue
		}
		blocked++
		if r.Row.KnownFP != "" {
			known++
		}
		seen := map[string]bool{}
		for _, b := range r.Blocks {
			k := b.Detector + " " + b.Rule
			if !seen[k] {
				seen[k] = true
				by[k]++
			}
		}
	}
	fmt.Fprintf(w, "recorded real traffic: %d/%d requests blocked (%d of them known false positives); rows blocked by detector and rule:\n", blocked, len(res), known)
	for _, k := range sortedKeys(by) {
		fmt.Fprintf(w, "  %-50s %d\n", k, by[k])
	}
	for _, r := range res {
		if !r.Blocked {
			continue
		}
		tag := ""
		if r.Row.KnownFP != "" {
			tag = " [known_fp: " + r.Row.KnownFP + "]"
		}
		fmt.Fprintf(w, "  blocked %s%s\n", r.Row.ID, tag)
		for _, b := range r.Blocks {
			fmt.Fprintf(w, "    %s %s %s conf %.2f: %s | %q\n", b.Detector, b.Rule, b.Severity, b.Confidence, b.Message, b.Excerpt)
		}
	}
	fmt.Fprintf(w, "  %d/%d passed requests had findings below the block line; rows by detector, rule and why:\n", nearRows, len(res)-blocked)
	for _, k := range sortedKeys(near) {
		fmt.Fprintf(w, "  %-50s %d\n", k, near[k])
	}
	if !verbose {
		return
	}
	for _, r := range res {
		if r.Blocked || len(r.Near) == 0 {
			continue
		}
		fmt.Fprintf(w, "  passed %s\n", r.Row.ID)
		for _, b := range r.Near {
			fmt.Fprintf(w, "    %s %s %s conf %.2f (%s): %s | %q\n", b.Detector, b.Rule, b.Severity, b.Confidence, b.Why, b.Message, b.Excerpt)
		}
	}
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
