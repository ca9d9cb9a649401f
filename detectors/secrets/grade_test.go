package secrets

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/picketsec/picket/sdk"
)

// TestDetectGraded checks the per-match grade the severity fit reads: a
// weak value is -1 (reported one severity below its class), a plain one
// 0, and the grades line up with the findings.
func TestDetectGraded(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	tests := map[string]struct {
		text  string
		rule  string
		grade int
	}{
		"weak password":  {text: `password = "P@s$w0rd!"`, rule: "generic-password", grade: -1},
		"padded default": {text: `password = "Admin#2024"`, rule: "generic-password", grade: -1},
		"plain password": {text: `password = "vT8q-Lm2xR"`, rule: "generic-password", grade: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fs, grades, err := DetectGraded(context.Background(), d, &sdk.Event{Type: sdk.EventPreRequest,
				Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: tc.text, New: true}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != len(grades) {
				t.Fatalf("%d findings, %d grades", len(fs), len(grades))
			}
			got := map[string]int{}
			for i, f := range fs {
				got[f.Rule] = grades[i]
			}
			if diff := cmp.Diff(map[string]int{tc.rule: tc.grade}, got); diff != "" {
				t.Errorf("grades (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNotCredentials covers values that only look assigned: masked,
// self-named, a PowerShell cmdlet reading a password.
func TestNotCredentials(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	for name, text := range map[string]string{
		"masked url":    "amqp://user:*****@broker.internal:5672/",
		"self-named":    `String password = "password";`,
		"cmdlet":        "$Password = Read-Host -AsSecureString",
		"version pin":   `"stripe": "^14.2.0"`,
		"provider word": "the mailgun integration sends mail for us",
	} {
		t.Run(name, func(t *testing.T) {
			for _, f := range detect(t, d, sdk.Item{Text: text}) {
				if f.Severity >= sdk.SeverityHigh {
					t.Errorf("%s at %s: %s", f.Rule, f.Severity, f.Message)
				}
			}
		})
	}
}
