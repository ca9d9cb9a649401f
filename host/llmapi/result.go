package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// resultOpts says how to read a tool result's content.
type resultOpts struct {
	// codexJSON: a string that is a JSON object {"output": "…", …} (what
	// Codex sends as function_call_output) is scanned as its decoded output.
	codexJSON bool
}

// toolResult adds the items of one tool result. v is its content: a string,
// an array of content parts or strings, or an object (Gemini
// functionResponse.response, Bedrock json content). p points at v.
func (x *Extractor) toolResult(t turn, name, callID string, v jsonscan.Value, p string, o resultOpts) {
	if name == "" {
		name = x.callName(callID)
	}
	tool := func() *sdk.ToolCall {
		if name == "" && callID == "" {
			return nil
		}
		return &sdk.ToolCall{Name: name, CallID: callID}
	}
	switch v.Kind() {
	case jsonscan.String:
		if len(v) <= 2 {
			return
		}
		s := v.Str()
		if o.codexJSON {
			if out, ok := codexOutput(s); ok {
				if out == "" {
					return
				}
				x.add(sdk.KindToolResult, t, out, "", tool())
				return
			}
		}
		x.add(sdk.KindToolResult, t, s, p, tool())
	case jsonscan.Array:
		it := v.Array()
		for it.Next() {
			e := it.Val
			switch e.Kind() {
			case jsonscan.String:
				x.toolResult(t, name, callID, e, ptr(p, it.I), o)
			case jsonscan.Object:
				x.resultPart(t, name, callID, e, ptr(p, it.I), tool)
			}
		}
	case jsonscan.Object:
		x.resultObject(t, v, p, tool())
	}
}

// resultPart reads one part of an array of tool-result content: a text
// part ({"type":"text"|"input_text"|"output_text", "text"}), a Bedrock
// {"text"} or {"json"} block; images and files are skipped.
func (x *Extractor) resultPart(t turn, name, callID string, e jsonscan.Value, p string, tool func() *sdk.ToolCall) {
	var typ, text, js jsonscan.Value
	it := e.Object()
	for it.Next() {
		switch {
		case it.KeyIs("type"):
			typ = it.Val
		case it.KeyIs("text"):
			text = it.Val
		case it.KeyIs("json"):
			js = it.Val
		}
	}
	if typ.Exists() && !isTextPartType(typ) {
		return
	}
	if text.IsString() {
		if len(text) > 2 {
			x.add(sdk.KindToolResult, t, text.Str(), p+"/text", tool())
		}
		return
	}
	if js.Exists() {
		x.resultObject(t, js, p+"/json", tool())
	}
}

func isTextPartType(typ jsonscan.Value) bool {
	return typ.StrEquals("text") || typ.StrEquals("input_text") || typ.StrEquals("output_text")
}

// resultObject scans a JSON object result: its one leaf as is when that
// is a string, or all leaves as "key: value" lines.
func (x *Extractor) resultObject(t turn, v jsonscan.Value, p string, tool *sdk.ToolCall) {
	if leaf, rel, n := singleLeaf(v, ""); n == 1 && leaf.IsString() {
		if len(leaf) > 2 {
			x.add(sdk.KindToolResult, t, leaf.Str(), p+rel, tool)
		}
		return
	} else if n == 0 {
		return
	}
	x.scratch = appendLeaves(x.scratch[:0], v, true)
	x.add(sdk.KindToolResult, t, string(x.scratch), "", tool)
}

// singleLeaf counts the scalar leaves of v (stopping at 2) and returns the
// first with its pointer relative to v.
func singleLeaf(v jsonscan.Value, rel string) (jsonscan.Value, string, int) {
	switch v.Kind() {
	case jsonscan.String, jsonscan.Number, jsonscan.Bool:
		return v, rel, 1
	case jsonscan.Object:
		var leaf jsonscan.Value
		var lrel string
		n := 0
		it := v.Object()
		for it.Next() {
			l, r, k := singleLeaf(it.Val, "")
			if k > 0 {
				if n == 0 {
					leaf, lrel = l, rel+"/"+jsonscan.PointerToken(it.KeyString())+r
				}
				n += k
				if n > 1 {
					return nil, "", n
				}
			}
		}
		return leaf, lrel, n
	case jsonscan.Array:
		var leaf jsonscan.Value
		var lrel string
		n := 0
		it := v.Array()
		for it.Next() {
			l, r, k := singleLeaf(it.Val, "")
			if k > 0 {
				if n == 0 {
					leaf, lrel = l, ptr(rel, it.I)+r
				}
				n += k
				if n > 1 {
					return nil, "", n
				}
			}
		}
		return leaf, lrel, n
	}
	return nil, "", 0
}

// codexOutput decodes Codex's JSON-in-a-string tool output
// {"output": "…", "metadata": {…}}.
func codexOutput(s string) (string, bool) {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	if i >= len(s) || s[i] != '{' {
		return "", false
	}
	v := jsonscan.Trim([]byte(s))
	if jsonscan.Validate(v, argsMaxDepth) != nil {
		return "", false
	}
	out := v.Get("output")
	if !out.IsString() {
		return "", false
	}
	return out.Str(), true
}
