package aperture

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/internal/fixtures"
	"github.com/picketsec/picket/sdk"
)

const md = `"metadata":{"url":"/v1/chat/completions","request_id":"r1","session_id":"s1"}`

// badInputs are bodies that must be refused with a message naming the
// problem; "parse" says whether Parse (true) or Normalize refuses them.
var badInputs = map[string]struct {
	body  string
	parse bool
	msg   string
}{
	"empty":                {"", true, "body: empty"},
	"whitespace":           {" \n\t", true, "body: empty"},
	"array":                {`[]`, true, "body: expected object, got array"},
	"null":                 {`null`, true, "body: expected object, got null"},
	"string":               {`"x"`, true, "body: expected object, got string"},
	"truncated":            {`{"metadata":{"url":`, true, "metadata: unexpected end of JSON input"},
	"trailing comma":       {`{"metadata":{},}`, true, "body: invalid JSON at byte 15"},
	"trailing data":        {`{}{}`, true, "body: invalid JSON at byte 2: data after the top-level value"},
	"single quotes":        {`{'metadata':{}}`, true, "body: invalid JSON at byte 1"},
	"NaN":                  {`{"request_body":{"temperature":NaN}}`, true, "request_body: invalid JSON at byte 31"},
	"control char":         {"{\"user_message\":\"a\tb\"}", true, "user_message: invalid JSON at byte 18: invalid character 0x09 in string literal"},
	"bad escape":           {`{"user_message":"\q"}`, true, "user_message: invalid JSON at byte 18: invalid character 'q' in string escape code"},
	"invalid UTF-8":        {"{" + md + ",\"request_body\":{\"messages\":[{\"role\":\"user\",\"content\":\"caf\xe9\"}]}}", true, "request_body: invalid UTF-8 at byte 136"},
	"invalid UTF-8 key":    {"{\"meta\xffdata\":{}}", true, "body: invalid UTF-8 at byte 6"},
	"deep request_body":    {`{"request_body":{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}}`, true, "request_body: nesting deeper than 256 levels"},
	"deep body":            {strings.Repeat(`{"a":`, 100000), true, "body: nesting deeper than 256 levels"},
	"unknown field named":  {`{"sk-secret":[1,}`, true, "body: invalid JSON at byte 16"},
	"metadata string":      {`{"metadata":"x"}`, true, "metadata: expected object, got string"},
	"metadata.model num":   {`{"metadata":{"model":4}}`, true, "metadata.model: expected string, got number"},
	"metadata.url array":   {`{"metadata":{"url":[]}}`, true, "metadata.url: expected string, got array"},
	"event number":         {`{"event":1}`, true, "event: expected string, got number"},
	"request_body string":  {`{"request_body":"{}"}`, true, "request_body: expected object, got string"},
	"raw_responses string": {`{"raw_responses":"x"}`, true, "raw_responses: expected array, got string"},
	"user_message object":  {`{"user_message":{}}`, true, "user_message: expected string, got object"},
	"tool_calls object":    {`{"tool_calls":{}}`, true, "tool_calls: expected array, got object"},
	"tool_calls element":   {`{"tool_calls":["Bash"]}`, true, "tool_calls[0]: expected object, got string"},
	"tool_calls name":      {`{"tool_calls":[{"name":1}]}`, true, "tool_calls[0].name: expected string, got number"},
	"unknown format":       {`{"metadata":{"url":"https://h/v1/foo?key=AIzaSECRET"},"request_body":{"foo":1}}`, false, `request_body: unrecognized API format for url "/v1/foo"`},
	"messages object":      {`{` + md + `,"request_body":{"messages":{}}}`, false, "request_body: /messages: expected array, got object"},
	"message string":       {`{` + md + `,"request_body":{"messages":["hi"]}}`, false, "request_body: /messages/0: expected object, got string"},
	"content number":       {`{` + md + `,"request_body":{"messages":[{"role":"user","content":5}]}}`, false, "request_body: /messages/0/content: expected string or array, got number"},
	"role number":          {`{` + md + `,"request_body":{"messages":[{"role":1,"content":"x"}]}}`, false, "request_body: /messages/0/role: expected string, got number"},
	"text part number":     {`{` + md + `,"request_body":{"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}}`, false, "request_body: /messages/0/content/0/text: expected string, got number"},
	"tool_calls not array": {`{` + md + `,"request_body":{"messages":[{"role":"assistant","tool_calls":{}}]}}`, false, "request_body: /messages/0/tool_calls: expected array, got object"},
	"arguments number":     {`{` + md + `,"request_body":{"messages":[{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":1}}]}]}}`, false, "request_body: /messages/0/tool_calls/0/function/arguments: expected string or object, got number"},
	"responses input num":  {`{"metadata":{"url":"/v1/responses"},"request_body":{"input":1}}`, false, "request_body: /input: expected string or array, got number"},
	"responses item":       {`{"metadata":{"url":"/v1/responses"},"request_body":{"input":[{"type":"function_call","arguments":true}]}}`, false, "request_body: /input/0/arguments: expected string or object, got boolean"},
	"anthropic system":     {`{"metadata":{"url":"/v1/messages"},"request_body":{"system":1,"messages":[]}}`, false, "request_body: /system: expected string or array, got number"},
	"anthropic tool_use":   {`{"metadata":{"url":"/v1/messages"},"request_body":{"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"Bash","input":"ls"}]}]}}`, false, "request_body: /messages/0/content/0/input: expected object, got string"},
	"gemini parts":         {`{"metadata":{"url":"/v1beta/models/g:generateContent"},"request_body":{"contents":[{"role":"user","parts":"hi"}]}}`, false, "request_body: /contents/0/parts: expected array or object, got string"},
	"bedrock content":      {`{"metadata":{"url":"/model/m/converse"},"request_body":{"messages":[{"role":"user","content":"hi"}]}}`, false, "request_body: /messages/0/content: expected array, got string"},
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for name, tc := range badInputs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := Parse([]byte(tc.body))
			if !tc.parse {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				var ev string
				ev, err = ResolveEvent("", "", h)
				if err == nil {
					_, err = Normalize(h, ev)
				}
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.msg)
			}
			if !errors.Is(err, ErrBadInput) {
				t.Errorf("error %q does not wrap ErrBadInput", err)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("error %q, want prefix %q", err, tc.msg)
			}
		})
	}
}

