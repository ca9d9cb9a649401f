// Package corpus reads the labelled injection corpus (shared/corpus,
// injection.{malicious,benign}.jsonl), says which rows may be trained on,
// and assigns every row to a fixed split: fit (training), cal (Platt
// calibration), val (held-back validation) or evalonly (rows whose licence
// allows measuring only).
//
// Rows are split by group, never one by one: a BIPIA e-mail and the same
// e-mail with an injected sentence share a group, and so do rows that open
// with the same text (template variants), so near-duplicates never sit on
// both sides.
package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Row is one labelled text.
type Row struct {
	ID     string `json:"id"`
	Label  string `json:"label"`
	Text   string `json:"text"`
	Source string `json:"source"`
	// Kind, in project-written rows, is the item kind the text stands
	// for ("tool_result" or "prompt"); corpus rows leave it empty and
	// their source says (see Untrusted).
	Kind string `json:"kind,omitempty"`

	Malicious bool   `json:"-"`
	Repo      string `json:"-"` // short repository name from the id
	Tag       string `json:"-"` // sub-source tag from the id
	Group     string `json:"-"`
	Split     Split  `json:"-"`
	// Inserted, for a poisoned document built from a clean host that is
	// also in the corpus, is the text that was inserted into the host.
	Inserted string `json:"-"`
}

// SourceTag is "repo/tag", the unit results are broken down by.
func (r *Row) SourceTag() string { return r.Repo + "/" + r.Tag }

// Untrusted reports whether the row is a document or tool output (BIPIA
// e-mails and tables, TaskTracker's poisoned tool outputs and docs, and
// their clean hosts: documentation pages and command output) rather than
// something a user or an operator wrote.
func (r *Row) Untrusted() bool {
	switch {
	case r.Kind != "":
		return r.Kind == "tool_result"
	case r.Repo == "picket":
		return r.Tag == "indirect" || r.Tag == "toolout"
	case r.Repo == "bipia", r.Repo == "tasktracker":
		return true
	case r.Tag == "docs", r.Tag == "tool-output":
		return true
	}
	return false
}

// Split names the part of the corpus a row belongs to.
type Split string

// The splits.
const (
	Fit      Split = "fit"
	Cal      Split = "cal"
	Val      Split = "val"
	EvalOnly Split = "evalonly"
)

// Trainable reports whether the row's licence allows training a shipped
// model on it. The BIPIA tables (WikiTableQuestions, CC BY-SA) are
// evaluation only.
func Trainable(r *Row) bool {
	if r.Repo == "bipia" && strings.HasSuffix(r.Tag, "-table") {
		return false
	}
	// Belt and braces: the source path says the same.
	if strings.HasPrefix(r.Source, "microsoft/BIPIA") && strings.Contains(r.Source, "table") {
		return false
	}
	return true
}

// Load reads both injection files from dir and assigns groups and splits
// with seed. Rows come back in file order, malicious first.
func Load(dir string, seed uint64) ([]*Row, error) {
	var rows []*Row
	for _, f := range []string{"injection.malicious.jsonl", "injection.benign.jsonl"} {
		rs, err := readFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		rows = append(rows, rs...)
	}
	Assign(rows, seed)
	return rows, nil
}

// Parse reads rows from JSON lines.
func Parse(data []byte) ([]*Row, error) {
	var rows []*Row
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		r := &Row{}
		if err := json.Unmarshal(b, r); err != nil {
			return nil, fmt.Errorf("corpus: line %d: %w", line, err)
		}
		switch r.Label {
		case "malicious":
			r.Malicious = true
		case "benign":
		default:
			return nil, fmt.Errorf("corpus: line %d: label %q", line, r.Label)
		}
		parts := strings.Split(r.ID, ".")
		if len(parts) >= 5 {
			r.Repo, r.Tag = strings.ToLower(parts[2]), parts[3]
		} else {
			r.Repo, r.Tag = "unknown", "unknown"
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	return rows, nil
}

// ReadRows reads the rows of a JSON-lines file (project-written rows:
// model/extra.jsonl); an empty path gives none.
func ReadRows(path string) ([]*Row, error) {
	if path == "" {
		return nil, nil
	}
	rows, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

func readFile(path string) ([]*Row, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	return Parse(data)
}

// Assign sets Group and Split of every row. Evaluation-only rows get
// EvalOnly; the others' groups are hashed with seed into val (25 %), cal
// (15 %) and fit (60 %).
func Assign(rows []*Row, seed uint64) {
	assignGroups(rows)
	for _, r := range rows {
		if !Trainable(r) {
			r.Split = EvalOnly
			continue
		}
		h := hash(seed, r.Group) % 100
		switch {
		case h < 25:
			r.Split = Val
		case h < 40:
			r.Split = Cal
		default:
			r.Split = Fit
		}
	}
}

func hash(seed uint64, s string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(s))
	return h.Sum64()
}

func collapse(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// hostKind names the clean hosts a poisoned row was built from: BIPIA
// e-mails and tables, and TaskTracker's documentation pages and command
// outputs (benign rows of the corpus themselves).
func hostKind(r *Row) string {
	switch {
	case r.Repo == "bipia":
		return strings.TrimPrefix(strings.TrimPrefix(r.Tag, "context-"), "embedded-")
	case r.Repo == "tasktracker" && r.Tag == "embedded-docs", !r.Malicious && r.Tag == "docs":
		return "docs"
	case r.Repo == "tasktracker" && r.Tag == "embedded-tool-output", !r.Malicious && r.Tag == "tool-output":
		return "tool-output"
	}
	return ""
}

// assignGroups keys poisoned documents and their clean hosts by the host
// text, and other rows by their source and opening words. A poisoned row
// also learns what was inserted into its host.
func assignGroups(rows []*Row) {
	// Hosts per kind, sorted for determinism.
	ctx := map[string][]string{}
	for _, r := range rows {
		if k := hostKind(r); k != "" && !r.Malicious {
			ctx[k] = append(ctx[k], r.Text)
		}
	}
	for k := range ctx {
		sort.Strings(ctx[k])
	}
	for _, r := range rows {
		k := hostKind(r)
		switch {
		case k != "" && !r.Malicious:
			r.Group = "host:" + r.Text
		case k != "":
			if c, ok := bestContext(r.Text, ctx[k]); ok {
				r.Group = "host:" + c
				p := commonPrefix(r.Text, c)
				s := commonSuffix(r.Text[p:], c[p:])
				r.Inserted = strings.TrimSpace(r.Text[p : len(r.Text)-s])
			} else {
				r.Group = r.Repo + "-orphan:" + prefix(collapse(r.Text), 200)
			}
		default:
			r.Group = r.Repo + ":" + prefix(collapse(r.Text), 60)
		}
	}
}

// bestContext finds the context that text was built from by inserting one
// sentence: the one whose common prefix and suffix with text cover most of
// it.
func bestContext(text string, contexts []string) (string, bool) {
	best, bestCover := "", 0.0
	for _, c := range contexts {
		if len(c) == 0 || len(c) > len(text) {
			continue
		}
		p := commonPrefix(text, c)
		s := commonSuffix(text[p:], c[p:])
		cover := float64(p+s) / float64(len(c))
		if cover > bestCover {
			best, bestCover = c, cover
		}
	}
	return best, bestCover >= 0.9
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
