package config

import (
	"os"
	"path/filepath"
	"time"

	"github.com/picketsec/picket/sdk"
)

// DefaultListen is where picket serves when nothing says otherwise.
const DefaultListen = "127.0.0.1:8080"

// BuiltinDetectors are the first-party detectors enabled by default, in the
// order they are reported.
var BuiltinDetectors = []string{"secrets", "injection", "commands"}

// Default returns the embedded defaults: serve on 127.0.0.1:8080 in monitor
// mode with a 250 ms budget, SQLite under the data directory, one "default"
// tenant (its key is set up by the serve command) and every built-in
// detector on, blocking at severity high and failing open.
func Default() *Config {
	cfg := &Config{
		Listen:  DefaultListen,
		Mode:    ModeMonitor,
		Budget:  250 * time.Millisecond,
		DataDir: DefaultDataDir(),
		Store:   Store{Driver: "sqlite", Payload: PayloadRedacted},
		Tenants: []Tenant{{Name: "default", Mode: ModeMonitor}},
		Session: DefaultSession(),
		Limits:  DefaultLimits(),
	}
	for _, name := range BuiltinDetectors {
		cfg.Detectors = append(cfg.Detectors, Detector{
			Name: name, Source: "builtin", Enabled: true,
			MinSeverity: sdk.SeverityHigh, Action: ActionBlock, Fail: FailOpen,
			Config: []byte("{}"),
		})
	}
	return cfg
}

// DefaultDataDir is $PICKET_DATA_DIR, else $XDG_DATA_HOME/picket, else
// ~/.local/share/picket, else ./picket-data.
func DefaultDataDir() string {
	if d := os.Getenv("PICKET_DATA_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "picket")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "picket")
	}
	return "picket-data"
}

// StoreDSN is the DSN to open: for SQLite with no DSN, picket.db in the
// data directory; a relative SQLite path is taken relative to it.
func (c *Config) StoreDSN() string {
	if c.Store.Driver != "sqlite" {
		return c.Store.DSN
	}
	dsn := c.Store.DSN
	if dsn == "" {
		dsn = "picket.db"
	}
	if !filepath.IsAbs(dsn) && dsn != ":memory:" {
		dsn = filepath.Join(c.DataDir, dsn)
	}
	return dsn
}

// DefaultSession is the session policy when the file says nothing: memory
// on, sessions forgotten after 24 h idle, 20 000 judged items, 5 000 marks
// and 2 000 findings per session, critical findings of asynchronous events
// quarantine their session until an operator lifts it.
func DefaultSession() Session {
	return Session{
		Enabled: true, Retention: 24 * time.Hour,
		MaxItems: 20000, MaxMarks: 5000, MaxFindings: 2000,
		Quarantine: QuarantineCritical,
	}
}
