package runtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	goruntime "runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/wasmabi"
)

// WASM limits.
const (
	// wasmMemoryLimitPages caps the linear memory of every instance:
	// 2048 pages of 64 KiB = 128 MiB. A Go guest needs 3–8 MiB.
	wasmMemoryLimitPages = 2048
	// wasmInstantiateTimeout bounds making one instance (_initialize and
	// configure included).
	wasmInstantiateTimeout = 30 * time.Second
	// DefaultWasmMemory bounds the linear memory of all the instances of
	// all the WASM detectors of a host when Options.WasmMemory does not
	// (config limits.wasm_memory): each live instance reserves the
	// per-instance cap, so at most WasmMemory/128 MiB instances live at
	// once (idle ones of other detectors are closed to make room).
	DefaultWasmMemory = 512 << 20
	// wasmIdleMemory is the most linear memory an instance may keep in
	// the pool beyond twice what it held once configured; one that grew
	// past both is closed after its call.
	wasmIdleMemory = 16 << 20
)

// wasmSlots is how many instances a host whose instances may hold total
// bytes keeps alive at most.
func wasmSlots(total int64) int { return int(max(1, total/(wasmMemoryLimitPages*65536))) }

// wasmCallers is how many WASM calls run at once on a host, all detectors
// together: one per CPU. Native WASM code is not preempted by the Go
// scheduler, so more calls than CPUs would only queue on them; the engine
// gives built-in detectors their own deadline, so that calls spinning on
// every CPU until their deadline delay their verdict but never change it.
func wasmCallers() int { return max(1, goruntime.GOMAXPROCS(0)) }

// wasmHost is the one wazero runtime of the process for a given cache
// directory, with the modules it compiled, keyed by sha256.
type wasmHost struct {
	rt wazero.Runtime

	mu      sync.Mutex
	modules map[[32]byte]*compiledModule
	handles map[*wasmHandle]bool

	slots   chan struct{} // one token per live instance, all detectors
	callers chan struct{} // one token per call running
	live    atomic.Int64  // live instances, for tests and metrics
}

// reserve takes a slot for a new instance of h: at once when one is free,
// else by closing an idle instance of another detector, else by waiting.
// A spare instance (a replacement made ahead of need) only takes a free
// slot.
func (w *wasmHost) reserve(ctx context.Context, h *wasmHandle, spare bool) error {
	select {
	case w.slots <- struct{}{}:
		w.live.Add(1)
		return nil
	default:
	}
	if spare {
		return errNoSpareSlot
	}
	w.mu.Lock()
	others := make([]*wasmHandle, 0, len(w.handles))
	for o := range w.handles {
		if o != h {
			others = append(others, o)
		}
	}
	w.mu.Unlock()
	for _, o := range others {
		if o.evictIdle() {
			break
		}
	}
	select {
	case w.slots <- struct{}{}:
		w.live.Add(1)
		return nil
	case <-ctx.Done():
		return &slotsBusy{n: cap(w.slots), err: ctx.Err()}
	}
}

var errNoSpareSlot = errors.New("no free instance slot for a spare")

// slotsBusy says that a call waited for an instance slot in vain: the host
// is busy, the detector is not broken.
type slotsBusy struct {
	n   int
	err error
}

func (e *slotsBusy) Error() string {
	return fmt.Sprintf("all %d WASM instances of the host (%d MiB) are in use: %v", e.n, e.n*wasmMemoryLimitPages>>4, e.err)
}

func (e *slotsBusy) Unwrap() error { return e.err }

func (w *wasmHost) unreserve() {
	w.live.Add(-1)
	<-w.slots
}

type compiledModule struct {
	mod  wazero.CompiledModule
	refs int
}

var (
	wasmHostsMu sync.Mutex
	wasmHosts   = map[string]*wasmHost{}
)

