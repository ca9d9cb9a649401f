// Package browsertest starts a real headless Chromium for tests of the
// Observatory UI, and keeps their screenshots as artifacts.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium returns the browser to drive, or "" when there is none
// ($PICKET_CHROMIUM, else chromium or Chrome on PATH).
func Chromium() string {
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

// Artifacts returns the directory for a test's screenshots:
// $PICKET_ARTIFACTS/<name> when set, else a temporary directory.
func Artifacts(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("PICKET_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Start launches headless Chromium with the flags this machine needs (no
// sandbox as root, no background networking) and returns a browser context.
// Without a browser the test is skipped, or fails when
// PICKET_REQUIRE_TOOLS=1.
func Start(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	bin := Chromium()
	if bin == "" {
		if os.Getenv("PICKET_REQUIRE_TOOLS") == "1" {
			t.Fatal("chromium not found and PICKET_REQUIRE_TOOLS=1 (apt-get install -y chromium)")
		}
		t.Skip("chromium not found: apt-get install -y chromium (set PICKET_REQUIRE_TOOLS=1 to fail instead)")
	}
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
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx
}

// Do runs actions on the page within timeout. On failure it stops the test
// with the step's name and what the page showed.
func Do(t testing.TB, bctx context.Context, timeout time.Duration, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(bctx, timeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\npage:\n%s", step, err, text)
	}
}

// Eval evaluates js on the page and returns its string value, or stops
// the test.
func Eval(t testing.TB, bctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}
