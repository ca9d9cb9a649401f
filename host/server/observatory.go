package server

import "github.com/gin-gonic/gin"

// mountObservatory mounts the query API and the web UI.
func (s *Server) mountObservatory(r *gin.Engine) {}