// hostFor returns the runtime for cacheDir, making it on first use with
// room for total bytes of instances (0: DefaultWasmMemory).
func hostFor(ctx context.Context, cacheDir string, total int64, logger hclog.Logger) (*wasmHost, error) {
	if total <= 0 {
		total = DefaultWasmMemory
	}
	wasmHostsMu.Lock()
	defer wasmHostsMu.Unlock()
	if h, ok := wasmHosts[cacheDir]; ok {
		if got := int64(cap(h.slots)) * wasmMemoryLimitPages * 65536; wasmSlots(total) != cap(h.slots) {
			logger.Warn("a new WASM memory bound takes effect at the next start", "running", size(got), "configured", size(total))
		}
		return h, nil
	}
	h, err := newWasmHost(ctx, cacheDir, true)
	if err != nil {
		return nil, err
	}
	h.slots = make(chan struct{}, wasmSlots(total)) // no instance yet
	wasmHosts[cacheDir] = h
	return h, nil
}

// newWasmHost makes a wazero runtime with the given compilation cache
// directory ("" keeps compiled code in memory only), WASI with nothing
// granted, and the picket host module.
//
// deadlines makes wazero compile termination checks into every loop and
// function so that a call past its deadline is stopped. The host always
// sets it (a detector that loops forever must not take an instance for
// ever); it costs Go guests about 3–4x per call, and the benchmarks measure
// that by turning it off.
func newWasmHost(ctx context.Context, cacheDir string, deadlines bool) (*wasmHost, error) {
	var cache wazero.CompilationCache
	if cacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("compilation cache %s: %w", cacheDir, err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	cfg := wazero.NewRuntimeConfig().
		WithCompilationCache(cache).
		WithCloseOnContextDone(deadlines).
		WithMemoryLimitPages(wasmMemoryLimitPages)
	rt := wazero.NewRuntimeWithConfig(ctx, cfg)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("wasi: %w", err)
	}
	_, err := rt.NewHostModuleBuilder(wasmabi.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(hostLog), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, nil).
		WithParameterNames("level", "ptr", "len").
		Export(wasmabi.ImportLog).
		Instantiate(ctx)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("host module: %w", err)
	}
	return &wasmHost{rt: rt, modules: map[[32]byte]*compiledModule{}, handles: map[*wasmHandle]bool{},
		slots: make(chan struct{}, wasmSlots(DefaultWasmMemory)), callers: make(chan struct{}, wasmCallers())}, nil
}

// compile compiles a module once per host; later loads of the same bytes
// share it.
func (w *wasmHost) compile(ctx context.Context, key [32]byte, data []byte) (wazero.CompiledModule, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c, ok := w.modules[key]; ok {
		c.refs++
		return c.mod, nil
	}
	mod, err := w.rt.CompileModule(ctx, data)
	if err != nil {
		return nil, err
	}
	w.modules[key] = &compiledModule{mod: mod, refs: 1}
	return mod, nil
}

func (w *wasmHost) release(key [32]byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.modules[key]
	if !ok {
		return
	}
	if c.refs--; c.refs == 0 {
		delete(w.modules, key)
		c.mod.Close(context.Background())
	}
}

type loggerKey struct{}

// hostLog implements the picket.log import: (level, ptr, len) -> ().
func hostLog(ctx context.Context, mod api.Module, stack []uint64) {
	logger, _ := ctx.Value(loggerKey{}).(hclog.Logger)
	if logger == nil {
		return
	}
	level, ptr, n := uint32(stack[0]), uint32(stack[1]), uint32(stack[2])
	if n > wasmabi.MaxLogLine {
		n = wasmabi.MaxLogLine
	}
	b, ok := mod.Memory().Read(ptr, n)
	if !ok {
		logger.Warn("guest log: message outside memory", "ptr", ptr, "len", n)
		return
	}
	msg := string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	switch level {
	case wasmabi.LevelTrace:
		logger.Trace(msg)
	case wasmabi.LevelDebug:
		logger.Debug(msg)
	case wasmabi.LevelInfo:
		logger.Info(msg)
	case wasmabi.LevelWarn:
		logger.Warn(msg)
	default:
		logger.Error(msg)
	}
}

