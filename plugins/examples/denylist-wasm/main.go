// Command denylist-wasm is a third-party-style picket detector built as a
// WebAssembly module: it flags internal project code names and host names
// that must not leave the company.
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o denylist.wasm .
//
// Config (HCL, in picket's config):
//
//	detector "acme-denylist" {
//	  source = "wasm"
//	  path   = "plugins/bin/denylist.wasm"
//	  sha256 = "<sha256 of the file>"
//	  config = { words = ["project-zebra"], hosts = ["corp.example.com"] }
//	}
package main

import (
	"github.com/picketsec/picket/plugins/examples/denylist-wasm/denylist"
	"github.com/picketsec/picket/sdk/wasmguest"
)

func init() { wasmguest.Register(denylist.New) }

func main() {}
