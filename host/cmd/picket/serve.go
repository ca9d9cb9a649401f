package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/hashicorp/go-hclog"
	"golang.org/x/net/netutil"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/host/runtime"
	"github.com/picketsec/picket/host/server"
	"github.com/picketsec/picket/host/sink"
	"github.com/picketsec/picket/host/telemetry"
)

func init() {
	register("serve", "serve Aperture hooks (embedded defaults without --config)", runServe)
}

func runServe(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfgFile := fs.String("config", "", "config file (HCL); without it, embedded defaults")
	listen := fs.String("listen", "", "address to serve on (overrides the config)")
	dataDir := fs.String("data-dir", "", "data directory (overrides the config; default "+config.DefaultDataDir()+")")
	maxConns := fs.Int("max-connections", DefaultMaxConnections, "most client connections open at once; more wait in the listen backlog (overrides limits.max_connections)")
	bodyTimeout := fs.Duration("body-timeout", server.DefaultBodyTimeout, "time a client has to send a request body, then 408 and close (overrides limits.body_timeout)")
	var lf logFlags
	lf.register(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	log, err := lf.logger(os.Stderr)
	if err != nil {
		return fail("%v", err)
	}
	cfg, err := loadConfig(*cfgFile, *dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return fail("the config is not valid; nothing was started")
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *maxConns < 1 || *bodyTimeout <= 0 {
		return fail("--max-connections must be at least 1 and --body-timeout positive")
	}
	// A flag given overrides the config's limits block; one not given
	// leaves the config in charge (the body timeout then follows reloads).
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	conns := cfg.Limits.MaxConnections
	if given["max-connections"] {
		conns = *maxConns
	}
	var bodyOverride time.Duration
	if given["body-timeout"] {
		bodyOverride = *bodyTimeout
	}
	for _, w := range cfg.Warnings {
		log.Warn("config", "problem", w)
	}
	printedKey, err := defaultTenantKey(cfg, *cfgFile == "")
	if err != nil {
		return fail("%v", err)
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	// Plugin processes must die with the host, whatever happens next.
	defer runtime.Shutdown()

	d, err := startDaemon(ctx, cfg, log, bodyOverride)
	if err != nil {
		return fail("%v", err)
	}
	defer d.close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fail("cannot listen on %s: %v", cfg.Listen, err)
	}
	httpSrv := &http.Server{Handler: d.srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	// Past the cap, connections wait in the kernel's backlog instead of
	// taking file descriptors.
	go func() { errc <- httpSrv.Serve(netutil.LimitListener(ln, conns)) }()
	if cfg.ExtProc != nil {
		stop, err := serveExtProc(cfg.ExtProc, d.srv, log)
		if err != nil {
			return fail("%v", err)
		}
		defer stop()
	}
	if *cfgFile != "" {
		// Watch before announcing: a change right after start must not be missed.
		events := watchFile(*cfgFile, log)
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go reloadLoop(ctx, *cfgFile, *dataDir, cfg, d, log, events, hup)
	}
	banner(cfg, ln.Addr().String(), printedKey)
	log.Info("serving", "addr", ln.Addr().String(), "config", orDefaults(cfg.File), "data_dir", cfg.DataDir, "summary", cfg.Summary())

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("server stopped", "error", err)
			return 2
		}
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "error", err)
	}
	return 0
}

// DefaultMaxConnections bounds the open client connections of serve.
const DefaultMaxConnections = config.DefaultMaxConnections

// daemon is everything serve runs besides the listener.
type daemon struct {
	store   audit.Store
	eng     *engine.Engine
	srv     *server.Server
	sinks   []interface{ Close(context.Context) error }
	retain  func()
	log     hclog.Logger
	metrics *metrics.Metrics
	tel     *telemetry.Telemetry
}

