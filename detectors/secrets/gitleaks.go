package secrets

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/picketsec/picket/sdk"
)

// gitleaksConfig is the subset of gitleaks' TOML configuration that picket
// reads: [[rules]] with their allowlists, and the global allowlist(s).
// Betterleaks' superset adds Expr `filter` / `prefilter` expressions,
// composite `[[rules.required]]` and `skipReport`; its `validate` (a
// network check) is read and ignored.
type gitleaksConfig struct {
	Title      string          `toml:"title"`
	Rules      []gitleaksRule  `toml:"rules"`
	Allowlist  *gitleaksAllow  `toml:"allowlist"`
	Allowlists []gitleaksAllow `toml:"allowlists"`
	Extend     map[string]any  `toml:"extend"`
	Filter     string          `toml:"filter"`
	Prefilter  string          `toml:"prefilter"`
}

type gitleaksRule struct {
	ID          string             `toml:"id"`
	Description string             `toml:"description"`
	Regex       string             `toml:"regex"`
	SecretGroup int                `toml:"secretGroup"`
	Entropy     float64            `toml:"entropy"`
	Keywords    []string           `toml:"keywords"`
	Path        string             `toml:"path"`
	Tags        []string           `toml:"tags"`
	Allowlist   *gitleaksAllow     `toml:"allowlist"`
	Allowlists  []gitleaksAllow    `toml:"allowlists"`
	Filter      string             `toml:"filter"`
	Prefilter   string             `toml:"prefilter"`
	Validate    string             `toml:"validate"`
	Required    []gitleaksRequired `toml:"required"`
	SkipReport  bool               `toml:"skipReport"`
	Specificity int                `toml:"specificity"`
}

type gitleaksRequired struct {
	ID            string `toml:"id"`
	WithinLines   *int   `toml:"withinLines"`
	WithinColumns *int   `toml:"withinColumns"`
}

type gitleaksAllow struct {
	Description string   `toml:"description"`
	Condition   string   `toml:"condition"`
	Regexes     []string `toml:"regexes"`
	RegexTarget string   `toml:"regexTarget"`
	Stopwords   []string `toml:"stopwords"`
	Paths       []string `toml:"paths"`
	Commits     []string `toml:"commits"`
}

// packSource says where a set of imported rules comes from: Origin names
// it in rule classes' precision table ("gitleaks" for gitleaks' default
// rules, the pack's name otherwise), Prefix namespaces its rule ids, File
// is used in error messages.
type packSource struct {
	Origin   string
	Prefix   string
	File     string
	Severity sdk.Severity
	// Disabled rule ids (namespaced) are skipped before they are checked,
	// so an operator can load a pack one of whose rules picket cannot
	// run by listing it in disable_rules.
	Disabled map[string]bool
}

// ruleError is a rule refused at load: file, line (0 when unknown), rule
// id and reason.
type ruleError struct {
	File   string
	Line   int
	Where  string // "rules[3] (id)"
	Reason string
}

