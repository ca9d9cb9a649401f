package llmapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
)

func TestReplaceString(t *testing.T) {
	t.Parallel()
	body := `{"model":"m","messages":[{"role":"user","content":"key AKIA0123 here"},` +
		`{"role":"user","content":[{"type":"text","text":"a\u00e9\"b"}]}],"x~y/z":"t"}`
	tests := map[string]struct {
		ptr, text, want, err string
	}{
		"string content": {ptr: "/messages/0/content", text: "key AKIA**** here",
			want: strings.Replace(body, `"key AKIA0123 here"`, `"key AKIA**** here"`, 1)},
		"text part": {ptr: "/messages/1/content/0/text", text: "q\"\n<é>",
			want: strings.Replace(body, `"a\u00e9\"b"`, `"q\"\n<é>"`, 1)},
		"escaped token": {ptr: "/x~0y~1z", text: "",
			want: strings.Replace(body, `"x~y/z":"t"`, `"x~y/z":""`, 1)},
		"not a string":    {ptr: "/messages/1/content", err: "names a array, not a string"},
		"missing":         {ptr: "/messages/2/content", err: "names no value"},
		"bad index":       {ptr: "/messages/01", err: "names no value"},
		"no leading /":    {ptr: "messages", err: "names no value"},
		"whole document":  {ptr: "", err: "not a string"},
		"bad tilde":       {ptr: "/x~2", err: "names no value"},
		"index an object": {ptr: "/0", err: "names no value"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := ReplaceString([]byte(body), tc.ptr, tc.text)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrBadInput) {
					t.Fatalf("err = %v, want %q wrapping ErrBadInput", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	if _, err := ReplaceString([]byte(`{"a":`), "/a", "x"); !errors.Is(err, ErrBadInput) {
		t.Errorf("malformed body: err = %v", err)
	}
}

// FuzzReplaceString checks that a replacement keeps the document valid,
// puts the new text at the pointer, and changes no byte outside the span.
func FuzzReplaceString(f *testing.F) {
	f.Add([]byte(`{"messages":[{"content":"secret"}]}`), "/messages/0/content", "s****")
	f.Add([]byte(`{"a":{"b~/":["x","y"]}}`), "/a/b~0~1/1", "\"\\\x00é")
	f.Add([]byte(`["\u00e9"]`), "/0", "\xff")
	f.Fuzz(func(t *testing.T, body []byte, ptr, text string) {
		out, err := ReplaceString(body, ptr, text)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error does not wrap ErrBadInput: %v", err)
			}
			return
		}
		if err := jsonscan.Validate(out, jsonscan.DefaultMaxDepth); err != nil {
			t.Fatalf("result invalid: %v", err)
		}
		s, e, ok := jsonscan.Locate(out, ptr)
		if !ok {
			t.Fatalf("pointer %q lost", ptr)
		}
		if got := jsonscan.Value(out[s:e]).Str(); got != string([]rune(text)) {
			t.Fatalf("text at pointer = %q, want %q", got, text)
		}
		s0, e0, _ := jsonscan.Locate(body, ptr)
		if string(out[:s]) != string(body[:s0]) || string(out[e:]) != string(body[e0:]) {
			t.Fatal("bytes outside the replaced string changed")
		}
	})
}

func TestArgvCommand(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		argv []string
		want string
		idx  int
	}{
		"bash -lc":        {[]string{"bash", "-lc", "rg -n x | head"}, "rg -n x | head", 2},
		"sh -c extra":     {[]string{"/bin/sh", "-c", "echo $0", "arg0"}, "echo $0", 2},
		"zsh -l -c":       {[]string{"zsh", "-l", "-c", "ls"}, "ls", 3},
		"bash script":     {[]string{"bash", "run.sh", "-c"}, "bash run.sh -c", -1},
		"plain":           {[]string{"ls", "-la", "/tmp"}, "ls -la /tmp", -1},
		"quoting":         {[]string{"python3", "-c", "print('hi')", "a b", "", "$HOME", "x;y"}, `python3 -c 'print('\''hi'\'')' 'a b' '' '$HOME' 'x;y'`, -1},
		"single":          {[]string{"make test"}, "make test", 0},
		"pwsh":            {[]string{"pwsh.exe", "-NoProfile", "-Command", "Get-ChildItem"}, "Get-ChildItem", 3},
		"cmd /c":          {[]string{"cmd.exe", "/c", "dir"}, "dir", 2},
		"bash -c alone":   {[]string{"bash", "-c"}, "bash -c", -1},
		"env not a shell": {[]string{"env", "bash", "-c", "id"}, "env bash -c id", -1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, idx := argvCommand(tc.argv)
			if got != tc.want || idx != tc.idx {
				t.Errorf("argvCommand(%q) = %q, %d; want %q, %d", tc.argv, got, idx, tc.want, tc.idx)
			}
		})
	}
}

