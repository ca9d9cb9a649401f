package commands

import (
	"context"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// allRules lists every rule with its examples: the call rules, the Windows
// text rules and the encoded-command rule.
func allRules() []*rule {
	out := append([]*rule(nil), rules...)
	for _, t := range textRules {
		out = append(out, &t.rule)
	}
	for _, e := range catalogue {
		out = append(out, e.rule)
	}
	out = append(out, winCredRead, winSecretSend)
	out = append(out, scriptRules...)
	return append(out, encodedRule)
}

func TestRuleExamples(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, r := range allRules() {
		if seen[r.ID] {
			t.Errorf("duplicate rule id %q", r.ID)
		}
		seen[r.ID] = true
		if len(r.Must) == 0 || len(r.MustNot) == 0 {
			t.Errorf("rule %q: needs must-flag and must-not-flag examples", r.ID)
		}
		if r.Class == "" || r.Msg == "" || !r.Sev.Valid() {
			t.Errorf("rule %q: class, message and severity are required", r.ID)
		}
		r := r
		t.Run(r.ID, func(t *testing.T) {
			t.Parallel()
			for _, cmd := range r.Must {
				ms := judge(context.Background(), cmd, defaultConfig)
				found := false
				for _, m := range ms {
					if m.rule.ID == r.ID {
						found = true
					}
				}
				if !found {
					t.Errorf("must flag %q, got %v", cmd, describe(ms))
				}
			}
			for _, cmd := range r.MustNot {
				for _, m := range judge(context.Background(), cmd, defaultConfig) {
					if m.rule.ID == r.ID && m.sev >= sdk.SeverityMedium || m.sev >= sdk.SeverityHigh {
						t.Errorf("must not flag %q, got %s (%s, %s)", cmd, m.rule.ID, m.sev, m.msg)
					}
				}
			}
		})
	}
}

func describe(ms []match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.rule.ID+"/"+m.sev.String())
	}
	return out
}
