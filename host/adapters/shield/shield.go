// Package shield serves a Highflame-compatible Shield API in front of
// picket's engine, so that Highflame's SDKs and LiteLLM's built-in
// Highflame guardrail can point at picket unchanged:
//
//	POST /v1/guard, POST /v1/shield/guard   ShieldRequest → ShieldResponse
//	GET  /v1/health                         {"status":"ok", …}
//	GET  /v1/detectors                      Highflame's list, for requests
//	                                        that carry X-Account-ID or
//	                                        X-Project-ID (Highflame's SDK
//	                                        headers) or ?format=shield;
//	                                        picket's own list otherwise
//
// Field names follow the published Shield types (the highflame-shield
// crate, LiteLLM's Highflame types). A request's content becomes one item
// by content_type (prompt, response, tool_call with its tool arguments,
// file, clipboard); the verdict is picket's policy: decision "deny" for a
// block, "modify" with redacted_content for a redaction, "allow" else;
// monitor mode answers allow with actual_decision "deny". The request's
// mode can hold the tenant's mode back (monitor), never raise it; its
// detectors list is not a filter: picket's configured detectors run.
package shield

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Request is a ShieldRequest (the fields picket reads).
type Request struct {
	Content     string          `json:"content"`
	ContentType string          `json:"content_type"`
	Action      string          `json:"action"`
	Tool        *Tool           `json:"tool"`
	Model       *Model          `json:"model"`
	SessionID   string          `json:"session_id"`
	Mode        string          `json:"mode"`
	Detectors   []string        `json:"detectors"`
	Metadata    json.RawMessage `json:"metadata"`
	Application string          `json:"application"`
	Product     string          `json:"product"`
}

// Tool is a ShieldRequest's tool context.
type Tool struct {
	Name        string          `json:"name"`
	Arguments   json.RawMessage `json:"arguments"`
	ServerID    string          `json:"server_id"`
	IsBuiltin   *bool           `json:"is_builtin"`
	Description string          `json:"description"`
}

// Model is a ShieldRequest's model context.
type Model struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
}

// Response is a ShieldResponse.
type Response struct {
	Decision            string           `json:"decision"`
	ActualDecision      string           `json:"actual_decision"`
	ModeOverridden      bool             `json:"mode_overridden"`
	EffectiveMode       string           `json:"effective_mode"`
	Alerted             bool             `json:"alerted"`
	Reason              string           `json:"reason,omitempty"`
	PolicyReason        string           `json:"policy_reason,omitempty"`
	AuditID             string           `json:"audit_id"`
	RequestID           string           `json:"request_id,omitempty"`
	Timestamp           string           `json:"timestamp"`
	DeterminingPolicies []Policy         `json:"determining_policies"`
	Detectors           []DetectorResult `json:"detectors"`
	Signals             []Signal         `json:"signals"`
	Context             map[string]any   `json:"context"`
	ProjectedContext    map[string]any   `json:"projected_context"`
	LatencyMS           int64            `json:"latency_ms"`
	EvalLatencyMS       int64            `json:"eval_latency_ms"`
	TiersEvaluated      []string         `json:"tiers_evaluated"`
	TiersSkipped        []string         `json:"tiers_skipped"`
	RootCauses          []RootCause      `json:"root_causes"`
	RedactedContent     *string          `json:"redacted_content,omitempty"`
}

// Policy is a determining policy: for picket, the detector and rule whose
// finding decided.
type Policy struct {
	PolicyID string `json:"policy_id"`
	Reason   string `json:"reason,omitempty"`
}

// DetectorResult is how one detector fared.
type DetectorResult struct {
	Name      string `json:"name"`
	Status    string `json:"status"`
	Triggered bool   `json:"triggered"`
	Findings  int    `json:"findings"`
	LatencyMS int64  `json:"latency_ms"`
}

