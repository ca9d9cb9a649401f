package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// respItem holds the fields of a Responses API input or output item.
type respItem struct {
	typ, role, content, name, callID, arguments, input, output, action, operation jsonscan.Value
	// Hosted tools: id, code and outputs (code_interpreter_call), queries
	// and results (file_search_call), revised_prompt
	// (image_generation_call), error (mcp_call), tools (mcp_list_tools).
	id, code, outputs, queries, results, revisedPrompt, errorV, tools jsonscan.Value
}

func readRespItem(v jsonscan.Value) respItem {
	var r respItem
	it := v.Object()
	for it.Next() {
		switch {
		case it.KeyIs("type"):
			r.typ = it.Val
		case it.KeyIs("role"):
			r.role = it.Val
		case it.KeyIs("content"):
			r.content = it.Val
		case it.KeyIs("name"):
			r.name = it.Val
		case it.KeyIs("call_id"):
			r.callID = it.Val
		case it.KeyIs("arguments"):
			r.arguments = it.Val
		case it.KeyIs("input"):
			r.input = it.Val
		case it.KeyIs("output"):
			r.output = it.Val
		case it.KeyIs("action"):
			r.action = it.Val
		case it.KeyIs("operation"):
			r.operation = it.Val
		case it.KeyIs("id"):
			r.id = it.Val
		case it.KeyIs("code"):
			r.code = it.Val
		case it.KeyIs("outputs"):
			r.outputs = it.Val
		case it.KeyIs("queries"):
			r.queries = it.Val
		case it.KeyIs("results"):
			r.results = it.Val
		case it.KeyIs("revised_prompt"):
			r.revisedPrompt = it.Val
		case it.KeyIs("error"):
			r.errorV = it.Val
		case it.KeyIs("tools"):
			r.tools = it.Val
		}
	}
	return r
}

// isModelItem reports whether an input item is something the model
// produced (it ends the previous turn).
func (r respItem) isModelItem() bool {
	if !r.typ.Exists() || r.typ.StrEquals("message") {
		return r.role.StrEquals("assistant")
	}
	switch r.typ.Str() {
	case "function_call", "custom_tool_call", "local_shell_call", "shell_call", "apply_patch_call",
		"reasoning", "web_search_call", "file_search_call", "computer_call", "code_interpreter_call",
		"image_generation_call", "mcp_call", "mcp_list_tools", "mcp_approval_request":
		return true
	}
	return false
}

func (x *Extractor) requestResponses() error {
	instructions, input := x.shape.instructions, x.shape.input
	if err := want(rb, "/instructions", instructions, jsonscan.String, jsonscan.Array); err != nil {
		return err
	}
	if err := want(rb, "/input", input, jsonscan.String, jsonscan.Array); err != nil {
		return err
	}
	var buf [16]respItem // room for a typical conversation without allocating
	list := buf[:0]
	last := -1
	ii := input.Array()
	for ii.Next() {
		if !ii.Val.IsObject() {
			return typeErr(rb, ptr("/input", ii.I), "object", ii.Val)
		}
		r := readRespItem(ii.Val)
		if r.isModelItem() {
			last = ii.I
		}
		list = append(list, r)
	}
	// Instructions come first and are resent with every turn.
	switch instructions.Kind() {
	case jsonscan.String:
		x.addString(sdk.KindSystem, originOf(0, last), instructions, "/instructions")
	case jsonscan.Array:
		if err := x.respItems(instructions, "/instructions", -1, true); err != nil {
			return err
		}
	}
	if input.IsString() {
		x.addString(sdk.KindPrompt, turnRequest, input, "/input")
		return nil
	}
	for i, r := range list {
		if err := x.respItem(originOf(i, last), r, ptr("/input", i), false); err != nil {
			return err
		}
	}
	return nil
}

// respItems reads an array of input items; items after index last are the
// newest turn. asSystem reads messages as instructions.
func (x *Extractor) respItems(items jsonscan.Value, base string, last int, asSystem bool) error {
	it := items.Array()
	for it.Next() {
		if !it.Val.IsObject() {
			return typeErr(rb, ptr(base, it.I), "object", it.Val)
		}
		t := originOf(it.I, last)
		if err := x.respItem(t, readRespItem(it.Val), ptr(base, it.I), asSystem); err != nil {
			return err
		}
	}
	return nil
}

