// Package runtime loads detectors into the host: compiled in (builtin), as
// hashicorp/go-plugin processes (process) or as WebAssembly modules under
// wazero (wasm). Whatever the source, the result is an sdk.Detector; the
// engine never knows which runtime serves it.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/sdk"
)

// Sources a detector can be loaded from.
const (
	SourceBuiltin = "builtin"
	SourceProcess = "process"
	SourceWasm    = "wasm"
)

// Spec says where a detector comes from and how to configure it.
type Spec struct {
	Name    string        // the operator's name for it (the config block label)
	Source  string        // builtin | process | wasm
	Path    string        // binary or .wasm file (process, wasm)
	SHA256  string        // hex digest the file must have (process, wasm)
	Config  []byte        // JSON object handed to Configure; nil means "{}"
	Timeout time.Duration // per-call deadline the runtime may also enforce
	// MaxMemory and MaxCPU bound a process plugin (limits.go): resident
	// memory in bytes, and CPUs used on average over CPUWindow (0:
	// DefaultCPUWindow). 0 means no bound; other sources ignore them.
	MaxMemory int64
	MaxCPU    float64
	CPUWindow time.Duration
}

// Options are host-wide settings for loading detectors.
type Options struct {
	Logger   hclog.Logger
	CacheDir string // wazero compilation cache; empty disables caching on disk
	// Builtins adds compiled-in detectors to the registry for this load,
	// by ID: for programs that embed the host, and for tests.
	Builtins map[string]sdk.Factory
	// WasmMemory bounds the linear memory of all the WASM instances of the
	// process (0: DefaultWasmMemory). The first WASM load for a CacheDir
	// sets it; a later different value is logged and takes effect at the
	// next start.
	WasmMemory int64
}

// Handle is a loaded, configured detector.
type Handle interface {
	sdk.Detector
	// Runtime names the source the detector runs in.
	Runtime() string
	// Healthy returns nil when the detector can take calls.
	Healthy() error
	// Close releases the detector (kills its process, closes its module).
	Close() error
}

// ErrUnknownDetector is returned for a builtin name that is not registered.
var ErrUnknownDetector = errors.New("unknown builtin detector")

// FieldError is a Load error with the config field it is about: "name" (an
// unknown builtin), "path" (the file, its handshake, its Info), "sha256"
// or "config" (the detector refused its Configure).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// fieldOf wraps err as being about field, unless it already says its field.
func fieldOf(field string, err error) error {
	var fe *FieldError
	if err == nil || errors.As(err, &fe) {
		return err
	}
	return &FieldError{Field: field, Err: err}
}

// Load loads and configures the detector that spec describes. Errors name
// the detector and the reason; nothing is left running on error.
func Load(ctx context.Context, spec Spec, opts Options) (Handle, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if spec.Config == nil {
		spec.Config = []byte("{}")
	}
	var (
		h   Handle
		err error
	)
	switch spec.Source {
	case SourceBuiltin, "":
		h, err = loadBuiltin(spec, opts.Builtins)
	case SourceProcess:
		h, err = loadProcess(ctx, spec, opts)
	case SourceWasm:
		h, err = loadWasm(ctx, spec, opts)
	default:
		err = fmt.Errorf("unknown source %q (want builtin, process or wasm)", spec.Source)
	}
	if err != nil {
		field := "path"
		if errors.Is(err, ErrUnknownDetector) {
			field = "name"
		}
		return nil, fieldOf(field, fmt.Errorf("detector %q: %w", spec.Name, err))
	}
	info := h.Info()
	if err := info.Validate(); err != nil {
		h.Close()
		return nil, fieldOf("path", fmt.Errorf("detector %q: %w", spec.Name, err))
	}
	if err := h.Configure(ctx, spec.Config); err != nil {
		h.Close()
		return nil, fieldOf("config", fmt.Errorf("detector %q: config: %w", spec.Name, err))
	}
	return h, nil
}
