package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/host/adapters/claudecode"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/runtime"
	"github.com/picketsec/picket/host/server"
)

func init() {
	register("hook", "agent hooks: 'picket hook claude-code' judges Claude Code tool calls, prompts and tool output", runHook)
}

func runHook(args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: picket hook claude-code [flags] < hook.json\n\nRun 'picket hook claude-code -h' for its flags.")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] != "claude-code" {
		return fail("hook %q: the hooks are: claude-code", args[0])
	}
	return runClaudeCode(args[1:], os.Stdin, os.Stdout, os.Stderr)
}

// runClaudeCode is a Claude Code command hook: hook JSON on stdin, the
// decision JSON on stdout. It asks a picket server (or, with --config,
// evaluates here and records in that config's store). When picket cannot
// answer within --timeout it fails open ({}, a warning on stderr) unless
// --fail-closed, which denies. Bad input exits 1 (Claude Code shows the
// sentence and goes on), or 2 with --fail-closed (Claude Code blocks).
func runClaudeCode(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hook claude-code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: picket hook claude-code [flags] < hook.json\n\nA Claude Code command hook for PreToolUse, UserPromptSubmit and PostToolUse: prints the\ndecision JSON (permissionDecision deny/ask, or decision block) and records the event in\npicket's trail as source claude-code, in the hook's session.\n\nflags:")
		fs.PrintDefaults()
	}
	addr := fs.String("server", envOr("PICKET_SERVER", "http://127.0.0.1:8080"), "picket server to ask (env PICKET_SERVER)")
	key := fs.String("key", "", "API key (default: env PICKET_API_KEY)")
	cfgFile := fs.String("config", "", "evaluate here with this config (HCL) instead of asking a server; the event goes to the config's store")
	tenant := fs.String("tenant", "", "with --config: the tenant whose policy applies (default: the config's first tenant)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for a verdict before failing open (or closed)")
	failClosed := fs.Bool("fail-closed", false, "deny when picket cannot answer, and block on bad input")
	allow := fs.Bool("allow-explicit", false, "answer permissionDecision allow when nothing is found (skips Claude Code's own permission prompt)")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *key == "" {
		*key = os.Getenv("PICKET_API_KEY")
	}
	badInput := func(err error) int {
		fmt.Fprintln(stderr, "picket: "+err.Error())
		if *failClosed {
			return 2
		}
		return 1
	}
	body, err := claudecode.ReadAll(stdin)
	if err != nil {
		return badInput(fmt.Errorf("reading hook input: %w", err))
	}
	hk, err := claudecode.Decode(body)
	if err != nil {
		return badInput(err)
	}
	if !hk.Evaluated() {
		fmt.Fprintln(stdout, "{}")
		return 0
	}
	hk.Login = localLogin()
	opts := claudecode.Options{AllowExplicit: *allow}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var out []byte
	if *cfgFile != "" {
		out, err = hookLocal(ctx, *cfgFile, *tenant, hk, opts)
	} else {
		out, err = hookRemote(ctx, *addr, *key, *allow, hk.Login, body)
	}
	if err != nil {
		if *failClosed {
			fmt.Fprintln(stderr, "picket: no verdict, denying (--fail-closed): "+err.Error())
			fmt.Fprintf(stdout, "%s\n", claudecode.Encode(hk.HookEventName, "deny", "picket: no verdict (fail closed): "+err.Error()))
			return 0
		}
		fmt.Fprintln(stderr, "picket: no verdict, allowing (fail open): "+err.Error())
		fmt.Fprintln(stdout, "{}")
		return 0
	}
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

// localLogin is user@host of the process running the hook, or "".
func localLogin() string {
	u, err := user.Current()
	if err != nil || u.Username == "" {
		return ""
	}
	host, _ := os.Hostname()
	if host == "" {
		return u.Username
	}
	return u.Username + "@" + host
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// hookRemote posts the hook input to a picket server and returns its
// answer, which is already the hook output.
func hookRemote(ctx context.Context, addr, key string, allow bool, login string, body []byte) ([]byte, error) {
	u := strings.TrimSuffix(addr, "/") + claudecode.Path
	if allow {
		u += "?allow_explicit=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if login != "" {
		req.Header.Set(claudecode.LoginHeader, login)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s: %s", resp.Status, e.Error)
		}
		return nil, errors.New(resp.Status)
	}
	if !json.Valid(b) {
		return nil, errors.New("server answered invalid JSON")
	}
	return bytes.TrimSpace(b), nil
}

// hookLocal evaluates with a config here, through the same server code
// (without its listener and async workers), and records the event in the
// config's store.
func hookLocal(ctx context.Context, file, tenant string, hk *claudecode.Hook, opts claudecode.Options) ([]byte, error) {
	cfg, err := loadConfig(file, "")
	if err != nil {
		return nil, err
	}
	if tenant == "" {
		if len(cfg.Tenants) == 0 {
			return nil, errors.New("config has no tenant")
		}
		tenant = cfg.Tenants[0].Name
	}
	fpKey, err := secretFile(cfg.DataDir, "fingerprint.key")
	if err != nil {
		return nil, err
	}
	spoolKey, err := secretFile(cfg.DataDir, "spool.key")
	if err != nil {
		return nil, err
	}
	log := hclog.NewNullLogger()
	store, err := audit.Open(ctx, audit.Config{Driver: cfg.Store.Driver, DSN: cfg.StoreDSN(), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer store.Close()
	defer runtime.Shutdown()
	eng := engine.New(engine.Options{Logger: log, FingerprintKey: fpKey, Rewrite: llmapi.ReplaceString, CacheDir: filepath.Join(cfg.DataDir, "wasm-cache")})
	if _, err := eng.Load(ctx, cfg); err != nil {
		return nil, err
	}
	defer eng.Close()
	srv, err := server.New(server.Options{Engine: eng, Store: store, Logger: log, SpoolKey: spoolKey})
	if err != nil {
		return nil, err
	}
	out, _, err := claudecode.Evaluate(ctx, srv, tenant, hk, opts)
	// Shutdown writes the recorded event before the store closes.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := srv.Shutdown(sctx); serr != nil && err == nil {
		err = serr
	}
	return out, err
}
