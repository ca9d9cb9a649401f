package commands

import (
	"context"
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

func TestCalibrationFile(t *testing.T) {
	t.Parallel()
	ids := map[string]bool{}
	for _, id := range RuleIDs() {
		ids[id] = true
	}
	for id := range calibration {
		if !ids[id] {
			t.Errorf("severity.toml names %q, which is no rule", id)
		}
	}
	for name, src := range map[string]string{
		"unknown field": "[[rule]]\nid = \"x\"\nseverity = \"medium\"\nbogus = 1\n",
		"bad severity":  "[[rule]]\nid = \"x\"\nseverity = \"loud\"\n",
		"missing id":    "[[rule]]\nseverity = \"medium\"\n",
		"not toml":      "[[rule",
	} {
		if _, err := loadCalibration(src); err == nil {
			t.Errorf("%s: loadCalibration accepted %q", name, src)
		}
	}
}

// TestCalibrationConfig: a capped rule is reported at its measured
// severity by default and at the written one with calibration off.
func TestCalibrationConfig(t *testing.T) {
	t.Parallel()
	var id string
	for k, v := range calibration {
		if v < sdk.SeverityHigh {
			id = k
			break
		}
	}
	if id == "" {
		t.Skip("severity.toml caps no rule")
	}
	var cmd string
	for _, r := range allRules() {
		if r.ID == id && len(r.Must) > 0 {
			cmd = r.Must[0]
		}
	}
	raw, err := parseConfig([]byte(`{"calibration": false}`))
	if err != nil {
		t.Fatal(err)
	}
	sevOf := func(cfg *config) sdk.Severity {
		for _, m := range judge(context.Background(), cmd, cfg) {
			if m.rule.ID == id {
				return m.sev
			}
		}
		return 0
	}
	if got := sevOf(defaultConfig); got > calibration[id] {
		t.Errorf("%s on %q: calibrated severity %s, want at most %s", id, cmd, got, calibration[id])
	}
	if got := sevOf(raw); got < sdk.SeverityHigh {
		t.Errorf("%s on %q with calibration off: %s, want the written severity (high or more)", id, cmd, got)
	}
	if _, err := parseConfig([]byte(`{"calibration": "no"}`)); err == nil || !strings.Contains(err.Error(), "calibration") {
		t.Errorf("calibration as a string: err = %v, want one naming the field", err)
	}
}
