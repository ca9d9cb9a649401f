package main

import (
	"testing"

	"github.com/picketsec/picket/detectors/commands"
	"github.com/picketsec/picket/sdk"
)

func TestFit(t *testing.T) {
	rows := []row{}
	raw := map[string]rawRow{}
	add := func(id, label, source, rule string, sev sdk.Severity) {
		rows = append(rows, row{ID: id, Label: label, Source: source})
		raw[id] = rawRow{blocked: sev >= sdk.SeverityHigh, findings: []rawFinding{{detector: commands.ID, rule: rule, sev: sev}}}
	}
	// "noisy": two benign rows, no malicious one; "good": ten right, one wrong.
	add("b1", "benign", "tldr-pages/tldr:x", "noisy", sdk.SeverityHigh)
	add("b2", "benign", "chubin/cheat.sheets:y", "noisy", sdk.SeverityHigh)
	add("b3", "benign", "tldr-pages/tldr:x", "good", sdk.SeverityHigh)
	for i := 0; i < 10; i++ {
		add(string(rune('a'+i)), "malicious", "mitre/stockpile:z", "good", sdk.SeverityCritical)
	}
	// Eval-only rows never count for the fit.
	add("g1", "malicious", "GTFOBins/GTFOBins.github.io:w", "noisy", sdk.SeverityHigh)
	capped := fit(measure(rows, raw, trainable))
	if capped["noisy"] == nil || capped["noisy"].FP != 2 || capped["noisy"].TP != 0 {
		t.Errorf("noisy: %+v, want capped with tp 0 fp 2", capped["noisy"])
	}
	if capped["good"] != nil {
		t.Errorf("good: capped %+v", capped["good"])
	}
	if blockedWith(raw["g1"], capped) {
		t.Error("a row blocked only by a capped rule is still blocked")
	}
	if !blockedWith(raw["a"], capped) {
		t.Error("a row blocked by an uncapped rule is not blocked")
	}
	// Without the cheat-sheet source, noisy has one benign row: not enough.
	if c := fit(measure(rows, raw, func(r row) bool { return trainable(r) && r.repo() != "chubin/cheat.sheets" })); c["noisy"] != nil {
		t.Errorf("one benign row capped noisy: %+v", c["noisy"])
	}
}
