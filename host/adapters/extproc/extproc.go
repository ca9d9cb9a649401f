// Package extproc is an Envoy External Processing (ext_proc) server in
// front of picket's engine, for Envoy AI Gateway and plain Envoy: a gRPC
// envoy.service.ext_proc.v3.ExternalProcessor that reads buffered request
// and response bodies of LLM API calls (OpenAI Chat and Responses,
// Anthropic, Gemini, Bedrock; JSON or a buffered SSE stream), evaluates
// them with the same engine, policy and trail as the Aperture hook (source
// "envoy"), and answers:
//
//   - allow: CONTINUE;
//   - block: immediate_response 403 with the error envelope of the
//     client's API format (what Aperture sends for a block);
//   - redact: a body_mutation with the rewritten request body (the new
//     user turn's secrets masked), content-length dropped.
//
// Envoy's filter needs processing_mode request_body_mode and
// response_body_mode BUFFERED (see the README). A stream authenticates with
// a picket key in its gRPC metadata (grpc_service initial_metadata:
// x-api-key, or authorization: Bearer); without one, the configured
// default tenant applies, or the stream is refused (Unauthenticated). The
// client's own headers (its provider key) are never read as picket keys
// and never recorded.
package extproc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	extprocv3 "github.com/envoyproxy/go-control-plane/envoy/service/ext_proc/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/picketsec/picket/host/adapters"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/llmapi/jsonscan"
	"github.com/picketsec/picket/sdk"
)

// Options configure the processor.
type Options struct {
	// Tenant is the tenant of streams whose metadata carries no key; ""
	// refuses them.
	Tenant string
}

// Server is the ExternalProcessor.
type Server struct {
	extprocv3.UnimplementedExternalProcessorServer
	host adapters.Host
	opts Options
}

// New returns a processor that evaluates through h.
func New(h adapters.Host, o Options) *Server { return &Server{host: h, opts: o} }

// Register adds the processor to a gRPC server.
func (s *Server) Register(g *grpc.Server) { extprocv3.RegisterExternalProcessorServer(g, s) }

// Interface guard.
var _ extprocv3.ExternalProcessorServer = (*Server)(nil)

// stream is what one HTTP request's stream remembers between messages.
type stream struct {
	tenant    string
	path      string
	reqCT     string
	respCT    string
	userAgent string
	session   string
	reqBody   []byte
	respBody  []byte
	format    llmapi.Format
}

func (s *Server) tenant(ctx context.Context) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	h := http.Header{}
	for k, vs := range md {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if key := adapters.APIKey(h); key != "" {
		t, ok := s.host.Authenticate(key)
		if !ok {
			return "", status.Error(codes.Unauthenticated, "picket: unknown API key in the stream's metadata")
		}
		return t, nil
	}
	if s.opts.Tenant != "" {
		return s.opts.Tenant, nil
	}
	return "", status.Error(codes.Unauthenticated, "picket: no API key in the stream's metadata (grpc_service initial_metadata x-api-key) and no default tenant")
}

// Process implements ExternalProcessorServer: one stream per HTTP request.
func (s *Server) Process(srv extprocv3.ExternalProcessor_ProcessServer) error {
	ctx := srv.Context()
	tenant, err := s.tenant(ctx)
	if err != nil {
		return err
	}
	st := &stream{tenant: tenant}
	for {
		req, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if status.Code(err) == codes.Canceled || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		resp, err := s.handle(ctx, st, req)
		if err != nil {
			return err
		}
		if err := srv.Send(resp); err != nil {
			return err
		}
		if _, done := resp.Response.(*extprocv3.ProcessingResponse_ImmediateResponse); done {
			return nil
		}
	}
}

func header(hs *extprocv3.HttpHeaders, name string) string {
	if hs == nil || hs.Headers == nil {
		return ""
	}
	for _, h := range hs.Headers.Headers {
		if strings.EqualFold(h.Key, name) {
			if h.Value != "" {
				return h.Value
			}
			return string(h.RawValue)
		}
	}
	return ""
}

func cont() *extprocv3.CommonResponse {
	return &extprocv3.CommonResponse{Status: extprocv3.CommonResponse_CONTINUE}
}

