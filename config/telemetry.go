package config

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Telemetry protocols: OTLP over HTTP (protobuf) or over gRPC.
const (
	TelemetryHTTP = "http"
	TelemetryGRPC = "grpc"
)

// Telemetry exports a span per hook call (with a child span per detector)
// and a log record per decision over OTLP (host/telemetry). Nothing it
// exports holds item text, a payload or a secret.
type Telemetry struct {
	Endpoint string // host:port of the collector
	// URLPath is the base path of an http endpoint given as a URL: traces
	// go to URLPath+"/v1/traces", logs to URLPath+"/v1/logs".
	URLPath  string
	Protocol string // http | grpc
	Insecure bool   // plain text instead of TLS
	// CAFile verifies the collector's certificate (default: the system
	// roots); CertFile and KeyFile, together, are picket's client
	// certificate.
	CAFile, CertFile, KeyFile string
	// TLSDigest is a digest of those files' contents as loaded, so that a
	// reload sees a rotated certificate as a change.
	TLSDigest string
	// Headers are sent with every export (an auth token); empty means the
	// exporter's OTEL_EXPORTER_OTLP_HEADERS, if set.
	Headers      map[string]string
	SampleRatio  float64 // share of traces started here that are kept, 0 to 1
	ServiceName  string
	Timeout      time.Duration // bounds one export request
	DecisionLogs bool          // export a log record per decision (on by default)
	// Where is the block's position ("picket.hcl:40,1"), for messages.
	Where string
}

// Same reports whether a and b export the same things the same way (Where
// aside): a reload that keeps the block as it was keeps its exporter.
func (a *Telemetry) Same(b *Telemetry) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Where, y.Where = "", ""
	if len(x.Headers) == 0 && len(y.Headers) == 0 {
		x.Headers, y.Headers = nil, nil
	}
	return reflect.DeepEqual(x, y)
}

// DefaultTelemetryTimeout bounds one export when the block says nothing.
const DefaultTelemetryTimeout = 10 * time.Second

type rawTelemetry struct {
	Enabled      *bool             `hcl:"enabled,optional"`
	Endpoint     *string           `hcl:"endpoint,optional"`
	EndpointRng  hcl.Range         `hcl:"endpoint,attr_range"`
	Protocol     *string           `hcl:"protocol,optional"`
	ProtocolRng  hcl.Range         `hcl:"protocol,attr_range"`
	Insecure     *bool             `hcl:"insecure,optional"`
	InsecureRng  hcl.Range         `hcl:"insecure,attr_range"`
	CAFile       *string           `hcl:"ca_file,optional"`
	CAFileRng    hcl.Range         `hcl:"ca_file,attr_range"`
	CertFile     *string           `hcl:"cert_file,optional"`
	CertFileRng  hcl.Range         `hcl:"cert_file,attr_range"`
	KeyFile      *string           `hcl:"key_file,optional"`
	KeyFileRng   hcl.Range         `hcl:"key_file,attr_range"`
	Headers      map[string]string `hcl:"headers,optional"`
	HeadersRng   hcl.Range         `hcl:"headers,attr_range"`
	SampleRatio  *float64          `hcl:"sample_ratio,optional"`
	SampleRng    hcl.Range         `hcl:"sample_ratio,attr_range"`
	ServiceName  *string           `hcl:"service_name,optional"`
	ServiceRng   hcl.Range         `hcl:"service_name,attr_range"`
	Timeout      *string           `hcl:"timeout,optional"`
	TimeoutRng   hcl.Range         `hcl:"timeout,attr_range"`
	DecisionLogs *bool             `hcl:"decision_logs,optional"`
	DefRange     hcl.Range         `hcl:",def_range"`
}

// telemetry validates the telemetry block; nil (no block, or enabled =
// false) means telemetry is off.
func (v *validator) telemetry(rt *rawTelemetry) *Telemetry {
	if rt == nil || (rt.Enabled != nil && !*rt.Enabled) {
		return nil
	}
	t := &Telemetry{Protocol: TelemetryHTTP, SampleRatio: 1, ServiceName: "picket", Timeout: DefaultTelemetryTimeout,
		DecisionLogs: true, Where: pos(rt.DefRange, "")}
	if rt.Protocol != nil {
		t.Protocol = *rt.Protocol
		v.oneOf(rt.ProtocolRng, "telemetry.protocol", t.Protocol, TelemetryHTTP, TelemetryGRPC)
	}
	if rt.Insecure != nil {
		t.Insecure = *rt.Insecure
	}
	if rt.Endpoint == nil || strings.TrimSpace(*rt.Endpoint) == "" {
		v.errorf(orRange(rt.EndpointRng, rt.DefRange), "telemetry.endpoint", "the telemetry block needs the collector's endpoint, like \"127.0.0.1:4318\" (http) or \"127.0.0.1:4317\" (grpc)")
	} else {
		v.telemetryEndpoint(rt, t, strings.TrimSpace(*rt.Endpoint))
	}
	for name, val := range rt.Headers {
		if !headerName(name) {
			v.errorf(rt.HeadersRng, "telemetry.headers", "%q is not a header name", name)
		}
		if strings.ContainsAny(val, "\r\n\x00") {
			v.errorf(rt.HeadersRng, "telemetry.headers", "the value of %q holds a line break", name)
		}
	}
	if len(rt.Headers) > 0 {
		t.Headers = rt.Headers
	}
	if rt.SampleRatio != nil {
		t.SampleRatio = *rt.SampleRatio
		if t.SampleRatio < 0 || t.SampleRatio > 1 {
			v.errorf(rt.SampleRng, "telemetry.sample_ratio", "%g is not between 0 and 1", t.SampleRatio)
		}
	}
	if rt.ServiceName != nil {
		t.ServiceName = strings.TrimSpace(*rt.ServiceName)
		if t.ServiceName == "" {
			v.errorf(rt.ServiceRng, "telemetry.service_name", "must not be empty")
		}
	}
	if rt.Timeout != nil {
		t.Timeout = v.duration(rt.TimeoutRng, "telemetry.timeout", *rt.Timeout, time.Millisecond)
	}
	if rt.DecisionLogs != nil {
		t.DecisionLogs = *rt.DecisionLogs
	}
	v.telemetryTLS(rt, t)
	return t
}

