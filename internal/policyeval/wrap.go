// Package policyeval measures what the shipped default policy does with a
// piece of text end to end: the text is placed into a real-shaped Aperture
// pre_request (a new user turn, a tool result, a shell tool call of one of
// the agents Aperture fronts), parsed and normalized as the server does, and
// evaluated by an engine loaded from the embedded default config in enforce
// mode. The detector evals use it for their "default policy" figures, so
// that what the README reports is what a gateway would get back.
package policyeval

import (
	"encoding/json"
	"fmt"
	"sync/atomic"

	"github.com/picketsec/picket/host/llmapi"
)

// Placement says where in a request the text under test goes.
type Placement string

// The placements. Prompt-like rows use the turn and tool-result
// placements; command rows use the shell tool calls.
const (
	// AnthropicUser is a new user turn of a Claude Code /v1/messages request.
	AnthropicUser Placement = "anthropic-user"
	// ChatUser is a new user turn of an OpenAI Chat Completions request.
	ChatUser Placement = "chat-user"
	// AnthropicToolResult is the tool_result of a WebFetch call, the last
	// turn of a Claude Code request.
	AnthropicToolResult Placement = "anthropic-tool-result"
	// ChatToolResult is the tool message answering a fetch_url call.
	ChatToolResult Placement = "chat-tool-result"
	// ClaudeBash is a Claude Code Bash tool_use {"command": text}.
	ClaudeBash Placement = "claude-bash"
	// CodexExec is a Codex Responses exec_command call {"cmd": text}.
	CodexExec Placement = "codex-exec-command"
	// CodexShell is a Codex Responses shell call with argv
	// ["bash", "-lc", text].
	CodexShell Placement = "codex-shell-argv"
	// ChatFunction is an OpenAI Chat tool call run_command {"command": text}.
	ChatFunction Placement = "chat-function"
	// GeminiShell is a Gemini functionCall run_shell_command {"command": text}.
	GeminiShell Placement = "gemini-run-shell-command"
)

// Prompts are the placements for text a user or a tool result carries
// (secrets, injections), in the order rows are spread over them.
var Prompts = []Placement{AnthropicUser, AnthropicToolResult, ChatUser, ChatToolResult}

// Commands are the placements for a shell command, in the order rows are
// spread over them.
var Commands = []Placement{ClaudeBash, CodexExec, CodexShell, ChatFunction, GeminiShell}

// Spread returns the placement of the i-th row among ps, so that a corpus
// is spread evenly over the shapes.
func Spread(ps []Placement, i int) Placement { return ps[i%len(ps)] }

// ParsePlacement returns the placement named s.
func ParsePlacement(s string) (Placement, error) {
	for _, p := range append(append([]Placement{}, Prompts...), Commands...) {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("policyeval: unknown placement %q", s)
}

// systemPrompt is a short coding-agent system prompt of the kind every
// request carries, written for this harness. It is full of the imperatives
// real ones have, so that a detector that flags operator instructions pays
// for it here.
const systemPrompt = `You are a coding agent running in the user's terminal. You help with software engineering tasks.

IMPORTANT: You MUST follow the user's instructions. NEVER run destructive commands unless the user explicitly asks for them.
- Keep answers short. Do not add comments to code unless asked.
- Before you say a task is done, run the project's tests.
- Use the Bash tool for shell commands, Read to read files, WebFetch to fetch pages.`

var seq atomic.Int64

// metadata is Aperture's metadata block with a fresh session and request ID,
// so that no two wrapped rows share session state.
func metadata(url, model, provider, agent string) map[string]any {
	n := seq.Add(1)
	return map[string]any{
		"login_name":     "eval@example.com",
		"user_agent":     agent,
		"url":            url,
		"model":          model,
		"provider":       provider,
		"tailnet_name":   "example.ts.net",
		"stable_node_id": "nEVALCNTRL",
		"request_id":     fmt.Sprintf("req_eval_%d", n),
		"session_id":     fmt.Sprintf("sess_eval_%d", n),
	}
}

// Wrap returns the Aperture pre_request hook body that carries text at p.
func Wrap(p Placement, text string) ([]byte, error) {
	var hook map[string]any
	switch p {
	case AnthropicUser, AnthropicToolResult, ClaudeBash:
		hook = anthropic(p, text)
	case ChatUser, ChatToolResult, ChatFunction:
		hook = chat(p, text)
	case CodexExec, CodexShell:
		hook = codex(p, text)
	case GeminiShell:
		hook = gemini(text)
	default:
		return nil, fmt.Errorf("policyeval: unknown placement %q", p)
	}
	return json.Marshal(hook)
}

func anthropic(p Placement, text string) map[string]any {
	msgs := []any{
		map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "text", "text": "<system-reminder>The working directory is /home/dev/acme-api, a git repository.</system-reminder>"},
			map[string]any{"type": "text", "text": "Help me finish the billing export task."},
		}},
	}
	switch p {
	case AnthropicUser:
		msgs = append(msgs,
			map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Sure. What should I look at first?"}}},
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": text}}})
	case AnthropicToolResult:
		msgs = append(msgs,
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "text", "text": "I'll read the page you linked."},
				map[string]any{"type": "tool_use", "id": "toolu_eval_1", "name": "WebFetch", "input": map[string]any{"url": "https://docs.example.com/billing/export", "prompt": "Summarize the export steps"}},
			}},
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "tool_result", "tool_use_id": "toolu_eval_1", "content": text}}})
	case ClaudeBash:
		msgs = append(msgs,
			map[string]any{"role": "assistant", "content": []any{
				map[string]any{"type": "text", "text": "I'll run that."},
				map[string]any{"type": "tool_use", "id": "toolu_eval_1", "name": "Bash", "input": map[string]any{"command": text, "description": "Run the command"}},
			}},
			map[string]any{"role": "user", "content": []any{map[string]any{"type": "tool_result", "tool_use_id": "toolu_eval_1", "content": "done"}}})
	}
	return map[string]any{
		"metadata": metadata("/v1/messages", "claude-sonnet-4-5-20250929", "anthropic", "claude-cli/2.0.14 (external, cli)"),
		"request_body": map[string]any{
			"model":      "claude-sonnet-4-5-20250929",
			"max_tokens": 32000,
			"stream":     true,
			"system":     []any{map[string]any{"type": "text", "text": systemPrompt}},
			"messages":   msgs,
			"tools": []any{
				map[string]any{"name": "Bash", "description": "Executes a bash command.", "input_schema": map[string]any{"type": "object", "properties": map[string]any{"command": map[string]any{"type": "string"}}, "required": []any{"command"}}},
				map[string]any{"name": "WebFetch", "description": "Fetches a URL.", "input_schema": map[string]any{"type": "object", "properties": map[string]any{"url": map[string]any{"type": "string"}, "prompt": map[string]any{"type": "string"}}}},
			},
		},
	}
}

