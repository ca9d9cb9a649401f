package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRefused checks that a bad plugin is refused at load with an error
// naming the detector and the reason.
func TestLoadRefused(t *testing.T) {
	t.Parallel()
	junk := filepath.Join(t.TempDir(), "junk.wasm")
	if err := os.WriteFile(junk, []byte("not wasm at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	zeros := strings.Repeat("0", 64)
	tests := map[string]struct {
		source string
		path   func(t *testing.T) string
		sha    string // "" = the file's own
		config string
		want   string
	}{
		"process missing file":   {source: SourceProcess, path: func(*testing.T) string { return "/nonexistent/plugin" }, sha: zeros, want: "no such file"},
		"process wrong checksum": {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "") }, sha: zeros, want: "checksum mismatch"},
		"process no checksum":    {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "") }, sha: "-", want: "sha256 is required"},
		"process bad checksum":   {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "") }, sha: "abc", want: "not 64 hex digits"},
		"process exits at start": {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "testdet-exit-at-start") }, want: "plugin exited during the handshake"},
		"process bad handshake":  {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "testdet-bad-handshake") }, want: "Unrecognized remote plugin message"},
		"process wrong protocol": {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "testdet-wrong-protocol") }, want: "incompatible API version with plugin. Plugin version: 99"},
		"process bad config":     {source: SourceProcess, path: func(t *testing.T) string { return testdetProcess(t, "") }, config: `{"word":""}`, want: "config: testdet: config: field word"},
		"wasm missing file":      {source: SourceWasm, path: func(*testing.T) string { return "/nonexistent/x.wasm" }, sha: zeros, want: "no such file"},
		"wasm wrong checksum":    {source: SourceWasm, path: func(t *testing.T) string { return testdetWasm(t) }, sha: zeros, want: "checksum mismatch"},
		"wasm not a module":      {source: SourceWasm, path: func(*testing.T) string { return junk }, want: "compile"},
		"wasm bad config":        {source: SourceWasm, path: func(t *testing.T) string { return testdetWasm(t) }, config: `{"colour":1}`, want: `unknown field "colour"`},
		"wasm abi version":       {source: SourceWasm, path: func(t *testing.T) string { return wat(t, "testdata/wat/badabi.wat") }, want: "module speaks ABI version 2, host speaks 1"},
		"wasm missing export":    {source: SourceWasm, path: func(t *testing.T) string { return wat(t, "testdata/wat/noexport.wat") }, want: "does not export picket_detect"},
		"wasm wrong signature":   {source: SourceWasm, path: func(t *testing.T) string { return wat(t, "testdata/wat/badsig.wat") }, want: "export picket_detect is (i32) -> (i32), want (i32, i32) -> (i64)"},
		"wasm unknown import":    {source: SourceWasm, path: func(t *testing.T) string { return wat(t, "testdata/wat/badimport.wat") }, want: "imports env.now, which the host does not provide"},
		"unknown source":         {source: "dll", path: func(*testing.T) string { return "x" }, sha: zeros, want: `unknown source "dll"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := tt.path(t)
			spec := Spec{Name: "acme-" + strings.ReplaceAll(name, " ", "-"), Source: tt.source, Path: path, SHA256: tt.sha}
			switch tt.sha {
			case "":
				spec.SHA256 = sha256File(t, path)
			case "-":
				spec.SHA256 = ""
			}
			if tt.config != "" {
				spec.Config = []byte(tt.config)
			}
			h, err := Load(context.Background(), spec, Options{Logger: testLogger(t), CacheDir: cacheDir})
			if err == nil {
				h.Close()
				t.Fatal("Load succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, `detector "`+spec.Name+`"`) || !strings.Contains(msg, tt.want) {
				t.Errorf("Load error %q, want the detector's name and %q", msg, tt.want)
			}
		})
	}
}
