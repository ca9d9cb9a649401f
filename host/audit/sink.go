package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/sdk"
)

// Sink receives evaluated events as they are completed, for alerting
// pipelines. Emit is called on the evaluation path: it must never block
// (implementations queue and drop when full) and never fail the caller.
type Sink interface {
	Emit(ev *Event, res *Result)
}

// Sinks fans an event out to several sinks.
type Sinks []Sink

// Emit implements Sink.
func (ss Sinks) Emit(ev *Event, res *Result) {
	for _, s := range ss {
		s.Emit(ev, res)
	}
}

// Alert is what the sinks send for one event: its verdict and the
// counting findings at or above the sink's severity. It never holds item
// text.
type Alert struct {
	EventID    string       `json:"event_id"`
	Tenant     string       `json:"tenant"`
	Type       string       `json:"type"`
	ReceivedAt time.Time    `json:"received_at"`
	SessionID  string       `json:"session_id,omitempty"`
	RequestID  string       `json:"request_id,omitempty"`
	Identity   sdk.Identity `json:"identity"`
	Model      string       `json:"model,omitempty"`
	Decision   string       `json:"decision"`
	WouldBlock bool         `json:"would_block"`
	Mode       string       `json:"mode,omitempty"`
	Category   string       `json:"category,omitempty"`
	Message    string       `json:"message,omitempty"`
	Findings   []Finding    `json:"findings"`
}