// checkModule verifies a compiled module's exports and imports against the
// ABI, naming the first thing wrong.
func checkModule(m wazero.CompiledModule) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	want := []struct {
		name           string
		params, result []api.ValueType
	}{
		{wasmabi.ExportABIVersion, nil, []api.ValueType{i32}},
		{wasmabi.ExportAlloc, []api.ValueType{i32}, []api.ValueType{i32}},
		{wasmabi.ExportInfo, nil, []api.ValueType{i64}},
		{wasmabi.ExportConfigure, []api.ValueType{i32, i32}, []api.ValueType{i64}},
		{wasmabi.ExportDetect, []api.ValueType{i32, i32}, []api.ValueType{i64}},
	}
	exports := m.ExportedFunctions()
	for _, w := range want {
		def, ok := exports[w.name]
		if !ok {
			return fmt.Errorf("module does not export %s (is it a picket detector built as a reactor?)", w.name)
		}
		if !sameTypes(def.ParamTypes(), w.params) || !sameTypes(def.ResultTypes(), w.result) {
			return fmt.Errorf("export %s is %s, want %s", w.name, signature(def.ParamTypes(), def.ResultTypes()), signature(w.params, w.result))
		}
	}
	if def, ok := exports[wasmabi.ExportInitialize]; ok && (len(def.ParamTypes()) > 0 || len(def.ResultTypes()) > 0) {
		return fmt.Errorf("export %s is %s, want () -> ()", wasmabi.ExportInitialize, signature(def.ParamTypes(), def.ResultTypes()))
	}
	if _, ok := m.ExportedMemories()[wasmabi.ExportMemory]; !ok {
		return fmt.Errorf("module does not export its memory as %q", wasmabi.ExportMemory)
	}
	if len(m.ImportedMemories()) > 0 {
		return errors.New("module imports a memory; it must define its own")
	}
	for _, def := range m.ImportedFunctions() {
		mod, name, _ := def.Import()
		switch {
		case mod == wasi_snapshot_preview1.ModuleName:
		case mod == wasmabi.ImportModule && name == wasmabi.ImportLog:
			if !sameTypes(def.ParamTypes(), []api.ValueType{i32, i32, i32}) || len(def.ResultTypes()) > 0 {
				return fmt.Errorf("import %s.%s is %s, want (i32, i32, i32) -> ()", mod, name, signature(def.ParamTypes(), def.ResultTypes()))
			}
		default:
			return fmt.Errorf("module imports %s.%s, which the host does not provide", mod, name)
		}
	}
	return nil
}

func sameTypes(a, b []api.ValueType) bool {
	return bytes.Equal(a, b)
}

func signature(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		var b bytes.Buffer
		for i, t := range ts {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(api.ValueTypeName(t))
		}
		return b.String()
	}
	return "(" + names(params) + ") -> (" + names(results) + ")"
}

// wasmHandle is a detector in a WebAssembly module: one compiled module and
// a pool of instances, each serving one call at a time. An instance whose
// call trapped, timed out or answered garbage is closed and replaced, never
// reused.
type wasmHandle struct {
	spec     Spec
	logger   hclog.Logger
	host     *wasmHost
	key      [32]byte
	compiled wazero.CompiledModule
	info     sdk.Info
	sem      chan struct{} // one token per instance in use
	max      int

	mu      sync.Mutex
	idle    []*wasmInstance
	config  []byte
	gen     int // config generation; instances with an older one are reconfigured
	lastErr error
	closed  bool
	// Instances are made in the background (grow), never on a caller's
	// deadline: a caller that finds none idle waits for whichever comes
	// first, an instance another call gives back or the one being made.
	making   int           // instances being made
	waiting  int           // callers waiting for an instance
	changed  chan struct{} // closed (and replaced) when an instance is made or fails to be
	failures int           // instances that could not be made
	growErr  error         // why the last one could not
}

// Interface guard.
var _ Handle = (*wasmHandle)(nil)

// wasmInstance is one instantiated module with its exports resolved.
type wasmInstance struct {
	host                           *wasmHost
	closeOnce                      sync.Once
	mod                            api.Module
	mem                            api.Memory
	alloc, info, configure, detect api.Function
	stack                          []uint64
	inPtr, inCap                   uint32 // the request buffer from picket_alloc
	req                            []byte // reused encoding buffer
	gen                            int
	// configured is the linear memory the instance held right after its
	// last configure: a detector with many compiled rules needs more than
	// wasmIdleMemory to begin with, and is judged by its growth from there.
	configured uint64
}

func loadWasm(ctx context.Context, spec Spec, opts Options) (Handle, error) {
	sum, data, err := checkFile(spec, true)
	if err != nil {
		return nil, fmt.Errorf("wasm: %w", err)
	}
	host, err := hostFor(ctx, opts.CacheDir, opts.WasmMemory, opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("wasm: %w", err)
	}
	return loadWasmOn(ctx, host, spec, opts, sum, data)
}

