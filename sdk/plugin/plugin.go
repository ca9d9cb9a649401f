// Package plugin serves a detector as a hashicorp/go-plugin gRPC plugin, and
// gives hosts the matching client.
//
// A plugin's main is one line:
//
//	func main() { plugin.Serve(mydetector.New) }
//
// The plugin logs hclog JSON on stderr (see Logger) and must never write to
// stdout: stdout carries the go-plugin handshake.
package plugin

import (
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/picketsec/picket/sdk"
)

// ProtocolVersion is the newest plugin protocol this package speaks. It is
// negotiated through VersionedPlugins: a host offers every version it
// supports, and the highest one both sides know wins.
const ProtocolVersion = 1

// Name is the name of the detector plugin in every plugin set.
const Name = "detector"

// MaxMessageSize bounds one gRPC message either way (an event, or a list of
// findings). It is well above the 4 MiB gRPC default because an event
// carries a whole conversation.
const MaxMessageSize = 64 << 20

// Handshake is the go-plugin handshake of picket detector plugins. The magic
// cookie is not a security feature: it only stops a plugin binary from doing
// anything when run by hand. Versions are negotiated through PluginSets.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "PICKET_DETECTOR_PLUGIN",
	MagicCookieValue: "6f1c8e0b9a4d4f7c8b2e5d3a1c0f9e87",
}

// PluginSets returns the versioned plugin sets, protocol version → {Name:
// plugin}. A host passes nil; Serve passes the detector's factory.
func PluginSets(factory sdk.Factory) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{
		1: {Name: &GRPCPlugin{newDetector: factory}},
	}
}
