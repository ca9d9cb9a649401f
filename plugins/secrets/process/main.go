// Command process serves the first-party secrets detector as a go-plugin
// binary (source = "process").
package main

import (
	"github.com/picketsec/picket/detectors/secrets"
	"github.com/picketsec/picket/sdk/plugin"
)

func main() { plugin.Serve(secrets.New) }
