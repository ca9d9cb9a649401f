package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

func (x *Extractor) requestGemini() error {
	system, contents := x.shape.systemInstruction, x.shape.contents
	sysKey := x.shape.systemInstructionKey
	if sysKey == "" {
		sysKey = "/systemInstruction"
	}
	if err := want(rb, sysKey, system, jsonscan.Object, jsonscan.String); err != nil {
		return err
	}
	if err := want(rb, "/contents", contents, jsonscan.Array, jsonscan.Object); err != nil {
		return err
	}
	if contents.IsObject() {
		// A single Content is accepted by the API for one-turn requests.
		if err := x.geminiContent(contents, "/contents", turnRequest); err != nil {
			return err
		}
	}
	last := -1
	ci := contents.Array()
	for ci.Next() {
		if !ci.Val.IsObject() {
			return typeErr(rb, ptr("/contents", ci.I), "object", ci.Val)
		}
		if ci.Val.Get("role").StrEquals("model") {
			last = ci.I
		}
	}
	if system.IsString() {
		x.addString(sdk.KindSystem, originOf(0, last), system, sysKey)
	} else if system.IsObject() {
		parts := system.Get("parts")
		if err := want(rb, sysKey+"/parts", parts, jsonscan.Array, jsonscan.Object); err != nil {
			return err
		}
		if err := x.geminiParts(sdk.KindSystem, originOf(0, last), parts, sysKey+"/parts"); err != nil {
			return err
		}
	}
	ci = contents.Array()
	for ci.Next() {
		if err := x.geminiContent(ci.Val, ptr("/contents", ci.I), originOf(ci.I, last)); err != nil {
			return err
		}
	}
	return nil
}

func (x *Extractor) geminiContent(c jsonscan.Value, p string, t turn) error {
	var role, parts jsonscan.Value
	f := c.Object()
	for f.Next() {
		switch {
		case f.KeyIs("role"):
			role = f.Val
		case f.KeyIs("parts"):
			parts = f.Val
		}
	}
	if !t.isResponse() {
		if err := want(rb, p+"/role", role, jsonscan.String); err != nil {
			return err
		}
		if err := want(rb, p+"/parts", parts, jsonscan.Array, jsonscan.Object); err != nil {
			return err
		}
	}
	kind := sdk.KindPrompt
	if role.StrEquals("model") || t.isResponse() {
		kind = sdk.KindResponse
	}
	return x.geminiParts(kind, t, parts, p+"/parts")
}

// geminiParts adds text parts as kind (thought parts skipped),
// functionCall as tool calls, functionResponse as tool results.
func (x *Extractor) geminiParts(kind sdk.Kind, t turn, parts jsonscan.Value, p string) error {
	if parts.IsObject() {
		return x.geminiPart(kind, t, parts, p)
	}
	it := parts.Array()
	for it.Next() {
		if err := x.geminiPart(kind, t, it.Val, ptr(p, it.I)); err != nil {
			return err
		}
	}
	return nil
}

func (x *Extractor) geminiPart(kind sdk.Kind, t turn, part jsonscan.Value, p string) error {
	strict := !t.isResponse()
	if !part.IsObject() {
		if strict {
			return typeErr(rb, p, "object", part)
		}
		return nil
	}
	var text, thought, call, resp, code, codeResult jsonscan.Value
	var callKey, respKey string
	f := part.Object()
	for f.Next() {
		switch {
		case f.KeyIs("text"):
			text = f.Val
		case f.KeyIs("thought"):
			thought = f.Val
		case f.KeyIs("functionCall"):
			call, callKey = f.Val, "/functionCall"
		case f.KeyIs("function_call"):
			call, callKey = f.Val, "/function_call"
		case f.KeyIs("functionResponse"):
			resp, respKey = f.Val, "/functionResponse"
		case f.KeyIs("function_response"):
			resp, respKey = f.Val, "/function_response"
		case f.KeyIs("executableCode"), f.KeyIs("executable_code"):
			code = f.Val
		case f.KeyIs("codeExecutionResult"), f.KeyIs("code_execution_result"):
			codeResult = f.Val
		}
	}
	if thought.Bool() {
		return nil // the model's thinking, resent: not scanned
	}
	if text.Exists() {
		if strict {
			if err := want(rb, p+"/text", text, jsonscan.String); err != nil {
				return err
			}
		}
		x.addString(kind, t, text, p+"/text")
	}
	if call.Exists() {
		if strict {
			if err := want(rb, p+callKey, call, jsonscan.Object); err != nil {
				return err
			}
		}
		var name, args, id jsonscan.Value
		cf := call.Object()
		for cf.Next() {
			switch {
			case cf.KeyIs("name"):
				name = cf.Val
			case cf.KeyIs("args"):
				args = cf.Val
			case cf.KeyIs("id"):
				id = cf.Val
			}
		}
		x.rememberCall(id.Str(), name.Str())
		x.toolCallValue(t, name.Str(), id.Str(), args, p+callKey+"/args")
	}
	if resp.Exists() {
		if strict {
			if err := want(rb, p+respKey, resp, jsonscan.Object); err != nil {
				return err
			}
		}
		var name, response, id jsonscan.Value
		rf := resp.Object()
		for rf.Next() {
			switch {
			case rf.KeyIs("name"):
				name = rf.Val
			case rf.KeyIs("response"):
				response = rf.Val
			case rf.KeyIs("id"):
				id = rf.Val
			}
		}
		x.toolResult(t, name.Str(), id.Str(), response, p+respKey+"/response", resultOpts{})
	}
	if code.IsObject() {
		c := code.Get("code")
		x.add(sdk.KindToolCall, t, c.Str(), "", &sdk.ToolCall{Name: "code_execution", Arguments: string(code)})
	}
	if codeResult.IsObject() {
		x.toolResult(t, "code_execution", "", codeResult.Get("output"), "", resultOpts{})
	}
	return nil
}

// responseGemini reads a GenerateContentResponse.
func (x *Extractor) responseGemini(v jsonscan.Value) {
	it := v.Get("candidates").Array()
	for it.Next() {
		_ = x.geminiParts(sdk.KindResponse, turnResponse, it.Val.Get("content").Get("parts"), "")
	}
}
