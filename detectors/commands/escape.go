package commands

import (
	"regexp"
	"strings"
)

// launchers start the interactive shell when they are given no command.
var launchers = set("chroot", "sg", "newgrp", "capsh", "unshare", "nsenter", "machinectl", "systemd-run", "run0")

// noEscapeWrappers run a shell without that being an escape: the shell
// replacing itself (exec bash -l), a remote shell, a recorded session.
var noEscapeWrappers = set("exec", "command", "builtin", "script", "ssh", "sudo", "doas", "pkexec", "su", "runuser", "watch",
	"docker", "kubectl", "podman", "gcloud", "az", "aws", "tmux", "screen", "oc")

// strongEscapeRe matches what is only written around a shell started to
// take over a terminal: stdio duplicated onto the terminal's descriptors,
// /dev/tty, "-s" or "-i" with nothing after, or a comment that swallows the
// rest of a command line the host program builds.
var strongEscapeRe = regexp.MustCompile(`^\s*("|')?\s*(\d?[<>]&\s*\d|[<>]\s*/dev/tty|[<>]\s*\$\(tty\)|-[sip]\b|#|1>&0|0<&[12])`)

// launchPrefixRe matches what precedes a shell path in code or config that
// runs it: exec, system(…), a shell escape (!), %(…), key = value.
var launchPrefixRe = regexp.MustCompile(`(?i)(exec\w*\s*[("' ]*|system\s*\(\s*["']?|start\s*\(\s*["']?|!\s*|%\(|esyscmd\(|spawn\s*\(\s*["']?|popen\s*\(\s*["']?|execute\w*\s*[=(]\s*|command\s*[=\s]\s*|[=:]\s*["']?|"\s*:\s*"|invoke\w*\s*\{?\s*["']?|;\s*)$`)

func checkShellEscape(c *call, _ *config) *hit {
	if len(c.argv) == 0 {
		return nil
	}
	if interactiveShell(c) {
		if len(c.wrappers) > 0 {
			last := c.wrappers[len(c.wrappers)-1]
			if c.via == "hook" {
				return hitf(c, 0, "makes "+last+" start an interactive shell through a command option (a shell escape)")
			}
			if strongRedirs(c) && last != "ssh" {
				return hitf(c, 0, "starts a shell wired to the terminal's descriptors (a shell escape)")
			}
			if noEscapeWrappers[last] || isShell(last) && c.via == "-c" {
				return nil
			}
			if last == "env" && !strings.Contains(shellFlags(c.argv), "p") && envCleared(c) {
				// env -i bash --norc: a shell started from an empty
				// environment, the idiom for checking a clean setup.
				return hitf(c, medium, "starts an interactive shell from an empty environment (env -i)")
			}
			return hitf(c, 0, "makes "+last+" start an interactive shell (a shell escape: an agent's tool call has no terminal)")
		}
		fl := shellFlags(c.argv)
		switch {
		case c.negated:
			return hitf(c, 0, "starts a shell from an interactive program's shell escape (!sh)")
		case strongRedirs(c):
			return hitf(c, 0, "starts a shell wired to the terminal's descriptors (a shell escape)")
		case strings.Contains(fl, "p") && !strings.Contains(fl, " --"):
			return hitf(c, 0, "starts a shell that keeps elevated privileges (-p)")
		case strings.HasPrefix(c.argv[0], "/") || strings.Contains(fl, "i"):
			return hitf(c, medium, "starts an interactive shell (an agent's tool call has no terminal)")
		}
		return nil
	}
	if c.name == "script" {
		// script -qc /bin/bash /dev/null: a pseudo-terminal for a shell, the log thrown away.
		if v, ok := optValue(c, "-c", "--command"); ok && isShell(progName(strings.Fields(v + " x")[0])) && len(strings.Fields(v)) == 1 {
			for _, a := range c.args() {
				if a == "/dev/null" {
					return hitf(c, 0, "starts a shell on a pseudo-terminal with script (a shell upgrade)")
				}
			}
		}
		if hasFlag(c, "qc") {
			for i, a := range c.args() {
				if strings.HasPrefix(a, "-") && strings.HasSuffix(a, "c") && i+1 < len(c.args()) && isShell(progName(c.args()[i+1])) {
					return hitf(c, 0, "starts a shell on a pseudo-terminal with script (a shell upgrade)")
				}
			}
		}
	}
	if launchers[c.name] && runnerCommand(c.name, c.argv) < 0 {
		if c.name == "systemd-run" && !hasFlag(c, "S", "--shell") || c.name == "machinectl" && c.arg(1) != "shell" {
			return nil
		}
		if c.name == "capsh" && !argIn(c, "--", "==") {
			// capsh runs a shell after a bare -- (or ==); --print and the
			// other long options only report or set capabilities.
			return nil
		}
		return hitf(c, 0, "makes "+c.name+" start an interactive shell (a shell escape)")
	}
	if isShell(c.name) {
		if strongRedirs(c) && (c.via == "code" || c.via == "hook") {
			return hitf(c, 0, "makes "+c.wrappers[len(c.wrappers)-1]+" start a shell wired to the terminal (a shell escape)")
		}
		return nil
	}
	// A shell binary copied or linked where another program will run it.
	if c.name == "cp" || c.name == "ln" || c.name == "install" || c.name == "rsync" {
		ops := operands(c, "-m -o -g -t -S --target-directory --mode --suffix")
		if len(ops) >= 2 {
			for _, o := range ops[:len(ops)-1] {
				if isShellBinary(o) && !isShellBinary(ops[len(ops)-1]) || isShellBinary(o) && c.name == "ln" {
					return hitf(c, 0, "plants a copy of the shell ("+o+") for another program to run")
				}
			}
		}
	}
	strict := infoOnly[c.name]
	cands := append([]string(nil), c.args()...)
	for k, v := range c.assigns {
		if k != "SHELL" && k != "PATH" {
			cands = append(cands, v)
		}
	}
	writer := false
	if (c.name == "echo" || c.name == "printf" || c.name == "cat" || c.name == "tee") && len(writes(c)) > 0 {
		writer = true
		if c.stdin != "" {
			cands = append(cands, c.stdin)
		}
		if p, _ := payload(c, 0); p != "" {
			cands = append(cands, p)
			if isShellBinary(strings.TrimSpace(p)) && madeExecutable(c) {
				return hitf(c, 0, "writes an executable file that only starts a shell, for another program to run")
			}
		}
	}
	for i, a := range cands {
		if !strings.Contains(a, "sh") {
			continue
		}
		if i < len(c.argv)-1 && i > 0 && (c.argv[i] == "-s" || c.argv[i] == "--shell") {
			continue
		}
		for _, loc := range shellPathMatches(a) {
			s := loc[0]
			if s < len(a) && !strings.HasPrefix(a[s:], "/") && !strings.HasPrefix(a[s:], ".") {
				s++
			}
			pre := a[:s]
			if strings.HasSuffix(strings.TrimRight(pre, " "), "#!") || strings.HasSuffix(pre, "SHELL=") || strings.HasPrefix(a, "--shell") || strings.HasPrefix(a, "--login-shell") {
				continue
			}
			rest := a[loc[1]-1:]
			if len(rest) > 0 && rest[0] != ' ' && rest[0] != '\t' && !strings.ContainsRune("'\")]};|&<>,`", rune(rest[0])) {
				rest = a[loc[1]:]
			}
			if strings.HasPrefix(strings.TrimLeft(rest, " '\""), "-c") {
				continue
			}
			whole := strings.TrimSpace(strings.Trim(a, "'\" ")) == strings.TrimSpace(strings.Trim(a[s:loc[1]], "'\" ;|&)"))
			strong := strongEscapeRe.MatchString(rest) || launchPrefixRe.MatchString(pre) && !whole
			if (strict || writer) && !strong {
				continue
			}
			if writer {
				return hitf(c, 0, "writes a file that starts an interactive shell when another program runs it")
			}
			return hitf(c, 0, "makes "+c.name+" start an interactive shell (a shell escape)")
		}
	}
	return nil
}