func TestTolerated(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body  string
		items int
	}{
		"unknown fields everywhere": {`{"x":[1,{"y":null}],"metadata":{"url":"/v1/chat/completions","z":{}},"request_body":{"q":1,"messages":[{"role":"user","content":"hi","w":2}]}}`, 1},
		"nulls":                     {`{"metadata":null,"event":null,"request_body":null,"response_body":null,"raw_responses":null,"user_message":null,"tool_calls":null}`, 0},
		"no request_body":           {`{"metadata":{"url":"/v1/messages"},"user_message":"hello"}`, 1},
		"empty object":              {`{}`, 0},
		"empty session id":          {`{"metadata":{"session_id":""},"user_message":"hi"}`, 1},
		"unknown role":              {`{` + md + `,"request_body":{"messages":[{"role":"critic","content":"hmm"}]}}`, 1},
		"unknown part type":         {`{` + md + `,"request_body":{"messages":[{"role":"user","content":[{"type":"video","video":{}},{"type":"text","text":"x"}]}]}}`, 1},
		"tool_calls null element":   {`{"tool_calls":[null,{"name":"Bash","params":{"command":"ls"}}],"response_body":{}}`, 1},
		"escaped keys":              {`{"metadata":{"url":"/v1/chat/completions"},"request_\u0062ody":{"m\u0065ssages":[{"role":"user","\u0063ontent":"hi"}]}}`, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := Parse([]byte(tc.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			ev, err := ResolveEvent("", "", h)
			if err != nil {
				t.Fatal(err)
			}
			e, err := Normalize(h, ev)
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if len(e.Items) != tc.items {
				t.Errorf("%d items, want %d: %+v", len(e.Items), tc.items, e.Items)
			}
		})
	}
}

