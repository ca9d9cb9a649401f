package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/internal/browsertest"
	"github.com/picketsec/picket/host/internal/fixtures"
)

// TestObservatoryWithFixtures is the newcomer's path: a server fed with
// every Aperture fixture, then the Observatory in a real browser. It
// checks that sessions, a timeline with redacted secrets, the threats of
// each category, the charts and the detectors show, and keeps screenshots.
func TestObservatoryWithFixtures(t *testing.T) {
	t.Parallel()
	bctx := browsertest.Start(t, 3*time.Minute)
	h := newHarness(t, "monitor", nil)
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()

	sessions := map[string]bool{}
	for _, fx := range fixtures.All() {
		if rec := h.post(fx.Body); rec.Code != 200 {
			t.Fatalf("%s: %d %s", fx.Name, rec.Code, rec.Body)
		}
		var m struct {
			Metadata struct {
				SessionID string `json:"session_id"`
			} `json:"metadata"`
		}
		json.Unmarshal(fx.Body, &m)
		if m.Metadata.SessionID != "" {
			sessions[m.Metadata.SessionID] = true
		} else {
			sessions["derived from "+fx.Name] = true // session memory derives a key from the conversation
		}
	}
	h.waitCompleted()
	q := h.store.(audit.Querier)
	waitUntil(t, func() bool {
		p, err := q.ListEvents(context.Background(), "alpha", audit.EventFilter{Limit: 100})
		return err == nil && len(p.Events) == len(fixtures.All())
	})

	arts := browsertest.Artifacts(t, "server-fixtures")
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, 30*time.Second, step, actions...)
	}
	eval := func(js string) string {
		t.Helper()
		return browsertest.Eval(t, bctx, js)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(arts, name+".png"), png, 0o644)
	}
	count := func(sel string) string {
		return eval(`String(document.querySelectorAll(` + jsQuote(sel) + `).length)`)
	}
	base := ts.URL + "/ui/"

	do("login", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("api-key")),
		chromedp.SendKeys(chromedp.ID("api-key"), testKey),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#chart-decisions svg")))
	shot("01-overview")
	if n := count("#chart-decisions rect"); n == "0" {
		t.Errorf("the decisions chart has no bars")
	}

	do("sessions", chromedp.Navigate(base+"#/sessions"), chromedp.WaitVisible(chromedp.CSS("#sessions-table tr[data-session]")))
	shot("02-sessions")
	if got, want := count("#sessions-table tr[data-session]"), len(sessions); got != itoa(want) {
		t.Errorf("sessions listed: %s, want %d", got, want)
	}

	// The session of the AWS key fixture: the key shows only redacted.
	awsSession := sessionOf(t, "pre_request.openai-chat.aws-key-in-prompt")
	do("timeline", chromedp.Navigate(base+"#/sessions/"+awsSession), chromedp.WaitVisible(chromedp.CSS("#timeline li.event")))
	shot("03-timeline-secret")
	timeline := eval(`document.getElementById("timeline").innerText`)
	if strings.Contains(timeline, "AKIAKMCM3I6WGEIUWUCE") || strings.Contains(timeline, "9BQ2AAfx6mMw/rFnlZwy7Tt1ltDmx1kNTdBnR3XS") {
		t.Errorf("the timeline shows a raw secret")
	}
	if !strings.Contains(timeline, "REDACTED") || !strings.Contains(strings.ToLower(timeline), "secrets") {
		t.Errorf("the timeline lacks the redacted finding:\n%s", timeline)
	}

	do("threats", chromedp.Navigate(base+"#/threats"), chromedp.WaitVisible(chromedp.CSS("#threats-table tr[data-category]")))
	shot("04-threats")
	for _, cat := range []string{"secrets", "injection", "command"} {
		if n := count(`#threats-table tr[data-category="` + cat + `"]`); n == "0" {
			t.Errorf("no %s threat listed", cat)
		}
	}

	do("detectors", chromedp.Navigate(base+"#/detectors"), chromedp.WaitVisible(chromedp.CSS("#detectors-table tr[data-detector]")))
	shot("05-detectors")
	if n := count("#detectors-table tr[data-detector]"); n != "3" {
		t.Errorf("detectors listed: %s, want 3", n)
	}
	t.Logf("screenshots in %s", arts)
}

func sessionOf(t *testing.T, name string) string {
	t.Helper()
	for _, fx := range fixtures.All() {
		if fx.Name == name {
			var m struct {
				Metadata struct {
					SessionID string `json:"session_id"`
				} `json:"metadata"`
			}
			json.Unmarshal(fx.Body, &m)
			return m.Metadata.SessionID
		}
	}
	t.Fatalf("no fixture %s", name)
	return ""
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
