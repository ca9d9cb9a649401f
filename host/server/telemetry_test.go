package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters/claudecode"
	"github.com/picketsec/picket/host/adapters/litellm"
	"github.com/picketsec/picket/host/adapters/shield"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/telemetry"
	"github.com/picketsec/picket/host/telemetry/telemetrytest"
)

// telemetryHarness is newHarness in enforce mode with telemetry tel.
func telemetryHarness(t *testing.T, tel *telemetry.Telemetry) *harness {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Mode, cfg.DataDir = config.ModeEnforce, dir
	cfg.Tenants = []config.Tenant{{Name: "alpha", Mode: config.ModeEnforce, APIKeySHA256: []string{HashKey(testKey)}}}
	store, err := audit.Open(context.Background(), audit.Config{Driver: "sqlite", DSN: filepath.Join(dir, "picket.db")})
	if err != nil {
		t.Fatal(err)
	}
	srv, eng := startServer(t, store, cfg, func(o *Options) {
		o.SoleUser = true
		o.Telemetry = tel
		o.Adapters = []HTTPAdapter{shield.New(), litellm.New(), claudecode.New(claudecode.Options{})}
	})
	h := &harness{t: t, srv: srv, store: store, eng: eng, dir: dir, cfg: cfg}
	t.Cleanup(h.close)
	return h
}

// awsShapedKey is an access key id made now, so that no file holds it:
// finding it in an export can only mean picket sent it.
func awsShapedKey() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return "AKIA" + string(b)
}

