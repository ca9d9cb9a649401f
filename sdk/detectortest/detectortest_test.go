package detectortest_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/detectortest"
)

// word flags "secret-word" and reports it redacted.
type word struct{}

func (word) Info() sdk.Info {
	return sdk.Info{ID: "word", Version: "1", APIVersion: sdk.APIVersion, Kinds: []sdk.Kind{sdk.KindPrompt}, ConfigSchema: `{"type":"object"}`}
}

func (word) Configure(_ context.Context, c []byte) error {
	if string(c) != "{}" {
		return errString("takes no config")
	}
	return nil
}

func (word) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	var out []sdk.Finding
	for _, it := range ev.Items {
		if i := strings.Index(it.Text, "secret-word"); i >= 0 {
			out = append(out, sdk.Finding{Detector: "word", Rule: "w", Category: "test", Severity: sdk.SeverityLow, Confidence: 1,
				Item: it.Index, Start: i, End: i + 11, Message: "word found", Redacted: sdk.Redact("secret-word", 2)})
		}
	}
	return out, nil
}

type errString string

func (e errString) Error() string { return string(e) }

func TestRun(t *testing.T) {
	suite := detectortest.Suite{
		BadConfigs: map[string]json.RawMessage{"anything": json.RawMessage(`{"a":1}`)},
		Cases: []detectortest.Case{
			{Name: "found", Items: []sdk.Item{{Kind: sdk.KindSystem, Text: "secret-word"}, {Kind: sdk.KindPrompt, Text: "a secret-word"}},
				Want: []detectortest.Want{{Rule: "w", Item: 1, Start: 2, End: 13, Severity: sdk.SeverityLow}}, Secrets: []string{"secret-word"}},
			{Name: "clean", Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: "nothing"}}},
		},
	}
	got := detectortest.Run(t, func(*testing.T) sdk.Detector { return word{} }, suite)
	if len(got["found"]) != 1 || len(got["clean"]) != 0 {
		t.Errorf("Run results = %+v", got)
	}
}
