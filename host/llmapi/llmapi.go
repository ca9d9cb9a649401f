// Package llmapi reads the bodies of the LLM APIs that pass through an AI
// gateway (OpenAI Chat Completions, OpenAI Responses, Anthropic Messages,
// Gemini generateContent, Bedrock Converse), their responses and their
// streamed (SSE) chunks, and turns them into typed sdk items: system,
// prompt, tool_call, tool_result and response.
//
// It works on JSON that has passed jsonscan.Validate and never builds a
// generic tree: values are sub-slices of the input.
package llmapi

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// ErrBadInput is wrapped by every error caused by the input rather than by
// the host (a server answers it with 400).
var ErrBadInput = errors.New("bad input")

// InputError is an error caused by the input. Its text names the problem;
// errors.Is(err, ErrBadInput) holds.
type InputError struct{ Msg string }

// Error returns the message.
func (e *InputError) Error() string { return e.Msg }

// Unwrap returns ErrBadInput.
func (e *InputError) Unwrap() error { return ErrBadInput }

// BadInput formats an InputError.
func BadInput(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Format is an LLM API format, named as the fixtures and the audit trail
// name it.
type Format string

// The API formats the normalizer reads.
const (
	OpenAIChat      Format = "openai-chat"
	OpenAIResponses Format = "openai-responses"
	Anthropic       Format = "anthropic"
	Gemini          Format = "gemini"
	Bedrock         Format = "bedrock"
)

// Extractor accumulates the items of one event. Call Request for the
// request body, then Response or Stream for what the model answered, then
// ToolUse for each of the gateway's own tool-call summaries. Items are in
// that order; Index is set by Finish.
type Extractor struct {
	Items []sdk.Item
	// Model is the request body's "model" field, when it has one.
	Model string

	calls    []callName        // tool call id → name, to name tool results
	callMap  map[string]string // the same, once calls is long
	respKeys map[string]bool   // response tool calls, for ToolUse
	respFrom int               // index of the first response item
	shape    shape             // top-level members of the request body shapeOf
	shapeOf  jsonscan.Value
	scratch  []byte
}

type callName struct{ id, name string }

// NewExtractor returns an Extractor with room for n items.
func NewExtractor(n int) *Extractor {
	return &Extractor{Items: make([]sdk.Item, 0, n)}
}

// Finish numbers the items 0..n-1 and returns them.
func (x *Extractor) Finish() []sdk.Item {
	for i := range x.Items {
		x.Items[i].Index = i
	}
	return x.Items
}

// turn says where an item sits in the conversation.
type turn struct {
	origin sdk.Origin
}

var (
	turnRequest  = turn{sdk.OriginRequest}
	turnHistory  = turn{sdk.OriginHistory}
	turnResponse = turn{sdk.OriginResponse}
)

func originOf(i, lastModel int) turn {
	if i > lastModel {
		return turnRequest
	}
	return turnHistory
}

func (t turn) isResponse() bool { return t.origin == sdk.OriginResponse }

// add appends an item; the pointer is dropped for response items, which do
// not live in the request body.
func (x *Extractor) add(kind sdk.Kind, t turn, text, ptr string, tool *sdk.ToolCall) {
	if t.isResponse() {
		ptr = ""
	}
	x.Items = append(x.Items, sdk.Item{
		Kind:      kind,
		Text:      text,
		Tool:      tool,
		Origin:    t.origin,
		New:       t.origin != sdk.OriginHistory,
		Untrusted: kind == sdk.KindToolResult,
		Pointer:   ptr,
	})
}

// addString adds the string v as one item when it is not empty.
func (x *Extractor) addString(kind sdk.Kind, t turn, v jsonscan.Value, ptr string) {
	if !v.IsString() || len(v) <= 2 {
		return
	}
	x.add(kind, t, v.Str(), ptr, nil)
}

func (x *Extractor) rememberCall(id, name string) {
	if id == "" || name == "" {
		return
	}
	if x.callMap != nil {
		x.callMap[id] = name
		return
	}
	x.calls = append(x.calls, callName{id, name})
	if len(x.calls) > 32 {
		x.callMap = make(map[string]string, 2*len(x.calls))
		for _, c := range x.calls {
			x.callMap[c.id] = c.name
		}
	}
}

func (x *Extractor) callName(id string) string {
	if id == "" {
		return ""
	}
	if x.callMap != nil {
		return x.callMap[id]
	}
	for i := len(x.calls) - 1; i >= 0; i-- {
		if x.calls[i].id == id {
			return x.calls[i].name
		}
	}
	return ""
}

// ptr joins pointer tokens; ints are array indexes.
func ptr(base string, toks ...any) string {
	if base == "" && len(toks) == 0 {
		return ""
	}
	b := make([]byte, 0, len(base)+24)
	b = append(b, base...)
	for _, t := range toks {
		b = append(b, '/')
		switch t := t.(type) {
		case int:
			b = strconv.AppendInt(b, int64(t), 10)
		case string:
			b = append(b, jsonscan.PointerToken(t)...)
		}
	}
	return string(b)
}

// typeErr names a field of the request body whose JSON type is wrong.
func typeErr(where, pointer, want string, got jsonscan.Value) error {
	if pointer == "" {
		return BadInput("%s: expected %s, got %s", where, want, got.Kind())
	}
	return BadInput("%s: %s: expected %s, got %s", where, pointer, want, got.Kind())
}

// want checks that v, when present and not null, is of one of the kinds.
func want(where, pointer string, v jsonscan.Value, kinds ...jsonscan.Kind) error {
	if !v.Exists() {
		return nil
	}
	k := v.Kind()
	for _, w := range kinds {
		if k == w {
			return nil
		}
	}
	names := ""
	for i, w := range kinds {
		switch {
		case i == 0:
		case i == len(kinds)-1:
			names += " or "
		default:
			names += ", "
		}
		names += w.String()
	}
	return typeErr(where, pointer, names, v)
}
