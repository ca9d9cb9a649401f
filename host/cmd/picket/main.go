// Command picket is the picket detector host: it serves Aperture hooks,
// scans payloads offline and manages config, keys and detectors.
package main

import (
	"fmt"
	"os"
	"sort"
)

// A command is one subcommand of picket. Each lives in its own file and
// registers itself in init.
type command struct {
	summary string
	run     func(args []string) int // exit code: 0 ok, 1 finding/block, 2 error
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string) int) {
	if _, dup := commands[name]; dup {
		panic("picket: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	name := os.Args[1]
	if name == "-h" || name == "--help" || name == "help" {
		if len(os.Args) > 2 {
			if cmd, ok := commands[os.Args[2]]; ok { // picket help scan
				os.Exit(cmd.run([]string{"-h"}))
			}
		}
		usage()
		return
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "picket: unknown command %q\n\n", name)
		usage()
		os.Exit(2)
	}
	os.Exit(cmd.run(os.Args[2:]))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: picket <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'picket <command> -h' for a command's flags.")
}
