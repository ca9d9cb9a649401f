package aperture

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/picketsec/picket/host/internal/fixtures"
)

func fixtureBody(b *testing.B, name string) []byte {
	b.Helper()
	for _, f := range fixtures.All() {
		if f.Name == name {
			return f.Body
		}
	}
	b.Fatalf("no fixture %s", name)
	return nil
}

// BenchmarkParseNormalize measures decode + normalize of the Codex-style
// pre_request fixture with an exec_command curl|sh call in its history.
func BenchmarkParseNormalize(b *testing.B) {
	for _, name := range []string{
		"pre_request.openai-responses.codex-exec-command-curl-sh",
		"pre_request.openai-chat.curl-sh-tool-call",
		"pre_request.anthropic.edge-large-tool-result",
	} {
		body := fixtureBody(b, name)
		var compact bytes.Buffer
		if err := json.Compact(&compact, body); err != nil {
			b.Fatal(err)
		}
		bench(b, name, body)
		// Aperture is a Go program: it sends compact JSON.
		bench(b, name+"/compact", compact.Bytes())
	}
}

func bench(b *testing.B, name string, body []byte) {
	{
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			cpu := cpuTime()
			for b.Loop() {
				h, err := Parse(body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Normalize(h, "pre_request"); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}

// reportCPU adds cpu-ns/op: the process's CPU time per iteration since
// start, a steadier figure than ns/op when other work shares the machine.
func reportCPU(b *testing.B, start int64) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}
