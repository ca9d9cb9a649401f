package telemetry_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/telemetry"
	"github.com/picketsec/picket/host/telemetry/telemetrytest"
	"github.com/picketsec/picket/sdk"
)

var protocols = []string{config.TelemetryHTTP, config.TelemetryGRPC}

// decide plays one traced hook call through c.
func decide(t *testing.T, tel *telemetry.Telemetry, id string, hdr http.Header) trace.SpanContext {
	t.Helper()
	ctx, call := tel.StartHook(context.Background(), "aperture", hdr)
	ev := &sdk.Event{ID: id, Tenant: "alpha", Type: sdk.EventPreRequest, Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: "hello"}}}
	call.Event(ev, config.ModeEnforce)
	v := &engine.Verdict{Result: audit.Result{Decision: engine.DecisionAllow, Mode: config.ModeEnforce, EvaluatedAt: time.Now(),
		Findings: []audit.Finding{{Finding: sdk.Finding{Category: "secrets", Severity: sdk.SeverityHigh}, Suppressed: "allowlist"}}}}
	call.Decided(ctx, ev, v)
	call.End(http.StatusOK)
	return trace.SpanContextFromContext(ctx)
}

func newTelemetry(t *testing.T, cfg *config.Telemetry, retire time.Duration) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(cfg, telemetry.Options{Version: "test", RetireAfter: retire})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(context.Background()) })
	return tel
}

func shutdown(t *testing.T, tel *telemetry.Telemetry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOffDoesNothing(t *testing.T) {
	t.Parallel()
	for name, tel := range map[string]*telemetry.Telemetry{"nil": nil, "no block": newTelemetry(t, nil, 0)} {
		if tel.Enabled() {
			t.Errorf("%s: enabled", name)
		}
		ctx := context.Background()
		got, call := tel.StartHook(ctx, "aperture", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
		if got != ctx || call != (telemetry.Call{}) {
			t.Errorf("%s: StartHook made a span", name)
		}
		decide(t, tel, "ev_off", nil) // must not panic
		if err := tel.ForceFlush(ctx); err != nil {
			t.Errorf("%s: flush: %v", name, err)
		}
	}
}

// TestExportBothProtocols checks the hook span (a child of the caller's
// traceparent), the decision log in its trace, and the headers of the
// block, over each protocol.
func TestExportBothProtocols(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			rcv := telemetrytest.Start(t, proto)
			cfg := rcv.Config()
			cfg.Headers = map[string]string{"X-Collector-Tenant": "acme"}
			tel := newTelemetry(t, cfg, 0)
			sc := decide(t, tel, "ev_1", http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
			shutdown(t, tel)

			spans := rcv.Spans()
			if len(spans) != 1 {
				t.Fatalf("%d spans", len(spans))
			}
			sp := spans[0]
			if sp.Name != "picket.hook pre_request" || telemetrytest.ID(sp.ParentSpanId) != "00f067aa0ba902b7" || telemetrytest.ID(sp.TraceId) != sc.TraceID().String() {
				t.Errorf("span %s parent %x trace %x", sp.Name, sp.ParentSpanId, sp.TraceId)
			}
			if sp.Scope != telemetry.ScopeName || sp.Service != "picket-test" {
				t.Errorf("scope %q service %q", sp.Scope, sp.Service)
			}
			for key, want := range map[string]int64{"picket.findings": 1, "picket.findings.suppressed": 1, "picket.findings.counting": 0, "picket.findings.high": 0} {
				if got := telemetrytest.Attr(sp.Attributes, key); got == nil || got.GetIntValue() != want {
					t.Errorf("%s = %v, want %d", key, got, want)
				}
			}
			logs := rcv.Logs()
			if len(logs) != 1 || logs[0].EventName != "picket.decision" || telemetrytest.ID(logs[0].SpanId) != telemetrytest.ID(sp.SpanId) {
				t.Fatalf("logs %v", logs)
			}
			if logs[0].SeverityText != "INFO" || telemetrytest.Attr(logs[0].Attributes, "picket.event.id").GetStringValue() != "ev_1" {
				t.Errorf("log %v", logs[0])
			}
			for _, h := range rcv.Headers() {
				if v := h["X-Collector-Tenant"]; len(v) == 0 && len(h["x-collector-tenant"]) == 0 {
					t.Errorf("an export without the block's header: %v", h)
				}
			}
		})
	}
}

