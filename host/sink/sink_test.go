package sink_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	dto "github.com/prometheus/client_model/go"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/host/sink"
	"github.com/picketsec/picket/sdk"
)

// rawSecret is in every event's item text; no sink may send it.
const rawSecret = "AKIAZZTESTSINKRAW123"

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func event(i int) (*audit.Event, *audit.Result) {
	ev := &audit.Event{ID: fmt.Sprintf("ev-%04d", i), Tenant: "acme", Type: sdk.EventPreRequest, SessionID: "s1", ReceivedAt: t0.Add(time.Duration(i) * time.Millisecond),
		Identity: sdk.Identity{Login: "alice@example.com"}, Items: []audit.Item{{Text: "my key is " + rawSecret}}}
	res := &audit.Result{Decision: "block", WouldBlock: true, Mode: "enforce", Category: "secrets", Findings: []audit.Finding{
		{Finding: sdk.Finding{Detector: "secrets", Rule: "aws", Category: "secrets", Severity: sdk.SeverityCritical, Message: "AWS key in the prompt", Redacted: `AKIA"**]`, Fingerprint: "fp1"}, Action: "block"},
		{Finding: sdk.Finding{Detector: "secrets", Rule: "low", Category: "secrets", Severity: sdk.SeverityLow, Message: "low"}, Action: "alert"},
		{Finding: sdk.Finding{Detector: "secrets", Rule: "allow", Category: "secrets", Severity: sdk.SeverityCritical, Message: "allowlisted"}, Action: "block", Suppressed: "allowlist"},
	}}
	return ev, res
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func closeSink(t *testing.T, s interface{ Close(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}
}

func opts(t *testing.T, dir string) sink.Options {
	return sink.Options{Name: "test", Dir: dir, Backoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Timeout: 2 * time.Second,
		Logger: hclog.New(&hclog.LoggerOptions{Output: testWriter{t}, Level: hclog.Info})}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// hook is a webhook receiver that can be stopped and started again on
// the same port.
type hook struct {
	t      *testing.T
	addr   string
	mu     sync.Mutex
	got    []delivery
	answer func(n int) (int, http.Header) // nil: 200
	srv    *http.Server
}

type delivery struct {
	alert                   audit.Alert
	body                    string
	key, seq, auth, ts, sig string
	at                      time.Time
}

func newHook(t *testing.T) *hook {
	h := &hook{t: t, addr: "127.0.0.1:0"}
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *hook) start() {
	h.t.Helper()
	ln, err := net.Listen("tcp", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(h.serve)}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	go srv.Serve(ln)
}

func (h *hook) stop() {
	h.mu.Lock()
	srv := h.srv
	h.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (h *hook) url() string { return "http://" + h.addr + "/alerts" }

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	n := len(h.got)
	answer := h.answer
	d := delivery{body: string(b), key: r.Header.Get(sink.HeaderIdempotencyKey), seq: r.Header.Get(sink.HeaderSequence),
		auth: r.Header.Get("Authorization"), ts: r.Header.Get(sink.HeaderTimestamp), sig: r.Header.Get(sink.HeaderSignature), at: time.Now()}
	json.Unmarshal(b, &d.alert)
	h.got = append(h.got, d)
	h.mu.Unlock()
	code := http.StatusOK
	if answer != nil {
		var hdr http.Header
		code, hdr = answer(n)
		for k, v := range hdr {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(code)
}

func (h *hook) deliveries() []delivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]delivery(nil), h.got...)
}

// checkInOrder checks that ids are want (event IDs from first to last),
// each once.
func checkInOrder(t *testing.T, ids []string, want []int) {
	t.Helper()
	var w []string
	for _, i := range want {
		w = append(w, fmt.Sprintf("ev-%04d", i))
	}
	if fmt.Sprint(ids) != fmt.Sprint(w) {
		t.Fatalf("received %d: %v\nwant %d: %v", len(ids), ids, len(w), w)
	}
}

func seq(from, to int) []int {
	var s []int
	for i := from; i < to; i++ {
		s = append(s, i)
	}
	return s
}

// TestWebhookOutageLosesNothing: the receiver stops, N alerts are emitted,
// it starts again, and exactly those N arrive, in order, signed.
func TestWebhookOutageLosesNothing(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	m := metrics.New()
	o := opts(t, t.TempDir())
	o.Metrics = m
	w, err := sink.NewWebhook(sink.WebhookConfig{Options: o, URL: h.url(), BearerToken: "tok-123", HMACKey: []byte("hmac-key")})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, w)
	w.Emit(event(0))
	waitFor(t, "the first alert", func() bool { return len(h.deliveries()) == 1 })

	h.stop()
	const n = 50
	for i := 1; i <= n; i++ {
		w.Emit(event(i))
	}
	waitFor(t, "retries while the receiver is down", func() bool { st := w.Stats(); return st.Retries >= 3 && st.Depth == n })
	h.start()
	waitFor(t, "the spool to drain", func() bool { return w.Stats().Depth == 0 })

	got := h.deliveries()
	var ids []string
	lastSeq := 0
	for _, d := range got {
		ids = append(ids, d.alert.EventID)
		if d.key != d.alert.EventID {
			t.Errorf("Idempotency-Key %q for event %q", d.key, d.alert.EventID)
		}
		s, _ := strconv.Atoi(d.seq)
		if s <= lastSeq {
			t.Errorf("sequence %d after %d", s, lastSeq)
		}
		lastSeq = s
		if d.auth != "Bearer tok-123" {
			t.Errorf("Authorization %q", d.auth)
		}
		if d.sig != sink.Sign([]byte("hmac-key"), d.ts, []byte(d.body)) {
			t.Errorf("bad signature %q", d.sig)
		}
		if strings.Contains(d.body, rawSecret) || strings.Contains(d.body, "my key is") {
			t.Errorf("the raw item text reached the receiver: %s", d.body)
		}
		if len(d.alert.Findings) != 1 || d.alert.Findings[0].Rule != "aws" {
			t.Errorf("findings %+v", d.alert.Findings)
		}
	}
	checkInOrder(t, ids, seq(0, n+1))
	st := w.Stats()
	if st.Delivered != n+1 || st.Spooled != n+1 || len(st.Dropped) != 0 {
		t.Errorf("stats %+v", st)
	}
	for name, want := range map[string]float64{"picket_sink_spooled_total": n + 1, "picket_sink_delivered_total": n + 1, "picket_sink_spool_depth": 0} {
		if got := metric(t, m, name, nil); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if metric(t, m, "picket_sink_retries_total", nil) < 3 {
		t.Error("retries not counted")
	}
}

// metric sums the samples of a family whose labels include labels.
func metric(t *testing.T, m *metrics.Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	next:
		for _, mm := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range mm.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			sum += value(mm)
		}
	}
	return sum
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return 0
}

