package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// Plugins the tests need are built once per test binary, into testDir.
var (
	testDir   string
	cacheDir  string
	buildOnce = map[string]*sync.Once{}
	buildErr  = map[string]error{}
	buildMu   sync.Mutex
)

func TestMain(m *testing.M) {
	if os.Getenv("PICKET_ORPHAN_HELPER") == "1" {
		os.Exit(m.Run()) // a helper host of TestOrphanedPluginExits: builds nothing
	}
	dir, err := os.MkdirTemp("", "picket-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDir = dir
	cacheDir = filepath.Join(dir, "wazero-cache")
	code := m.Run()
	Shutdown()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build runs fn once per key and returns its error every time.
func build(t testing.TB, key string, fn func() error) {
	t.Helper()
	buildMu.Lock()
	once, ok := buildOnce[key]
	if !ok {
		once = new(sync.Once)
		buildOnce[key] = once
	}
	buildMu.Unlock()
	once.Do(func() {
		err := fn()
		buildMu.Lock()
		buildErr[key] = err
		buildMu.Unlock()
	})
	buildMu.Lock()
	err := buildErr[key]
	buildMu.Unlock()
	if err != nil {
		t.Fatalf("build %s: %v", key, err)
	}
}

// goBuild builds pkg (relative to dir) into out.
func goBuild(dir, out, pkg string, wasm bool, env ...string) error {
	args := []string{"build", "-o", out}
	if wasm {
		args = append(args, "-buildmode=c-shared")
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if wasm {
		cmd.Env = append(cmd.Env, "GOOS=wasip1", "GOARCH=wasm")
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(cmd.Args[1:], " "), err, b)
	}
	return nil
}

// testdetProcess returns the path of the testdet plugin binary, copied under
// name (the binary picks its fault from its name).
func testdetProcess(t testing.TB, name string) string {
	t.Helper()
	bin := filepath.Join(testDir, "testdet")
	build(t, "testdet-process", func() error { return goBuild(".", bin, "./testdata/testdet/process", false) })
	if name == "" || name == "testdet" {
		return bin
	}
	p := filepath.Join(testDir, name)
	build(t, "copy-"+name, func() error { return copyFile(bin, p) })
	return p
}

func testdetWasm(t testing.TB) string {
	t.Helper()
	out := filepath.Join(testDir, "testdet.wasm")
	build(t, "testdet-wasm", func() error { return goBuild(".", out, "./testdata/testdet/wasm", true) })
	return out
}

// wat assembles a .wat file with wat2wasm, or skips the test when the tool
// is missing (unless PICKET_REQUIRE_TOOLS=1).
func wat(t testing.TB, src string) string {
	t.Helper()
	tool, err := exec.LookPath("wat2wasm")
	if err != nil {
		if os.Getenv("PICKET_REQUIRE_TOOLS") == "1" {
			t.Fatalf("wat2wasm not found (apt-get install -y wabt) and PICKET_REQUIRE_TOOLS=1")
		}
		t.Skip("wat2wasm not found (apt-get install -y wabt); skipping")
	}
	out := filepath.Join(testDir, strings.TrimSuffix(filepath.Base(src), ".wat")+".wasm")
	build(t, "wat-"+src, func() error {
		if b, err := exec.Command(tool, "-o", out, src).CombinedOutput(); err != nil {
			return fmt.Errorf("wat2wasm %s: %v\n%s", src, err, b)
		}
		return nil
	})
	return out
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// testLogger logs to the test's output when -v is given.
func testLogger(t testing.TB) hclog.Logger {
	if !testing.Verbose() {
		return hclog.NewNullLogger()
	}
	return hclog.New(&hclog.LoggerOptions{Name: "picket", Level: hclog.Debug, Output: os.Stderr})
}

// load loads a detector from path with its checksum and fails the test on
// error; the handle is closed when the test ends.
func load(t testing.TB, source, path string, config string, mod ...func(*Spec)) Handle {
	t.Helper()
	spec := Spec{Name: "t-" + filepath.Base(path), Source: source, Path: path, SHA256: sha256File(t, path)}
	if config != "" {
		spec.Config = []byte(config)
	}
	for _, m := range mod {
		m(&spec)
	}
	h, err := Load(context.Background(), spec, Options{Logger: testLogger(t), CacheDir: cacheDir})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// loadOnHost loads the WASM detector of spec on a host of the test's own
// (one with other limits than the process's shared hosts).
func loadOnHost(t testing.TB, host *wasmHost, spec Spec) *wasmHandle {
	t.Helper()
	sum, data, err := checkFile(spec, true)
	if err != nil {
		t.Fatal(err)
	}
	h, err := loadWasmOn(context.Background(), host, spec, Options{Logger: testLogger(t)}, sum, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h.(*wasmHandle)
}
