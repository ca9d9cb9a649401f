package aperture

import (
	"strings"

	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Normalize turns a hook into an event of type event (see ResolveEvent).
//
// Items come in conversation order: the request body's system prompt,
// turns and tool traffic; the gateway's user_message when the body does not
// already hold it; then, for the post-response events only, the model's
// answer from response_body (else the reassembled raw_responses) and the
// gateway's tool_calls that the answer did not already give. The API
// format comes from metadata.url and the body's shape, never from
// metadata.provider. A request body of no known format, or whose known
// fields have the wrong type, is an error wrapping ErrBadInput.
func Normalize(h *Hook, event string) (*sdk.Event, error) {
	if h == nil {
		return nil, llmapi.BadInput("hook: nil")
	}
	if !h.validated {
		if err := h.validate(); err != nil {
			return nil, err
		}
	}
	md := &h.Metadata
	ev := &sdk.Event{
		Type:      event,
		SessionID: md.SessionID,
		RequestID: md.RequestID,
		Identity: sdk.Identity{
			Login:     md.LoginName,
			Tailnet:   md.TailnetName,
			Node:      md.StableNodeID,
			UserAgent: md.UserAgent,
		},
		Model:    md.Model,
		Provider: md.Provider,
	}
	x := llmapi.NewExtractor(16)
	var format llmapi.Format
	if h.RequestBody != nil {
		body := jsonscan.Value(h.RequestBody)
		var f llmapi.Format
		var err error
		if h.reqMembers != nil {
			f, err = x.DetectMembers(md.URL, body, h.reqMembers)
		} else {
			f, err = x.Detect(md.URL, body)
		}
		if err != nil {
			return nil, err
		}
		format = f
		if err := x.Request(f, body); err != nil {
			return nil, err
		}
	} else {
		format = llmapi.FormatFromURL(md.URL)
	}
	ev.APIFormat = string(format)
	if ev.Model == "" {
		ev.Model = x.Model
	}
	if ev.Model == "" {
		ev.Model = llmapi.ModelFromURL(md.URL)
	}
	if h.UserMessage != "" && !covered(x.Items, h.UserMessage) {
		x.Items = append(x.Items, sdk.Item{
			Kind:   sdk.KindPrompt,
			Text:   h.UserMessage,
			Origin: sdk.OriginRequest,
			New:    true,
		})
	}
	if event != sdk.EventPreRequest {
		// The answer of the model: Aperture sends it on post-response
		// events only, and it has no bearing on a pre_request verdict.
		x.MarkResponses()
		n := len(x.Items)
		if h.ResponseBody != nil {
			x.Response(format, jsonscan.Value(h.ResponseBody))
		}
		if len(x.Items) == n && len(h.RawResponses) > 0 {
			// No response_body, or one that held nothing we read: rebuild
			// the answer from the stream.
			chunks := make([]jsonscan.Value, len(h.RawResponses))
			for i, r := range h.RawResponses {
				chunks[i] = jsonscan.Value(r)
			}
			x.Stream(format, chunks)
		}
		for _, tc := range h.ToolCalls {
			x.ToolUse(tc.Name, jsonscan.Value(tc.Params))
		}
	}
	ev.Items = x.Finish()
	return ev, nil
}

// covered reports whether the gateway's user_message repeats what the body
// already holds: one prompt item (in agent loops the last user text sits
// before the newest tool results), or the newest prompts joined the way the
// gateway flattens text parts.
func covered(items []sdk.Item, um string) bool {
	n := 0
	for i := range items {
		it := &items[i]
		if it.Kind != sdk.KindPrompt {
			continue
		}
		if it.Text == um {
			return true
		}
		if it.Origin == sdk.OriginRequest {
			n += len(it.Text) + 1
		}
	}
	if n == 0 || n-1 > len(um)+len(um)/8 {
		return false
	}
	for _, sep := range [...]string{"\n", "", "\n\n", " "} {
		if joinedEquals(items, sep, um) {
			return true
		}
	}
	return false
}

// joinedEquals reports whether the newest prompts joined by sep equal s.
func joinedEquals(items []sdk.Item, sep, s string) bool {
	first := true
	for i := range items {
		it := &items[i]
		if it.Kind != sdk.KindPrompt || it.Origin != sdk.OriginRequest {
			continue
		}
		if !first {
			if !strings.HasPrefix(s, sep) {
				return false
			}
			s = s[len(sep):]
		}
		first = false
		if !strings.HasPrefix(s, it.Text) {
			return false
		}
		s = s[len(it.Text):]
	}
	return s == ""
}

// validate checks the raw fields of a Hook that Parse did not make.
func (h *Hook) validate() error {
	check := func(field string, b []byte) error {
		if b == nil {
			return nil
		}
		if err := jsonscan.Validate(b, MaxDepth); err != nil {
			if se, ok := err.(*jsonscan.SyntaxError); ok {
				se.Field = field
			}
			return &llmapi.InputError{Msg: err.Error()}
		}
		return nil
	}
	if v := jsonscan.Trim(h.RequestBody); h.RequestBody != nil && string(v) == "null" {
		h.RequestBody = nil
	}
	if v := jsonscan.Trim(h.ResponseBody); h.ResponseBody != nil && string(v) == "null" {
		h.ResponseBody = nil
	}
	if err := check("request_body", h.RequestBody); err != nil {
		return err
	}
	if h.RequestBody != nil && !jsonscan.Trim(h.RequestBody).IsObject() {
		return llmapi.BadInput("request_body: expected object, got %s", jsonscan.Trim(h.RequestBody).Kind())
	}
	if err := check("response_body", h.ResponseBody); err != nil {
		return err
	}
	for _, r := range h.RawResponses {
		if err := check("raw_responses", r); err != nil {
			return err
		}
	}
	for _, tc := range h.ToolCalls {
		if err := check("tool_calls", tc.Params); err != nil {
			return err
		}
	}
	// Trim whitespace so the readers see bare values.
	h.RequestBody = trimRaw(h.RequestBody)
	h.ResponseBody = trimRaw(h.ResponseBody)
	for i := range h.RawResponses {
		h.RawResponses[i] = trimRaw(h.RawResponses[i])
	}
	for i := range h.ToolCalls {
		h.ToolCalls[i].Params = trimRaw(h.ToolCalls[i].Params)
	}
	h.validated = true
	return nil
}

func trimRaw(b []byte) []byte {
	if b == nil {
		return nil
	}
	return []byte(jsonscan.Trim(b))
}
