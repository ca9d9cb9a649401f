package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

func (x *Extractor) requestAnthropic() error {
	system, msgs := x.shape.system, x.shape.messages
	if err := want(rb, "/system", system, jsonscan.String, jsonscan.Array); err != nil {
		return err
	}
	if err := want(rb, "/messages", msgs, jsonscan.Array); err != nil {
		return err
	}
	var buf [32]roleMessage // room for a typical conversation without allocating
	list, last, err := roleMessages(msgs, buf[:0])
	if err != nil {
		return err
	}
	if err := x.anthropicBlocks(sdk.KindSystem, originOf(0, last), system, "/system"); err != nil {
		return err
	}
	for i, m := range list {
		base := ptr("/messages", i)
		if err := want(rb, base+"/role", m.role, jsonscan.String); err != nil {
			return err
		}
		if err := want(rb, base+"/content", m.content, jsonscan.String, jsonscan.Array); err != nil {
			return err
		}
		kind := sdk.KindPrompt
		if m.role.StrEquals("assistant") {
			kind = sdk.KindResponse
		}
		if err := x.anthropicBlocks(kind, originOf(i, last), m.content, base+"/content"); err != nil {
			return err
		}
	}
	return nil
}

// anthropicBlocks adds string content, or each content block (see
// anthropicBlock).
func (x *Extractor) anthropicBlocks(kind sdk.Kind, t turn, c jsonscan.Value, p string) error {
	if c.IsString() {
		x.addString(kind, t, c, p)
		return nil
	}
	strict := !t.isResponse()
	it := c.Array()
	for it.Next() {
		bp := ptr(p, it.I)
		if !it.Val.IsObject() {
			if strict {
				return typeErr(rb, bp, "object", it.Val)
			}
			continue
		}
		if err := x.anthropicBlock(kind, t, it.Val, bp); err != nil {
			return err
		}
	}
	return nil
}