func chat(p Placement, text string) map[string]any {
	msgs := []any{
		map[string]any{"role": "system", "content": systemPrompt},
		map[string]any{"role": "user", "content": "Help me finish the billing export task."},
	}
	switch p {
	case ChatUser:
		msgs = append(msgs,
			map[string]any{"role": "assistant", "content": "Sure. What should I look at first?"},
			map[string]any{"role": "user", "content": text})
	case ChatToolResult:
		msgs = append(msgs,
			map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
				"id": "call_eval_1", "type": "function",
				"function": map[string]any{"name": "fetch_url", "arguments": `{"url":"https://docs.example.com/billing/export"}`}}}},
			map[string]any{"role": "tool", "tool_call_id": "call_eval_1", "content": text})
	case ChatFunction:
		args, _ := json.Marshal(map[string]any{"command": text})
		msgs = append(msgs,
			map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
				"id": "call_eval_1", "type": "function",
				"function": map[string]any{"name": "run_command", "arguments": string(args)}}}},
			map[string]any{"role": "tool", "tool_call_id": "call_eval_1", "content": "done"})
	}
	return map[string]any{
		"metadata": metadata("/v1/chat/completions", "gpt-4.1", "openai", "OpenAI/JS 5.23.2"),
		"request_body": map[string]any{
			"model":    "gpt-4.1",
			"messages": msgs,
			"tools": []any{
				map[string]any{"type": "function", "function": map[string]any{"name": "run_command", "parameters": map[string]any{"type": "object", "properties": map[string]any{"command": map[string]any{"type": "string"}}}}},
				map[string]any{"type": "function", "function": map[string]any{"name": "fetch_url", "parameters": map[string]any{"type": "object", "properties": map[string]any{"url": map[string]any{"type": "string"}}}}},
			},
		},
	}
}

func codex(p Placement, text string) map[string]any {
	var call map[string]any
	if p == CodexExec {
		args, _ := json.Marshal(map[string]any{"cmd": text, "workdir": "/home/dev/acme-api"})
		call = map[string]any{"type": "function_call", "name": "exec_command", "arguments": string(args), "call_id": "call_eval_1"}
	} else {
		args, _ := json.Marshal(map[string]any{"command": []string{"bash", "-lc", text}, "workdir": "/home/dev/acme-api"})
		call = map[string]any{"type": "function_call", "name": "shell", "arguments": string(args), "call_id": "call_eval_1"}
	}
	return map[string]any{
		"metadata": metadata("/v1/responses", "gpt-5-codex", "openai", "codex_cli_rs/0.46.0 (Mac OS 15.6.1; arm64)"),
		"request_body": map[string]any{
			"model":        "gpt-5-codex",
			"instructions": systemPrompt,
			"input": []any{
				map[string]any{"type": "message", "role": "user", "content": []any{map[string]any{"type": "input_text", "text": "Help me finish the billing export task."}}},
				call,
				map[string]any{"type": "function_call_output", "call_id": "call_eval_1", "output": "done"},
			},
			"stream": true,
		},
	}
}

func gemini(text string) map[string]any {
	return map[string]any{
		"metadata": metadata("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", "gemini-2.5-pro", "gemini", "GeminiCLI/0.9.0 (darwin; arm64)"),
		"request_body": map[string]any{
			"systemInstruction": map[string]any{"parts": []any{map[string]any{"text": systemPrompt}}},
			"contents": []any{
				map[string]any{"role": "user", "parts": []any{map[string]any{"text": "Help me finish the billing export task."}}},
				map[string]any{"role": "model", "parts": []any{map[string]any{"functionCall": map[string]any{"name": "run_shell_command", "args": map[string]any{"command": text}}}}},
				map[string]any{"role": "user", "parts": []any{map[string]any{"functionResponse": map[string]any{"name": "run_shell_command", "response": map[string]any{"output": "done"}}}}},
			},
		},
	}
}

// WrapRequest returns the Aperture pre_request hook body that carries a
// whole recorded request body as sent to url (whose path names the API
// format, as Aperture's metadata.url does). The model is the body's, else
// the one the URL names; provider and agent go to the metadata as given.
func WrapRequest(url, provider, agent string, body json.RawMessage) ([]byte, error) {
	var m struct {
		Model string `json:"model"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("policyeval: request body: %w", err)
	}
	if m.Model == "" {
		m.Model = llmapi.ModelFromURL(url)
	}
	return json.Marshal(map[string]any{
		"metadata":     metadata(url, m.Model, provider, agent),
		"request_body": body,
	})
}
