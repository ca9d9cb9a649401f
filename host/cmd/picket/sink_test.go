package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/server"
	"github.com/picketsec/picket/host/sink"
)

// alertRecv is a webhook receiver that can stop and start on one port.
type alertRecv struct {
	t      *testing.T
	addr   string
	mu     sync.Mutex
	srv    *http.Server
	got    []audit.Alert
	bodies []string
	keys   []string
}

func (r *alertRecv) start() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var a audit.Alert
		if json.Unmarshal(b, &a) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got, r.bodies, r.keys = append(r.got, a), append(r.bodies, string(b)), append(r.keys, req.Header.Get(sink.HeaderIdempotencyKey))
		r.mu.Unlock()
	})}
	r.mu.Lock()
	r.srv = srv
	r.mu.Unlock()
	go srv.Serve(ln)
}

func (r *alertRecv) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.srv.Close()
}

func (r *alertRecv) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// TestServeSinkOutageAndRestart drives the real path: hooks with an AWS
// key are evaluated by serve, whose webhook receiver is down; serve is
// stopped with the alerts spooled and started again; the receiver comes
// back and gets every alert once, in order, with no raw secret in them.
func TestServeSinkOutageAndRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key := "pk_sink_test"
	recv := &alertRecv{t: t, addr: "127.0.0.1:0"}
	recv.start()
	defer recv.stop()
	cfgPath := filepath.Join(dir, "picket.hcl")
	src := fmt.Sprintf(`mode = "enforce"
tenant "default" {
  api_key_sha256 = [%q]
}
sink "siem" {
  type        = "webhook"
  url         = "http://%s/alerts"
  backoff     = "20ms"
  max_backoff = "200ms"
}
`, server.HashKey(key), recv.addr)
	if err := os.WriteFile(cfgPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	body := fixture(t, "pre_request.openai-chat.aws-key-in-prompt")
	secret := regexp.MustCompile(`AKIA[0-9A-Z]{16}`).Find(body)
	if secret == nil {
		t.Fatal("the fixture has no AWS key")
	}
	post := func(p *serveProc, i int) {
		// A session each: findings reused within a session are not
		// alerted twice.
		b := strings.Replace(string(body), `"sess_g484aodhpgsl67bpg0ep"`, fmt.Sprintf(`"sess_sink_%03d"`, i), 1)
		if code, resp := p.post(t, key, []byte(b)); code != 200 || !strings.Contains(resp, "block") {
			t.Fatalf("post %d: %d %s", i, code, resp)
		}
	}

	p := startServe(t, "--config", cfgPath, "--data-dir", dir)
	post(p, 0)
	waitFor(t, func() bool { return recv.count() == 1 }, "the first alert")
	recv.stop()
	const n = 20
	for i := 1; i <= n; i++ {
		post(p, i)
	}
	waitFor(t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), fmt.Sprintf(`picket_sink_spool_depth{sink="siem"} %d`, n)) &&
			strings.Contains(string(b), `picket_sink_retries_total{sink="siem"}`)
	}, "the alerts spooled and retried")
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()

	recv.start()
	p = startServe(t, "--config", cfgPath, "--data-dir", dir)
	waitFor(t, func() bool { return recv.count() >= n+1 }, "the spooled alerts after the restart")
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.got) != n+1 {
		t.Fatalf("%d alerts, want %d", len(recv.got), n+1)
	}
	seen := map[string]bool{}
	for i, a := range recv.got {
		if seen[a.EventID] || recv.keys[i] != a.EventID {
			t.Errorf("alert %d: event %s repeated or keyed %q", i, a.EventID, recv.keys[i])
		}
		seen[a.EventID] = true
		if i > 0 && a.ReceivedAt.Before(recv.got[i-1].ReceivedAt) {
			t.Errorf("alert %d out of order", i)
		}
		if a.Decision != "block" || len(a.Findings) == 0 || a.Findings[0].Detector != "secrets" {
			t.Errorf("alert %d: %+v", i, a)
		}
		if strings.Contains(recv.bodies[i], string(secret)) {
			t.Errorf("alert %d holds the raw secret: %s", i, recv.bodies[i])
		}
	}
}