// alertFor returns the alert for ev, or nil when no counting finding
// reaches min.
func alertFor(ev *Event, res *Result, min sdk.Severity) *Alert {
	if ev == nil || res == nil {
		return nil
	}
	var fs []Finding
	for _, f := range res.Findings {
		if f.Suppressed == "" && f.Severity >= min {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return &Alert{
		EventID: ev.ID, Tenant: ev.Tenant, Type: ev.Type, ReceivedAt: ev.ReceivedAt, SessionID: ev.SessionID, RequestID: ev.RequestID,
		Identity: ev.Identity, Model: ev.Model, Decision: res.Decision, WouldBlock: res.WouldBlock, Mode: res.Mode,
		Category: res.Category, Message: res.Message, Findings: fs,
	}
}

// SinkStats counts what a sink did.
type SinkStats struct {
	Sent    int64 // delivered
	Dropped int64 // queue full at Emit
	Failed  int64 // given up after retries
}

// queue is the bounded queue and worker shared by the sinks.
type queue struct {
	ch      chan *Alert
	done    chan struct{}
	stop    chan struct{}
	once    sync.Once
	stopped sync.Once
	sent    atomic.Int64
	dropped atomic.Int64
	failed  atomic.Int64
}

func newQueue(size int, deliver func(stop <-chan struct{}, a *Alert)) *queue {
	if size <= 0 {
		size = 1024
	}
	q := &queue{ch: make(chan *Alert, size), done: make(chan struct{}), stop: make(chan struct{})}
	go func() {
		defer close(q.done)
		for a := range q.ch {
			deliver(q.stop, a)
		}
	}()
	return q
}

func (q *queue) push(a *Alert, closed *atomic.Bool) {
	if closed.Load() {
		q.dropped.Add(1)
		return
	}
	select {
	case q.ch <- a:
	default:
		q.dropped.Add(1)
	}
}

func (q *queue) stats() SinkStats {
	return SinkStats{Sent: q.sent.Load(), Dropped: q.dropped.Load(), Failed: q.failed.Load()}
}

// close stops taking alerts and waits until the queue is drained or ctx is
// done; then retries in progress are abandoned.
func (q *queue) close(ctx context.Context, closed *atomic.Bool, mu *sync.RWMutex) error {
	q.once.Do(func() {
		mu.Lock()
		closed.Store(true)
		close(q.ch)
		mu.Unlock()
	})
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		q.stopped.Do(func() { close(q.stop) })
		<-q.done
		return ctx.Err()
	}
}

// backoff sleeps before retry n (0-based), doubling from base up to 30s;
// it returns false when stop closes first.
func backoff(stop <-chan struct{}, base time.Duration, n int) bool {
	d := base << n
	if d > 30*time.Second || d <= 0 {
		d = 30 * time.Second
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// WebhookConfig configures a WebhookSink.
type WebhookConfig struct {
	URL         string
	MinSeverity sdk.Severity      // findings below are not sent; 0 means high
	Headers     map[string]string // e.g. an Authorization header for the receiver
	QueueSize   int               // alerts waiting; 0 means 1024
	MaxRetries  int               // after the first try; 0 means 5
	Backoff     time.Duration     // first retry delay, doubled each time; 0 means 500ms
	Timeout     time.Duration     // per request; 0 means 10s
	Client      *http.Client      // nil means a client with Timeout
	Logger      hclog.Logger
}

// WebhookSink POSTs each alert as a JSON object to a URL, from a bounded
// queue, retrying network errors, 429 and 5xx answers with backoff.
type WebhookSink struct {
	cfg    WebhookConfig
	q      *queue
	mu     sync.RWMutex
	closed atomic.Bool
}

// Interface guard.
var _ Sink = (*WebhookSink)(nil)

// NewWebhookSink starts a webhook sink. Close it to flush.
func NewWebhookSink(cfg WebhookConfig) (*WebhookSink, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("audit: webhook sink: url must be http or https")
	}
	if cfg.MinSeverity == 0 {
		cfg.MinSeverity = sdk.SeverityHigh
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	w := &WebhookSink{cfg: cfg}
	w.q = newQueue(cfg.QueueSize, w.deliver)
	return w, nil
}

// Emit implements Sink.
func (w *WebhookSink) Emit(ev *Event, res *Result) {
	a := alertFor(ev, res, w.cfg.MinSeverity)
	if a == nil {
		return
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	w.q.push(a, &w.closed)
}

func (w *WebhookSink) deliver(stop <-chan struct{}, a *Alert) {
	body, err := json.Marshal(a)
	if err != nil {
		w.q.failed.Add(1)
		return
	}
	for n := 0; ; n++ {
		retry, err := w.post(stop, body)
		if err == nil {
			w.q.sent.Add(1)
			return
		}
		if !retry || n >= w.cfg.MaxRetries {
			w.q.failed.Add(1)
			w.cfg.Logger.Warn("webhook sink: giving up", "event_id", a.EventID, "tries", n+1, "error", err)
			return
		}
		if !backoff(stop, w.cfg.Backoff, n) {
			w.q.failed.Add(1)
			return
		}
	}
}

func (w *WebhookSink) post(stop <-chan struct{}, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.Timeout)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "picket-webhook-sink")
	for k, v := range w.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		// The error may hold the URL (and a token in it): keep it short.
		return true, fmt.Errorf("webhook: post failed")
	}
	// Drain a little of the body so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("webhook: status %d", resp.StatusCode)
	default:
		return false, fmt.Errorf("webhook: status %d", resp.StatusCode)
	}
}

// Stats returns the counts of the sink so far.
func (w *WebhookSink) Stats() SinkStats { return w.q.stats() }

// Close stops taking alerts and waits for the queue to drain until ctx is
// done.
func (w *WebhookSink) Close(ctx context.Context) error {
	return w.q.close(ctx, &w.closed, &w.mu)
}

// SyslogConfig configures a SyslogSink.
type SyslogConfig struct {
	Network     string       // "udp" (default) or "tcp"
	Address     string       // host:port
	MinSeverity sdk.Severity // 0 means high
	Facility    int          // 0..23; 0 means 10 (security/authorization)
	AppName     string       // default "picket"
	Hostname    string       // default os.Hostname
	QueueSize   int          // 0 means 1024
	MaxRetries  int          // reconnect tries per message over TCP; 0 means 3
	Backoff     time.Duration
	Logger      hclog.Logger
}

// SyslogSink sends one RFC 5424 message per finding at or above its
// severity, over UDP or TCP (octet-counted framing, RFC 6587).
type SyslogSink struct {
	cfg    SyslogConfig
	q      *queue
	conn   net.Conn
	mu     sync.RWMutex
	closed atomic.Bool
}

// Interface guard.
var _ Sink = (*SyslogSink)(nil)

