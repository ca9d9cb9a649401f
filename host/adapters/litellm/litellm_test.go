package litellm

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/adapters/adapterstest"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/sdk"
)

// docRequest is the request body of LiteLLM's Generic Guardrail API docs.
const docRequest = `{
  "texts": ["My email is john@example.com"],
  "images": [],
  "tools": [],
  "structured_messages": [{"role": "user", "content": "My email is john@example.com"}],
  "request_data": {"user_api_key_hash": "hash123", "user_api_key_alias": "alias", "user_api_key_user_id": "user-1",
    "user_api_key_user_email": "dev@example.com", "user_api_key_team_id": "team-1", "user_api_key_team_alias": null,
    "user_api_key_end_user_id": null, "user_api_key_org_id": null},
  "input_type": "request",
  "litellm_call_id": "call-123",
  "litellm_trace_id": "trace-456",
  "additional_provider_specific_params": {}
}`

const responseWithToolCall = `{"texts": ["Running it now."], "input_type": "response", "litellm_call_id": "c2", "litellm_trace_id": "trace-456",
 "request_data": {}, "tools": [{"id": "call_1", "type": "function", "function": {"name": "bash", "arguments": "{\"command\": \"rm -rf ~\"}"}},
 {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]}`

func serve(h adapters.Host, body, key string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, Path, bytes.NewReader([]byte(body)))
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	rec := httptest.NewRecorder()
	New().Routes(h)[0].Handler(rec, req)
	return rec
}

// TestWire checks the exact answers of the documented actions.
func TestWire(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body string
		v    *engine.Verdict
		want string
	}{
		"none":       {docRequest, adapterstest.Allow(), `{"action":"NONE"}`},
		"blocked":    {docRequest, adapterstest.Block("secrets", "Secrets Leaked in Prompts"), `{"action":"BLOCKED","blocked_reason":"Secrets Leaked in Prompts"}`},
		"monitor":    {docRequest, adapterstest.Monitor("secrets", "Secrets Leaked in Prompts"), `{"action":"NONE"}`},
		"intervened": {docRequest, adapterstest.Modify(`{"texts":["My email is j***@example.com"]}`), `{"action":"GUARDRAIL_INTERVENED","texts":["My email is j***@example.com"]}`},
		"post_call":  {responseWithToolCall, adapterstest.Block("command", "Unsafe Command: destructive"), `{"action":"BLOCKED","blocked_reason":"Unsafe Command: destructive"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := &adapterstest.Host{Verdict: tc.v}
			rec := serve(h, tc.body, adapterstest.Key)
			if rec.Code != 200 || rec.Body.String() != tc.want {
				t.Errorf("got %d %s\nwant %s", rec.Code, rec.Body, tc.want)
			}
		})
	}
}

// TestEvent checks what a request becomes.
func TestEvent(t *testing.T) {
	t.Parallel()
	h := &adapterstest.Host{}
	serve(h, docRequest, adapterstest.Key)
	r := h.Last()
	ev := r.Event
	if r.Source != adapters.SourceLiteLLM || ev.SessionID != "trace-456" || ev.RequestID != "call-123" || ev.Identity.Login != "dev@example.com" {
		t.Errorf("event %+v", ev)
	}
	if len(ev.Items) != 1 || ev.Items[0].Kind != sdk.KindPrompt || ev.Items[0].Pointer != "/texts/0" || string(r.RequestBody) != `{"texts":["My email is john@example.com"]}` {
		t.Errorf("items %+v body %s", ev.Items, r.RequestBody)
	}
	serve(h, responseWithToolCall, adapterstest.Key)
	r = h.Last()
	if len(r.Event.Items) != 2 || r.Event.Items[0].Kind != sdk.KindResponse || r.Event.Items[1].Tool.Command != "rm -rf ~" ||
		r.Event.Items[1].Origin != sdk.OriginResponse || r.RequestBody != nil {
		t.Errorf("response items %+v", r.Event.Items)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		body, key string
		code      int
		msg       string
	}{
		"no key":          {docRequest, "", 401, "missing or unknown API key"},
		"bad key":         {docRequest, "nope", 401, "missing or unknown API key"},
		"not json":        {"{", adapterstest.Key, 400, "body: "},
		"texts not array": {`{"texts":"x","input_type":"request"}`, adapterstest.Key, 400, "body: texts: expected []string, got string"},
		"no input_type":   {`{"texts":["x"]}`, adapterstest.Key, 400, "input_type: missing"},
		"bad input_type":  {`{"texts":["x"],"input_type":"during"}`, adapterstest.Key, 400, "input_type: want request or response"},
		"bad tool":        {`{"input_type":"request","tools":[1]}`, adapterstest.Key, 400, "tools[0]: expected object"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rec := serve(&adapterstest.Host{}, tc.body, tc.key)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), `"error":"`+tc.msg) {
				t.Errorf("got %d %s, want %d %q", rec.Code, rec.Body, tc.code, tc.msg)
			}
		})
	}
	rec := serve(&adapterstest.Host{Err: errors.New("engine: no config loaded")}, docRequest, adapterstest.Key)
	if rec.Code != 503 {
		t.Errorf("no verdict: %d %s", rec.Code, rec.Body)
	}
}
