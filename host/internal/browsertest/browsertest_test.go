package browsertest

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// recorder is a testing.TB whose Fatalf records instead of stopping.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Fatalf(format string, args ...any) { r.msg = fmt.Sprintf(format, args...) }

// TestDoSavesAScreenshotOnFailure: a step that fails leaves a screenshot
// of the page, and its path is in the failure message.
func TestDoSavesAScreenshotOnFailure(t *testing.T) {
	t.Setenv("PICKET_ARTIFACTS", t.TempDir())
	bctx := Start(t, time.Minute)
	Do(t, bctx, 20*time.Second, "open", chromedp.Navigate(`data:text/html,<h1 id="x">hello</h1>`), chromedp.WaitVisible(chromedp.ID("x")))
	r := &recorder{TB: t}
	Do(r, bctx, time.Second, "wait for what is not there", chromedp.WaitVisible(chromedp.ID("missing")))
	m := regexp.MustCompile(`screenshot: (\S+\.png)`).FindStringSubmatch(r.msg)
	if m == nil {
		t.Fatalf("failure message names no screenshot:\n%s", r.msg)
	}
	b, err := os.ReadFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Errorf("%s: %v", m[1], err)
	}
	if want := regexp.MustCompile(`failures/TestDoSavesAScreenshotOnFailure-wait_for_what_is_not_there\.png$`); !want.MatchString(m[1]) {
		t.Errorf("screenshot at %s", m[1])
	}
	if !regexp.MustCompile(`(?s)wait for what is not there: .*page:\nhello`).MatchString(r.msg) {
		t.Errorf("message:\n%s", r.msg)
	}
}
