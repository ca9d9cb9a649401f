package claudecode

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/picketsec/picket/host/adapters/adapterstest"
	"github.com/picketsec/picket/host/llmapi"
)

// FuzzDecode checks that any stdin is refused with ErrBadInput or becomes
// an event whose hook output is valid JSON.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{preToolUseWrite, preToolUseBash, userPromptSubmit, postToolUse, sessionStart, `{"hook_event_name":"PreToolUse","tool_name":"x","tool_input":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hk, err := Decode(b)
		if err != nil {
			if !errors.Is(err, llmapi.ErrBadInput) {
				t.Fatalf("error does not wrap ErrBadInput: %v", err)
			}
			return
		}
		out, _, err := Evaluate(t.Context(), &adapterstest.Host{Verdict: block()}, "t1", hk, Options{})
		if err != nil || !json.Valid(out) {
			t.Fatalf("output %q, %v", out, err)
		}
	})
}
