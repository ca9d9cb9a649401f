// Package server is picket's HTTP face: the Aperture hook endpoint, the
// detectors and health endpoints, metrics, and the Observatory API and UI.
package server

import (
	"context"
	"errors"
	"net/http"
	goruntime "runtime"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/host/session"
	"github.com/picketsec/picket/host/telemetry"
)

// Options wire a Server.
type Options struct {
	Engine   *engine.Engine // loaded; its config says tenants, payload mode and budget
	Store    audit.Store
	Metrics  *metrics.Metrics
	Logger   hclog.Logger
	SpoolKey []byte        // 32 bytes: seals async events until they are evaluated
	Sinks    []audit.Sink  // receive findings after evaluation
	Workers  int           // async evaluators; default GOMAXPROCS, at least 2
	Inflight int           // async events claimed from the work queue at once; default DefaultInflight
	Lease    time.Duration // how long a claim lasts unless renewed; default DefaultLease
	// BodyTimeout bounds the reading of a request body; a body still not
	// in by then is answered 408 and its connection closed. 0 means the
	// running config's limits.body_timeout (followed on reload).
	BodyTimeout time.Duration
	// SoleUser says that no other process uses the store (SQLite): claims
	// an earlier process left (a crash) are released at Start instead of
	// waiting for their lease to run out.
	SoleUser bool
	// Adapters are the protocol adapters served beside the Aperture hook
	// (Highflame Shield API, LiteLLM, Claude Code hooks).
	Adapters []HTTPAdapter
	// SessionKey keys session memory's digests and fingerprints. Replicas
	// that share a store must share it. Empty: derived from SpoolKey.
	SessionKey []byte
	// Telemetry exports a span per hook call and a log record per
	// decision; nil means off.
	Telemetry *telemetry.Telemetry
}

// Server serves the hook endpoint and the API. Start the async workers
// with Start and stop them with Shutdown.
type Server struct {
	eng     *engine.Engine
	store   audit.Store
	metrics *metrics.Metrics
	log     hclog.Logger
	sealer  *sealer
	sinks   []audit.Sink
	router  *gin.Engine

	work     *workQueue
	bodyTime time.Duration
	workers  int
	soleUser bool
	once     sync.Once

	records chan audit.Decided // decided pre_request events waiting to be written
	intake  chan intakeReq     // async events waiting to be recorded (intake.go)
	shared  []adapters.Route   // adapter routes on paths picket serves too
	recWG   sync.WaitGroup

	sessions *session.Manager // nil when the store keeps no session memory
	tel      *telemetry.Telemetry
}

// New builds the server and its routes.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Workers <= 0 {
		opts.Workers = max(2, goruntime.GOMAXPROCS(0))
	}
	if opts.Inflight <= 0 {
		opts.Inflight = DefaultInflight
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	sl, err := newSealer(opts.SpoolKey)
	if err != nil {
		return nil, err
	}
	store := opts.Store
	if opts.Metrics != nil {
		store = audit.Instrument(store, opts.Metrics.Store)
	}
	s := &Server{
		eng: opts.Engine, store: store, metrics: opts.Metrics, log: opts.Logger, sealer: sl,
		sinks: opts.Sinks, workers: opts.Workers, soleUser: opts.SoleUser, bodyTime: opts.BodyTimeout,
		records: make(chan audit.Decided, 4096), tel: opts.Telemetry, intake: make(chan intakeReq, intakeBatch),
	}
	s.work = newWorkQueue(s, opts.Inflight, opts.Lease)
	if mem, ok := audit.MemoryOf(opts.Store); ok {
		key := opts.SessionKey
		if len(key) == 0 {
			key = session.DeriveKey(opts.SpoolKey)
		}
		s.sessions = session.New(session.Options{Store: mem, Key: key, Metrics: opts.Metrics, Logger: opts.Logger})
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	r.Use(s.recoverJSON, s.accessLog, s.bodyDeadline)
	r.HandleMethodNotAllowed = true
	r.NoRoute(func(c *gin.Context) {
		abort(c, http.StatusNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path)
	})
	r.NoMethod(func(c *gin.Context) {
		abort(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" not allowed on "+c.Request.URL.Path)
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	if s.metrics != nil {
		r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{})))
	}
	r.POST("/v1/agent/events", s.auth, s.hook)
	r.POST("/v1/agent/events/:event", s.auth, s.hook)
	s.mountAdapters(r, opts.Adapters)
	r.GET("/v1/detectors", s.detectors)
	s.mountObservatory(r)
	s.router = r
	// The recorder runs from the start: handlers wait on its queue.
	s.recWG.Add(2)
	go s.recorder()
	go s.intaker()
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

// Start starts the async workers on the store's work queue, which holds
// the events recorded before a crash or a stop too.
func (s *Server) Start(ctx context.Context) error {
	if s.soleUser {
		n, err := s.store.Release(ctx, "")
		if err != nil {
			return err
		}
		if n > 0 {
			s.log.Info("re-evaluating events claimed before the last stop", "count", n)
		}
	}
	if s.sessions != nil {
		s.sessions.StartPruning(s.config)
	}
	s.work.start(s.workers)
	return nil
}

// Shutdown stops the async workers after the evaluations under way, whose
// results it commits, gives the rest of its claims back to the queue (to
// another replica, or the next start), and writes every decided
// pre_request event still queued. Call it after the HTTP server has stopped
// taking requests.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		err = s.work.shutdown(ctx)
		close(s.records)
		close(s.intake)
	})
	done := make(chan struct{})
	go func() {
		s.recWG.Wait()
		if s.sessions != nil {
			s.sessions.Close()
		}
		close(done)
	}()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