func startDaemon(ctx context.Context, cfg *config.Config, log hclog.Logger, bodyTimeout time.Duration) (*daemon, error) {
	fpKey, err := secretFile(cfg.DataDir, "fingerprint.key")
	if err != nil {
		return nil, err
	}
	spoolKey, err := secretFile(cfg.DataDir, "spool.key")
	if err != nil {
		return nil, err
	}
	m := metrics.New()
	d := &daemon{log: log, metrics: m}
	eng := engine.New(engine.Options{
		Logger: log.Named("engine"), Metrics: m, FingerprintKey: fpKey,
		Rewrite: llmapi.ReplaceString, CacheDir: filepath.Join(cfg.DataDir, "wasm-cache"),
	})
	d.eng = eng
	// Detectors first: a config serve refuses (an unknown detector, a bad
	// plugin) leaves the store untouched.
	if _, err := eng.Load(ctx, cfg); err != nil {
		d.close()
		return nil, err
	}
	store, err := audit.Open(ctx, audit.Config{Driver: cfg.Store.Driver, DSN: cfg.StoreDSN(), Logger: log.Named("audit")})
	if err != nil {
		d.close()
		return nil, fmt.Errorf("store: %w", err)
	}
	d.store = store
	if d.tel, err = telemetry.New(cfg.Telemetry, telemetry.Options{Logger: log.Named("telemetry"), Version: version}); err != nil {
		d.close()
		return nil, err
	}
	var sinks []audit.Sink
	var names []string
	for _, sc := range cfg.Sinks {
		names = append(names, sc.Name)
	}
	for name, n := range sink.Orphans(filepath.Join(cfg.DataDir, "sinks"), names) {
		log.Warn("a sink no longer in the config left undelivered alerts in its spool: add it back to send them, or remove the directory", "sink", name, "alerts", n, "dir", filepath.Join(cfg.DataDir, "sinks", name))
	}
	for _, sc := range cfg.Sinks {
		s, err := newSink(sc, cfg.DataDir, m, log)
		if err != nil {
			d.close()
			return nil, err
		}
		sinks = append(sinks, s)
		if c, ok := s.(interface{ Close(context.Context) error }); ok {
			d.sinks = append(d.sinks, c)
		}
	}
	lease, err := queueLease(cfg.Limits.QueueLease)
	if err != nil {
		d.close()
		return nil, err
	}
	d.srv, err = server.New(server.Options{Engine: eng, Store: store, Metrics: m, Logger: log.Named("server"), SpoolKey: spoolKey, Sinks: sinks, Lease: lease, BodyTimeout: bodyTimeout,
		// SQLite serves one process: claims left by a crash are its own.
		SoleUser: cfg.Store.Driver != "postgres",
		Adapters: httpAdapters(), Telemetry: d.tel})
	if err != nil {
		d.close()
		return nil, err
	}
	if err := d.srv.Start(ctx); err != nil {
		d.close()
		return nil, fmt.Errorf("recovering pending events: %w", err)
	}
	if cfg.Store.MaxAge > 0 || cfg.Store.MaxEvents > 0 {
		d.retain = audit.StartRetention(context.WithoutCancel(ctx), store, audit.RetentionPolicy{MaxAge: cfg.Store.MaxAge, MaxEvents: cfg.Store.MaxEvents}, log.Named("retention"))
	}
	return d, nil
}

// queueLease is how long a replica's claim on queued events lasts unless
// renewed, which bounds how long the events a killed replica held wait for
// another: PICKET_QUEUE_LEASE when set, else the config's
// limits.queue_lease.
func queueLease(configured time.Duration) (time.Duration, error) {
	v := os.Getenv("PICKET_QUEUE_LEASE")
	if v == "" {
		return configured, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("PICKET_QUEUE_LEASE=%q: want a duration of at least 1s, like 30s", v)
	}
	return d, nil
}

func (d *daemon) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if d.srv != nil {
		d.srv.Shutdown(ctx)
	}
	if d.retain != nil {
		d.retain()
	}
	// After the server: its last spans and decisions are queued by now.
	if err := d.tel.Shutdown(ctx); err != nil {
		d.log.Warn("telemetry: flushing at shutdown", "error", err)
	}
	for _, s := range d.sinks {
		s.Close(ctx)
	}
	if d.eng != nil {
		d.eng.Close()
	}
	if d.store != nil {
		d.store.Close()
	}
}

// newSink starts the sink of sc, with its spool under dataDir/sinks.
func newSink(sc config.Sink, dataDir string, m *metrics.Metrics, log hclog.Logger) (audit.Sink, error) {
	opts := sink.Options{
		Name: sc.Name, Dir: filepath.Join(dataDir, "sinks", sc.Name), MinSeverity: sc.MinSeverity,
		MaxBytes: sc.SpoolMaxBytes, MaxRecords: sc.SpoolMaxRecords,
		Timeout: sc.Timeout, Backoff: sc.Backoff, MaxBackoff: sc.MaxBackoff,
		Metrics: m, Logger: log.Named("sink").With("sink", sc.Name),
	}
	switch sc.Type {
	case "webhook":
		wc := sink.WebhookConfig{Options: opts, URL: sc.URL}
		if sc.BearerTokenEnv != "" {
			wc.BearerToken = os.Getenv(sc.BearerTokenEnv)
		}
		if sc.HMACKeyEnv != "" {
			wc.HMACKey = []byte(os.Getenv(sc.HMACKeyEnv))
		}
		return sink.NewWebhook(wc)
	case "syslog":
		return sink.NewSyslog(sink.SyslogConfig{Options: opts, Address: sc.Address, Network: sc.Network,
			CAFile: sc.CAFile, CertFile: sc.CertFile, KeyFile: sc.KeyFile, ServerName: sc.ServerName})
	}
	return nil, fmt.Errorf("sink %q: unknown type %q", sc.Name, sc.Type)
}

