package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters/claudecode"
	"github.com/picketsec/picket/host/adapters/litellm"
	"github.com/picketsec/picket/host/adapters/shield"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/internal/fixtures"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/sdk"
)

const (
	testKey  = "pk_test_alpha"
	otherKey = "pk_test_beta"
)

type harness struct {
	t     *testing.T
	srv   *Server
	store audit.Store
	eng   *engine.Engine
	dir   string
	cfg   *config.Config
}

// newHarness starts a server on a fresh SQLite store. detectors nil means
// the embedded default detectors; an empty slice means none.
func newHarness(t *testing.T, mode string, detectors []config.Detector) *harness {
	t.Helper()
	dir := t.TempDir()
	return openHarness(t, dir, mode, detectors)
}

func openHarness(t *testing.T, dir, mode string, detectors []config.Detector) *harness {
	t.Helper()
	return configHarness(t, dir, mode, detectors, nil)
}

// verdictHarness is a server in enforce mode with the default detectors
// for tests that compare verdicts, not latency: a detector still running at
// the budget fails open, and under the race detector on a loaded machine
// the large fixtures take longer than the shipped 250 ms (CI once answered
// allow for a token at the end of a large log that way).
func verdictHarness(t *testing.T) *harness {
	t.Helper()
	return configHarness(t, t.TempDir(), "enforce", nil, func(c *config.Config) { c.Budget = time.Minute })
}

// configHarness is openHarness with a last say on the config before the
// engine loads it.
func configHarness(t *testing.T, dir, mode string, detectors []config.Detector, edit func(*config.Config)) *harness {
	t.Helper()
	cfg := config.Default()
	cfg.Mode = mode
	cfg.DataDir = dir
	cfg.Tenants = []config.Tenant{
		{Name: "alpha", Mode: mode, APIKeySHA256: []string{HashKey(testKey)}},
		{Name: "beta", Mode: mode, APIKeySHA256: []string{HashKey(otherKey)}},
	}
	if detectors != nil {
		cfg.Detectors = detectors
	}
	if edit != nil {
		edit(cfg)
	}
	ctx := context.Background()
	store, err := audit.Open(ctx, audit.Config{Driver: "sqlite", DSN: filepath.Join(dir, "picket.db")})
	if err != nil {
		t.Fatal(err)
	}
	srv, eng := startServer(t, store, cfg, func(o *Options) {
		o.SoleUser = true
		o.Adapters = []HTTPAdapter{shield.New(), litellm.New(), claudecode.New(claudecode.Options{})}
	})
	h := &harness{t: t, srv: srv, store: store, eng: eng, dir: dir, cfg: cfg}
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.srv.Shutdown(ctx)
	h.eng.Close()
	h.store.Close()
}

