package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/runtime"
	"github.com/picketsec/picket/sdk"
)

// detector is one loaded detector with its policy.
type detector struct {
	policy config.Detector
	handle runtime.Handle
	info   sdk.Info
	kinds  map[sdk.Kind]bool // declared by the detector and allowed by config
	stats  *stats
	refs   *handleRefs
	// history: the detector sees items already judged in the session too.
	history bool
}

// builtin says whether the detector is compiled into the host.
func (d *detector) builtin() bool { return d.handle.Runtime() == runtime.SourceBuiltin }

// handleRefs counts the sets that use a handle, so that a reload closes a
// handle only when no set holds it any more.
type handleRefs struct {
	n      atomic.Int32
	handle runtime.Handle
}

func (r *handleRefs) release() {
	if r.n.Add(-1) == 0 {
		r.handle.Close()
	}
}

// Set is an immutable, loaded configuration: the config and its detectors.
// A reload builds a new Set, reusing the handles of detectors whose spec did
// not change, and swaps it in.
type Set struct {
	Config    *config.Config
	detectors []*detector
	// signature identifies what judges items (detectors, versions, kinds,
	// configs): session memory reuses findings only of the same signature.
	signature string

	// Evaluations in flight. A retired set takes no new ones and closes
	// drained when the last one is done.
	mu      sync.Mutex
	active  int
	retired bool
	drained chan struct{}
}

// acquire registers an evaluation on s; false means s was retired (a
// reload swapped it out) and the caller should load the current set.
func (s *Set) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retired {
		return false
	}
	s.active++
	return true
}

// done ends an evaluation registered by acquire.
func (s *Set) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.retired && s.active == 0 {
		close(s.drained)
	}
}

// retire stops new evaluations on s; the channel is closed once the ones
// in flight are done.
func (s *Set) retire() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.retired {
		s.retired = true
		s.drained = make(chan struct{})
		if s.active == 0 {
			close(s.drained)
		}
	}
	return s.drained
}

// LoadError is a detector of the config that did not load, with the field
// at fault and where it is in the config file, so that serve, scan and
// detectors refuse it as config check does.
type LoadError struct {
	Detector string
	Field    string // "detector", "path", "sha256", "config" or "kinds"
	Where    string // file:line of the field; "" for the embedded defaults
	Err      error
}

func (e *LoadError) Error() string {
	msg := fmt.Sprintf("invalid detector %q %s: %v", e.Detector, e.Field, e.Err)
	if e.Where == "" {
		return msg
	}
	return e.Where + ": " + msg
}

func (e *LoadError) Unwrap() error { return e.Err }

// Locate returns err, from loading or checking pol, as a *LoadError naming
// the field the runtime blamed (runtime.FieldError) and its position.
func Locate(pol config.Detector, err error) *LoadError {
	le := &LoadError{Detector: pol.Name, Field: "detector", Where: pol.Where.Block, Err: err}
	var fe *runtime.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case "path":
			le.Field, le.Where = "path", pol.Where.Path
		case "sha256":
			le.Field, le.Where = "sha256", pol.Where.SHA256
		case "config":
			le.Field, le.Where = "config", pol.Where.Config
		}
	}
	return le
}

// CheckKinds returns an error when a detector's configured kinds share
// nothing with the kinds it declares (it would never be called).
func CheckKinds(pol config.Detector, declared []sdk.Kind) error {
	if len(pol.Kinds) == 0 {
		return nil
	}
	for _, k := range declared {
		if slices.Contains(pol.Kinds, k) {
			return nil
		}
	}
	return &LoadError{Detector: pol.Name, Field: "kinds", Where: pol.Where.Block,
		Err: fmt.Errorf("config kinds %v share nothing with the kinds it declares %v", pol.Kinds, declared)}
}

// Skipped is a detector of the config that could not be loaded.
type Skipped struct {
	Name string
	Err  error
}

func sameSpec(a, b config.Detector) bool {
	return a.Source == b.Source && a.Path == b.Path && a.SHA256 == b.SHA256 &&
		a.Name == b.Name && bytes.Equal(a.Config, b.Config) && a.MaxMemory == b.MaxMemory && a.MaxCPU == b.MaxCPU
}

