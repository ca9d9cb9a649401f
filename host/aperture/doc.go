// Package aperture decodes the hook calls of Tailscale Aperture
// (HookCallData) and normalizes them into one sdk.Event of typed items.
//
// Parse checks the whole body once (well-formed JSON, valid UTF-8, nesting
// at most 256 levels) and decodes only the fields it needs, leaving the
// request and response bodies as raw JSON that aliases the input; Normalize
// reads those in place (package llmapi). Unknown fields are ignored
// everywhere; a repeated key takes its last value, as the providers do.
// Every error caused by the input wraps ErrBadInput and names the field.
//
// # Items
//
// The API format comes from metadata.url (a path or a full URL) and the
// body's shape, never from metadata.provider. Each format gives:
//
//   - system: OpenAI system/developer messages and Responses instructions,
//     Anthropic and Bedrock system, Gemini systemInstruction.
//   - prompt: each text part of a user turn (images, audio, files and
//     base64 data are skipped), Anthropic plain-text documents, and the
//     gateway's user_message when the body does not already hold it.
//   - tool_call: assistant tool calls resent in the request (OpenAI
//     tool_calls, Responses function_call/custom_tool_call/local_shell_call
//     and the hosted tools' calls: web_search_call queries, file_search_call
//     queries, code_interpreter_call code, mcp_call arguments,
//     image_generation_call prompts; Anthropic tool_use, server_tool_use and
//     mcp_tool_use, Gemini functionCall, Bedrock toolUse), the response's
//     tool calls, and the gateway's tool_calls not already there.
//     Tool.Command holds the canonical shell command when the call runs one
//     (argv arrays joined with POSIX quoting, "bash -lc SCRIPT" reduced to
//     SCRIPT). A call runs one when its tool is a shell tool by name (Claude
//     Code Bash, Codex shell/exec_command/shell_command, Gemini
//     run_shell_command, Aperture's TailnetSSH_run_command, MCP tools named
//     like these) or by the shape of its arguments (a command/cmd/script
//     argv, or a command line beside shell options only); Text is then that
//     command. File tools whose "command" names an operation (Anthropic's
//     text editor and memory: create, view, str_replace…) do not. Otherwise
//     Text is every decoded leaf of the arguments (numbers and booleans
//     too) as "key: value" lines — an MCP tool with a command and other
//     arguments gets both — or the raw arguments when they are not JSON.
//   - tool_result: tool output (Untrusted), text decoded; Codex's JSON
//     {"output": …} wrapper is unwrapped. The hosted and server tools'
//     results are tool results too: Responses file_search_call results,
//     code_interpreter_call logs, mcp_call output and error, mcp_list_tools
//     tool descriptions; Anthropic web_search_tool_result titles and URLs,
//     web_fetch_tool_result pages, code execution stdout/stderr,
//     mcp_tool_result, and the cited text of citations — streamed or not.
//   - response: assistant text, resent (Origin history) or answered
//     (Origin response, from response_body or reassembled raw_responses).
//
// Thinking, reasoning (encrypted_content), thought parts and signatures are
// never items. Origin is history for everything up to the last model turn,
// request for the newest turn, response for the model's answer; New is set
// for request and response items. Pointer, for request items whose Text is
// exactly one string of request_body, is its RFC 6901 pointer: the host
// rewrites that string with llmapi.ReplaceString to redact.
package aperture
