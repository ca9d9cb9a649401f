package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/picketsec/picket/detectors/secrets"
	"github.com/picketsec/picket/internal/policyeval"
	"github.com/picketsec/picket/sdk"
)

// runPolicy wraps each row in a real Aperture pre_request (a new user turn
// or a tool result, Anthropic and OpenAI Chat shapes, spread over the
// rows) and runs the shipped default policy in enforce mode: a row counts
// as caught when the request is blocked. It prints the default-policy
// figure per source repository with the worst source, and how many blocks
// came from the secrets detector.
func runPolicy(rows []row) error {
	ctx := context.Background()
	ev, err := policyeval.New(ctx, policyeval.Options{Budget: 5 * time.Second})
	if err != nil {
		return err
	}
	defer ev.Close()
	tally := policyeval.Tally{}
	bySecrets, timeouts := 0, 0
	for i, r := range rows {
		o, err := ev.Text(ctx, policyeval.Spread(policyeval.Prompts, i), r.Text)
		if err != nil {
			return fmt.Errorf("row %s: %w", r.ID, err)
		}
		timeouts += o.Timeouts
		tally.Add(sourceOf(r), r.Label == "malicious", o.Blocked)
		for _, f := range o.Findings {
			if o.Blocked && f.Detector == secrets.ID && f.Severity >= sdk.SeverityHigh {
				bySecrets++
				break
			}
		}
	}
	tot := tally.Total()
	fmt.Printf("picket  DEFAULT POLICY (row in an Aperture pre_request: %v, spread; shipped config, enforce; blocked or not): %s\n", policyeval.Prompts, tot)
	tally.Fprint(os.Stdout, "  default policy per source")
	fmt.Printf("  %d blocked rows had a secrets finding >= high; %d detector timeouts\n", bySecrets, timeouts)
	return nil
}
