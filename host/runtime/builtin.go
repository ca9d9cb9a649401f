package runtime

import (
	"fmt"
	"sort"

	"github.com/picketsec/picket/sdk"
)

// builtins is the immutable registry of detectors compiled into the host,
// keyed by detector ID.
var builtins = map[string]sdk.Factory{}

// Builtins returns the IDs of the compiled-in detectors, sorted.
func Builtins() []string {
	ids := make([]string, 0, len(builtins))
	for id := range builtins {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// BuiltinFactory returns the factory of a compiled-in detector.
func BuiltinFactory(id string) (sdk.Factory, bool) {
	f, ok := builtins[id]
	return f, ok
}

func loadBuiltin(spec Spec, extra map[string]sdk.Factory) (Handle, error) {
	f, ok := extra[spec.Name]
	if !ok {
		f, ok = builtins[spec.Name]
	}
	if !ok {
		return nil, fmt.Errorf("%w %q (have %v)", ErrUnknownDetector, spec.Name, Builtins())
	}
	return Wrap(f(), SourceBuiltin), nil
}

// Wrap turns a detector value into a Handle for the given runtime name.
func Wrap(d sdk.Detector, runtime string) Handle {
	return inproc{Detector: d, runtime: runtime}
}

type inproc struct {
	sdk.Detector
	runtime string
}

func (p inproc) Runtime() string { return p.runtime }
func (p inproc) Healthy() error  { return nil }
func (p inproc) Close() error {
	if c, ok := p.Detector.(sdk.Closer); ok {
		return c.Close()
	}
	return nil
}
