package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/runtime"
)

func init() {
	register("detectors", "list detectors: of a running server (--addr), else as the config loads them", runDetectors)
}

func runDetectors(args []string) int {
	fs := flag.NewFlagSet("detectors", flag.ContinueOnError)
	addr := fs.String("addr", "", "base URL of a running picket (e.g. http://127.0.0.1:8080); the key comes from PICKET_API_KEY")
	cfgFile := fs.String("config", "", "config file to load the detectors from when --addr is not given")
	dataDir := fs.String("data-dir", "", "data directory (wasm compilation cache)")
	asJSON := fs.Bool("json", false, "print JSON")
	var lf logFlags
	lf.register(fs)
	if code, done := parseFlags(fs, args); done {
		return code
	}
	var list []engine.DetectorStatus
	if *addr != "" {
		var err error
		if list, err = fetchDetectors(*addr, os.Getenv("PICKET_API_KEY")); err != nil {
			return fail("%v", err)
		}
	} else {
		log, err := lf.logger(os.Stderr)
		if err != nil {
			return fail("%v", err)
		}
		cfg, err := loadConfig(*cfgFile, *dataDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer runtime.Shutdown()
		eng := engine.New(engine.Options{Logger: log.Named("engine"), FingerprintKey: []byte("list"), CacheDir: cfg.DataDir + "/wasm-cache"})
		if _, err := eng.Load(context.Background(), cfg); err != nil {
			return fail("%v", err)
		}
		defer eng.Close()
		list = eng.Detectors()
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(list)
		return 0
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tID\tVERSION\tRUNTIME\tKINDS\tHEALTH\tCALLS\tERRORS\tP50\tP99")
	for _, d := range list {
		kinds := make([]string, len(d.Kinds))
		for i, k := range d.Kinds {
			kinds[i] = string(k)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", d.Name, d.ID, d.Version, d.Runtime,
			strings.Join(kinds, ","), d.Health, d.Calls, d.Errors+d.Timeouts, d.P50.Round(time.Microsecond), d.P99.Round(time.Microsecond))
	}
	tw.Flush()
	return 0
}

func fetchDetectors(addr, key string) ([]engine.DetectorStatus, error) {
	if key == "" {
		return nil, fmt.Errorf("set PICKET_API_KEY to a tenant's API key to query %s", addr)
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(addr, "/")+"/v1/detectors", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s: %s", addr, resp.Status, strings.TrimSpace(string(body)))
	}
	var out struct {
		Detectors []engine.DetectorStatus `json:"detectors"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	return out.Detectors, nil
}
