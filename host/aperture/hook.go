package aperture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// ErrBadInput is wrapped by every error caused by the hook body rather
// than by the host; a server answers it with 400.
var ErrBadInput = llmapi.ErrBadInput

// MaxDepth is the deepest nesting of arrays and objects a body may have.
const MaxDepth = jsonscan.DefaultMaxDepth

// Hook is one decoded HookCallData body. Its raw fields alias the body
// given to Parse, which must not change while the Hook is in use. Normalize
// trusts what Parse checked: change no raw field of a parsed Hook (build a
// new Hook instead; Normalize validates the raw fields of a Hook that Parse
// did not make).
type Hook struct {
	// Event is the optional top-level "event" field (Highflame's test
	// payloads send it; Aperture does not).
	Event    string
	Metadata Metadata
	// RequestBody is the request as sent to the provider, nil when absent.
	RequestBody json.RawMessage
	// ResponseBody is the assembled response, nil when absent.
	ResponseBody json.RawMessage
	// RawResponses are the parsed SSE data objects of a streamed response,
	// or the single response object; nil when absent.
	RawResponses []json.RawMessage
	// UserMessage is the last user message as the gateway extracted it.
	UserMessage string
	// ToolCalls are the gateway's summaries of the response's tool calls.
	ToolCalls []ToolUse

	// validated is set by Parse: the raw fields passed jsonscan.Validate.
	validated bool
	// reqMembers are the top-level members of RequestBody, as Parse found
	// them (nil when the Hook was not made by Parse).
	reqMembers []jsonscan.Member
}

// Metadata is the hook's "metadata" object.
type Metadata struct {
	LoginName    string
	UserAgent    string
	URL          string
	Model        string
	Provider     string // the operator's name for the provider, not the API format
	TailnetName  string
	StableNodeID string
	RequestID    string
	SessionID    string
	// EstimatedCost, Grants and Quotas are kept raw (nil when absent).
	EstimatedCost json.RawMessage
	Grants        json.RawMessage
	Quotas        json.RawMessage
}

// ToolUse is one entry of the hook's "tool_calls": a tool call of the
// model's response, with its parameters as the gateway decoded them.
type ToolUse struct {
	Name   string
	Params json.RawMessage
}

// Parse decodes a hook body. It refuses, with an error wrapping
// ErrBadInput: an empty body or one that is not a JSON object, malformed
// JSON, invalid UTF-8, nesting deeper than MaxDepth, and known fields of
// the wrong type. Unknown fields are ignored. null counts as absent.
func Parse(body []byte) (*Hook, error) {
	members, err := jsonscan.ValidateMembers(body, MaxDepth, make([]jsonscan.Member, 0, 32))
	if err != nil {
		var se *jsonscan.SyntaxError
		if errors.As(err, &se) && !knownField(se.Field) {
			se.Field = "" // a key the client made up could hold anything: say "body"
		}
		return nil, &llmapi.InputError{Msg: err.Error()}
	}
	root := jsonscan.Trim(body)
	if !root.IsObject() {
		return nil, llmapi.BadInput("body: expected object, got %s", root.Kind())
	}
	h := &Hook{validated: true}
	for i := 0; i < len(members); i++ {
		m := &members[i]
		// The members of an object value follow its entry.
		j := i + 1
		for j < len(members) && members[j].Parent == i {
			j++
		}
		children := members[i+1 : j : j]
		i = j - 1
		v := m.Val
		it := memberKey{m.Key}
		switch {
		case it.KeyIs("metadata"):
			if err := h.Metadata.decode(v, children); err != nil {
				return nil, err
			}
		case it.KeyIs("event"):
			if err := str(&h.Event, "event", v); err != nil {
				return nil, err
			}
		case it.KeyIs("request_body"):
			h.RequestBody, h.reqMembers = nil, nil
			if v.Exists() {
				if !v.IsObject() {
					return nil, llmapi.BadInput("request_body: expected object, got %s", v.Kind())
				}
				h.RequestBody = json.RawMessage(v)
				h.reqMembers = children
			}
		case it.KeyIs("response_body"):
			h.ResponseBody = nil
			if v.Exists() {
				h.ResponseBody = json.RawMessage(v)
			}
		case it.KeyIs("raw_responses"):
			h.RawResponses = nil
			switch v.Kind() {
			case jsonscan.Null:
			case jsonscan.Array:
				h.RawResponses = make([]json.RawMessage, 0, v.Len())
				ai := v.Array()
				for ai.Next() {
					h.RawResponses = append(h.RawResponses, json.RawMessage(ai.Val))
				}
			case jsonscan.Object:
				// "…or single response object": accept it unwrapped too.
				h.RawResponses = []json.RawMessage{json.RawMessage(v)}
			default:
				return nil, llmapi.BadInput("raw_responses: expected array, got %s", v.Kind())
			}
		case it.KeyIs("user_message"):
			if err := str(&h.UserMessage, "user_message", v); err != nil {
				return nil, err
			}
		case it.KeyIs("tool_calls"):
			tc, err := decodeToolCalls(v)
			if err != nil {
				return nil, err
			}
			h.ToolCalls = tc
		}
	}
	return h, nil
}

// knownField reports whether name is a HookCallData field, safe to name in
// an error.
func knownField(name string) bool {
	switch name {
	case "metadata", "event", "request_body", "response_body", "raw_responses", "user_message", "tool_calls":
		return true
	}
	return false
}

