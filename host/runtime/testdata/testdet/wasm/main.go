// Command wasm is testdet as a WebAssembly reactor:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o testdet.wasm
package main

import (
	"github.com/picketsec/picket/host/runtime/testdata/testdet"
	"github.com/picketsec/picket/sdk/wasmguest"
)

func init() { wasmguest.Register(testdet.New) }

func main() {}
