package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/hashicorp/hcl/v2"

	"github.com/picketsec/picket/sdk"
)

// sinkName is what a sink label may be: it names the spool's directory.
var sinkName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// sink validates one sink block; others are the sinks before it.
func (v *validator) sink(rs rawSink, others []Sink) Sink {
	s := Sink{Name: rs.Name, Type: rs.Type, MinSeverity: sdk.SeverityHigh, Network: "udp"}
	field := fmt.Sprintf("sink %q", rs.Name)
	if !sinkName.MatchString(rs.Name) {
		v.errorf(rs.LabelRange, "sink", "%q: a sink name is 1 to 64 letters, digits, '.', '_' or '-' (it names the spool's directory)", rs.Name)
	}
	for _, o := range others {
		if o.Name == rs.Name {
			v.errorf(rs.LabelRange, "sink", "%q is declared twice", rs.Name)
		}
	}
	v.oneOf(rs.TypeRange, field+" type", rs.Type, "webhook", "syslog")
	webhook, syslog := rs.Type == "webhook", rs.Type == "syslog"
	only := func(set bool, rng hcl.Range, name string, ok bool, kind string) bool {
		if set && !ok {
			v.errorf(rng, field+" "+name, "only a %s sink takes %s", kind, name)
			return false
		}
		return set
	}
	if only(rs.URL != nil, rs.URLRange, "url", webhook || !syslog, "webhook") {
		s.URL = *rs.URL
		if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf(rs.URLRange, field+" url", "%q is not an http:// or https:// URL", truncate(s.URL, 40))
		}
	}
	if only(rs.Address != nil, rs.AddrRange, "address", syslog || !webhook, "syslog") {
		s.Address = *rs.Address
		if _, _, err := net.SplitHostPort(s.Address); err != nil {
			v.errorf(rs.AddrRange, field+" address", "%q is not host:port", s.Address)
		}
	}
	if only(rs.Network != nil, rs.NetworkRange, "network", syslog || !webhook, "syslog") {
		s.Network = *rs.Network
		v.oneOf(rs.NetworkRange, field+" network", s.Network, "udp", "tcp", "tls")
	}
	if rs.MinSeverity != nil {
		s.MinSeverity = v.severity(rs.MinSevRange, field+" min_severity", *rs.MinSeverity)
	}
	if webhook && rs.URL == nil {
		v.errorf(rs.DefRange, field+" url", "a webhook sink needs a url")
	}
	if syslog && rs.Address == nil {
		v.errorf(rs.DefRange, field+" address", "a syslog sink needs an address")
	}

	// TLS files, read now so that a bad one is refused before serving.
	tlsNet := syslog && s.Network == "tls"
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	if only(rs.CAFile != nil, rs.CAFileRange, "ca_file", tlsNet, `syslog (network = "tls")`) {
		s.CAFile = *rs.CAFile
		if pem, err := os.ReadFile(s.CAFile); err != nil {
			v.errorf(rs.CAFileRange, field+" ca_file", "cannot read %s: %v", s.CAFile, err)
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			v.errorf(rs.CAFileRange, field+" ca_file", "%s holds no PEM certificate", s.CAFile)
		}
	}
	cert := only(rs.CertFile != nil, rs.CertRange, "cert_file", tlsNet, `syslog (network = "tls")`)
	key := only(rs.KeyFile != nil, rs.KeyRange, "key_file", tlsNet, `syslog (network = "tls")`)
	switch {
	case cert && key:
		s.CertFile, s.KeyFile = *rs.CertFile, *rs.KeyFile
		if _, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile); err != nil {
			v.errorf(rs.CertRange, field+" cert_file", "the client certificate and key do not load: %v", err)
		}
	case cert:
		v.errorf(rs.CertRange, field+" key_file", "cert_file needs key_file")
	case key:
		v.errorf(rs.KeyRange, field+" cert_file", "key_file needs cert_file")
	}
	if only(rs.ServerName != nil, rs.ServerRange, "server_name", tlsNet, `syslog (network = "tls")`) {
		s.ServerName = str(rs.ServerName)
	}

	// Webhook secrets come from the environment, never from the file.
	secret := func(p *string, rng hcl.Range, name string) string {
		if !only(p != nil, rng, name, webhook, "webhook") {
			return ""
		}
		if *p == "" || os.Getenv(*p) == "" {
			v.errorf(rng, field+" "+name, "the environment variable %q is not set (it holds the secret; the file names it only)", *p)
		}
		return *p
	}
	s.BearerTokenEnv = secret(rs.BearerEnv, rs.BearerRange, "bearer_token_env")
	s.HMACKeyEnv = secret(rs.HMACEnv, rs.HMACRange, "hmac_key_env")

	if rs.Timeout != nil {
		s.Timeout = v.duration(rs.TimeoutRange, field+" timeout", *rs.Timeout, time.Millisecond)
	}
	if rs.Backoff != nil {
		s.Backoff = v.duration(rs.BackoffRange, field+" backoff", *rs.Backoff, time.Millisecond)
	}
	if rs.MaxBackoff != nil {
		s.MaxBackoff = v.duration(rs.MaxBackRange, field+" max_backoff", *rs.MaxBackoff, time.Millisecond)
		if s.Backoff > 0 && s.MaxBackoff > 0 && s.MaxBackoff < s.Backoff {
			v.errorf(rs.MaxBackRange, field+" max_backoff", "%s is shorter than backoff (%s)", s.MaxBackoff, s.Backoff)
		}
	}
	if rs.SpoolSize != nil {
		n, err := humanize.ParseBytes(*rs.SpoolSize)
		switch {
		case err != nil:
			v.errorf(rs.SpoolSizeRng, field+" spool_max_size", "%q is not a size like \"64MiB\"", *rs.SpoolSize)
		case n < 64<<10 || n > 1<<40:
			v.errorf(rs.SpoolSizeRng, field+" spool_max_size", "%s is outside 64KiB..1TiB", humanize.IBytes(n))
		default:
			s.SpoolMaxBytes = int64(n)
		}
	}
	if rs.SpoolRecords != nil {
		s.SpoolMaxRecords = *rs.SpoolRecords
		if *rs.SpoolRecords < 1 {
			v.errorf(rs.SpoolRecRng, field+" spool_max_records", "must be at least 1 (the spool is bounded)")
		}
	}
	return s
}