// loadWasmOn loads a checked module on a given runtime.
func loadWasmOn(ctx context.Context, host *wasmHost, spec Spec, opts Options, sum, data []byte) (Handle, error) {
	var key [32]byte
	copy(key[:], sum)
	compiled, err := host.compile(ctx, key, data)
	if err != nil {
		return nil, fmt.Errorf("wasm: compile %s: %w", spec.Path, err)
	}
	if err := checkModule(compiled); err != nil {
		host.release(key)
		return nil, fmt.Errorf("wasm: %s: %w", spec.Path, err)
	}
	n := goruntime.GOMAXPROCS(0)
	h := &wasmHandle{
		spec:     spec,
		logger:   opts.Logger.Named(spec.Name),
		host:     host,
		key:      key,
		compiled: compiled,
		sem:      make(chan struct{}, n),
		max:      n,
		changed:  make(chan struct{}),
	}
	// One instance now: it fails fast on a broken module and gives the
	// ABI version and the Info.
	inst, err := h.instantiate(ctx, false)
	if err != nil {
		host.release(key)
		return nil, fmt.Errorf("wasm: %s: %w", spec.Path, err)
	}
	info, err := h.loadInfo(ctx, inst)
	if err != nil {
		inst.close()
		host.release(key)
		return nil, fmt.Errorf("wasm: %s: %w", spec.Path, err)
	}
	h.info = info
	h.idle = append(h.idle, inst)
	host.mu.Lock()
	host.handles[h] = true
	host.mu.Unlock()
	track(h)
	return h, nil
}

// loadInfo checks the ABI version and reads the Info of a fresh instance.
func (h *wasmHandle) loadInfo(ctx context.Context, inst *wasmInstance) (sdk.Info, error) {
	ctx = h.callCtx(ctx)
	if err := inst.mod.ExportedFunction(wasmabi.ExportABIVersion).CallWithStack(ctx, inst.stack); err != nil {
		return sdk.Info{}, fmt.Errorf("%s: %w", wasmabi.ExportABIVersion, err)
	}
	if v := uint32(inst.stack[0]); v != wasmabi.Version {
		return sdk.Info{}, fmt.Errorf("module speaks ABI version %d, host speaks %d", v, wasmabi.Version)
	}
	res, err := inst.call(ctx, inst.info, false, nil)
	if err != nil {
		return sdk.Info{}, fmt.Errorf("%s: %w", wasmabi.ExportInfo, err)
	}
	info, err := wasmabi.DecodeInfoResponse(res)
	if err != nil {
		return sdk.Info{}, fmt.Errorf("%s: %w", wasmabi.ExportInfo, err)
	}
	return info, nil
}

// callCtx carries the detector's logger to the log import.
func (h *wasmHandle) callCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, loggerKey{}, h.logger)
}

// instantiate makes a new instance: no filesystem, no network, no
// environment; stdout and stderr go to the detector's log.
func (h *wasmHandle) instantiate(ctx context.Context, spare bool) (*wasmInstance, error) {
	if err := h.host.reserve(ctx, h, spare); err != nil {
		return nil, err
	}
	return h.instantiateReserved(ctx)
}

// instantiateReserved makes an instance in a slot already reserved for it;
// the slot is given back when it fails.
func (h *wasmHandle) instantiateReserved(ctx context.Context) (*wasmInstance, error) {
	reserved := true
	defer func() {
		if reserved {
			h.host.unreserve()
		}
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wasmInstantiateTimeout)
	defer cancel()
	ctx = h.callCtx(ctx)
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(). // _initialize is run below, so that its failure is reported as such
		WithStdout(lineLogger(h.logger, "stdout")).
		WithStderr(lineLogger(h.logger, "stderr")).
		WithSysNanotime().
		WithSysWalltime().
		WithRandSource(rand.Reader)
	mod, err := h.host.rt.InstantiateModule(ctx, h.compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("instantiate: %w", err)
	}
	if init := mod.ExportedFunction(wasmabi.ExportInitialize); init != nil {
		if _, err := init.Call(ctx); err != nil {
			mod.Close(context.Background())
			return nil, fmt.Errorf("%s: %w", wasmabi.ExportInitialize, err)
		}
	}
	inst := &wasmInstance{
		host:      h.host,
		mod:       mod,
		mem:       mod.Memory(),
		alloc:     mod.ExportedFunction(wasmabi.ExportAlloc),
		info:      mod.ExportedFunction(wasmabi.ExportInfo),
		configure: mod.ExportedFunction(wasmabi.ExportConfigure),
		detect:    mod.ExportedFunction(wasmabi.ExportDetect),
		stack:     make([]uint64, 2),
	}
	if inst.mem == nil {
		mod.Close(context.Background())
		return nil, errors.New("module has no memory")
	}
	reserved = false // the instance holds it now
	return inst, nil
}

