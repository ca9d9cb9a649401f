package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/picketsec/picket/sdk"
	sdkplugin "github.com/picketsec/picket/sdk/plugin"
)

// Process plugin timings.
const (
	processStartTimeout = 10 * time.Second
	restartMinBackoff   = 100 * time.Millisecond
	restartMaxBackoff   = 30 * time.Second
)

// processHandle runs a detector as a hashicorp/go-plugin process over gRPC.
// When the process dies, calls fail at once (the engine applies the
// detector's fail policy) while a goroutine restarts it with backoff and
// replays the last config.
type processHandle struct {
	spec   Spec
	sum    []byte
	logger hclog.Logger
	done   chan struct{} // closed by Close

	mu     sync.Mutex
	client *goplugin.Client
	runner *pluginRunner // the client's process
	det    sdk.Detector
	info   sdk.Info
	config []byte
	down   error // set while the process is down
	closed bool
	// restarts counts the restarts (crashes, timeouts, bounds) and last
	// says when and why the last one was.
	restarts int
	last     Restart
}

// Restart is when and why a plugin process was last restarted.
type Restart struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
}

// Restarts is a handle whose detector runs in a process that is restarted
// when it crashes, wedges or goes over its bounds.
type Restarts interface {
	// Restarts returns how many times the process was restarted, and the
	// last time (zero when never).
	Restarts() (int, Restart)
}

// Interface guards.
var (
	_ Handle   = (*processHandle)(nil)
	_ Restarts = (*processHandle)(nil)
)

func loadProcess(ctx context.Context, spec Spec, opts Options) (Handle, error) {
	sum, _, err := checkFile(spec, false)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	h := &processHandle{
		spec:   spec,
		sum:    sum,
		logger: opts.Logger.Named(spec.Name),
		done:   make(chan struct{}),
	}
	if (spec.MaxMemory > 0 || spec.MaxCPU > 0) && !limitsSupported {
		h.logger.Warn("the memory and CPU bounds of process plugins are not enforced on this OS", "max_memory", spec.MaxMemory, "max_cpu", spec.MaxCPU)
	}
	client, runner, det, err := h.spawn(ctx)
	if err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	h.client, h.runner, h.det, h.info = client, runner, det, det.Info()
	go h.watch(client, runner)
	track(h)
	return h, nil
}

// spawn starts the plugin and dispenses its detector, within the start
// timeout and ctx. Nothing is left running on error.
func (h *processHandle) spawn(ctx context.Context) (*goplugin.Client, *pluginRunner, sdk.Detector, error) {
	var runner atomic.Pointer[pluginRunner]
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: sdkplugin.PluginSets(nil),
		// Our runner (stdio.go) checks the sha256 at every start, as
		// SecureConfig would, and always reads the plugin's stdout.
		RunnerFunc: newPluginRunner(h.spec.Path, h.sum, h.spec.MaxMemory, h.logger,
			func(r *pluginRunner) { runner.Store(r) }),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     processStartTimeout,
		Logger:           h.logger,
		Managed:          true,
		GRPCDialOptions: []grpc.DialOption{grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(sdkplugin.MaxMessageSize),
			grpc.MaxCallSendMsgSize(sdkplugin.MaxMessageSize),
		)},
	})
	type result struct {
		det sdk.Detector
		err error
	}
	ch := make(chan result, 1)
	go func() {
		rpc, err := client.Client()
		if err != nil {
			// go-plugin's start errors run over several lines of hints;
			// the first line says what happened.
			msg, _, _ := strings.Cut(err.Error(), "\n")
			if exitedWithin(client, 200*time.Millisecond) {
				msg = "plugin exited during the handshake: " + msg
			}
			ch <- result{err: fmt.Errorf("start %s: %s", h.spec.Path, strings.TrimSpace(msg))}
			return
		}
		raw, err := rpc.Dispense(sdkplugin.Name)
		if err != nil {
			ch <- result{err: fmt.Errorf("dispense: %w", err)}
			return
		}
		det, ok := raw.(sdk.Detector)
		if !ok {
			ch <- result{err: fmt.Errorf("dispense: plugin gave %T, not a detector", raw)}
			return
		}
		ch <- result{det: det}
	}()
	timer := time.NewTimer(processStartTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			client.Kill()
			return nil, nil, nil, r.err
		}
		return client, runner.Load(), r.det, nil
	case <-ctx.Done():
		client.Kill()
		return nil, nil, nil, fmt.Errorf("start %s: %w", h.spec.Path, ctx.Err())
	case <-timer.C:
		client.Kill()
		return nil, nil, nil, fmt.Errorf("start %s: no answer within %v", h.spec.Path, processStartTimeout)
	}
}

