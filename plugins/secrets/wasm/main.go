// Command wasm is the first-party secrets detector as a WebAssembly module
// (source = "wasm"):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o secrets.wasm ./plugins/secrets/wasm
package main

import (
	"github.com/picketsec/picket/detectors/secrets"
	"github.com/picketsec/picket/sdk/wasmguest"
)

func init() { wasmguest.Register(secrets.New) }

func main() {}