// close closes the module and gives its slot back.
func (inst *wasmInstance) close() {
	inst.closeOnce.Do(func() {
		inst.mod.Close(context.Background())
		inst.host.unreserve()
	})
}

// call writes req into the instance's request buffer, calls fn(ptr, len)
// (or fn() when args is false) and returns a copy of the packed result.
func (inst *wasmInstance) call(ctx context.Context, fn api.Function, args bool, req []byte) ([]byte, error) {
	var ptr uint32
	inst.stack[0], inst.stack[1] = 0, 0
	if args && len(req) > 0 {
		if uint64(len(req)) > uint64(^uint32(0)) {
			return nil, errors.New("request too large")
		}
		n := uint32(len(req))
		if n > inst.inCap || inst.inPtr == 0 {
			inst.stack[0] = uint64(n)
			if err := inst.alloc.CallWithStack(ctx, inst.stack); err != nil {
				return nil, fmt.Errorf("%s: %w", wasmabi.ExportAlloc, err)
			}
			p := uint32(inst.stack[0])
			if p == 0 {
				return nil, fmt.Errorf("%s(%d) returned 0", wasmabi.ExportAlloc, n)
			}
			inst.inPtr, inst.inCap = p, n
		}
		if !inst.mem.Write(inst.inPtr, req) {
			return nil, fmt.Errorf("%s buffer [%d,+%d) is outside memory (%d bytes)", wasmabi.ExportAlloc, inst.inPtr, n, inst.mem.Size())
		}
		ptr = inst.inPtr
		inst.stack[0], inst.stack[1] = uint64(ptr), uint64(n)
	}
	if err := fn.CallWithStack(ctx, inst.stack); err != nil {
		return nil, err
	}
	rp, rn := wasmabi.Unpack(inst.stack[0])
	if rn == 0 {
		return nil, nil
	}
	b, ok := inst.mem.Read(rp, rn)
	if !ok {
		return nil, fmt.Errorf("result [%d,+%d) is outside memory (%d bytes)", rp, rn, inst.mem.Size())
	}
	return bytes.Clone(b), nil
}

// Runtime returns SourceWasm.
func (h *wasmHandle) Runtime() string { return SourceWasm }

// Info returns the Info the module gave when it was loaded.
func (h *wasmHandle) Info() sdk.Info { return h.info }

// Healthy returns nil unless the handle is closed or the last attempt to
// make an instance failed.
func (h *wasmHandle) Healthy() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("wasm: detector is closed")
	}
	return h.lastErr
}

