package llmapi

import (
	"sort"
	"strings"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Request adds the items of a validated request body of format f. Items
// after the last model turn have Origin request, earlier ones history.
// A body whose known fields have the wrong JSON type is an InputError.
func (x *Extractor) Request(f Format, body jsonscan.Value) error {
	if !body.IsObject() {
		return typeErr(rb, "", "object", body)
	}
	if len(x.shapeOf) != len(body) || len(body) == 0 || &x.shapeOf[0] != &body[0] {
		x.shape, x.shapeOf = readShape(body), body
	}
	s := &x.shape
	switch {
	case s.model.IsString():
		x.Model = s.model.Str()
	case s.modelID.IsString():
		x.Model = s.modelID.Str()
	}
	switch f {
	case OpenAIChat:
		return x.requestChat()
	case OpenAIResponses:
		return x.requestResponses()
	case Anthropic:
		return x.requestAnthropic()
	case Gemini:
		return x.requestGemini()
	case Bedrock:
		return x.requestBedrock()
	}
	return BadInput("request_body: unknown API format %q", string(f))
}

// responseKind is what a response object or stream chunk is.
type responseKind uint8

const (
	respUnknown        responseKind = iota
	respChat                        // chat.completion
	respChatChunk                   // chat.completion.chunk
	respResponses                   // Responses "response" object
	respResponsesEvent              // Responses stream event
	respAnthropic                   // Anthropic "message"
	respAnthropicEvent              // Anthropic stream event
	respGemini                      // GenerateContentResponse (whole or chunk)
	respBedrock                     // Converse response
	respBedrockEvent                // Converse stream event
)

func classify(v jsonscan.Value) responseKind {
	var typ, choices, output, object jsonscan.Value
	var candidates, bedrockEvent bool
	it := v.Object()
	for it.Next() {
		switch {
		case it.KeyIs("type"):
			typ = it.Val
		case it.KeyIs("choices"):
			choices = it.Val
		case it.KeyIs("output"):
			output = it.Val
		case it.KeyIs("object"):
			object = it.Val
		case it.KeyIs("candidates"):
			candidates = true
		case it.KeyIs("contentBlockDelta"), it.KeyIs("contentBlockStart"), it.KeyIs("contentBlockStop"),
			it.KeyIs("messageStart"), it.KeyIs("messageStop"), it.KeyIs("contentBlockIndex"):
			bedrockEvent = true
		}
	}
	switch {
	case choices.Exists():
		if object.StrEquals("chat.completion.chunk") {
			return respChatChunk
		}
		if object.StrEquals("chat.completion") {
			return respChat
		}
		first := choices.Index(0)
		if first.Get("delta").Exists() {
			return respChatChunk
		}
		return respChat
	case candidates:
		return respGemini
	case typ.IsString():
		s := typ.Str()
		switch s {
		case "message":
			return respAnthropic
		case "message_start", "message_delta", "message_stop", "content_block_start",
			"content_block_delta", "content_block_stop", "ping":
			return respAnthropicEvent
		case "error":
			return respUnknown
		}
		if len(s) > 9 && s[:9] == "response." {
			return respResponsesEvent
		}
	case output.IsArray() || object.StrEquals("response"):
		return respResponses
	case output.IsObject():
		return respBedrock
	case bedrockEvent:
		return respBedrockEvent
	}
	if typ.IsString() && output.IsArray() {
		return respResponses
	}
	return respUnknown
}

// Response adds the items of a whole response body (the provider's
// non-streaming shape), with Origin response. Unknown shapes add nothing:
// the answer is recorded, not refused. A Gemini body may also be an array
// of stream chunks.
func (x *Extractor) Response(f Format, v jsonscan.Value) {
	if v.IsArray() {
		var chunks []jsonscan.Value
		it := v.Array()
		for it.Next() {
			chunks = append(chunks, it.Val)
		}
		x.Stream(f, chunks)
		return
	}
	x.whole(f, v)
}

func (x *Extractor) whole(f Format, v jsonscan.Value) {
	k := classify(v)
	if k == respUnknown {
		switch f {
		case OpenAIChat:
			k = respChat
		case OpenAIResponses:
			k = respResponses
		case Anthropic:
			k = respAnthropic
		case Gemini:
			k = respGemini
		case Bedrock:
			k = respBedrock
		}
	}
	switch k {
	case respChat:
		x.responseChat(v)
	case respResponses:
		x.responseResponses(v)
	case respAnthropic:
		x.responseAnthropic(v)
	case respGemini:
		x.responseGemini(v)
	case respBedrock:
		x.responseBedrock(v)
	case respChatChunk, respResponsesEvent, respAnthropicEvent, respBedrockEvent:
		x.Stream(f, []jsonscan.Value{v})
	}
}

// Stream reassembles streamed chunks (Aperture's raw_responses: the parsed
// SSE data objects) and adds the resulting items with Origin response. A
// chunk that is a whole response object is read as one.
func (x *Extractor) Stream(f Format, chunks []jsonscan.Value) {
	var (
		chat chatStream
		resp respStream
		ant  antStream
		gem  gemStream
		bed  bedStream
	)
	for _, c := range chunks {
		if !c.IsObject() {
			continue
		}
		switch classify(c) {
		case respChatChunk:
			chat.add(c)
		case respResponsesEvent:
			resp.add(c)
		case respAnthropicEvent:
			ant.add(c)
		case respGemini:
			gem.add(c)
		case respBedrockEvent:
			bed.add(c)
		case respChat, respResponses, respAnthropic, respBedrock:
			x.whole(f, c)
		}
	}
	chat.flush(x)
	resp.flush(x)
	ant.flush(x)
	gem.flush(x)
	bed.flush(x)
}

// ToolUse adds one of the gateway's tool-call summaries ({name, params}),
// unless a response item already holds the same call.
func (x *Extractor) ToolUse(name string, params jsonscan.Value) {
	if x.respKeys == nil {
		x.respKeys = make(map[string]bool)
		for i := x.respFrom; i < len(x.Items); i++ {
			it := &x.Items[i]
			if it.Kind == sdk.KindToolCall && it.Origin == sdk.OriginResponse && it.Tool != nil {
				x.respKeys[callKey(it.Tool.Name, it.Text)] = true
			}
		}
	}
	n := len(x.Items)
	if params.IsString() {
		x.toolCallRawJSON(turnResponse, name, "", params.Str(), "")
	} else {
		x.toolCallValue(turnResponse, name, "", params, "")
	}
	k := callKey(name, x.Items[n].Text)
	if x.respKeys[k] {
		x.Items = x.Items[:n]
		return
	}
	x.respKeys[k] = true
}

// MarkResponses records that the items added from now on are the model's
// answer; ToolUse compares against those only.
func (x *Extractor) MarkResponses() { x.respFrom = len(x.Items) }

// callKey identifies a tool call by name and text, its lines in any
// order: the gateway re-encodes tool parameters from a map, so their keys
// come sorted.
func callKey(name, text string) string {
	if strings.IndexByte(text, '\n') >= 0 {
		lines := strings.Split(text, "\n")
		sort.Strings(lines)
		text = strings.Join(lines, "\n")
	}
	return name + "\x00" + text
}
