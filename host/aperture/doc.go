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
//     tool_calls, Responses function_call/custom_tool_call/local_shell_call,
//     Anthropic tool_use, Gemini functionCall, Bedrock toolUse), the
//     response's tool calls, and the gateway's tool_calls not already there.
//     Tool.Command holds the canonical shell command when the call runs one
//     (argv arrays joined with POSIX quoting, "bash -lc SCRIPT" reduced to
//     SCRIPT, a command/cmd/script argument); Text is that command, or else
//     the decoded string leaves of the arguments as "key: value" lines, or
//     the raw arguments when they are not JSON.
//   - tool_result: tool output (Untrusted), text decoded; Codex's JSON
//     {"output": …} wrapper is unwrapped.
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
