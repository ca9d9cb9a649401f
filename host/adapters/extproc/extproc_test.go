package extproc

import (
	"testing"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/adapters/adapterstest"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/sdk"
)

// Dial starts the processor for h on an in-memory listener and returns a
// client; the test's cleanup stops both.
func Dial(t testing.TB, h adapters.Host, o Options) extprocv3.ExternalProcessorClient {
	t.Helper()
	return extprocv3.NewExternalProcessorClient(adapterstest.DialGRPC(t, New(h, o).Register))
}

func headers(kv ...string) *extprocv3.ProcessingRequest {
	hm := &corev3.HeaderMap{}
	for i := 0; i+1 < len(kv); i += 2 {
		hm.Headers = append(hm.Headers, &corev3.HeaderValue{Key: kv[i], RawValue: []byte(kv[i+1])})
	}
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestHeaders{RequestHeaders: &extprocv3.HttpHeaders{Headers: hm}}}
}

func body(b string) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_RequestBody{RequestBody: &extprocv3.HttpBody{Body: []byte(b), EndOfStream: true}}}
}

func respBody(b string) *extprocv3.ProcessingRequest {
	return &extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseBody{ResponseBody: &extprocv3.HttpBody{Body: []byte(b), EndOfStream: true}}}
}

// exchange sends msgs on one stream with metadata md and returns the answers.
func exchange(t *testing.T, c extprocv3.ExternalProcessorClient, md metadata.MD, msgs ...*extprocv3.ProcessingRequest) ([]*extprocv3.ProcessingResponse, error) {
	t.Helper()
	ctx := metadata.NewOutgoingContext(t.Context(), md)
	st, err := c.Process(ctx)
	if err != nil {
		return nil, err
	}
	var out []*extprocv3.ProcessingResponse
	for _, m := range msgs {
		if err := st.Send(m); err != nil {
			// The stream ended: its status comes from Recv.
			_, rerr := st.Recv()
			return out, rerr
		}
		r, err := st.Recv()
		if err != nil {
			return out, err
		}
		out = append(out, r)
		if r.GetImmediateResponse() != nil {
			break
		}
	}
	st.CloseSend()
	return out, nil
}

var keyMD = metadata.Pairs("x-api-key", adapterstest.Key)

const chat = `{"model":"gpt-5","messages":[{"role":"user","content":"my key is AKIA0000"}]}`

func TestRequestVerdicts(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		v     *engine.Verdict
		check func(t *testing.T, r *extprocv3.ProcessingResponse)
	}{
		"allow continues": {adapterstest.Allow(), func(t *testing.T, r *extprocv3.ProcessingResponse) {
			if rb := r.GetRequestBody(); rb == nil || rb.Response.Status != extprocv3.CommonResponse_CONTINUE || rb.Response.BodyMutation != nil {
				t.Errorf("%v", r)
			}
		}},
		"block is a 403": {adapterstest.Block("secrets", "Secrets Leaked in Prompts"), func(t *testing.T, r *extprocv3.ProcessingResponse) {
			ir := r.GetImmediateResponse()
			if ir == nil || ir.Status.Code != 403 || string(ir.Body) != `{"error":{"message":"Secrets Leaked in Prompts","type":"guardrail_blocked"}}` {
				t.Fatalf("%v", r)
			}
			if h := ir.Headers.SetHeaders[0].Header; h.Key != "content-type" || string(h.RawValue) != "application/json" {
				t.Errorf("headers %v", ir.Headers)
			}
		}},
		"redact mutates the body": {adapterstest.Modify(`{"model":"gpt-5","messages":[{"role":"user","content":"my key is AKIA****"}]}`), func(t *testing.T, r *extprocv3.ProcessingResponse) {
			rb := r.GetRequestBody()
			if rb == nil || string(rb.Response.BodyMutation.GetBody()) != `{"model":"gpt-5","messages":[{"role":"user","content":"my key is AKIA****"}]}` ||
				rb.Response.HeaderMutation.RemoveHeaders[0] != "content-length" {
				t.Errorf("%v", r)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &adapterstest.Host{Verdict: tc.v}
			out, err := exchange(t, Dial(t, h, Options{}), keyMD, headers(":path", "/v1/chat/completions", "user-agent", "codex", "authorization", "Bearer sk-provider-key"), body(chat))
			if err != nil || len(out) != 2 {
				t.Fatalf("%v %v", out, err)
			}
			if out[0].GetRequestHeaders().Response.Status != extprocv3.CommonResponse_CONTINUE {
				t.Errorf("headers: %v", out[0])
			}
			tc.check(t, out[1])
			r := h.Last()
			if r.Source != adapters.SourceEnvoy || r.Event.APIFormat != "openai-chat" || r.Event.Items[0].Kind != sdk.KindPrompt || string(r.RequestBody) != chat {
				t.Errorf("request %+v", r)
			}
		})
	}
}