// get takes an idle instance, waiting while all are in use. When none is
// idle, one is made in the background and the caller takes whichever is
// free first, that one or one another call gives back: a detector whose
// instance takes seconds to make (rule sets compiled in _initialize and
// configure) is never made on, nor lost with, a caller's short deadline.
func (h *wasmHandle) get(ctx context.Context) (*wasmInstance, error) {
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wasm: waiting for an instance: %w", ctx.Err())
	}
	h.mu.Lock()
	failures := h.failures
	for {
		if h.closed {
			h.mu.Unlock()
			<-h.sem
			return nil, errors.New("wasm: detector is closed")
		}
		if n := len(h.idle); n > 0 {
			inst := h.idle[n-1]
			h.idle = h.idle[:n-1]
			config, gen := h.config, h.gen
			h.mu.Unlock()
			if inst.gen != gen {
				if msg, err := inst.configureWith(h.callCtx(ctx), config); err != nil || msg != "" {
					h.discard(inst, err)
					if err == nil {
						err = errors.New(msg)
					}
					return nil, fmt.Errorf("wasm: configure: %w", err)
				}
				inst.gen = gen
			}
			return inst, nil
		}
		if h.failures != failures {
			err := h.growErr
			h.mu.Unlock()
			<-h.sem
			h.logger.Error("cannot make a wasm instance", "error", err)
			return nil, fmt.Errorf("wasm: %w", err)
		}
		if h.making <= h.waiting {
			// The slot is reserved on the caller's deadline, as a call
			// would; only the making is left to the background.
			h.making++
			h.mu.Unlock()
			if err := h.host.reserve(ctx, h, false); err != nil {
				h.mu.Lock()
				h.making--
				h.mu.Unlock()
				<-h.sem
				return nil, fmt.Errorf("wasm: %w", err)
			}
			go h.grow()
			h.mu.Lock()
			continue
		}
		h.waiting++
		changed := h.changed
		h.mu.Unlock()
		select {
		case <-changed:
			h.mu.Lock()
			h.waiting--
		case <-ctx.Done():
			h.mu.Lock()
			h.waiting--
			h.mu.Unlock()
			<-h.sem
			return nil, fmt.Errorf("wasm: waiting for an instance: %w", ctx.Err())
		}
	}
}

// grow makes and configures one instance for the pool in a slot reserved
// for it, bounded by wasmInstantiateTimeout, and wakes the callers waiting
// for one.
func (h *wasmHandle) grow() {
	ctx, cancel := context.WithTimeout(context.Background(), wasmInstantiateTimeout)
	defer cancel()
	inst, err := h.instantiateReserved(ctx)
	if err == nil {
		h.mu.Lock()
		config, gen := h.config, h.gen
		h.mu.Unlock()
		inst.gen = -1
		if config != nil {
			msg, cerr := inst.configureWith(h.callCtx(ctx), config)
			switch {
			case cerr != nil:
				err = fmt.Errorf("configure: %w", cerr)
			case msg != "":
				err = fmt.Errorf("configure: %s", msg)
			default:
				inst.gen = gen
			}
			if err != nil {
				inst.close()
				inst = nil
			}
		}
	}
	h.mu.Lock()
	h.making--
	var busy *slotsBusy
	switch {
	case err != nil:
		if !errors.As(err, &busy) {
			h.lastErr = err
		}
		h.failures++
		h.growErr = err
	case h.closed || len(h.idle) >= h.max:
		defer inst.close()
	default:
		h.lastErr = nil
		h.idle = append(h.idle, inst)
	}
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

// configureWith sends config to one instance. It returns the detector's
// error message, or an error when the call itself failed.
func (inst *wasmInstance) configureWith(ctx context.Context, config []byte) (string, error) {
	if config == nil {
		return "", nil
	}
	inst.req = wasmabi.AppendConfigureRequest(inst.req[:0], config)
	res, err := inst.call(ctx, inst.configure, true, inst.req)
	if err != nil {
		return "", err
	}
	inst.configured = uint64(inst.mem.Size())
	return wasmabi.DecodeConfigureResponse(res)
}

// grew reports whether the instance holds more linear memory than it may
// keep in the pool: more than wasmIdleMemory and more than twice what it
// needed once configured.
func (inst *wasmInstance) grew() bool {
	size := uint64(inst.mem.Size())
	return size > wasmIdleMemory && size > 2*inst.configured
}

// put returns a healthy instance to the pool.
func (h *wasmHandle) put(inst *wasmInstance) {
	h.mu.Lock()
	if h.closed || len(h.idle) >= h.max || inst.grew() {
		// An instance that grew is not kept: its memory goes with it.
		h.mu.Unlock()
		inst.close()
	} else {
		h.idle = append(h.idle, inst)
		h.wake()
		h.mu.Unlock()
	}
	<-h.sem
}

// wake tells the callers waiting for an instance that one may be idle;
// h.mu is held.
func (h *wasmHandle) wake() {
	if h.waiting > 0 {
		close(h.changed)
		h.changed = make(chan struct{})
	}
}

// discard closes an instance that failed and makes (and configures) a
// replacement in the background, so that the next call does not pay for it.
func (h *wasmHandle) discard(inst *wasmInstance, cause error) {
	inst.close()
	<-h.sem
	h.logger.Warn("wasm instance discarded", "error", cause)
	go func() {
		// A spare slot only: a replacement never evicts another
		// detector's instance; without one, it is made on demand.
		if err := h.host.reserve(context.Background(), h, true); err != nil {
			return
		}
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			h.host.unreserve()
			return
		}
		h.making++
		h.mu.Unlock()
		h.grow()
	}()
}

