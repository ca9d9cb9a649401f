// Package config loads, validates and defaults picket's one HCL config file.
//
// Load parses a file and returns every problem it finds, each with its file
// position and field; Default returns the embedded defaults that
// `picket serve` runs with when no file is given.
package config

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/picketsec/picket/sdk"
)

// Modes, from weakest to strongest.
const (
	ModeOff     = "off"     // detectors do not run
	ModeMonitor = "monitor" // evaluate and record what would be blocked; always allow
	ModeEnforce = "enforce" // block (or redact) as policy says
)

// Actions a finding can ask for, from weakest to strongest.
const (
	ActionAlert  = "alert"
	ActionRedact = "redact"
	ActionBlock  = "block"
)

// Fail policies: what a detector error or timeout means.
const (
	FailOpen   = "open"
	FailClosed = "closed"
)

// Payload storage modes for the audit trail.
const (
	PayloadNone     = "none"
	PayloadRedacted = "redacted"
	PayloadFull     = "full"
)

// Config is a loaded, validated configuration.
type Config struct {
	File      string        // where it came from; "" for the embedded defaults
	Listen    string        // address to serve on
	Mode      string        // default mode for every tenant
	Budget    time.Duration // deadline for a pre_request verdict
	DataDir   string        // keys, spool key, SQLite database
	Store     Store
	Sinks     []Sink
	Session   Session
	Limits    Limits
	Tenants   []Tenant
	Detectors []Detector
	// ExtProc, when set, serves Envoy's ext_proc gRPC protocol on its own
	// listener.
	ExtProc *ExtProc
	// Telemetry, when set, exports traces and decision logs over OTLP
	// (host/telemetry); nil means off.
	Telemetry *Telemetry
	// Warnings are problems that do not stop the config from loading
	// (each with its file:line), for `config check` and serve to print.
	Warnings []string
}

// ExtProc configures the Envoy ext_proc listener.
type ExtProc struct {
	Listen string // host:port of the gRPC listener
	// Tenant is the tenant whose policy applies to streams that carry no
	// API key in their gRPC metadata; "" means such streams are refused.
	Tenant string
}

// Store says where the audit trail lives and what it keeps.
type Store struct {
	Driver    string // sqlite | postgres
	DSN       string
	Payload   string        // none | redacted | full
	MaxAge    time.Duration // 0: keep forever
	MaxEvents int           // 0: no limit
}

// Quarantine levels: which block-level findings of an asynchronous event
// quarantine their session.
const (
	QuarantineCritical = "critical" // critical findings only (the default)
	QuarantineHigh     = "high"     // high and critical
	QuarantineOff      = "off"      // never
)

// Session is the session memory's policy (host/session).
type Session struct {
	Enabled       bool          // remember judged items, credentials and leads per session
	Retention     time.Duration // forget sessions idle this long (quarantined ones are kept)
	MaxItems      int           // judged items remembered per session; the oldest are dropped
	MaxMarks      int           // credential and lead fingerprints per session
	MaxFindings   int           // distinct findings per session
	Mode          string        // "" (follow the tenant) or monitor/off: holds session findings back
	Quarantine    string        // critical | high | off
	QuarantineFor time.Duration // 0: until an operator lifts it
}

// QuarantineSeverity is the lowest severity that quarantines at level, or 0
// for off (and for an empty level).
func QuarantineSeverity(level string) sdk.Severity {
	switch level {
	case QuarantineCritical:
		return sdk.SeverityCritical
	case QuarantineHigh:
		return sdk.SeverityHigh
	}
	return 0
}

