// Command process serves testdet as a go-plugin binary. Copies named for a
// fault misbehave at start: *exit-at-start* exits before the handshake,
// *bad-handshake* prints garbage instead of the handshake, *wrong-protocol*
// offers only plugin protocol 99.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/picketsec/picket/host/runtime/testdata/testdet"
	"github.com/picketsec/picket/sdk/plugin"
)

func main() {
	name := filepath.Base(os.Args[0])
	switch {
	case strings.Contains(name, "exit-at-start"):
		fmt.Fprintln(os.Stderr, "exiting at start on purpose")
		os.Exit(1)
	case strings.Contains(name, "bad-handshake"):
		fmt.Println("this is not a handshake")
		time.Sleep(time.Minute)
	case strings.Contains(name, "wrong-protocol"):
		hs := plugin.Handshake
		hs.ProtocolVersion = 99
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig:  hs,
			VersionedPlugins: map[int]goplugin.PluginSet{99: plugin.PluginSets(testdet.New)[1]},
			GRPCServer:       goplugin.DefaultGRPCServer,
		})
		return
	}
	plugin.Serve(testdet.New)
}