// NewSyslogSink starts a syslog sink. It does not connect until the first
// message. Close it to flush.
func NewSyslogSink(cfg SyslogConfig) (*SyslogSink, error) {
	if cfg.Network == "" {
		cfg.Network = "udp"
	}
	if cfg.Network != "udp" && cfg.Network != "tcp" {
		return nil, fmt.Errorf("audit: syslog sink: network %q (want udp or tcp)", cfg.Network)
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("audit: syslog sink: address: %w", err)
	}
	if cfg.MinSeverity == 0 {
		cfg.MinSeverity = sdk.SeverityHigh
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
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	s := &SyslogSink{cfg: cfg}
	s.q = newQueue(cfg.QueueSize, s.deliver)
	return s, nil
}

// Emit implements Sink.
func (s *SyslogSink) Emit(ev *Event, res *Result) {
	a := alertFor(ev, res, s.cfg.MinSeverity)
	if a == nil {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.q.push(a, &s.closed)
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

// sdValue escapes a structured-data parameter value (RFC 5424 §6.3.3).
func sdValue(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)
	return r.Replace(s)
}

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

// FormatSyslog renders one finding of an alert as an RFC 5424 message
// (without transport framing).
func FormatSyslog(facility int, hostname, app string, a *Alert, f *Finding) string {
	pri := facility*8 + syslogSeverity(f.Severity)
	sd := fmt.Sprintf(`[picket@32473 event_id="%s" tenant="%s" type="%s" session_id="%s" login="%s" detector="%s" rule="%s" category="%s" severity="%s" decision="%s" would_block="%t" action="%s" fingerprint="%s" redacted="%s"]`,
		sdValue(a.EventID), sdValue(a.Tenant), sdValue(a.Type), sdValue(a.SessionID), sdValue(a.Identity.Login),
		sdValue(f.Detector), sdValue(f.Rule), sdValue(f.Category), f.Severity, sdValue(a.Decision), a.WouldBlock,
		sdValue(f.Action), sdValue(f.Fingerprint), sdValue(f.Redacted))
	ts := a.ReceivedAt
	if ts.IsZero() {
		ts = time.Now()
	}
	msg := strings.ReplaceAll(f.Message, "\n", " ")
	return fmt.Sprintf("<%d>1 %s %s %s %d %s %s %s", pri, ts.UTC().Format(time.RFC3339Nano), headerField(hostname, 255),
		headerField(app, 48), os.Getpid(), headerField(f.Category, 32), sd, msg)
}

func (s *SyslogSink) deliver(stop <-chan struct{}, a *Alert) {
	for i := range a.Findings {
		msg := FormatSyslog(s.cfg.Facility, s.cfg.Hostname, s.cfg.AppName, a, &a.Findings[i])
		if s.cfg.Network == "tcp" {
			msg = strconv.Itoa(len(msg)) + " " + msg
		}
		var err error
		for n := 0; ; n++ {
			if err = s.send([]byte(msg)); err == nil {
				s.q.sent.Add(1)
				break
			}
			if n >= s.cfg.MaxRetries || !backoff(stop, s.cfg.Backoff, n) {
				s.q.failed.Add(1)
				s.cfg.Logger.Warn("syslog sink: giving up", "event_id", a.EventID, "error", err)
				break
			}
		}
	}
}

// send writes one framed message, dialing (again) when needed. Only the
// worker goroutine calls it.
func (s *SyslogSink) send(b []byte) error {
	if s.conn == nil {
		c, err := net.DialTimeout(s.cfg.Network, s.cfg.Address, 5*time.Second)
		if err != nil {
			return err
		}
		s.conn = c
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := s.conn.Write(b); err != nil {
		_ = s.conn.Close()
		s.conn = nil
		return err
	}
	return nil
}

// Stats returns the counts of the sink so far.
func (s *SyslogSink) Stats() SinkStats { return s.q.stats() }

// Close stops taking alerts, waits for the queue to drain until ctx is
// done, and closes the connection.
func (s *SyslogSink) Close(ctx context.Context) error {
	err := s.q.close(ctx, &s.closed, &s.mu)
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
	return err
}