// respItem adds one input or output item.
func (x *Extractor) respItem(t turn, r respItem, p string, asSystem bool) error {
	strict := !t.isResponse()
	check := func(field string, v jsonscan.Value, kinds ...jsonscan.Kind) error {
		if !strict {
			return nil
		}
		return want(rb, p+field, v, kinds...)
	}
	typ := "message"
	if r.typ.Exists() {
		if err := check("/type", r.typ, jsonscan.String); err != nil {
			return err
		}
		typ = r.typ.Str()
	}
	switch typ {
	case "message":
		if err := check("/role", r.role, jsonscan.String); err != nil {
			return err
		}
		kind := sdk.KindPrompt
		switch r.role.Str() {
		case "system", "developer":
			kind = sdk.KindSystem
		case "assistant":
			kind = sdk.KindResponse
		}
		if asSystem {
			kind = sdk.KindSystem
		}
		if err := check("/content", r.content, jsonscan.String, jsonscan.Array); err != nil {
			return err
		}
		return x.chatContent(kind, t, r.content, p+"/content")
	case "function_call":
		if err := check("/arguments", r.arguments, jsonscan.String, jsonscan.Object); err != nil {
			return err
		}
		x.rememberCall(r.callID.Str(), r.name.Str())
		x.toolCallJSONString(t, r.name.Str(), r.callID.Str(), r.arguments, p+"/arguments")
	case "custom_tool_call":
		if err := check("/input", r.input, jsonscan.String); err != nil {
			return err
		}
		x.rememberCall(r.callID.Str(), r.name.Str())
		x.toolCallText(t, r.name.Str(), r.callID.Str(), r.input, p+"/input")
	case "local_shell_call":
		if err := check("/action", r.action, jsonscan.Object); err != nil {
			return err
		}
		x.rememberCall(r.callID.Str(), "local_shell")
		x.toolCallValue(t, "local_shell", r.callID.Str(), r.action, p+"/action")
	case "shell_call":
		// {action: {commands: ["…"], …}}: each command string is a line.
		x.rememberCall(r.callID.Str(), "shell")
		cmds := r.action.Get("commands")
		if argv, ok := stringArray(cmds); ok && len(argv) > 0 {
			cmd := joinLines(argv)
			p2 := ""
			if len(argv) == 1 {
				p2 = p + "/action/commands/0"
			}
			x.add(sdk.KindToolCall, t, cmd, p2, &sdk.ToolCall{Name: "shell", CallID: r.callID.Str(), Arguments: string(r.action), Command: cmd})
		} else {
			x.toolCallValue(t, "shell", r.callID.Str(), r.action, p+"/action")
		}
	case "apply_patch_call":
		x.rememberCall(r.callID.Str(), "apply_patch")
		x.toolCallValue(t, "apply_patch", r.callID.Str(), r.operation, p+"/operation")
	case "function_call_output", "custom_tool_call_output", "local_shell_call_output",
		"shell_call_output", "apply_patch_call_output", "mcp_call_output", "computer_call_output":
		if err := check("/output", r.output, jsonscan.String, jsonscan.Array, jsonscan.Object); err != nil {
			return err
		}
		x.toolResult(t, "", r.callID.Str(), r.output, p+"/output", resultOpts{codexJSON: true})
	case "mcp_call", "mcp_approval_request":
		// A call of a remote MCP server's tool the provider made (or asks
		// approval for): its arguments, and its output or error.
		id := r.id.Str()
		x.rememberCall(id, r.name.Str())
		x.toolCallJSONString(t, r.name.Str(), id, r.arguments, p+"/arguments")
		x.toolResult(t, r.name.Str(), id, r.output, p+"/output", resultOpts{})
		x.toolResult(t, r.name.Str(), id, r.errorV, p+"/error", resultOpts{})
	case "mcp_list_tools":
		// The tools a remote MCP server declares: their descriptions come
		// from outside and reach the model (tool poisoning).
		x.hostedListTools(t, r, p)
	case "web_search_call":
		// The model's search (action {type: search, query | queries},
		// open_page {url}, find {url, pattern}): what it asked for.
		x.hostedCall(t, "web_search", r.id.Str(), r.action, p+"/action", "query")
	case "file_search_call":
		id := r.id.Str()
		x.rememberCall(id, "file_search")
		if r.queries.IsArray() {
			x.toolCallValue(t, "file_search", id, r.queries, p+"/queries")
		}
		// Retrieved chunks: {file_id, filename, score, text, attributes}.
		ri := r.results.Array()
		for ri.Next() {
			x.toolResult(t, "file_search", id, ri.Val.Get("text"), ptr(p+"/results", ri.I, "text"), resultOpts{})
		}
	case "code_interpreter_call":
		id := r.id.Str()
		x.rememberCall(id, "code_interpreter")
		if r.code.IsString() && len(r.code) > 2 {
			x.add(sdk.KindToolCall, t, r.code.Str(), p+"/code", &sdk.ToolCall{Name: "code_interpreter", CallID: id, Arguments: r.code.Str()})
		}
		// Outputs: {type: logs, logs} (what the code printed) and {type:
		// image, url}.
		oi := r.outputs.Array()
		for oi.Next() {
			if oi.Val.Get("type").StrEquals("logs") {
				x.toolResult(t, "code_interpreter", id, oi.Val.Get("logs"), ptr(p+"/outputs", oi.I, "logs"), resultOpts{})
			}
		}
	case "image_generation_call":
		// The prompt the model wrote for the image (the result is base64).
		if r.revisedPrompt.IsString() && len(r.revisedPrompt) > 2 {
			id := r.id.Str()
			x.add(sdk.KindToolCall, t, r.revisedPrompt.Str(), p+"/revised_prompt", &sdk.ToolCall{Name: "image_generation", CallID: id, Arguments: string(r.revisedPrompt)})
		}
	}
	// reasoning (encrypted_content, summaries), computer_call (clicks and
	// screenshots), item_reference and the rest carry nothing to scan.
	return nil
}

