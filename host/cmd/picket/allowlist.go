package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
)

func init() {
	register("allowlist", "print the allowlist entries of a tenant's findings triaged as false positives", runAllowlist)
}

func runAllowlist(args []string) int {
	fs := flag.NewFlagSet("allowlist", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: picket allowlist [flags]\n\nPrints, as config text to paste into each detector block, the fingerprints of the tenant's\nfindings marked false positive in the Observatory, each with a comment saying who marked it,\nwhen and why. With --config, entries the config already has are listed as such.\n\nflags:")
		fs.PrintDefaults()
	}
	cfgFile := fs.String("config", "", "config file naming the store; without it, the embedded defaults' SQLite store")
	dataDir := fs.String("data-dir", "", "data directory (overrides the config)")
	tenant := fs.String("tenant", "default", "tenant whose false positives to print")
	if code, done := parseFlags(fs, args); done {
		return code
	}
	ctx := context.Background()
	store, cfg, code := openStore(ctx, *cfgFile, *dataDir)
	if store == nil {
		return code
	}
	defer store.Close()
	fps, err := audit.FalsePositives(ctx, store, *tenant)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Print(allowlistText(*tenant, fps, cfg, *cfgFile != "", time.Now()))
	return 0
}

// allowlistText renders the false positives as one detector block per
// detector, each fingerprint once, with the comment of its latest mark.
func allowlistText(tenant string, fps []audit.FalsePositive, cfg *config.Config, haveConfig bool, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# picket allowlist: tenant %q, %d finding(s) marked false positive, read %s\n", tenant, len(fps), now.UTC().Format(time.RFC3339))
	if len(fps) == 0 {
		return b.String()
	}
	b.WriteString("# Merge each allow_fingerprints list into the detector's block of your config.\n")
	inConfig := map[string]map[string]bool{}
	if haveConfig {
		for _, d := range cfg.Detectors {
			inConfig[d.Name] = map[string]bool{}
			for _, f := range d.AllowFingerprints {
				inConfig[d.Name][f] = true
			}
		}
	}
	byDet := map[string][]audit.FalsePositive{}
	for _, fp := range fps {
		byDet[fp.Detector] = append(byDet[fp.Detector], fp)
	}
	dets := make([]string, 0, len(byDet))
	for d := range byDet {
		dets = append(dets, d)
	}
	sort.Strings(dets)
	var noFP []string
	for _, d := range dets {
		var lines []string
		seen := map[string]bool{}
		for _, fp := range byDet[d] {
			entry, exact := audit.AllowlistEntry(fp)
			comment := strings.SplitN(entry, "\n", 3)[1] // "  # false positive: …"
			if !exact {
				noFP = append(noFP, strings.TrimSpace(strings.SplitN(entry, "\n", 2)[0]))
				continue
			}
			if seen[fp.Fingerprint] {
				continue
			}
			seen[fp.Fingerprint] = true
			comment = "  " + comment
			if inConfig[d][fp.Fingerprint] {
				comment += " (already in " + cfg.File + ")"
			}
			lines = append(lines, comment, fmt.Sprintf("    %q,", fp.Fingerprint))
		}
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\ndetector %q {\n  allow_fingerprints = [\n%s\n  ]\n}\n", d, strings.Join(lines, "\n"))
	}
	if len(noFP) > 0 {
		slices.Sort(noFP)
		b.WriteString("\n# Without a fingerprint (only an allow_regex over the match can allowlist these):\n")
		for _, l := range slices.Compact(noFP) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
