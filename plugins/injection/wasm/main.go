// Command wasm is the first-party injection detector as a WebAssembly module
// (source = "wasm"):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o injection.wasm ./plugins/injection/wasm
package main

import (
	"github.com/picketsec/picket/detectors/injection"
	"github.com/picketsec/picket/sdk/wasmguest"
)

func init() { wasmguest.Register(injection.New) }

func main() {}
