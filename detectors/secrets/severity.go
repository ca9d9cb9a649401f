package secrets

import (
	"strings"

	"github.com/picketsec/picket/sdk"
)

// Severity means measured precision. Every rule class (origin/class:
// "picket/aws", "gitleaks/slack", "picket/generic", …) gets the severity
// its precision on the labelled corpus earns (severity_fit.go, written by
// `go run ./detectors/secrets/cmd/eval -fit-severity`): high or critical
// only where a finding is right nearly always, since that is what the
// default policy blocks; medium and below alert.

// classKey is a rule's key in the severity table.
func classKey(r *Rule) string {
	o := r.Origin
	if o == "" {
		o = "picket"
	}
	return o + "/" + r.Class
}

// ClassKey returns the severity-table key of a finding's rule, for
// evaluation tools: "" when the rule is unknown to the built-in set.
func ClassKey(ruleID, class string) string {
	switch {
	case strings.HasPrefix(ruleID, "gitleaks."):
		return "gitleaks/" + class
	case strings.Contains(ruleID, "."):
		return ruleID[:strings.IndexByte(ruleID, '.')] + "/" + class
	}
	return "picket/" + class
}

// fittedCap applies the fitted table. Imported rules take their class's
// severity. Picket's own rules are lowered to it, and raised to it only
// when they are generic guesses (whose medium was a guess too): a
// provider rule graded below high by design (a test-mode key, a password
// hash) stays there. Per-match grading (a weak value one step lower, a
// random quoted literal one step higher) applies on top.
func fittedCap(r *Rule) sdk.Severity {
	f, ok := fittedSeverity[classKey(r)]
	if !ok {
		return r.Severity
	}
	if r.Origin == "" && f > r.Severity && !r.Generic {
		return r.Severity
	}
	if r.Origin == "" && r.Severity == sdk.SeverityCritical && f == sdk.SeverityHigh {
		return r.Severity // critical is high that the rule author ranked first
	}
	return f
}

// applySeverities sets each rule's severity: an operator override by rule
// id or by class key wins, then the fitted table. Rules are copied before
// they are changed.
func applySeverities(rules []*Rule, overrides map[string]string) []*Rule {
	out := make([]*Rule, len(rules))
	for i, r := range rules {
		sev := r.Severity
		if r.Origin != "custom" {
			sev = fittedCap(r)
		}
		if v, ok := overrides[r.ID]; ok {
			sev, _ = sdk.ParseSeverity(v)
		} else if v, ok := overrides[classKey(r)]; ok {
			sev, _ = sdk.ParseSeverity(v)
		}
		if sev != r.Severity {
			c := *r
			c.Severity = sev
			r = &c
		}
		out[i] = r
	}
	return out
}
