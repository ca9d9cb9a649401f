package injection

import (
	"context"
	"testing"

	"github.com/picketsec/picket/detectors/injection/internal/agenttraffic"
	"github.com/picketsec/picket/sdk"
)

// TestBenignAgentRequests scores whole benign coding-agent requests built
// from the repository files held back from training (package agenttraffic:
// system prompts, AGENTS.md-like context, developer requests, file reads,
// diffs, logs, search results and fetched pages): none may be blocked (a
// finding of high severity or more, which the default policy blocks).
func TestBenignAgentRequests(t *testing.T) {
	t.Parallel()
	files, err := agenttraffic.ReadTree("../..", agenttraffic.Held)
	if err != nil {
		t.Fatal(err)
	}
	n := 150
	if testing.Short() {
		n = 60
	}
	d := newConfigured(t, `{}`)
	g := agenttraffic.NewHeld(files, 20261202)
	blocked := 0
	for i := 0; i < n; i++ {
		ev := &sdk.Event{Type: "pre_request", Items: g.Request()}
		fs, err := d.Detect(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Severity >= sdk.SeverityHigh {
				blocked++
				it := ev.Items[f.Item]
				t.Errorf("request %d blocked: item %d (%s, %s): %s\n    span %q", i, f.Item, it.Kind, it.Origin, f.Message, clip(it.Text[f.Start:f.End]))
				break
			}
		}
	}
	t.Logf("%d of %d benign agent requests blocked", blocked, n)
}
