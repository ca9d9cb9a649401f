// Command process serves the first-party commands detector as a go-plugin
// binary (source = "process").
package main

import (
	"github.com/picketsec/picket/detectors/commands"
	"github.com/picketsec/picket/sdk/plugin"
)

func main() { plugin.Serve(commands.New) }