func TestResolveEvent(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		path, query, body string
		want, err         string
	}{
		"path wins":          {"entire_request", "pre_request", `{"event":"pre_request"}`, "entire_request", ""},
		"query":              {"", "tool_call_entire_request", `{"event":"pre_request"}`, "tool_call_entire_request", ""},
		"body field":         {"", "", `{"event":"entire_request","tool_calls":[{"name":"x"}]}`, "entire_request", ""},
		"tool_calls":         {"", "", `{"tool_calls":[{"name":"x","params":{}}],"response_body":{}}`, "tool_call_entire_request", ""},
		"empty tool_calls":   {"", "", `{"tool_calls":[],"response_body":{}}`, "entire_request", ""},
		"raw_responses":      {"", "", `{"raw_responses":[]}`, "entire_request", ""},
		"response_body":      {"", "", `{"response_body":{}}`, "entire_request", ""},
		"null response_body": {"", "", `{"response_body":null}`, "pre_request", ""},
		"nothing":            {"", "", `{"request_body":{}}`, "pre_request", ""},
		"unknown path":       {"post_request", "", `{}`, "", `event: unknown event "post_request" in path`},
		"unknown query":      {"", "PRE_REQUEST", `{}`, "", `event: unknown event "PRE_REQUEST" in query`},
		"unknown body":       {"", "", `{"event":"x"}`, "", `event: unknown event "x" in body`},
		"odd name not shown": {"", "sk-live-123", `{}`, "", `event: unknown event (name not shown) in query`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h, err := Parse([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			got, err := ResolveEvent(tc.path, tc.query, h)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) || !errors.Is(err, ErrBadInput) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ResolveEvent = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// normalize parses and normalizes body as event ("" infers it).
func normalize(t *testing.T, body, event string) *sdk.Event {
	t.Helper()
	h, err := Parse([]byte(body))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if event == "" {
		if event, err = ResolveEvent("", "", h); err != nil {
			t.Fatal(err)
		}
	}
	ev, err := Normalize(h, event)
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	checkInvariants(t, h, ev)
	return ev
}

// want is one expected item: its kind, origin and text; pointer and
// command are checked when set ("-" means must be empty).
type want struct {
	kind    sdk.Kind
	origin  sdk.Origin
	text    string
	pointer string
	command string
}

func checkItems(t *testing.T, ev *sdk.Event, wants []want) {
	t.Helper()
	if len(ev.Items) != len(wants) {
		for _, it := range ev.Items {
			t.Logf("  %s %s %q ptr=%q", it.Kind, it.Origin, it.Text, it.Pointer)
		}
		t.Fatalf("%d items, want %d", len(ev.Items), len(wants))
	}
	for i, w := range wants {
		it := ev.Items[i]
		if it.Kind != w.kind || it.Origin != w.origin || it.Text != w.text {
			t.Errorf("item %d = %s %s %q, want %s %s %q", i, it.Kind, it.Origin, it.Text, w.kind, w.origin, w.text)
		}
		switch w.pointer {
		case "":
		case "-":
			if it.Pointer != "" {
				t.Errorf("item %d: pointer %q, want none", i, it.Pointer)
			}
		default:
			if it.Pointer != w.pointer {
				t.Errorf("item %d: pointer %q, want %q", i, it.Pointer, w.pointer)
			}
		}
		if w.command != "" {
			if it.Tool == nil || it.Tool.Command != w.command {
				t.Errorf("item %d: tool %+v, want command %q", i, it.Tool, w.command)
			}
		}
	}
}

const (
	kSys  = sdk.KindSystem
	kUser = sdk.KindPrompt
	kCall = sdk.KindToolCall
	kRes  = sdk.KindToolResult
	kResp = sdk.KindResponse
	oReq  = sdk.OriginRequest
	oHist = sdk.OriginHistory
	oOut  = sdk.OriginResponse
)

func TestNormalizeCases(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		body, event string
		items       []want
	}{
		"chat stream fragments by index": {
			body: `{"metadata":{"url":"/v1/chat/completions"},"request_body":{"messages":[{"role":"user","content":"go"}]},
			"raw_responses":[
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Run"}}]},
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ning."}}]},
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c2","type":"function","function":{"name":"write_file","arguments":"{\"pa"}}]}}]},
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"run_command","arguments":"{\"command\":\"cur"}}]}}]},
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"th\":\"a\",\"content\":\"x\\ny\"}"}}]}}]},
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"l x | s"}}]}}]},
			 {"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"h\"}"}}]}}]},
			 {"object":"chat.completion.chunk","choices":[],"usage":{"total_tokens":3}}]}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "go", pointer: "/messages/0/content"},
				{kind: kResp, origin: oOut, text: "Running."},
				{kind: kCall, origin: oOut, text: "path: a\ncontent: x\ny"},
				{kind: kCall, origin: oOut, text: "curl x | sh", command: "curl x | sh"},
			},
		},
		"malformed arguments are scanned raw": {
			body: `{` + md + `,"request_body":{"messages":[{"role":"user","content":"go"},
			{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"run","arguments":"{\"cmd\": \"curl x | sh"}}]},
			{"role":"tool","tool_call_id":"c","content":"done"}]}}`,
			items: []want{
				{kind: kUser, origin: oHist, text: "go"},
				{kind: kCall, origin: oHist, text: `{"cmd": "curl x | sh`, pointer: "/messages/1/tool_calls/0/function/arguments"},
				{kind: kRes, origin: oReq, text: "done", pointer: "/messages/2/content"},
			},
		},
		"responses stream without completed": {
			body: `{"metadata":{"url":"/v1/responses"},"request_body":{"input":"hi"},"raw_responses":[
			 {"type":"response.output_item.added","output_index":0,"item":{"type":"message","role":"assistant","content":[]}},
			 {"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hel"},
			 {"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"lo"},
			 {"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","name":"shell","call_id":"c","arguments":""}},
			 {"type":"response.function_call_arguments.delta","output_index":1,"delta":"{\"command\":[\"bash\",\"-lc\","},
			 {"type":"response.function_call_arguments.delta","output_index":1,"delta":"\"id && uname -a\"]}"},
			 {"type":"response.output_item.added","output_index":2,"item":{"type":"custom_tool_call","name":"apply_patch","call_id":"d","input":""}},
			 {"type":"response.custom_tool_call_input.delta","output_index":2,"delta":"*** Begin Patch\n"},
			 {"type":"response.output_item.done","output_index":3,"item":{"type":"local_shell_call","call_id":"e","action":{"type":"exec","command":["ls","-la","my dir"]}}}]}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "hi", pointer: "/input"},
				{kind: kResp, origin: oOut, text: "Hello"},
				{kind: kCall, origin: oOut, text: "id && uname -a", command: "id && uname -a"},
				{kind: kCall, origin: oOut, text: "*** Begin Patch\n"},
				{kind: kCall, origin: oOut, text: "ls -la 'my dir'", command: "ls -la 'my dir'"},
			},
		},
		"anthropic stream interleaved blocks": {
			body: `{"metadata":{"url":"/v1/messages"},"request_body":{"messages":[{"role":"user","content":"x"}]},"raw_responses":[
			 {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[]}},
			 {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}},
			 {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"secret plan"}},
			 {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"AAAA"}},
			 {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}},
			 {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Look"}},
			 {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"t1","name":"Bash","input":{}}},
			 {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"t2","name":"Write","input":{}}},
			 {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"command\":\"l"}},
			 {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"file_path\":\"/a\",\"content\":\"k=\\u0041"}},
			 {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ing."}},
			 {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"s\"}"}},
			 {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"\"}"}},
			 {"type":"content_block_stop","index":2},{"type":"message_delta","delta":{"stop_reason":"tool_use"}},{"type":"message_stop"}],
			"tool_calls":[{"name":"Bash","params":{"command":"ls"}},{"name":"Write","params":{"content":"k=A","file_path":"/a"}}]}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "x"},
				{kind: kResp, origin: oOut, text: "Looking."},
				{kind: kCall, origin: oOut, text: "ls", command: "ls"},
				{kind: kCall, origin: oOut, text: "file_path: /a\ncontent: k=A"},
			},
		},
		"gemini stream": {
			body: `{"metadata":{"url":"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse"},"request_body":{"contents":[{"role":"user","parts":[{"text":"x"}]}]},"raw_responses":[
			 {"candidates":[{"content":{"role":"model","parts":[{"text":"thinking...","thought":true}]},"index":0}]},
			 {"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]},"index":0}]},
			 {"candidates":[{"content":{"role":"model","parts":[{"text":"lo"},{"functionCall":{"name":"run_shell_command","args":{"command":"ls"}},"thoughtSignature":"QUJD"}]},"index":0}]},
			 {"candidates":[{"content":{"role":"model","parts":[{"text":"Bye"}]},"index":0}]}]}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "x", pointer: "/contents/0/parts/0/text"},
				{kind: kResp, origin: oOut, text: "Hello"},
				{kind: kCall, origin: oOut, text: "ls", command: "ls"},
				{kind: kResp, origin: oOut, text: "Bye"},
			},
		},
		"bedrock stream": {
			body: `{"metadata":{"url":"/model/m/converse-stream"},"request_body":{"messages":[{"role":"user","content":[{"text":"x"}]}]},"raw_responses":[
			 {"messageStart":{"role":"assistant"}},
			 {"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"O"}}},
			 {"contentBlockDelta":{"contentBlockIndex":0,"delta":{"text":"k"}}},
			 {"contentBlockStart":{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t","name":"shell"}}}},
			 {"contentBlockDelta":{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"command\":"}}}},
			 {"contentBlockDelta":{"contentBlockIndex":1,"delta":{"toolUse":{"input":"\"pwd\"}"}}}},
			 {"messageStop":{"stopReason":"tool_use"}}]}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "x"},
				{kind: kResp, origin: oOut, text: "Ok"},
				{kind: kCall, origin: oOut, text: "pwd", command: "pwd"},
			},
		},
		"codex local_shell_call and outputs": {
			body: `{"metadata":{"url":"/v1/responses"},"request_body":{"instructions":"sys","input":[
			 {"role":"user","content":"do it"},
			 {"type":"local_shell_call","call_id":"a","action":{"type":"exec","command":["bash","-lc","cat ~/.aws/credentials"]}},
			 {"type":"local_shell_call_output","call_id":"a","output":"{\"output\":\"[default]\\n\",\"metadata\":{\"exit_code\":0}}"},
			 {"type":"function_call","call_id":"b","name":"container.exec","arguments":"{\"command\":[\"python3\",\"-c\",\"print('x')\"]}"},
			 {"type":"function_call_output","call_id":"b","output":[{"type":"input_text","text":"x"},{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]},
			 {"type":"function_call","call_id":"c","name":"shell_command","arguments":"{\"command\":\"git status\",\"workdir\":\"/r\"}"},
			 {"type":"function_call","call_id":"d","name":"mcp__fs__write","arguments":"{\"path\":\"a\",\"opts\":{\"mode\":\"w\",\"tags\":[\"t1\"]},\"n\":3}"}]}}`,
			items: []want{
				{kind: kSys, origin: oHist, text: "sys", pointer: "/instructions"},
				{kind: kUser, origin: oHist, text: "do it", pointer: "/input/0/content"},
				{kind: kCall, origin: oHist, text: "cat ~/.aws/credentials", pointer: "/input/1/action/command/2", command: "cat ~/.aws/credentials"},
				{kind: kRes, origin: oHist, text: "[default]\n", pointer: "-"},
				{kind: kCall, origin: oHist, text: `python3 -c 'print('\''x'\'')'`, pointer: "-", command: `python3 -c 'print('\''x'\'')'`},
				{kind: kRes, origin: oHist, text: "x", pointer: "/input/4/output/0/text"},
				{kind: kCall, origin: oHist, text: "git status", command: "git status"},
				{kind: kCall, origin: oHist, text: "path: a\nopts.mode: w\nopts.tags.0: t1\nn: 3"},
			},
		},
		"html escapes and surrogates decoded": {
			body: `{"metadata":{"url":"/v1/messages"},"request_body":{"system":"\u003csys\u003e","messages":[{"role":"user","content":"a \u0026\u0026 b \ud83d\ude00 \ud800"}]}}`,
			items: []want{
				{kind: kSys, origin: oReq, text: "<sys>", pointer: "/system"},
				{kind: kUser, origin: oReq, text: "a && b 😀 \ufffd", pointer: "/messages/0/content"},
			},
		},
		"duplicate keys: the last wins": {
			body: `{` + md + `,"request_body":{"messages":[{"role":"user","content":"first","content":"second"}]}}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "second", pointer: "/messages/0/content"},
			},
		},
		"user_message not in body is added": {
			body: `{` + md + `,"request_body":{"messages":[{"role":"user","content":"a"}]},"user_message":"b"}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "a"},
				{kind: kUser, origin: oReq, text: "b", pointer: "-"},
			},
		},
		"pre_request ignores the response": {
			body:  `{` + md + `,"request_body":{"messages":[{"role":"user","content":"a"}]},"response_body":{"choices":[{"message":{"role":"assistant","content":"b"}}]}}`,
			event: "pre_request",
			items: []want{{kind: kUser, origin: oReq, text: "a"}},
		},
		"anthropic plain-text document": {
			body: `{"metadata":{"url":"/v1/messages"},"request_body":{"messages":[{"role":"user","content":[
			 {"type":"document","source":{"type":"text","media_type":"text/plain","data":"doc body"}},
			 {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}},
			 {"type":"document","source":{"type":"content","content":[{"type":"text","text":"part"}]}}]}]}}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "doc body", pointer: "/messages/0/content/0/source/data"},
				{kind: kUser, origin: oReq, text: "part", pointer: "/messages/0/content/2/source/content/0/text"},
			},
		},
		"anthropic server tool results and search results": {
			body: `{"metadata":{"url":"/v1/messages"},"request_body":{"messages":[
			 {"role":"user","content":[{"type":"search_result","source":"https://x","title":"t","content":[{"type":"text","text":"found"}]}]},
			 {"role":"assistant","content":[{"type":"server_tool_use","id":"s1","name":"web_fetch","input":{"url":"https://x"}},
			  {"type":"web_fetch_tool_result","tool_use_id":"s1","content":{"type":"web_fetch_result","url":"https://x","content":{"type":"document","source":{"type":"text","media_type":"text/plain","data":"page"}}}},
			  {"type":"web_search_tool_result","tool_use_id":"s2","content":[{"type":"web_search_result","url":"https://y","encrypted_content":"RW5j"}]},
			  {"type":"bash_code_execution_tool_result","tool_use_id":"s3","content":{"type":"bash_code_execution_result","stdout":"out","stderr":"","return_code":0}}]}]}}`,
			items: []want{
				{kind: kRes, origin: oHist, text: "found", pointer: "/messages/0/content/0/content/0/text"},
				{kind: kCall, origin: oHist, text: "url: https://x", pointer: "-"},
				{kind: kRes, origin: oHist, text: "page", pointer: "/messages/1/content/1/content/content/source/data"},
				{kind: kRes, origin: oHist, text: "https://y", pointer: "-"},
				{kind: kRes, origin: oHist, text: "out", pointer: "/messages/1/content/3/content/stdout"},
			},
		},
		"empty response_body falls back to the stream": {
			body: `{` + md + `,"request_body":{"messages":[{"role":"user","content":"a"}]},"response_body":{},
			"raw_responses":[{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"b"}}]}]}`,
			items: []want{
				{kind: kUser, origin: oReq, text: "a"},
				{kind: kResp, origin: oOut, text: "b"},
			},
		},
		"anthropic tool_result blocks and images": {
			body: `{"metadata":{"url":"/v1/messages"},"request_body":{"messages":[
			 {"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"text","text":"see"}]},
			 {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"c2ln"},{"type":"tool_use","id":"t","name":"Read","input":{"file_path":"/x"}}]},
			 {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"one"},{"type":"image","source":{"type":"base64","data":"QUFB"}},{"type":"text","text":"two"}]}]}]}}`,
			items: []want{
				{kind: kUser, origin: oHist, text: "see", pointer: "/messages/0/content/1/text"},
				{kind: kCall, origin: oHist, text: "file_path: /x", pointer: "-"},
				{kind: kRes, origin: oReq, text: "one", pointer: "/messages/2/content/0/content/0/text"},
				{kind: kRes, origin: oReq, text: "two", pointer: "/messages/2/content/0/content/2/text"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			checkItems(t, normalize(t, tc.body, tc.event), tc.items)
		})
	}
}

func TestToolNamesAndFields(t *testing.T) {
	t.Parallel()
	ev := normalize(t, `{"metadata":{"url":"/v1/messages","login_name":"a@example.com","tailnet_name":"t","stable_node_id":"n","user_agent":"ua","provider":"private","request_id":"r","session_id":"s"},
	"request_body":{"model":"body-model","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]},
	{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"out"}]}]}}`, "")
	want := sdk.Identity{Login: "a@example.com", Tailnet: "t", Node: "n", UserAgent: "ua"}
	if ev.Identity != want || ev.Provider != "private" || ev.RequestID != "r" || ev.SessionID != "s" || ev.Model != "body-model" || ev.APIFormat != "anthropic" {
		t.Errorf("event fields: %+v", ev)
	}
	res := ev.Items[1]
	if res.Tool == nil || res.Tool.Name != "Bash" || res.Tool.CallID != "t1" || !res.Untrusted {
		t.Errorf("tool result: %+v %+v", res, res.Tool)
	}
	if got := ev.Items[0].Tool.Arguments; got != `{"command":"ls"}` {
		t.Errorf("arguments = %q", got)
	}
}

// FuzzParse feeds arbitrary bodies through Parse, ResolveEvent and
// Normalize: nothing may panic, every error wraps ErrBadInput, and every
// event satisfies the item invariants.
func FuzzParse(f *testing.F) {
	for _, fx := range fixtures.All() {
		if len(fx.Body) < 16<<10 {
			f.Add(fx.Body)
		}
	}
	for _, tc := range badInputs {
		if len(tc.body) < 4096 {
			f.Add([]byte(tc.body))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		h, err := Parse(body)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("Parse error does not wrap ErrBadInput: %v", err)
			}
			return
		}
		ev, err := ResolveEvent("", "", h)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("ResolveEvent error does not wrap ErrBadInput: %v", err)
			}
			return
		}
		for _, event := range []string{ev, sdk.EventEntireRequest} {
			e, err := Normalize(h, event)
			if err != nil {
				if !errors.Is(err, ErrBadInput) {
					t.Fatalf("Normalize error does not wrap ErrBadInput: %v", err)
				}
				continue
			}
			checkInvariants(t, h, e)
		}
	})
}

// FuzzNormalize builds hooks by hand (the path that validates raw fields
// in Normalize) from arbitrary request and response bodies.
func FuzzNormalize(f *testing.F) {
	urls := []string{"/v1/chat/completions", "/v1/responses", "/v1/messages", "/v1beta/models/g:generateContent", "/model/m/converse", ""}
	for _, fx := range fixtures.All() {
		if len(fx.Body) >= 16<<10 {
			continue
		}
		var raw struct {
			Metadata     struct{ URL string } `json:"metadata"`
			RequestBody  json.RawMessage      `json:"request_body"`
			ResponseBody json.RawMessage      `json:"response_body"`
			RawResponses json.RawMessage      `json:"raw_responses"`
		}
		if err := json.Unmarshal(fx.Body, &raw); err != nil {
			f.Fatal(err)
		}
		resp := raw.ResponseBody
		if resp == nil {
			resp = raw.RawResponses
		}
		f.Add(uint8(0), raw.Metadata.URL, []byte(raw.RequestBody), []byte(resp), "")
	}
	f.Add(uint8(1), "", []byte(`{"input":[{"type":"function_call","arguments":"{\"command\":[\"sh\",\"-c\",\"x\"]}"}]}`), []byte(`null`), "hi")
	f.Fuzz(func(t *testing.T, sel uint8, url string, req, resp []byte, um string) {
		if url == "" {
			url = urls[int(sel)%len(urls)]
		}
		h := &Hook{Metadata: Metadata{URL: url}, UserMessage: um, RequestBody: req}
		if len(resp) > 0 && resp[0] == '[' {
			h.RawResponses = []json.RawMessage{resp}
		} else if len(resp) > 0 {
			h.ResponseBody = resp
		}
		if len(resp) > 0 {
			h.ToolCalls = []ToolUse{{Name: "Bash", Params: resp}}
		}
		// The readers must not panic or loop even on input that skipped
		// validation (a caller that changed a parsed Hook's fields).
		raw := *h
		raw.validated = true
		if _, err := Normalize(&raw, sdk.EventToolCallEntireRequest); err != nil && !errors.Is(err, ErrBadInput) {
			t.Fatalf("error does not wrap ErrBadInput: %v", err)
		}
		e, err := Normalize(h, sdk.EventToolCallEntireRequest)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error does not wrap ErrBadInput: %v", err)
			}
			return
		}
		checkInvariants(t, h, e)
	})
}
