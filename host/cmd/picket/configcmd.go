package main

import (
	"fmt"
	"os"

	"github.com/picketsec/picket/config"
)

func init() {
	register("config", "'picket config check FILE' validates a config file", runConfig)
}

const configUsage = "usage: picket config check FILE\n\nValidates FILE and prints every problem with its file:line and field (exit 1), or ok with a summary (exit 0).\nWarnings (such as the example's placeholder key hash) are printed but do not fail the check."

func runConfig(args []string) int {
	if isHelp(args) || (len(args) == 2 && args[0] == "check" && isHelp(args[1:])) {
		fmt.Println(configUsage)
		return 0
	}
	if len(args) != 2 || args[0] != "check" {
		return fail("usage: picket config check FILE")
	}
	cfg, err := config.Load(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(os.Stderr, w)
	}
	fmt.Printf("%s: ok (%s)\n", args[1], cfg.Summary())
	return 0
}
