// Command entropy-process is a third-party-style picket detector served as a
// hashicorp/go-plugin binary: it flags long high-entropy tokens, which are
// often credentials no rule knows.
//
//	go build -o entropy-detector .
//
// Config (HCL, in picket's config):
//
//	detector "entropy" {
//	  source = "process"
//	  path   = "plugins/bin/entropy-detector"
//	  sha256 = "<sha256 of the file>"
//	  config = { min_length = 24, min_bits_per_char = 4.0 }
//	}
package main

import (
	"github.com/picketsec/picket/plugins/examples/entropy-process/entropy"
	"github.com/picketsec/picket/sdk/plugin"
)

func main() { plugin.Serve(entropy.New) }
