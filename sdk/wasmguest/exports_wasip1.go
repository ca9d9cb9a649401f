//go:build wasip1

package wasmguest

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"unsafe"

	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/wasmabi"
)

// in is the request buffer handed out by picket_alloc; out holds the last
// response until the next call. Both are reused across calls, and both are
// referenced from globals, so the garbage collector neither frees nor moves
// them while the host reads or writes them.
var in, out []byte

//go:wasmimport picket log
func picketLog(level uint32, ptr unsafe.Pointer, size uint32)

func hostLog(level int, msg string) {
	if len(msg) > wasmabi.MaxLogLine {
		msg = msg[:wasmabi.MaxLogLine]
	}
	if msg == "" {
		return
	}
	picketLog(uint32(level), unsafe.Pointer(unsafe.StringData(msg)), uint32(len(msg)))
}

//go:wasmexport picket_abi_version
func abiVersion() uint32 { return wasmabi.Version }

//go:wasmexport picket_alloc
func alloc(size uint32) uint32 {
	n := int(size)
	if n < 1 {
		n = 1
	}
	if cap(in) < n {
		in = make([]byte, n)
	}
	in = in[:n]
	return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in))))
}

// request returns the request the host wrote at ptr, which must lie in the
// buffer of the latest picket_alloc.
func request(ptr, size uint32) ([]byte, error) {
	if size == 0 {
		return nil, nil
	}
	base := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(in))))
	if len(in) == 0 || ptr < base || uint64(ptr-base)+uint64(size) > uint64(len(in)) {
		return nil, fmt.Errorf("wasmguest: request [%d, +%d) is outside the picket_alloc buffer", ptr, size)
	}
	return in[ptr-base : ptr-base+size], nil
}

// result keeps b as the response and returns it packed.
func result(b []byte) uint64 {
	out = b
	if len(out) == 0 {
		return 0
	}
	return wasmabi.Pack(uint32(uintptr(unsafe.Pointer(unsafe.SliceData(out)))), uint32(len(out)))
}

// recovered turns a panic of the detector into an error message, so that
// the instance stays usable. The panic value is not logged: it may quote
// the input.
func recovered(method string, msg *string) {
	if r := recover(); r != nil {
		hostLog(LevelError, "detector panicked in "+method+"\n"+string(debug.Stack()))
		*msg = "wasmguest: " + method + ": detector panicked"
	}
}

//go:wasmexport picket_info
func info() uint64 {
	var i sdk.Info
	if d, err := detector(); err == nil {
		i = d.Info()
	} else {
		hostLog(LevelError, err.Error())
	}
	return result(wasmabi.AppendInfoResponse(out[:0], i))
}

//go:wasmexport picket_configure
func configure(ptr, size uint32) uint64 {
	var msg string
	func() {
		defer recovered("configure", &msg)
		b, err := request(ptr, size)
		if err == nil {
			b, err = wasmabi.DecodeConfigureRequest(b)
		}
		var d sdk.Detector
		if err == nil {
			d, err = detector()
		}
		if err == nil {
			err = d.Configure(context.Background(), append([]byte(nil), b...))
		}
		if err != nil {
			msg = errText(err)
		}
	}()
	return result(wasmabi.AppendConfigureResponse(out[:0], msg))
}

//go:wasmexport picket_detect
func detect(ptr, size uint32) uint64 {
	var (
		msg      string
		findings []sdk.Finding
	)
	func() {
		defer recovered("detect", &msg)
		b, err := request(ptr, size)
		var ev sdk.Event
		if err == nil {
			// One copy that the event's strings share: the request
			// buffer is reused by the next call.
			err = wasmabi.DecodeDetectRequestShared(bytes.Clone(b), &ev)
		}
		var d sdk.Detector
		if err == nil {
			d, err = detector()
		}
		if err == nil {
			findings, err = d.Detect(context.Background(), &ev)
		}
		if err != nil {
			msg = errText(err)
			findings = nil
		}
	}()
	return result(wasmabi.AppendDetectResponse(out[:0], findings, msg))
}

func errText(err error) string {
	if s := err.Error(); s != "" {
		return s
	}
	return "detector error"
}
