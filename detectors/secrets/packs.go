package secrets

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/picketsec/picket/sdk"
	"gopkg.in/yaml.v3"
)

// Operator rule packs (config `rules_files`): each entry is a file or a
// directory of files, read by extension — `.toml` in gitleaks / Betterleaks
// format, `.yml` / `.yaml` in noseyparker / Titus format. Every rule is
// checked when the pack loads: its regex must compile, and the examples a
// pack carries must match (its negative examples must not). The first bad
// rule refuses the configuration with file, line, rule id and reason.

// loadRulesFile loads one rules_files entry. Rule ids are namespaced by
// the pack's name (the file or directory name without extension), so two
// packs' ids never collide with each other or with picket's.
func loadRulesFile(path string, sev sdk.Severity, disabled map[string]bool) ([]*Rule, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	ps := packSource{Origin: name, Prefix: name + ".", File: path, Severity: sev, Disabled: disabled}
	if !st.IsDir() {
		return loadPackFile(path, ps)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".toml", ".yml", ".yaml":
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no .toml, .yml or .yaml files", path)
	}
	var out []*Rule
	seen := map[string]string{}
	for _, f := range files {
		ps.File = f
		rs, err := loadPackFile(f, ps)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if prev, dup := seen[r.ID]; dup {
				return nil, &ruleError{File: f, Where: r.ID, Reason: "id: duplicate (also in " + prev + ")"}
			}
			seen[r.ID] = f
		}
		out = append(out, rs...)
	}
	return out, nil
}

func loadPackFile(path string, ps packSource) ([]*Rule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".toml":
		return parseGitleaksPack(string(b), ps)
	case ".yml", ".yaml":
		return parseNoseyParker(b, ps)
	}
	return nil, fmt.Errorf("%s: unknown rule file type (want .toml, .yml or .yaml)", path)
}

// npFile is a noseyparker / Titus rules file.
type npFile struct {
	Rules []yaml.Node `yaml:"rules"`
}

type npRule struct {
	Name                string         `yaml:"name"`
	ID                  string         `yaml:"id"`
	Pattern             string         `yaml:"pattern"`
	Description         string         `yaml:"description"`
	Examples            []string       `yaml:"examples"`
	NegativeExamples    []string       `yaml:"negative_examples"`
	Categories          []string       `yaml:"categories"`
	MinEntropy          float64        `yaml:"min_entropy"`
	Confidence          string         `yaml:"confidence"`
	Visible             *bool          `yaml:"visible"`
	PatternRequirements *npRequirement `yaml:"pattern_requirements"`
	// validation (HTTP checks) and depends_on_rule (inputs of those
	// checks) are read and ignored: picket makes no network calls.
	Validation    any `yaml:"validation"`
	DependsOnRule any `yaml:"depends_on_rule"`
}

type npRequirement struct {
	MinDigits        int      `yaml:"min_digits"`
	MinUppercase     int      `yaml:"min_uppercase"`
	MinLowercase     int      `yaml:"min_lowercase"`
	MinSpecialChars  int      `yaml:"min_special_chars"`
	SpecialChars     string   `yaml:"special_chars"`
	IgnoreIfContains []string `yaml:"ignore_if_contains"`
	Checksum         any      `yaml:"checksum"`
}

