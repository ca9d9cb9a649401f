package commands

import (
	_ "embed"
	"fmt"

	"github.com/BurntSushi/toml"

	"github.com/picketsec/picket/sdk"
)

// severity.toml holds the severities measured on the labelled corpus: a
// rule whose findings at high were not right often enough there is
// reported at medium (below the default policy's blocking threshold). It is
// generated, never edited by hand:
//
//	go run ./detectors/commands/cmd/eval -corpus ../shared/corpus -fit detectors/commands/severity.toml
//
// The eval refits it without each source in turn for its
// leave-one-source-out report.
//
//go:embed severity.toml
var severityTOML string

// Measured is one rule's measured precision and the severity it implies.
type Measured struct {
	ID       string `toml:"id"`
	Severity string `toml:"severity"` // the most a finding of the rule is reported at
	TP       int    `toml:"tp"`       // malicious rows it flagged at high or above
	FP       int    `toml:"fp"`       // benign rows it flagged at high or above
}

type severityFile struct {
	Rule []Measured `toml:"rule"`
}

var calibration map[string]sdk.Severity

func init() {
	c, err := loadCalibration(severityTOML)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	calibration = c
}

func loadCalibration(src string) (map[string]sdk.Severity, error) {
	var f severityFile
	md, err := toml.Decode(src, &f)
	if err != nil {
		return nil, fmt.Errorf("commands: severity.toml: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, fmt.Errorf("commands: severity.toml: unknown field %s", und[0])
	}
	out := map[string]sdk.Severity{}
	for i, m := range f.Rule {
		s, err := sdk.ParseSeverity(m.Severity)
		if err != nil {
			return nil, fmt.Errorf("commands: severity.toml rule %d (%s): %w", i, m.ID, err)
		}
		if m.ID == "" {
			return nil, fmt.Errorf("commands: severity.toml rule %d: missing id", i)
		}
		out[m.ID] = s
	}
	return out, nil
}

// calibrated caps a finding's severity at its rule's measured one.
func calibrated(id string, sev sdk.Severity) sdk.Severity {
	if c, ok := calibration[id]; ok && sev > c {
		return c
	}
	return sev
}

// RuleIDs lists every rule and catalogue row id (for tools that fit
// severity.toml).
func RuleIDs() []string {
	var out []string
	for _, r := range rules {
		out = append(out, r.ID)
	}
	for _, t := range textRules {
		out = append(out, t.ID)
	}
	for _, e := range catalogue {
		out = append(out, e.ID)
	}
	for _, r := range scriptRules {
		out = append(out, r.ID)
	}
	return append(out, winCredRead.ID, winSecretSend.ID, encodedRule.ID)
}
