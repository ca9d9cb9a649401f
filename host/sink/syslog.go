package sink

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// Syslog networks.
const (
	NetworkUDP = "udp" // one datagram per message (RFC 5426); nothing says it arrived
	NetworkTCP = "tcp" // octet-counted framing (RFC 6587)
	NetworkTLS = "tls" // RFC 5425: octet-counted framing over TLS 1.2+
)

// SyslogConfig configures a syslog sink.
type SyslogConfig struct {
	Options
	Network  string // udp (default), tcp or tls
	Address  string // host:port
	Facility int    // 0..23; 0 means 10 (security/authorization)
	AppName  string // default "picket"
	Hostname string // default os.Hostname
	// TLS, for network tls: the CA bundle that signs the receiver's
	// certificate (PEM; empty means the system's roots), a client
	// certificate and key for mutual TLS (PEM, both or neither), and the
	// name to verify (default: the address's host).
	CAFile, CertFile, KeyFile, ServerName string
}

// Syslog sends one RFC 5424 message per finding of an alert, in order.
// Over TCP and TLS an alert is delivered once its messages are written to
// a connection that was open just before (a closed connection is noticed
// and dialled again); syslog has no acknowledgement, so messages written
// as the receiver dies can be lost. Over UDP it is delivered once sent.
type Syslog struct {
	*base
}

// Interface guard.
var _ audit.Sink = (*Syslog)(nil)

type syslog struct {
	cfg  SyslogConfig
	tls  *tls.Config
	conn net.Conn
}

// TLSConfig builds the client TLS config of a syslog sink from its files,
// for New and for config checks.
func TLSConfig(address, caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if tc.ServerName == "" {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return nil, fmt.Errorf("address: %w", err)
		}
		tc.ServerName = host
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", caFile)
		}
		tc.RootCAs = pool
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("cert_file and key_file go together")
	}
	if certFile != "" {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

// NewSyslog checks cfg (and loads its TLS files), opens the sink's spool
// and starts delivering. It does not connect until the first alert.
func NewSyslog(cfg SyslogConfig) (*Syslog, error) {
	if cfg.Network == "" {
		cfg.Network = NetworkUDP
	}
	if cfg.Network != NetworkUDP && cfg.Network != NetworkTCP && cfg.Network != NetworkTLS {
		return nil, fmt.Errorf("sink %q: network %q (want udp, tcp or tls)", cfg.Name, cfg.Network)
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("sink %q: address: %w", cfg.Name, err)
	}
	if cfg.Facility <= 0 || cfg.Facility > 23 {
		cfg.Facility = 10
	}
	if cfg.AppName == "" {
		cfg.AppName = "picket"
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	s := &syslog{cfg: cfg}
	if cfg.Network == NetworkTLS {
		tc, err := TLSConfig(cfg.Address, cfg.CAFile, cfg.CertFile, cfg.KeyFile, cfg.ServerName)
		if err != nil {
			return nil, fmt.Errorf("sink %q: %w", cfg.Name, err)
		}
		s.tls = tc
	}
	b, err := newBase(cfg.Options, s)
	if err != nil {
		return nil, err
	}
	return &Syslog{base: b}, nil
}

// syslogSeverity maps a finding severity to an RFC 5424 severity.
func syslogSeverity(sev sdk.Severity) int {
	switch sev {
	case sdk.SeverityCritical:
		return 2 // critical
	case sdk.SeverityHigh:
		return 3 // error
	case sdk.SeverityMedium:
		return 4 // warning
	case sdk.SeverityLow:
		return 5 // notice
	}
	return 6 // informational
}

var sdEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

// header field: printable US-ASCII without spaces, or "-".
func headerField(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if r > 32 && r < 127 {
			b.WriteRune(r)
		}
		if b.Len() >= max {
			break
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

// FormatSyslog renders finding i of an alert as an RFC 5424 message
// (without transport framing). seq is the sink's spool sequence number;
// (event_id, index) names the message for a receiver that drops repeats.
func FormatSyslog(facility int, hostname, app string, seq uint64, a *audit.Alert, i int) string {
	f := &a.Findings[i]
	pri := facility*8 + syslogSeverity(f.Severity)
	v := sdEscaper.Replace
	sd := fmt.Sprintf(`[picket@32473 event_id="%s" index="%d" seq="%d" tenant="%s" type="%s" session_id="%s" login="%s" detector="%s" rule="%s" category="%s" severity="%s" decision="%s" would_block="%t" action="%s" fingerprint="%s" redacted="%s"]`,
		v(a.EventID), i, seq, v(a.Tenant), v(a.Type), v(a.SessionID), v(a.Identity.Login),
		v(f.Detector), v(f.Rule), v(f.Category), f.Severity, v(a.Decision), a.WouldBlock,
		v(f.Action), v(f.Fingerprint), v(f.Redacted))
	ts := a.ReceivedAt
	if ts.IsZero() {
		ts = time.Now()
	}
	msg := strings.ReplaceAll(f.Message, "\n", " ")
	return fmt.Sprintf("<%d>1 %s %s %s %d %s %s %s", pri, ts.UTC().Format(time.RFC3339Nano), headerField(hostname, 255),
		headerField(app, 48), os.Getpid(), headerField(f.Category, 32), sd, msg)
}

func (s *syslog) deliver(ctx context.Context, seq uint64, a *audit.Alert, _ []byte) error {
	stream := s.cfg.Network != NetworkUDP
	var frames [][]byte
	for i := range a.Findings {
		msg := FormatSyslog(s.cfg.Facility, s.cfg.Hostname, s.cfg.AppName, seq, a, i)
		if stream {
			msg = strconv.Itoa(len(msg)) + " " + msg
		}
		frames = append(frames, []byte(msg))
	}
	if s.conn != nil && stream && !s.alive() {
		s.drop()
	}
	if s.conn == nil {
		if err := s.dial(ctx); err != nil {
			return err
		}
	}
	deadline, _ := ctx.Deadline()
	_ = s.conn.SetWriteDeadline(deadline)
	if stream {
		// One write for the alert's messages.
		var all []byte
		for _, f := range frames {
			all = append(all, f...)
		}
		frames = [][]byte{all}
	}
	for _, f := range frames {
		if _, err := s.conn.Write(f); err != nil {
			s.drop()
			return fmt.Errorf("syslog: write: %w", err)
		}
	}
	return nil
}

// alive says whether the receiver has not closed the connection: a
// syslog receiver never writes, so anything but a timeout on a short read
// (EOF, a reset, a TLS alert) means it is gone.
func (s *syslog) alive() bool {
	_ = s.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := s.conn.Read(b[:])
	_ = s.conn.SetReadDeadline(time.Time{})
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *syslog) dial(ctx context.Context) error {
	d := &net.Dialer{}
	var err error
	switch s.cfg.Network {
	case NetworkTLS:
		s.conn, err = (&tls.Dialer{NetDialer: d, Config: s.tls}).DialContext(ctx, "tcp", s.cfg.Address)
	default:
		s.conn, err = d.DialContext(ctx, s.cfg.Network, s.cfg.Address)
	}
	if err != nil {
		s.conn = nil
		return fmt.Errorf("syslog: dial: %w", err)
	}
	return nil
}

func (s *syslog) drop() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}

func (s *syslog) close() { s.drop() }
