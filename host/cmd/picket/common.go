package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func init() {
	register("version", "print the version", func(args []string) int {
		fmt.Println("picket", version)
		return 0
	})
}

// logFlags are the logging flags every long-running command takes.
type logFlags struct {
	format string
	level  string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.format, "log-format", "text", "log format: text or json")
	fs.StringVar(&l.level, "log-level", "info", "log level: trace, debug, info, warn or error")
}

func (l *logFlags) logger(w io.Writer) (hclog.Logger, error) {
	if l.format != "text" && l.format != "json" {
		return nil, fmt.Errorf("--log-format %q: want text or json", l.format)
	}
	level := hclog.LevelFromString(l.level)
	if level == hclog.NoLevel {
		return nil, fmt.Errorf("--log-level %q: want trace, debug, info, warn or error", l.level)
	}
	return hclog.New(&hclog.LoggerOptions{Name: "picket", Level: level, Output: w, JSONFormat: l.format == "json"}), nil
}

// loadConfig loads FILE, or the embedded defaults when file is "".
func loadConfig(file, dataDir string) (*config.Config, error) {
	var cfg *config.Config
	if file == "" {
		cfg = config.Default()
	} else {
		var err error
		if cfg, err = config.Load(file); err != nil {
			return nil, err
		}
	}
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	return cfg, nil
}

// secretFile returns the 32-byte key in dir/name, creating it (mode 0600)
// on first use.
func secretFile(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("%s: want 32 bytes, have %d (delete it to make a new one)", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// newAPIKey returns a fresh random API key.
func newAPIKey() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness is gone: nothing is safe to do
	}
	return "pk_" + base64.RawURLEncoding.EncodeToString(b)
}

// fail prints a one-sentence error and returns exit code 2.
func fail(format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(os.Stderr, "picket: "+strings.TrimSuffix(msg, "\n"))
	return 2
}

// parseFlags parses a command's flags. When done, the command returns code:
// 0 after -h or --help (asking for help is not an error), 2 after a bad
// flag (the flag package has printed which).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, true
	case err != nil:
		return 2, true
	}
	return 0, false
}

// isHelp reports whether args ask for help (-h, -help, --help).
func isHelp(args []string) bool {
	return len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")
}

// openStore opens the audit store the config (or the embedded defaults)
// names, for the commands that read the trail. On failure it has printed
// why, and code is the exit status.
func openStore(ctx context.Context, cfgFile, dataDir string) (store audit.Store, cfg *config.Config, code int) {
	cfg, err := loadConfig(cfgFile, dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return nil, nil, 2
	}
	store, err = audit.Open(ctx, audit.Config{Driver: cfg.Store.Driver, DSN: cfg.StoreDSN()})
	if err != nil {
		return nil, nil, fail("store: %v", err)
	}
	return store, cfg, 0
}