// buildSet loads the detectors of cfg. With strict, any detector that fails
// to load fails the whole set; otherwise it is skipped (and the previous
// set's detector of that name, if any, is kept).
func (e *Engine) buildSet(ctx context.Context, cfg *config.Config, prev *Set, strict bool) (*Set, []Skipped, error) {
	set := &Set{Config: cfg}
	var skipped []Skipped
	fail := func(err error) (*Set, []Skipped, error) {
		for _, d := range set.detectors {
			d.refs.release()
		}
		return nil, nil, err
	}
	for _, pol := range cfg.Detectors {
		if !pol.Enabled {
			continue
		}
		var old *detector
		if prev != nil {
			for _, d := range prev.detectors {
				if d.policy.Name == pol.Name {
					old = d
				}
			}
		}
		var (
			h    runtime.Handle
			refs *handleRefs
		)
		if old != nil && sameSpec(old.policy, pol) {
			h, refs = old.handle, old.refs
			refs.n.Add(1)
		} else {
			spec := runtime.Spec{Name: pol.Name, Source: pol.Source, Path: pol.Path, SHA256: pol.SHA256, Config: pol.Config, Timeout: pol.Timeout,
				MaxMemory: pol.MaxMemory, MaxCPU: pol.MaxCPU}
			loaded, err := runtime.Load(ctx, spec, runtime.Options{Logger: e.log.Named("plugin"), CacheDir: e.cacheDir, Builtins: e.builtins,
				WasmMemory: cfg.Limits.WasmMemory})
			if err != nil {
				err = Locate(pol, err)
				if strict {
					return fail(err)
				}
				skipped = append(skipped, Skipped{Name: pol.Name, Err: err})
				if old == nil {
					continue
				}
				// Keep running what worked before.
				h, refs, pol = old.handle, old.refs, old.policy
				refs.n.Add(1)
			} else {
				h = loaded
				refs = &handleRefs{handle: h}
				refs.n.Store(1)
			}
		}
		info := h.Info()
		d := &detector{policy: pol, handle: h, info: info, stats: e.statsFor(pol.Name), refs: refs, kinds: map[sdk.Kind]bool{},
			history: pol.History || info.History}
		for _, k := range info.Kinds {
			if len(pol.Kinds) == 0 || slices.Contains(pol.Kinds, k) {
				d.kinds[k] = true
			}
		}
		if len(d.kinds) == 0 {
			err := CheckKinds(pol, info.Kinds)
			if err == nil {
				err = &LoadError{Detector: pol.Name, Field: "kinds", Where: pol.Where.Block, Err: fmt.Errorf("declares no kinds")}
			}
			refs.release()
			if strict {
				return fail(err)
			}
			skipped = append(skipped, Skipped{Name: pol.Name, Err: err})
			continue
		}
		set.detectors = append(set.detectors, d)
	}
	set.signature = signature(set.detectors)
	return set, skipped, nil
}

// release drops this set's hold on its handles once the calls in flight on
// it are done.
func (s *Set) release() {
	drained := s.retire()
	go func() {
		<-drained
		for _, d := range s.detectors {
			d.refs.release()
		}
	}()
}

// Load replaces the running set with one built from cfg. At start (no set
// yet) any detector that fails to load is an error; on reload such a
// detector is skipped, its previous instance kept if there was one, and the
// returned Skipped list says why.
func (e *Engine) Load(ctx context.Context, cfg *config.Config) ([]Skipped, error) {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	prev := e.set.Load()
	set, skipped, err := e.buildSet(ctx, cfg, prev, prev == nil)
	if err != nil {
		return nil, err
	}
	if prev != nil && len(set.detectors) == 0 && len(prev.detectors) > 0 {
		// Every detector of the new config failed to load: swapping it in
		// would allow every event unscanned.
		for _, d := range set.detectors {
			d.refs.release()
		}
		errs := make([]error, 0, len(skipped))
		for _, s := range skipped {
			errs = append(errs, s.Err)
		}
		return nil, fmt.Errorf("engine: no detector of the new config loads, refusing it and keeping the running one: %w", errors.Join(errs...))
	}
	e.set.Store(set)
	if prev != nil {
		prev.release()
	}
	for _, s := range skipped {
		e.log.Error("detector not loaded", "detector", s.Name, "error", s.Err)
	}
	return skipped, nil
}

