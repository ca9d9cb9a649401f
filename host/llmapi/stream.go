package llmapi

import (
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Stream accumulators. Indexes in chunks are chosen by the sender, so they
// are matched by value (a linear search while few, a map after), never
// used to size a slice.

// indexed is a list of accumulators found by their index.
type indexed[T any] struct {
	items []T
	pos   map[int]int
}

func (ix *indexed[T]) get(key int, keyOf func(*T) int, mk func(int) T) *T {
	if ix.pos != nil {
		if p, ok := ix.pos[key]; ok {
			return &ix.items[p]
		}
	} else {
		for k := range ix.items {
			if keyOf(&ix.items[k]) == key {
				return &ix.items[k]
			}
		}
	}
	ix.items = append(ix.items, mk(key))
	p := len(ix.items) - 1
	switch {
	case ix.pos != nil:
		ix.pos[key] = p
	case len(ix.items) > 16:
		ix.pos = make(map[int]int, 2*len(ix.items))
		for k := range ix.items {
			ix.pos[keyOf(&ix.items[k])] = k
		}
	}
	return &ix.items[p]
}

// chatStream merges chat.completion.chunk deltas: content by choice, tool
// calls by their index inside the choice.
type chatStream struct{ choices indexed[chatChoiceAcc] }

type chatChoiceAcc struct {
	index         int
	text, refusal []byte
	calls         indexed[chatCallAcc]
}

type chatCallAcc struct {
	index      int
	id, name   string
	args       []byte
	custom     bool
	sawPayload bool
}

func (s *chatStream) choice(i int) *chatChoiceAcc {
	return s.choices.get(i, func(c *chatChoiceAcc) int { return c.index },
		func(i int) chatChoiceAcc { return chatChoiceAcc{index: i} })
}

func (c *chatChoiceAcc) call(i int) *chatCallAcc {
	return c.calls.get(i, func(c *chatCallAcc) int { return c.index },
		func(i int) chatCallAcc { return chatCallAcc{index: i} })
}

func (s *chatStream) add(v jsonscan.Value) {
	it := v.Get("choices").Array()
	for it.Next() {
		ch := it.Val
		idx, ok := ch.Get("index").Int()
		if !ok {
			idx = it.I
		}
		d := ch.Get("delta")
		if !d.IsObject() {
			continue
		}
		acc := s.choice(idx)
		f := d.Object()
		for f.Next() {
			switch {
			case f.KeyIs("content"):
				acc.text = f.Val.AppendStr(acc.text)
			case f.KeyIs("refusal"):
				acc.refusal = f.Val.AppendStr(acc.refusal)
			case f.KeyIs("tool_calls"):
				ti := f.Val.Array()
				for ti.Next() {
					tc := ti.Val
					ci, ok := tc.Get("index").Int()
					if !ok {
						ci = ti.I
					}
					call := acc.call(ci)
					if id := tc.Get("id"); id.IsString() && len(id) > 2 {
						call.id = id.Str()
					}
					if tc.Get("type").StrEquals("custom") {
						call.custom = true
					}
					fn := tc.Get("function")
					if call.custom {
						fn = tc.Get("custom")
					}
					if n := fn.Get("name"); n.IsString() && len(n) > 2 {
						call.name = n.Str()
					}
					a := fn.Get("arguments")
					if call.custom {
						a = fn.Get("input")
					}
					switch {
					case a.IsString():
						call.args = a.AppendStr(call.args)
					case a.IsObject():
						call.args = append(call.args, a...)
					}
				}
			}
		}
	}
}

func (s *chatStream) flush(x *Extractor) {
	for _, c := range s.choices.items {
		if len(c.text) > 0 {
			x.add(sdk.KindResponse, turnResponse, string(c.text), "", nil)
		}
		if len(c.refusal) > 0 {
			x.add(sdk.KindResponse, turnResponse, string(c.refusal), "", nil)
		}
		for _, call := range c.calls.items {
			x.rememberCall(call.id, call.name)
			if call.custom {
				s := string(call.args)
				x.add(sdk.KindToolCall, turnResponse, s, "", &sdk.ToolCall{Name: call.name, CallID: call.id, Arguments: s})
				continue
			}
			x.toolCallRawJSON(turnResponse, call.name, call.id, string(call.args), "")
		}
	}
}

// respStream reassembles Responses API events. The final response
// (response.completed, .incomplete or .failed) wins when present; else the
// output_item.done items; else the items rebuilt from their deltas.
type respStream struct {
	final jsonscan.Value
	slots indexed[respSlot]
}

type respSlot struct {
	index       int
	added, done jsonscan.Value
	texts       indexed[respText]
	args        []byte
}

type respText struct {
	index int
	text  []byte
}

func (s *respStream) slot(i int) *respSlot {
	return s.slots.get(i, func(r *respSlot) int { return r.index },
		func(i int) respSlot { return respSlot{index: i} })
}

func (s *respStream) add(v jsonscan.Value) {
	var typ, item, delta, response, outIdx, contentIdx jsonscan.Value
	it := v.Object()
	for it.Next() {
		switch {
		case it.KeyIs("type"):
			typ = it.Val
		case it.KeyIs("item"):
			item = it.Val
		case it.KeyIs("delta"):
			delta = it.Val
		case it.KeyIs("response"):
			response = it.Val
		case it.KeyIs("output_index"):
			outIdx = it.Val
		case it.KeyIs("content_index"):
			contentIdx = it.Val
		}
	}
	switch typ.Str() {
	case "response.completed", "response.incomplete", "response.failed":
		if response.Get("output").IsArray() {
			s.final = response
		}
		return
	}
	oi, ok := outIdx.Int()
	if !ok {
		return
	}
	switch typ.Str() {
	case "response.output_item.added":
		s.slot(oi).added = item
	case "response.output_item.done":
		s.slot(oi).done = item
	case "response.output_text.delta", "response.refusal.delta":
		sl := s.slot(oi)
		ci, _ := contentIdx.Int()
		t := sl.texts.get(ci, func(r *respText) int { return r.index },
			func(i int) respText { return respText{index: i} })
		t.text = delta.AppendStr(t.text)
	case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta":
		sl := s.slot(oi)
		sl.args = delta.AppendStr(sl.args)
	}
}

func (s *respStream) flush(x *Extractor) {
	if s.final != nil {
		x.responseResponses(s.final)
		return
	}
	for _, sl := range s.slots.items {
		if sl.done.IsObject() {
			_ = x.respItem(turnResponse, readRespItem(sl.done), "", false)
			continue
		}
		if !sl.added.IsObject() {
			for _, t := range sl.texts.items {
				if len(t.text) > 0 {
					x.add(sdk.KindResponse, turnResponse, string(t.text), "", nil)
				}
			}
			continue
		}
		r := readRespItem(sl.added)
		switch r.typ.Str() {
		case "function_call":
			args := string(sl.args)
			if len(sl.args) == 0 {
				args = r.arguments.Str()
			}
			x.rememberCall(r.callID.Str(), r.name.Str())
			x.toolCallRawJSON(turnResponse, r.name.Str(), r.callID.Str(), args, "")
		case "custom_tool_call":
			in := string(sl.args)
			if len(sl.args) == 0 {
				in = r.input.Str()
			}
			x.add(sdk.KindToolCall, turnResponse, in, "", &sdk.ToolCall{Name: r.name.Str(), CallID: r.callID.Str(), Arguments: in})
		case "message":
			for _, t := range sl.texts.items {
				if len(t.text) > 0 {
					x.add(sdk.KindResponse, turnResponse, string(t.text), "", nil)
				}
			}
		default:
			_ = x.respItem(turnResponse, r, "", false)
		}
	}
}

// antStream reassembles Anthropic content blocks by index: text_delta
// text, and input_json_delta fragments of a tool_use input.
type antStream struct{ blocks indexed[antBlock] }

type antBlock struct {
	index      int
	typ        string
	id, name   string
	start      jsonscan.Value // content_block from content_block_start
	text, json []byte
	citations  []jsonscan.Value // citation objects of citations_delta
}

func (s *antStream) block(i int) *antBlock {
	return s.blocks.get(i, func(b *antBlock) int { return b.index },
		func(i int) antBlock { return antBlock{index: i} })
}

func (s *antStream) add(v jsonscan.Value) {
	var typ, index, cb, delta jsonscan.Value
	it := v.Object()
	for it.Next() {
		switch {
		case it.KeyIs("type"):
			typ = it.Val
		case it.KeyIs("index"):
			index = it.Val
		case it.KeyIs("content_block"):
			cb = it.Val
		case it.KeyIs("delta"):
			delta = it.Val
		}
	}
	i, ok := index.Int()
	if !ok {
		return
	}
	switch typ.Str() {
	case "content_block_start":
		b := s.block(i)
		b.start = cb
		b.typ = cb.Get("type").Str()
		b.id = cb.Get("id").Str()
		b.name = cb.Get("name").Str()
		if t := cb.Get("text"); t.IsString() {
			b.text = t.AppendStr(b.text)
		}
	case "content_block_delta":
		b := s.block(i)
		var dt, text, pj, citation jsonscan.Value
		f := delta.Object()
		for f.Next() {
			switch {
			case f.KeyIs("type"):
				dt = f.Val
			case f.KeyIs("text"):
				text = f.Val
			case f.KeyIs("partial_json"):
				pj = f.Val
			case f.KeyIs("citation"):
				citation = f.Val
			}
		}
		switch dt.Str() {
		case "text_delta":
			if b.typ == "" {
				b.typ = "text"
			}
			b.text = text.AppendStr(b.text)
		case "input_json_delta":
			b.json = pj.AppendStr(b.json)
		case "citations_delta":
			if citation.IsObject() {
				b.citations = append(b.citations, citation)
			}
		}
	}
}

func (s *antStream) flush(x *Extractor) {
	for _, b := range s.blocks.items {
		switch b.typ {
		case "text":
			if len(b.text) > 0 {
				x.add(sdk.KindResponse, turnResponse, string(b.text), "", nil)
			}
			for _, c := range b.citations {
				x.toolResult(turnResponse, "citation", "", c.Get("cited_text"), "", resultOpts{})
			}
		case "tool_use", "server_tool_use", "mcp_tool_use":
			x.rememberCall(b.id, b.name)
			if len(b.json) > 0 {
				x.toolCallRawJSON(turnResponse, b.name, b.id, string(b.json), "")
			} else {
				x.toolCallValue(turnResponse, b.name, b.id, b.start.Get("input"), "")
			}
		default:
			// Server tool results (web search, web fetch, code execution,
			// MCP) arrive whole in content_block_start.
			if b.start.IsObject() {
				_ = x.anthropicBlock(sdk.KindResponse, turnResponse, b.start, "")
			}
		}
	}
}

// gemStream concatenates the text parts of Gemini chunks per candidate;
// function calls arrive whole and keep their place between texts.
type gemStream struct{ cands indexed[gemCand] }

type gemCand struct {
	index int
	segs  []gemSeg
}

type gemSeg struct {
	text []byte
	call jsonscan.Value
}

func (s *gemStream) cand(i int) *gemCand {
	return s.cands.get(i, func(c *gemCand) int { return c.index },
		func(i int) gemCand { return gemCand{index: i} })
}

func (s *gemStream) add(v jsonscan.Value) {
	it := v.Get("candidates").Array()
	for it.Next() {
		c := it.Val
		i, ok := c.Get("index").Int()
		if !ok {
			i = it.I
		}
		acc := s.cand(i)
		pi := c.Get("content").Get("parts").Array()
		for pi.Next() {
			var text, thought, call jsonscan.Value
			f := pi.Val.Object()
			for f.Next() {
				switch {
				case f.KeyIs("text"):
					text = f.Val
				case f.KeyIs("thought"):
					thought = f.Val
				case f.KeyIs("functionCall"), f.KeyIs("function_call"):
					call = f.Val
				}
			}
			if thought.Bool() {
				continue
			}
			if text.IsString() && len(text) > 2 {
				n := len(acc.segs)
				if n == 0 || acc.segs[n-1].call != nil {
					acc.segs = append(acc.segs, gemSeg{})
					n++
				}
				acc.segs[n-1].text = text.AppendStr(acc.segs[n-1].text)
			}
			if call.IsObject() {
				acc.segs = append(acc.segs, gemSeg{call: call})
			}
		}
	}
}

func (s *gemStream) flush(x *Extractor) {
	for _, c := range s.cands.items {
		for _, sg := range c.segs {
			if sg.call != nil {
				name, id := sg.call.Get("name").Str(), sg.call.Get("id").Str()
				x.rememberCall(id, name)
				x.toolCallValue(turnResponse, name, id, sg.call.Get("args"), "")
			} else if len(sg.text) > 0 {
				x.add(sdk.KindResponse, turnResponse, string(sg.text), "", nil)
			}
		}
	}
}

// bedStream reassembles ConverseStream events, either wrapped
// ({"contentBlockDelta": {…}}) or bare ({"contentBlockIndex": 0, "delta":
// {…}}).
type bedStream struct{ blocks indexed[bedBlock] }

type bedBlock struct {
	index      int
	id, name   string
	tool       bool
	text, json []byte
}

func (s *bedStream) block(i int) *bedBlock {
	return s.blocks.get(i, func(b *bedBlock) int { return b.index },
		func(i int) bedBlock { return bedBlock{index: i} })
}

func (s *bedStream) add(v jsonscan.Value) {
	ev := v
	if w := v.Get("contentBlockStart"); w.IsObject() {
		ev = w
	} else if w := v.Get("contentBlockDelta"); w.IsObject() {
		ev = w
	}
	i, ok := ev.Get("contentBlockIndex").Int()
	if !ok {
		return
	}
	if st := ev.Get("start").Get("toolUse"); st.IsObject() {
		b := s.block(i)
		b.tool = true
		b.id = st.Get("toolUseId").Str()
		b.name = st.Get("name").Str()
	}
	d := ev.Get("delta")
	if t := d.Get("text"); t.IsString() {
		b := s.block(i)
		b.text = t.AppendStr(b.text)
	}
	if tu := d.Get("toolUse"); tu.IsObject() {
		b := s.block(i)
		b.tool = true
		b.json = tu.Get("input").AppendStr(b.json)
	}
}

func (s *bedStream) flush(x *Extractor) {
	for _, b := range s.blocks.items {
		if len(b.text) > 0 {
			x.add(sdk.KindResponse, turnResponse, string(b.text), "", nil)
		}
		if b.tool {
			x.rememberCall(b.id, b.name)
			x.toolCallRawJSON(turnResponse, b.name, b.id, string(b.json), "")
		}
	}
}