func str(dst *string, field string, v jsonscan.Value) error {
	switch v.Kind() {
	case jsonscan.String:
		*dst = v.Str()
	case jsonscan.Null:
		*dst = ""
	default:
		return llmapi.BadInput("%s: expected string, got %s", field, v.Kind())
	}
	return nil
}

// memberKey compares a raw member key, as ObjectIter.KeyIs does.
type memberKey struct{ key []byte }

// KeyIs reports whether the key, decoded, equals s.
func (k memberKey) KeyIs(s string) bool {
	if string(k.key) == s {
		return true
	}
	if bytes.IndexByte(k.key, '\\') < 0 {
		return false
	}
	return string(jsonscan.AppendUnescaped(nil, k.key)) == s
}

// decode reads the metadata object v, whose members Parse already found.
func (m *Metadata) decode(v jsonscan.Value, members []jsonscan.Member) error {
	switch v.Kind() {
	case jsonscan.Null:
		return nil
	case jsonscan.Object:
	default:
		return llmapi.BadInput("metadata: expected object, got %s", v.Kind())
	}
	for i := range members {
		it := struct {
			memberKey
			Val jsonscan.Value
		}{memberKey{members[i].Key}, members[i].Val}
		var dst *string
		var name string
		switch {
		case it.KeyIs("login_name"):
			dst, name = &m.LoginName, "metadata.login_name"
		case it.KeyIs("user_agent"):
			dst, name = &m.UserAgent, "metadata.user_agent"
		case it.KeyIs("url"):
			dst, name = &m.URL, "metadata.url"
		case it.KeyIs("model"):
			dst, name = &m.Model, "metadata.model"
		case it.KeyIs("provider"):
			dst, name = &m.Provider, "metadata.provider"
		case it.KeyIs("tailnet_name"):
			dst, name = &m.TailnetName, "metadata.tailnet_name"
		case it.KeyIs("stable_node_id"):
			dst, name = &m.StableNodeID, "metadata.stable_node_id"
		case it.KeyIs("request_id"):
			dst, name = &m.RequestID, "metadata.request_id"
		case it.KeyIs("session_id"):
			dst, name = &m.SessionID, "metadata.session_id"
		case it.KeyIs("estimated_cost"):
			m.EstimatedCost = raw(it.Val)
		case it.KeyIs("grants"):
			m.Grants = raw(it.Val)
		case it.KeyIs("quotas"):
			m.Quotas = raw(it.Val)
		}
		if dst != nil {
			if err := str(dst, name, it.Val); err != nil {
				return err
			}
		}
	}
	return nil
}

func raw(v jsonscan.Value) json.RawMessage {
	if !v.Exists() {
		return nil
	}
	return json.RawMessage(v)
}

func decodeToolCalls(v jsonscan.Value) ([]ToolUse, error) {
	switch v.Kind() {
	case jsonscan.Null:
		return nil, nil
	case jsonscan.Array:
	default:
		return nil, llmapi.BadInput("tool_calls: expected array, got %s", v.Kind())
	}
	out := make([]ToolUse, 0, v.Len())
	it := v.Array()
	for it.Next() {
		e := it.Val
		switch e.Kind() {
		case jsonscan.Null:
			continue
		case jsonscan.Object:
		default:
			return nil, llmapi.BadInput("tool_calls[%d]: expected object, got %s", it.I, e.Kind())
		}
		var tu ToolUse
		f := e.Object()
		for f.Next() {
			switch {
			case f.KeyIs("name"):
				if err := str(&tu.Name, fmt.Sprintf("tool_calls[%d].name", it.I), f.Val); err != nil {
					return nil, err
				}
			case f.KeyIs("params"):
				tu.Params = raw(f.Val)
			}
		}
		out = append(out, tu)
	}
	return out, nil
}

// ResolveEvent returns the hook event, taken in this order from: the URL
// path (/v1/agent/events/{event}), the ?event= query, the body's "event"
// field, and else inferred: tool_calls present and not empty means
// tool_call_entire_request; a response_body or raw_responses means
// entire_request; anything else is pre_request. An unknown event name is an
// error wrapping ErrBadInput.
func ResolveEvent(pathEvent, queryEvent string, h *Hook) (string, error) {
	src, name := "path", pathEvent
	if name == "" {
		src, name = "query", queryEvent
	}
	if name == "" && h != nil {
		src, name = "body", h.Event
	}
	if name != "" {
		switch name {
		case sdk.EventPreRequest, sdk.EventToolCallEntireRequest, sdk.EventEntireRequest:
			return name, nil
		}
		return "", llmapi.BadInput("event: unknown event %s in %s (want pre_request, tool_call_entire_request or entire_request)", quoteName(name), src)
	}
	switch {
	case h == nil:
		return sdk.EventPreRequest, nil
	case len(h.ToolCalls) > 0:
		return sdk.EventToolCallEntireRequest, nil
	case h.ResponseBody != nil || h.RawResponses != nil:
		return sdk.EventEntireRequest, nil
	}
	return sdk.EventPreRequest, nil
}

// quoteName quotes a client-supplied event name for an error message when
// it looks like one (short, lowercase letters and underscores); anything
// else is not repeated, since it could hold anything.
func quoteName(s string) string {
	if len(s) > 40 {
		return "(name not shown)"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '_' && (c < 'A' || c > 'Z') {
			return "(name not shown)"
		}
	}
	return strconv.Quote(s)
}
