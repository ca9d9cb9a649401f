package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
)

// gatedStore holds its first RecordBatch until released and notes the
// size of every batch.
type gatedStore struct {
	audit.Store
	gate  chan struct{}
	mu    sync.Mutex
	sizes []int
}

func (g *gatedStore) RecordBatch(ctx context.Context, evs []*audit.Event) []audit.Recorded {
	g.mu.Lock()
	first := len(g.sizes) == 0
	g.sizes = append(g.sizes, len(evs))
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	return g.Store.RecordBatch(ctx, evs)
}

// TestAsyncIntakeIsGroupCommitted: asynchronous events that arrive while
// an intake commit is under way are recorded together in the next one,
// each still answered only once it is durable.
func TestAsyncIntakeIsGroupCommitted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.Mode, cfg.DataDir = "enforce", dir
	cfg.Tenants = []config.Tenant{{Name: "alpha", Mode: "enforce", APIKeySHA256: []string{HashKey(testKey)}}}
	cfg.Detectors = []config.Detector{}
	sqlite, err := audit.Open(context.Background(), audit.Config{Driver: "sqlite", DSN: filepath.Join(dir, "picket.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer sqlite.Close()
	store := &gatedStore{Store: sqlite, gate: make(chan struct{})}
	srv, eng := startServer(t, store, cfg, func(o *Options) { o.SoleUser = true })
	defer eng.Close()
	defer srv.Shutdown(context.Background())

	const n = 40
	codes := make(chan int, n+1)
	post := func(i int) {
		req := httptest.NewRequest(http.MethodPost, "/v1/agent/events", bytes.NewReader(asyncFixture(t, fmt.Sprintf("gc-%d", i))))
		req.Header.Set("Authorization", "Bearer "+testKey)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		codes <- rec.Code
	}
	go post(0)
	// The first commit is held; the next events wait for it.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		store.mu.Lock()
		started := len(store.sizes) == 1
		store.mu.Unlock()
		if started {
			break
		}
		if time.Now().After(end) {
			t.Fatal("the first intake commit did not start")
		}
	}
	for i := 1; i <= n; i++ {
		go post(i)
	}
	for end := time.Now().Add(10 * time.Second); len(srv.intake) < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d of %d events waiting", len(srv.intake), n)
		}
	}
	select {
	case c := <-codes:
		t.Fatalf("an event was answered (%d) before its commit", c)
	default:
	}
	close(store.gate)
	for range n + 1 {
		if c := <-codes; c != http.StatusOK {
			t.Fatalf("answer %d", c)
		}
	}
	store.mu.Lock()
	sizes := append([]int(nil), store.sizes...)
	store.mu.Unlock()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n {
		t.Errorf("intake commits of %v events, want [1 %d]", sizes, n)
	}
	// Every event was recorded and queued: the workers evaluate them all.
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		b, err := sqlite.Backlog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if b.Depth == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("still queued: %+v", b)
		}
	}
}
