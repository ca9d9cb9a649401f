package sink

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/picketsec/picket/host/audit"
)

// Webhook request headers besides Content-Type and Authorization.
const (
	HeaderIdempotencyKey = "Idempotency-Key"    // the event ID: the same on every retry and replay
	HeaderSequence       = "X-Picket-Sequence"  // the sink's spool sequence number: gaps are drops
	HeaderTimestamp      = "X-Picket-Timestamp" // Unix seconds, covered by the signature
	HeaderSignature      = "X-Picket-Signature" // "sha256=" hex HMAC-SHA256(key, timestamp "." body)
)

// WebhookConfig configures a webhook sink.
type WebhookConfig struct {
	Options
	URL         string
	BearerToken string // sent as Authorization: Bearer; never logged
	HMACKey     []byte // signs each request (HeaderSignature) when set
	Client      *http.Client
}

// Webhook POSTs each alert as a JSON object (an audit.Alert) to a URL. A
// 2xx answer delivers it; 400, 413, 415 and 422 refuse it for good
// (dropped, counted as rejected); anything else, a network error or the
// per-attempt timeout is retried with exponential backoff and jitter, and
// on 429 and 503 no sooner than the answer's Retry-After.
type Webhook struct {
	*base
}

// Interface guard.
var _ audit.Sink = (*Webhook)(nil)

type webhook struct {
	cfg WebhookConfig
}

// NewWebhook checks cfg, opens the sink's spool and starts delivering.
func NewWebhook(cfg WebhookConfig) (*Webhook, error) {
	if !strings.HasPrefix(cfg.URL, "http://") && !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("sink %q: url must be http:// or https://", cfg.Name)
	}
	if _, err := http.NewRequest(http.MethodPost, cfg.URL, nil); err != nil {
		return nil, fmt.Errorf("sink %q: url does not parse", cfg.Name)
	}
	if cfg.Client == nil {
		// A redirect is an answer to fix in the config, not to follow: a
		// 302 would turn the POST into a GET that "succeeds" empty.
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	b, err := newBase(cfg.Options, &webhook{cfg: cfg})
	if err != nil {
		return nil, err
	}
	return &Webhook{base: b}, nil
}

// Sign is the signature header value for body sent at ts with key.
func Sign(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *webhook) deliver(ctx context.Context, seq uint64, a *audit.Alert, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return &rejectedError{fmt.Errorf("webhook: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "picket-sink")
	req.Header.Set(HeaderIdempotencyKey, a.EventID)
	req.Header.Set(HeaderSequence, strconv.FormatUint(seq, 10))
	if w.cfg.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+w.cfg.BearerToken)
	}
	if len(w.cfg.HMACKey) > 0 {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(w.cfg.HMACKey, ts, body))
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		// The error may hold the URL (and a token in its query): keep
		// only its kind.
		if ctx.Err() != nil {
			return fmt.Errorf("webhook: no answer within the timeout")
		}
		return fmt.Errorf("webhook: post failed (connection)")
	}
	// Drain a little of the body so that the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge ||
		code == http.StatusUnsupportedMediaType || code == http.StatusUnprocessableEntity:
		return &rejectedError{fmt.Errorf("webhook: status %d", code)}
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		return &retryAfterError{err: fmt.Errorf("webhook: status %d", code), after: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	default:
		// 401, 403, 404 and 5xx are the receiver's or its config's to fix:
		// the alerts wait in the spool meanwhile.
		return fmt.Errorf("webhook: status %d", code)
	}
}

// retryAfter reads a Retry-After value (seconds or an HTTP date); 0 when
// absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return min(time.Duration(n)*time.Second, MaxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), MaxRetryAfter)
	}
	return 0
}

func (w *webhook) close() { w.cfg.Client.CloseIdleConnections() }
