package llmapi

import (
	"path"
	"strconv"
	"strings"

	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// argsMaxDepth bounds the nesting of tool-call arguments sent as a JSON
// string (they were not covered by the body's own depth check).
const argsMaxDepth = jsonscan.DefaultMaxDepth

// commandKeys are the argument names that hold a shell command, in order
// of preference: Codex shell/container.exec/shell_command, Claude Code
// Bash, Gemini run_shell_command and Aperture's TailnetSSH_run_command use
// "command", Codex exec_command uses "cmd"; generic tools sometimes use
// "script".
var commandKeys = [...]string{"command", "cmd", "script"}

// shellTools are the tool names (lowercased; for an MCP tool
// "mcp__server__tool", the tool part) of tools that run their command
// argument in a shell.
var shellTools = map[string]bool{
	"bash": true, "sh": true, "zsh": true, "shell": true, "powershell": true,
	"container.exec": true, "shell_command": true, "exec_command": true, "local_shell": true, // Codex
	"run_shell_command":      true, // Gemini CLI
	"tailnetssh_run_command": true, // Aperture's built-in Tailscale SSH tool
	"bash_code_execution":    true, // Anthropic's server-side bash
	"run_command":            true, "execute_command": true, "run_terminal_cmd": true, "run_in_terminal": true,
	"terminal": true, "exec": true, "execute": true, "run_shell": true, "shell_exec": true,
	"execute_shell": true, "ssh_exec": true, "run_bash": true, "bash_exec": true,
}

// shellArgs are the other arguments a shell tool takes beside its command
// (Claude Code Bash, Codex, Gemini, MCP shell servers): a call whose
// arguments are a command string and only these runs a shell, whatever
// the tool is called.
var shellArgs = map[string]bool{
	"description": true, "timeout": true, "timeout_ms": true, "workdir": true, "cwd": true,
	"working_directory": true, "directory": true, "dir": true, "env": true, "run_in_background": true,
	"is_background": true, "shell": true, "login": true, "with_escalated_permissions": true,
	"sandbox_permissions": true, "justification": true, "max_output_tokens": true, "yield_time_ms": true,
	"machine": true, "host": true, "hostname": true, "node": true, "user": true, "type": true,
	"dangerouslydisablesandbox": true,
}

// editorVerbs are the "command" values of file tools (Anthropic's text
// editor and memory tools: view, create, str_replace, insert, undo_edit,
// delete, rename), which name an operation, not a command line.
var editorVerbs = map[string]bool{
	"view": true, "create": true, "str_replace": true, "insert": true, "undo_edit": true,
	"delete": true, "rename": true,
}

// toolBase is the lowercased name a tool is recognized by: an MCP tool
// "mcp__server__tool" goes by its tool part.
func toolBase(name string) string {
	n := strings.ToLower(name)
	if i := strings.LastIndex(n, "__"); i >= 0 && strings.HasPrefix(n, "mcp__") {
		n = n[i+2:]
	}
	return n
}

// Shell says how a tool call's command argument is read.
type shellUse uint8

const (
	notShell   shellUse = iota // a file tool's operation, or an argument like any other
	shellOnly                  // a shell tool: the command is the call
	shellAmong                 // an MCP tool with a command and other arguments: the command runs, the rest matters too
)

// runsShell says whether a call of the tool name with the argument object
// v runs the command argument c (at key) in a shell: by the tool's name
// (shellTools), or by the arguments' shape (an argv array, or a command
// line with nothing but shell-tool options beside it), or, for an MCP
// tool, by carrying a command at all. File tools never do: their "command"
// is an operation (editorVerbs).
func runsShell(name string, v jsonscan.Value, key string, c jsonscan.Value) shellUse {
	base := toolBase(name)
	if strings.Contains(base, "editor") || strings.Contains(base, "memory") || strings.Contains(base, "str_replace") {
		return notShell
	}
	if c.IsString() && editorVerbs[strings.TrimSpace(c.Str())] {
		return notShell
	}
	if shellTools[base] || c.IsArray() {
		return shellOnly
	}
	it := v.Object()
	for it.Next() {
		if it.KeyIs(key) || shellArgs[strings.ToLower(it.KeyString())] {
			continue
		}
		if strings.HasPrefix(strings.ToLower(name), "mcp__") {
			return shellAmong
		}
		return notShell
	}
	return shellOnly
}

// toolCallJSONString adds a tool call whose arguments are a JSON string
// holding JSON text (OpenAI function.arguments). argsPtr points at that
// string in the request body.
func (x *Extractor) toolCallJSONString(t turn, name, callID string, args jsonscan.Value, argsPtr string) {
	if args.Kind() != jsonscan.String {
		// Some clients send the arguments already decoded.
		x.toolCallValue(t, name, callID, args, argsPtr)
		return
	}
	x.toolCallRawJSON(t, name, callID, args.Str(), argsPtr)
}

// toolCallRawJSON adds a tool call whose arguments are the text raw, JSON
// when well formed. argsPtr points at the JSON string in the request body
// that holds raw, or is "".
func (x *Extractor) toolCallRawJSON(t turn, name, callID, raw, argsPtr string) {
	tool := &sdk.ToolCall{Name: name, CallID: callID, Arguments: raw}
	v := jsonscan.Trim([]byte(raw))
	if len(v) == 0 || jsonscan.Validate(v, argsMaxDepth) != nil {
		// Not JSON: scan the text as sent. It is the whole string value.
		x.add(sdk.KindToolCall, t, raw, argsPtr, tool)
		return
	}
	text, cmd, _ := x.canonical(name, v)
	tool.Command = cmd
	x.add(sdk.KindToolCall, t, text, "", tool)
}

// toolCallValue adds a tool call whose arguments are a JSON value in the
// body (Anthropic input, Gemini args, Bedrock input, Aperture params).
// argsPtr points at that value.
func (x *Extractor) toolCallValue(t turn, name, callID string, args jsonscan.Value, argsPtr string) {
	tool := &sdk.ToolCall{Name: name, CallID: callID}
	if args.Exists() {
		tool.Arguments = string(args)
	}
	text, cmd, rel := x.canonical(name, args)
	tool.Command = cmd
	p := ""
	if rel != "" || args.IsString() {
		p = argsPtr + rel
	}
	x.add(sdk.KindToolCall, t, text, p, tool)
}

// toolCallText adds a tool call whose input is free text (Responses
// custom_tool_call, e.g. Codex apply_patch). inputPtr points at it.
func (x *Extractor) toolCallText(t turn, name, callID string, input jsonscan.Value, inputPtr string) {
	s := input.Str()
	tool := &sdk.ToolCall{Name: name, CallID: callID, Arguments: s}
	x.add(sdk.KindToolCall, t, s, inputPtr, tool)
}

// canonical returns what to scan for a tool call with arguments v: the
// canonical command line when the call runs one (see runsShell), else
// every decoded leaf as "key: value" lines. rel is the pointer, relative to v, of the
// string that Text is exactly, or "".
func (x *Extractor) canonical(name string, v jsonscan.Value) (text, command, rel string) {
	switch v.Kind() {
	case jsonscan.Object:
		for _, k := range commandKeys {
			c := v.Get(k)
			var cmd string
			idx := -1
			switch c.Kind() {
			case jsonscan.String:
				if len(c) <= 2 {
					continue
				}
				cmd, idx = c.Str(), 0
			case jsonscan.Array:
				argv, ok := stringArray(c)
				if !ok || len(argv) == 0 {
					continue
				}
				cmd, idx = argvCommand(argv)
			default:
				continue
			}
			switch runsShell(name, v, k, c) {
			case shellOnly:
				switch {
				case c.IsString():
					return cmd, cmd, "/" + k
				case idx >= 0:
					return cmd, cmd, ptr("/"+k, idx)
				}
				return cmd, cmd, ""
			case shellAmong:
				x.scratch = appendLeaves(x.scratch[:0], v, true)
				return string(x.scratch), cmd, ""
			}
		}
	case jsonscan.String:
		return v.Str(), "", ""
	case jsonscan.Invalid, jsonscan.Null:
		return "", "", ""
	case jsonscan.Number, jsonscan.Bool:
		return string(v), "", ""
	}
	// Every argument, numbers and booleans included: a path, a file's
	// content or an amount is as much what the call does as a command.
	x.scratch = appendLeaves(x.scratch[:0], v, true)
	return string(x.scratch), "", ""
}

// leaves formats the leaves of a JSON value as "key: value" lines.
type leaves struct {
	scalars bool // numbers and booleans too, not only strings
	limit   int  // past this output length, values go without their keys
}

// appendLeaves appends "key: value" lines for the string leaves of v (and
// the number and boolean leaves too when scalars is set); nested keys are
// joined with dots, array elements by index. Keys repeat on every line, so
// once the output is twice the input the rest goes without them: a deep
// path of long keys above many leaves must not blow the text up.
func appendLeaves(dst []byte, v jsonscan.Value, scalars bool) []byte {
	l := leaves{scalars: scalars, limit: len(dst) + 2*len(v) + 4096}
	return l.append(dst, nil, v)
}

func (l *leaves) append(dst, prefix []byte, v jsonscan.Value) []byte {
	switch v.Kind() {
	case jsonscan.String, jsonscan.Number, jsonscan.Bool:
		if v.Kind() != jsonscan.String && !l.scalars {
			return dst
		}
		if len(dst) > 0 {
			dst = append(dst, '\n')
		}
		if len(prefix) > 0 && len(dst) < l.limit {
			dst = append(dst, prefix...)
			dst = append(dst, ':', ' ')
		}
		if v.Kind() != jsonscan.String {
			return append(dst, v...)
		}
		return v.AppendStr(dst)
	case jsonscan.Object:
		it := v.Object()
		for it.Next() {
			p := prefix
			if len(dst) < l.limit {
				if len(p) > 0 {
					p = append(p, '.')
				}
				p = jsonscan.AppendUnescaped(p, it.Key)
			}
			dst = l.append(dst, p, it.Val)
		}
	case jsonscan.Array:
		it := v.Array()
		for it.Next() {
			p := prefix
			if len(dst) < l.limit {
				if len(p) > 0 {
					p = append(p, '.')
				}
				p = strconv.AppendInt(p, int64(it.I), 10)
			}
			dst = l.append(dst, p, it.Val)
		}
	}
	return dst
}

// stringArray returns the elements of an array of strings.
func stringArray(v jsonscan.Value) ([]string, bool) {
	var out []string
	it := v.Array()
	for it.Next() {
		if !it.Val.IsString() {
			return nil, false
		}
		out = append(out, it.Val.Str())
	}
	return out, true
}

// shells are the interpreters whose "-c SCRIPT" form is reduced to SCRIPT.
var shells = map[string]bool{
	"bash": true, "sh": true, "zsh": true, "dash": true, "ksh": true, "ash": true,
	"mksh": true, "fish": true, "busybox": false,
}

// argvCommand turns an argv array into one command line. A shell started
// with a -c style flag ("bash -lc SCRIPT", "sh -c SCRIPT", "pwsh -Command
// SCRIPT", "cmd /c ...") gives its script; anything else is joined with
// POSIX shell quoting. idx is the argv index of the script when the result
// is exactly one element, else -1.
func argvCommand(argv []string) (cmd string, idx int) {
	if len(argv) >= 2 {
		base := strings.ToLower(path.Base(strings.ReplaceAll(argv[0], `\`, "/")))
		base = strings.TrimSuffix(base, ".exe")
		switch {
		case shells[base]:
			for i := 1; i < len(argv); i++ {
				a := argv[i]
				if len(a) < 2 || (a[0] != '-' && a[0] != '+') || a == "--" {
					break
				}
				if a[0] == '-' && a[1] != '-' && strings.IndexByte(a[1:], 'c') >= 0 {
					if i+1 < len(argv) {
						return argv[i+1], i + 1
					}
					break
				}
			}
		case base == "powershell" || base == "pwsh":
			for i := 1; i+1 < len(argv); i++ {
				a := strings.ToLower(argv[i])
				if a == "-command" || a == "-c" || a == "/c" || a == "-commandwithargs" {
					return argv[i+1], i + 1
				}
			}
		case base == "cmd":
			for i := 1; i+1 < len(argv); i++ {
				a := strings.ToLower(argv[i])
				if a == "/c" || a == "/k" {
					if i+2 == len(argv) {
						return argv[i+1], i + 1
					}
					return strings.Join(argv[i+1:], " "), -1
				}
			}
		}
	}
	if len(argv) == 1 {
		return argv[0], 0
	}
	return JoinArgv(argv), -1
}

// JoinArgv joins argv into one POSIX shell command line, single-quoting
// every argument that holds a character the shell would interpret.
func JoinArgv(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && shellSafe(a) {
			b.WriteString(a)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

func shellSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("@%+=:,./_-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ToolCall adds one tool call with the JSON arguments args (an object, or
// nil), read the way the LLM APIs' tool calls are: for callers that get a
// tool call outside an LLM body (Claude Code hooks, Shield tool_call
// requests). origin is request (about to run) or history (it ran).
func (x *Extractor) ToolCall(origin sdk.Origin, name, callID string, args jsonscan.Value) {
	t := turnRequest
	if origin == sdk.OriginHistory {
		t = turnHistory
	}
	x.toolCallValue(t, name, callID, args, "")
	x.Items[len(x.Items)-1].Pointer = ""
}

// ToolResult adds a tool's output v (a string, content parts or an
// object) as untrusted tool results of the newest turn.
func (x *Extractor) ToolResult(name, callID string, v jsonscan.Value) {
	x.toolResult(turnRequest, name, callID, v, "", resultOpts{})
	for i := range x.Items {
		x.Items[i].Pointer = ""
	}
}
