package repotest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ciStubs makes a directory of stand-ins for what .ci/run calls: a make
// that records its environment and leaves a child process behind (as an
// interrupted test run leaves plugins), and the Debian tools present. With
// noPostgres, pg_isready reports no server and none can be started.
func ciStubs(t *testing.T, noPostgres bool) (bin, out string) {
	t.Helper()
	bin, out = t.TempDir(), t.TempDir()
	stubs := map[string]string{
		"make":     "#!/bin/sh\necho \"PICKET_REQUIRE_POSTGRES=$PICKET_REQUIRE_POSTGRES\" > \"$CI_STUB_OUT/env\"\nsleep 300 &\necho $! > \"$CI_STUB_OUT/child\"\nexit 0\n",
		"wat2wasm": "#!/bin/sh\nexit 0\n",
		"chromium": "#!/bin/sh\nexit 0\n",
		"apt-get":  "#!/bin/sh\necho apt-get called >&2\nexit 1\n",
		"sudo":     "#!/bin/sh\nexec \"$@\"\n",
	}
	if noPostgres {
		stubs["pg_isready"] = "#!/bin/sh\nexit 2\n"
		stubs["pg_ctlcluster"] = "#!/bin/sh\nexit 1\n"
	}
	for name, src := range stubs {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(src), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin, out
}

// runCI runs .ci/run with the stubs first on PATH and returns its exit
// code and output.
func runCI(t *testing.T, bin, out string, env ...string) (int, string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	cmd := exec.Command("../../.ci/run")
	// The outer run's PostgreSQL settings (CI sets them) are not this run's.
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PICKET_REQUIRE_POSTGRES=") && !strings.HasPrefix(kv, "PICKET_TEST_POSTGRES_DSN=") {
			base = append(base, kv)
		}
	}
	cmd.Env = append(base, append([]string{"PATH=" + bin + ":" + os.Getenv("PATH"), "CI_STUB_OUT=" + out, "PICKET_CI_PG_WAIT=1"}, env...)...)
	b, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(b)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(b)
}

// alive reports whether pid runs (a zombie does not count).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(stat))
	return len(f) < 3 || f[2] != "Z"
}

// TestCIRunEndsOnlyItsOwnProcesses: what the test run left behind is ended
// by its process group; a process of the same name that the run did not
// start keeps running. With no PostgreSQL, the run goes on with the
// PostgreSQL tests skipped and says so; with PICKET_REQUIRE_POSTGRES=1 it
// stops.
func TestCIRunEndsOnlyItsOwnProcesses(t *testing.T) {
	t.Parallel()
	bin, out := ciStubs(t, true)
	other := exec.Command("sleep", "300") // another run's process, same name
	if err := other.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })

	code, text := runCI(t, bin, out)
	if code != 0 || !strings.Contains(text, "the PostgreSQL tests are skipped") {
		t.Fatalf(".ci/run: exit %d\n%s", code, text)
	}
	env, _ := os.ReadFile(filepath.Join(out, "env"))
	if strings.TrimSpace(string(env)) != "PICKET_REQUIRE_POSTGRES=0" {
		t.Errorf("make ran with %q, want PostgreSQL not required", env)
	}
	b, err := os.ReadFile(filepath.Join(out, "child"))
	if err != nil {
		t.Fatal(err)
	}
	child, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(10 * time.Second)
	for alive(child) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(child) {
		_ = syscall.Kill(child, syscall.SIGKILL)
		t.Errorf("the process the test run left (pid %d) is still running", child)
	}
	if !alive(other.Process.Pid) {
		t.Errorf("a process .ci/run did not start (pid %d) was ended", other.Process.Pid)
	}

	code, text = runCI(t, bin, t.TempDir(), "PICKET_REQUIRE_POSTGRES=1")
	if code == 0 || !strings.Contains(text, "PICKET_REQUIRE_POSTGRES=1") {
		t.Errorf("no PostgreSQL with PICKET_REQUIRE_POSTGRES=1: exit %d\n%s", code, text)
	}
}

// TestCIRunCreatesTheTestRoleAndDatabase: against the machine's
// PostgreSQL, a DSN whose role and database do not exist yet gets both
// (as the cluster's superuser over the local socket), and the tests then
// require PostgreSQL. Needs root, runuser and a local server.
func TestCIRunCreatesTheTestRoleAndDatabase(t *testing.T) {
	t.Parallel()
	asPG := func(sql string) ([]byte, error) {
		return exec.Command("runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-Atqc", sql).CombinedOutput()
	}
	if os.Getuid() != 0 {
		t.Skip("not root: cannot act as the cluster's superuser")
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		t.Skip("runuser is not installed")
	}
	if out, err := asPG("SELECT 1"); err != nil {
		t.Skipf("no local PostgreSQL to act on as its superuser: %v %s", err, out)
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	name := "picket_ci_" + hex.EncodeToString(r[:])
	t.Cleanup(func() {
		if out, err := asPG(`DROP DATABASE IF EXISTS "` + name + `"`); err != nil {
			t.Logf("drop database %s: %v %s", name, err, out)
		}
		if out, err := asPG(`DROP ROLE IF EXISTS "` + name + `"`); err != nil {
			t.Logf("drop role %s: %v %s", name, err, out)
		}
	})
	bin, out := ciStubs(t, false)
	dsn := "postgres://" + name + "@127.0.0.1:5432/" + name + "?sslmode=disable"
	code, text := runCI(t, bin, out, "PICKET_TEST_POSTGRES_DSN="+dsn)
	if code != 0 {
		t.Fatalf(".ci/run: exit %d\n%s", code, text)
	}
	if got, _ := asPG("SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"); strings.TrimSpace(string(got)) != "1" {
		t.Errorf("database %s not created: %s", name, got)
	}
	if env, _ := os.ReadFile(filepath.Join(out, "env")); strings.TrimSpace(string(env)) != "PICKET_REQUIRE_POSTGRES=1" {
		t.Errorf("make ran with %q, want PostgreSQL required", env)
	}
}