func TestFormatFromURL(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		url   string
		f     Format
		model string
	}{
		"chat path":     {"/v1/chat/completions", OpenAIChat, ""},
		"chat full":     {"https://ai.example.ts.net/openai/v1/chat/completions?x=1", OpenAIChat, ""},
		"responses":     {"/v1/responses", OpenAIResponses, ""},
		"anthropic":     {"https://ai.example.ts.net/v1/messages?beta=true", Anthropic, ""},
		"gemini":        {"/v1beta/models/gemini-2.5-flash:generateContent", Gemini, "gemini-2.5-flash"},
		"gemini stream": {"https://x/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", Gemini, "gemini-2.5-pro"},
		"vertex":        {"/v1/projects/p/locations/us/publishers/google/models/gemini-2.0:generateContent", Gemini, "gemini-2.0"},
		"bedrock":       {"/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse", Bedrock, "us.anthropic.claude-sonnet-4-20250514-v1:0"},
		"bedrock strm":  {"https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-pro-v1:0/converse-stream", Bedrock, "amazon.nova-pro-v1:0"},
		"unknown":       {"/v1/foo", "", ""},
		"empty":         {"", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if got := FormatFromURL(tc.url); got != tc.f {
				t.Errorf("FormatFromURL(%q) = %q, want %q", tc.url, got, tc.f)
			}
			if got := ModelFromURL(tc.url); got != tc.model {
				t.Errorf("ModelFromURL(%q) = %q, want %q", tc.url, got, tc.model)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		url, body string
		want      Format
		err       string
	}{
		"url wins":            {"/v1/messages", `{"messages":[{"role":"user","content":"hi"}]}`, Anthropic, ""},
		"chat by role":        {"", `{"messages":[{"role":"system","content":"s"}]}`, OpenAIChat, ""},
		"anthropic by system": {"", `{"system":"s","messages":[{"role":"user","content":"hi"}]}`, Anthropic, ""},
		"anthropic by block":  {"/v1/chat/completions", `{"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"x"}]}]}`, Anthropic, ""},
		"bedrock by block":    {"", `{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`, Bedrock, ""},
		"responses by input":  {"/v1/chat/completions", `{"input":"hi"}`, OpenAIResponses, ""},
		"gemini by contents":  {"/x", `{"contents":[]}`, Gemini, ""},
		"plain default":       {"", `{"messages":[]}`, OpenAIChat, ""},
		"unknown":             {"/v1/foo", `{"foo":1}`, "", `request_body: unrecognized API format for url "/v1/foo"`},
		"not object":          {"/v1/responses", `[]`, "", "request_body: expected object, got array"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := DetectFormat(tc.url, jsonscan.Value(tc.body))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, ErrBadInput) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("DetectFormat = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestLeavesBounded checks that "key: value" text stays proportional to
// its input when a long key path sits above many leaves.
func TestLeavesBounded(t *testing.T) {
	t.Parallel()
	key := strings.Repeat("k", 1000)
	var b strings.Builder
	for i := 0; i < 200; i++ {
		b.WriteString(`{"` + key + `":`)
	}
	b.WriteString("[" + strings.Repeat(`"v",`, 3000) + `"v"]`)
	b.WriteString(strings.Repeat("}", 200))
	v := jsonscan.Value(b.String())
	if err := jsonscan.Validate(v, 1000); err != nil {
		t.Fatal(err)
	}
	out := appendLeaves(nil, v, false)
	if len(out) > 3*len(v)+4096 {
		t.Errorf("%d bytes of text from %d bytes of JSON", len(out), len(v))
	}
	if !strings.HasPrefix(string(out), key+"."+key) || strings.Count(string(out), "v") < 3001 {
		t.Errorf("text lost keys or values: %.80q", out)
	}
}