// handle answers one message.
func (s *Server) handle(ctx context.Context, st *stream, req *extprocv3.ProcessingRequest) (*extprocv3.ProcessingResponse, error) {
	switch r := req.Request.(type) {
	case *extprocv3.ProcessingRequest_RequestHeaders:
		st.path = header(r.RequestHeaders, ":path")
		st.reqCT = header(r.RequestHeaders, "content-type")
		st.userAgent = header(r.RequestHeaders, "user-agent")
		st.session = header(r.RequestHeaders, "x-session-id")
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestHeaders{
			RequestHeaders: &extprocv3.HeadersResponse{Response: cont()}}}, nil
	case *extprocv3.ProcessingRequest_RequestBody:
		st.reqBody = append(st.reqBody, r.RequestBody.Body...)
		if len(st.reqBody) > adapters.MaxBody {
			return immediate(http.StatusRequestEntityTooLarge, st.format, "picket: request body larger than 50 MiB"), nil
		}
		if !r.RequestBody.EndOfStream {
			// Streamed mode: wait for the rest, let the chunk through.
			return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
				RequestBody: &extprocv3.BodyResponse{Response: cont()}}}, nil
		}
		return s.request(ctx, st)
	case *extprocv3.ProcessingRequest_ResponseHeaders:
		st.respCT = header(r.ResponseHeaders, "content-type")
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseHeaders{
			ResponseHeaders: &extprocv3.HeadersResponse{Response: cont()}}}, nil
	case *extprocv3.ProcessingRequest_ResponseBody:
		st.respBody = append(st.respBody, r.ResponseBody.Body...)
		if len(st.respBody) > adapters.MaxBody || !r.ResponseBody.EndOfStream {
			return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{
				ResponseBody: &extprocv3.BodyResponse{Response: cont()}}}, nil
		}
		return s.response(ctx, st)
	case *extprocv3.ProcessingRequest_RequestTrailers:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestTrailers{
			RequestTrailers: &extprocv3.TrailersResponse{}}}, nil
	case *extprocv3.ProcessingRequest_ResponseTrailers:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseTrailers{
			ResponseTrailers: &extprocv3.TrailersResponse{}}}, nil
	}
	return nil, status.Errorf(codes.InvalidArgument, "picket: unsupported ext_proc message %T", req.Request)
}

func (st *stream) event() *sdk.Event {
	return &sdk.Event{Type: sdk.EventPreRequest, SessionID: st.session,
		Identity: sdk.Identity{UserAgent: st.userAgent}, APIFormat: string(st.format)}
}

// request evaluates the buffered request body.
func (s *Server) request(ctx context.Context, st *stream) (*extprocv3.ProcessingResponse, error) {
	passOn := &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
		RequestBody: &extprocv3.BodyResponse{Response: cont()}}}
	body := jsonscan.Trim(st.reqBody)
	if len(body) == 0 {
		return passOn, nil
	}
	if err := jsonscan.Validate(body, jsonscan.DefaultMaxDepth); err != nil {
		if llmapi.FormatFromURL(st.path) == "" {
			return passOn, nil // not an LLM API call we know: not ours to judge
		}
		return immediate(http.StatusBadRequest, llmapi.FormatFromURL(st.path), "picket: request body: "+err.Error()), nil
	}
	x := llmapi.NewExtractor(16)
	f, err := x.Detect(st.path, body)
	if err != nil {
		return passOn, nil
	}
	st.format = f
	if err := x.Request(f, body); err != nil {
		return immediate(http.StatusBadRequest, f, "picket: "+err.Error()), nil
	}
	ev := st.event()
	ev.Model = x.Model
	if ev.Model == "" {
		ev.Model = llmapi.ModelFromURL(st.path)
	}
	ev.Items = x.Finish()
	v, err := s.host.Evaluate(ctx, adapters.Request{Tenant: st.tenant, Source: adapters.SourceEnvoy, Event: ev, RequestBody: []byte(body)})
	if err != nil {
		return nil, status.Error(codes.Unavailable, "picket: "+err.Error())
	}
	switch v.Decision {
	case engine.DecisionBlock:
		return immediate(v.StatusCode, f, v.Message), nil
	case engine.DecisionModify:
		return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_RequestBody{
			RequestBody: &extprocv3.BodyResponse{Response: &extprocv3.CommonResponse{
				Status:         extprocv3.CommonResponse_CONTINUE,
				HeaderMutation: &extprocv3.HeaderMutation{RemoveHeaders: []string{"content-length"}},
				BodyMutation:   &extprocv3.BodyMutation{Mutation: &extprocv3.BodyMutation_Body{Body: v.RequestBody}},
			}}}}, nil
	}
	return passOn, nil
}

