package config

import (
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/picketsec/picket/sdk"
)

// Error is the set of problems found in a config file. Each diagnostic
// names the file position and the field.
type Error struct {
	Diags hcl.Diagnostics
	// Partial is what could be built of the file despite the errors: its
	// warnings, and only the detectors whose blocks hold no error, so that
	// config check can load those too and report every problem in one run.
	// Nothing may serve it.
	Partial *Config
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, d := range e.Diags {
		if i > 0 {
			b.WriteByte('\n')
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s: ", d.Subject)
		}
		b.WriteString(d.Summary)
		if d.Detail != "" {
			b.WriteString(": ")
			b.WriteString(d.Detail)
		}
	}
	return b.String()
}

type rawFile struct {
	Listen      *string        `hcl:"listen,optional"`
	ListenRange hcl.Range      `hcl:"listen,attr_range"`
	Mode        *string        `hcl:"mode,optional"`
	ModeRange   hcl.Range      `hcl:"mode,attr_range"`
	Budget      *string        `hcl:"budget,optional"`
	BudgetRange hcl.Range      `hcl:"budget,attr_range"`
	DataDir     *string        `hcl:"data_dir,optional"`
	Store       *rawStore      `hcl:"store,block"`
	Sinks       []rawSink      `hcl:"sink,block"`
	Session     *rawSession    `hcl:"session,block"`
	Tenants     []rawTenant    `hcl:"tenant,block"`
	Detectors   []rawDetector  `hcl:"detector,block"`
	Defaults    *rawDetDefault `hcl:"defaults,block"`
	ExtProc     *rawExtProc    `hcl:"extproc,block"`
	Limits      *rawLimits     `hcl:"limits,block"`
	Telemetry   *rawTelemetry  `hcl:"telemetry,block"`
}

// rawExtProc is the Envoy ext_proc listener (host/adapters/extproc).
type rawExtProc struct {
	Listen      string    `hcl:"listen"`
	ListenRange hcl.Range `hcl:"listen,attr_range"`
	Tenant      *string   `hcl:"tenant,optional"`
	TenantRange hcl.Range `hcl:"tenant,attr_range"`
}

type rawStore struct {
	Driver         *string   `hcl:"driver,optional"`
	DriverRange    hcl.Range `hcl:"driver,attr_range"`
	DSN            *string   `hcl:"dsn,optional"`
	Payload        *string   `hcl:"payload,optional"`
	PayloadRange   hcl.Range `hcl:"payload,attr_range"`
	MaxAge         *string   `hcl:"max_age,optional"`
	MaxAgeRange    hcl.Range `hcl:"max_age,attr_range"`
	MaxEvents      *int      `hcl:"max_events,optional"`
	MaxEventsRange hcl.Range `hcl:"max_events,attr_range"`
	DefRange       hcl.Range `hcl:",def_range"`
}

type rawSession struct {
	Enabled       *bool     `hcl:"enabled,optional"`
	Retention     *string   `hcl:"retention,optional"`
	RetentionRng  hcl.Range `hcl:"retention,attr_range"`
	MaxItems      *int      `hcl:"max_items,optional"`
	MaxItemsRng   hcl.Range `hcl:"max_items,attr_range"`
	MaxMarks      *int      `hcl:"max_marks,optional"`
	MaxMarksRng   hcl.Range `hcl:"max_marks,attr_range"`
	MaxFindings   *int      `hcl:"max_findings,optional"`
	MaxFindRng    hcl.Range `hcl:"max_findings,attr_range"`
	Mode          *string   `hcl:"mode,optional"`
	ModeRange     hcl.Range `hcl:"mode,attr_range"`
	Quarantine    *string   `hcl:"quarantine,optional"`
	QuarRange     hcl.Range `hcl:"quarantine,attr_range"`
	QuarantineFor *string   `hcl:"quarantine_for,optional"`
	QuarForRange  hcl.Range `hcl:"quarantine_for,attr_range"`
}

