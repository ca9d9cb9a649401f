package repotest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeIn runs make in the repository root with args and returns its exit
// code and combined output.
func makeIn(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	cmd := exec.Command("make", append([]string{"-C", "../.."}, args...)...)
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func TestMakeRunListen(t *testing.T) {
	t.Parallel()
	code, out := makeIn(t, nil, "-n", "run", "LISTEN=127.0.0.1:9099")
	if code != 0 || !strings.Contains(out, "serve --listen 127.0.0.1:9099") {
		t.Fatalf("make -n run LISTEN=…: exit %d\n%s", code, out)
	}
	code, out = makeIn(t, nil, "-n", "run")
	if code != 0 || !strings.Contains(out, "/picket serve") || strings.Contains(out, "--listen") {
		t.Fatalf("make -n run: exit %d\n%s", code, out)
	}
}

// Without a corpus where CORPUS says, the corpus targets stop before any
// go run and say what to set.
func TestCorpusTargetsSayWhatToSet(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-corpus")
	for _, target := range []string{"eval", "eval-peers", "train"} {
		for _, env := range [][]string{{"CORPUS=" + missing}, {"PICKET_CORPUS=" + missing}} {
			code, out := makeIn(t, env, target)
			if code == 0 || !strings.Contains(out, "no corpus at CORPUS="+missing) || !strings.Contains(out, "Set CORPUS") ||
				!strings.Contains(out, "PICKET_CORPUS") || strings.Contains(out, "go run") {
				t.Errorf("make %s with %s: exit %d\n%s", target, env[0], code, out)
			}
		}
	}
	// A corpus that is there is passed to every tool.
	dir := t.TempDir()
	code, out := makeIn(t, []string{"PICKET_CORPUS=" + dir}, "-n", "eval")
	if code != 0 || strings.Count(out, "-corpus "+dir) != 3 {
		t.Errorf("make -n eval with PICKET_CORPUS: exit %d\n%s", code, out)
	}
}
