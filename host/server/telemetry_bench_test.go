package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/internal/fixtures"
	"github.com/picketsec/picket/host/telemetry"
)

// BenchmarkTelemetry is the cost of telemetry on one pre_request (the
// Codex-style fixture, first-party detectors): "off" is the baseline of
// the same run; "on" exports every trace (a hook span, three detector
// spans, a decision log) over OTLP/HTTP to a loopback collector that
// discards what it reads; "sampled-out" keeps no trace but logs the
// decision. x-off is each one's cost as a multiple of "off".
func BenchmarkTelemetry(b *testing.B) {
	var body []byte
	for _, f := range fixtures.All() {
		if f.Name == "pre_request.openai-responses.codex-exec-command-curl-sh" {
			body = f.Body
		}
	}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	cfg := func(ratio float64) *config.Telemetry {
		return &config.Telemetry{Endpoint: collector.Listener.Addr().String(), Protocol: config.TelemetryHTTP, Insecure: true,
			SampleRatio: ratio, ServiceName: "bench", Timeout: config.DefaultTelemetryTimeout, DecisionLogs: true}
	}
	var off float64
	for _, tc := range []struct {
		name string
		cfg  *config.Telemetry
	}{{"off", nil}, {"on", cfg(1)}, {"sampled-out", cfg(0)}} {
		b.Run(tc.name, func(b *testing.B) {
			tel, err := telemetry.New(tc.cfg, telemetry.Options{Version: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			defer tel.Shutdown(context.Background())
			srv, done := benchServer(b, true, func(o *Options) { o.Telemetry = tel })
			defer done()
			h := srv.Handler()
			b.ReportAllocs()
			postFreshHooks(b, h, body, "tel")
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if tc.cfg == nil {
				off = ns
			}
			if off > 0 {
				b.ReportMetric(ns/off, "x-off")
			}
		})
	}
}
