package commands

import (
	"encoding/json"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// shellTools are tool names whose free-text arguments are a command line.
// An MCP tool ("mcp__server__tool") goes by its tool part (toolBase).
var shellTools = set("bash", "shell", "sh", "exec_command", "run_command", "run_shell_command", "local_shell_call", "terminal",
	"execute_command", "run_terminal_cmd", "run_in_terminal", "powershell", "pwsh", "cmd", "command", "exec", "execute", "run", "zsh",
	"tailnetssh_run_command", "shell_command", "container.exec", "local_shell", "bash_code_execution", "run_shell", "shell_exec",
	"execute_shell", "ssh_exec", "run_bash", "bash_exec", "run_powershell", "powershell_exec", "cmd_exec", "run_cmd")

// editorVerbs are the "command" values of file tools (Anthropic's text
// editor and memory tools), which name an operation, not a command line.
var editorVerbs = set("view", "create", "str_replace", "insert", "undo_edit", "delete", "rename")

// toolBase is the lower-case name a tool is recognized by: an MCP tool
// "mcp__server__tool" goes by its tool part.
func toolBase(name string) string {
	n := strings.ToLower(name)
	if i := strings.LastIndex(n, "__"); i >= 0 && strings.HasPrefix(n, "mcp__") {
		n = n[i+2:]
	}
	return n
}

// shellNamed reports a tool whose name says it runs commands: a known
// shell tool, or a name made of shell words (ssh_run_command,
// remote_shell, powershell_invoke).
func shellNamed(name string) bool {
	b := toolBase(name)
	if shellTools[b] {
		return true
	}
	return containsAny(b, "shell", "bash", "powershell", "terminal", "run_command", "runcommand", "exec_command", "execcommand", "run_cmd", "cmd_exec")
}

// commandKeys are argument keys that hold a command, in order of preference.
var commandKeys = []string{"command", "cmd", "script", "commands", "shell_command", "bash_command", "command_line", "commandline",
	"commandLine", "cmdline", "powershell_command", "ps_command", "cmd_line"}

// commandOf returns the command line an item runs, or "" when the tool runs
// none.
func commandOf(it *sdk.Item) string {
	if it.Tool != nil {
		if it.Tool.Command != "" {
			return it.Tool.Command
		}
		base := toolBase(it.Tool.Name)
		if strings.Contains(base, "editor") || strings.Contains(base, "memory") || strings.Contains(base, "str_replace") {
			return "" // file tools: their "command" is an operation
		}
		if c := commandFromArgs(it.Tool.Arguments, 0); c != "" && !editorVerbs[strings.TrimSpace(c)] {
			return c
		}
		args := strings.TrimSpace(it.Tool.Arguments)
		if args != "" && !strings.HasPrefix(args, "{") && !strings.HasPrefix(args, "[") && shellNamed(it.Tool.Name) {
			return args
		}
		if shellNamed(it.Tool.Name) && strings.HasPrefix(args, "{") {
			// A shell-named tool with its command under another key: the
			// one string argument that reads as a command line.
			return soleCommandString(args)
		}
		return ""
	}
	if c := commandFromArgs(it.Text, 0); c != "" {
		return c
	}
	t := strings.TrimSpace(it.Text)
	if t != "" && !strings.HasPrefix(t, "{") && !strings.HasPrefix(t, "[") {
		return it.Text
	}
	return ""
}

// commandFromArgs finds a command in JSON tool arguments: a string under
// one of commandKeys, an argv array (bash -lc unwrapped), or such a key one
// level down (local_shell_call's action.command, params, input).
func commandFromArgs(args string, depth int) string {
	args = strings.TrimSpace(args)
	if depth > 2 || args == "" || args[0] != '{' && args[0] != '"' {
		return ""
	}
	var v any
	if err := json.Unmarshal([]byte(args), &v); err != nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return commandFromArgs(s, depth+1)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if c := commandFromMap(m); c != "" {
		return c
	}
	for _, k := range []string{"action", "params", "input", "arguments", "args", "parameters"} {
		switch x := m[k].(type) {
		case map[string]any:
			if c := commandFromMap(x); c != "" {
				return c
			}
		case string:
			if c := commandFromArgs(x, depth+1); c != "" {
				return c
			}
		}
	}
	return ""
}

func commandFromMap(m map[string]any) string {
	for _, k := range commandKeys {
		switch x := m[k].(type) {
		case string:
			if strings.TrimSpace(x) != "" {
				return x
			}
		case []any:
			if k == "commands" {
				var lines []string
				for _, y := range x {
					switch z := y.(type) {
					case string:
						lines = append(lines, z)
					case []any:
						lines = append(lines, fromArray(z))
					}
				}
				if len(lines) > 0 {
					return strings.Join(lines, "\n")
				}
				continue
			}
			if c := fromArray(x); c != "" {
				return c
			}
		}
	}
	return ""
}

// fromArray turns an argv array into a command line, or a list of command
// lines into a script.
func fromArray(xs []any) string {
	argv := make([]string, 0, len(xs))
	var lines []string
	for _, x := range xs {
		switch y := x.(type) {
		case string:
			argv = append(argv, y)
		case []any:
			if c := fromArray(y); c != "" {
				lines = append(lines, c)
			}
		}
	}
	if len(lines) > 0 {
		return strings.Join(lines, "\n")
	}
	if len(argv) == 0 {
		return ""
	}
	if len(argv) == 3 && isShell(progName(argv[0])) && strings.HasPrefix(argv[1], "-") && strings.HasSuffix(argv[1], "c") {
		return argv[2]
	}
	return joinArgv(argv)
}

// joinArgv quotes argv for a POSIX shell.
func joinArgv(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%^", r))
		}) < 0 {
			b.WriteString(a)
			continue
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(a, "'", `'\''`))
		b.WriteByte('\'')
	}
	return b.String()
}

// soleCommandString returns the string argument of a shell tool's JSON
// arguments that holds its command, when only one string argument is not
// a known option (description, cwd, host, …).
func soleCommandString(args string) string {
	var m map[string]any
	if json.Unmarshal([]byte(args), &m) != nil {
		return ""
	}
	found := ""
	for k, v := range m {
		s, ok := v.(string)
		if !ok || strings.TrimSpace(s) == "" || shellOptionKeys[strings.ToLower(k)] {
			continue
		}
		if found != "" {
			return ""
		}
		found = s
	}
	return found
}

// shellOptionKeys are the arguments a shell tool takes beside its command.
var shellOptionKeys = set("description", "timeout", "timeout_ms", "workdir", "cwd", "working_directory", "directory", "dir", "env",
	"shell", "login", "justification", "machine", "host", "hostname", "node", "user", "type", "target", "server", "name", "title")
