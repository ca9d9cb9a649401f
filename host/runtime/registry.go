package runtime

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
)

// defaultCallTimeout bounds a call into a process or wasm detector when the
// spec gives no timeout and the caller's context has no deadline: a hung
// plugin must not hold a request forever.
const defaultCallTimeout = 10 * time.Second

// callContext applies the spec's timeout (or the default) to ctx.
func callContext(ctx context.Context, spec Spec) (context.Context, context.CancelFunc) {
	if spec.Timeout > 0 {
		return context.WithTimeout(ctx, spec.Timeout)
	}
	if _, ok := ctx.Deadline(); !ok {
		return context.WithTimeout(ctx, defaultCallTimeout)
	}
	return ctx, func() {}
}

// open tracks the out-of-process and wasm handles that are loaded, so that
// Shutdown can close them.
var (
	openMu       sync.Mutex
	openHandles  = map[Handle]struct{}{}
	shuttingDown atomic.Bool
)

func track(h Handle) {
	openMu.Lock()
	openHandles[h] = struct{}{}
	openMu.Unlock()
}

func untrack(h Handle) {
	openMu.Lock()
	delete(openHandles, h)
	openMu.Unlock()
}

// Shutdown closes every process and wasm detector still loaded and kills
// every plugin process, so that none outlives the host. The server calls it
// on SIGINT/SIGTERM before exiting (deferred functions do not run when a
// signal ends the process). Crashed plugins are not restarted afterwards.
// It is safe to call more than once.
func Shutdown() {
	shuttingDown.Store(true)
	openMu.Lock()
	hs := make([]Handle, 0, len(openHandles))
	for h := range openHandles {
		hs = append(hs, h)
	}
	openMu.Unlock()
	for _, h := range hs {
		h.Close()
	}
	goplugin.CleanupClients()
}