// Signal is one finding, in Shield's signal shape.
type Signal struct {
	VulnerabilityID string `json:"vulnerability_id"`
	Name            string `json:"name"`
	Severity        string `json:"severity"`
	Score           int    `json:"score"`
	Category        string `json:"category"`
	ContextKey      string `json:"context_key"`
}

// RootCause explains a deny.
type RootCause struct {
	Detector string `json:"detector"`
	Rule     string `json:"rule"`
	Message  string `json:"message"`
}

// Error is the error body: {"error": "...", "status": 400}.
type Error struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	adapters.WriteJSON(w, status, Error{Error: msg, Status: status})
}

// Adapter serves the Shield API.
type Adapter struct{}

// New returns the Shield adapter.
func New() *Adapter { return &Adapter{} }

// Routes implements server.HTTPAdapter.
func (a *Adapter) Routes(h adapters.Host) []adapters.Route {
	guard := func(w http.ResponseWriter, r *http.Request) { a.guard(h, w, r) }
	return []adapters.Route{
		{Method: http.MethodPost, Path: "/v1/guard", Handler: guard},
		{Method: http.MethodPost, Path: "/v1/shield/guard", Handler: guard},
		{Method: http.MethodGet, Path: "/v1/health", Handler: func(w http.ResponseWriter, r *http.Request) { a.health(h, w) }},
		{Method: http.MethodGet, Path: "/v1/detectors", Handler: func(w http.ResponseWriter, r *http.Request) { a.detectors(h, w, r) }, Claims: WantsShield},
		{Method: http.MethodGet, Path: "/v1/shield/detectors", Handler: func(w http.ResponseWriter, r *http.Request) { a.detectors(h, w, r) }},
	}
}

// WantsShield reports whether a GET /v1/detectors comes from a Highflame
// client: its SDKs send X-Account-ID and X-Project-ID; ?format=shield asks
// explicitly.
func WantsShield(r *http.Request) bool {
	return r.Header.Get("X-Account-ID") != "" || r.Header.Get("X-Project-ID") != "" || r.URL.Query().Get("format") == "shield"
}

