// Package wasmguest turns a Go detector into a picket WebAssembly module: a
// WASI reactor that implements the ABI of package wasmabi.
//
// The author registers a factory in init and leaves main empty:
//
//	package main
//
//	import (
//		"example.com/mydetector"
//		"github.com/picketsec/picket/sdk/wasmguest"
//	)
//
//	func init() { wasmguest.Register(mydetector.New) }
//
//	func main() {}
//
// and builds with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o mydetector.wasm
//
// The host calls one export at a time per instance, and runs several
// instances for concurrency, so the detector needs no locking of its own
// inside the module. Detect gets a context without deadline: the host
// enforces its deadline by stopping the instance.
//
// The package builds on every platform, so that the detector package and
// its main can be tested natively; the exports exist only under wasip1.
package wasmguest

import (
	"fmt"

	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/wasmabi"
)

var (
	factory  sdk.Factory
	instance sdk.Detector
)

// Register sets the factory of the module's detector. Call it once, from an
// init function. It panics when called twice or with nil: both are
// programming errors.
func Register(f sdk.Factory) {
	if f == nil {
		panic("wasmguest: Register(nil)")
	}
	if factory != nil {
		panic("wasmguest: Register called twice")
	}
	factory = f
}

// detector returns the module's detector, made on first use.
func detector() (sdk.Detector, error) {
	if instance == nil {
		if factory == nil {
			return nil, fmt.Errorf("wasmguest: no detector registered (call wasmguest.Register in init)")
		}
		instance = factory()
		if instance == nil {
			return nil, fmt.Errorf("wasmguest: factory returned nil")
		}
	}
	return instance, nil
}

// Log levels for Log.
const (
	LevelTrace = wasmabi.LevelTrace
	LevelDebug = wasmabi.LevelDebug
	LevelInfo  = wasmabi.LevelInfo
	LevelWarn  = wasmabi.LevelWarn
	LevelError = wasmabi.LevelError
)

// Log writes one line to the host's log, under the detector's name. The host
// keeps at most wasmabi.MaxLogLine bytes. Never log raw matches or secrets.
// Outside WebAssembly it does nothing.
func Log(level int, msg string) { hostLog(level, msg) }

// Logf is Log with formatting.
func Logf(level int, format string, args ...any) { hostLog(level, fmt.Sprintf(format, args...)) }