// strongRedirs reports whether c's redirections wire it to the terminal
// (1>&0, 0<&2, </dev/tty, >$(tty)).
func strongRedirs(c *call) bool {
	for _, r := range c.redirs {
		if r.target == "/dev/tty" || strings.Contains(r.target, "$(tty)") || strings.Contains(r.target, "`tty`") {
			return true
		}
		if (r.op == ">&" || r.op == "<&") && (r.target == "0" && (r.fd == "1" || r.fd == "2") || (r.fd == "0" || r.fd == "") && r.op == "<&" && (r.target == "1" || r.target == "2")) {
			return true
		}
	}
	return false
}

func isShellBinary(p string) bool {
	n := normPath(p)
	for _, pre := range []string{"/bin/", "/usr/bin/", "/usr/local/bin/"} {
		if strings.HasPrefix(n, pre) && isShell(n[len(pre):]) {
			return true
		}
	}
	return false
}

// madeExecutable reports whether a later call makes a file that c writes
// executable.
func madeExecutable(c *call) bool {
	ws := writes(c)
	for _, o := range c.a.calls {
		if o.name != "chmod" || !strings.Contains(strings.Join(o.args(), " "), "x") && !strings.Contains(strings.Join(o.args(), " "), "7") {
			continue
		}
		for _, op := range o.args() {
			for _, w := range ws {
				if op == w {
					return true
				}
			}
		}
	}
	return false
}

// shellPathMatches returns the spans of shellPathRe in a, letting the
// character that ends one match start the next (RE2 has no lookahead).
func shellPathMatches(a string) [][]int {
	var out [][]int
	for pos := 0; pos < len(a) && len(out) < 8; {
		loc := shellPathRe.FindStringIndex(a[pos:])
		if loc == nil {
			break
		}
		out = append(out, []int{pos + loc[0], pos + loc[1]})
		next := pos + loc[1] - 1
		if next <= pos {
			next = pos + 1
		}
		pos = next
	}
	return out
}

// envCleared reports whether the env that runs c empties the environment
// first (env -i, env -, env --ignore-environment).
func envCleared(c *call) bool {
	for _, p := range c.a.calls {
		if p.name != "env" {
			continue
		}
		for _, in := range p.inners {
			if in == c {
				return argIn(p, "-", "--ignore-environment") || hasFlag(p, "i")
			}
		}
	}
	return false
}
