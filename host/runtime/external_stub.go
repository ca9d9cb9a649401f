package runtime

import (
	"context"
	"errors"
)

// Placeholder until the process and wasm loaders land (issue: detector plugins).
// The plugins work replaces this file with process.go and wasm.go.

func loadProcess(ctx context.Context, spec Spec, opts Options) (Handle, error) {
	return nil, errors.New("process detectors are not supported by this build")
}

func loadWasm(ctx context.Context, spec Spec, opts Options) (Handle, error) {
	return nil, errors.New("wasm detectors are not supported by this build")
}
