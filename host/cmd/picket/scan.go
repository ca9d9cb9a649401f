package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/aperture"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/host/runtime"
	"github.com/picketsec/picket/sdk"
)

func init() {
	register("scan", "evaluate a hook payload (or --text) offline; exit 0 allow, 1 block, 2 error", runScan)
}

// scanReport is what scan prints.
type scanReport struct {
	File       string              `json:"file"`
	Event      string              `json:"event"`
	APIFormat  string              `json:"api_format,omitempty"`
	Mode       string              `json:"mode"`
	Decision   string              `json:"decision"`
	WouldBlock bool                `json:"would_block"`
	Category   string              `json:"category,omitempty"`
	Message    string              `json:"message,omitempty"`
	Items      int                 `json:"items"`
	Findings   []audit.Finding     `json:"findings"`
	Detectors  []audit.DetectorRun `json:"detectors"`
}

func runScan(args []string) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: picket scan [flags] FILE|-\n\nEvaluates one Aperture hook payload (or plain text with --text) and prints the decision as JSON.\nExit status: 0 allow, 1 block (in enforce mode: would block), 2 error.\n\nflags:")
		fs.PrintDefaults()
	}
	cfgFile := fs.String("config", "", "config file (HCL); without it, embedded defaults")
	event := fs.String("event", "", "hook event: pre_request, tool_call_entire_request or entire_request (default: inferred)")
	text := fs.Bool("text", false, "the input is plain text: scan it as one user prompt")
	mode := fs.String("mode", config.ModeEnforce, "mode to decide in: enforce, monitor or off")
	dataDir := fs.String("data-dir", "", "data directory, for the fingerprint key (default "+config.DefaultDataDir()+")")
	var lf logFlags
	lf.register(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if config.ModeRank(*mode) < 0 {
		return fail("--mode %q: want enforce, monitor or off", *mode)
	}
	log, err := lf.logger(os.Stderr)
	if err != nil {
		return fail("%v", err)
	}
	input, err := readInput(fs.Arg(0))
	if err != nil {
		return fail("%v", err)
	}
	ev, body, err := scanEvent(input, *text, *event)
	if err != nil {
		return fail("%s: %v", fs.Arg(0), err)
	}
	cfg, err := loadConfig(*cfgFile, *dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer runtime.Shutdown()
	v, err := scanEvaluate(cfg, log, ev, body, *mode)
	if err != nil {
		return fail("%v", err)
	}
	rep := scanReport{
		File: fs.Arg(0), Event: ev.Type, APIFormat: ev.APIFormat, Mode: *mode, Decision: v.Decision,
		WouldBlock: v.WouldBlock, Category: v.Category, Message: v.Message, Items: len(ev.Items),
		Findings: v.Findings, Detectors: v.Detectors,
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(rep)
	if v.Decision == engine.DecisionBlock || (*mode == config.ModeMonitor && v.WouldBlock) {
		return 1
	}
	return 0
}

func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, 50<<20))
	}
	return os.ReadFile(name)
}

// scanEvent turns the input into an event, as the server would.
func scanEvent(input []byte, text bool, event string) (*sdk.Event, []byte, error) {
	if text {
		if event == "" {
			event = sdk.EventPreRequest
		}
		return &sdk.Event{ID: "scan", Type: event, Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: string(input), Origin: sdk.OriginRequest, New: true}}}, nil, nil
	}
	hook, err := aperture.Parse(input)
	if err != nil {
		return nil, nil, err
	}
	typ, err := aperture.ResolveEvent(event, "", hook)
	if err != nil {
		return nil, nil, err
	}
	ev, err := aperture.Normalize(hook, typ)
	if err != nil {
		return nil, nil, err
	}
	ev.ID = "scan"
	return ev, hook.RequestBody, nil
}

func scanEvaluate(cfg *config.Config, log hclog.Logger, ev *sdk.Event, body []byte, mode string) (*engine.Verdict, error) {
	fpKey, err := secretFile(cfg.DataDir, "fingerprint.key")
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	eng := engine.New(engine.Options{Logger: log.Named("engine"), FingerprintKey: fpKey, Rewrite: llmapi.ReplaceString, CacheDir: filepath.Join(cfg.DataDir, "wasm-cache")})
	if _, err := eng.Load(ctx, cfg); err != nil {
		return nil, err
	}
	defer eng.Close()
	return eng.Evaluate(ctx, engine.Input{Event: ev, TenantMode: mode, RequestBody: body})
}
