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
	verify := fs.Bool("verify", false, "verify the tenant's hash chain instead of exporting: exit 0 when every recorded decision is intact, 1 when not")
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
	ctx := context.Background()
	store, _, code := openStore(ctx, *cfgFile, *dataDir)
	if store == nil {
		return code
	}
	defer store.Close()
	if *verify {
		return verifyChain(ctx, store, *tenant)
	}
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

// verifyChain checks tenant's hash chain and says what it found.
func verifyChain(ctx context.Context, store audit.Store, tenant string) int {
	rep, err := audit.VerifyChain(ctx, store, tenant)
	if err != nil {
		return fail("verify: %v", err)
	}
	if rep.Links == 0 {
		fmt.Printf("tenant %q: no recorded decisions in the chain yet\n", tenant)
		return 0
	}
	fmt.Printf("tenant %q: %d decisions, links %d..%d (%d superseded by a later evaluation, %d pruned by retention: linkage checked)\nhead %s\n",
		tenant, rep.Links, rep.First, rep.Last, rep.Replaced, rep.Pruned, rep.Head)
	if rep.First > 1 {
		fmt.Printf("note: the chain starts at link %d (earlier links were removed)\n", rep.First)
	}
	if rep.OK() {
		fmt.Println("chain ok: every recorded decision is as it was written")
		return 0
	}
	for _, p := range rep.Problems {
		if p.EventID != "" {
			fmt.Printf("BROKEN at link %d (event %s): %s\n", p.Seq, p.EventID, p.Reason)
		} else {
			fmt.Printf("BROKEN at link %d: %s\n", p.Seq, p.Reason)
		}
	}
	fmt.Printf("chain broken: %d problem(s)\n", len(rep.Problems))
	return 1
}