func joinLines(s []string) string {
	if len(s) == 1 {
		return s[0]
	}
	n := 0
	for _, e := range s {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	for i, e := range s {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, e...)
	}
	return string(b)
}

// responseResponses reads a Responses "response" object (or a
// response.completed event wrapping one).
func (x *Extractor) responseResponses(v jsonscan.Value) {
	out := v.Get("output")
	if !out.Exists() {
		if r := v.Get("response"); r.IsObject() {
			out = r.Get("output")
		}
	}
	it := out.Array()
	for it.Next() {
		if it.Val.IsObject() {
			_ = x.respItem(turnResponse, readRespItem(it.Val), "", false)
		}
	}
}

// hostedCall adds a hosted tool's call whose action object names what it
// does. When the action has a string member key (a web search's query),
// that string is the text; else every leaf of the action is.
func (x *Extractor) hostedCall(t turn, name, id string, action jsonscan.Value, p, key string) {
	if !action.IsObject() {
		return
	}
	x.rememberCall(id, name)
	tool := &sdk.ToolCall{Name: name, CallID: id, Arguments: string(action)}
	if q := action.Get(key); q.IsString() && len(q) > 2 && action.Get("queries").Kind() != jsonscan.Array {
		x.add(sdk.KindToolCall, t, q.Str(), p+"/"+key, tool)
		return
	}
	x.scratch = appendLeaves(x.scratch[:0], action, true)
	if len(x.scratch) > 0 {
		x.add(sdk.KindToolCall, t, string(x.scratch), "", tool)
	}
}

// hostedListTools adds the tool list of a remote MCP server (Responses
// mcp_list_tools: {server_label, tools: [{name, description,
// input_schema}]}) as one untrusted tool result per tool.
func (x *Extractor) hostedListTools(t turn, r respItem, p string) {
	ti := r.tools.Array()
	for ti.Next() {
		tool := ti.Val
		if !tool.IsObject() {
			continue
		}
		x.scratch = appendLeaves(x.scratch[:0], tool, false)
		if len(x.scratch) > 0 {
			x.add(sdk.KindToolResult, t, string(x.scratch), "", &sdk.ToolCall{Name: "mcp_list_tools"})
		}
	}
}