// Close unloads every detector.
func (e *Engine) Close() error {
	e.loadMu.Lock()
	defer e.loadMu.Unlock()
	if s := e.set.Swap(nil); s != nil {
		<-s.retire()
		var errs []error
		for _, d := range s.detectors {
			if d.refs.n.Add(-1) == 0 {
				errs = append(errs, d.handle.Close())
			}
		}
		return errors.Join(errs...)
	}
	return nil
}

// Config returns the running config, or nil before Load.
func (e *Engine) Config() *config.Config {
	if s := e.set.Load(); s != nil {
		return s.Config
	}
	return nil
}

// DetectorStatus describes one loaded detector for the API and CLI.
type DetectorStatus struct {
	Name        string     `json:"name"`
	ID          string     `json:"id"`
	Version     string     `json:"version"`
	Runtime     string     `json:"runtime"`
	Kinds       []sdk.Kind `json:"kinds"`
	Mode        string     `json:"mode,omitempty"`
	Action      string     `json:"action"`
	MinSeverity string     `json:"min_severity"`
	Fail        string     `json:"fail"`
	Health      string     `json:"health"` // "ok" or the reason it is not
	// Restarts counts the restarts of a plugin process (crashes, repeated
	// timeouts, bounds); LastRestart says when and why the last was.
	Restarts    int              `json:"restarts,omitempty"`
	LastRestart *runtime.Restart `json:"last_restart,omitempty"`
	Stats
}

// Detectors lists the loaded detectors.
func (e *Engine) Detectors() []DetectorStatus {
	s := e.set.Load()
	if s == nil {
		return nil
	}
	out := make([]DetectorStatus, 0, len(s.detectors))
	for _, d := range s.detectors {
		st := DetectorStatus{
			Name: d.policy.Name, ID: d.info.ID, Version: d.info.Version, Runtime: d.handle.Runtime(),
			Mode: d.policy.Mode, Action: d.policy.Action, MinSeverity: d.policy.MinSeverity.String(),
			Fail: d.policy.Fail, Health: "ok", Stats: d.stats.snapshot(),
		}
		for _, k := range sdk.Kinds {
			if d.kinds[k] {
				st.Kinds = append(st.Kinds, k)
			}
		}
		if err := d.health(); err != nil {
			st.Health = err.Error()
		}
		if r, ok := d.handle.(runtime.Restarts); ok {
			if n, last := r.Restarts(); n > 0 {
				st.Restarts, st.LastRestart = n, &last
			}
		}
		out = append(out, st)
	}
	return out
}

// Healthy returns an error naming the detectors that are not healthy.
func (e *Engine) Healthy() error {
	s := e.set.Load()
	if s == nil {
		return errors.New("no config loaded")
	}
	var errs []error
	for _, d := range s.detectors {
		if err := d.health(); err != nil {
			errs = append(errs, fmt.Errorf("detector %q: %w", d.policy.Name, err))
		}
	}
	return errors.Join(errs...)
}

// health is the handle's own health, else an error while the detector's
// recent calls fail in a row.
func (d *detector) health() error {
	if err := d.handle.Healthy(); err != nil {
		return err
	}
	if n, last := d.stats.failing(); n >= UnhealthyAfter {
		return fmt.Errorf("failing: the last %d calls ended in %s", n, last)
	}
	return nil
}

func (e *Engine) statsFor(name string) *stats {
	e.statsMu.Lock()
	defer e.statsMu.Unlock()
	s, ok := e.stats[name]
	if !ok {
		s = &stats{}
		e.stats[name] = s
	}
	return s
}

// signature hashes what decides the findings of an item: each detector's
// name, identity, version, kinds and config (policy, such as thresholds and
// allowlists, is applied again on reuse and is left out).
func signature(ds []*detector) string {
	h := sha256.New()
	for _, d := range ds {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", d.policy.Name, d.info.ID, d.info.Version, d.handle.Runtime())
		for _, k := range sdk.Kinds {
			if d.kinds[k] {
				fmt.Fprintf(h, "%s,", k)
			}
		}
		fmt.Fprintf(h, "\x00%t\x00%d:", d.history, len(d.policy.Config))
		h.Write(d.policy.Config)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// Signature identifies the running detector set for session memory: items
// judged under another signature are judged again.
func (e *Engine) Signature() string {
	if s := e.set.Load(); s != nil {
		return s.signature
	}
	return ""
}
