package aperture

import (
	"encoding/json"
	"testing"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
)

// stdHook is what a targeted encoding/json decode of the Codex fixture
// needs: the baseline BenchmarkParseNormalize is compared with.
type stdHook struct {
	Metadata struct {
		LoginName, UserAgent, URL, Model, Provider, TailnetName, StableNodeID, RequestID, SessionID string
	} `json:"metadata"`
	RequestBody struct {
		Model        string `json:"model"`
		Instructions string `json:"instructions"`
		Input        []struct {
			Type, Role, Name, CallID, Arguments string
			Content                             []struct{ Type, Text string }
			Output                              json.RawMessage
		} `json:"input"`
	} `json:"request_body"`
	UserMessage string `json:"user_message"`
}

// BenchmarkBaseline decodes the same body with encoding/json into targeted
// structs (no normalization), and only validates it with jsonscan.
func BenchmarkBaseline(b *testing.B) {
	body := fixtureBody(b, "pre_request.openai-responses.codex-exec-command-curl-sh")
	b.Run("encoding-json-struct", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		cpu := cpuTime()
		for b.Loop() {
			var h stdHook
			if err := json.Unmarshal(body, &h); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("encoding-json-valid", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		cpu := cpuTime()
		for b.Loop() {
			if !json.Valid(body) {
				b.Fatal("invalid")
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("jsonscan-validate", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		cpu := cpuTime()
		for b.Loop() {
			if err := jsonscan.Validate(body, 256); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
}