// parseNoseyParker parses a noseyparker / Titus YAML rules file.
func parseNoseyParker(src []byte, ps packSource) ([]*Rule, error) {
	var f npFile
	if err := yaml.Unmarshal(src, &f); err != nil {
		return nil, &ruleError{File: ps.File, Reason: "parse: " + err.Error()}
	}
	var out []*Rule
	for i, n := range f.Rules {
		var nr npRule
		where := fmt.Sprintf("rules[%d]", i)
		if err := n.Decode(&nr); err != nil {
			return nil, &ruleError{File: ps.File, Line: n.Line, Where: where, Reason: err.Error()}
		}
		if nr.ID == "" {
			return nil, &ruleError{File: ps.File, Line: n.Line, Where: where, Reason: "id: missing"}
		}
		where = fmt.Sprintf("rules[%d] (%s)", i, nr.ID)
		if ps.Disabled[ps.Prefix+nr.ID] {
			continue // disabled: not checked, not loaded
		}
		line := n.Line
		fail := func(format string, args ...any) error {
			return &ruleError{File: ps.File, Line: line, Where: where, Reason: fmt.Sprintf(format, args...)}
		}
		if strings.TrimSpace(nr.Pattern) == "" {
			return nil, fail("pattern: missing")
		}
		if l := fieldLine(&n, "pattern"); l > 0 {
			line = l
		}
		src, err := goRegex(nr.Pattern)
		if err != nil {
			return nil, fail("pattern: %v", err)
		}
		if strings.HasPrefix(nr.ID, "kingfisher.") {
			// Kingfisher compiles its patterns case-insensitively (its
			// own examples rely on it); noseyparker's are case-sensitive.
			src = "(?i)" + src
		}
		t, err := parseRegex(src)
		if err != nil {
			return nil, fail("pattern: %v", err)
		}
		line = n.Line
		if nr.MinEntropy < 0 || nr.MinEntropy > 8 {
			return nil, fail("min_entropy: %v out of range 0..8", nr.MinEntropy)
		}
		sev := ps.Severity
		switch strings.ToLower(nr.Confidence) {
		case "", "high":
		case "medium":
			sev = min(sev, sdk.SeverityMedium)
		case "low":
			sev = min(sev, sdk.SeverityLow)
		default:
			return nil, fail("confidence: %q (want low, medium or high)", nr.Confidence)
		}
		desc := nr.Name
		if desc == "" {
			desc = nr.Description
		}
		if desc == "" {
			desc = "rule " + nr.ID
		}
		r := &Rule{
			ID: ps.Prefix + nr.ID, Class: classFromID(nr.ID), Description: desc, Severity: sev, Confidence: 0.8,
			Regex: src, Entropy: nr.MinEntropy, Back: 256, Ahead: 1024, Float: true, Origin: ps.Origin, tree: t,
		}
		if nr.Visible != nil && !*nr.Visible {
			r.skipReport = true
		}
		for _, c := range nr.Categories {
			if c == "generic" {
				r.Generic, r.packGeneric = true, true
			}
		}
		if pr := nr.PatternRequirements; pr != nil {
			r.valueReq = &valueRequirement{digits: pr.MinDigits, upper: pr.MinUppercase, lower: pr.MinLowercase,
				special: pr.MinSpecialChars, specialSet: pr.SpecialChars}
			for _, w := range pr.IgnoreIfContains {
				if w != "" {
					r.stopwords = append(r.stopwords, strings.ToLower(w))
				}
			}
		}
		if r.Keywords = regexKeywords(t); len(r.Keywords) == 0 {
			r.noKeywordOK = true
		}
		anchorImported(r)
		// The pack's own examples, checked against the pattern (not
		// picket's filters: a pack's example may be a documented
		// placeholder that picket rightly ignores). Only a rule with
		// examples needs the pattern compiled as written.
		var re *regexp.Regexp
		if len(nr.Examples)+len(nr.NegativeExamples) > 0 {
			if re, err = regexp.Compile(src); err != nil {
				return nil, fail("pattern: %v", err)
			}
		}
		for j, ex := range nr.Examples {
			if !re.MatchString(ex) {
				line = exampleLine(&n, "examples", j, n.Line)
				return nil, fail("examples[%d]: pattern does not match its own example", j)
			}
		}
		for j, ex := range nr.NegativeExamples {
			if m := re.FindStringSubmatch(ex); m != nil && negativeHit(m) && r.packValueOK(firstGroup(m)) {
				line = exampleLine(&n, "negative_examples", j, n.Line)
				return nil, fail("negative_examples[%d]: pattern matches its own negative example", j)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// negativeHit reports whether a regex match of a negative example counts
// as a hit: noseyparker reports the capture groups, so a match whose
// groups are all empty is no finding.
func negativeHit(m []string) bool {
	if len(m) == 1 {
		return m[0] != ""
	}
	for _, g := range m[1:] {
		if g != "" {
			return true
		}
	}
	return false
}

// fieldLine returns the line of key in a mapping node (0 if absent).
func fieldLine(n *yaml.Node, key string) int {
	if n.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1].Line
		}
	}
	return 0
}

func exampleLine(n *yaml.Node, key string, j, def int) int {
	if n.Kind != yaml.MappingNode {
		return def
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && j < len(n.Content[i+1].Content) {
			return n.Content[i+1].Content[j].Line
		}
	}
	return def
}

// goRegex translates the regex dialect of noseyparker rules (Rust regex /
// Hyperscan) into Go's RE2 syntax: the verbose flag (?x) is applied by
// removing unescaped whitespace and # comments outside character classes,
// since Go has no x flag. Constructs RE2 lacks (look-around,
// back-references, possessive quantifiers) are refused by the compiler
// with their position.
func goRegex(p string) (string, error) {
	verbose := false
	var flagRe = regexp.MustCompile(`\(\?([a-zA-Z]*)x([a-zA-Z]*)\)`)
	if flagRe.MatchString(p) {
		verbose = true
		p = flagRe.ReplaceAllStringFunc(p, func(s string) string {
			m := flagRe.FindStringSubmatch(s)
			if f := m[1] + m[2]; f != "" {
				return "(?" + f + ")"
			}
			return ""
		})
	}
	p = inlineComment.ReplaceAllString(p, "")
	p = bigRepeatCount.ReplaceAllString(p, "{$1,}")
	if !verbose {
		return strings.TrimSpace(p), nil
	}
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			if !inClass && (p[i+1] == ' ' || p[i+1] == '#') {
				b.WriteByte(p[i+1]) // "\ " and "\#" are literal
			} else {
				b.WriteByte(c)
				b.WriteByte(p[i+1])
			}
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal member.
			if i+1 < len(p) && p[i+1] == '^' {
				b.WriteByte('^')
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				b.WriteByte(']')
				i++
			}
		case c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			b.WriteByte(c)
		}
	}
	if inClass {
		return "", fmt.Errorf("unterminated character class")
	}
	return b.String(), nil
}

