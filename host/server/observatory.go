package server

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/host/observatory"
	"github.com/picketsec/picket/host/session"
)

// mountObservatory mounts the query API (tenant-scoped by the same API key
// auth as the hook) and the web UI at /ui/.
func (s *Server) mountObservatory(r *gin.Engine) {
	deps := observatory.Deps{
		Store:    s.store,
		TenantOf: TenantOf,
		Replay:   s.replay,
		Logger:   s.log,
	}
	if s.sessions != nil {
		deps.Sessions = sessionMemory{s.sessions}
	}
	observatory.Register(r, s.auth, deps)
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/ui/") })
}

// sessionMemory serves session memory to the Observatory.
type sessionMemory struct{ m *session.Manager }

func (s sessionMemory) View(ctx context.Context, tenant, id string) (any, error) {
	return s.m.View(ctx, tenant, id)
}

func (s sessionMemory) Lift(ctx context.Context, tenant, id, by, reason string) (any, error) {
	return s.m.Lift(ctx, tenant, id, by, reason)
}