const tenantKey = "picket.tenant"

// TenantOf returns the tenant that auth resolved for the request.
func TenantOf(c *gin.Context) string { return c.GetString(tenantKey) }

func (s *Server) auth(c *gin.Context) {
	key := apiKey(c)
	if key == "" {
		c.Header("WWW-Authenticate", `Bearer realm="picket"`)
		abort(c, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <key> (or Authorization: Splunk, cf-aig-authorization: Bearer, X-Api-Key, X-Highflame-Apikey, X-Goog-Api-Key)")
		return
	}
	cfg := s.eng.Config()
	t, ok := tenantFor(cfg, key)
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="picket", error="invalid_token"`)
		abort(c, http.StatusUnauthorized, "unknown API key")
		return
	}
	c.Set(tenantKey, t.Name)
	c.Next()
}

func (s *Server) ready(c *gin.Context) {
	checks := gin.H{}
	status := http.StatusOK
	if s.eng.Config() == nil {
		checks["config"], status = "not loaded", http.StatusServiceUnavailable
	} else {
		checks["config"] = "ok"
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		checks["store"], status = err.Error(), http.StatusServiceUnavailable
	} else {
		checks["store"] = "ok"
	}
	if b, err := s.work.sample(ctx); err != nil {
		checks["queue"], status = err.Error(), http.StatusServiceUnavailable
	} else {
		now := time.Now()
		queue := gin.H{"depth": b.Depth, "claimed": b.Claimed, "dead": b.Dead,
			"oldest_pending_seconds": b.OldestAge(now).Seconds()}
		if cfg := s.config(); cfg != nil {
			if why := s.work.stuck(b, cfg.Limits.MaxPendingAge, now); why != "" {
				queue["stuck"], status = why, http.StatusServiceUnavailable
			}
		}
		checks["queue"] = queue
	}
	if err := s.eng.Healthy(); err != nil {
		checks["detectors"], status = err.Error(), http.StatusServiceUnavailable
	} else {
		checks["detectors"] = "ok"
	}
	c.JSON(status, gin.H{"ready": status == http.StatusOK, "checks": checks})
}

func abort(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

// recoverJSON turns a panic into a 500 with a JSON error and a log line; a
// panic is a bug, but it must not take the process or the connection down.
func (s *Server) recoverJSON(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(p)
			}
			s.log.Error("handler panicked", "path", c.FullPath(), "panic", p)
			abort(c, http.StatusInternalServerError, "internal error")
		}
	}()
	c.Next()
}

// DefaultBodyTimeout is how long a client has to send a request body when
// neither Options nor the config say. Aperture sends a body at once; one
// that trickles in is a stuck or hostile client holding a connection.
const DefaultBodyTimeout = config.DefaultBodyTimeout

// bodyDeadline sets the read deadline of the request's body. net/http
// resets it with the next request's header deadline.
func (s *Server) bodyDeadline(c *gin.Context) {
	if c.Request.ContentLength != 0 {
		// Recorders in tests cannot set deadlines: nothing to bound there.
		_ = http.NewResponseController(c.Writer).SetReadDeadline(time.Now().Add(s.bodyTimeout()))
	}
	c.Next()
}

// bodyTimeout is Options.BodyTimeout, else the running config's.
func (s *Server) bodyTimeout() time.Duration {
	if s.bodyTime > 0 {
		return s.bodyTime
	}
	if cfg := s.config(); cfg != nil && cfg.Limits.BodyTimeout > 0 {
		return cfg.Limits.BodyTimeout
	}
	return DefaultBodyTimeout
}

func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.metrics.HTTP(route, c.Writer.Status())
	if s.log.IsDebug() || c.Writer.Status() >= 400 {
		s.log.Debug("request", "method", c.Request.Method, "route", route, "status", c.Writer.Status(),
			"duration", time.Since(start), "tenant", c.GetString(tenantKey), "event_id", c.Writer.Header().Get("X-Picket-Event-Id"))
	}
}

// config returns the running config.
func (s *Server) config() *config.Config { return s.eng.Config() }