type rawSink struct {
	Name         string    `hcl:"name,label"`
	Type         string    `hcl:"type"`
	TypeRange    hcl.Range `hcl:"type,attr_range"`
	URL          *string   `hcl:"url,optional"`
	Address      *string   `hcl:"address,optional"`
	Network      *string   `hcl:"network,optional"`
	NetworkRange hcl.Range `hcl:"network,attr_range"`
	MinSeverity  *string   `hcl:"min_severity,optional"`
	MinSevRange  hcl.Range `hcl:"min_severity,attr_range"`
	DefRange     hcl.Range `hcl:",def_range"`
	LabelRange   hcl.Range `hcl:"name,label_range"`
	URLRange     hcl.Range `hcl:"url,attr_range"`
	AddrRange    hcl.Range `hcl:"address,attr_range"`
	// Syslog over TLS, webhook secrets, delivery and spool (sink.go).
	CAFile       *string   `hcl:"ca_file,optional"`
	CAFileRange  hcl.Range `hcl:"ca_file,attr_range"`
	CertFile     *string   `hcl:"cert_file,optional"`
	CertRange    hcl.Range `hcl:"cert_file,attr_range"`
	KeyFile      *string   `hcl:"key_file,optional"`
	KeyRange     hcl.Range `hcl:"key_file,attr_range"`
	ServerName   *string   `hcl:"server_name,optional"`
	ServerRange  hcl.Range `hcl:"server_name,attr_range"`
	BearerEnv    *string   `hcl:"bearer_token_env,optional"`
	BearerRange  hcl.Range `hcl:"bearer_token_env,attr_range"`
	HMACEnv      *string   `hcl:"hmac_key_env,optional"`
	HMACRange    hcl.Range `hcl:"hmac_key_env,attr_range"`
	Timeout      *string   `hcl:"timeout,optional"`
	TimeoutRange hcl.Range `hcl:"timeout,attr_range"`
	Backoff      *string   `hcl:"backoff,optional"`
	BackoffRange hcl.Range `hcl:"backoff,attr_range"`
	MaxBackoff   *string   `hcl:"max_backoff,optional"`
	MaxBackRange hcl.Range `hcl:"max_backoff,attr_range"`
	SpoolSize    *string   `hcl:"spool_max_size,optional"`
	SpoolSizeRng hcl.Range `hcl:"spool_max_size,attr_range"`
	SpoolRecords *int      `hcl:"spool_max_records,optional"`
	SpoolRecRng  hcl.Range `hcl:"spool_max_records,attr_range"`
}

type rawTenant struct {
	Name       string    `hcl:"name,label"`
	Keys       []string  `hcl:"api_key_sha256,optional"`
	KeysRange  hcl.Range `hcl:"api_key_sha256,attr_range"`
	Mode       *string   `hcl:"mode,optional"`
	ModeRange  hcl.Range `hcl:"mode,attr_range"`
	Quarantine *string   `hcl:"quarantine,optional"`
	QuarRange  hcl.Range `hcl:"quarantine,attr_range"`
	QuarFor    *string   `hcl:"quarantine_for,optional"`
	QuarForRng hcl.Range `hcl:"quarantine_for,attr_range"`
	DefRange   hcl.Range `hcl:",def_range"`
	LabelRange hcl.Range `hcl:"name,label_range"`
}

// rawDetDefault holds policy defaults shared by every detector block.
type rawDetDefault struct {
	MinSeverity *string   `hcl:"min_severity,optional"`
	MinSevRange hcl.Range `hcl:"min_severity,attr_range"`
	Action      *string   `hcl:"action,optional"`
	ActionRange hcl.Range `hcl:"action,attr_range"`
	Fail        *string   `hcl:"fail,optional"`
	FailRange   hcl.Range `hcl:"fail,attr_range"`
	Timeout     *string   `hcl:"timeout,optional"`
	TimeoutRng  hcl.Range `hcl:"timeout,attr_range"`
}

