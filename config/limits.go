package config

import (
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/hashicorp/hcl/v2"
)

// Limits are the host's operational bounds (the limits block). Where serve
// has a flag or an environment variable for one, that overrides the file.
type Limits struct {
	// MaxConnections caps the open client connections; more wait in the
	// listen backlog (serve --max-connections).
	MaxConnections int
	// BodyTimeout is the time a client has to send a request body, after
	// which it gets 408 and its connection is closed (serve --body-timeout).
	BodyTimeout time.Duration
	// QueueLease is how long a replica's claim on queued asynchronous
	// events lasts unless renewed (PICKET_QUEUE_LEASE).
	QueueLease time.Duration
	// MaxPendingAge makes /readyz answer 503 when the oldest pending
	// asynchronous event has waited longer and this process evaluated none
	// in that time (it is stuck); 0 never does.
	MaxPendingAge time.Duration
	// WasmMemory bounds the linear memory of all WASM instances together
	// (each reserves the 128 MiB per-instance cap).
	WasmMemory int64
	// PluginMemory and PluginCPU bound each process plugin whose detector
	// block says nothing (max_memory, max_cpu): resident memory in bytes,
	// and CPUs used on average over 5 s. 0 means no bound.
	PluginMemory int64
	PluginCPU    float64
}

// Limit defaults.
const (
	DefaultMaxConnections = 4096
	DefaultBodyTimeout    = 10 * time.Second
	DefaultQueueLease     = 30 * time.Second
	DefaultMaxPendingAge  = 5 * time.Minute
	DefaultWasmMemory     = 512 << 20
	DefaultPluginMemory   = 512 << 20
	DefaultPluginCPU      = 1.0
	// wasmInstanceMemory is the per-instance cap of host/runtime.
	wasmInstanceMemory = 128 << 20
	// minPluginMemory is the least a process plugin can run in.
	minPluginMemory = 32 << 20
)

// DefaultLimits are the limits when the file says nothing.
func DefaultLimits() Limits {
	return Limits{
		MaxConnections: DefaultMaxConnections, BodyTimeout: DefaultBodyTimeout,
		QueueLease: DefaultQueueLease, MaxPendingAge: DefaultMaxPendingAge,
		WasmMemory: DefaultWasmMemory, PluginMemory: DefaultPluginMemory, PluginCPU: DefaultPluginCPU,
	}
}

type rawLimits struct {
	MaxConns      *int      `hcl:"max_connections,optional"`
	MaxConnsRng   hcl.Range `hcl:"max_connections,attr_range"`
	BodyTimeout   *string   `hcl:"body_timeout,optional"`
	BodyTimeRng   hcl.Range `hcl:"body_timeout,attr_range"`
	QueueLease    *string   `hcl:"queue_lease,optional"`
	QueueLeaseRng hcl.Range `hcl:"queue_lease,attr_range"`
	MaxPending    *string   `hcl:"max_pending_age,optional"`
	MaxPendingRng hcl.Range `hcl:"max_pending_age,attr_range"`
	WasmMemory    *string   `hcl:"wasm_memory,optional"`
	WasmMemRng    hcl.Range `hcl:"wasm_memory,attr_range"`
	PluginMemory  *string   `hcl:"plugin_memory,optional"`
	PluginMemRng  hcl.Range `hcl:"plugin_memory,attr_range"`
	PluginCPU     *float64  `hcl:"plugin_cpu,optional"`
	PluginCPURng  hcl.Range `hcl:"plugin_cpu,attr_range"`
}

func (v *validator) limits(rl *rawLimits, l *Limits) {
	if rl.MaxConns != nil {
		l.MaxConnections = *rl.MaxConns
		if *rl.MaxConns < 1 {
			v.errorf(rl.MaxConnsRng, "limits.max_connections", "must be at least 1")
		}
	}
	if rl.BodyTimeout != nil {
		l.BodyTimeout = v.duration(rl.BodyTimeRng, "limits.body_timeout", *rl.BodyTimeout, 100*time.Millisecond)
	}
	if rl.QueueLease != nil {
		l.QueueLease = v.duration(rl.QueueLeaseRng, "limits.queue_lease", *rl.QueueLease, time.Second)
	}
	if rl.MaxPending != nil {
		l.MaxPendingAge = v.duration(rl.MaxPendingRng, "limits.max_pending_age", *rl.MaxPending, 0)
		if l.MaxPendingAge > 0 && l.MaxPendingAge < time.Second {
			v.errorf(rl.MaxPendingRng, "limits.max_pending_age", "%s is shorter than 1s (\"0s\" turns the check off)", l.MaxPendingAge)
		}
	}
	if rl.WasmMemory != nil {
		l.WasmMemory = v.size(rl.WasmMemRng, "limits.wasm_memory", *rl.WasmMemory, wasmInstanceMemory, "one WASM instance's cap")
		if l.WasmMemory == 0 && *rl.WasmMemory != "" {
			v.errorf(rl.WasmMemRng, "limits.wasm_memory", "must be at least 128 MiB, one WASM instance's cap")
		}
	}
	if rl.PluginMemory != nil {
		l.PluginMemory = v.size(rl.PluginMemRng, "limits.plugin_memory", *rl.PluginMemory, minPluginMemory, "what a plugin process needs to run")
	}
	if rl.PluginCPU != nil {
		l.PluginCPU = v.cpus(rl.PluginCPURng, "limits.plugin_cpu", *rl.PluginCPU)
	}
}

// size parses a byte size like "512MiB" or "1GB". 0 is allowed (no bound)
// where min says what a smaller value would be under.
func (v *validator) size(rng hcl.Range, field, s string, min int64, minWhat string) int64 {
	n, err := humanize.ParseBytes(s)
	if err != nil || n > 1<<50 {
		v.errorf(rng, field, "%q is not a size like \"512MiB\" or \"2GiB\"", s)
		return 0
	}
	if n != 0 && int64(n) < min {
		v.errorf(rng, field, "%s is under %s, %s (\"0\" means no bound)", humanize.IBytes(n), humanize.IBytes(uint64(min)), minWhat)
	}
	return int64(n)
}

// cpus checks a CPU bound: 0 (none) or at least 0.05 of a CPU.
func (v *validator) cpus(rng hcl.Range, field string, n float64) float64 {
	if n != 0 && !(n >= 0.05 && n <= 1024) {
		v.errorf(rng, field, "%v is not a number of CPUs between 0.05 and 1024 (0 means no bound)", n)
	}
	return n
}

// processBounds gives a detector block its process plugin bounds: its own
// max_memory and max_cpu, else the limits block's.
func (v *validator) processBounds(rd rawDetector, d *Detector, l Limits) {
	field := fmt.Sprintf("detector %q", rd.Name)
	if d.Source != "process" {
		if rd.MaxMemory != nil {
			v.errorf(rd.MaxMemoryRng, field+" max_memory", "bounds a process plugin only (a WASM instance is capped at 128 MiB; see limits.wasm_memory)")
		}
		if rd.MaxCPU != nil {
			v.errorf(rd.MaxCPURng, field+" max_cpu", "bounds a process plugin only")
		}
		return
	}
	d.MaxMemory, d.MaxCPU = l.PluginMemory, l.PluginCPU
	if rd.MaxMemory != nil {
		d.MaxMemory = v.size(rd.MaxMemoryRng, field+" max_memory", *rd.MaxMemory, minPluginMemory, "what a plugin process needs to run")
	}
	if rd.MaxCPU != nil {
		d.MaxCPU = v.cpus(rd.MaxCPURng, field+" max_cpu", *rd.MaxCPU)
	}
}
