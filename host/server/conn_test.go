package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
)

// TestStalledBodyGets408AndClose: a client that announces a body and
// stops sending gets a 408 once the body deadline passes, and its
// connection is closed.
func TestStalledBodyGets408AndClose(t *testing.T) {
	t.Parallel()
	// The timeout comes from the option (serve --body-timeout) or, without
	// it, from the config's limits.body_timeout.
	for name, fromOption := range map[string]bool{"option": true, "config": false} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testStalledBody(t, fromOption)
		})
	}
}

func testStalledBody(t *testing.T, fromOption bool) {
	dir := t.TempDir()
	cfg := config.Default()
	opts := Options{BodyTimeout: 300 * time.Millisecond}
	if !fromOption {
		opts.BodyTimeout, cfg.Limits.BodyTimeout = 0, 300*time.Millisecond
	}
	cfg.Tenants = []config.Tenant{{Name: "alpha", Mode: "enforce", APIKeySHA256: []string{HashKey(testKey)}}}
	cfg.Detectors = []config.Detector{}
	ctx := context.Background()
	store, err := audit.Open(ctx, audit.Config{Driver: "sqlite", DSN: filepath.Join(dir, "picket.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	eng := engine.New(engine.Options{FingerprintKey: []byte("fp")})
	if _, err := eng.Load(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	opts.Engine, opts.Store, opts.SpoolKey, opts.SoleUser = eng, store, bytes.Repeat([]byte{7}, 32), true
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(ctx)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	defer hs.Close()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/agent/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n", testKey)
	conn.Write([]byte(`{"metadata":{"url":"/v1/chat/completions"},"request_body":{"messages":[` + strings.Repeat(" ", 1000)))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
		t.Fatalf("stalled body: %d close=%v %s", resp.StatusCode, resp.Close, body)
	}
	// The server hangs up.
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after the 408")
	}
	// A normal request on a new connection is served.
	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/v1/agent/events", strings.NewReader(plainChat))
	req.Header.Set("Authorization", "Bearer "+testKey)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 200 {
		t.Fatalf("normal request after: %d", r2.StatusCode)
	}
}
