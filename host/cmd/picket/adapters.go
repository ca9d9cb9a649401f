package main

import (
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/adapters/claudecode"
	"github.com/picketsec/picket/host/adapters/extproc"
	"github.com/picketsec/picket/host/adapters/litellm"
	"github.com/picketsec/picket/host/adapters/shield"
	"github.com/picketsec/picket/host/server"
)

// httpAdapters are the protocols served beside the Aperture hook.
func httpAdapters() []server.HTTPAdapter {
	return []server.HTTPAdapter{shield.New(), litellm.New(), claudecode.New(claudecode.Options{})}
}

// serveExtProc starts the Envoy ext_proc gRPC listener; stop ends it,
// letting open streams finish.
func serveExtProc(c *config.ExtProc, h adapters.Host, log hclog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("extproc: cannot listen on %s: %v", c.Listen, err)
	}
	g := grpc.NewServer()
	extproc.New(h, extproc.Options{Tenant: c.Tenant}).Register(g)
	go func() {
		if err := g.Serve(ln); err != nil {
			log.Error("extproc stopped", "error", err)
		}
	}()
	log.Info("serving Envoy ext_proc", "addr", ln.Addr().String(), "default_tenant", c.Tenant)
	return g.GracefulStop, nil
}
