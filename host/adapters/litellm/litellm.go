// Package litellm serves LiteLLM's Generic Guardrail API in front of
// picket's engine: POST /beta/litellm_basic_guardrail_api with
//
//	{"texts": [...], "images": [...], "tools": [...], "structured_messages": [...],
//	 "input_type": "request" | "response", "litellm_call_id", "litellm_trace_id",
//	 "request_data": {"user_api_key_hash", "user_api_key_user_email", …},
//	 "additional_provider_specific_params": {…}}
//
// answered {"action": "NONE"} (allowed), {"action": "BLOCKED",
// "blocked_reason": "…"} or {"action": "GUARDRAIL_INTERVENED", "texts":
// [...]} (the texts with the findings masked), for LiteLLM's pre_call
// (input_type request) and post_call (input_type response) modes. texts
// are prompts (request) or model output (response); tools entries with
// function arguments are tool calls. Redaction applies to request texts;
// a redaction of response text is a block (the engine rewrites prompts
// only). The trace id is the session, the call id the request id.
package litellm

import (
	"encoding/json"
	"net/http"

	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Path is the endpoint LiteLLM posts to under its api_base.
const Path = "/beta/litellm_basic_guardrail_api"

// Actions.
const (
	ActionNone       = "NONE"
	ActionBlocked    = "BLOCKED"
	ActionIntervened = "GUARDRAIL_INTERVENED"
	InputRequest     = "request"
	InputResponse    = "response"
)

// Request is a Generic Guardrail API request.
type Request struct {
	Texts              []string          `json:"texts"`
	Images             []string          `json:"images"`
	Tools              []json.RawMessage `json:"tools"`
	StructuredMessages []json.RawMessage `json:"structured_messages"`
	InputType          string            `json:"input_type"`
	CallID             *string           `json:"litellm_call_id"`
	TraceID            *string           `json:"litellm_trace_id"`
	RequestData        RequestData       `json:"request_data"`
	Additional         json.RawMessage   `json:"additional_provider_specific_params"`
}

// RequestData is who made the call, as LiteLLM knows it.
type RequestData struct {
	KeyHash   *string `json:"user_api_key_hash"`
	KeyAlias  *string `json:"user_api_key_alias"`
	UserID    *string `json:"user_api_key_user_id"`
	UserEmail *string `json:"user_api_key_user_email"`
	TeamID    *string `json:"user_api_key_team_id"`
	TeamAlias *string `json:"user_api_key_team_alias"`
	EndUserID *string `json:"user_api_key_end_user_id"`
	OrgID     *string `json:"user_api_key_org_id"`
}

// Response is a Generic Guardrail API response.
type Response struct {
	Action        string   `json:"action"`
	BlockedReason string   `json:"blocked_reason,omitempty"`
	Texts         []string `json:"texts,omitempty"`
}

// Error is the error body; LiteLLM treats any non-2xx as the guardrail
// failing (its unreachable_fallback decides).
type Error struct {
	Error string `json:"error"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Event turns a request into an event and the body the prompt items'
// pointers name, or says what is wrong with it.
func (q *Request) Event() (*sdk.Event, []byte, string) {
	kind, origin := sdk.KindPrompt, sdk.OriginRequest
	switch q.InputType {
	case InputRequest:
	case InputResponse:
		kind, origin = sdk.KindResponse, sdk.OriginResponse
	case "":
		return nil, nil, "input_type: missing (want request or response)"
	default:
		return nil, nil, "input_type: want request or response"
	}
	ev, body := adapters.TextsEvent(kind, origin, q.Texts)
	x := llmapi.NewExtractor(len(q.Tools))
	for i, raw := range q.Tools {
		t := jsonscan.Trim(raw)
		if jsonscan.Validate(t, jsonscan.DefaultMaxDepth) != nil || !t.IsObject() {
			return nil, nil, "tools[" + itoa(i) + "]: expected object"
		}
		// A tool call {id, type: function, function: {name, arguments}};
		// a definition ({function: {name, parameters}}) has nothing to run.
		fn := t.Get("function")
		args := fn.Get("arguments")
		if !args.Exists() {
			continue
		}
		if args.IsString() {
			args = jsonscan.Trim([]byte(args.Str()))
			if jsonscan.Validate(args, jsonscan.DefaultMaxDepth) != nil {
				ev.Items = append(ev.Items, sdk.Item{Kind: sdk.KindToolCall, Text: fn.Get("arguments").Str(), Origin: origin, New: true,
					Tool: &sdk.ToolCall{Name: fn.Get("name").Str(), CallID: t.Get("id").Str(), Arguments: fn.Get("arguments").Str()}})
				continue
			}
		}
		x.ToolCall(sdk.OriginRequest, fn.Get("name").Str(), t.Get("id").Str(), args)
	}
	for _, it := range x.Finish() {
		it.Origin = origin
		ev.Items = append(ev.Items, it)
	}
	for i := range ev.Items {
		ev.Items[i].Index = i
	}
	ev.SessionID, ev.RequestID = str(q.TraceID), str(q.CallID)
	ev.APIFormat = adapters.SourceLiteLLM
	ev.Identity.Login = str(q.RequestData.UserEmail)
	if ev.Identity.Login == "" {
		ev.Identity.Login = str(q.RequestData.UserID)
	}
	ev.Identity.UserAgent = "litellm"
	return ev, body, ""
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Answer encodes a verdict.
func Answer(v *engine.Verdict) Response {
	switch v.Decision {
	case engine.DecisionBlock:
		return Response{Action: ActionBlocked, BlockedReason: v.Message}
	case engine.DecisionModify:
		if texts, ok := adapters.RedactedTexts(v.RequestBody); ok {
			return Response{Action: ActionIntervened, Texts: texts}
		}
		return Response{Action: ActionBlocked, BlockedReason: "Request blocked: redaction failed"}
	}
	return Response{Action: ActionNone}
}

// Adapter serves the Generic Guardrail API.
type Adapter struct{}

// New returns the LiteLLM adapter.
func New() *Adapter { return &Adapter{} }

// Routes implements server.HTTPAdapter.
func (a *Adapter) Routes(h adapters.Host) []adapters.Route {
	return []adapters.Route{{Method: http.MethodPost, Path: Path, Handler: func(w http.ResponseWriter, r *http.Request) { a.serve(h, w, r) }}}
}

func (a *Adapter) serve(h adapters.Host, w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.Authenticate(adapters.APIKey(r.Header))
	if !ok {
		adapters.WriteJSON(w, http.StatusUnauthorized, Error{"missing or unknown API key: send x-api-key or Authorization: Bearer"})
		return
	}
	var q Request
	if status, msg := adapters.DecodeJSON(r, &q); status != 0 {
		adapters.WriteJSON(w, status, Error{msg})
		return
	}
	ev, body, msg := q.Event()
	if msg != "" {
		adapters.WriteJSON(w, http.StatusBadRequest, Error{msg})
		return
	}
	if q.InputType != InputRequest {
		body = nil // the engine redacts prompts only
	}
	v, err := h.Evaluate(r.Context(), adapters.Request{Tenant: tenant, Source: adapters.SourceLiteLLM, Event: ev, RequestBody: body})
	if err != nil {
		adapters.WriteJSON(w, http.StatusServiceUnavailable, Error{"not ready: " + err.Error()})
		return
	}
	w.Header().Set("X-Picket-Event-Id", ev.ID)
	adapters.WriteJSON(w, http.StatusOK, Answer(v))
}
