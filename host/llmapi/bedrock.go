package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

func (x *Extractor) requestBedrock() error {
	system, msgs := x.shape.system, x.shape.messages
	if err := want(rb, "/system", system, jsonscan.Array); err != nil {
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
	if err := x.bedrockBlocks(sdk.KindSystem, originOf(0, last), system, "/system"); err != nil {
		return err
	}
	for i, m := range list {
		base := ptr("/messages", i)
		if err := want(rb, base+"/role", m.role, jsonscan.String); err != nil {
			return err
		}
		if err := want(rb, base+"/content", m.content, jsonscan.Array); err != nil {
			return err
		}
		kind := sdk.KindPrompt
		if m.role.StrEquals("assistant") {
			kind = sdk.KindResponse
		}
		if err := x.bedrockBlocks(kind, originOf(i, last), m.content, base+"/content"); err != nil {
			return err
		}
	}
	return nil
}

// bedrockBlocks adds Converse content blocks: {text}, {toolUse},
// {toolResult}; images, documents, reasoning and cache points are skipped.
func (x *Extractor) bedrockBlocks(kind sdk.Kind, t turn, c jsonscan.Value, p string) error {
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
		var text, toolUse, toolResult jsonscan.Value
		f := it.Val.Object()
		for f.Next() {
			switch {
			case f.KeyIs("text"):
				text = f.Val
			case f.KeyIs("toolUse"):
				toolUse = f.Val
			case f.KeyIs("toolResult"):
				toolResult = f.Val
			}
		}
		if strict {
			if err := want(rb, bp+"/text", text, jsonscan.String); err != nil {
				return err
			}
			if err := want(rb, bp+"/toolUse", toolUse, jsonscan.Object); err != nil {
				return err
			}
			if err := want(rb, bp+"/toolResult", toolResult, jsonscan.Object); err != nil {
				return err
			}
		}
		x.addString(kind, t, text, bp+"/text")
		if toolUse.IsObject() {
			id, name := toolUse.Get("toolUseId").Str(), toolUse.Get("name").Str()
			x.rememberCall(id, name)
			x.toolCallValue(t, name, id, toolUse.Get("input"), bp+"/toolUse/input")
		}
		if toolResult.IsObject() {
			x.toolResult(t, "", toolResult.Get("toolUseId").Str(), toolResult.Get("content"), bp+"/toolResult/content", resultOpts{})
		}
	}
	return nil
}

// responseBedrock reads a Converse response.
func (x *Extractor) responseBedrock(v jsonscan.Value) {
	_ = x.bedrockBlocks(sdk.KindResponse, turnResponse, v.Get("output").Get("message").Get("content"), "")
}
