package secrets

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/picketsec/picket/sdk"
)

// gitleaksConfig is the subset of gitleaks' TOML configuration that picket
// reads: [[rules]] with their allowlists, and the global allowlist(s).
type gitleaksConfig struct {
	Title      string          `toml:"title"`
	Rules      []gitleaksRule  `toml:"rules"`
	Allowlist  *gitleaksAllow  `toml:"allowlist"`
	Allowlists []gitleaksAllow `toml:"allowlists"`
	Extend     map[string]any  `toml:"extend"`
}

type gitleaksRule struct {
	ID          string          `toml:"id"`
	Description string          `toml:"description"`
	Regex       string          `toml:"regex"`
	SecretGroup int             `toml:"secretGroup"`
	Entropy     float64         `toml:"entropy"`
	Keywords    []string        `toml:"keywords"`
	Path        string          `toml:"path"`
	Tags        []string        `toml:"tags"`
	Allowlist   *gitleaksAllow  `toml:"allowlist"`
	Allowlists  []gitleaksAllow `toml:"allowlists"`
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

// parseGitleaks turns gitleaks TOML into rules of severity sev. Global
// allowlists apply to every custom rule. Rules with only a path pattern
// (no regex) are skipped: picket scans text, not files.
func parseGitleaks(src string, sev sdk.Severity) ([]*Rule, error) {
	var cfg gitleaksConfig
	md, err := toml.Decode(src, &cfg)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	_ = md
	var global []allowRule
	var gl []gitleaksAllow
	if cfg.Allowlist != nil {
		gl = append(gl, *cfg.Allowlist)
	}
	gl = append(gl, cfg.Allowlists...)
	for i, a := range gl {
		ar, err := compileAllow(a)
		if err != nil {
			return nil, fmt.Errorf("allowlists[%d]: %w", i, err)
		}
		global = append(global, ar)
	}
	var out []*Rule
	seen := map[string]bool{}
	for i, gr := range cfg.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if gr.ID == "" {
			return nil, fmt.Errorf("%s: id: missing", where)
		}
		where = fmt.Sprintf("rules[%d] (%s)", i, gr.ID)
		if seen[gr.ID] {
			return nil, fmt.Errorf("%s: id: duplicate", where)
		}
		seen[gr.ID] = true
		if gr.Regex == "" {
			if gr.Path != "" {
				continue
			}
			return nil, fmt.Errorf("%s: regex: missing", where)
		}
		re, err := regexp.Compile(gr.Regex)
		if err != nil {
			return nil, fmt.Errorf("%s: regex: %w", where, err)
		}
		if gr.SecretGroup < 0 || gr.SecretGroup > re.NumSubexp() {
			return nil, fmt.Errorf("%s: secretGroup: %d but regex has %d groups", where, gr.SecretGroup, re.NumSubexp())
		}
		if gr.Entropy < 0 || gr.Entropy > 8 {
			return nil, fmt.Errorf("%s: entropy: %v out of range 0..8", where, gr.Entropy)
		}
		r := &Rule{
			ID: gr.ID, Class: "custom", Description: gr.Description, Severity: sev, Confidence: 0.8,
			Regex: gr.Regex, SecretGroup: gr.SecretGroup, Entropy: gr.Entropy, Back: 256, Ahead: 1024,
		}
		if r.Description == "" {
			r.Description = "custom rule " + gr.ID
		}
		for _, k := range gr.Keywords {
			if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
				r.Keywords = append(r.Keywords, k)
			}
		}
		var als []gitleaksAllow
		if gr.Allowlist != nil {
			als = append(als, *gr.Allowlist)
		}
		als = append(als, gr.Allowlists...)
		for j, a := range als {
			ar, err := compileAllow(a)
			if err != nil {
				return nil, fmt.Errorf("%s: allowlists[%d]: %w", where, j, err)
			}
			r.allow = append(r.allow, ar)
		}
		r.allow = append(r.allow, global...)
		out = append(out, r)
	}
	return out, nil
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