// response evaluates the buffered response body: the model's answer.
func (s *Server) response(ctx context.Context, st *stream) (*extprocv3.ProcessingResponse, error) {
	passOn := &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ResponseBody{
		ResponseBody: &extprocv3.BodyResponse{Response: cont()}}}
	if st.format == "" || len(st.respBody) == 0 {
		return passOn, nil
	}
	x := llmapi.NewExtractor(8)
	x.MarkResponses()
	if chunks, ok := sseChunks(st.respBody); ok && (strings.Contains(st.respCT, "event-stream") || len(chunks) > 0) {
		x.Stream(st.format, chunks)
	} else {
		b := jsonscan.Trim(st.respBody)
		if jsonscan.Validate(b, jsonscan.DefaultMaxDepth) != nil {
			return passOn, nil // an error page or binary: nothing to read
		}
		x.Response(st.format, b)
	}
	ev := st.event()
	ev.Items = x.Finish()
	if len(ev.Items) == 0 {
		return passOn, nil
	}
	v, err := s.host.Evaluate(ctx, adapters.Request{Tenant: st.tenant, Source: adapters.SourceEnvoy, Event: ev})
	if err != nil {
		return nil, status.Error(codes.Unavailable, "picket: "+err.Error())
	}
	if v.Decision == engine.DecisionBlock || v.Decision == engine.DecisionModify {
		// A response cannot be rewritten safely: a redaction blocks it.
		return immediate(v.StatusCode, st.format, v.Message), nil
	}
	return passOn, nil
}

// sseChunks splits a buffered SSE body into the JSON of its data lines
// (no [DONE]); ok is false when the body is not SSE.
func sseChunks(b []byte) ([]jsonscan.Value, bool) {
	t := bytes.TrimSpace(b)
	if !bytes.HasPrefix(t, []byte("data:")) && !bytes.HasPrefix(t, []byte("event:")) && !bytes.HasPrefix(t, []byte(":")) {
		return nil, false
	}
	var out []jsonscan.Value
	for _, line := range bytes.Split(t, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		d, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		v := jsonscan.Trim(d)
		if len(v) == 0 || string(v) == "[DONE]" || jsonscan.Validate(v, jsonscan.DefaultMaxDepth) != nil {
			continue
		}
		out = append(out, v)
	}
	return out, true
}

// immediate answers the client directly with the error envelope of its
// API format (as Aperture does for a block).
func immediate(code int, f llmapi.Format, msg string) *extprocv3.ProcessingResponse {
	if code == 0 {
		code = http.StatusForbidden
	}
	if msg == "" {
		msg = "request blocked by guardrail"
	}
	hdrs := []*corev3.HeaderValueOption{{Header: &corev3.HeaderValue{Key: "content-type", RawValue: []byte("application/json")}}}
	if f == llmapi.Bedrock {
		hdrs = append(hdrs, &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: "x-amzn-errortype", RawValue: []byte("AccessDeniedException")}})
	}
	return &extprocv3.ProcessingResponse{Response: &extprocv3.ProcessingResponse_ImmediateResponse{
		ImmediateResponse: &extprocv3.ImmediateResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(code)},
			Headers: &extprocv3.HeaderMutation{SetHeaders: hdrs},
			Body:    ErrorBody(f, code, msg),
			Details: "picket_blocked",
		}}}
}

// ErrorBody is the error envelope of API format f.
func ErrorBody(f llmapi.Format, code int, msg string) []byte {
	var v any
	switch f {
	case llmapi.Anthropic:
		v = map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error", "message": msg}}
	case llmapi.Gemini:
		st := "PERMISSION_DENIED"
		if code == http.StatusBadRequest {
			st = "INVALID_ARGUMENT"
		}
		v = map[string]any{"error": map[string]any{"code": code, "message": msg, "status": st}}
	case llmapi.Bedrock:
		v = map[string]any{"message": msg}
	default:
		typ := "guardrail_blocked"
		if code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge {
			typ = "invalid_request_error"
		}
		v = map[string]any{"error": map[string]any{"message": msg, "type": typ}}
	}
	b, _ := json.Marshal(v)
	return b
}
