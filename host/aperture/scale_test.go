package aperture

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestScale feeds bodies built to trigger quadratic work (many tool calls
// and results, many stream indexes, many gateway tool calls) and requires
// them to finish quickly: the decoder must stay linear.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("builds bodies of several megabytes")
	}
	t.Parallel()
	n := 30000
	if raceEnabled {
		n = 5000 // the race detector makes everything ten times slower
	}
	var calls, chunks, tcs strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			calls.WriteByte(',')
			chunks.WriteByte(',')
			tcs.WriteByte(',')
		}
		fmt.Fprintf(&calls, `{"type":"function_call","call_id":"c%d","name":"f%d","arguments":"{}"},{"type":"function_call_output","call_id":"c%d","output":"o"}`, i, i, n-1-i)
		fmt.Fprintf(&chunks, `{"object":"chat.completion.chunk","choices":[{"index":%d,"delta":{"content":"x","tool_calls":[{"index":%d,"id":"c","function":{"name":"f","arguments":"{}"}}]}}]}`, i, i)
		fmt.Fprintf(&tcs, `{"name":"f%d","params":{"a":"%d"}}`, i, i)
	}
	bodies := map[string]string{
		"responses calls":    `{"metadata":{"url":"/v1/responses"},"request_body":{"input":[` + calls.String() + `]}}`,
		"chat stream":        `{"metadata":{"url":"/v1/chat/completions"},"request_body":{"messages":[]},"raw_responses":[` + chunks.String() + `]}`,
		"gateway tool_calls": `{"metadata":{"url":"/v1/chat/completions"},"request_body":{"messages":[]},"raw_responses":[` + chunks.String() + `],"tool_calls":[` + tcs.String() + `]}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			h, err := Parse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			ev, _ := ResolveEvent("", "", h)
			e, err := Normalize(h, ev)
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("%d bytes, %d items took %v", len(body), len(e.Items), d)
			}
		})
	}
}