func TestEnvelopes(t *testing.T) {
	t.Parallel()
	h := &adapterstest.Host{Verdict: adapterstest.Block("command", "Unsafe Command: reverse shell")}
	c := Dial(t, h, Options{})
	for path, want := range map[string]string{
		"/v1/messages": `{"error":{"message":"Unsafe Command: reverse shell","type":"invalid_request_error"},"type":"error"}`,
		"/v1beta/models/gemini-2.5-pro:generateContent": `{"error":{"code":403,"message":"Unsafe Command: reverse shell","status":"PERMISSION_DENIED"}}`,
		"/v1/responses": `{"error":{"message":"Unsafe Command: reverse shell","type":"guardrail_blocked"}}`,
	} {
		b := `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`
		switch path {
		case "/v1beta/models/gemini-2.5-pro:generateContent":
			b = `{"contents":[{"role":"user","parts":[{"text":"x"}]}]}`
		case "/v1/responses":
			b = `{"model":"m","input":"x"}`
		}
		out, err := exchange(t, c, keyMD, headers(":path", path), body(b))
		if err != nil || len(out) != 2 || string(out[1].GetImmediateResponse().GetBody()) != want {
			t.Errorf("%s: %v %v", path, out, err)
		}
	}
}

func TestResponseBody(t *testing.T) {
	t.Parallel()
	h := &adapterstest.Host{}
	c := Dial(t, h, Options{})
	sse := "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"the key is \"}}]}\n\n" +
		"data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"xoxb-123\"}}]}\n\ndata: [DONE]\n\n"
	out, err := exchange(t, c, keyMD, headers(":path", "/v1/chat/completions"), body(chat),
		&extprocv3.ProcessingRequest{Request: &extprocv3.ProcessingRequest_ResponseHeaders{ResponseHeaders: &extprocv3.HttpHeaders{
			Headers: &corev3.HeaderMap{Headers: []*corev3.HeaderValue{{Key: "content-type", RawValue: []byte("text/event-stream")}}}}}},
		respBody(sse))
	if err != nil || len(out) != 4 || out[3].GetResponseBody() == nil {
		t.Fatalf("%v %v", out, err)
	}
	r := h.Last()
	if len(r.Event.Items) != 1 || r.Event.Items[0].Text != "the key is xoxb-123" || r.Event.Items[0].Origin != sdk.OriginResponse {
		t.Errorf("response items %+v", r.Event.Items)
	}
	// A response that must not reach the client is replaced by a 403.
	h2 := &adapterstest.Host{Then: adapterstest.Block("secrets", "Secrets Leaked in Prompts")}
	out, err = exchange(t, Dial(t, h2, Options{}), keyMD, headers(":path", "/v1/chat/completions"), body(chat),
		respBody(`{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"xoxb-1"}}]}`))
	if err != nil || len(out) != 3 || out[2].GetImmediateResponse().GetStatus().GetCode() != 403 {
		t.Errorf("blocked response: %v %v", out, err)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	h := &adapterstest.Host{}
	_, err := exchange(t, Dial(t, h, Options{}), metadata.MD{}, headers(":path", "/v1/chat/completions"))
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("no key, no default: %v", err)
	}
	_, err = exchange(t, Dial(t, h, Options{}), metadata.Pairs("authorization", "Bearer nope"), headers(":path", "/v1/chat/completions"))
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("bad key: %v", err)
	}
	out, err := exchange(t, Dial(t, h, Options{Tenant: "default"}), metadata.MD{}, headers(":path", "/v1/chat/completions"), body(chat))
	if err != nil || len(out) != 2 || h.Last().Tenant != "default" {
		t.Errorf("default tenant: %v %v %q", out, err, h.Last().Tenant)
	}
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	h := &adapterstest.Host{}
	c := Dial(t, h, Options{})
	out, err := exchange(t, c, keyMD, headers(":path", "/v1/chat/completions"), body(`{"messages":[`))
	if err != nil || len(out) != 2 || out[1].GetImmediateResponse().GetStatus().GetCode() != 400 {
		t.Errorf("malformed LLM body: %v %v", out, err)
	}
	out, err = exchange(t, c, keyMD, headers(":path", "/healthz"), body(`not json`))
	if err != nil || len(out) != 2 || out[1].GetRequestBody() == nil {
		t.Errorf("not an LLM call: %v %v", out, err)
	}
	out, err = exchange(t, c, keyMD, headers(":path", "/v1/chat/completions"), body(`{"messages":{}}`))
	if err != nil || len(out) != 2 || out[1].GetImmediateResponse().GetStatus().GetCode() != 400 {
		t.Errorf("wrong type: %v %v", out, err)
	}
}
