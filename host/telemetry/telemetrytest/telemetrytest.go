// Package telemetrytest is an in-test OTLP receiver on loopback, for both
// protocols: an HTTP server decoding protobuf export requests, and a gRPC
// server with the collector's trace and logs services. It keeps every
// byte it was sent, so that a test can check what never left picket.
package telemetrytest

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/picketsec/picket/config"
)

// Receiver collects what an exporter sends it.
type Receiver struct {
	// Endpoint is host:port on 127.0.0.1.
	Endpoint string
	Protocol string // config.TelemetryHTTP or config.TelemetryGRPC
	tls      bool

	mu      sync.Mutex
	raw     bytes.Buffer // every byte read from the exporter's connections
	spans   []*tracepb.ResourceSpans
	logs    []*logspb.ResourceLogs
	headers []map[string][]string
}

// Start starts a receiver for protocol on a loopback port, in plain
// text; it stops when the test ends.
func Start(t testing.TB, protocol string) *Receiver {
	t.Helper()
	return start(t, protocol, nil)
}

// StartTLS starts a receiver that serves TLS with a certificate for
// 127.0.0.1 made now, and returns it with that certificate in PEM (the CA
// to trust). Raw then holds ciphertext.
func StartTLS(t testing.TB, protocol string) (*Receiver, []byte) {
	t.Helper()
	cert, certPEM := serverCert(t)
	return start(t, protocol, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), certPEM
}

func start(t testing.TB, protocol string, tlsCfg *tls.Config) *Receiver {
	r := &Receiver{Protocol: protocol, tls: tlsCfg != nil}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln = &recordingListener{Listener: ln, r: r}
	r.Endpoint = ln.Addr().String()
	switch protocol {
	case config.TelemetryGRPC:
		var opts []grpc.ServerOption
		if tlsCfg != nil {
			opts = append(opts, grpc.Creds(credentials.NewTLS(tlsCfg)))
		}
		s := grpc.NewServer(opts...)
		coltracepb.RegisterTraceServiceServer(s, traceService{r: r})
		collogspb.RegisterLogsServiceServer(s, logsService{r: r})
		go s.Serve(ln)
		t.Cleanup(s.Stop)
	default:
		s := httptest.NewUnstartedServer(http.HandlerFunc(r.serveHTTP))
		s.Listener.Close()
		s.Listener = ln
		if tlsCfg != nil {
			s.TLS = tlsCfg
			s.StartTLS()
		} else {
			s.Start()
		}
		t.Cleanup(s.Close)
	}
	return r
}

// Config is a telemetry block that exports to r (for a TLS receiver, set
// CAFile to trust it).
func (r *Receiver) Config() *config.Telemetry {
	return &config.Telemetry{Endpoint: r.Endpoint, Protocol: r.Protocol, Insecure: !r.tls, SampleRatio: 1,
		ServiceName: "picket-test", Timeout: 5 * time.Second, DecisionLogs: true}
}

// Raw is every byte the exporters sent, headers and framing included.
func (r *Receiver) Raw() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.raw.Bytes())
}

// Headers are the request headers (gRPC metadata) of every export.
func (r *Receiver) Headers() []map[string][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string][]string(nil), r.headers...)
}

// Span is a received span with its resource's service name.
type Span struct {
	*tracepb.Span
	Service string
	Scope   string
}

// Spans are the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Span
	for _, rs := range r.spans {
		svc := Attr(rs.GetResource().GetAttributes(), "service.name").GetStringValue()
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				out = append(out, Span{Span: sp, Service: svc, Scope: ss.GetScope().GetName()})
			}
		}
	}
	return out
}

// Logs are the log records received so far.
func (r *Receiver) Logs() []*logspb.LogRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*logspb.LogRecord
	for _, rl := range r.logs {
		for _, sl := range rl.ScopeLogs {
			out = append(out, sl.LogRecords...)
		}
	}
	return out
}

// WaitFor polls until ok holds for r or timeout passes, and reports
// which.
func (r *Receiver) WaitFor(timeout time.Duration, ok func(*Receiver) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if ok(r) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Attr finds key among attrs (nil when absent).
func Attr(attrs []*commonpb.KeyValue, key string) *commonpb.AnyValue {
	for _, kv := range attrs {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// ID is a span or trace id in hex.
func ID(b []byte) string { return hex.EncodeToString(b) }

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want application/x-protobuf", http.StatusUnsupportedMediaType)
		return
	}
	var resp proto.Message
	switch req.URL.Path {
	case "/v1/traces":
		var m coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.addSpans(req.Header, m.ResourceSpans)
		resp = &coltracepb.ExportTraceServiceResponse{}
	case "/v1/logs":
		var m collogspb.ExportLogsServiceRequest
		if err := proto.Unmarshal(b, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.addLogs(req.Header, m.ResourceLogs)
		resp = &collogspb.ExportLogsServiceResponse{}
	default:
		http.NotFound(w, req)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (r *Receiver) addSpans(h map[string][]string, rs []*tracepb.ResourceSpans) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = append(r.spans, rs...)
	r.headers = append(r.headers, h)
}

func (r *Receiver) addLogs(h map[string][]string, rl []*logspb.ResourceLogs) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, rl...)
	r.headers = append(r.headers, h)
}

type traceService struct {
	coltracepb.UnimplementedTraceServiceServer
	r *Receiver
}

func (s traceService) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.r.addSpans(md, req.ResourceSpans)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type logsService struct {
	collogspb.UnimplementedLogsServiceServer
	r *Receiver
}

func (s logsService) Export(ctx context.Context, req *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.r.addLogs(md, req.ResourceLogs)
	return &collogspb.ExportLogsServiceResponse{}, nil
}

// recordingListener keeps a copy of every byte its connections read.
type recordingListener struct {
	net.Listener
	r *Receiver
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, r: l.r}, nil
}

type recordingConn struct {
	net.Conn
	r *Receiver
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.r.mu.Lock()
		c.r.raw.Write(p[:n])
		c.r.mu.Unlock()
	}
	return n, err
}

// serverCert makes a self-signed certificate for 127.0.0.1.
func serverCert(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "telemetrytest"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
