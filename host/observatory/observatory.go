// Package observatory serves picket's audit trail to people: a JSON query
// API under /v1 (events, sessions, findings, stats, export) and the
// Observatory web UI under /ui/, embedded in the binary.
//
// Every API call is scoped to the tenant the auth middleware found for the
// caller's key: a tenant never sees another's rows, and another tenant's
// IDs answer 404. The UI pages are static and need no auth; the UI's own
// API calls carry the key the user typed, as "Authorization: Bearer".
package observatory

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// Deps is what the Observatory needs from the host.
type Deps struct {
	// Store is the audit trail to read.
	Store audit.Store
	// TenantOf returns the tenant the auth middleware authenticated for
	// the request; "" answers 401.
	TenantOf func(*gin.Context) string
	// Detectors, when set, serves GET /v1/detectors with its value as JSON
	// (an array of objects: id, version, runtime, kinds, health, calls,
	// errors, latency...). Leave it nil when the host serves that route.
	Detectors func() any
	// Replay, when set, serves POST /v1/replay: a pasted payload evaluated
	// against the tenant's current policy, not recorded.
	Replay ReplayFunc
	// Logger receives errors of the store. nil discards them.
	Logger hclog.Logger
	// Now is the clock for relative times ("since=24h"). nil means time.Now.
	Now func() time.Time
	// Sessions, when set, adds session memory to GET /v1/sessions/{id}
	// and serves POST /v1/sessions/{id}/quarantine/lift.
	Sessions SessionMemory
}

// SessionMemory is the host's session memory (host/session).
type SessionMemory interface {
	// View returns a session's memory as JSON-encodable state;
	// audit.ErrNotFound when it has none.
	View(ctx context.Context, tenant, session string) (any, error)
	// Lift ends a session's quarantine, recording who and why;
	// audit.ErrNotFound when it is not quarantined.
	Lift(ctx context.Context, tenant, session, by, reason string) (any, error)
}

//go:embed ui
var uiFS embed.FS

// Register mounts the query API (behind auth) and the UI (without) on r.
func Register(r gin.IRouter, auth gin.HandlerFunc, deps Deps) {
	if deps.Logger == nil {
		deps.Logger = hclog.NewNullLogger()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	h := &handlers{deps: deps, log: deps.Logger.Named("observatory")}
	if auth == nil {
		auth = func(*gin.Context) {}
	}
	api := r.Group("/v1", auth, noStore)
	api.GET("/events", h.listEvents)
	api.GET("/events/:id", h.getEvent)
	api.GET("/sessions", h.listSessions)
	api.GET("/sessions/:id", h.getSession)
	if deps.Sessions != nil {
		api.POST("/sessions/:id/quarantine/lift", h.liftQuarantine)
	}
	api.GET("/findings", h.listFindings)
	api.POST("/events/:id/triage", h.triage)
	api.GET("/allowlist", h.allowlist)
	api.GET("/breakdown", h.breakdown)
	api.GET("/stats", h.stats)
	api.GET("/export", h.export)
	if deps.Detectors != nil {
		api.GET("/detectors", h.detectors)
	}
	if deps.Replay != nil {
		api.POST("/replay", h.replay)
	}

	sub, err := fs.Sub(uiFS, "ui")
	if err != nil {
		panic("observatory: embedded ui missing: " + err.Error()) // programmer error: the embed is in this package
	}
	files := http.FileServer(http.FS(sub))
	r.GET("/ui/*filepath", func(c *gin.Context) {
		uiHeaders(c)
		p := c.Param("filepath")
		if p != "/" {
			if _, err := fs.Stat(sub, strings.TrimPrefix(p, "/")); err != nil {
				c.String(http.StatusNotFound, "not found")
				return
			}
		}
		req := c.Request.Clone(c.Request.Context())
		req.URL.Path = p
		files.ServeHTTP(c.Writer, req)
	})
}

// uiHeaders keep the UI from loading anything but its own files and from
// being framed: item text in it is attacker-controlled content.
func uiHeaders(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-cache")
}

func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
}

type handlers struct {
	deps Deps
	log  hclog.Logger
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Param string `json:"param,omitempty"`
}

func badParam(c *gin.Context, param, reason string) {
	c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "bad parameter " + strconv.Quote(param) + ": " + reason, Param: param})
}

func (h *handlers) tenant(c *gin.Context) (string, bool) {
	if h.deps.TenantOf == nil {
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError{Error: "unauthorized"})
		return "", false
	}
	t := h.deps.TenantOf(c)
	if t == "" {
		c.AbortWithStatusJSON(http.StatusUnauthorized, apiError{Error: "unauthorized"})
		return "", false
	}
	return t, true
}

