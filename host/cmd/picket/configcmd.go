package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/runtime"
)

func init() {
	register("config", "'picket config check FILE' validates a config file and loads its detectors as serve would", runConfig)
}

const configUsage = "usage: picket config check FILE\n\nValidates FILE and loads each of its detectors as serve would (builtin names, plugin files and sha256,\nhandshake and Info, each detector's config), without opening the store or a port. Prints every problem\nwith its file:line and field (exit 1), or ok with a summary (exit 0).\nWarnings (such as the example's placeholder key hash) are printed but do not fail the check."

func runConfig(args []string) int {
	if isHelp(args) || (len(args) == 2 && args[0] == "check" && isHelp(args[1:])) {
		fmt.Println(configUsage)
		return 0
	}
	if len(args) != 2 || args[0] != "check" {
		return fail("usage: picket config check FILE")
	}
	// Every problem in one run: the file's errors, its warnings, and the
	// detectors that do not load (of those whose blocks have no error).
	cfg, err := config.Load(args[1])
	var problems []string
	if err != nil {
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Partial == nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		problems = append(problems, err.Error())
		cfg = ce.Partial
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(os.Stderr, w)
	}
	// Everything serve checks before it listens, without the store or a
	// port: each detector loads (name, file, sha256, handshake, Info) and
	// accepts its config.
	defer runtime.Shutdown()
	problems = append(problems, checkDetectors(cfg)...)
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p)
	}
	if len(problems) > 0 {
		return 1
	}
	fmt.Printf("%s: ok (%s)\n", args[1], cfg.Summary())
	return 0
}

// checkDetectors loads and closes every enabled detector of cfg and
// returns one line per detector that does not load, or whose kinds it
// would never be called for: where, which field, why (engine.LoadError,
// as serve reports it).
func checkDetectors(cfg *config.Config) []string {
	var problems []string
	for _, d := range cfg.Detectors {
		if !d.Enabled {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		spec := runtime.Spec{Name: d.Name, Source: d.Source, Path: d.Path, SHA256: d.SHA256, Config: d.Config, Timeout: d.Timeout,
			MaxMemory: d.MaxMemory, MaxCPU: d.MaxCPU}
		h, err := runtime.Load(ctx, spec, runtime.Options{})
		cancel()
		var le *engine.LoadError
		if err == nil {
			kerr := engine.CheckKinds(d, h.Info().Kinds)
			h.Close()
			if !errors.As(kerr, &le) {
				continue
			}
		} else {
			le = engine.Locate(d, err)
		}
		if le.Where == "" {
			le.Where = orDefaults(cfg.File)
		}
		problems = append(problems, le.Error())
	}
	return problems
}
