// Package browsertest starts a real headless Chromium for tests of the
// Observatory UI, and keeps their screenshots as artifacts.
package browsertest

import (
	"bytes"
	"context"
	"image/png"
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

// Do runs actions on the page within timeout. On failure it saves a
// screenshot of the page (see FailureShot) and stops the test with the
// step's name, the screenshot's path and what the page showed.
func Do(t testing.TB, bctx context.Context, timeout time.Duration, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(bctx, timeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		shot := FailureShot(t, bctx, step)
		text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\nscreenshot: %s\npage:\n%s", step, err, shot, text)
	}
}

// FailureShot saves a screenshot of the page as it is when step failed and
// returns its path (or why there is none). It goes to
// $PICKET_ARTIFACTS/failures when set, else to a directory of its own under
// the system's temporary directory, kept after the test so that it can be
// looked at.
func FailureShot(t testing.TB, bctx context.Context, step string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return "none (" + err.Error() + ")"
	}
	var dir string
	if base := os.Getenv("PICKET_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, "failures")
		err = os.MkdirAll(dir, 0o755)
	} else {
		dir, err = os.MkdirTemp("", "picket-browser-failure-")
	}
	if err != nil {
		return "none (" + err.Error() + ")"
	}
	path := filepath.Join(dir, fileName(t.Name()+"-"+step)+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		return "none (" + err.Error() + ")"
	}
	return path
}

// fileName keeps letters, digits, '-' and '.' of s, and turns the rest
// into '_'.
func fileName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// Shot saves a full-page screenshot as dir/name.png and checks it: as
// wide as the viewport asked for (a wider one means the page runs
// sideways) and not blank (more than a few colours).
func Shot(t testing.TB, bctx context.Context, dir, name string, width int) {
	t.Helper()
	b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if w := img.Bounds().Dx(); w != width {
		t.Errorf("%s: screenshot %d px wide, want %d (the page runs sideways)", name, w, width)
	}
	colours := map[uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 7 {
		for x := 0; x < img.Bounds().Dx(); x += 7 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[r>>8<<16|g>>8<<8|b>>8] = true
		}
	}
	if len(colours) < 8 {
		t.Errorf("%s: %d colours: a blank page", name, len(colours))
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