// fail answers a store error: 400 naming the parameter, 404, or 500 (the
// detail is logged, not sent).
func (h *handlers) fail(c *gin.Context, tenant string, err error) {
	var qe *audit.QueryError
	switch {
	case errors.As(err, &qe):
		badParam(c, qe.Param, qe.Reason)
	case errors.Is(err, audit.ErrNotFound):
		c.AbortWithStatusJSON(http.StatusNotFound, apiError{Error: "not found"})
	case c.Request.Context().Err() != nil:
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, apiError{Error: "request canceled"})
	default:
		h.log.Error("store query failed", "tenant", tenant, "path", c.FullPath(), "error", err)
		c.AbortWithStatusJSON(http.StatusInternalServerError, apiError{Error: "internal error"})
	}
}

// params parses query parameters, remembering the first bad one.
type params struct {
	c       *gin.Context
	now     time.Time
	bad     string
	reason  string
	present bool
}

func (p *params) fail(name, reason string) {
	if p.bad == "" {
		p.bad, p.reason = name, reason
	}
}

func (p *params) str(name string, max int) string {
	v := p.c.Query(name)
	if len(v) > max {
		p.fail(name, "too long")
		return ""
	}
	return v
}

func (p *params) oneOf(name string, allowed ...string) string {
	v := p.c.Query(name)
	if v == "" {
		return ""
	}
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.fail(name, "want one of "+strings.Join(allowed, ", "))
	return ""
}

func (p *params) limit() int {
	v := p.c.Query("limit")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > audit.MaxLimit {
		p.fail("limit", "want an integer from 1 to "+strconv.Itoa(audit.MaxLimit))
		return 0
	}
	return n
}

// integer parses an integer from min to max; absent is 0.
func (p *params) integer(name string, min, max int) int {
	v := p.c.Query(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		p.fail(name, "want an integer from "+strconv.Itoa(min)+" to "+strconv.Itoa(max))
		return 0
	}
	return n
}

func (p *params) boolean(name string) *bool {
	v := p.c.Query(name)
	if v == "" {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, "want true or false")
		return nil
	}
	return &b
}

func (p *params) severity(name string) sdk.Severity {
	v := p.c.Query(name)
	if v == "" {
		return 0
	}
	s, err := sdk.ParseSeverity(v)
	if err != nil {
		p.fail(name, "want info, low, medium, high or critical")
		return 0
	}
	return s
}

// when parses a time with audit.ParseTime.
func (p *params) when(name string) time.Time {
	v := p.c.Query(name)
	if v == "" {
		return time.Time{}
	}
	t, err := audit.ParseTime(v, p.now)
	if err != nil {
		p.fail(name, "want an RFC 3339 time, a date, Unix seconds, or a duration ago such as 24h")
		return time.Time{}
	}
	return t
}

func (p *params) duration(name string) time.Duration {
	v := p.c.Query(name)
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, "want a duration such as 5m or 1h")
		return 0
	}
	return d
}

// ok answers 400 when a parameter was bad.
func (p *params) ok() bool {
	if p.bad != "" {
		badParam(p.c, p.bad, p.reason)
		return false
	}
	return true
}

func (h *handlers) params(c *gin.Context) *params {
	return &params{c: c, now: h.deps.Now()}
}

var eventTypes = []string{sdk.EventPreRequest, sdk.EventToolCallEntireRequest, sdk.EventEntireRequest}

func (h *handlers) listEvents(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	p := h.params(c)
	f := audit.EventFilter{
		SessionID:   p.str("session", 512),
		Login:       p.str("login", 512),
		Type:        p.oneOf("type", eventTypes...),
		Decision:    p.oneOf("decision", "allow", "block", "modify", "pending"),
		WouldBlock:  p.boolean("would_block"),
		Detector:    p.str("detector", 256),
		Category:    p.str("category", 256),
		MinSeverity: p.severity("min_severity"),
		Triage:      p.oneOf("triage", triageFilters...),
		Since:       p.when("since"),
		Until:       p.when("until"),
		Cursor:      p.str("cursor", 1024),
		Limit:       p.limit(),
		Ascending:   p.oneOf("order", "asc", "desc") == "asc",
	}
	if !p.ok() {
		return
	}
	page, err := h.deps.Store.ListEvents(c.Request.Context(), tenant, f)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (h *handlers) getEvent(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	d, err := h.deps.Store.GetEvent(c.Request.Context(), tenant, c.Param("id"))
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	marks, err := audit.TriageOf(c.Request.Context(), h.deps.Store, tenant, d.ID)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		*audit.EventDetail
		Triage []audit.Triage `json:"triage"`
	}{d, marks})
}