// Sink forwards findings at or above a severity to a SIEM (host/sink),
// through a durable spool under DataDir/sinks/Name.
type Sink struct {
	Name        string
	Type        string // webhook | syslog
	URL         string // webhook
	Address     string // syslog host:port
	Network     string // syslog: udp | tcp | tls
	MinSeverity sdk.Severity
	// Syslog over TLS: CA bundle, client certificate and key (PEM files),
	// name to verify ("" means the address's host).
	CAFile, CertFile, KeyFile, ServerName string
	// Webhook: the names of the environment variables that hold the
	// bearer token and the HMAC key (never the secrets themselves).
	BearerTokenEnv, HMACKeyEnv string
	// Delivery: per-attempt timeout and the retry backoff's first and
	// longest wait; 0 means the sink's defaults.
	Timeout, Backoff, MaxBackoff time.Duration
	// Spool bounds; 0 means the spool's defaults (64 MiB, 100 000 alerts).
	SpoolMaxBytes   int64
	SpoolMaxRecords int
}

// Tenant is one customer of the host, found by the hash of its API key.
type Tenant struct {
	Name         string
	APIKeySHA256 []string // hex SHA-256 of each accepted key
	Mode         string
	// Quarantine and QuarantineFor override the session block's for this
	// tenant; "" and nil mean no override.
	Quarantine    string
	QuarantineFor *time.Duration
}

// Detector is one detector's source and policy.
type Detector struct {
	Name              string
	Source            string // builtin | process | wasm
	Path              string
	SHA256            string
	Enabled           bool
	Mode              string // "" (follow the tenant), monitor or off: holds the detector back
	Kinds             []sdk.Kind
	MinSeverity       sdk.Severity
	Action            string
	Fail              string
	Timeout           time.Duration
	AllowRegex        []*regexp.Regexp
	AllowFingerprints []string
	Config            json.RawMessage // detector-specific, a JSON object
	// Where says where the detector's block and its fields are in the
	// file ("picket.hcl:63,1"), for messages about what fails to load.
	Where DetectorWhere
	// Quarantine overrides the tenant's quarantine level for this
	// detector's findings; "" means no override.
	Quarantine string
	// History sends this detector the items already judged earlier in the
	// session too (as does sdk.Info.History).
	History bool
	// MaxMemory (bytes of resident memory) and MaxCPU (CPUs on average)
	// bound a process plugin; 0 means no bound. The limits block gives the
	// default.
	MaxMemory int64
	MaxCPU    float64
}

// DetectorWhere is the file position of a detector block and of the fields
// loading it depends on; a field not given is the block's position.
type DetectorWhere struct {
	Block, Path, SHA256, Config string
}

// Tenant returns the tenant named name.
func (c *Config) Tenant(name string) (*Tenant, bool) {
	for i := range c.Tenants {
		if c.Tenants[i].Name == name {
			return &c.Tenants[i], true
		}
	}
	return nil, false
}

// ModeRank orders modes: off < monitor < enforce.
func ModeRank(m string) int {
	switch m {
	case ModeOff:
		return 0
	case ModeMonitor:
		return 1
	case ModeEnforce:
		return 2
	}
	return -1
}

// ActionRank orders actions: alert < redact < block.
func ActionRank(a string) int {
	switch a {
	case ActionAlert:
		return 1
	case ActionRedact:
		return 2
	case ActionBlock:
		return 3
	}
	return 0
}

// EffectiveMode is the mode a detector runs in for a tenant: the tenant's
// mode, held back by the detector's own mode when that is weaker.
func EffectiveMode(tenantMode, detectorMode string) string {
	if detectorMode != "" && ModeRank(detectorMode) < ModeRank(tenantMode) {
		return detectorMode
	}
	return tenantMode
}

// Summary is a short description of what the config does, for logs.
func (c *Config) Summary() string {
	var ds []string
	for _, d := range c.Detectors {
		if d.Enabled {
			ds = append(ds, d.Name+"("+d.Source+")")
		}
	}
	sort.Strings(ds)
	return fmt.Sprintf("mode=%s tenants=%d detectors=[%s] store=%s", c.Mode, len(c.Tenants), strings.Join(ds, " "), c.Store.Driver)
}