type rawDetector struct {
	Name          string         `hcl:"name,label"`
	LabelRange    hcl.Range      `hcl:"name,label_range"`
	Source        *string        `hcl:"source,optional"`
	SourceRange   hcl.Range      `hcl:"source,attr_range"`
	Path          *string        `hcl:"path,optional"`
	PathRange     hcl.Range      `hcl:"path,attr_range"`
	SHA256        *string        `hcl:"sha256,optional"`
	SHA256Range   hcl.Range      `hcl:"sha256,attr_range"`
	Enabled       *bool          `hcl:"enabled,optional"`
	Mode          *string        `hcl:"mode,optional"`
	ModeRange     hcl.Range      `hcl:"mode,attr_range"`
	Kinds         []string       `hcl:"kinds,optional"`
	KindsRange    hcl.Range      `hcl:"kinds,attr_range"`
	MinSeverity   *string        `hcl:"min_severity,optional"`
	MinSevRange   hcl.Range      `hcl:"min_severity,attr_range"`
	Action        *string        `hcl:"action,optional"`
	ActionRange   hcl.Range      `hcl:"action,attr_range"`
	Fail          *string        `hcl:"fail,optional"`
	FailRange     hcl.Range      `hcl:"fail,attr_range"`
	Timeout       *string        `hcl:"timeout,optional"`
	TimeoutRange  hcl.Range      `hcl:"timeout,attr_range"`
	AllowRegex    []string       `hcl:"allow_regex,optional"`
	AllowRxRange  hcl.Range      `hcl:"allow_regex,attr_range"`
	AllowFP       []string       `hcl:"allow_fingerprints,optional"`
	Quarantine    *string        `hcl:"quarantine,optional"`
	QuarRange     hcl.Range      `hcl:"quarantine,attr_range"`
	History       *bool          `hcl:"history,optional"`
	MaxMemory     *string        `hcl:"max_memory,optional"`
	MaxMemoryRng  hcl.Range      `hcl:"max_memory,attr_range"`
	MaxCPU        *float64       `hcl:"max_cpu,optional"`
	MaxCPURng     hcl.Range      `hcl:"max_cpu,attr_range"`
	Config        hcl.Expression `hcl:"config,optional"`
	DefRange      hcl.Range      `hcl:",def_range"`
	ConfigPresent bool
}

// Load reads and validates the config file at path. On any problem it
// returns an *Error listing all of them.
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, src)
}

// Parse validates config source src, read from filename.
func Parse(filename string, src []byte) (*Config, error) {
	file, syntax := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	// After a syntax error the parser has recovered what it could (it
	// skips to the end of the broken block or attribute): validate that
	// part too, so that one run reports every problem it can see.
	var raw rawFile
	var decode hcl.Diagnostics
	if file != nil && file.Body != nil {
		decode = gohcl.DecodeBody(file.Body, nil, &raw)
	}
	v := &validator{filename: filename}
	cfg := v.build(&raw)
	cfg.File = filename
	all := append(syntax, afterSyntax(syntax, append(decode, v.diags...))...)
	if all.HasErrors() {
		errs := errorsOnly(all)
		sort.SliceStable(errs, func(i, j int) bool { return line(errs[i]) < line(errs[j]) })
		for _, d := range all {
			if d.Severity == hcl.DiagWarning {
				cfg.Warnings = append(cfg.Warnings, (&Error{Diags: hcl.Diagnostics{d}}).Error())
			}
		}
		cfg.Detectors = cleanDetectors(file, cfg.Detectors, errs)
		return nil, &Error{Diags: errs, Partial: cfg}
	}
	for _, d := range all {
		cfg.Warnings = append(cfg.Warnings, (&Error{Diags: hcl.Diagnostics{d}}).Error())
	}
	return cfg, nil
}

// cleanDetectors keeps the detectors whose block in file holds none of
// errs.
func cleanDetectors(file *hcl.File, ds []Detector, errs hcl.Diagnostics) []Detector {
	if file == nil {
		return nil
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil
	}
	bad := map[string]bool{}
	for _, b := range body.Blocks {
		if b.Type != "detector" || len(b.Labels) != 1 {
			continue
		}
		rng := b.Range()
		for _, e := range errs {
			if e.Subject != nil && e.Subject.Start.Line >= rng.Start.Line && e.Subject.Start.Line <= rng.End.Line {
				bad[b.Labels[0]] = true
			}
		}
	}
	var out []Detector
	for _, d := range ds {
		if !bad[d.Name] {
			out = append(out, d)
		}
	}
	return out
}

