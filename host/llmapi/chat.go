package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

const rb = "request_body"

// chatMessage holds the fields of an OpenAI Chat message.
type chatMessage struct {
	role, content, toolCalls, toolCallID, name, functionCall, refusal jsonscan.Value
}

func readChatMessage(m jsonscan.Value) chatMessage {
	var c chatMessage
	it := m.Object()
	for it.Next() {
		switch {
		case it.KeyIs("role"):
			c.role = it.Val
		case it.KeyIs("content"):
			c.content = it.Val
		case it.KeyIs("tool_calls"):
			c.toolCalls = it.Val
		case it.KeyIs("tool_call_id"):
			c.toolCallID = it.Val
		case it.KeyIs("name"):
			c.name = it.Val
		case it.KeyIs("function_call"):
			c.functionCall = it.Val
		case it.KeyIs("refusal"):
			c.refusal = it.Val
		}
	}
	return c
}

func (x *Extractor) requestChat() error {
	msgs := x.shape.messages
	if err := want(rb, "/messages", msgs, jsonscan.Array); err != nil {
		return err
	}
	// Read every message once; the newest turn is everything after the
	// last assistant message.
	var buf [16]chatMessage // room for a typical conversation without allocating
	list := buf[:0]
	last := -1
	mi := msgs.Array()
	for mi.Next() {
		if !mi.Val.IsObject() {
			return typeErr(rb, ptr("/messages", mi.I), "object", mi.Val)
		}
		m := readChatMessage(mi.Val)
		if m.role.StrEquals("assistant") {
			last = mi.I
		}
		list = append(list, m)
	}
	for i, m := range list {
		base := ptr("/messages", i)
		if err := want(rb, base+"/role", m.role, jsonscan.String); err != nil {
			return err
		}
		t := originOf(i, last)
		switch m.role.Str() {
		case "system", "developer":
			if err := x.chatContent(sdk.KindSystem, t, m.content, base+"/content"); err != nil {
				return err
			}
		case "assistant":
			if err := x.chatAssistant(t, m, base); err != nil {
				return err
			}
		case "tool", "function":
			if err := want(rb, base+"/tool_call_id", m.toolCallID, jsonscan.String); err != nil {
				return err
			}
			if err := want(rb, base+"/content", m.content, jsonscan.String, jsonscan.Array); err != nil {
				return err
			}
			x.toolResult(t, m.name.Str(), m.toolCallID.Str(), m.content, base+"/content", resultOpts{})
		default: // "user", and roles we do not know: what a person wrote
			if err := x.chatContent(sdk.KindPrompt, t, m.content, base+"/content"); err != nil {
				return err
			}
		}
	}
	return nil
}

// chatContent adds a message's content: a string, or an array of parts of
// which the text parts are kept (each its own item).
func (x *Extractor) chatContent(kind sdk.Kind, t turn, c jsonscan.Value, p string) error {
	switch c.Kind() {
	case jsonscan.String:
		x.addString(kind, t, c, p)
	case jsonscan.Array:
		it := c.Array()
		for it.Next() {
			part := it.Val
			switch part.Kind() {
			case jsonscan.String:
				x.addString(kind, t, part, ptr(p, it.I))
			case jsonscan.Object:
				var typ, text, refusal jsonscan.Value
				pi := part.Object()
				for pi.Next() {
					switch {
					case pi.KeyIs("type"):
						typ = pi.Val
					case pi.KeyIs("text"):
						text = pi.Val
					case pi.KeyIs("refusal"):
						refusal = pi.Val
					}
				}
				field := "/text"
				if typ.StrEquals("refusal") {
					text, field = refusal, "/refusal"
				} else if typ.Exists() && !isTextPartType(typ) {
					continue // image_url, input_audio, file …
				}
				if err := want(rb, ptr(p, it.I)+field, text, jsonscan.String); err != nil && !t.isResponse() {
					return err
				}
				x.addString(kind, t, text, ptr(p, it.I)+field)
			default:
				if !t.isResponse() {
					return typeErr(rb, ptr(p, it.I), "object", part)
				}
			}
		}
	case jsonscan.Invalid, jsonscan.Null:
	default:
		if !t.isResponse() {
			return typeErr(rb, p, "string or array", c)
		}
	}
	return nil
}

// chatAssistant adds an assistant message: its text as a response and its
// tool calls.
func (x *Extractor) chatAssistant(t turn, m chatMessage, base string) error {
	if err := x.chatContent(sdk.KindResponse, t, m.content, base+"/content"); err != nil {
		return err
	}
	if m.refusal.IsString() {
		x.addString(sdk.KindResponse, t, m.refusal, base+"/refusal")
	}
	if !t.isResponse() {
		if err := want(rb, base+"/tool_calls", m.toolCalls, jsonscan.Array); err != nil {
			return err
		}
	}
	it := m.toolCalls.Array()
	for it.Next() {
		tc := it.Val
		p := ptr(base+"/tool_calls", it.I)
		if !tc.IsObject() {
			if t.isResponse() {
				continue
			}
			return typeErr(rb, p, "object", tc)
		}
		var id, fn, typ jsonscan.Value
		ti := tc.Object()
		for ti.Next() {
			switch {
			case ti.KeyIs("id"):
				id = ti.Val
			case ti.KeyIs("function"):
				fn = ti.Val
			case ti.KeyIs("custom"):
				if !fn.Exists() {
					fn = ti.Val
				}
			case ti.KeyIs("type"):
				typ = ti.Val
			}
		}
		fname, args, argsKey := fn.Get("name"), fn.Get("arguments"), "/function/arguments"
		if typ.StrEquals("custom") {
			args, argsKey = fn.Get("input"), "/custom/input"
		}
		if !t.isResponse() {
			if err := want(rb, p+"/function", fn, jsonscan.Object); err != nil {
				return err
			}
			if err := want(rb, p+argsKey, args, jsonscan.String, jsonscan.Object); err != nil {
				return err
			}
		}
		x.rememberCall(id.Str(), fname.Str())
		if typ.StrEquals("custom") {
			x.toolCallText(t, fname.Str(), id.Str(), args, p+argsKey)
		} else {
			x.toolCallJSONString(t, fname.Str(), id.Str(), args, p+argsKey)
		}
	}
	if fc := m.functionCall; fc.IsObject() {
		name := fc.Get("name").Str()
		x.toolCallJSONString(t, name, "", fc.Get("arguments"), base+"/function_call/arguments")
	}
	return nil
}

// responseChat reads a chat.completion object.
func (x *Extractor) responseChat(v jsonscan.Value) {
	it := v.Get("choices").Array()
	for it.Next() {
		msg := it.Val.Get("message")
		if !msg.IsObject() {
			continue
		}
		_ = x.chatAssistant(turnResponse, readChatMessage(msg), "")
	}
}