// TestSampledOutStillLogs: a trace sampled out records no span, but
// every decision is logged.
func TestSampledOutStillLogs(t *testing.T) {
	t.Parallel()
	rcv := telemetrytest.Start(t, config.TelemetryHTTP)
	cfg := rcv.Config()
	cfg.SampleRatio = 0
	tel := newTelemetry(t, cfg, 0)
	for range 5 {
		decide(t, tel, "ev_s", nil)
	}
	// A queued event's evaluation follows the sampling of the hook call
	// that queued it.
	ctx, hook := tel.StartHook(context.Background(), "aperture", nil)
	tp := telemetry.Traceparent(ctx)
	hook.End(200)
	if !strings.HasPrefix(tp, "00-") || !strings.HasSuffix(tp, "-00") {
		t.Errorf("traceparent of a sampled-out call: %q", tp)
	}
	_, eval := tel.StartEvaluation(context.Background(), tp)
	eval.End(0)
	shutdown(t, tel)
	if n := len(rcv.Spans()); n != 0 {
		t.Errorf("%d spans at ratio 0", n)
	}
	if n := len(rcv.Logs()); n != 5 {
		t.Errorf("%d decision logs, want 5", n)
	}
}

func TestDecisionLogsOff(t *testing.T) {
	t.Parallel()
	rcv := telemetrytest.Start(t, config.TelemetryGRPC)
	cfg := rcv.Config()
	cfg.DecisionLogs = false
	tel := newTelemetry(t, cfg, 0)
	decide(t, tel, "ev_n", nil)
	shutdown(t, tel)
	if len(rcv.Spans()) != 1 || len(rcv.Logs()) != 0 {
		t.Errorf("%d spans, %d logs; want 1 and 0", len(rcv.Spans()), len(rcv.Logs()))
	}
}

// TestApplyKeepsOrSwaps plays config reloads: the same block keeps the
// exporter; a new endpoint sends the calls that start after the reload
// there, while the one under way when it happened still reaches the old
// collector, flushed at shutdown; no block turns telemetry off.
func TestApplyKeepsOrSwaps(t *testing.T) {
	t.Parallel()
	a, b := telemetrytest.Start(t, config.TelemetryHTTP), telemetrytest.Start(t, config.TelemetryGRPC)
	tel := newTelemetry(t, a.Config(), time.Hour)

	decide(t, tel, "ev_a1", nil)
	same := a.Config()
	same.Where = "moved.hcl:9,1"
	if err := tel.Apply(same); err != nil {
		t.Fatal(err)
	}
	decide(t, tel, "ev_a2", nil)
	if err := tel.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(a.Spans()); n != 2 {
		t.Fatalf("collector a has %d spans after a reload that changed nothing, want 2", n)
	}

	ctx, during := tel.StartHook(context.Background(), "aperture", nil)
	if err := tel.Apply(b.Config()); err != nil {
		t.Fatal(err)
	}
	during.Decided(ctx, &sdk.Event{ID: "ev_during", Type: sdk.EventPreRequest}, &engine.Verdict{Result: audit.Result{Decision: "allow"}})
	during.End(200)
	decide(t, tel, "ev_b1", nil)

	if err := tel.Apply(nil); err != nil {
		t.Fatal(err)
	}
	if tel.Enabled() {
		t.Error("Apply(nil) left telemetry on")
	}
	decide(t, tel, "ev_off", nil)
	shutdown(t, tel) // flushes the retired exporters at once

	names := func(r *telemetrytest.Receiver) map[string]bool {
		m := map[string]bool{}
		for _, l := range r.Logs() {
			m[telemetrytest.Attr(l.Attributes, "picket.event.id").GetStringValue()] = true
		}
		return m
	}
	if got := names(a); len(got) != 3 || !got["ev_during"] {
		t.Errorf("collector a got decisions %v, want ev_a1, ev_a2 and the one under way at the swap", got)
	}
	if got := names(b); len(got) != 1 || !got["ev_b1"] {
		t.Errorf("collector b got decisions %v, want ev_b1", got)
	}
	if err := tel.Apply(a.Config()); err == nil {
		t.Error("Apply after Shutdown succeeded")
	}
}

// TestTLS exports to collectors that serve TLS, trusting the CA file of
// the block.
func TestTLS(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			rcv, caPEM := telemetrytest.StartTLS(t, proto)
			ca := filepath.Join(t.TempDir(), "ca.pem")
			if err := os.WriteFile(ca, caPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := rcv.Config()
			cfg.CAFile = ca
			tel := newTelemetry(t, cfg, 0)
			decide(t, tel, "ev_tls", nil)
			shutdown(t, tel)
			if len(rcv.Spans()) != 1 || len(rcv.Logs()) != 1 {
				t.Errorf("%d spans, %d logs over TLS", len(rcv.Spans()), len(rcv.Logs()))
			}
		})
	}
}

// TestUntrustedCollectorGetsNothing: without the CA, the handshake fails
// and nothing is delivered (nor does shutdown hang past its context).
func TestUntrustedCollectorGetsNothing(t *testing.T) {
	t.Parallel()
	rcv, _ := telemetrytest.StartTLS(t, config.TelemetryHTTP)
	cfg := rcv.Config()
	cfg.Timeout = time.Second
	tel := newTelemetry(t, cfg, 0)
	decide(t, tel, "ev_untrusted", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	tel.Shutdown(ctx)
	if len(rcv.Spans()) != 0 {
		t.Error("a collector whose certificate is not trusted received spans")
	}
}