func (h *harness) do(method, path string, body []byte, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func (h *harness) post(body []byte) *httptest.ResponseRecorder {
	return h.do(http.MethodPost, "/v1/agent/events", body, map[string]string{"Authorization": "Bearer " + testKey})
}

// startServer loads cfg into a new engine and starts a server on store;
// more may change the options first.
func startServer(t testing.TB, store audit.Store, cfg *config.Config, more func(*Options)) (*Server, *engine.Engine) {
	t.Helper()
	ctx := context.Background()
	m := metrics.New()
	eng := engine.New(engine.Options{FingerprintKey: []byte("fp"), Rewrite: llmapi.ReplaceString, Metrics: m})
	if _, err := eng.Load(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	opts := Options{Engine: eng, Store: store, SpoolKey: bytes.Repeat([]byte{7}, 32), Metrics: m}
	if more != nil {
		more(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return srv, eng
}

// waitCompleted waits until no event of the store is pending.
func (h *harness) waitCompleted() {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, err := h.store.Pending(context.Background(), 100)
		if err != nil {
			h.t.Fatal(err)
		}
		if len(p) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatal("async events were not evaluated in time")
}

const plainChat = `{"metadata":{"url":"/v1/chat/completions","request_id":"r1","session_id":"s1","login_name":"a@example.com"},
 "request_body":{"model":"gpt-5","messages":[{"role":"user","content":"hello there"}]}}`

func TestAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	body := []byte(plainChat)
	for name, tc := range map[string]struct {
		hdr  map[string]string
		code int
	}{
		"no key":               {nil, 401},
		"unknown key":          {map[string]string{"Authorization": "Bearer nope"}, 401},
		"bearer":               {map[string]string{"Authorization": "Bearer " + testKey}, 200},
		"bearer lowercase":     {map[string]string{"Authorization": "bearer " + testKey}, 200},
		"x-api-key":            {map[string]string{"X-Api-Key": testKey}, 200},
		"x-highflame-apikey":   {map[string]string{"X-Highflame-Apikey": testKey}, 200},
		"x-goog-api-key":       {map[string]string{"X-Goog-Api-Key": testKey}, 200},
		"basic is not bearer":  {map[string]string{"Authorization": "Basic " + testKey}, 401},
		"splunk (hec)":         {map[string]string{"Authorization": "Splunk " + testKey}, 200},
		"splunk unknown key":   {map[string]string{"Authorization": "Splunk nope"}, 401},
		"cf-aig-authorization": {map[string]string{"Cf-Aig-Authorization": "Bearer " + testKey}, 200},
		"cf-aig bare key":      {map[string]string{"cf-aig-authorization": testKey}, 200},
		"cf-aig unknown key":   {map[string]string{"cf-aig-authorization": "Bearer nope"}, 401},
	} {
		rec := h.do(http.MethodPost, "/v1/agent/events", body, tc.hdr)
		if rec.Code != tc.code {
			t.Errorf("%s: status %d, want %d (%s)", name, rec.Code, tc.code, rec.Body)
		}
		if tc.code == 401 {
			var e struct{ Error string }
			if json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
				t.Errorf("%s: 401 without a JSON error: %s", name, rec.Body)
			}
		}
	}
}

func TestAllowIsExactlyGuardrailResponse(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	rec := h.post([]byte(plainChat))
	if rec.Code != 200 || rec.Body.String() != `{"action":"allow"}` {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("X-Picket-Event-Id") == "" || rec.Header().Get("X-Picket-Decision") != "allow" {
		t.Errorf("headers %v", rec.Header())
	}
	if ae := rec.Header().Get("Accept-Encoding"); !strings.Contains(ae, "zstd") {
		t.Errorf("Accept-Encoding %q does not advertise zstd", ae)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	deep := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
	cases := map[string]struct {
		body   string
		path   string
		hdr    map[string]string
		code   int
		substr string
	}{
		"malformed json":       {body: `{"metadata":`, code: 400},
		"not an object":        {body: `[1,2,3]`, code: 400},
		"empty body":           {body: ``, code: 400},
		"metadata wrong type":  {body: `{"metadata":"x","request_body":{}}`, code: 400, substr: "metadata"},
		"messages wrong type":  {body: `{"metadata":{"url":"/v1/chat/completions"},"request_body":{"messages":"hi"}}`, code: 400},
		"deep nesting":         {body: `{"metadata":{},"request_body":` + deep + `}`, code: 400, substr: "nest"},
		"invalid utf-8":        {body: "{\"metadata\":{\"url\":\"/v1/chat/completions\"},\"request_body\":{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}}", code: 400, substr: "UTF-8"},
		"unknown api format":   {body: `{"metadata":{"url":"/v1/foo"},"request_body":{"prompt":"x"}}`, code: 400, substr: "format"},
		"unknown event path":   {body: plainChat, path: "/v1/agent/events/post_request", code: 400, substr: "post_request"},
		"unknown event query":  {body: plainChat, path: "/v1/agent/events?event=nope", code: 400},
		"unsupported encoding": {body: plainChat, hdr: map[string]string{"Content-Encoding": "br"}, code: 415},
		"corrupt gzip":         {body: "not gzip", hdr: map[string]string{"Content-Encoding": "gzip"}, code: 400},
		"wrong method":         {body: "", path: "GET /v1/agent/events", code: 405},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path, method := tc.path, http.MethodPost
			if path == "" {
				path = "/v1/agent/events"
			}
			if m, p, ok := strings.Cut(path, " "); ok {
				method, path = m, p
			}
			hdr := map[string]string{"Authorization": "Bearer " + testKey}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			rec := h.do(method, path, []byte(tc.body), hdr)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, rec.Body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("no JSON error message: %s", rec.Body)
			}
			if tc.substr != "" && !strings.Contains(e.Error, tc.substr) {
				t.Errorf("error %q does not name %q", e.Error, tc.substr)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	// A gzip bomb: small on the wire, over the limit once decoded.
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write([]byte(`{"metadata":{},"user_message":"`))
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 51 {
		zw.Write(chunk)
	}
	zw.Write([]byte(`"}`))
	zw.Close()
	rec := h.do(http.MethodPost, "/v1/agent/events", buf.Bytes(), map[string]string{"Authorization": "Bearer " + testKey, "Content-Encoding": "gzip"})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("decoded bomb: status %d, want 413", rec.Code)
	}
	// A plain body over the limit.
	big := make([]byte, MaxBody+10)
	rec = h.do(http.MethodPost, "/v1/agent/events", big, map[string]string{"Authorization": "Bearer " + testKey})
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: status %d, want 413", rec.Code)
	}
}

func TestCompressedBodies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(plainChat))
	zw.Close()
	enc, _ := zstd.NewWriter(nil)
	zs := enc.EncodeAll([]byte(plainChat), nil)
	for name, body := range map[string][]byte{"gzip": gz.Bytes(), "zstd": zs} {
		rec := h.do(http.MethodPost, "/v1/agent/events", body, map[string]string{"Authorization": "Bearer " + testKey, "Content-Encoding": name})
		if rec.Code != 200 || rec.Body.String() != `{"action":"allow"}` {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
}

func TestAsyncIsRecordedThenEvaluatedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", []config.Detector{})
	body := []byte(`{"metadata":{"url":"/v1/chat/completions","request_id":"dup-1","session_id":"s"},
	  "request_body":{"messages":[{"role":"user","content":"hi"}]},
	  "response_body":{"choices":[{"message":{"role":"assistant","content":"hello"}}]}}`)
	for range 3 {
		rec := h.post(body)
		if rec.Code != 200 || rec.Body.String() != "{}" {
			t.Fatalf("async answer %d %s", rec.Code, rec.Body)
		}
	}
	h.waitCompleted()
	q, ok := h.store.(audit.Querier)
	if !ok {
		t.Skip("store has no query API")
	}
	page, err := q.ListEvents(context.Background(), "alpha", audit.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 1 {
		t.Fatalf("duplicate deliveries recorded %d times", len(page.Events))
	}
	if page.Events[0].Type != sdk.EventEntireRequest {
		t.Errorf("event type %q", page.Events[0].Type)
	}
}

func TestPendingEventsAreEvaluatedAfterRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	h := openHarness(t, dir, "enforce", []config.Detector{})
	// Record an event as the server would, then "crash" before evaluating it.
	ev := &sdk.Event{ID: "ev_crash", Tenant: "alpha", Type: sdk.EventEntireRequest, RequestID: "r-crash",
		Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: "hi"}}}
	sealed, err := h.srv.sealer.seal(&spoolData{Event: ev, TenantMode: "enforce"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.store.Record(context.Background(), h.srv.auditEvent(ev, sealed)); err != nil {
		t.Fatal(err)
	}
	h.close()

	h2 := openHarness(t, dir, "enforce", []config.Detector{})
	h2.waitCompleted()
	dump, err := audit.DumpAll(context.Background(), h2.store)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(dump, []byte("ev_crash")) {
		t.Errorf("the recovered event is missing from the store")
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", nil)
	aws := fixtures.All()[0].Body
	for _, fx := range fixtures.All() {
		if fx.Name == "pre_request.openai-chat.aws-key-in-prompt" {
			aws = fx.Body
		}
	}
	if rec := h.post(aws); !strings.Contains(rec.Body.String(), `"block"`) {
		t.Fatalf("the AWS key fixture was not blocked: %s", rec.Body)
	}
	for path, want := range map[string]string{
		"/healthz": `"ok"`,
		"/readyz":  `"ready":true`,
		"/metrics": `picket_events_total{decision="block",tenant="alpha",type="pre_request",would_block="true"} 1`,
	} {
		rec := h.do(http.MethodGet, path, nil, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: %d, want %q in:\n%.2000s", path, rec.Code, want, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "AKIAKMCM3I6WGEIUWUCE") {
			t.Errorf("%s shows a secret", path)
		}
	}
	rec := h.do(http.MethodGet, "/metrics", nil, nil)
	for _, m := range []string{"picket_findings_total", "picket_detector_duration_seconds", "picket_detector_calls_total", "picket_store_duration_seconds", "picket_async_queue_depth", "picket_verdict_duration_seconds"} {
		if !strings.Contains(rec.Body.String(), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}
