package plugin

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/picketsec/picket/sdk"
)

// logger writes hclog JSON to the process's real stderr, which the host
// reads and re-emits under the detector's name. It is made before Serve,
// which replaces os.Stderr with a pipe.
var logger = hclog.New(&hclog.LoggerOptions{
	Name:       "detector",
	Output:     os.Stderr,
	JSONFormat: true,
	Level:      hclog.Trace,
})

// Logger returns the plugin's logger: hclog JSON on stderr, shown by the
// host under the detector's name. Never log raw matches or secrets.
func Logger() hclog.Logger { return logger }

// Serve serves the detector that factory makes as a go-plugin gRPC plugin
// and returns when the host closes the plugin. It is meant to be the whole
// body of main. Serve exits the process if it is run by hand (no host), and
// when its parent process goes away without stopping it.
func Serve(factory sdk.Factory) {
	go exitWithParent(os.Getppid())
	goplugin.Serve(serveConfig(factory))
}

func serveConfig(factory sdk.Factory) *goplugin.ServeConfig {
	sets := PluginSets(factory)
	for _, set := range sets {
		set[Name].(*GRPCPlugin).logger = logger
	}
	return &goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: sets,
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))
			return grpc.NewServer(opts...)
		},
		Logger: logger,
	}
}

// exitWithParent ends the plugin when the host that started it is gone
// (killed without a chance to stop its plugins): an orphaned plugin would
// otherwise keep running forever.
func exitWithParent(ppid int) {
	if ppid <= 1 {
		return
	}
	for range time.Tick(time.Second) {
		if os.Getppid() != ppid {
			logger.Warn("host process is gone; exiting")
			os.Exit(0)
		}
	}
}
