// Command wasm is the first-party commands detector as a WebAssembly module
// (source = "wasm"):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o commands.wasm ./plugins/commands/wasm
package main

import (
	"github.com/picketsec/picket/detectors/commands"
	"github.com/picketsec/picket/sdk/wasmguest"
)

func init() { wasmguest.Register(commands.New) }

func main() {}