// evictIdle closes one idle instance, to give its slot to another
// detector; false when there is none.
func (h *wasmHandle) evictIdle() bool {
	h.mu.Lock()
	n := len(h.idle)
	if n == 0 {
		h.mu.Unlock()
		return false
	}
	inst := h.idle[0]
	h.idle = h.idle[1:]
	h.mu.Unlock()
	inst.close()
	return true
}

// Restart closes the idle instances: the next calls get fresh ones.
func (h *wasmHandle) Restart(reason error) {
	for h.evictIdle() {
	}
	h.logger.Warn("wasm instances recycled", "reason", reason)
}

// Configure sets the config of every instance, current and future. A
// config the detector refuses leaves the previous one in force.
func (h *wasmHandle) Configure(ctx context.Context, config []byte) error {
	config = append([]byte(nil), config...)
	h.mu.Lock()
	prev, prevGen := h.config, h.gen
	h.config = config
	h.gen++
	h.mu.Unlock()
	ctx, cancel := callContext(ctx, h.spec)
	defer cancel()
	inst, err := h.get(ctx) // configures it
	if err != nil {
		h.mu.Lock()
		if h.gen == prevGen+1 {
			h.config, h.gen = prev, prevGen+2
		}
		h.mu.Unlock()
		return err
	}
	h.put(inst)
	return nil
}

// Detect runs the event through one instance.
func (h *wasmHandle) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	ctx, cancel := callContext(ctx, h.spec)
	defer cancel()
	inst, err := h.get(ctx)
	if err != nil {
		return nil, err
	}
	inst.req = wasmabi.AppendDetectRequest(inst.req[:0], ev)
	if cap(inst.req) > 1<<20 && len(inst.req) < cap(inst.req)/4 {
		inst.req = nil // do not keep a huge buffer for small events
	}
	select {
	case h.host.callers <- struct{}{}:
	case <-ctx.Done():
		h.put(inst)
		return nil, fmt.Errorf("wasm: waiting for a CPU: %w", ctx.Err())
	}
	res, err := inst.call(h.callCtx(ctx), inst.detect, true, inst.req)
	<-h.host.callers
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		h.discard(inst, err)
		return nil, fmt.Errorf("wasm: detect: %w", err)
	}
	findings, msg, err := wasmabi.DecodeDetectResponse(res)
	if err != nil {
		h.discard(inst, err)
		return nil, fmt.Errorf("wasm: detect: %w", err)
	}
	if err := ValidateFindings(ev, findings); err != nil {
		h.discard(inst, err)
		return nil, fmt.Errorf("wasm: %w", err)
	}
	h.put(inst)
	if msg != "" {
		return nil, errors.New(msg)
	}
	return findings, nil
}

// Close closes the idle instances and releases the module; instances in use
// are closed when their call returns.
func (h *wasmHandle) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	idle := h.idle
	h.idle = nil
	h.mu.Unlock()
	untrack(h)
	h.host.mu.Lock()
	delete(h.host.handles, h)
	h.host.mu.Unlock()
	for _, inst := range idle {
		inst.close()
	}
	h.host.release(h.key)
	return nil
}

// lineLogger returns a writer that logs each line a guest writes to
// stream. Lines longer than wasmabi.MaxLogLine are cut into pieces.
func lineLogger(logger hclog.Logger, stream string) io.Writer {
	return &lineWriter{logger: logger, stream: stream}
}

type lineWriter struct {
	logger hclog.Logger
	stream string
	mu     sync.Mutex
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) >= wasmabi.MaxLogLine {
				w.emit()
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.emit()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) emit() {
	line := w.buf
	if len(line) > wasmabi.MaxLogLine {
		line = line[:wasmabi.MaxLogLine]
	}
	w.logger.Info("guest output", "stream", w.stream, "line", string(bytes.ToValidUTF8(line, []byte("\uFFFD"))))
	w.buf = w.buf[:0]
}
