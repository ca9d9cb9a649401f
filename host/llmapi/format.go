package llmapi

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
)

// URLPath returns the path of a gateway URL given as a path
// ("/v1/messages?beta=true") or a full URL, without query or fragment.
func URLPath(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			u = rest[j:]
		} else {
			u = "/"
		}
	}
	return u
}

// FormatFromURL returns the API format that a request path names, or ""
// when the path names none.
func FormatFromURL(u string) Format {
	p := URLPath(u)
	for len(p) > 1 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		return OpenAIChat
	case strings.HasSuffix(p, "/responses"):
		return OpenAIResponses
	case strings.HasSuffix(p, ":generateContent") || strings.HasSuffix(p, ":streamGenerateContent"):
		return Gemini
	case strings.HasSuffix(p, "/converse") || strings.HasSuffix(p, "/converse-stream"):
		if strings.Contains(p, "/model/") {
			return Bedrock
		}
	case strings.HasSuffix(p, "/messages"):
		return Anthropic
	}
	return ""
}

// ModelFromURL returns the model a Gemini (…/models/{m}:generateContent)
// or Bedrock (/model/{id}/converse) path names, or "".
func ModelFromURL(u string) string {
	p := URLPath(u)
	if i := strings.LastIndex(p, "/models/"); i >= 0 {
		m := p[i+len("/models/"):]
		if j := strings.IndexByte(m, ':'); j >= 0 {
			return unescapePath(m[:j])
		}
		if j := strings.Index(m, "%3A"); j >= 0 {
			return unescapePath(m[:j])
		}
		if j := strings.Index(m, "%3a"); j >= 0 {
			return unescapePath(m[:j])
		}
		return ""
	}
	if i := strings.Index(p, "/model/"); i >= 0 {
		m := p[i+len("/model/"):]
		if j := strings.IndexByte(m, '/'); j >= 0 {
			return unescapePath(m[:j])
		}
	}
	return ""
}

