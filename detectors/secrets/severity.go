package secrets

import (
	"context"
	"strings"
	"sync"

	"github.com/picketsec/picket/sdk"
)

// Severity means measured precision. Every rule class (origin/class:
// "picket/aws", "gitleaks/slack", "picket/generic", …) gets the severity
// its precision on the labelled corpus earns (severity_fit.go, written by
// `go run ./detectors/secrets/cmd/eval -fit-severity`): high or critical
// only where a finding is right nearly always, since that is what the
// default policy blocks; medium and below alert.

// classKey is a rule's key in the severity table.
// Picket's generic rules are each their own class (picket/<rule id>): a
// password in a connection string and a guess from a variable name differ
// in precision by far more than two providers do.
func classKey(r *Rule) string {
	o := r.Origin
	if o == "" {
		if r.Generic {
			return "picket/" + r.ID
		}
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
	case genericIDs[ruleID]:
		return "picket/" + ruleID
	}
	return "picket/" + class
}

// fittedCap applies the fitted table. Imported rules take their class's
// severity. Picket's own rules are lowered to it, and raised to it when
// they are generic guesses (whose medium was a guess too) or when every
// picket rule of the class has the same severity, so that the class's
// precision is the rule's own (password hashes: 20 of 20 corpus rows
// right). A provider rule graded below the rest of its class by design (a
// Stripe test key beside live keys, a GitLab feed token beside personal
// tokens) stays there: the class's precision is not its own. Per-match
// grading (a weak value one step lower, a random quoted literal one step
// higher) applies on top.
func fittedCap(r *Rule) sdk.Severity {
	f, ok := fittedSeverity[classKey(r)]
	if !ok {
		return r.Severity
	}
	if r.Origin == "" && f > r.Severity && !r.Generic && !uniformClass()[classKey(r)] {
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
		if r.Origin != "custom" && !r.scored {
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

// FittedSeverity returns a copy of the shipped table of measured
// precision (class key → severity).
func FittedSeverity() map[string]sdk.Severity {
	out := make(map[string]sdk.Severity, len(fittedSeverity))
	for k, v := range fittedSeverity {
		out[k] = v
	}
	return out
}

// SetFittedSeverity replaces the table for detectors configured after
// the call and returns the previous one. It exists for the evaluation's
// leave-one-source-out refits; it is not safe to call concurrently with
// Configure.
func SetFittedSeverity(m map[string]sdk.Severity) map[string]sdk.Severity {
	old := fittedSeverity
	fittedSeverity = m
	// The shared default-config engine was built with the old table.
	defaultEngine.once = sync.Once{}
	defaultEngine.e, defaultEngine.err = nil, nil
	return old
}

var genericIDs = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range builtinRules() {
		if r.Generic {
			m[r.ID] = true
		}
	}
	return m
}()

// GenericRule reports whether a rule id names a generic guess (picket's
// generic tier, an imported generic rule) rather than a provider rule.
func GenericRule(id string) bool {
	return genericIDs[id] || strings.Contains(id, "generic")
}

// collectGrade, when set, receives the per-match grade of every reported
// finding, in order (evaluation only).
var collectGrade func(grade int)

// DetectGraded runs d over ev and returns its findings with each one's
// per-match grade: -1 a weak or hand-edited value (reported one severity
// below its class), +1 a random quoted literal (one above), 0 neither.
// The severity fit measures a class's precision on its grade-0 and +1
// findings, the ones reported at the class's severity or above. Not safe
// concurrently with Detect.
func DetectGraded(ctx context.Context, d sdk.Detector, ev *sdk.Event) ([]sdk.Finding, []int, error) {
	var grades []int
	collectGrade = func(g int) { grades = append(grades, g) }
	defer func() { collectGrade = nil }()
	fs, err := d.Detect(ctx, ev)
	if err != nil || len(grades) != len(fs) {
		return fs, make([]int, len(fs)), err
	}
	return fs, grades, nil
}

var (
	uniformOnce    sync.Once
	uniformClasses map[string]bool
)

// uniformClass reports, by class key, the classes of picket's rules
// whose rules all have one severity.
func uniformClass() map[string]bool {
	uniformOnce.Do(func() {
		sev := map[string]sdk.Severity{}
		uniformClasses = map[string]bool{}
		for _, r := range builtinRules() {
			k := classKey(r)
			if s, ok := sev[k]; !ok {
				sev[k], uniformClasses[k] = r.Severity, true
			} else if s != r.Severity {
				uniformClasses[k] = false
			}
		}
	})
	return uniformClasses
}