// TestTelemetryExport sends a pre_request from a gateway that traces, an
// asynchronous event and a LiteLLM guardrail call, each holding a secret,
// and checks what the in-test collector received over each protocol: a
// hook span per call (the gateway's span its parent), a child span per
// detector with its outcome and counts, the asynchronous evaluation in
// the trace of the hook call that queued it, one decision log per
// decision, and not one byte of the secret, the prompt or the API key.
func TestTelemetryExport(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{config.TelemetryHTTP, config.TelemetryGRPC} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			rcv := telemetrytest.Start(t, proto)
			tel, err := telemetry.New(rcv.Config(), telemetry.Options{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			h := telemetryHarness(t, tel)
			secret := awsShapedKey()
			prompt := "deploy with access key " + secret + " in us-east-1 please"

			const gwTrace, gwSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
			body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"url": "/v1/chat/completions", "request_id": "tr-1", "session_id": "tel-1"},
				"request_body": map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": prompt}}}})
			rec := h.do(http.MethodPost, "/v1/agent/events", body, map[string]string{"Authorization": "Bearer " + testKey,
				"Traceparent": "00-" + gwTrace + "-" + gwSpan + "-01"})
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"block"`) {
				t.Fatalf("pre_request: %d %s", rec.Code, rec.Body)
			}
			preID := rec.Header().Get("X-Picket-Event-Id")

			async, _ := json.Marshal(map[string]any{"metadata": map[string]any{"url": "/v1/chat/completions", "request_id": "tr-2", "session_id": "tel-2"},
				"request_body":  map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": prompt}}},
				"response_body": map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": "noted: " + secret}}}}})
			rec = h.do(http.MethodPost, "/v1/agent/events/entire_request", async, map[string]string{"Authorization": "Bearer " + testKey})
			if rec.Code != 200 {
				t.Fatalf("entire_request: %d %s", rec.Code, rec.Body)
			}
			asyncID := rec.Header().Get("X-Picket-Event-Id")
			h.waitCompleted()

			ll := postJSON(t, h, "/beta/litellm_basic_guardrail_api", map[string]any{"texts": []string{prompt}, "input_type": "request", "request_data": map[string]any{}})
			if ll["action"] != "BLOCKED" {
				t.Fatalf("litellm: %v", ll)
			}

			// Stop the server, then flush: what is exported is all there is.
			h.srv.Shutdown(context.Background())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}

			spans := rcv.Spans()
			byID := map[string]telemetrytest.Span{}
			children := map[string][]telemetrytest.Span{}
			for _, sp := range spans {
				byID[telemetrytest.ID(sp.SpanId)] = sp
				children[telemetrytest.ID(sp.ParentSpanId)] = append(children[telemetrytest.ID(sp.ParentSpanId)], sp)
			}
			find := func(name, key, val string) telemetrytest.Span {
				t.Helper()
				for _, sp := range spans {
					if sp.Name == name && str(sp.Span, key) == val {
						return sp
					}
				}
				t.Fatalf("no span %q with %s=%s among %d spans", name, key, val, len(spans))
				return telemetrytest.Span{}
			}

			pre := find("picket.hook pre_request", "picket.event.id", preID)
			if telemetrytest.ID(pre.TraceId) != gwTrace || telemetrytest.ID(pre.ParentSpanId) != gwSpan {
				t.Errorf("hook span in trace %x under %x, want the gateway's %s under %s", pre.TraceId, pre.ParentSpanId, gwTrace, gwSpan)
			}
			if pre.Kind != tracepb.Span_SPAN_KIND_SERVER || pre.Service != "picket-test" {
				t.Errorf("hook span kind %v service %q", pre.Kind, pre.Service)
			}
			for key, want := range map[string]string{"picket.source": "aperture", "picket.tenant": "alpha", "picket.event.type": "pre_request",
				"picket.mode": "enforce", "picket.decision": "block", "picket.category": "secrets"} {
				if got := str(pre.Span, key); got != want {
					t.Errorf("hook span %s = %q, want %q", key, got, want)
				}
			}
			if integer(pre.Span, "http.response.status_code") != 200 || integer(pre.Span, "picket.findings.counting") < 1 || !boolean(pre.Span, "picket.would_block") {
				t.Errorf("hook span status/findings/would_block: %v", pre.Attributes)
			}
			checkDetectorChildren(t, "pre_request", pre, children)

			queued := find("picket.hook entire_request", "picket.event.id", asyncID)
			if !boolean(queued.Span, "picket.queued") {
				t.Errorf("async hook span not marked queued: %v", queued.Attributes)
			}
			eval := find("picket.evaluate entire_request", "picket.event.id", asyncID)
			if telemetrytest.ID(eval.ParentSpanId) != telemetrytest.ID(queued.SpanId) || !bytes.Equal(eval.TraceId, queued.TraceId) {
				t.Errorf("the evaluation span is not the child of the hook call that queued the event")
			}
			checkDetectorChildren(t, "entire_request", eval, children)

			adapter := find("picket.hook pre_request", "picket.source", "litellm")
			checkDetectorChildren(t, "litellm", adapter, children)

			logs := rcv.Logs()
			decisions := map[string]string{}
			for _, lr := range logs {
				if lr.EventName != "picket.decision" {
					continue
				}
				id := telemetrytest.Attr(lr.Attributes, "picket.event.id").GetStringValue()
				decisions[id] = telemetrytest.Attr(lr.Attributes, "picket.decision").GetStringValue()
				cats := telemetrytest.Attr(lr.Attributes, "picket.categories").GetArrayValue().GetValues()
				if len(cats) == 0 || cats[0].GetStringValue() != "secrets" {
					t.Errorf("decision %s: categories %v", id, cats)
				}
				if len(telemetrytest.Attr(lr.Attributes, "picket.detectors").GetArrayValue().GetValues()) == 0 {
					t.Errorf("decision %s names no detector", id)
				}
				if id == preID && telemetrytest.ID(lr.TraceId) != gwTrace {
					t.Errorf("the pre_request decision is not in the gateway's trace: %x", lr.TraceId)
				}
			}
			if len(decisions) != 3 || decisions[preID] != "block" || decisions[asyncID] == "" {
				t.Errorf("decision logs %v, want 3 with the pre_request's a block", decisions)
			}

			raw := rcv.Raw()
			if !bytes.Contains(raw, []byte("picket.detector")) {
				t.Fatalf("the receiver's bytes hold no span attribute: the secret check below would prove nothing")
			}
			for what, s := range map[string]string{"the secret": secret, "the prompt": "us-east-1 please", "the API key": testKey} {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("%s was exported", what)
				}
			}
		})
	}
}

// checkDetectorChildren checks that the hook span has a child span per
// detector, each with its name, outcome, counts and the event's ids, and
// that the secrets detector found the key.
func checkDetectorChildren(t *testing.T, what string, parent telemetrytest.Span, children map[string][]telemetrytest.Span) {
	t.Helper()
	var names []string
	for _, c := range children[telemetrytest.ID(parent.SpanId)] {
		if !strings.HasPrefix(c.Name, "picket.detector ") {
			continue
		}
		d := str(c.Span, "picket.detector")
		names = append(names, d)
		if c.Name != "picket.detector "+d || str(c.Span, "picket.detector.outcome") == "" || str(c.Span, "picket.tenant") != "alpha" ||
			str(c.Span, "picket.event.id") != str(parent.Span, "picket.event.id") || str(c.Span, "picket.mode") == "" {
			t.Errorf("%s: detector span %s: %v", what, c.Name, c.Attributes)
		}
		if !bytes.Equal(c.TraceId, parent.TraceId) || c.StartTimeUnixNano < parent.StartTimeUnixNano || c.EndTimeUnixNano > parent.EndTimeUnixNano {
			t.Errorf("%s: detector span %s is outside its parent", what, d)
		}
		for _, key := range []string{"picket.findings", "picket.findings.critical", "picket.findings.high", "picket.items"} {
			if telemetrytest.Attr(c.Attributes, key) == nil {
				t.Errorf("%s: detector span %s has no %s", what, d, key)
			}
		}
		if telemetrytest.Attr(c.Attributes, "picket.detector.duration_ms") == nil {
			t.Errorf("%s: detector span %s has no duration", what, d)
		}
		if d == "secrets" {
			if str(c.Span, "picket.detector.outcome") != "ok" || integer(c.Span, "picket.findings.counting") < 1 || str(c.Span, "picket.detector.action") != "block" {
				t.Errorf("%s: secrets span: %v", what, c.Attributes)
			}
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, config.BuiltinDetectors) && !slices.Equal(names, []string{"commands", "injection", "secrets"}) {
		t.Errorf("%s: detector spans %v, want one per built-in detector", what, names)
	}
}

func str(sp *tracepb.Span, key string) string {
	return telemetrytest.Attr(sp.Attributes, key).GetStringValue()
}

func integer(sp *tracepb.Span, key string) int64 {
	return telemetrytest.Attr(sp.Attributes, key).GetIntValue()
}

func boolean(sp *tracepb.Span, key string) bool {
	return telemetrytest.Attr(sp.Attributes, key).GetBoolValue()
}

// TestTelemetryExtProcTraceparent: Envoy's ext_proc stream carries its
// trace context in the gRPC metadata; the hook span is its child.
func TestTelemetryExtProcTraceparent(t *testing.T) {
	t.Parallel()
	rcv := telemetrytest.Start(t, config.TelemetryHTTP)
	tel, err := telemetry.New(rcv.Config(), telemetry.Options{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	h := telemetryHarness(t, tel)
	const envoyTrace, envoySpan = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
	body, _ := json.Marshal(map[string]any{"model": "m", "messages": []any{map[string]any{"role": "user", "content": "key " + awsShapedKey() + " for prod"}}})
	envoyRequest(t, extprocClient(t, h.srv), "/v1/chat/completions", body, "traceparent", "00-"+envoyTrace+"-"+envoySpan+"-01")
	h.srv.Shutdown(context.Background())
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, sp := range rcv.Spans() {
		if str(sp.Span, "picket.source") == "envoy" && strings.HasPrefix(sp.Name, "picket.hook") {
			if telemetrytest.ID(sp.TraceId) != envoyTrace || telemetrytest.ID(sp.ParentSpanId) != envoySpan {
				t.Errorf("ext_proc hook span in trace %x under %x, want Envoy's", sp.TraceId, sp.ParentSpanId)
			}
			return
		}
	}
	t.Errorf("no ext_proc hook span among %d", len(rcv.Spans()))
}
