// Command picket-load runs picket's burst, crash and replica scenarios
// against real `picket serve` processes and prints intake and drain rates
// and what was lost, left unevaluated or duplicated (see
// host/internal/loadtest). `make load` runs it with 20,000 events.
//
//	picket-load -bin bin/picket -events 20000 -postgres postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//
// It exits 1 when a scenario loses, leaves or duplicates an event, or when
// a burst drains at less than -min-ratio of its intake rate.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/picketsec/picket/host/internal/loadtest"
)

func main() {
	bin := flag.String("bin", "bin/picket", "picket binary")
	events := flag.Int("events", 20000, "events per burst")
	clients := flag.Int("clients", 16, "concurrent senders")
	pg := flag.String("postgres", os.Getenv("PICKET_TEST_POSTGRES_DSN"), "PostgreSQL DSN for the postgres scenarios (empty: skip them)")
	only := flag.String("only", "", "comma-separated scenario names to run (default all)")
	minRatio := flag.Float64("min-ratio", 0.8, "least drain/intake ratio a burst must reach")
	jsonOut := flag.Bool("json", false, "print reports as JSON lines")
	flag.Parse()

	type sc struct {
		loadtest.Scenario
		ratio bool // the drain/intake target applies
	}
	var all []sc
	for _, driver := range []string{"sqlite", "postgres"} {
		if driver == "postgres" && *pg == "" {
			fmt.Fprintln(os.Stderr, "no -postgres DSN (or PICKET_TEST_POSTGRES_DSN): skipping the postgres scenarios")
			continue
		}
		base := loadtest.Scenario{Bin: *bin, Driver: driver, PostgresDSN: *pg, Events: *events, Clients: *clients, Log: os.Stderr, Timeout: 20 * time.Minute}
		burst := base
		burst.Name = "burst-" + driver
		kill := base
		kill.Name, kill.KillAfter, kill.Restart = "kill-restart-"+driver, *events/2, true
		all = append(all, sc{burst, true}, sc{kill, false})
		if driver == "postgres" {
			rep := base
			rep.Name, rep.Replicas, rep.KillAfter, rep.Lease = "replicas-postgres", 2, *events/2, 5*time.Second
			all = append(all, sc{rep, false})
		}
	}
	failed := false
	for _, s := range all {
		if *only != "" && !strings.Contains(","+*only+",", ","+s.Name+",") {
			continue
		}
		rep, err := loadtest.Run(context.Background(), s.Scenario)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", s.Name, err)
			failed = true
			continue
		}
		if *jsonOut {
			b, _ := json.Marshal(rep)
			fmt.Println(string(b))
		} else {
			fmt.Println(rep)
		}
		if !rep.OK() {
			fmt.Fprintf(os.Stderr, "%s: FAILED: a promise was broken\n", s.Name)
			failed = true
		}
		if s.ratio && rep.Ratio < *minRatio {
			fmt.Fprintf(os.Stderr, "%s: FAILED: drain %.0f%% of intake, want at least %.0f%%\n", s.Name, 100*rep.Ratio, 100**minRatio)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