var triageFilters = append([]string{"untriaged"}, audit.TriageStates[:3]...)

// triageRequest is the body of POST /v1/events/:id/triage.
type triageRequest struct {
	Finding *int   `json:"finding"` // the finding's index; absent: the whole event
	State   string `json:"state"`
	By      string `json:"by"`
	Note    string `json:"note"`
}

// triageAnswer is what a mark returns: the mark, and for a false positive
// the allowlist entry to paste into the config.
type triageAnswer struct {
	Mark      *audit.Triage `json:"mark"`
	Allowlist string        `json:"allowlist,omitempty"`
	Exact     bool          `json:"allowlist_exact,omitempty"` // false: the finding has no fingerprint
}

func (h *handlers) triage(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	var req triageRequest
	if !decodeBody(c, 16<<10, &req, `{"state": "acknowledged|false_positive|escalated|open", "by": "who", "finding": N, "note": "…"}`) {
		return
	}
	m := audit.Triage{EventID: c.Param("id"), Finding: -1, State: req.State, Actor: req.By, Note: req.Note}
	if req.Finding != nil {
		m.Finding = *req.Finding
	}
	mark, err := audit.MarkTriage(c.Request.Context(), h.deps.Store, tenant, m)
	var te *audit.TriageError
	if errors.As(err, &te) {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: te.Reason})
		return
	}
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	ans := triageAnswer{Mark: mark}
	if mark.State == audit.TriageFalsePositive {
		fps, err := audit.FalsePositives(c.Request.Context(), h.deps.Store, tenant)
		if err != nil {
			h.fail(c, tenant, err)
			return
		}
		var b strings.Builder
		ans.Exact = true
		for _, fp := range fps {
			if fp.EventID == mark.EventID && (mark.Finding < 0 || fp.Finding == mark.Finding) {
				entry, exact := audit.AllowlistEntry(fp)
				b.WriteString(entry)
				ans.Exact = ans.Exact && exact
			}
		}
		ans.Allowlist = b.String()
	}
	c.JSON(http.StatusCreated, ans)
}

// allowlist answers the tenant's false positives with their entries.
func (h *handlers) allowlist(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	fps, err := audit.FalsePositives(c.Request.Context(), h.deps.Store, tenant)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	type entry struct {
		audit.FalsePositive
		Allowlist string `json:"allowlist"`
	}
	out := []entry{}
	for _, fp := range fps {
		e, _ := audit.AllowlistEntry(fp)
		out = append(out, entry{fp, e})
	}
	c.JSON(http.StatusOK, gin.H{"false_positives": out})
}

func (h *handlers) listSessions(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	p := h.params(c)
	f := audit.SessionFilter{
		Login:   p.str("login", 512),
		Agent:   p.str("agent", 512),
		MinRisk: p.integer("min_risk", 0, 1000),
		Since:   p.when("since"),
		Until:   p.when("until"),
		Cursor:  p.str("cursor", 1024),
		Limit:   p.limit(),
		Sort:    p.oneOf("sort", audit.SortRecent, audit.SortRisk),
	}
	if !p.ok() {
		return
	}
	page, err := h.deps.Store.ListSessions(c.Request.Context(), tenant, f)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (h *handlers) getSession(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	id := c.Param("id")
	d, err := h.deps.Store.GetSession(c.Request.Context(), tenant, id)
	if err != nil && !(errors.Is(err, audit.ErrNotFound) && h.deps.Sessions != nil) {
		h.fail(c, tenant, err)
		return
	}
	if h.deps.Sessions == nil {
		c.JSON(http.StatusOK, d)
		return
	}
	mem, merr := h.deps.Sessions.View(c.Request.Context(), tenant, id)
	if merr != nil && !errors.Is(merr, audit.ErrNotFound) {
		h.fail(c, tenant, merr)
		return
	}
	if d == nil && merr != nil {
		h.fail(c, tenant, err) // neither events nor memory: 404
		return
	}
	if d == nil {
		d = &audit.SessionDetail{SessionSummary: audit.SessionSummary{ID: id}, Events: []audit.EventDetail{}}
	}
	out := struct {
		*audit.SessionDetail
		Memory any `json:"memory,omitempty"`
	}{SessionDetail: d}
	if merr == nil {
		out.Memory = mem
	}
	c.JSON(http.StatusOK, out)
}

// maxLiftBody bounds the body of a quarantine lift.
const maxLiftBody = 4096

func (h *handlers) liftQuarantine(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	var req struct {
		By     string `json:"by"`
		Reason string `json:"reason"`
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxLiftBody+1))
	if err != nil || len(body) > maxLiftBody {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "body: want a JSON object of at most 4 KiB: {\"by\": \"who\", \"reason\": \"why\"}"})
		return
	}
	if err := json.Unmarshal(body, &req); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "body: not a JSON object {\"by\": \"who\", \"reason\": \"why\"}: " + err.Error()})
		return
	}
	req.By, req.Reason = strings.TrimSpace(req.By), strings.TrimSpace(req.Reason)
	if req.By == "" || len(req.By) > 256 || !utf8.ValidString(req.By) {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "body: \"by\" must name who lifts the quarantine (1 to 256 bytes)", Param: "by"})
		return
	}
	if len(req.Reason) > 1024 || !utf8.ValidString(req.Reason) {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "body: \"reason\" is at most 1024 bytes of UTF-8", Param: "reason"})
		return
	}
	st, err := h.deps.Sessions.Lift(c.Request.Context(), tenant, c.Param("id"), req.By, req.Reason)
	if err != nil {
		if errors.Is(err, audit.ErrNotFound) {
			c.AbortWithStatusJSON(http.StatusNotFound, apiError{Error: "session is not quarantined"})
			return
		}
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"state": st})
}