// inlineComment is a (?# …) comment group; bigRepeatCount a counted
// repetition over RE2's limit of 1000 (an open bound matches the same
// text within picket's bounded windows).
var (
	inlineComment  = regexp.MustCompile(`\(\?#[^)]*\)`)
	bigRepeatCount = regexp.MustCompile(`\{(\d+),\d{4,}\}`)
)

// valueRequirement is a noseyparker pattern_requirements block: minimum
// counts of character kinds in the secret.
type valueRequirement struct {
	digits, upper, lower, special int
	specialSet                    string
}

func (q *valueRequirement) ok(v string) bool {
	var d, u, l, s int
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= '0' && c <= '9':
			d++
		case c >= 'A' && c <= 'Z':
			u++
		case c >= 'a' && c <= 'z':
			l++
		default:
			if q.specialSet == "" || strings.IndexByte(q.specialSet, c) >= 0 {
				s++
			}
		}
	}
	return d >= q.digits && u >= q.upper && l >= q.lower && s >= q.special
}

// applyRequirements enforces composite rules (Betterleaks `required`): a
// match of such a rule stays only when every required rule matched within
// its line and column distance; matches of rules that only feed others
// (skipReport, noseyparker `visible: false`) are then dropped.
func applyRequirements(text string, ms []match) []match {
	need := false
	for i := range ms {
		if len(ms[i].rule.requires) > 0 || ms[i].rule.skipReport {
			need = true
			break
		}
	}
	if !need {
		return ms
	}
	pos := func(off int) (line, col int) {
		return strings.Count(text[:off], "\n"), off - (strings.LastIndexByte(text[:off], '\n') + 1)
	}
	out := ms[:0:0]
	for i := range ms {
		m := &ms[i]
		if m.rule.skipReport {
			continue
		}
		ok := true
		if len(m.rule.requires) > 0 {
			ml, mc := pos(m.start)
			for _, q := range m.rule.requires {
				found := false
				for j := range ms {
					if ms[j].rule.ID != q.id {
						continue
					}
					l, c := pos(ms[j].start)
					if (q.lines < 0 || abs(l-ml) <= q.lines) && (q.columns < 0 || abs(c-mc) <= q.columns) {
						found = true
						break
					}
				}
				if !found {
					ok = false
					break
				}
			}
		}
		if ok {
			out = append(out, *m)
		}
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// anchorImported turns an imported rule into an anchored one when its
// regex starts with literals (see anchorRegex): the literals become its
// keywords. A pack's own keywords are then not needed to gate the rule,
// since the anchored literal itself must occur.
func anchorImported(r *Rule) {
	if a, lits, boundary, ok := anchorRegex(r.tree); ok {
		// Regex says what runs, so that the rule compiles the same
		// without its tree.
		r.tree, r.Regex, r.Keywords, r.Float, r.noKeywordOK, r.boundary = a, printRegex(a), lits, false, false, boundary
	}
}

func firstGroup(m []string) string {
	for _, g := range m[1:] {
		if g != "" {
			return g
		}
	}
	return m[0]
}

// packValueOK applies a pack rule's own value filters (minimum entropy,
// pattern requirements, ignore-if-contains words): a negative example the
// regex matches is still no finding when they reject its value.
func (r *Rule) packValueOK(v string) bool {
	if isPlaceholder(v) || placeholderMarked(v, true) {
		return false // picket drops it too (xxxx, your-key, test)
	}
	if r.Entropy > 0 && shannon(v) < r.Entropy {
		return false
	}
	if r.valueReq != nil && !r.valueReq.ok(v) {
		return false
	}
	lv := strings.ToLower(v)
	for _, w := range r.stopwords {
		if strings.Contains(lv, w) {
			return false
		}
	}
	return true
}
