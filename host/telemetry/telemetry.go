// Package telemetry exports picket's traces and decision logs to the
// operator's OpenTelemetry collector over OTLP (HTTP or gRPC).
//
// Each hook call is a span (picket.hook), with a child span per detector
// (made by host/engine), and each decision is one log record
// (picket.decision). What is exported is names, modes, outcomes, counts,
// durations and ids: never item text, a match, a payload, a header value
// or an error message that could quote one.
//
// Telemetry is off unless the config has a telemetry block. Off, a nil or
// empty *Telemetry starts no span and emits nothing: the hot path pays an
// atomic load per call. Apply swaps the exporters on a config reload (or
// keeps them when the block did not change); Shutdown flushes what is
// queued.
package telemetry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/credentials"

	"github.com/picketsec/picket/config"
)

// ScopeName is the instrumentation scope of the hook spans and decision
// logs.
const ScopeName = "github.com/picketsec/picket/host/telemetry"

// Options configure a Telemetry.
type Options struct {
	Logger  hclog.Logger
	Version string // picket's version, exported as service.version
	// RetireAfter is how long exporters replaced by a reload keep taking
	// the spans of calls that began before it, before they are flushed and
	// closed. 0 means DefaultRetireAfter.
	RetireAfter time.Duration
}

// DefaultRetireAfter outlasts a hook call (body timeout, budget) and an
// asynchronous evaluation (a detector's async timeout).
const DefaultRetireAfter = 15 * time.Second

// Telemetry holds the running exporters. Its methods are safe for
// concurrent use, and safe on a nil *Telemetry (telemetry off).
type Telemetry struct {
	log     hclog.Logger
	version string
	retire  time.Duration

	cur atomic.Pointer[pipeline] // nil: off

	mu       sync.Mutex // serializes Apply and Shutdown
	closed   bool
	retiring sync.WaitGroup
	stop     chan struct{} // closed by Shutdown: retire at once
}

// pipeline is one config's providers.
type pipeline struct {
	cfg    *config.Telemetry
	tp     *sdktrace.TracerProvider
	lp     *sdklog.LoggerProvider // nil: decision logs off
	tracer trace.Tracer
	logger otellog.Logger // nil: decision logs off
}

// New starts the exporters cfg describes; a nil cfg makes a Telemetry that
// is off until Apply turns it on.
func New(cfg *config.Telemetry, o Options) (*Telemetry, error) {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.RetireAfter <= 0 {
		o.RetireAfter = DefaultRetireAfter
	}
	t := &Telemetry{log: o.Logger, version: o.Version, retire: o.RetireAfter, stop: make(chan struct{})}
	routeErrors(o.Logger)
	if cfg != nil {
		p, err := t.build(cfg)
		if err != nil {
			return nil, err
		}
		t.cur.Store(p)
		t.log.Info("telemetry on", "exporter", cfg.String(), "decision_logs", cfg.DecisionLogs)
	}
	return t, nil
}

// Enabled reports whether telemetry is on.
func (t *Telemetry) Enabled() bool { return t != nil && t.cur.Load() != nil }

// Apply makes cfg the running telemetry config, on a reload: the same
// block keeps the running exporters (and their queues); a changed one
// starts new exporters and retires the old ones, which are flushed and
// closed after RetireAfter; nil turns telemetry off the same way. When the
// new exporters cannot be made the running ones stay, and the error says
// why.
func (t *Telemetry) Apply(cfg *config.Telemetry) error {
	if t == nil {
		return errors.New("telemetry: not set up")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("telemetry: shut down")
	}
	old := t.cur.Load()
	if (old == nil && cfg == nil) || (old != nil && old.cfg.Same(cfg)) {
		return nil
	}
	var p *pipeline
	if cfg != nil {
		var err error
		if p, err = t.build(cfg); err != nil {
			return err
		}
	}
	t.cur.Store(p)
	if old != nil {
		t.retireLater(old)
	}
	if cfg == nil {
		t.log.Info("telemetry off")
	} else {
		t.log.Info("telemetry exporter replaced", "exporter", cfg.String(), "decision_logs", cfg.DecisionLogs)
	}
	return nil
}

// retireLater flushes and closes p once the calls that began on it are
// done, or at once on Shutdown.
func (t *Telemetry) retireLater(p *pipeline) {
	t.retiring.Add(1)
	go func() {
		defer t.retiring.Done()
		timer := time.NewTimer(t.retire)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-t.stop:
		}
		ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout+time.Second)
		defer cancel()
		if err := p.shutdown(ctx); err != nil {
			t.log.Warn("telemetry: flushing the replaced exporter", "error", err)
		}
	}()
}

// ForceFlush exports what is queued now.
func (t *Telemetry) ForceFlush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	p := t.cur.Load()
	if p == nil {
		return nil
	}
	err := p.tp.ForceFlush(ctx)
	if p.lp != nil {
		err = errors.Join(err, p.lp.ForceFlush(ctx))
	}
	return err
}

// Shutdown turns telemetry off, flushing what every exporter, running or
// retired, still holds, within ctx. Call it after the server has stopped
// (its last spans and decisions are then queued).
func (t *Telemetry) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	close(t.stop)
	var err error
	if p := t.cur.Swap(nil); p != nil {
		err = p.shutdown(ctx)
	}
	done := make(chan struct{})
	go func() { t.retiring.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, ctx.Err())
	}
	return err
}