func (h *handlers) listFindings(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	p := h.params(c)
	inc := p.boolean("include_suppressed")
	f := audit.FindingFilter{
		SessionID:         p.str("session", 512),
		Detector:          p.str("detector", 256),
		Category:          p.str("category", 256),
		MinSeverity:       p.severity("min_severity"),
		IncludeSuppressed: inc != nil && *inc,
		Triage:            p.oneOf("triage", triageFilters...),
		Decision:          p.oneOf("decision", "allow", "block", "modify"),
		Login:             p.str("login", 512),
		Agent:             p.str("agent", 512),
		Tool:              p.str("tool", 256),
		Since:             p.when("since"),
		Until:             p.when("until"),
		Cursor:            p.str("cursor", 1024),
		Limit:             p.limit(),
	}
	if !p.ok() {
		return
	}
	page, err := h.deps.Store.ListFindings(c.Request.Context(), tenant, f)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, page)
}

func (h *handlers) stats(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	p := h.params(c)
	q := audit.StatsQuery{Since: p.when("since"), Until: p.when("until"), Bucket: p.duration("bucket")}
	if !p.ok() {
		return
	}
	if q.Until.IsZero() {
		q.Until = p.now
	}
	st, err := h.deps.Store.Stats(c.Request.Context(), tenant, q)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

func (h *handlers) detectors(c *gin.Context) {
	if _, ok := h.tenant(c); !ok {
		return
	}
	c.JSON(http.StatusOK, h.deps.Detectors())
}

// export streams the tenant's events since a time as JSON lines or CSV
// (audit.Export), for SIEM pipelines that pull.
func (h *handlers) export(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	p := h.params(c)
	since := p.when("since")
	format := p.oneOf("format", "jsonl", "csv")
	if !p.ok() {
		return
	}
	if c.Query("since") == "" {
		since = p.now.Add(-24 * time.Hour)
	}
	if format == "" {
		format = "jsonl"
	}
	ctype, ext := "application/x-ndjson", "jsonl"
	if format == "csv" {
		ctype, ext = "text/csv; charset=utf-8", "csv"
	}
	c.Header("Content-Type", ctype)
	c.Header("Content-Disposition", `attachment; filename="picket-events.`+ext+`"`)
	c.Status(http.StatusOK)
	if err := audit.Export(c.Request.Context(), h.deps.Store, tenant, since, format, c.Writer); err != nil {
		// The status is sent: the client sees a cut stream.
		h.log.Error("export failed", "tenant", tenant, "error", err)
	}
}

// breakdown answers the Tools & Agents view: per agent and per tool, the
// events, block rates and verdict latency percentiles of a time range
// (default: the last 24 hours).
func (h *handlers) breakdown(c *gin.Context) {
	tenant, ok := h.tenant(c)
	if !ok {
		return
	}
	p := h.params(c)
	since, until := p.when("since"), p.when("until")
	if !p.ok() {
		return
	}
	if since.IsZero() {
		since = h.deps.Now().Add(-24 * time.Hour)
	}
	b, err := audit.TenantBreakdown(c.Request.Context(), h.deps.Store, tenant, since, until)
	if err != nil {
		h.fail(c, tenant, err)
		return
	}
	c.JSON(http.StatusOK, b)
}

// decodeBody reads a JSON body of at most max bytes with no unknown
// fields into v; on failure it answers 400 saying what the body should be.
func decodeBody(c *gin.Context, max int64, v any, want string) bool {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, apiError{Error: "body: want " + want + ": " + err.Error()})
		return false
	}
	return true
}
