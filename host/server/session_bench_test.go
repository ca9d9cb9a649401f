package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// codingSession is a coding agent's conversation of turns turns: every
// turn a tool call (read a file, run the tests, edit) and its result, a
// user prompt every fifth turn. last is appended as the final turn's
// content, so that each benchmark iteration has a new final turn.
func codingSession(session string, turns int, last string) *conv {
	c := newConv(session).user("The checkout service drops orders under load. Find out why and fix it, with tests.")
	for i := 1; i <= turns; i++ {
		id := fmt.Sprintf("tu%d", i)
		text := ""
		if i == turns {
			text = last
		}
		switch i % 3 {
		case 0:
			c.toolUse(id, "Read", map[string]any{"file_path": fmt.Sprintf("/home/dev/shop/internal/checkout/file%d.go", i)})
			c.toolResult(id, goSource(i)+text)
		case 1:
			c.toolUse(id, "Bash", map[string]any{"command": fmt.Sprintf("go test ./internal/checkout/... -run TestOrder%d -count=1", i), "description": "run the tests"})
			c.toolResult(id, testOutput(i)+text)
		default:
			c.toolUse(id, "Edit", map[string]any{"file_path": fmt.Sprintf("/home/dev/shop/internal/checkout/file%d.go", i),
				"old_string": fmt.Sprintf("return q.flush(ctx) // %d", i), "new_string": fmt.Sprintf("return q.flushLocked(ctx) // %d", i)})
			c.toolResult(id, "The file has been updated."+text)
		}
		if i%5 == 0 && i < turns {
			c.user(fmt.Sprintf("Good. Step %d looks right; keep going, and keep the public API unchanged.", i))
		}
	}
	return c
}

func goSource(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "package checkout\n\n// Queue%d batches orders before they are written.\ntype Queue%d struct {\n\tmu sync.Mutex\n\tpending []Order\n}\n\n", i, i)
	for k := 0; k < 12; k++ {
		fmt.Fprintf(&b, "func (q *Queue%d) step%d(ctx context.Context, o Order) error {\n\tq.mu.Lock()\n\tdefer q.mu.Unlock()\n\tif len(q.pending) > %d {\n\t\treturn q.flush(ctx) // %d\n\t}\n\tq.pending = append(q.pending, o)\n\treturn nil\n}\n\n", i, k, 64+k, i)
	}
	return b.String()
}

func testOutput(i int) string {
	var b strings.Builder
	for k := 0; k < 10; k++ {
		fmt.Fprintf(&b, "=== RUN   TestOrder%d/case_%d\n--- PASS: TestOrder%d/case_%d (0.0%ds)\n", i, k, i, k, k%9)
	}
	fmt.Fprintf(&b, "PASS\nok  \tshop/internal/checkout\t0.%03ds\n", 100+i)
	return b.String()
}

// BenchmarkSessionCost measures what session memory promises: the cost of a
// request follows what is new in it, not the history it resends. The 40th
// request of a 40-turn coding session whose first 39 turns were judged
// ("judged") against the same 40-turn body in a fresh session ("fresh"),
// both through the whole handler with the first-party detectors, the
// session memory's recall and commit included (each iteration waits for its
// commit). Each iteration's 40th turn is new. The cost is the process's CPU
// time per request (cpu-ns/op: the handler, detectors, store and background
// writers), which a busy machine does not inflate; "x-fresh" is the judged
// cost over the fresh one (target: at most 0.35), "x-fresh-wall" the same
// ratio of wall time.
func BenchmarkSessionCost(b *testing.B) {
	const turns = 40
	post := func(b *testing.B, srv *Server, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/v1/agent/events/pre_request", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testKey)
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		srv.sessions.Flush()
	}
	// settle waits for the recorder's writes of the trail, so that CPU
	// time is charged to the requests that caused it.
	settle := func(srv *Server) {
		for len(srv.records) > 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var fresh, freshWall float64
	b.Run("fresh", func(b *testing.B) {
		srv, done := benchServer(b, true)
		defer done()
		i := 0
		cpu := cpuTime()
		for b.Loop() {
			post(b, srv, codingSession(fmt.Sprintf("fresh-%d", i), turns, fmt.Sprintf("\n// iteration %d\n", i)).preRequest())
			i++
		}
		settle(srv)
		fresh = float64(cpuTime()-cpu) / float64(b.N)
		freshWall = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		b.ReportMetric(fresh, "cpu-ns/op")
	})
	b.Run("judged", func(b *testing.B) {
		srv, done := benchServer(b, true)
		defer done()
		// The session as it grew: request k resent turns 1..k-1 and added turn k.
		for k := 1; k < turns; k++ {
			post(b, srv, codingSession("judged", k, "").preRequest())
		}
		settle(srv)
		i := 0
		var cpu int64
		for b.Loop() {
			if i == 0 {
				cpu = cpuTime() // b.Loop resets the timer before the first iteration
			}
			post(b, srv, codingSession("judged", turns, fmt.Sprintf("\n// iteration %d\n", i)).preRequest())
			i++
		}
		settle(srv)
		judged := float64(cpuTime()-cpu) / float64(b.N)
		b.ReportMetric(judged, "cpu-ns/op")
		if fresh > 0 {
			b.ReportMetric(judged/fresh, "x-fresh")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/freshWall, "x-fresh-wall")
		}
	})
}