// afterSyntax drops from ds what follows from the syntax errors rather
// than from the file: problems on the lines of a syntax error (the value
// the parser could not read) and missing required arguments (usually the
// attribute it skipped).
func afterSyntax(syntax, ds hcl.Diagnostics) hcl.Diagnostics {
	if !syntax.HasErrors() {
		return ds
	}
	var out hcl.Diagnostics
next:
	for _, d := range ds {
		if d.Summary == "Missing required argument" {
			continue
		}
		if d.Subject != nil {
			for _, s := range syntax {
				if s.Subject != nil && d.Subject.Start.Line <= s.Subject.End.Line && s.Subject.Start.Line <= d.Subject.End.Line {
					continue next
				}
			}
		}
		out = append(out, d)
	}
	return out
}

func line(d *hcl.Diagnostic) int {
	if d.Subject == nil {
		return 0
	}
	return d.Subject.Start.Line
}

func errorsOnly(ds hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range ds {
		if d.Severity == hcl.DiagError {
			out = append(out, d)
		}
	}
	return out
}

// placeholderKey is the all-zero hash config/picket.hcl ships with: no key
// hashes to it, so a tenant with only this one can never authenticate.
const placeholderKey = "0000000000000000000000000000000000000000000000000000000000000000"

type validator struct {
	diags    hcl.Diagnostics
	filename string
}

func (v *validator) errorf(rng hcl.Range, field, format string, args ...any) {
	r := rng
	v.diags = append(v.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("invalid %s", field),
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

func (v *validator) warnf(rng hcl.Range, field, format string, args ...any) {
	r := rng
	v.diags = append(v.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "warning: " + field,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  &r,
	})
}

func (v *validator) oneOf(rng hcl.Range, field, val string, allowed ...string) bool {
	for _, a := range allowed {
		if val == a {
			return true
		}
	}
	v.errorf(rng, field, "%q is not one of %s", val, strings.Join(allowed, ", "))
	return false
}

func (v *validator) duration(rng hcl.Range, field, s string, min time.Duration) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		v.errorf(rng, field, "%q is not a duration like \"250ms\" or \"2s\"", s)
		return 0
	}
	if d < min {
		v.errorf(rng, field, "%s is shorter than %s", d, min)
	}
	return d
}

func (v *validator) severity(rng hcl.Range, field, s string) sdk.Severity {
	sev, err := sdk.ParseSeverity(s)
	if err != nil {
		v.errorf(rng, field, "%v", err)
	}
	return sev
}

