package server

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/engine"
)

// HTTPAdapter is a protocol adapter served on picket's HTTP listener.
type HTTPAdapter interface {
	Routes(h adapters.Host) []adapters.Route
}

// mountAdapters adds the adapters' routes. A route with Claims shares a
// path picket serves itself (GET /v1/detectors): the requests it claims
// go to the adapter, the others to picket's handler.
func (s *Server) mountAdapters(r *gin.Engine, list []HTTPAdapter) {
	for _, a := range list {
		for _, rt := range a.Routes(s) {
			if rt.Claims != nil {
				s.shared = append(s.shared, rt)
				continue
			}
			h := rt.Handler
			// A caller's traceparent makes the evaluation's span its child.
			r.Handle(rt.Method, rt.Path, gin.WrapF(func(w http.ResponseWriter, r *http.Request) { h(w, s.tel.WithRemoteParent(r)) }))
		}
	}
}

// claimed returns the adapter route that claims c's request, or nil.
func (s *Server) claimed(c *gin.Context) *adapters.Route {
	for i := range s.shared {
		rt := &s.shared[i]
		if rt.Method == c.Request.Method && rt.Path == c.FullPath() && rt.Claims(c.Request) {
			return rt
		}
	}
	return nil
}

// detectors serves GET /v1/detectors: picket's list, or an adapter's
// answer to a request it claims (Highflame's SDKs).
func (s *Server) detectors(c *gin.Context) {
	if rt := s.claimed(c); rt != nil {
		rt.Handler(c.Writer, c.Request)
		c.Abort()
		return
	}
	s.auth(c)
	if c.IsAborted() {
		return
	}
	c.JSON(http.StatusOK, gin.H{"detectors": s.eng.Detectors()})
}

// Authenticate implements adapters.Host.
func (s *Server) Authenticate(key string) (string, bool) {
	cfg := s.config()
	if cfg == nil || key == "" {
		return "", false
	}
	t, ok := tenantFor(cfg, key)
	if !ok {
		return "", false
	}
	return t.Name, true
}

// Detectors implements adapters.Host.
func (s *Server) Detectors() []engine.DetectorStatus { return s.eng.Detectors() }

// Evaluate implements adapters.Host: the same evaluation, metrics and
// trail as the Aperture endpoint's pre_request, with the adapter's source.
func (s *Server) Evaluate(ctx context.Context, req adapters.Request) (*engine.Verdict, error) {
	start := time.Now()
	ctx, call := s.tel.StartHook(ctx, req.Source, nil)
	defer call.End(0)
	cfg := s.config()
	if cfg == nil {
		return nil, engine.ErrNotLoaded
	}
	tenant, ok := cfg.Tenant(req.Tenant)
	if !ok {
		return nil, adapters.ErrUnknownTenant
	}
	mode := tenant.Mode
	if r := config.ModeRank(req.Mode); r >= 0 && r < config.ModeRank(mode) {
		mode = req.Mode
	}
	ev := req.Event
	ev.Tenant = tenant.Name
	ev.ID = newEventID(start)
	call.Event(ev, mode)
	v, err := s.eng.Evaluate(ctx, engine.Input{Event: ev, TenantMode: mode, RequestBody: req.RequestBody})
	if err != nil {
		return nil, err
	}
	call.Decided(ctx, ev, v)
	s.metrics.Verdict(ev.Type, time.Since(start))
	s.metrics.Event(ev.Type, tenant.Name, v.Decision, v.WouldBlock)
	d := s.decided(ev, v)
	d.Event.Source = req.Source
	s.records <- d
	return v, nil
}

// Interface guard.
var _ adapters.Host = (*Server)(nil)
