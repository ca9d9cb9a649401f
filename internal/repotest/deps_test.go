package repotest

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The picket binary, built as the Makefile builds it, carries none of the
// test-only code and libraries: browsers, fixtures, test helpers.
func TestBinaryHasNoTestOnlyDependencies(t *testing.T) {
	t.Parallel()
	tags := "nomsgpack"
	mk, err := exec.Command("make", "-C", "../..", "-n", "build").Output()
	if err != nil {
		t.Skipf("make: %v", err)
	}
	if !strings.Contains(string(mk), "-tags "+tags) {
		t.Fatalf("make build does not use -tags %s:\n%s", tags, mk)
	}
	out, err := exec.Command("go", "list", "-tags", tags, "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "../../host/cmd/picket").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	testOnly := regexp.MustCompile(`^(github\.com/chromedp/|github\.com/ugorji/go/codec|github\.com/stretchr/testify|` +
		`github\.com/picketsec/picket/(host/internal/browsertest|host/internal/fixtures|host/audit/audittest|host/telemetry/telemetrytest|detectors/internal/fixturetest|internal/policyeval|internal/repotest|sdk/detectortest))`)
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		n++
		fields := strings.Fields(line)
		if testOnly.MatchString(fields[0]) {
			t.Errorf("the binary depends on %s", fields[0])
		}
		// go-cmp comes in with HCL's writer; none of picket's own packages may use it.
		if strings.HasPrefix(fields[0], "github.com/picketsec/picket/") {
			for _, imp := range fields[1:] {
				if strings.HasPrefix(imp, "github.com/google/go-cmp") || imp == "testing" {
					t.Errorf("%s imports %s", fields[0], imp)
				}
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d packages listed", n)
	}
}