func (v *validator) build(raw *rawFile) *Config {
	cfg := Default()
	cfg.Tenants = nil
	if raw.Listen != nil {
		cfg.Listen = *raw.Listen
		if !strings.Contains(cfg.Listen, ":") {
			v.errorf(raw.ListenRange, "listen", "%q is not host:port", cfg.Listen)
		}
	}
	if raw.Mode != nil {
		cfg.Mode = *raw.Mode
		v.oneOf(raw.ModeRange, "mode", cfg.Mode, ModeOff, ModeMonitor, ModeEnforce)
	}
	if raw.Budget != nil {
		cfg.Budget = v.duration(raw.BudgetRange, "budget", *raw.Budget, time.Millisecond)
	}
	if raw.DataDir != nil {
		cfg.DataDir = *raw.DataDir
	}
	if s := raw.Store; s != nil {
		if s.Driver != nil {
			cfg.Store.Driver = *s.Driver
			v.oneOf(s.DriverRange, "store.driver", cfg.Store.Driver, "sqlite", "postgres")
		}
		if s.DSN != nil {
			cfg.Store.DSN = *s.DSN
		}
		if cfg.Store.Driver == "postgres" && cfg.Store.DSN == "" {
			v.errorf(s.DefRange, "store.dsn", "the postgres driver needs a dsn")
		}
		if s.Payload != nil {
			cfg.Store.Payload = *s.Payload
			v.oneOf(s.PayloadRange, "store.payload", cfg.Store.Payload, PayloadNone, PayloadRedacted, PayloadFull)
		}
		if s.MaxAge != nil {
			cfg.Store.MaxAge = v.duration(s.MaxAgeRange, "store.max_age", *s.MaxAge, time.Minute)
		}
		if s.MaxEvents != nil {
			cfg.Store.MaxEvents = *s.MaxEvents
			if *s.MaxEvents < 0 {
				v.errorf(s.MaxEventsRange, "store.max_events", "must not be negative")
			}
		}
	}
	for _, rs := range raw.Sinks {
		cfg.Sinks = append(cfg.Sinks, v.sink(rs, cfg.Sinks))
	}
	if rs := raw.Session; rs != nil {
		v.session(rs, &cfg.Session)
	}
	if rl := raw.Limits; rl != nil {
		v.limits(rl, &cfg.Limits)
	}
	seenKey := map[string]string{}
	for _, rt := range raw.Tenants {
		t := Tenant{Name: rt.Name, Mode: cfg.Mode}
		field := fmt.Sprintf("tenant %q", rt.Name)
		if _, dup := cfg.Tenant(rt.Name); dup {
			v.errorf(rt.LabelRange, "tenant", "%q is declared twice", rt.Name)
		}
		if rt.Mode != nil {
			t.Mode = *rt.Mode
			v.oneOf(rt.ModeRange, field+" mode", t.Mode, ModeOff, ModeMonitor, ModeEnforce)
		}
		if rt.Quarantine != nil {
			t.Quarantine = *rt.Quarantine
			v.oneOf(rt.QuarRange, field+" quarantine", t.Quarantine, QuarantineCritical, QuarantineHigh, QuarantineOff)
		}
		if rt.QuarFor != nil {
			d := v.duration(rt.QuarForRng, field+" quarantine_for", *rt.QuarFor, 0)
			t.QuarantineFor = &d
		}
		if len(rt.Keys) == 0 {
			v.errorf(rt.DefRange, field+" api_key_sha256", "a tenant needs at least one key hash (picket keys new prints one)")
		}
		for _, k := range rt.Keys {
			k = strings.ToLower(strings.TrimSpace(k))
			if b, err := hex.DecodeString(k); err != nil || len(b) != 32 {
				v.errorf(rt.KeysRange, field+" api_key_sha256", "%q is not a hex SHA-256 (64 hex digits); store the hash of a key, never the key", truncate(k, 12))
				continue
			}
			if other, dup := seenKey[k]; dup {
				v.errorf(rt.KeysRange, field+" api_key_sha256", "the same key hash is also given to tenant %q", other)
			}
			seenKey[k] = rt.Name
			if k == placeholderKey {
				v.warnf(rt.KeysRange, field+" api_key_sha256", "the all-zero hash is the example's placeholder and matches no key: run 'picket keys new' and put the sha256 it prints here")
			}
			t.APIKeySHA256 = append(t.APIKeySHA256, k)
		}
		cfg.Tenants = append(cfg.Tenants, t)
	}
	if e := raw.ExtProc; e != nil {
		cfg.ExtProc = &ExtProc{Listen: e.Listen}
		if !strings.Contains(e.Listen, ":") {
			v.errorf(e.ListenRange, "extproc.listen", "%q is not host:port", e.Listen)
		}
		if e.Tenant != nil {
			cfg.ExtProc.Tenant = *e.Tenant
			if _, ok := cfg.Tenant(*e.Tenant); !ok {
				v.errorf(e.TenantRange, "extproc.tenant", "no tenant %q", *e.Tenant)
			}
		}
	}
	cfg.Telemetry = v.telemetry(raw.Telemetry)

	// Policy defaults for detectors that say nothing.
	def := Detector{Enabled: true, MinSeverity: sdk.SeverityHigh, Action: ActionBlock, Fail: FailOpen}
	if d := raw.Defaults; d != nil {
		if d.MinSeverity != nil {
			def.MinSeverity = v.severity(d.MinSevRange, "defaults.min_severity", *d.MinSeverity)
		}
		if d.Action != nil {
			def.Action = *d.Action
			v.oneOf(d.ActionRange, "defaults.action", def.Action, ActionBlock, ActionRedact, ActionAlert)
		}
		if d.Fail != nil {
			def.Fail = *d.Fail
			v.oneOf(d.FailRange, "defaults.fail", def.Fail, FailOpen, FailClosed)
		}
		if d.Timeout != nil {
			def.Timeout = v.duration(d.TimeoutRng, "defaults.timeout", *d.Timeout, time.Millisecond)
		}
	}
	if len(raw.Detectors) > 0 {
		cfg.Detectors = nil
	} else {
		for i := range cfg.Detectors {
			cfg.Detectors[i].MinSeverity, cfg.Detectors[i].Action = def.MinSeverity, def.Action
			cfg.Detectors[i].Fail, cfg.Detectors[i].Timeout = def.Fail, def.Timeout
		}
	}
	for _, rd := range raw.Detectors {
		cfg.Detectors = append(cfg.Detectors, v.detector(rd, def, cfg))
	}
	v.servable(raw, cfg)
	return cfg
}