func (p *pipeline) shutdown(ctx context.Context) error {
	err := p.tp.Shutdown(ctx)
	if p.lp != nil {
		err = errors.Join(err, p.lp.Shutdown(ctx))
	}
	return err
}

// build makes the exporters and providers of cfg. Making an exporter
// connects to nothing: a collector that is down shows as export errors
// (logged, rate limited), not here.
func (t *Telemetry) build(cfg *config.Telemetry) (*pipeline, error) {
	ctx := context.Background()
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(
			attribute.String("service.name", cfg.ServiceName),
			attribute.String("service.version", t.version),
		))
	if err != nil && res == nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	var spans sdktrace.SpanExporter
	var logs sdklog.Exporter
	switch cfg.Protocol {
	case config.TelemetryGRPC:
		spans, logs, err = grpcExporters(ctx, cfg, tlsCfg)
	default:
		spans, logs, err = httpExporters(ctx, cfg, tlsCfg)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry %s: %w", cfg.Where, err)
	}
	p := &pipeline{cfg: cfg}
	// The batcher drops spans when its queue is full rather than make a
	// hook call wait for the collector.
	p.tp = sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(spans),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))),
	)
	p.tracer = p.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(t.version))
	if logs != nil {
		p.lp = sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewBatchProcessor(logs)), sdklog.WithResource(res))
		p.logger = p.lp.Logger(ScopeName, otellog.WithInstrumentationVersion(t.version))
	}
	return p, nil
}

func httpExporters(ctx context.Context, cfg *config.Telemetry, tlsCfg *tls.Config) (sdktrace.SpanExporter, sdklog.Exporter, error) {
	topts := []otlptracehttp.Option{otlptracehttp.WithEndpoint(cfg.Endpoint), otlptracehttp.WithURLPath(cfg.URLPath + "/v1/traces"), otlptracehttp.WithTimeout(cfg.Timeout)}
	lopts := []otlploghttp.Option{otlploghttp.WithEndpoint(cfg.Endpoint), otlploghttp.WithURLPath(cfg.URLPath + "/v1/logs"), otlploghttp.WithTimeout(cfg.Timeout)}
	if cfg.Insecure {
		topts = append(topts, otlptracehttp.WithInsecure())
		lopts = append(lopts, otlploghttp.WithInsecure())
	} else {
		topts = append(topts, otlptracehttp.WithTLSClientConfig(tlsCfg))
		lopts = append(lopts, otlploghttp.WithTLSClientConfig(tlsCfg))
	}
	if len(cfg.Headers) > 0 {
		topts = append(topts, otlptracehttp.WithHeaders(cfg.Headers))
		lopts = append(lopts, otlploghttp.WithHeaders(cfg.Headers))
	}
	spans, err := otlptracehttp.New(ctx, topts...)
	if err != nil || !cfg.DecisionLogs {
		return spans, nil, err
	}
	logs, err := otlploghttp.New(ctx, lopts...)
	return spans, logs, err
}

func grpcExporters(ctx context.Context, cfg *config.Telemetry, tlsCfg *tls.Config) (sdktrace.SpanExporter, sdklog.Exporter, error) {
	topts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(cfg.Endpoint), otlptracegrpc.WithTimeout(cfg.Timeout)}
	lopts := []otlploggrpc.Option{otlploggrpc.WithEndpoint(cfg.Endpoint), otlploggrpc.WithTimeout(cfg.Timeout)}
	if cfg.Insecure {
		topts = append(topts, otlptracegrpc.WithInsecure())
		lopts = append(lopts, otlploggrpc.WithInsecure())
	} else {
		topts = append(topts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)))
		lopts = append(lopts, otlploggrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)))
	}
	if len(cfg.Headers) > 0 {
		topts = append(topts, otlptracegrpc.WithHeaders(cfg.Headers))
		lopts = append(lopts, otlploggrpc.WithHeaders(cfg.Headers))
	}
	spans, err := otlptracegrpc.New(ctx, topts...)
	if err != nil || !cfg.DecisionLogs {
		return spans, nil, err
	}
	logs, err := otlploggrpc.New(ctx, lopts...)
	return spans, logs, err
}

// tlsConfig is the client TLS of cfg, nil when it is plain text. The
// files were checked at load; they are read again here, as they are now.
func tlsConfig(cfg *config.Telemetry) (*tls.Config, error) {
	if cfg.Insecure {
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		b, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("telemetry ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("telemetry ca_file %q: no PEM certificate", cfg.CAFile)
		}
		c.RootCAs = pool
	}
	if cfg.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("telemetry cert_file: %w", err)
		}
		c.Certificates = []tls.Certificate{cert}
	}
	return c, nil
}

// errLog is where OpenTelemetry's export errors go: the process has one
// handler, so the last Telemetry made names the logger.
var (
	errLog     atomic.Pointer[errorLogger]
	errHandler sync.Once
)

// errorLogger logs export errors at most once per errEvery, with the
// count of those it held back: a collector that is down must not flood
// picket's log.
type errorLogger struct {
	log  hclog.Logger
	mu   sync.Mutex
	last time.Time
	held int
}

const errEvery = 30 * time.Second

func routeErrors(log hclog.Logger) {
	errLog.Store(&errorLogger{log: log})
	errHandler.Do(func() {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			if l := errLog.Load(); l != nil {
				l.handle(err)
			}
		}))
	})
}

func (l *errorLogger) handle(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.Sub(l.last) >= errEvery {
		l.log.Warn("telemetry export failed", "error", err, "errors_held_back", l.held)
		l.last, l.held = now, 0
		return
	}
	l.held++
}
