package plugin

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/internal/convert"
	pb "github.com/picketsec/picket/sdk/proto/detector/v1"
)

// GRPCPlugin is the go-plugin glue for a detector over gRPC. Hosts get one
// from PluginSets(nil); Serve builds the plugin side.
type GRPCPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	newDetector sdk.Factory
	logger      hclog.Logger
}

// GRPCServer registers the detector service (plugin side).
func (p *GRPCPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.newDetector == nil {
		return errors.New("plugin: no detector factory")
	}
	d := p.newDetector()
	if d == nil {
		return errors.New("plugin: factory returned no detector")
	}
	logger := p.logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	pb.RegisterDetectorServer(s, &server{impl: d, logger: logger})
	return nil
}

// GRPCClient returns an sdk.Detector that calls the plugin (host side). It
// fetches the detector's Info at once, so a plugin that cannot answer is
// refused when it is dispensed.
func (p *GRPCPlugin) GRPCClient(ctx context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	c := &Client{rpc: pb.NewDetectorClient(conn)}
	resp, err := c.rpc.Info(ctx, &pb.InfoRequest{})
	if err != nil {
		return nil, fmt.Errorf("plugin: info: %w", err)
	}
	c.info = convert.InfoFromProto(resp.Info)
	return c, nil
}

// Client is the host side of a detector plugin: an sdk.Detector whose calls
// go over gRPC. Transport failures come back as errors from Configure and
// Detect; Info is fetched once, when the plugin is dispensed.
type Client struct {
	rpc  pb.DetectorClient
	info sdk.Info
}

// Interface guard.
var _ sdk.Detector = (*Client)(nil)

// Info returns the Info the plugin reported when it was dispensed.
func (c *Client) Info() sdk.Info { return c.info }

// Configure sends the detector its config.
func (c *Client) Configure(ctx context.Context, config []byte) error {
	resp, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Config: config})
	if err != nil {
		return fmt.Errorf("plugin: configure: %w", err)
	}
	return convert.ErrorFromProto(resp.Error)
}

// Detect sends the event and returns the plugin's findings.
func (c *Client) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	resp, err := c.rpc.Detect(ctx, &pb.DetectRequest{Event: convert.EventToProto(ev)},
		grpc.MaxCallRecvMsgSize(MaxMessageSize), grpc.MaxCallSendMsgSize(MaxMessageSize))
	if err != nil {
		return nil, fmt.Errorf("plugin: detect: %w", err)
	}
	if err := convert.ErrorFromProto(resp.Error); err != nil {
		return nil, err
	}
	return convert.FindingsFromProto(resp.Findings), nil
}

// server is the plugin side of the detector service.
type server struct {
	pb.UnimplementedDetectorServer
	impl   sdk.Detector
	logger hclog.Logger
}

func (s *server) Info(context.Context, *pb.InfoRequest) (*pb.InfoResponse, error) {
	return &pb.InfoResponse{Info: convert.InfoToProto(s.impl.Info())}, nil
}

func (s *server) Configure(ctx context.Context, req *pb.ConfigureRequest) (resp *pb.ConfigureResponse, err error) {
	defer s.recover("configure", &err)
	return &pb.ConfigureResponse{Error: convert.ErrorToProto(s.impl.Configure(ctx, req.Config))}, nil
}

func (s *server) Detect(ctx context.Context, req *pb.DetectRequest) (resp *pb.DetectResponse, err error) {
	defer s.recover("detect", &err)
	findings, derr := s.impl.Detect(ctx, convert.EventFromProto(req.Event))
	if derr != nil {
		return &pb.DetectResponse{Error: convert.ErrorToProto(derr)}, nil
	}
	return &pb.DetectResponse{Findings: convert.FindingsToProto(findings)}, nil
}

// recover turns a panic in the detector into a failed call, so that one bad
// input does not take the plugin process down. The panic value is not
// logged: it may quote the input.
func (s *server) recover(method string, err *error) {
	if r := recover(); r != nil {
		s.logger.Error("detector panicked", "method", method, "stack", string(debug.Stack()))
		*err = fmt.Errorf("plugin: %s: detector panicked", method)
	}
}