// anthropicBlock adds one content block at bp: text as kind, tool_use (and
// the server and MCP tool uses) as a tool call, tool_result and the server
// tools' results (web search, web fetch, code execution, MCP) as untrusted
// tool results, the cited text of a text block's citations too. Images,
// base64 documents and thinking blocks are skipped.
func (x *Extractor) anthropicBlock(kind sdk.Kind, t turn, b jsonscan.Value, bp string) error {
	strict := !t.isResponse()
	var typ, text, id, name, input, toolUseID, content, source, citations jsonscan.Value
	f := b.Object()
	for f.Next() {
		switch {
		case f.KeyIs("type"):
			typ = f.Val
		case f.KeyIs("text"):
			text = f.Val
		case f.KeyIs("id"):
			id = f.Val
		case f.KeyIs("name"):
			name = f.Val
		case f.KeyIs("input"):
			input = f.Val
		case f.KeyIs("tool_use_id"):
			toolUseID = f.Val
		case f.KeyIs("content"):
			content = f.Val
		case f.KeyIs("source"):
			source = f.Val
		case f.KeyIs("citations"):
			citations = f.Val
		}
	}
	switch typ.Str() {
	case "text":
		if strict {
			if err := want(rb, bp+"/text", text, jsonscan.String); err != nil {
				return err
			}
		}
		x.addString(kind, t, text, bp+"/text")
		x.citations(t, citations, bp+"/citations")
	case "tool_use", "server_tool_use", "mcp_tool_use":
		if strict {
			if err := want(rb, bp+"/input", input, jsonscan.Object); err != nil {
				return err
			}
		}
		x.rememberCall(id.Str(), name.Str())
		x.toolCallValue(t, name.Str(), id.Str(), input, bp+"/input")
	case "document":
		// A plain-text document ({source: {type: "text", data}} or
		// {type: "content", content: [blocks]}) is read like text;
		// base64 and URL sources are not.
		switch {
		case source.Get("type").StrEquals("text"):
			x.addString(kind, t, source.Get("data"), bp+"/source/data")
		case source.Get("type").StrEquals("content"):
			if c := source.Get("content"); c.IsString() || c.IsArray() {
				if err := x.anthropicBlocks(kind, t, c, bp+"/source/content"); err != nil {
					return err
				}
			}
		}
	case "search_result":
		// Retrieved text the client hands the model: untrusted.
		x.toolResult(t, "search_result", "", content, bp+"/content", resultOpts{})
	case "web_search_tool_result":
		// {content: [{type: web_search_result, url, title,
		// encrypted_content, page_age}]} or an error object. The page text
		// is encrypted; the title is the page author's words.
		ri := content.Array()
		for ri.Next() {
			r := ri.Val
			title, url := r.Get("title"), r.Get("url")
			if !title.IsString() && !url.IsString() {
				continue
			}
			x.scratch = title.AppendStr(x.scratch[:0])
			if len(x.scratch) > 0 && url.IsString() {
				x.scratch = append(x.scratch, '\n')
			}
			x.scratch = url.AppendStr(x.scratch)
			if len(x.scratch) == 0 {
				continue
			}
			x.add(sdk.KindToolResult, t, string(x.scratch), "", &sdk.ToolCall{Name: "web_search", CallID: toolUseID.Str()})
		}
	case "web_fetch_tool_result":
		// A server tool's fetched page: {content: {type: "web_fetch_result",
		// url, content: {type: "document", source: {type: "text", data},
		// title}}}.
		doc := content.Get("content")
		if src := doc.Get("source"); src.Get("type").StrEquals("text") {
			x.toolResult(t, "web_fetch", toolUseID.Str(), src.Get("data"), bp+"/content/content/source/data", resultOpts{})
		}
		x.toolResult(t, "web_fetch", toolUseID.Str(), doc.Get("title"), bp+"/content/content/title", resultOpts{})
	case "code_execution_tool_result", "bash_code_execution_tool_result", "text_editor_code_execution_tool_result":
		// {content: {type: …_result, stdout, stderr, return_code}}; the
		// text editor's view result holds the file in content.
		name := "code_execution"
		switch typ.Str() {
		case "bash_code_execution_tool_result":
			name = "bash_code_execution"
		case "text_editor_code_execution_tool_result":
			name = "text_editor_code_execution"
		}
		x.toolResult(t, name, toolUseID.Str(), content.Get("stdout"), bp+"/content/stdout", resultOpts{})
		x.toolResult(t, name, toolUseID.Str(), content.Get("stderr"), bp+"/content/stderr", resultOpts{})
		if c := content.Get("content"); c.IsString() {
			x.toolResult(t, name, toolUseID.Str(), c, bp+"/content/content", resultOpts{})
		}
	case "tool_result", "mcp_tool_result":
		if strict {
			if err := want(rb, bp+"/content", content, jsonscan.String, jsonscan.Array); err != nil {
				return err
			}
		}
		x.toolResult(t, "", toolUseID.Str(), content, bp+"/content", resultOpts{})
	}
	return nil
}

// citations adds the cited text of a text block's citations (web search
// result locations, document and search result locations): words quoted
// from a page or document, untrusted.
func (x *Extractor) citations(t turn, cs jsonscan.Value, p string) {
	it := cs.Array()
	for it.Next() {
		c := it.Val
		x.toolResult(t, "citation", "", c.Get("cited_text"), ptr(p, it.I, "cited_text"), resultOpts{})
	}
}

// responseAnthropic reads an Anthropic "message" object.
func (x *Extractor) responseAnthropic(v jsonscan.Value) {
	_ = x.anthropicBlocks(sdk.KindResponse, turnResponse, v.Get("content"), "")
}

// roleMessage is one {role, content} message of Anthropic Messages and
// Bedrock Converse requests, which share that outer shape.
type roleMessage struct{ role, content jsonscan.Value }

// roleMessages reads the messages array into list and returns it with the
// index of the last assistant message (-1 when there is none).
func roleMessages(msgs jsonscan.Value, list []roleMessage) ([]roleMessage, int, error) {
	last := -1
	mi := msgs.Array()
	for mi.Next() {
		if !mi.Val.IsObject() {
			return nil, 0, typeErr(rb, ptr("/messages", mi.I), "object", mi.Val)
		}
		var m roleMessage
		f := mi.Val.Object()
		for f.Next() {
			switch {
			case f.KeyIs("role"):
				m.role = f.Val
			case f.KeyIs("content"):
				m.content = f.Val
			}
		}
		if m.role.StrEquals("assistant") {
			last = mi.I
		}
		list = append(list, m)
	}
	return list, last, nil
}