func unescapePath(s string) string {
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// shape holds the top-level members of a request body that decide its
// format and that the extractors read, found in one pass.
type shape struct {
	messages, input, instructions, contents, previousResponse jsonscan.Value
	system, systemInstruction, model, modelID                 jsonscan.Value
	systemInstructionKey                                      string
	anthropicVersion, bedrockConfig                           bool
}

func readShape(body jsonscan.Value) shape {
	var s shape
	it := body.Object()
	for it.Next() {
		s.set(it.Key, it.Val)
	}
	return s
}

func (s *shape) set(k []byte, v jsonscan.Value) {
	if bytes.IndexByte(k, '\\') >= 0 {
		k = jsonscan.AppendUnescaped(nil, k)
	}
	switch string(k) {
	case "messages":
		s.messages = v
	case "input":
		s.input = v
	case "instructions":
		s.instructions = v
	case "contents":
		s.contents = v
	case "previous_response_id":
		s.previousResponse = v
	case "system":
		s.system = v
	case "systemInstruction", "system_instruction":
		s.systemInstruction = v
		s.systemInstructionKey = "/" + string(k)
	case "anthropic_version":
		s.anthropicVersion = true
	case "inferenceConfig", "toolConfig", "additionalModelRequestFields", "guardrailConfig":
		s.bedrockConfig = true
	case "model":
		s.model = v
	case "modelId":
		s.modelID = v
	}
}

// DetectFormat decides the API format of a request body from the gateway's
// URL first and the body's shape second; never from the provider name,
// which operators choose freely. A body that fits no format is an
// InputError.
func DetectFormat(u string, body jsonscan.Value) (Format, error) {
	if !body.IsObject() {
		return "", typeErr("request_body", "", "object", body)
	}
	s := readShape(body)
	return s.detect(u)
}

// Detect is DetectFormat, and keeps what it read of the body for Request.
func (x *Extractor) Detect(u string, body jsonscan.Value) (Format, error) {
	if !body.IsObject() {
		return "", typeErr("request_body", "", "object", body)
	}
	x.shape = readShape(body)
	x.shapeOf = body
	return x.shape.detect(u)
}

// DetectMembers is Detect for a body whose top-level members the caller
// already has (jsonscan.ValidateMembers), so the body is not scanned again.
func (x *Extractor) DetectMembers(u string, body jsonscan.Value, members []jsonscan.Member) (Format, error) {
	if !body.IsObject() {
		return "", typeErr("request_body", "", "object", body)
	}
	x.shape = shape{}
	for i := range members {
		x.shape.set(members[i].Key, members[i].Val)
	}
	x.shapeOf = body
	return x.shape.detect(u)
}

func (s *shape) detect(u string) (Format, error) {
	f := FormatFromURL(u)
	if f != "" && s.fits(f) {
		if f == OpenAIChat || f == Anthropic || f == Bedrock {
			// The three message formats look alike; a body that is plainly
			// one of the others was translated by the gateway.
			if g, strong := messagesFlavor(s, s.messages); strong {
				return g, nil
			}
		}
		return f, nil
	}
	if g := s.guess(); g != "" {
		return g, nil
	}
	if f != "" && s.empty() {
		return f, nil
	}
	// The path only: a query may carry a key (Gemini's ?key=).
	return "", BadInput("request_body: unrecognized API format for url %q", URLPath(u))
}

func (s *shape) empty() bool {
	return !s.messages.Exists() && !s.input.Exists() && !s.instructions.Exists() && !s.contents.Exists() && !s.system.Exists()
}

// fits reports whether the body could be of format f.
func (s *shape) fits(f Format) bool {
	msgs, in := s.messages.Exists(), s.input.Exists() || s.instructions.Exists() || s.previousResponse.Exists()
	switch f {
	case OpenAIChat, Anthropic, Bedrock:
		return msgs || (f != OpenAIChat && s.system.Exists() && !s.contents.Exists() && !in)
	case OpenAIResponses:
		return in && !msgs
	case Gemini:
		return s.contents.Exists()
	}
	return false
}

// guess picks a format from the body alone.
func (s *shape) guess() Format {
	switch {
	case s.contents.Exists():
		return Gemini
	case s.messages.Exists():
		f, _ := messagesFlavor(s, s.messages)
		return f
	case s.input.Exists() || s.instructions.Exists() || s.previousResponse.Exists():
		return OpenAIResponses
	}
	return ""
}

// messagesFlavor tells OpenAI Chat, Anthropic Messages and Bedrock Converse
// apart by their markers: typed Anthropic blocks or a top-level system,
// untyped Bedrock blocks, or OpenAI roles and tool_calls. A body with none
// (one user turn with string content) reads the same in all three, and is
// taken as OpenAI Chat.
// strong is false when the choice rests on the absence of markers.
func messagesFlavor(s *shape, msgs jsonscan.Value) (f Format, strong bool) {
	if s.anthropicVersion {
		return Anthropic, true
	}
	if s.bedrockConfig {
		return Bedrock, true
	}
	it := msgs.Array()
	for it.Next() {
		m := it.Val
		mi := m.Object()
		for mi.Next() {
			switch {
			case mi.KeyIs("role"):
				if mi.Val.StrEquals("system") || mi.Val.StrEquals("developer") || mi.Val.StrEquals("tool") || mi.Val.StrEquals("function") {
					return OpenAIChat, true
				}
			case mi.KeyIs("tool_calls"), mi.KeyIs("tool_call_id"), mi.KeyIs("function_call"):
				return OpenAIChat, true
			case mi.KeyIs("content"):
				bi := mi.Val.Array()
				for bi.Next() {
					if f := blockFlavor(bi.Val); f != "" {
						return f, true
					}
				}
			}
		}
	}
	if s.system.Exists() {
		return Anthropic, false
	}
	return OpenAIChat, false
}

func blockFlavor(b jsonscan.Value) Format {
	typ := b.Get("type")
	if !typ.Exists() {
		it := b.Object()
		for it.Next() {
			if it.KeyIs("text") || it.KeyIs("toolUse") || it.KeyIs("toolResult") || it.KeyIs("image") || it.KeyIs("document") {
				return Bedrock
			}
		}
		return ""
	}
	switch typ.Str() {
	case "tool_use", "tool_result", "thinking", "redacted_thinking", "server_tool_use", "document":
		return Anthropic
	case "image":
		if b.Get("source").Exists() {
			return Anthropic
		}
	case "image_url", "input_audio", "file", "refusal":
		return OpenAIChat
	}
	return ""
}
