// Package claudecode speaks Claude Code's hook protocol: a command hook
// gets one JSON object on stdin (session_id, hook_event_name, tool_name,
// tool_input, tool_response, prompt, …) and answers with a JSON object on
// stdout that Claude Code acts on. picket evaluates PreToolUse (the tool
// call, before it runs), UserPromptSubmit (the prompt) and PostToolUse (the
// tool's output, untrusted) with the same engine and trail as the Aperture
// hook, recorded with source "claude-code" in the hook's session.
//
// The decision, per event (Claude Code's documented hook output):
//
//	PreToolUse        {"hookSpecificOutput":{"hookEventName":"PreToolUse",
//	                   "permissionDecision":"deny"|"ask"|"allow",
//	                   "permissionDecisionReason":"…"}}
//	UserPromptSubmit  {"decision":"block","reason":"…"}
//	PostToolUse       {"decision":"block","reason":"…"}
//
// A block becomes deny (or "block"); a counting finding whose action is
// alert becomes ask (the user decides); anything else is {} — Claude
// Code's own permission rules then apply — unless AllowExplicit asks for
// permissionDecision "allow". Monitor mode never denies.
package claudecode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Hook events picket evaluates.
const (
	PreToolUse       = "PreToolUse"
	PostToolUse      = "PostToolUse"
	UserPromptSubmit = "UserPromptSubmit"
)

// Path is where picket's server takes Claude Code hook JSON.
const Path = "/v1/hooks/claude-code"

// Hook is the part of Claude Code's hook input picket reads.
type Hook struct {
	SessionID      string          `json:"session_id"`
	TranscriptPath string          `json:"transcript_path"`
	Cwd            string          `json:"cwd"`
	PermissionMode string          `json:"permission_mode"`
	HookEventName  string          `json:"hook_event_name"`
	ToolName       string          `json:"tool_name"`
	ToolUseID      string          `json:"tool_use_id"`
	ToolInput      json.RawMessage `json:"tool_input"`
	ToolResponse   json.RawMessage `json:"tool_response"`
	Prompt         string          `json:"prompt"`

	// Login is who runs the agent, when the caller knows (the hook command
	// sends user@host in LoginHeader); not part of Claude Code's input.
	Login string `json:"-"`
}

// LoginHeader carries the hook's user to the server.
const LoginHeader = "X-Picket-Login"

// Decode reads a hook input. Unknown fields are ignored; a body that is
// not one JSON object, or a known field of the wrong type, is an error
// wrapping llmapi.ErrBadInput that names the field.
func Decode(body []byte) (*Hook, error) {
	v := jsonscan.Trim(body)
	if len(v) == 0 {
		return nil, llmapi.BadInput("hook input: empty")
	}
	if err := jsonscan.Validate(v, jsonscan.DefaultMaxDepth); err != nil {
		return nil, llmapi.BadInput("hook input: %v", err)
	}
	if !v.IsObject() {
		return nil, llmapi.BadInput("hook input: expected object, got %s", v.Kind())
	}
	var h Hook
	if err := json.Unmarshal(v, &h); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, llmapi.BadInput("hook input: %s: expected %s, got %s", te.Field, te.Type, te.Value)
		}
		return nil, llmapi.BadInput("hook input: %v", err)
	}
	if h.HookEventName == "" {
		return nil, llmapi.BadInput("hook input: hook_event_name is missing")
	}
	if h.HookEventName == PreToolUse || h.HookEventName == PostToolUse {
		if h.ToolName == "" {
			return nil, llmapi.BadInput("hook input: tool_name is missing for %s", h.HookEventName)
		}
		if in := jsonscan.Trim(h.ToolInput); len(in) > 0 && !in.IsObject() && string(in) != "null" {
			return nil, llmapi.BadInput("hook input: tool_input: expected object, got %s", in.Kind())
		}
	}
	return &h, nil
}

// Evaluated reports whether picket evaluates this hook event; the others
// are answered {} at once.
func (h *Hook) Evaluated() bool {
	switch h.HookEventName {
	case PreToolUse, PostToolUse, UserPromptSubmit:
		return true
	}
	return false
}

// Event normalizes the hook into an event: the tool call (PreToolUse; in
// PostToolUse as history), the tool's response (PostToolUse, untrusted), or
// the prompt. Tool inputs go through the same reader as the LLM APIs' tool
// calls, so Bash's command is the item text and Tool.Command.
func (h *Hook) Event() *sdk.Event {
	ev := &sdk.Event{
		Type: sdk.EventPreRequest, SessionID: h.SessionID, RequestID: h.ToolUseID,
		Identity:  sdk.Identity{UserAgent: "claude-code", Login: h.Login},
		APIFormat: adapters.SourceClaudeCode,
	}
	x := llmapi.NewExtractor(2)
	switch h.HookEventName {
	case PreToolUse:
		x.ToolCall(sdk.OriginRequest, h.ToolName, h.ToolUseID, jsonscan.Trim(h.ToolInput))
	case PostToolUse:
		x.ToolCall(sdk.OriginHistory, h.ToolName, h.ToolUseID, jsonscan.Trim(h.ToolInput))
		x.ToolResult(h.ToolName, h.ToolUseID, jsonscan.Trim(h.ToolResponse))
	case UserPromptSubmit:
		if h.Prompt != "" {
			ev.Items = []sdk.Item{{Kind: sdk.KindPrompt, Text: h.Prompt, Origin: sdk.OriginRequest, New: true}}
			return ev
		}
	}
	ev.Items = x.Finish()
	return ev
}