// servable refuses a config that would answer nothing useful: one with no
// tenant (every hook 401, and a gateway failing open lets all traffic
// through unscanned) and one whose detectors are all disabled (every event
// allowed unscanned). Serve refuses it at start and on reload, where the
// running config stays.
func (v *validator) servable(raw *rawFile, cfg *Config) {
	if len(cfg.Tenants) == 0 {
		start := hcl.Range{Filename: v.filename, Start: hcl.InitialPos, End: hcl.InitialPos}
		v.errorf(start, "tenant", "the config declares no tenant: every hook would be refused with 401 (add a tenant block; 'picket keys new' prints a key and its hash)")
	}
	if len(raw.Detectors) == 0 {
		return
	}
	for _, d := range cfg.Detectors {
		if d.Enabled {
			return
		}
	}
	v.errorf(raw.Detectors[0].DefRange, "detector", "every detector is disabled: every event would be allowed unscanned (to stop scanning on purpose, set mode = \"off\")")
}

// pos is where rng starts ("file:line,col"), or or when rng is empty.
func pos(rng hcl.Range, or string) string {
	if rng.Filename == "" {
		return or
	}
	return fmt.Sprintf("%s:%d,%d", rng.Filename, rng.Start.Line, rng.Start.Column)
}

func (v *validator) detector(rd rawDetector, def Detector, cfg *Config) Detector {
	d := def
	d.Name = rd.Name
	block := pos(rd.DefRange, "")
	d.Where = DetectorWhere{Block: block, Path: pos(rd.PathRange, block), SHA256: pos(rd.SHA256Range, block), Config: block}
	if rd.Config != nil {
		d.Where.Config = pos(rd.Config.Range(), block)
	}
	d.Source = "builtin"
	field := fmt.Sprintf("detector %q", rd.Name)
	for _, other := range cfg.Detectors {
		if other.Name == rd.Name {
			v.errorf(rd.LabelRange, "detector", "%q is declared twice", rd.Name)
		}
	}
	if rd.Source != nil {
		d.Source = *rd.Source
		v.oneOf(rd.SourceRange, field+" source", d.Source, "builtin", "process", "wasm")
	}
	if rd.Path != nil {
		d.Path = *rd.Path
	}
	if rd.SHA256 != nil {
		d.SHA256 = strings.ToLower(strings.TrimSpace(*rd.SHA256))
	}
	switch d.Source {
	case "process", "wasm":
		if d.Path == "" {
			v.errorf(rd.DefRange, field+" path", "source %q needs the path of the plugin file", d.Source)
		}
		if b, err := hex.DecodeString(d.SHA256); err != nil || len(b) != 32 {
			v.errorf(orRange(rd.SHA256Range, rd.DefRange), field+" sha256", "source %q needs the plugin's hex SHA-256 (64 hex digits); `sha256sum FILE` prints it", d.Source)
		}
	case "builtin":
		if d.Path != "" {
			v.errorf(rd.PathRange, field+" path", "a builtin detector takes no path")
		}
	}
	if rd.Enabled != nil {
		d.Enabled = *rd.Enabled
	}
	if rd.Mode != nil {
		d.Mode = *rd.Mode
		v.oneOf(rd.ModeRange, field+" mode", d.Mode, ModeOff, ModeMonitor, ModeEnforce)
	}
	for _, k := range rd.Kinds {
		if !sdk.Kind(k).Valid() {
			v.errorf(rd.KindsRange, field+" kinds", "%q is not an item kind (system, prompt, tool_call, tool_result, response)", k)
			continue
		}
		d.Kinds = append(d.Kinds, sdk.Kind(k))
	}
	if rd.MinSeverity != nil {
		d.MinSeverity = v.severity(rd.MinSevRange, field+" min_severity", *rd.MinSeverity)
	}
	if rd.Action != nil {
		d.Action = *rd.Action
		v.oneOf(rd.ActionRange, field+" action", d.Action, ActionBlock, ActionRedact, ActionAlert)
	}
	if rd.Fail != nil {
		d.Fail = *rd.Fail
		v.oneOf(rd.FailRange, field+" fail", d.Fail, FailOpen, FailClosed)
	}
	if rd.Timeout != nil {
		d.Timeout = v.duration(rd.TimeoutRange, field+" timeout", *rd.Timeout, time.Millisecond)
	}
	for _, rx := range rd.AllowRegex {
		re, err := regexp.Compile(rx)
		if err != nil {
			v.errorf(rd.AllowRxRange, field+" allow_regex", "%q does not compile: %v", rx, err)
			continue
		}
		d.AllowRegex = append(d.AllowRegex, re)
	}
	d.AllowFingerprints = rd.AllowFP
	if rd.Quarantine != nil {
		d.Quarantine = *rd.Quarantine
		v.oneOf(rd.QuarRange, field+" quarantine", d.Quarantine, QuarantineCritical, QuarantineHigh, QuarantineOff)
	}
	if rd.History != nil {
		d.History = *rd.History
	}
	v.processBounds(rd, &d, cfg.Limits)
	d.Config = []byte("{}")
	if rd.Config != nil {
		val, diags := rd.Config.Value(nil)
		if diags.HasErrors() {
			v.diags = append(v.diags, diags...)
		} else if !val.IsNull() {
			if !val.Type().IsObjectType() && !val.Type().IsMapType() {
				v.errorf(rd.Config.Range(), field+" config", "must be an object like { key = value }")
			} else if b, err := ctyjson.Marshal(val, val.Type()); err != nil {
				v.errorf(rd.Config.Range(), field+" config", "cannot be converted to JSON: %v", err)
			} else {
				d.Config = b
			}
		}
	}
	return d
}