func (a *Adapter) auth(h adapters.Host, w http.ResponseWriter, r *http.Request) (string, bool) {
	key := adapters.APIKey(r.Header)
	if key == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="picket"`)
		writeError(w, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <key> or X-Highflame-Apikey")
		return "", false
	}
	t, ok := h.Authenticate(key)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unknown API key")
		return "", false
	}
	return t, true
}

// contentTypes maps content_type to the item kind picket scans it as.
var contentTypes = map[string]sdk.Kind{
	"prompt": sdk.KindPrompt, "clipboard": sdk.KindPrompt, "response": sdk.KindResponse,
	"tool_call": sdk.KindToolCall, "file": sdk.KindToolResult,
}

var actions = map[string]bool{"": true, "process_prompt": true, "call_tool": true, "read_file": true, "write_file": true, "connect_server": true}

var modes = map[string]string{"": "", "enforce": config.ModeEnforce, "monitor": config.ModeMonitor, "alert": config.ModeEnforce, "modify": config.ModeEnforce}

// Event turns a request into an event and the body its prompt item's
// pointer names (for redaction), or says what is wrong with it.
func (q *Request) Event() (*sdk.Event, []byte, string) {
	ct := q.ContentType
	if ct == "" {
		ct = "prompt"
		if q.Action == "call_tool" {
			ct = "tool_call"
		}
	}
	kind, ok := contentTypes[ct]
	if !ok {
		return nil, nil, "content_type: " + strconv.Quote(ct) + " is not one of prompt, response, tool_call, file, clipboard"
	}
	if !actions[q.Action] {
		return nil, nil, "action: " + strconv.Quote(q.Action) + " is not one of process_prompt, call_tool, read_file, write_file, connect_server"
	}
	if _, ok := modes[q.Mode]; !ok {
		return nil, nil, "mode: " + strconv.Quote(q.Mode) + " is not one of enforce, monitor, alert, modify"
	}
	if q.Action == "write_file" && kind == sdk.KindToolResult {
		kind = sdk.KindToolCall // content the agent is about to write
	}
	var ev *sdk.Event
	var body []byte
	switch {
	case kind == sdk.KindToolCall && q.Tool != nil && len(q.Tool.Arguments) > 0:
		args := jsonscan.Trim(q.Tool.Arguments)
		if !args.IsObject() {
			return nil, nil, "tool.arguments: expected object"
		}
		x := llmapi.NewExtractor(2)
		x.ToolCall(sdk.OriginRequest, q.Tool.Name, "", args)
		ev = &sdk.Event{Type: sdk.EventPreRequest, Items: x.Finish()}
		if q.Content != "" && q.Content != ev.Items[0].Text {
			ev.Items = append(ev.Items, sdk.Item{Index: 1, Kind: sdk.KindToolCall, Text: q.Content, Origin: sdk.OriginRequest, New: true,
				Tool: &sdk.ToolCall{Name: q.Tool.Name, Arguments: q.Content}})
		}
	default:
		if q.Content == "" {
			return nil, nil, "content: empty"
		}
		ev, body = adapters.TextsEvent(kind, sdk.OriginRequest, []string{q.Content})
		if kind == sdk.KindToolCall && q.Tool != nil {
			ev.Items[0].Tool = &sdk.ToolCall{Name: q.Tool.Name, Arguments: q.Content}
		}
	}
	if q.Tool != nil && q.Tool.Description != "" {
		// A tool's description reaches the model: untrusted (tool poisoning).
		ev.Items = append(ev.Items, sdk.Item{Index: len(ev.Items), Kind: sdk.KindToolResult, Text: q.Tool.Description,
			Origin: sdk.OriginRequest, New: true, Untrusted: true, Tool: &sdk.ToolCall{Name: q.Tool.Name}})
	}
	ev.SessionID = q.SessionID
	ev.APIFormat = adapters.SourceShield
	if q.Model != nil {
		ev.Model, ev.Provider = q.Model.Model, q.Model.Provider
	}
	ev.Identity.UserAgent = q.Application
	return ev, body, ""
}

func (a *Adapter) guard(h adapters.Host, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	tenant, ok := a.auth(h, w, r)
	if !ok {
		return
	}
	var q Request
	if status, msg := adapters.DecodeJSON(r, &q); status != 0 {
		writeError(w, status, msg)
		return
	}
	ev, body, msg := q.Event()
	if msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	ev.RequestID = r.Header.Get("X-Request-Id")
	v, err := h.Evaluate(r.Context(), adapters.Request{Tenant: tenant, Source: adapters.SourceShield, Event: ev, RequestBody: body, Mode: modes[q.Mode]})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	resp := Answer(ev, v, q.Mode == "alert")
	resp.RequestID = ev.RequestID
	resp.LatencyMS = time.Since(start).Milliseconds()
	w.Header().Set("X-Picket-Event-Id", ev.ID)
	adapters.WriteJSON(w, http.StatusOK, resp)
}

// Answer encodes a verdict as a ShieldResponse. alertMode is the request's
// mode "alert": a would-be deny is allowed and flagged.
func Answer(ev *sdk.Event, v *engine.Verdict, alertMode bool) Response {
	resp := Response{
		Decision: "allow", ActualDecision: "allow", EffectiveMode: v.Mode, AuditID: ev.ID,
		Timestamp: v.EvaluatedAt.UTC().Format(time.RFC3339Nano), EvalLatencyMS: v.Latency.Milliseconds(),
		DeterminingPolicies: []Policy{}, Detectors: []DetectorResult{}, Signals: []Signal{},
		Context: map[string]any{}, ProjectedContext: map[string]any{}, TiersEvaluated: []string{"fast"},
		TiersSkipped: []string{}, RootCauses: []RootCause{},
	}
	if v.WouldBlock || v.Decision == engine.DecisionBlock {
		resp.ActualDecision = "deny"
	}
	switch v.Decision {
	case engine.DecisionBlock:
		resp.Decision = "deny"
	case engine.DecisionModify:
		resp.Decision, resp.ActualDecision = "modify", "modify"
		if texts, ok := adapters.RedactedTexts(v.RequestBody); ok && len(texts) == 1 {
			resp.RedactedContent = &texts[0]
		}
	}
	if resp.ActualDecision == "deny" && resp.Decision == "allow" {
		resp.ModeOverridden = true
		if alertMode {
			resp.EffectiveMode = "alert"
		}
	}
	if resp.ActualDecision != "allow" {
		resp.Reason, resp.PolicyReason = v.Message, v.Message
	}
	for _, f := range v.Findings {
		if f.Suppressed != "" {
			continue
		}
		if f.Action == config.ActionAlert || (alertMode && resp.ModeOverridden) {
			resp.Alerted = true
		}
		resp.Signals = append(resp.Signals, Signal{
			VulnerabilityID: f.Rule, Name: f.Message, Severity: f.Severity.String(),
			Score: int(f.Confidence*100 + 0.5), Category: f.Category, ContextKey: f.Detector,
		})
		if resp.ActualDecision != "allow" && f.Category == v.Category {
			resp.DeterminingPolicies = append(resp.DeterminingPolicies, Policy{PolicyID: f.Detector + "/" + f.Rule, Reason: f.Message})
			resp.RootCauses = append(resp.RootCauses, RootCause{Detector: f.Detector, Rule: f.Rule, Message: f.Message})
		}
	}
	for _, d := range v.Detectors {
		resp.Detectors = append(resp.Detectors, DetectorResult{Name: d.Detector, Status: d.Outcome, Triggered: d.Findings > 0,
			Findings: d.Findings, LatencyMS: d.Duration.Milliseconds()})
	}
	return resp
}

// DetectorInfo is one entry of Highflame's detector list.
type DetectorInfo struct {
	Name    string     `json:"name"`
	Tier    string     `json:"tier"`
	Enabled bool       `json:"enabled"`
	Healthy bool       `json:"healthy"`
	Mode    string     `json:"mode,omitempty"`
	Version string     `json:"version,omitempty"`
	Runtime string     `json:"runtime,omitempty"`
	Kinds   []sdk.Kind `json:"content_kinds,omitempty"`
}

func (a *Adapter) detectors(h adapters.Host, w http.ResponseWriter, r *http.Request) {
	if _, ok := a.auth(h, w, r); !ok {
		return
	}
	list := []DetectorInfo{}
	for _, d := range h.Detectors() {
		list = append(list, DetectorInfo{Name: d.Name, Tier: "fast", Enabled: d.Mode != config.ModeOff, Healthy: d.Health == "ok",
			Mode: d.Mode, Version: d.Version, Runtime: d.Runtime, Kinds: d.Kinds})
	}
	adapters.WriteJSON(w, http.StatusOK, struct {
		Detectors []DetectorInfo `json:"detectors"`
		Total     int            `json:"total"`
	}{list, len(list)})
}

// health answers GET /v1/health (no key needed, as a load balancer probes
// it): ok when every detector is healthy, degraded otherwise.
func (a *Adapter) health(h adapters.Host, w http.ResponseWriter) {
	status, healthy, total := "ok", 0, 0
	for _, d := range h.Detectors() {
		total++
		if d.Health == "ok" {
			healthy++
		}
	}
	code := http.StatusOK
	if healthy < total || total == 0 {
		status, code = "degraded", http.StatusServiceUnavailable
	}
	adapters.WriteJSON(w, code, struct {
		Status           string `json:"status"`
		Service          string `json:"service"`
		DetectorsHealthy int    `json:"detectors_healthy"`
		DetectorsTotal   int    `json:"detectors_total"`
	}{status, "picket", healthy, total})
}
