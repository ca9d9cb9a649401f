package aperture

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// readmeItems parses the "Items:" lists of the fixtures README: file name
// (without .json) → kind → count.
func readmeItems(t *testing.T) map[string]map[string]int {
	t.Helper()
	b, err := os.ReadFile("../internal/fixtures/aperture/README.md")
	if err != nil {
		t.Fatalf("read fixtures README: %v", err)
	}
	out := map[string]map[string]int{}
	line := regexp.MustCompile("^- `([^`]+)\\.json`.*Items: ([^.]+)\\.")
	for _, l := range strings.Split(string(b), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		kinds := map[string]int{}
		for _, e := range strings.Split(m[2], ",") {
			e = strings.TrimSpace(e)
			n := 1
			if k, c, ok := strings.Cut(e, " ×"); ok {
				e = k
				n, _ = strconv.Atoi(c)
			}
			kinds[e] += n
		}
		out[m[1]] = kinds
	}
	return out
}
