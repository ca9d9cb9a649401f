package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/picketsec/picket/host/observatory"
)

// mountObservatory mounts the query API (tenant-scoped by the same API key
// auth as the hook) and the web UI at /ui/.
func (s *Server) mountObservatory(r *gin.Engine) {
	observatory.Register(r, s.auth, observatory.Deps{
		Store:    s.store,
		TenantOf: TenantOf,
		Logger:   s.log,
	})
	r.GET("/", func(c *gin.Context) { c.Redirect(http.StatusFound, "/ui/") })
}
