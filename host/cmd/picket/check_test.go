package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/server"
)

func fileSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestConfigCheckLoadsDetectors: config check refuses what serve refuses
// (an unknown builtin, a plugin whose sha256 does not match, a plugin that
// fails the handshake, a config a detector rejects), each with file:line
// and field, and serve refuses the same file before it creates its tables.
func TestConfigCheckLoadsDetectors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A "plugin" that exits at once: no handshake.
	noHandshake := filepath.Join(dir, "exits")
	if err := os.WriteFile(noHandshake, []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	wasm := filepath.Join(dir, "some.wasm")
	if err := os.WriteFile(wasm, []byte("\x00asm not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "picket.hcl")
	src := fmt.Sprintf(`tenant "default" {
  api_key_sha256 = [%q]
}
detector "secrets" {
}
detector "nope" {
  source = "builtin"
}
detector "wrongsum" {
  source = "wasm"
  path   = %q
  sha256 = "%s"
}
detector "nohandshake" {
  source = "process"
  path   = %q
  sha256 = %q
}
detector "commands" {
  config = { protected_branches = 7 }
}
`, server.HashKey("pk_x"), wasm, strings.Repeat("ab", 32), noHandshake, fileSHA(t, noHandshake))
	if err := os.WriteFile(cfgPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(picketBin, "config", "check", cfgPath).CombinedOutput()
	if err == nil {
		t.Fatalf("config check passed a config serve refuses:\n%s", out)
	}
	for _, want := range []string{
		`picket.hcl:6,1: invalid detector "nope" detector:`, "unknown builtin detector",
		`picket.hcl:12,3: invalid detector "wrongsum" sha256:`, "checksum mismatch",
		`picket.hcl:16,3: invalid detector "nohandshake" path:`,
		`picket.hcl:20,12: invalid detector "commands" config:`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), `"secrets"`) {
		t.Errorf("the good detector is reported:\n%s", out)
	}

	data := filepath.Join(dir, "data")
	serve := exec.Command(picketBin, "serve", "--config", cfgPath, "--data-dir", data, "--listen", "127.0.0.1:0")
	if out, err := serve.CombinedOutput(); err == nil {
		t.Fatalf("serve started with unknown detectors:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(data, "picket.db")); err == nil {
		t.Error("serve created its store before refusing the config")
	}

	// serve, scan and detectors refuse an unknown detector with its
	// position, as config check does.
	unknown := filepath.Join(dir, "unknown.hcl")
	if err := os.WriteFile(unknown, []byte(fmt.Sprintf("tenant \"default\" {\n  api_key_sha256 = [%q]\n}\ndetector \"secretz\" {\n}\n", server.HashKey("pk_x"))), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"config check": {"config", "check", unknown},
		"serve":        {"serve", "--config", unknown, "--data-dir", data, "--listen", "127.0.0.1:0"},
		"scan":         {"scan", "--config", unknown, "--data-dir", data, "--text", "-"},
		"detectors":    {"detectors", "--config", unknown, "--data-dir", data},
	} {
		cmd := exec.Command(picketBin, args...)
		cmd.Stdin = strings.NewReader("hello")
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), `unknown.hcl:4,1: invalid detector "secretz" detector:`) || !strings.Contains(string(out), "unknown builtin detector") {
			t.Errorf("%s: %v, want a refusal with the detector's position:\n%s", name, err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "picket.db")); err == nil {
		t.Error("serve created its store before refusing the unknown detector")
	}
}

// TestConfigCheckReportsEverythingInOneRun: a file with a syntax error, a
// bad value, an unknown detector and the placeholder key: config check
// prints all four, each with its position.
func TestConfigCheckReportsEverythingInOneRun(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "all.hcl")
	src := "mode = \"enforcee\"\n" +
		"tenant \"default\" {\n  api_key_sha256 = [\"" + strings.Repeat("0", 64) + "\"]\n}\n" +
		"detector \"secretz\" {\n  source = \"builtin\"\n}\n" +
		"detector \"commands\" {\n  timeout = \n}\n"
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(picketBin, "config", "check", path).CombinedOutput()
	if err == nil {
		t.Fatalf("config check passed:\n%s", out)
	}
	for _, want := range []string{
		"all.hcl:1,1", `invalid mode: "enforcee"`,
		"all.hcl:9,", "Invalid expression",
		`all.hcl:5,1: invalid detector "secretz" detector:`,
		"all.hcl:3,3", "warning:", "placeholder",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), `invalid detector "commands"`) {
		t.Errorf("the broken block is loaded too:\n%s", out)
	}
}
