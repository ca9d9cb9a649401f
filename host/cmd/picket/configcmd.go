package main

import (
	"fmt"
	"os"

	"github.com/picketsec/picket/config"
)

func init() {
	register("config", "'picket config check FILE' validates a config file", runConfig)
}

func runConfig(args []string) int {
	if len(args) != 2 || args[0] != "check" {
		return fail("usage: picket config check FILE")
	}
	cfg, err := config.Load(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s: ok (%s)\n", args[1], cfg.Summary())
	return 0
}
