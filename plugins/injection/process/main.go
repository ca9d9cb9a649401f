// Command process serves the first-party injection detector as a go-plugin
// binary (source = "process").
package main

import (
	"github.com/picketsec/picket/detectors/injection"
	"github.com/picketsec/picket/sdk/plugin"
)

func main() { plugin.Serve(injection.New) }
