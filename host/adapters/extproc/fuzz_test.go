package extproc

import (
	"context"
	"testing"

	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"

	"github.com/picketsec/picket/host/adapters/adapterstest"
)

// FuzzBodies feeds any request and response bodies on any path through
// the processor: it must answer each message (never panic) and every
// immediate response must carry a JSON body.
func FuzzBodies(f *testing.F) {
	f.Add("/v1/chat/completions", []byte(chat), []byte(`{"object":"chat.completion","choices":[]}`))
	f.Add("/v1/messages", []byte(`{"messages":[{"role":"user","content":[{"type":"text","text":"x"}]}]}`), []byte("event: x\ndata: {\"type\":\"message_start\"}\n\n"))
	f.Add("/v1/responses", []byte(`{"input":[{"type":"function_call","arguments":"{"}]}`), []byte("data: [DONE]"))
	f.Fuzz(func(t *testing.T, path string, req, resp []byte) {
		s := New(&adapterstest.Host{}, Options{Tenant: "t1"})
		st := &stream{tenant: "t1"}
		for _, m := range []*extprocv3.ProcessingRequest{headers(":path", path), body(string(req)), respBody(string(resp))} {
			r, err := s.handle(context.Background(), st, m)
			if err != nil {
				t.Fatal(err)
			}
			if ir := r.GetImmediateResponse(); ir != nil {
				if len(ir.Body) == 0 || ir.Body[0] != '{' {
					t.Fatalf("immediate response body %q", ir.Body)
				}
				return
			}
		}
	})
}