func (e *ruleError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Where != "" {
		b.WriteString(e.Where + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// parseGitleaks turns gitleaks TOML into rules of severity sev. Global
// allowlists apply to every custom rule. Rules with only a path pattern
// (no regex) are skipped: picket scans text, not files. A rule with a
// regex and a path reports only where the text names a file of that
// path (pathApplies).
func parseGitleaks(src string, sev sdk.Severity) ([]*Rule, error) {
	return parseGitleaksPack(src, packSource{Origin: "custom", Severity: sev})
}

// parseGitleaksPack parses gitleaks / Betterleaks TOML. Every rule is
// checked (regex, secret group, entropy, filter expression, required
// rules); the first bad one refuses the whole pack with its file, line,
// id and reason.
func parseGitleaksPack(src string, ps packSource) ([]*Rule, error) {
	var cfg gitleaksConfig
	if _, err := toml.Decode(src, &cfg); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ruleError{File: ps.File, Line: pe.Position.Line, Reason: "parse: " + pe.Message}
		}
		return nil, &ruleError{File: ps.File, Reason: "parse: " + err.Error()}
	}
	var global []allowRule
	var gl []gitleaksAllow
	if cfg.Allowlist != nil {
		gl = append(gl, *cfg.Allowlist)
	}
	gl = append(gl, cfg.Allowlists...)
	for i, a := range gl {
		ar, err := compileAllow(a)
		if err != nil {
			return nil, &ruleError{File: ps.File, Where: fmt.Sprintf("allowlists[%d]", i), Reason: err.Error()}
		}
		global = append(global, ar)
	}
	var globalFilter *exprFilter
	if strings.TrimSpace(cfg.Filter) != "" {
		f, err := compileExprFilter(cfg.Filter)
		if err != nil {
			return nil, &ruleError{File: ps.File, Line: lineOf(src, "filter"), Where: "filter", Reason: err.Error()}
		}
		globalFilter = f
	}
	var out []*Rule
	seen := map[string]bool{}
	for i, gr := range cfg.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if gr.ID == "" {
			return nil, &ruleError{File: ps.File, Where: where, Reason: "id: missing"}
		}
		where = fmt.Sprintf("rules[%d] (%s)", i, gr.ID)
		fail := func(format string, args ...any) error {
			return &ruleError{File: ps.File, Line: ruleLine(src, gr.ID), Where: where, Reason: fmt.Sprintf(format, args...)}
		}
		if seen[gr.ID] {
			return nil, fail("id: duplicate")
		}
		seen[gr.ID] = true
		if ps.Disabled[ps.Prefix+gr.ID] {
			continue
		}
		if gr.Regex == "" {
			if gr.Path != "" {
				continue
			}
			return nil, fail("regex: missing")
		}
		// Parsed once: the loader's checks, the keywords, the anchoring
		// and every gate compileRule derives read this tree.
		t, err := parseRegex(gr.Regex)
		if err != nil {
			return nil, fail("regex: %v", err)
		}
		if n := t.MaxCap(); gr.SecretGroup < 0 || gr.SecretGroup > n {
			return nil, fail("secretGroup: %d but regex has %d groups", gr.SecretGroup, n)
		}
		if gr.Entropy < 0 || gr.Entropy > 8 {
			return nil, fail("entropy: %v out of range 0..8", gr.Entropy)
		}
		var pathRe *regexp.Regexp
		if gr.Path != "" {
			if pathRe, err = regexp.Compile(gr.Path); err != nil {
				return nil, fail("path: %v", err)
			}
		}
		r := &Rule{
			ID: ps.Prefix + gr.ID, Class: classFromID(gr.ID), Description: gr.Description, Severity: ps.Severity, Confidence: 0.8,
			Regex: gr.Regex, SecretGroup: gr.SecretGroup, Entropy: gr.Entropy, Back: 256, Ahead: 1024, Float: true,
			Origin: ps.Origin, skipReport: gr.SkipReport, tree: t, pathRe: pathRe,
		}
		if ps.Origin == "custom" {
			r.Class = "custom"
		}
		if r.Description == "" {
			r.Description = "rule " + gr.ID
		}
		if strings.HasPrefix(gr.ID, "generic") {
			r.Generic = true
			r.packGeneric = true
		}
		for _, k := range gr.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				r.Keywords = append(r.Keywords, k)
			}
		}
		if len(r.Keywords) == 0 {
			if r.Keywords = regexKeywords(t); len(r.Keywords) == 0 {
				r.noKeywordOK = true
			}
		}
		anchorImported(r)
		if strings.HasPrefix(gr.ID, "github-") {
			r.Check = githubChecksum
		}
		var als []gitleaksAllow
		if gr.Allowlist != nil {
			als = append(als, *gr.Allowlist)
		}
		als = append(als, gr.Allowlists...)
		for j, a := range als {
			ar, err := compileAllow(a)
			if err != nil {
				return nil, fail("allowlists[%d]: %v", j, err)
			}
			r.allow = append(r.allow, ar)
		}
		r.allow = append(r.allow, global...)
		if strings.TrimSpace(gr.Filter) != "" {
			f, err := compileExprFilter(gr.Filter)
			if err != nil {
				return nil, fail("filter: %v", err)
			}
			r.filters = append(r.filters, f)
		}
		if globalFilter != nil {
			r.filters = append(r.filters, globalFilter)
		}
		for j, rq := range gr.Required {
			if rq.ID == "" {
				return nil, fail("required[%d]: id missing", j)
			}
			q := requirement{id: ps.Prefix + rq.ID, lines: -1, columns: -1}
			if rq.WithinLines != nil {
				q.lines = *rq.WithinLines
			}
			if rq.WithinColumns != nil {
				q.columns = *rq.WithinColumns
			}
			r.requires = append(r.requires, q)
		}
		out = append(out, r)
	}
	// Required rules must exist in the pack.
	for _, r := range out {
		for _, q := range r.requires {
			if !seen[strings.TrimPrefix(q.id, ps.Prefix)] {
				return nil, &ruleError{File: ps.File, Line: ruleLine(src, strings.TrimPrefix(r.ID, ps.Prefix)), Where: r.ID, Reason: fmt.Sprintf("required: unknown rule %q", q.id)}
			}
		}
	}
	return out, nil
}

// ruleLine finds the line of a rule's `id = "…"` in TOML source (0 when
// not found).
func ruleLine(src, id string) int {
	for _, pat := range []string{`id = "` + id + `"`, `id="` + id + `"`, `id = '` + id + `'`} {
		if i := strings.Index(src, pat); i >= 0 {
			return strings.Count(src[:i], "\n") + 1
		}
	}
	return 0
}

// lineOf finds the first line starting with key (0 when not found).
func lineOf(src, key string) int {
	for n, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), key) {
			return n + 1
		}
	}
	return 0
}

// classFromID derives a provider class from a rule id in the field's
// naming ("slack-legacy-token" → "slack", "np.aws.1" → "aws",
// "private-key" → "private-key").
func classFromID(id string) string {
	id = strings.ToLower(id)
	for _, p := range []string{"np.", "kingfisher.", "titus."} {
		id = strings.TrimPrefix(id, p)
	}
	for _, c := range []string{"private-key", "generic", "jwt"} {
		if strings.HasPrefix(id, c) {
			return c
		}
	}
	if i := strings.IndexAny(id, "-._"); i > 0 {
		return id[:i]
	}
	return id
}

func compileAllow(a gitleaksAllow) (allowRule, error) {
	ar := allowRule{target: "secret"}
	switch strings.ToLower(a.RegexTarget) {
	case "", "secret":
	case "match":
		ar.target = "match"
	case "line":
		ar.target = "line"
	default:
		return ar, fmt.Errorf("regexTarget: %q (want secret, match or line)", a.RegexTarget)
	}
	switch strings.ToUpper(a.Condition) {
	case "", "OR":
	case "AND":
		ar.and = true
	default:
		return ar, fmt.Errorf("condition: %q (want OR or AND)", a.Condition)
	}
	for i, s := range a.Regexes {
		re, err := regexp.Compile(s)
		if err != nil {
			return ar, fmt.Errorf("regexes[%d]: %w", i, err)
		}
		ar.regexes = append(ar.regexes, re)
	}
	for _, w := range a.Stopwords {
		ar.stopwords = append(ar.stopwords, strings.ToLower(w))
	}
	return ar, nil
}
