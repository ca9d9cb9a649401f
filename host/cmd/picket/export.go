package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/picketsec/picket/host/audit"
)

func init() {
	register("export", "export a tenant's events and findings as JSON lines or CSV, for SIEM pipelines", runExport)
}

func runExport(args []string) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	cfgFile := fs.String("config", "", "config file naming the store; without it, the embedded defaults' SQLite store")
	dataDir := fs.String("data-dir", "", "data directory (overrides the config)")
	tenant := fs.String("tenant", "default", "tenant whose events to export")
	since := fs.String("since", "24h", "export events received since: a duration back from now (\"72h\") or an RFC 3339 time")
	format := fs.String("format", "jsonl", "output format: jsonl or csv")
	out := fs.String("o", "-", "output file; - for standard output")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if *format != "jsonl" && *format != "csv" {
		return fail("--format %q: want jsonl or csv", *format)
	}
	from, err := audit.ParseTime(*since, time.Now())
	if err != nil {
		return fail("%v", err)
	}
	cfg, err := loadConfig(*cfgFile, *dataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	store, err := audit.Open(ctx, audit.Config{Driver: cfg.Store.Driver, DSN: cfg.StoreDSN()})
	if err != nil {
		return fail("store: %v", err)
	}
	defer store.Close()
	w := os.Stdout
	if *out != "-" {
		if w, err = os.Create(*out); err != nil {
			return fail("%v", err)
		}
		defer w.Close()
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := audit.Export(ctx, store, *tenant, from, *format, bw); err != nil {
		return fail("%v", err)
	}
	if err := bw.Flush(); err != nil {
		return fail("%v", err)
	}
	return 0
}