// Runtime returns SourceProcess.
func (h *processHandle) Runtime() string { return SourceProcess }

// Info returns the Info the plugin gave when it was loaded.
func (h *processHandle) Info() sdk.Info { return h.info }

// current returns the live detector, or the reason there is none.
func (h *processHandle) current() (*goplugin.Client, sdk.Detector, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, nil, errors.New("process: detector is closed")
	case h.down != nil:
		return nil, nil, h.down
	}
	if h.client.Exited() {
		h.markDownLocked(h.client, exited(h.runner))
		return nil, nil, h.down
	}
	return h.client, h.det, nil
}

// Healthy returns nil when the plugin process is running.
func (h *processHandle) Healthy() error {
	_, _, err := h.current()
	return err
}

// Configure sends the config to the plugin and keeps it for restarts.
func (h *processHandle) Configure(ctx context.Context, config []byte) error {
	client, det, err := h.current()
	if err != nil {
		return err
	}
	ctx, cancel := callContext(ctx, h.spec)
	defer cancel()
	if err := det.Configure(ctx, config); err != nil {
		h.checkCrash(ctx, client, err)
		return err
	}
	h.mu.Lock()
	h.config = append([]byte(nil), config...)
	h.mu.Unlock()
	return nil
}

// Detect calls the plugin. Findings that break the contract fail the call.
func (h *processHandle) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	client, det, err := h.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := callContext(ctx, h.spec)
	defer cancel()
	fs, err := det.Detect(ctx, ev)
	if err != nil {
		h.checkCrash(ctx, client, err)
		return nil, err
	}
	if err := ValidateFindings(ev, fs); err != nil {
		return nil, fmt.Errorf("process: %w", err)
	}
	return fs, nil
}

// checkCrash marks the plugin down when a failed call shows that its
// process died or its connection broke.
func (h *processHandle) checkCrash(ctx context.Context, client *goplugin.Client, err error) {
	if client.Exited() {
		h.mu.Lock()
		runner := h.runner
		if h.client != client {
			runner = nil
		}
		h.markDownLocked(client, exited(runner))
		h.mu.Unlock()
		return
	}
	if ctx.Err() == nil && status.Code(err) == codes.Unavailable {
		// The connection breaks a moment before the exit is seen.
		if exitedWithin(client, 500*time.Millisecond) {
			h.checkCrash(ctx, client, err)
			return
		}
		h.markDown(client, errors.New("plugin connection lost"))
	}
}

func (h *processHandle) markDown(client *goplugin.Client, cause error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.markDownLocked(client, cause)
}

// markDownLocked records that client is down and starts its restart, unless
// it was replaced already or the handle is closed.
func (h *processHandle) markDownLocked(client *goplugin.Client, cause error) {
	if h.closed || h.client != client || h.down != nil {
		return
	}
	h.down = fmt.Errorf("process: detector down (%v); restarting", cause)
	h.restarts++
	h.last = Restart{At: time.Now(), Reason: cause.Error()}
	h.logger.Error("plugin process down; restarting", "error", cause)
	go h.restart(client)
}

