package server

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/picketsec/picket/host/internal/browsertest"
	"github.com/picketsec/picket/host/internal/fixtures"
)

// TestObservatoryReplayAndNarrowScreens: the replay box gives the current
// policy's verdict in the browser; at 420 px every page's navigation stays
// on screen and the page does not run sideways. Screenshots at both widths
// are checked for their size and for not being blank.
func TestObservatoryReplayAndNarrowScreens(t *testing.T) {
	t.Parallel()
	bctx := browsertest.Start(t, 3*time.Minute)
	h := newHarness(t, "enforce", nil)
	ts := httptest.NewServer(h.srv.Handler())
	defer ts.Close()
	arts := browsertest.Artifacts(t, "server-replay")
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, 30*time.Second, step, actions...)
	}
	eval := func(js string) string {
		t.Helper()
		return browsertest.Eval(t, bctx, js)
	}
	shot := func(name string, width int) {
		t.Helper()
		browsertest.Shot(t, bctx, arts, name, width)
	}
	base := ts.URL + "/ui/"
	do("login", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("api-key")),
		chromedp.SendKeys(chromedp.ID("api-key"), testKey),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#chart-decisions svg")))

	var payload []byte
	for _, f := range fixtures.All() {
		if f.Name == "pre_request.anthropic.claude-code-bash-exfil" {
			payload = f.Body
		}
	}
	do("replay", chromedp.Navigate(base+"#/replay"), chromedp.WaitVisible(chromedp.ID("replay-input")),
		chromedp.SetValue(chromedp.ID("replay-input"), string(payload)),
		chromedp.Click(chromedp.ID("replay-run")),
		chromedp.WaitVisible(chromedp.CSS(`#replay-result .badge[data-decision="block"]`)))
	if n := eval(`String(document.querySelectorAll("#replay-result pre.item-text mark.m-command").length)`); n == "0" {
		t.Errorf("the replayed command is not highlighted")
	}
	shot("01-replay-1280", 1280)
	do("replay text", chromedp.Click(chromedp.ID("replay-text")),
		chromedp.SetValue(chromedp.ID("replay-input"), "please summarize this file"),
		chromedp.Click(chromedp.ID("replay-run")),
		chromedp.WaitVisible(chromedp.CSS(`#replay-result .badge[data-decision="allow"]`)))
	do("replay bad json", chromedp.Click(chromedp.ID("replay-text")),
		chromedp.SetValue(chromedp.ID("replay-input"), "{not json"),
		chromedp.Click(chromedp.ID("replay-run")),
		chromedp.WaitVisible(chromedp.CSS(`#replay-result .error`)))
	// Nothing replayed was recorded.
	var list struct {
		Events []json.RawMessage `json:"events"`
	}
	rec := h.do("GET", "/v1/events", nil, map[string]string{"Authorization": "Bearer " + testKey})
	if json.Unmarshal(rec.Body.Bytes(), &list); len(list.Events) != 0 {
		t.Errorf("replays were recorded: %s", rec.Body)
	}

	// 420 px: every page keeps the navigation usable and the page inside
	// the viewport.
	do("narrow", chromedp.EmulateViewport(420, 860))
	for _, page := range []string{"overview", "events", "sessions", "threats", "usage", "detectors", "replay"} {
		do(page+" at 420", chromedp.Navigate(base+"#/"+page), chromedp.WaitNotPresent(chromedp.CSS("#view .loading")))
		if w := eval(`String(document.documentElement.scrollWidth)`); w != "420" {
			t.Errorf("%s at 420 px: the page is %s px wide", page, w)
		}
		// Each navigation link can be reached: inside the viewport once
		// the navigation is scrolled to it.
		off := eval(`(function () {
			var out = [];
			document.querySelectorAll("#nav a").forEach(function (a) {
				a.scrollIntoView({ block: "nearest", inline: "nearest" });
				var r = a.getBoundingClientRect();
				if (r.left < 0 || r.right > window.innerWidth || r.height === 0) out.push(a.textContent);
			});
			return out.join(",");
		})()`)
		if off != "" {
			t.Errorf("%s at 420 px: navigation links out of reach: %s", page, off)
		}
	}
	do("threats at 420", chromedp.Navigate(base+"#/threats"), chromedp.WaitNotPresent(chromedp.CSS("#view .loading")))
	shot("02-threats-420", 420)
	do("replay at 420", chromedp.Navigate(base+"#/replay"), chromedp.WaitVisible(chromedp.ID("replay-input")))
	shot("03-replay-420", 420)
	if txt := eval(`document.getElementById("nav").innerText`); !strings.Contains(txt, "Replay") {
		t.Errorf("nav: %q", txt)
	}
	t.Logf("screenshots in %s", arts)
}