// Options tune the answer.
type Options struct {
	// AllowExplicit answers an allowed PreToolUse with permissionDecision
	// "allow", which skips Claude Code's own permission prompt; by default
	// picket answers {} and leaves the permission to Claude Code.
	AllowExplicit bool
}

// Answer is the hook output for a verdict.
func Answer(event string, v *engine.Verdict, o Options) []byte {
	decision := ""
	reason := ""
	switch {
	case v.Decision == engine.DecisionBlock || v.Decision == engine.DecisionModify:
		// Claude Code cannot take a rewritten tool input or prompt from
		// picket: a redaction is a denial here.
		decision, reason = "deny", v.Message
		if reason == "" {
			reason = "blocked by picket policy"
		}
	case v.Mode == config.ModeEnforce && alerted(v):
		decision, reason = "ask", v.Message
	case o.AllowExplicit && event == PreToolUse:
		decision, reason = "allow", "no finding"
	}
	if reason != "" {
		reason = "picket: " + reason
	}
	return Encode(event, decision, reason)
}

// alerted reports whether a counting finding asks for an alert.
func alerted(v *engine.Verdict) bool {
	for _, f := range v.Findings {
		if f.Suppressed == "" && f.Action == config.ActionAlert {
			return true
		}
	}
	return false
}

// Encode writes the hook output for decision "deny", "ask", "allow" or ""
// (no opinion: {}).
func Encode(event, decision, reason string) []byte {
	var out any
	switch {
	case decision == "":
		return []byte("{}")
	case event == PreToolUse:
		type hso struct {
			HookEventName            string `json:"hookEventName"`
			PermissionDecision       string `json:"permissionDecision"`
			PermissionDecisionReason string `json:"permissionDecisionReason,omitempty"`
		}
		out = struct {
			HookSpecificOutput hso `json:"hookSpecificOutput"`
		}{hso{PreToolUse, decision, reason}}
	case decision == "deny":
		out = struct {
			Decision string `json:"decision"`
			Reason   string `json:"reason"`
		}{"block", reason}
	default:
		// UserPromptSubmit and PostToolUse have no "ask": the finding is
		// shown to the user through systemMessage, and the turn goes on.
		out = struct {
			SystemMessage string `json:"systemMessage"`
		}{reason}
	}
	b, _ := json.Marshal(out)
	return b
}

// Adapter serves Claude Code hook JSON on picket's server (POST Path) for
// `picket hook claude-code`.
type Adapter struct {
	opts Options
}

// New returns the HTTP adapter.
func New(o Options) *Adapter { return &Adapter{opts: o} }

// Routes implements server.HTTPAdapter.
func (a *Adapter) Routes(h adapters.Host) []adapters.Route {
	return []adapters.Route{{Method: http.MethodPost, Path: Path, Handler: func(w http.ResponseWriter, r *http.Request) {
		a.serve(h, w, r)
	}}}
}

// Evaluate decides a decoded hook through h for tenant and returns the
// hook output.
func Evaluate(ctx context.Context, h adapters.Host, tenant string, hk *Hook, o Options) ([]byte, *engine.Verdict, error) {
	if !hk.Evaluated() {
		return []byte("{}"), nil, nil
	}
	v, err := h.Evaluate(ctx, adapters.Request{Tenant: tenant, Source: adapters.SourceClaudeCode, Event: hk.Event()})
	if err != nil {
		return nil, nil, err
	}
	return Answer(hk.HookEventName, v, o), v, nil
}

func (a *Adapter) serve(h adapters.Host, w http.ResponseWriter, r *http.Request) {
	tenant, ok := h.Authenticate(adapters.APIKey(r.Header))
	if !ok {
		writeError(w, http.StatusUnauthorized, "missing or unknown API key")
		return
	}
	body, err := adapters.ReadBody(r)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, adapters.ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		writeError(w, status, err.Error())
		return
	}
	hk, err := Decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	o := a.opts
	if r.URL.Query().Get("allow_explicit") == "true" {
		o.AllowExplicit = true
	}
	// The hook runs as a local user; Claude Code's input does not say who.
	hk.Login = r.Header.Get(LoginHeader)
	out, v, err := Evaluate(r.Context(), h, tenant, hk, o)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if v != nil {
		w.Header().Set("X-Picket-Decision", v.Decision)
		w.Header().Set("X-Picket-Would-Block", fmt.Sprint(v.WouldBlock))
	}
	w.Write(out)
}

// writeError answers an error the hook command reports on stderr.
func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Write(b)
}

// ReadAll reads a hook input from r (stdin), at most adapters.MaxBody.
func ReadAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, adapters.MaxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > adapters.MaxBody {
		return nil, adapters.ErrTooLarge
	}
	return b, nil
}
