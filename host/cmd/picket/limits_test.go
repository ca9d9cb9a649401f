package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/host/server"
)

// TestServeRefusesAConfigThatLocksEveryoneOut: a reload to an empty file
// (no tenant) or to a file whose detectors are all disabled is refused
// with the reason, and the last good config keeps answering.
func TestServeRefusesAConfigThatLocksEveryoneOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := "pk_empty_reload"
	cfgPath := filepath.Join(dir, "picket.hcl")
	writeConfig(t, cfgPath, "enforce", server.HashKey(key))
	p := startServe(t, "--config", cfgPath, "--data-dir", dir)
	bad := fixture(t, "pre_request.openai-chat.curl-sh-tool-call")
	if code, body := p.post(t, key, bad); code != 200 || !strings.Contains(body, `"block"`) {
		t.Fatalf("before: %d %s", code, body)
	}
	for _, tc := range []struct{ src, reason string }{
		{"", "declares no tenant"},
		{fmt.Sprintf("mode = \"enforce\"\ntenant \"default\" {\n  api_key_sha256 = [%q]\n}\ndetector \"commands\" {\n  enabled = false\n}\n", server.HashKey(key)), "every detector is disabled"},
	} {
		if err := os.WriteFile(cfgPath, []byte(tc.src), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, func() bool { return strings.Contains(p.logs.String(), tc.reason) }, "the refusal logged: "+tc.reason)
		if code, body := p.post(t, key, bad); code != 200 || !strings.Contains(body, `"block"`) {
			t.Fatalf("after a reload to %q: %d %s", tc.src, code, body)
		}
	}
}

// TestServeBoundsConnections: stalled bodies are answered 408 and closed
// after the body timeout, and past the connection cap a new connection
// waits for a slot instead of being served at once; both are set by the
// config's limits block, and --max-connections and --body-timeout
// override it.
func TestServeBoundsConnections(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		limits string
		flags  []string
	}{
		"config": {limits: "limits {\n  max_connections = 2\n  body_timeout = \"1s\"\n}\n"},
		"flags":  {limits: "limits {\n  max_connections = 100\n  body_timeout = \"1m\"\n}\n", flags: []string{"--max-connections", "2", "--body-timeout", "1s"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testServeBounds(t, tc.limits, tc.flags)
		})
	}
}

func testServeBounds(t *testing.T, limits string, flags []string) {
	dir := t.TempDir()
	key := "pk_conn_test"
	cfgPath := filepath.Join(dir, "picket.hcl")
	writeConfig(t, cfgPath, "enforce", server.HashKey(key))
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(limits); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := startServe(t, append([]string{"--config", cfgPath, "--data-dir", dir}, flags...)...)

	var (
		mu    sync.Mutex
		order []string
		wg    sync.WaitGroup
	)
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	var stalled []net.Conn
	for i := range 2 {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /v1/agent/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1048576\r\n\r\n{\"metadata\":", key)
		stalled = append(stalled, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Errorf("stalled %d: no answer: %v", i, err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout || !resp.Close {
				t.Errorf("stalled %d: %d close=%v", i, resp.StatusCode, resp.Close)
			}
			note("408")
		}()
	}
	// Both slots are taken once the stalled requests are read by the server.
	time.Sleep(200 * time.Millisecond)
	code, _ := p.post(t, key, fixture(t, "pre_request.openai-chat.plain"))
	note("served")
	wg.Wait()
	if code != 200 {
		t.Fatalf("third connection: %d", code)
	}
	if len(order) != 3 || order[0] != "408" {
		t.Fatalf("order %v: the third connection was served before a slot was free", order)
	}
}

// TestQueueLeaseFromConfigOrEnv: limits.queue_lease sets the lease and
// PICKET_QUEUE_LEASE overrides it.
func TestQueueLeaseFromConfigOrEnv(t *testing.T) {
	t.Setenv("PICKET_QUEUE_LEASE", "")
	if d, err := queueLease(7 * time.Second); err != nil || d != 7*time.Second {
		t.Errorf("from the config: %v %v", d, err)
	}
	t.Setenv("PICKET_QUEUE_LEASE", "12s")
	if d, err := queueLease(7 * time.Second); err != nil || d != 12*time.Second {
		t.Errorf("from the environment: %v %v", d, err)
	}
	t.Setenv("PICKET_QUEUE_LEASE", "soon")
	if _, err := queueLease(7 * time.Second); err == nil || !strings.Contains(err.Error(), "PICKET_QUEUE_LEASE") {
		t.Errorf("a bad value: %v", err)
	}
}
