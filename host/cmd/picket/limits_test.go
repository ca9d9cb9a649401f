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
// after --body-timeout, and past --max-connections a new connection waits
// for a slot instead of being served at once.
func TestServeBoundsConnections(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := "pk_conn_test"
	cfgPath := filepath.Join(dir, "picket.hcl")
	writeConfig(t, cfgPath, "enforce", server.HashKey(key))
	p := startServe(t, "--config", cfgPath, "--data-dir", dir, "--max-connections", "2", "--body-timeout", "1s")

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
