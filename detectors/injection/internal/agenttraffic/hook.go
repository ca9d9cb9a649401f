package agenttraffic

import (
	"encoding/json"
	"fmt"

	"github.com/picketsec/picket/sdk"
)

// AnthropicHook renders items (as Request builds them) as an Aperture
// pre_request hook body of a Claude Code /v1/messages request, so that a
// whole request can go through the real parser, normalizer and engine: the
// system prompt becomes `system`, prompts user text blocks, tool calls
// assistant tool_use blocks and tool results user tool_result blocks. The
// normalizer, not this function, decides which items are new.
func AnthropicHook(items []sdk.Item, n int) ([]byte, error) {
	var system []any
	var msgs []map[string]any
	push := func(role string, block map[string]any) {
		if k := len(msgs) - 1; k >= 0 && msgs[k]["role"] == role {
			msgs[k]["content"] = append(msgs[k]["content"].([]any), block)
			return
		}
		msgs = append(msgs, map[string]any{"role": role, "content": []any{block}})
	}
	for _, it := range items {
		switch it.Kind {
		case sdk.KindSystem:
			system = append(system, map[string]any{"type": "text", "text": it.Text})
		case sdk.KindPrompt:
			if k := len(msgs) - 1; k >= 0 && msgs[k]["role"] == "user" && it.New {
				// A new user message after tool results starts a turn
				// of its own after the model's answer.
				msgs = append(msgs, map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Done."}}})
			}
			push("user", map[string]any{"type": "text", "text": it.Text})
		case sdk.KindToolCall:
			id := "toolu_" + it.Tool.CallID
			push("assistant", map[string]any{"type": "tool_use", "id": id, "name": it.Tool.Name, "input": map[string]any{"description": "step"}})
		case sdk.KindToolResult:
			push("user", map[string]any{"type": "tool_result", "tool_use_id": "toolu_" + it.Tool.CallID, "content": it.Text})
		}
	}
	hook := map[string]any{
		"metadata": map[string]any{
			"login_name": "dev@example.com", "user_agent": "claude-cli/2.0.14 (external, cli)", "url": "/v1/messages",
			"model": "claude-sonnet-4-5-20250929", "provider": "anthropic", "tailnet_name": "example.ts.net",
			"stable_node_id": "nEVAL", "request_id": fmt.Sprintf("req_agent_%d", n), "session_id": fmt.Sprintf("sess_agent_%d", n),
		},
		"request_body": map[string]any{
			"model": "claude-sonnet-4-5-20250929", "max_tokens": 32000, "stream": true,
			"system": system, "messages": msgs,
		},
	}
	return json.Marshal(hook)
}