// TestWebhookAnswers: 429 and 503 wait for Retry-After; a refused alert
// is dropped and counted, and the next one goes; a hung receiver times
// out and is retried.
func TestWebhookAnswers(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	h.answer = func(n int) (int, http.Header) {
		switch n {
		case 0:
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}}
		case 1:
			return http.StatusServiceUnavailable, http.Header{"Retry-After": {"1"}}
		case 3:
			return http.StatusUnprocessableEntity, nil
		case 4:
			time.Sleep(300 * time.Millisecond) // past the attempt's timeout
		}
		return http.StatusOK, nil
	}
	o := opts(t, t.TempDir())
	o.Timeout = 100 * time.Millisecond
	w, err := sink.NewWebhook(sink.WebhookConfig{Options: o, URL: h.url()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, w)
	for i := range 3 {
		w.Emit(event(i))
	}
	waitFor(t, "three alerts through", func() bool { return w.Stats().Delivered == 2 && w.Stats().Depth == 0 })
	got := h.deliveries()
	// 0: 429, 1: 503 (both event 0), 2: event 0 ok, 3: event 1 refused,
	// 4: event 2 hangs, 5: event 2 ok.
	var ids []string
	for _, d := range got {
		ids = append(ids, d.alert.EventID)
	}
	if fmt.Sprint(ids) != "[ev-0000 ev-0000 ev-0000 ev-0001 ev-0002 ev-0002]" {
		t.Fatalf("deliveries %v", ids)
	}
	// Retry-After is a lower bound on the wait, whatever the backoff says.
	for i := 1; i <= 2; i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < 950*time.Millisecond {
			t.Errorf("retry %d came %v after a Retry-After of 1s", i, gap)
		}
	}
	if st := w.Stats(); st.Dropped[sink.DropRejected] != 1 || st.Retries != 3 {
		t.Errorf("stats %+v", st)
	}
}

