package secrets

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// ruleMatches scans text with the whole engine (prefilter, windows,
// decoding) and returns the matches of rule id, before overlap resolution.
func ruleMatches(t testing.TB, e *engine, id, text string) []match {
	t.Helper()
	budget := e.maxDecodeBytes
	ms, err := e.scanText(context.Background(), text, 0, &budget)
	if err != nil {
		t.Fatal(err)
	}
	var out []match
	for _, m := range ms {
		if m.rule.ID == id {
			out = append(out, m)
		}
	}
	return out
}

func testEngine(t testing.TB) *engine {
	t.Helper()
	e, err := newEngine(&Config{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRuleTable(t *testing.T) {
	t.Parallel()
	rules := builtinRules()
	if len(rules) < 120 {
		t.Errorf("%d built-in rules, want at least 120", len(rules))
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %q", r.ID)
		}
		seen[r.ID] = true
		if r.ID == "" || r.Class == "" || r.Description == "" {
			t.Errorf("rule %q: id, class and description are required", r.ID)
		}
		if !r.Severity.Valid() {
			t.Errorf("rule %q: invalid severity %d", r.ID, r.Severity)
		}
		if len(r.Keywords) == 0 && !r.bare { // the prefixed tier scans runs, not keywords
			t.Errorf("rule %q: no keywords", r.ID)
		}
		for _, k := range r.Keywords {
			if k != strings.ToLower(k) {
				t.Errorf("rule %q: keyword %q must be lower case", r.ID, k)
			}
		}
		if len(r.Examples) == 0 || len(r.NonExamples) == 0 {
			t.Errorf("rule %q: needs examples and non-examples", r.ID)
		}
		if _, err := compileRule(r); err != nil {
			t.Error(err)
		}
	}
}

func TestRuleExamples(t *testing.T) {
	t.Parallel()
	e := testEngine(t)
	for _, r := range builtinRules() {
		t.Run(r.ID, func(t *testing.T) {
			t.Parallel()
			for i, tmpl := range r.Examples {
				text := expandExample(tmpl, fmt.Sprintf("%s/%d", r.ID, i))
				ms := ruleMatches(t, e, r.ID, text)
				if len(ms) == 0 {
					t.Errorf("example %d %q: no match", i, tmpl)
					continue
				}
				// Every keyword-selected rule must also see its keyword.
				found := false
				for _, k := range r.Keywords {
					if strings.Contains(strings.ToLower(text), k) {
						found = true
					}
				}
				if !found && ms[0].via == "" && !r.bare {
					t.Errorf("example %d: matched without any keyword present", i)
				}
				for _, m := range ms {
					if m.start < 0 || m.end > len(text) || m.start >= m.end {
						t.Errorf("example %d: bad span %d:%d", i, m.start, m.end)
					}
				}
			}
			for i, tmpl := range r.NonExamples {
				text := expandExample(tmpl, fmt.Sprintf("%s/non/%d", r.ID, i))
				if ms := ruleMatches(t, e, r.ID, text); len(ms) > 0 {
					t.Errorf("non-example %d %q: matched %q", i, tmpl, text[ms[0].start:ms[0].end])
				}
			}
		})
	}
}

func TestGitHubChecksum(t *testing.T) {
	t.Parallel()
	good := expandExample("ghp_{ghcrc:30}", "crc")
	if _, v := githubChecksum(good); !v {
		t.Errorf("valid checksum not verified")
	}
	bad := good[:len(good)-1] + string("ABCDEFGHIJ"[(strings.IndexByte("ABCDEFGHIJ", good[len(good)-1])+1)%10])
	if _, v := githubChecksum(bad); v {
		t.Errorf("bad checksum verified")
	}
}