// telemetryEndpoint takes host:port, or a URL whose scheme says TLS
// (https) or not (http) and, for the http protocol, whose path is the base
// of the signals' paths.
func (v *validator) telemetryEndpoint(rt *rawTelemetry, t *Telemetry, ep string) {
	hostPort := ep
	if strings.Contains(ep, "://") {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			v.errorf(rt.EndpointRng, "telemetry.endpoint", "%q is not host:port nor an http:// or https:// URL of the collector", ep)
			return
		}
		insecure := u.Scheme == "http"
		if rt.Insecure != nil && *rt.Insecure != insecure {
			v.errorf(rt.InsecureRng, "telemetry.insecure", "insecure = %t contradicts the endpoint's scheme %s:// (leave insecure out)", *rt.Insecure, u.Scheme)
		}
		t.Insecure = insecure
		hostPort = u.Host
		if p := strings.TrimRight(u.Path, "/"); p != "" {
			if t.Protocol == TelemetryGRPC {
				v.errorf(rt.EndpointRng, "telemetry.endpoint", "a grpc endpoint has no path (%q)", u.Path)
			}
			t.URLPath = p
		}
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || host == "" || port == "" {
		v.errorf(rt.EndpointRng, "telemetry.endpoint", "%q is not host:port (the collector listens on 4318 for http, 4317 for grpc)", ep)
		return
	}
	t.Endpoint = hostPort
}

// telemetryTLS checks the certificate files now, so that a bad one is
// refused at load with its position rather than at the first export.
func (v *validator) telemetryTLS(rt *rawTelemetry, t *Telemetry) {
	sum := sha256.New()
	if rt.CAFile != nil {
		t.CAFile = *rt.CAFile
		if t.Insecure {
			v.errorf(rt.CAFileRng, "telemetry.ca_file", "an insecure (plain text) endpoint uses no CA")
		}
		b, err := os.ReadFile(t.CAFile)
		if err != nil {
			v.errorf(rt.CAFileRng, "telemetry.ca_file", "cannot read %q: %v", t.CAFile, unwrapPath(err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(b) {
			v.errorf(rt.CAFileRng, "telemetry.ca_file", "%q holds no PEM certificate", t.CAFile)
		}
		sum.Write(b)
	}
	if (rt.CertFile == nil) != (rt.KeyFile == nil) {
		v.errorf(orRange(rt.CertFileRng, rt.KeyFileRng), "telemetry.cert_file", "a client certificate needs both cert_file and key_file")
	} else if rt.CertFile != nil {
		t.CertFile, t.KeyFile = *rt.CertFile, *rt.KeyFile
		if t.Insecure {
			v.errorf(rt.CertFileRng, "telemetry.cert_file", "an insecure (plain text) endpoint sends no client certificate")
		}
		cert, cerr := os.ReadFile(t.CertFile)
		key, kerr := os.ReadFile(t.KeyFile)
		switch {
		case cerr != nil:
			v.errorf(rt.CertFileRng, "telemetry.cert_file", "cannot read %q: %v", t.CertFile, unwrapPath(cerr))
		case kerr != nil:
			v.errorf(rt.KeyFileRng, "telemetry.key_file", "cannot read %q: %v", t.KeyFile, unwrapPath(kerr))
		default:
			if _, err := tls.X509KeyPair(cert, key); err != nil {
				// The error names no key material.
				v.errorf(rt.CertFileRng, "telemetry.cert_file", "%q and %q are not a certificate and its key: %v", t.CertFile, t.KeyFile, err)
			}
		}
		sum.Write(cert)
		sum.Write(key)
	}
	if t.CAFile != "" || t.CertFile != "" {
		t.TLSDigest = hex.EncodeToString(sum.Sum(nil))
	}
}

// headerName reports whether s is an HTTP header name (an RFC 9110 token).
func headerName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 0x7e || c <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, c) {
			return false
		}
	}
	return true
}

// unwrapPath drops the path from a *PathError (the message names it already).
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// String describes the block for logs: never its headers' values.
func (a *Telemetry) String() string {
	if a == nil {
		return "off"
	}
	return fmt.Sprintf("otlp/%s %s (sample %g)", a.Protocol, a.Endpoint, a.SampleRatio)
}
