package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picketsec/picket/host/server"
	"github.com/picketsec/picket/host/telemetry/telemetrytest"
)

// TestServeTelemetryReloadAndFlush runs serve with a telemetry block, then
// reloads it with another collector (and protocol), then stops: each
// collector receives the decisions made while it was configured, the
// last ones flushed by the stop.
func TestServeTelemetryReloadAndFlush(t *testing.T) {
	t.Parallel()
	a, b := telemetrytest.Start(t, "http"), telemetrytest.Start(t, "grpc")
	dir := t.TempDir()
	key := "pk_telemetry_test"
	cfgPath := filepath.Join(dir, "picket.hcl")
	write := func(endpoint, protocol string) {
		src := fmt.Sprintf("mode = \"enforce\"\ntenant \"default\" {\n  api_key_sha256 = [%q]\n}\ntelemetry {\n  endpoint = %q\n  protocol = %q\n  insecure = true\n}\n",
			server.HashKey(key), endpoint, protocol)
		if err := os.WriteFile(cfgPath+".tmp", []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(cfgPath+".tmp", cfgPath); err != nil {
			t.Fatal(err)
		}
	}
	write(a.Endpoint, "http")
	p := startServe(t, "--config", cfgPath, "--data-dir", dir)
	bad := fixture(t, "pre_request.openai-chat.curl-sh-tool-call")
	if code, body := p.post(t, key, bad); code != 200 || !strings.Contains(body, `"block"`) {
		t.Fatalf("first: %d %s", code, body)
	}
	write(b.Endpoint, "grpc")
	waitFor(t, func() bool { return strings.Contains(p.logs.String(), "telemetry exporter replaced") }, "the exporter to be replaced on reload")
	if code, _ := p.post(t, key, bad); code != 200 {
		t.Fatalf("second: %d", code)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop: %s", p.logs)
	}
	decisions := func(r *telemetrytest.Receiver) int {
		n := 0
		for _, l := range r.Logs() {
			if l.EventName == "picket.decision" {
				n++
			}
		}
		return n
	}
	if n := decisions(a); n != 1 || len(a.Spans()) == 0 {
		t.Errorf("collector a: %d decisions, %d spans; want 1 decision and its spans", n, len(a.Spans()))
	}
	if n := decisions(b); n != 1 || len(b.Spans()) == 0 {
		t.Errorf("collector b: %d decisions, %d spans; want 1 decision and its spans (flushed at stop)", n, len(b.Spans()))
	}
}
