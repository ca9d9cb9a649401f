// Package wasmabi defines the ABI between picket and a detector compiled to
// WebAssembly: export and import names, the ABI version, the packing of
// pointer/length results, and the encoding of the messages (the protobuf
// messages of sdk/proto/detector/v1, written and read with protowire so that
// guests do not link the protobuf runtime).
//
// The host (picket's wasm runtime) and the Go guest package
// (sdk/wasmguest) both use it. sdk/README.md describes the same ABI in
// prose for authors in other languages.
package wasmabi

// Version is the ABI version this package implements. A module reports its
// own from the picket_abi_version export; the host refuses any other.
const Version = 1

// Exports a module must provide.
const (
	// ExportMemory is the module's linear memory.
	ExportMemory = "memory"
	// ExportABIVersion is () -> i32: the ABI version the module speaks.
	ExportABIVersion = "picket_abi_version"
	// ExportAlloc is (size i32) -> i32: the address of a guest-owned buffer
	// of at least size bytes for the host to write a request into. The
	// buffer stays valid, and the guest does not otherwise use it, until the
	// next call of picket_alloc. 0 means the guest could not allocate.
	ExportAlloc = "picket_alloc"
	// ExportInfo is () -> i64: an InfoResponse, packed.
	ExportInfo = "picket_info"
	// ExportConfigure is (ptr i32, len i32) -> i64: takes a
	// ConfigureRequest, returns a ConfigureResponse, packed.
	ExportConfigure = "picket_configure"
	// ExportDetect is (ptr i32, len i32) -> i64: takes a DetectRequest,
	// returns a DetectResponse, packed.
	ExportDetect = "picket_detect"
	// ExportInitialize is the optional reactor initializer; the host runs
	// it once per instance, before any other export.
	ExportInitialize = "_initialize"
)

// The host module a guest may import.
const (
	// ImportModule is the module name of the host functions.
	ImportModule = "picket"
	// ImportLog is (level i32, ptr i32, len i32) -> (): writes one log line
	// (UTF-8, at most MaxLogLine bytes are kept) at the given level.
	ImportLog = "log"
)

// MaxLogLine is the longest log message the host keeps; longer ones are cut.
const MaxLogLine = 4096

// Log levels for the log import.
const (
	LevelTrace = 0
	LevelDebug = 1
	LevelInfo  = 2
	LevelWarn  = 3
	LevelError = 4
)

// Pack packs a result address and length into the i64 an export returns:
// the address in the high 32 bits, the length in the low 32 bits.
func Pack(ptr, size uint32) uint64 { return uint64(ptr)<<32 | uint64(size) }

// Unpack splits a packed result into address and length.
func Unpack(v uint64) (ptr, size uint32) { return uint32(v >> 32), uint32(v) }