// TestRestartReplaysSpool: a sink closed with alerts spooled (the receiver
// down) delivers them all after it is opened again on the same directory.
func TestRestartReplaysSpool(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	h.stop()
	dir := t.TempDir()
	w, err := sink.NewWebhook(sink.WebhookConfig{Options: opts(t, dir), URL: h.url()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	for i := range n {
		w.Emit(event(i))
	}
	waitFor(t, "alerts spooled", func() bool { return w.Stats().Spooled == n })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if err := w.Close(ctx); err == nil {
		t.Error("Close with alerts left returned no error")
	}
	cancel()
	w.Emit(event(999)) // after Close: counted, not sent
	if st := w.Stats(); st.Dropped[sink.DropClosed] != 1 || st.Depth != n {
		t.Errorf("stats after close %+v", st)
	}

	h.start()
	w, err = sink.NewWebhook(sink.WebhookConfig{Options: opts(t, dir), URL: h.url()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, w)
	waitFor(t, "the replay", func() bool { return w.Stats().Delivered == n })
	var ids []string
	for _, d := range h.deliveries() {
		ids = append(ids, d.alert.EventID)
	}
	checkInOrder(t, ids, seq(0, n))
}

// TestBoundDropsOldest: past the spool's bound the oldest alerts are
// dropped, counted in the stats and the metric; the newest are delivered.
func TestBoundDropsOldest(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	h.stop()
	m := metrics.New()
	o := opts(t, t.TempDir())
	o.MaxRecords, o.Metrics = 10, m
	w, err := sink.NewWebhook(sink.WebhookConfig{Options: o, URL: h.url()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, w)
	for i := range 25 {
		w.Emit(event(i))
	}
	waitFor(t, "alerts spooled", func() bool { return w.Stats().Spooled == 25 })
	st := w.Stats()
	if st.Depth != 10 || st.Dropped[sink.DropSpoolFull] != 15 {
		t.Fatalf("stats %+v", st)
	}
	if got := metric(t, m, "picket_sink_dropped_total", map[string]string{"sink": "test", "reason": "spool_full"}); got != 15 {
		t.Errorf("dropped metric %v", got)
	}
	if got := metric(t, m, "picket_sink_spool_depth", map[string]string{"sink": "test"}); got != 10 {
		t.Errorf("depth gauge %v", got)
	}
	h.start()
	waitFor(t, "the newest ten", func() bool { return w.Stats().Depth == 0 })
	var ids []string
	for _, d := range h.deliveries() {
		ids = append(ids, d.alert.EventID)
	}
	checkInOrder(t, ids, seq(15, 25))
}

// TestEmitNeverBlocks: a receiver that never answers holds back neither
// Emit nor another sink.
func TestEmitNeverBlocks(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	hung := newHook(t)
	hung.answer = func(int) (int, http.Header) { <-release; return 200, nil }
	defer close(release)
	good := newHook(t)
	o := opts(t, t.TempDir())
	o.QueueSize, o.MaxRecords, o.Timeout = 8, 100, time.Minute
	slow, err := sink.NewWebhook(sink.WebhookConfig{Options: o, URL: hung.url()})
	if err != nil {
		t.Fatal(err)
	}
	o2 := opts(t, t.TempDir())
	o2.Name = "good"
	fast, err := sink.NewWebhook(sink.WebhookConfig{Options: o2, URL: good.url()})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, fast)
	all := audit.Sinks{slow, fast}
	const n = 500 // within the good sink's hand-off queue: it drops nothing
	for i := range n {
		all.Emit(event(i))
	}
	waitFor(t, "the good sink to deliver everything", func() bool { return fast.Stats().Delivered == n })
	waitFor(t, "the slow sink to spool what it took", func() bool {
		st := slow.Stats()
		return st.Spooled+st.Dropped[sink.DropQueueFull] == n
	})
	st := slow.Stats()
	if st.Depth > 100 || st.Dropped[sink.DropSpoolFull]+st.Dropped[sink.DropQueueFull] < n-101 {
		t.Errorf("slow sink %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	slow.Close(ctx) // abandons the hung attempt
}

// TestSyslogTLSOutageLosesNothing: the same as the webhook's, over RFC 5425
// (octet-counted syslog over mutual TLS).
func TestSyslogTLSOutageLosesNothing(t *testing.T) {
	t.Parallel()
	pki := newPKI(t)
	r := &syslogRecv{t: t, addr: "127.0.0.1:0", tls: pki.server}
	r.start()
	defer r.stop()
	o := opts(t, t.TempDir())
	s, err := sink.NewSyslog(sink.SyslogConfig{Options: o, Network: sink.NetworkTLS, Address: r.addr, Hostname: "testhost",
		CAFile: pki.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey, ServerName: "syslog.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, s)
	s.Emit(event(0))
	waitFor(t, "the first message", func() bool { return len(r.messages()) == 1 })
	r.stop()
	const n = 40
	for i := 1; i <= n; i++ {
		s.Emit(event(i))
	}
	waitFor(t, "retries while the receiver is down", func() bool { st := s.Stats(); return st.Retries >= 3 && st.Depth == n })
	r.start()
	waitFor(t, "the spool to drain", func() bool { return s.Stats().Depth == 0 })
	// The spool is empty once the last frame is written to the socket; the
	// receiver may still be reading it. A frame that never arrives fails here.
	waitFor(t, "the receiver to read every frame", func() bool { return len(r.messages()) >= n+1 })
	var ids []string
	for _, m := range r.messages() {
		checkSyslog(t, m)
		ids = append(ids, eventIDParam.FindStringSubmatch(m)[1])
	}
	checkInOrder(t, ids, seq(0, n+1))

	if _, err := sink.NewSyslog(sink.SyslogConfig{Options: opts(t, t.TempDir()), Network: sink.NetworkTLS, Address: r.addr, CAFile: pki.clientCert + ".missing"}); err == nil {
		t.Error("a missing ca_file was accepted")
	}

	// A receiver whose certificate another CA signed is refused at the
	// handshake, and the alert waits in the spool.
	other := newPKI(t)
	o = opts(t, t.TempDir())
	o.Name = "untrusting"
	u, err := sink.NewSyslog(sink.SyslogConfig{Options: o, Network: sink.NetworkTLS, Address: r.addr, Hostname: "testhost",
		CAFile: other.caFile, CertFile: pki.clientCert, KeyFile: pki.clientKey, ServerName: "syslog.test"})
	if err != nil {
		t.Fatal(err)
	}
	u.Emit(event(100))
	waitFor(t, "handshake failures", func() bool { return u.Stats().Retries >= 2 })
	if st := u.Stats(); st.Delivered != 0 || st.Depth != 1 || len(r.messages()) != n+1 {
		t.Errorf("an untrusted receiver got the alert: %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	u.Close(ctx)
}

func TestSyslogTCPAndUDP(t *testing.T) {
	t.Parallel()
	r := &syslogRecv{t: t, addr: "127.0.0.1:0"}
	r.start()
	defer r.stop()
	s, err := sink.NewSyslog(sink.SyslogConfig{Options: opts(t, t.TempDir()), Network: sink.NetworkTCP, Address: r.addr, Hostname: "testhost"})
	if err != nil {
		t.Fatal(err)
	}
	s.Emit(event(0))
	s.Emit(event(1))
	waitFor(t, "two messages over tcp", func() bool { return len(r.messages()) == 2 })
	for _, m := range r.messages() {
		checkSyslog(t, m)
	}
	closeSink(t, s)

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	u, err := sink.NewSyslog(sink.SyslogConfig{Options: opts(t, t.TempDir()), Address: pc.LocalAddr().String(), Hostname: "testhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer closeSink(t, u)
	u.Emit(event(0))
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	nb, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, string(buf[:nb]))
	if _, err := sink.NewSyslog(sink.SyslogConfig{Options: opts(t, t.TempDir()), Network: "unix", Address: "x:1"}); err == nil {
		t.Error("unix network accepted")
	}
}

var eventIDParam = regexp.MustCompile(`event_id="([^"]*)"`)

func checkSyslog(t *testing.T, msg string) {
	t.Helper()
	m := regexp.MustCompile(`^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) (\[picket@32473 [^\n]*\]) (.*)$`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("not RFC 5424: %q", msg)
	}
	if m[1] != strconv.Itoa(10*8+2) || m[3] != "testhost" || m[4] != "picket" || m[6] != "secrets" {
		t.Errorf("header fields %q", m[1:7])
	}
	if _, err := time.Parse(time.RFC3339Nano, m[2]); err != nil {
		t.Errorf("timestamp %q: %v", m[2], err)
	}
	for _, want := range []string{`detector="secrets"`, `index="0"`, `severity="critical"`, `redacted="AKIA\"**\]"`, `would_block="true"`} {
		if !strings.Contains(m[7], want) {
			t.Errorf("structured data %s lacks %s", m[7], want)
		}
	}
	if m[8] != "AWS key in the prompt" || strings.Contains(msg, rawSecret) {
		t.Errorf("msg %q", m[8])
	}
}

// syslogRecv is an octet-counting syslog receiver over TCP or TLS that can
// be stopped (listener and connections) and started on the same port.
type syslogRecv struct {
	t     *testing.T
	addr  string
	tls   *tls.Config
	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
	msgs  []string
}

func (r *syslogRecv) start() {
	r.t.Helper()
	var ln net.Listener
	var err error
	if r.tls != nil {
		ln, err = tls.Listen("tcp", r.addr, r.tls)
	} else {
		ln, err = net.Listen("tcp", r.addr)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.mu.Lock()
	r.ln = ln
	r.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.mu.Unlock()
			go r.read(c)
		}
	}()
}

func (r *syslogRecv) read(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		var n int
		if _, err := fmt.Fscanf(br, "%d ", &n); err != nil {
			return
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(br, b); err != nil {
			return
		}
		r.mu.Lock()
		r.msgs = append(r.msgs, string(b))
		r.mu.Unlock()
	}
}

func (r *syslogRecv) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ln != nil {
		r.ln.Close()
		r.ln = nil
	}
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

func (r *syslogRecv) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// pki is a CA, a server certificate for syslog.test and a client
// certificate, made for one test.
type pki struct {
	server                        *tls.Config
	caFile, clientCert, clientKey string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "picket test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, usage x509.ExtKeyUsage, dns string) (certPEM, keyPEM []byte) {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: dns},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: []string{dns}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kb, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	}
	srvCert, srvKey := issue(2, x509.ExtKeyUsageServerAuth, "syslog.test")
	cliCert, cliKey := issue(3, x509.ExtKeyUsageClientAuth, "picket")
	p := &pki{caFile: filepath.Join(dir, "ca.pem"), clientCert: filepath.Join(dir, "client.pem"), clientKey: filepath.Join(dir, "client.key")}
	for path, b := range map[string][]byte{
		p.caFile:     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		p.clientCert: cliCert, p.clientKey: cliKey,
	} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pair, err := tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	p.server = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	return p
}

func TestBackoffAndRetryAfter(t *testing.T) {
	t.Parallel()
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		for range 50 {
			if d := sink.Backoff(100*time.Millisecond, time.Second, attempt); d < want/2 || d > want {
				t.Fatalf("attempt %d: %v outside [%v, %v]", attempt, d, want/2, want)
			}
		}
	}
	if d := sink.Backoff(time.Second, time.Minute, 200); d < 30*time.Second || d > time.Minute {
		t.Errorf("a large attempt: %v", d)
	}
}

// TestOrphans: the spool of a sink taken out of the config is reported
// with the alerts it still holds.
func TestOrphans(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	o := opts(t, filepath.Join(root, "old"))
	w, err := sink.NewWebhook(sink.WebhookConfig{Options: o, URL: "http://127.0.0.1:1/alerts"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w.Emit(event(i))
	}
	waitFor(t, "alerts spooled", func() bool { return w.Stats().Spooled == 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	w.Close(ctx)
	os.MkdirAll(filepath.Join(root, "empty"), 0o700)
	if got := sink.Orphans(root, []string{"new"}); len(got) != 1 || got["old"] != 3 {
		t.Errorf("orphans %v", got)
	}
	if got := sink.Orphans(root, []string{"old"}); len(got) != 0 {
		t.Errorf("a configured sink reported: %v", got)
	}
}