// defaultTenantKey gives the embedded default tenant its key: the hash of
// PICKET_API_KEY, else the hash kept in the data directory, else a new key,
// whose hash is kept and which is returned to be printed once.
func defaultTenantKey(cfg *config.Config, defaults bool) (string, error) {
	if !defaults {
		return "", nil
	}
	t, _ := cfg.Tenant("default")
	if k := os.Getenv("PICKET_API_KEY"); k != "" {
		t.APIKeySHA256 = []string{server.HashKey(k)}
		return "", nil
	}
	path := filepath.Join(cfg.DataDir, "default-tenant.sha256")
	b, err := os.ReadFile(path)
	if err == nil {
		t.APIKeySHA256 = []string{strings.TrimSpace(string(b))}
		return "", nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("data dir: %w", err)
	}
	key := newAPIKey()
	hash := server.HashKey(key)
	if err := os.WriteFile(path, []byte(hash+"\n"), 0o600); err != nil {
		return "", err
	}
	t.APIKeySHA256 = []string{hash}
	return key, nil
}

func banner(cfg *config.Config, addr, key string) {
	fmt.Printf("picket %s serving Aperture hooks on http://%s/v1/agent/events (mode %s)\n", version, addr, cfg.Mode)
	switch {
	case key != "":
		fmt.Printf("\nAPI key of tenant \"default\" (shown once; only its hash is kept in %s):\n\n    %s\n\n", cfg.DataDir, key)
		fmt.Printf("Try it:\n\n    curl -s -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\\n      -d '{\"metadata\":{\"url\":\"/v1/chat/completions\"},\"request_body\":{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}}' \\\n      http://%s/v1/agent/events\n\n", key, addr)
	case cfg.File == "" && os.Getenv("PICKET_API_KEY") != "":
		fmt.Printf("API key: the value of PICKET_API_KEY\n")
	case cfg.File == "":
		fmt.Printf("API key: printed at first start (its hash is in %s/default-tenant.sha256; delete that file to get a new key, or set PICKET_API_KEY)\n", cfg.DataDir)
	}
	fmt.Printf("Observatory: http://%s/ui/   metrics: http://%s/metrics\n", addr, addr)
}

func orDefaults(f string) string {
	if f == "" {
		return "(embedded defaults)"
	}
	return f
}

// watchFile watches the directory of file (editors replace files rather
// than write them) and returns its events; nil when watching is not
// possible, in which case SIGHUP still reloads.
func watchFile(file string, log hclog.Logger) <-chan fsnotify.Event {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("cannot watch the config file; reload with SIGHUP", "error", err)
		return nil
	}
	if err := w.Add(filepath.Dir(file)); err != nil {
		w.Close()
		log.Warn("cannot watch the config file; reload with SIGHUP", "error", err)
		return nil
	}
	return w.Events
}

// reloadLoop reloads the config on SIGHUP and when the file changes. A bad
// new config keeps the last good one running.
func reloadLoop(ctx context.Context, file, dataDir string, running *config.Config, d *daemon, log hclog.Logger, events <-chan fsnotify.Event, hup <-chan os.Signal) {
	abs, _ := filepath.Abs(file)
	var debounce <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			running = reload(ctx, file, dataDir, running, d, log, "SIGHUP")
		case ev := <-events:
			if p, _ := filepath.Abs(ev.Name); p == abs && ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Rename) != 0 {
				debounce = time.After(200 * time.Millisecond)
			}
		case <-debounce:
			running = reload(ctx, file, dataDir, running, d, log, "file changed")
		}
	}
}

func reload(ctx context.Context, file, dataDir string, running *config.Config, d *daemon, log hclog.Logger, why string) *config.Config {
	cfg, err := loadConfig(file, dataDir)
	if err != nil {
		d.metrics.Reload(false)
		log.Error("config reload failed; keeping the last good config", "reason", why, "error", err)
		return running
	}
	if cfg.Listen != running.Listen || cfg.Store != running.Store || cfg.DataDir != running.DataDir {
		log.Warn("listen, store and data_dir changes take effect at the next restart")
		cfg.Listen, cfg.Store, cfg.DataDir = running.Listen, running.Store, running.DataDir
	}
	if l, r := cfg.Limits, running.Limits; l.MaxConnections != r.MaxConnections || l.QueueLease != r.QueueLease || l.WasmMemory != r.WasmMemory {
		log.Warn("limits.max_connections, queue_lease and wasm_memory changes take effect at the next restart")
		cfg.Limits.MaxConnections, cfg.Limits.QueueLease, cfg.Limits.WasmMemory = r.MaxConnections, r.QueueLease, r.WasmMemory
	}
	if !reflect.DeepEqual(cfg.Sinks, running.Sinks) {
		log.Warn("sink changes take effect at the next restart (the running sinks keep their spools)")
		cfg.Sinks = running.Sinks
	}
	skipped, err := d.eng.Load(ctx, cfg)
	d.metrics.Reload(err == nil)
	if err != nil {
		log.Error("config reload failed; keeping the last good config", "reason", why, "error", err)
		return running
	}
	if err := d.tel.Apply(cfg.Telemetry); err != nil {
		log.Error("telemetry: keeping the running exporter", "reason", why, "error", err)
	}
	log.Info("config reloaded", "reason", why, "summary", cfg.Summary(), "detectors_refused", len(skipped))
	return cfg
}