func (v *validator) session(rs *rawSession, s *Session) {
	if rs.Enabled != nil {
		s.Enabled = *rs.Enabled
	}
	if rs.Retention != nil {
		s.Retention = v.duration(rs.RetentionRng, "session.retention", *rs.Retention, time.Minute)
	}
	bound := func(p *int, rng hcl.Range, field string, dst *int) {
		if p == nil {
			return
		}
		if *p < 1 {
			v.errorf(rng, field, "must be at least 1 (memory is bounded per session)")
			return
		}
		*dst = *p
	}
	bound(rs.MaxItems, rs.MaxItemsRng, "session.max_items", &s.MaxItems)
	bound(rs.MaxMarks, rs.MaxMarksRng, "session.max_marks", &s.MaxMarks)
	bound(rs.MaxFindings, rs.MaxFindRng, "session.max_findings", &s.MaxFindings)
	if rs.Mode != nil {
		s.Mode = *rs.Mode
		v.oneOf(rs.ModeRange, "session.mode", s.Mode, ModeOff, ModeMonitor, ModeEnforce)
	}
	if rs.Quarantine != nil {
		s.Quarantine = *rs.Quarantine
		v.oneOf(rs.QuarRange, "session.quarantine", s.Quarantine, QuarantineCritical, QuarantineHigh, QuarantineOff)
	}
	if rs.QuarantineFor != nil {
		s.QuarantineFor = v.duration(rs.QuarForRange, "session.quarantine_for", *rs.QuarantineFor, 0)
	}
}

func orRange(r, fallback hcl.Range) hcl.Range {
	if r.Filename == "" {
		return fallback
	}
	return r
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