// exited is the cause of a plugin process's exit, for health and logs.
func exited(r *pluginRunner) error {
	if r != nil {
		if why := r.exitCause(); why != "" {
			return fmt.Errorf("plugin process exited: %s", why)
		}
	}
	return errors.New("plugin process exited")
}

// Restarts implements Restarts.
func (h *processHandle) Restarts() (int, Restart) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.restarts, h.last
}

// watch samples the memory and CPU of client's process until it exits or
// is replaced, and restarts it when it goes over the bounds of the spec.
func (h *processHandle) watch(client *goplugin.Client, runner *pluginRunner) {
	if (h.spec.MaxMemory <= 0 && h.spec.MaxCPU <= 0) || !limitsSupported || runner == nil {
		return
	}
	w := newLimitWatch(h.spec)
	t := time.NewTicker(limitPoll)
	defer t.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
		}
		h.mu.Lock()
		current := h.client == client && h.down == nil
		h.mu.Unlock()
		if !current || client.Exited() {
			return
		}
		s, err := sampleProc(runner.pid)
		if err != nil {
			continue // it exited between the check and the read
		}
		if err := w.over(s); err != nil {
			h.logger.Warn("plugin process over its bounds; killing it", "error", err)
			h.markDown(client, err)
			return
		}
	}
}

// restart kills the old process and starts a new one, retrying with
// exponential backoff until it succeeds or the handle is closed.
func (h *processHandle) restart(old *goplugin.Client) {
	old.Kill()
	backoff := restartMinBackoff
	for attempt := 1; ; attempt++ {
		select {
		case <-h.done:
			return
		case <-time.After(backoff):
		}
		if shuttingDown.Load() {
			return
		}
		client, runner, det, err := h.respawn()
		if err == nil {
			h.mu.Lock()
			if h.closed {
				h.mu.Unlock()
				client.Kill()
				return
			}
			h.client, h.runner, h.det, h.down = client, runner, det, nil
			h.mu.Unlock()
			go h.watch(client, runner)
			h.logger.Info("plugin process restarted", "attempt", attempt)
			return
		}
		h.logger.Warn("plugin restart failed", "attempt", attempt, "error", err, "retry_in", backoff)
		backoff = min(2*backoff, restartMaxBackoff)
	}
}

// respawn starts a fresh process and replays the config. The new process
// must be the same detector.
func (h *processHandle) respawn() (*goplugin.Client, *pluginRunner, sdk.Detector, error) {
	ctx, cancel := context.WithTimeout(context.Background(), processStartTimeout)
	defer cancel()
	client, runner, det, err := h.spawn(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if id := det.Info().ID; id != h.info.ID {
		client.Kill()
		return nil, nil, nil, fmt.Errorf("restarted plugin is detector %q, was %q", id, h.info.ID)
	}
	h.mu.Lock()
	config := h.config
	h.mu.Unlock()
	if config != nil {
		if err := det.Configure(ctx, config); err != nil {
			client.Kill()
			return nil, nil, nil, fmt.Errorf("configure: %w", err)
		}
	}
	return client, runner, det, nil
}

// Restart kills the plugin process and starts a new one (with backoff,
// replaying the config), as after a crash: the engine does so when the
// plugin times out again and again (a plugin wedged on a full stdout pipe,
// or deadlocked in Detect).
func (h *processHandle) Restart(reason error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client != nil {
		h.markDownLocked(h.client, reason)
	}
}

// pid is the plugin's process ID, for tests.
func (h *processHandle) pid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n, _ := strconv.Atoi(h.client.ID())
	return n
}

// Close kills the plugin process and stops restarts.
func (h *processHandle) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	close(h.done)
	client := h.client
	h.mu.Unlock()
	untrack(h)
	client.Kill()
	return nil
}

// exitedWithin reports whether the plugin process exits within d: a start
// error is often noticed just before the exit is.
func exitedWithin(client *goplugin.Client, d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(10 * time.Millisecond) {
		if client.Exited() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
