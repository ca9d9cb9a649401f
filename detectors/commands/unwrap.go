package commands

import (
	"encoding/json"
	"regexp"
	"strings"
)

// shells run scripts: from -c, from a file, or from stdin.
var shells = set("sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "fish", "csh", "tcsh", "rbash", "posh", "pdksh", "oksh", "busybox-sh")

// interpreters run code given with -c/-e or from stdin.
var interpreters = set("python", "python2", "python3", "pypy", "pypy3", "perl", "ruby", "irb", "node", "nodejs", "deno", "bun",
	"php", "lua", "luajit", "tclsh", "wish", "expect", "awk", "gawk", "mawk", "nawk", "jrunscript", "jjs", "rscript",
	"julia", "osascript", "groovy", "scala", "guile", "sbcl", "clisp", "racket", "elixir", "erl", "escript", "ghci", "runghc", "gdb", "vim", "vi", "nvim", "ex", "view", "rvim", "rview", "vimdiff")

// runners run the rest of their arguments as a command, after their own
// options. The value lists the options that take an argument.
var runners = map[string]string{
	"sudo":         "-u -g -C -D -h -p -r -t -U -T -R --user --group --host --prompt --role --type --other-user --chdir --close-from --chroot --command-timeout",
	"doas":         "-u -C",
	"pkexec":       "--user",
	"env":          "-u -C -S --unset --chdir --split-string",
	"nohup":        "",
	"nice":         "-n --adjustment",
	"ionice":       "-c -n -p -P -u --class --classdata",
	"time":         "-o -f --output --format",
	"timeout":      "-s -k --signal --kill-after",
	"stdbuf":       "-i -o -e --input --output --error",
	"setsid":       "",
	"taskset":      "",
	"chrt":         "",
	"flock":        "-w -E --timeout --conflict-exit-code",
	"exec":         "-a",
	"builtin":      "",
	"command":      "",
	"nocorrect":    "",
	"noglob":       "",
	"strace":       "-o -e -p -s -u -E -O -a -b -I -S -X -P",
	"ltrace":       "-o -e -p -s -u -a -A -D -F -n -l -L -x",
	"valgrind":     "",
	"caffeinate":   "-t -w",
	"unbuffer":     "",
	"proxychains":  "-f",
	"proxychains4": "-f",
	"torsocks":     "",
	"torify":       "",
	"setarch":      "",
	"unshare":      "-S -G --setuid --setgid --root --wd --map-user --map-group",
	"nsenter":      "-t -S -G --target --setuid --setgid --root --wd -m -u -i -n -p -U -C -T",
	"chroot":       "--userspec --groups",
	"runcon":       "-u -r -t -l",
	"sg":           "",
	"fakeroot":     "",
	"eatmydata":    "",
	"xvfb-run":     "-n -s -e -f",
	"dbus-launch":  "",
	"ssh-agent":    "",
	"systemd-run":  "-p -u -M --unit --property --description --slice --uid --gid --nice --working-directory --setenv -E",
	"catchsegv":    "",
	"firejail":     "",
	"cpulimit":     "-l -p -e --limit --pid --exe",
	"trickle":      "-u -d -w -t -l -n",
	"parallel":     "-j --jobs -S --sshlogin",
	"xargs":        "-a -d -E -e -I -i -L -l -n -P -s --arg-file --delimiter --eof --replace --max-lines --max-args --max-procs --max-chars --process-slot-var",
	"watch":        "-n -d --interval --differences",
	"busybox":      "",
	"runuser":      "-u -g -G --user --group --supp-group",
	"script":       "",
	"rlwrap":       "",
	"sshpass":      "-p -f -d -e -P",
	"ionice.exe":   "",
}

// runnerFirstOperand are runners whose first operand is theirs (a
// duration, a CPU mask, a directory), not the command's.
var runnerFirstOperand = set("timeout", "taskset", "chrt", "flock", "sg", "setarch", "chroot", "cpulimit")

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// isShell reports whether a program name is a POSIX-like shell.
func isShell(name string) bool { return shells[name] }

// isInterp reports whether a program name runs code in a scripting language.
func isInterp(name string) bool {
	if interpreters[name] {
		return true
	}
	for _, p := range []string{"python", "pypy", "perl", "ruby", "php", "lua", "node", "tclsh"} {
		if strings.HasPrefix(name, p) && len(name) > len(p) && strings.Trim(name[len(p):], "0123456789.-") == "" {
			return true
		}
	}
	return false
}

// shellScript finds the -c script of a shell command line: it returns the
// script's argument index, or -1. Options may be grouped (-lc, -euxc).
func shellScript(argv []string) int {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" || !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "+") {
			return -1
		}
		if a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file" {
			i++
			continue
		}
		if strings.HasPrefix(a, "--") {
			continue
		}
		if strings.Contains(a[1:], "c") && strings.HasPrefix(a, "-") {
			if i+1 < len(argv) {
				return i + 1
			}
			return -1
		}
	}
	return -1
}

// shellOperand returns the index of a shell's first operand (a script file),
// or -1 when the shell reads commands from stdin or -c.
func shellOperand(argv []string) int {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			if i+1 < len(argv) {
				return i + 1
			}
			return -1
		}
		if a == "-o" || a == "+o" || a == "-O" || a == "+O" || a == "--rcfile" || a == "--init-file" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+") {
			if !strings.HasPrefix(a, "--") && strings.ContainsAny(a[1:], "cs") {
				return -1
			}
			continue
		}
		return i
	}
	return -1
}

// shellFlags returns the single-letter options of a shell invocation.
func shellFlags(argv []string) string {
	var b strings.Builder
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			break
		}
		if strings.HasPrefix(a, "--") {
			b.WriteString(" " + a + " ")
			continue
		}
		b.WriteString(a[1:])
	}
	return b.String()
}

// runnerCommand returns the index in argv where the command run by a runner
// starts, or -1 when it runs none.
func runnerCommand(name string, argv []string) int {
	takes := runners[name]
	i := 1
	operand := runnerFirstOperand[name]
	for i < len(argv) {
		a := argv[i]
		if a == "--" {
			i++
			break
		}
		if (name == "env" || name == "sudo" || name == "doas") && strings.Contains(a, "=") && !strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "/") {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			// "--opt=v" and "-uroot" carry their value; "-u root" does not.
			if !strings.Contains(a, "=") && (strings.HasPrefix(a, "--") || len(a) == 2) && strings.Contains(" "+takes+" ", " "+a+" ") {
				i++
			}
			i++
			continue
		}
		if name == "nice" && strings.HasPrefix(a, "+") {
			i++
			continue
		}
		if operand {
			operand = false
			i++
			continue
		}
		break
	}
	if i >= len(argv) {
		return -1
	}
	return i
}

// unwrap looks at what a call runs and walks that too: commands behind
// runners (sudo, env, xargs, find -exec), shell -c scripts, eval, su -c,
// watch, ssh remote commands, and code handed to interpreters.
func (w *walker) unwrap(c *call) {
	if c.depth > maxDepth || w.a.budget <= 0 {
		return
	}
	argv := c.argv
	name := c.name
	switch {
	case isShell(name):
		if i := shellScript(argv); i >= 0 {
			w.nested(c, argv[i], c.atArg(i), "-c", name)
		} else if c.stdin != "" && shellOperand(argv) < 0 {
			w.nested(c, c.stdin, -1, "stdin", name)
		}
	case name == "eval":
		w.nested(c, strings.Join(argv[1:], " "), c.atArg(1), "eval", "eval")
	case name == "su" || name == "runuser":
		for i := 1; i+1 < len(argv); i++ {
			if argv[i] == "-c" || argv[i] == "--command" || argv[i] == "--session-command" {
				w.nested(c, argv[i+1], c.atArg(i+1), "-c", name)
			}
		}
	case name == "watch" || name == "script":
		if name == "script" {
			for i := 1; i+1 < len(argv); i++ {
				if argv[i] == "-c" || argv[i] == "--command" {
					w.nested(c, argv[i+1], c.atArg(i+1), "-c", name)
				}
			}
			return
		}
		if i := runnerCommand(name, argv); i >= 0 {
			w.nested(c, strings.Join(argv[i:], " "), c.atArg(i), "-c", name)
		}
	case name == "find":
		for i := 1; i < len(argv); i++ {
			switch argv[i] {
			case "-exec", "-execdir", "-ok", "-okdir":
				j := i + 1
				for j < len(argv) && argv[j] != ";" && argv[j] != "+" {
					j++
				}
				if j > i+1 {
					w.inner(c, i+1, j, "find")
				}
				i = j
			}
		}
	case name == "ssh":
		if i := sshCommand(argv); i >= 0 {
			w.nested(c, strings.Join(argv[i:], " "), c.atArg(i), "-c", "ssh")
		}
	case fanoutTools[name]:
		// Commands handed to many machines at once are judged as commands.
		if i := fanoutCommand(name, argv); i >= 0 {
			w.nested(c, argv[i], c.atArg(i), "-c", name)
		}
	case (name == "kubectl" || name == "oc") && len(argv) > 1 && argv[1] == "exec":
		for i := 2; i+1 < len(argv); i++ {
			if argv[i] == "--" {
				w.inner(c, i+1, len(argv), name)
				break
			}
		}
	case name == "screen":
		if i := screenCommand(argv); i >= 0 {
			w.inner(c, i, len(argv), name)
		}
	case name == "tmux":
		if i := tmuxCommand(argv); i >= 0 {
			w.nested(c, strings.Join(argv[i:], " "), c.atArg(i), "-c", name)
		}
	case name == "busybox" || name == "toybox":
		if len(argv) > 1 {
			w.inner(c, 1, len(argv), name)
		}
	case name == "powershell" || name == "pwsh" || name == "cmd":
		w.windows(c)
	default:
		for _, h := range hookCommands(c) {
			w.nested(c, h, -1, "hook", c.name)
		}
		for _, h := range remoteScripts(c) {
			w.nested(c, h, -1, "-c", c.name)
		}
		if _, ok := runners[name]; ok {
			if name == "command" && len(argv) > 1 && (argv[1] == "-v" || argv[1] == "-V") {
				return
			}
			if i := runnerCommand(name, argv); i >= 0 {
				if name == "env" || name == "sudo" || name == "doas" {
					for j := 1; j < i; j++ {
						if k := strings.Index(argv[j], "="); k > 0 && !strings.HasPrefix(argv[j], "-") {
							c.assigns[argv[j][:k]] = argv[j][k+1:]
						}
						if (argv[j] == "-S" || argv[j] == "--split-string") && j+1 < len(argv) {
							w.nested(c, strings.Join(argv[j+1:], " "), -1, "-c", "env")
							return
						}
					}
				}
				w.inner(c, i, len(argv), name)
			}
			return
		}
		if isInterp(name) {
			w.interpCode(c)
		}
	}
}

// atArg returns where argument i's value starts verbatim, or -1.
func (c *call) atArg(i int) int {
	if i >= 0 && i < len(c.argAt) {
		return c.argAt[i]
	}
	return -1
}

// inner makes a call of argv[i:j] run by c's program.
func (w *walker) inner(c *call, i, j int, by string) {
	w.a.budget--
	n := &call{argv: append([]string(nil), c.argv[i:j]...), assigns: map[string]string{}, a: w.a,
		depth: c.depth, via: c.via, start: c.start, end: c.end, prev: c.prev, next: c.next, stdin: c.stdin, bg: c.bg,
		wrappers: append(append([]string(nil), c.wrappers...), by)}
	for k, v := range c.assigns {
		n.assigns[k] = v
	}
	n.redirs = c.redirs
	n.argAt = append([]int(nil), c.argAt[min(i, len(c.argAt)):min(j, len(c.argAt))]...)
	n.argSpan = append([][2]int(nil), c.argSpan[min(i, len(c.argSpan)):min(j, len(c.argSpan))]...)
	if len(n.argSpan) > 0 {
		n.start = n.argSpan[0][0]
	}
	for k, v := range c.argSubst {
		if k >= i && k < j {
			if n.argSubst == nil {
				n.argSubst = map[int][]*call{}
			}
			n.argSubst[k-i] = v
			n.substs = append(n.substs, v...)
		}
	}
	n.name = progName(n.argv[0])
	c.inners = append(c.inners, n)
	w.add(n)
	w.unwrap(n)
}

// nested walks a script found inside a call. at is where the script starts
// verbatim in the analysed text, or -1 (then findings point at the call).
func (w *walker) nested(c *call, script string, at int, via, by string) {
	if strings.TrimSpace(script) == "" {
		return
	}
	wr := append(append([]string(nil), c.wrappers...), by)
	if at >= 0 && at+len(script) <= len(w.a.text) && w.a.text[at:at+len(script)] == script {
		w.a.script(script, at, at+len(script), c.depth+1, via, true, wr...)
		return
	}
	w.a.script(script, c.start, c.end, c.depth+1, via, false, wr...)
}

// sshCommand returns the index of the remote command of an ssh call, or -1.
func sshCommand(argv []string) int {
	takes := " -b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w -B "
	host := false
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if strings.HasPrefix(a, "-") && !host {
			if len(a) == 2 && strings.Contains(takes, " "+a+" ") {
				i++
			}
			continue
		}
		if !host {
			host = true
			continue
		}
		return i
	}
	return -1
}

// interpCode finds shell commands inside the code an interpreter is given
// (python -c, perl -e, awk programs, vim -c, gdb -ex …) and walks them.
func (w *walker) interpCode(c *call) {
	for _, code := range interpCodeArgs(c) {
		for _, m := range codeExecRe.FindAllStringSubmatch(code, 8) {
			lit := m[2]
			if lit == "" {
				lit = m[3]
			}
			if lit == "" {
				lit = m[4]
			}
			if lit != "" {
				w.nested(c, codeUnescape.Replace(lit), -1, "code", c.name)
			}
		}
		for _, m := range editorBangRe.FindAllStringSubmatch(code, 4) {
			if m[2] != "" {
				w.nested(c, "/bin/sh", -1, "code", c.name)
				continue
			}
			w.nested(c, m[1], -1, "code", c.name)
		}
	}
}

// interpCodeArgs returns the code strings an interpreter call carries.
func interpCodeArgs(c *call) []string {
	var out []string
	argv := c.argv
	switch {
	case strings.HasSuffix(c.name, "awk"):
		for i := 1; i < len(argv); i++ {
			a := argv[i]
			if a == "-v" || a == "-F" || a == "-f" {
				i++
				continue
			}
			if strings.HasPrefix(a, "-") {
				continue
			}
			out = append(out, a)
			break
		}
	default:
		for i := 1; i < len(argv); i++ {
			a := argv[i]
			switch a {
			case "-c", "-e", "-E", "-r", "-p", "--eval", "--exec", "-ex", "-eval", "--command", "--cmd", "+":
				if i+1 < len(argv) {
					out = append(out, argv[i+1])
					i++
				}
				continue
			}
			if strings.HasPrefix(a, "+") && len(a) > 1 || strings.HasPrefix(a, "-c") && len(a) > 2 && (c.name == "vim" || c.name == "vi" || c.name == "nvim") {
				out = append(out, strings.TrimPrefix(strings.TrimPrefix(a, "+"), "-c"))
				continue
			}
			if len(a) > 2 && (strings.HasPrefix(a, "-e") && c.name != "vim" && c.name != "vi" || strings.HasPrefix(a, "-c") && strings.HasPrefix(c.name, "python")) && strings.ContainsAny(a[2:], " ;(=\"'") {
				out = append(out, a[2:])
				continue
			}
			if strings.HasPrefix(a, "-") && len(a) > 2 && (a[len(a)-1] == 'e' || a[len(a)-1] == 'c') && !strings.HasPrefix(a, "--") {
				if i+1 < len(argv) {
					out = append(out, argv[i+1])
					i++
				}
			}
		}
	}
	if c.stdin != "" {
		out = append(out, c.stdin)
	}
	return out
}

// codeExecRe matches calls that hand a string to a shell in common
// scripting languages: os.system("…"), subprocess.call("…"), system('…'),
// exec("…"), `…`, popen, spawn, shell_exec, passthru, child_process.
var codeExecRe = regexp.MustCompile(`(?i)\b(system|popen|exec[lv]?p?e?|spawn[lv]?p?e?|shell_exec|passthru|proc_open|execsync|spawnsync|check_output|check_call|getoutput|getstatusoutput|call|run|popen[234]?|pty\.spawn|io\.popen|os\.execute|do shell script|do script|%x|qx|Runtime\.getRuntime\(\)\.exec)\s*[\(\[{ ]*\s*(?:"((?:[^"\\]|\\.){1,1000})"|'((?:[^'\\]|\\.){1,1000})'|\x60([^\x60]{1,1000})\x60)`)

// codeUnescape undoes the escapes a code string literal puts on quotes and
// backslashes (exec("bash -c \"…\"")), so that the shell command inside
// reads as the shell would receive it.
var codeUnescape = strings.NewReplacer(`\"`, `"`, `\'`, `'`, `\\`, `\`)

// editorBangRe matches an editor or debugger's shell escape (":!cmd", "!cmd",
// "shell cmd").
var editorBangRe = regexp.MustCompile(`^\s*:?\s*(?:!|sh(?:ell)?\s+|call\s+system\(['"])([^'"]+)|^\s*:?\s*(sh|shell|terminal)\s*$`)

// cmdEnv are environment variables that hold a command another program runs.
var cmdEnv = set("PAGER", "MANPAGER", "GIT_PAGER", "SYSTEMD_PAGER", "EDITOR", "VISUAL", "SYSTEMD_EDITOR", "GIT_EDITOR", "SUDO_EDITOR",
	"LESSOPEN", "LESSCLOSE", "GIT_SSH_COMMAND", "GIT_SSH", "SSH_ASKPASS", "SUDO_ASKPASS", "GIT_ASKPASS", "RESTIC_PASSWORD_COMMAND",
	"BROWSER", "AUTOM4TE", "CRASHPAGER", "PROMPT_COMMAND", "BASH_ENV", "ENV", "PERL5DB", "RSYNC_RSH", "CVS_RSH", "FCEDIT", "TAR_OPTIONS")

// cmdOptions are long options (without dashes) whose value is a command.
var cmdOptions = set("rsh", "rsh-command", "ssh-cmd", "ssh-command", "password-command", "to-command", "use-compress-program",
	"checkpoint-action", "editor", "use-askpass", "pipe", "on-download-error", "on-download-complete", "on-download-start",
	"conf-script", "grep-bin", "wrapper", "pager", "askpass", "exec-path", "info-script", "new-volume-script", "rcfile", "eval")

// hookCommands returns the commands that a call hands to its program to run
// later: command-valued environment variables and options (PAGER=…,
// ssh -o ProxyCommand=…, rsync -e, tar -I / --to-command /
// --checkpoint-action=exec=, zip -TT, tcpdump -z, gcc -wrapper, git -c
// core.pager=…).
func hookCommands(c *call) []string {
	var out []string
	for k, v := range c.assigns {
		if cmdEnv[k] && v != "" {
			out = append(out, v)
		}
	}
	args := c.args()
	val := func(i int) string {
		if i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "--") || strings.HasPrefix(a, "-") && c.name == "gcc" && len(a) > 2:
			k, v, eq := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if !cmdOptions[k] || k == "eval" && c.name != "rpm" {
				continue
			}
			if !eq {
				v = val(i)
			}
			v = strings.TrimPrefix(v, "exec=")
			if k == "wrapper" {
				v = strings.ReplaceAll(v, ",", " ")
			}
			if k == "eval" {
				v = strings.TrimSuffix(strings.TrimPrefix(v, "%("), ")")
			}
			out = append(out, v)
		case a == "-o" && (c.name == "ssh" || c.name == "scp" || c.name == "sftp" || c.name == "sshfs"):
			if k, v, ok := strings.Cut(val(i), "="); ok && hookOpt(k) {
				out = append(out, v)
			}
		case strings.HasPrefix(a, "-o") && len(a) > 2 && (c.name == "ssh" || c.name == "scp" || c.name == "sftp" || c.name == "sshfs"):
			if k, v, ok := strings.Cut(a[2:], "="); ok && hookOpt(k) {
				out = append(out, v)
			}
		case a == "-e" && c.name == "rsync", a == "-I" && c.name == "tar", a == "-TT" && c.name == "zip", a == "-z" && c.name == "tcpdump",
			a == "-S" && c.name == "scp", a == "-P" && c.name == "man", a == "-c" && c.name == "git" && strings.Contains(val(i), "="):
			v := val(i)
			if c.name == "git" {
				k, x, _ := strings.Cut(v, "=")
				switch strings.ToLower(k) {
				case "core.pager", "core.sshcommand", "core.editor", "core.fsmonitor", "core.askpass", "sequence.editor", "diff.external", "gpg.program":
					v = x
				default:
					continue
				}
			}
			out = append(out, v)
		case c.name == "git" && a == "config":
			// git config [--global] core.pager 'sh -c …': the hook runs on
			// every later git command, not only this one.
			var ops []string
			for _, x := range args[i+1:] {
				if !strings.HasPrefix(x, "-") {
					ops = append(ops, x)
				}
			}
			if len(ops) >= 2 && hookGitKey(strings.ToLower(ops[0])) {
				out = append(out, ops[1])
			}
		case strings.HasPrefix(a, "-H") && c.name == "man" && len(a) > 2:
			out = append(out, a[2:])
		case c.name == "sysctl" && strings.Contains(a, "core_pattern=|"):
			out = append(out, a[strings.Index(a, "|")+1:])
		}
	}
	return out
}

// hookGitKey reports a git configuration key whose value git runs as a
// command.
func hookGitKey(k string) bool {
	switch k {
	case "core.pager", "core.sshcommand", "core.editor", "core.fsmonitor", "core.askpass", "sequence.editor", "diff.external", "gpg.program":
		return true
	}
	return false
}

func hookOpt(k string) bool {
	switch strings.ToLower(k) {
	case "proxycommand", "localcommand", "knownhostscommand", "remotecommand", "ssh_command", "sshcommand":
		return true
	}
	return false
}

// remoteScripts returns the shell commands that a call hands to another
// machine or to a later moment to run: aws ssm send-command --parameters
// commands=…, az vm run-command --scripts …, gcloud compute ssh --command …,
// a startup-script in instance metadata, and the command of trap. They are
// judged as if run here: what they do there is what the call does.
func remoteScripts(c *call) []string {
	args := c.args()
	has := func(w string) bool {
		for _, a := range args {
			if a == w {
				return true
			}
		}
		return false
	}
	var out []string
	switch c.name {
	case "trap":
		if len(args) > 1 && !strings.HasPrefix(args[0], "-") {
			out = append(out, args[0])
		}
	case "aws":
		if has("start-build") || has("start-build-batch") {
			// codebuild start-build --buildspec-override 'phases: build:
			// commands: - …': the build runs those lines.
			for i, a := range args {
				if v, ok := optArg(args, i, a, "--buildspec-override"); ok {
					out = append(out, buildspecCommands(v)...)
				}
			}
			return out
		}
		if has("run-task") || has("start-task") || has("execute-command") {
			// ecs run-task --overrides '{"containerOverrides":[{"command":[…]}]}',
			// ecs execute-command --command "…": the task's container runs it.
			for i, a := range args {
				if v, ok := optArg(args, i, a, "--overrides"); ok {
					out = append(out, containerCommands(v)...)
				}
				if v, ok := optArg(args, i, a, "--command"); ok {
					out = append(out, v)
				}
			}
			return out
		}
		if !has("send-command") && !has("send-command-invocation") && !has("create-association") {
			return nil
		}
		for i, a := range args {
			v, ok := optArg(args, i, a, "--parameters")
			if !ok {
				continue
			}
			out = append(out, ssmCommands(v)...)
		}
	case "az":
		if has("extension") {
			// az vm extension set --name CustomScript --settings '{"commandToExecute": "…"}'
			for i, a := range args {
				for _, o := range []string{"--settings", "--protected-settings"} {
					if v, ok := optArg(args, i, a, o); ok {
						if m := commandToExecuteRe.FindStringSubmatch(v); m != nil {
							out = append(out, strings.ReplaceAll(m[1], `\"`, `"`))
						}
					}
				}
			}
			return out
		}
		if has("aks") && has("invoke") {
			// az aks command invoke --command 'kubectl …' runs in the cluster.
			for i, a := range args {
				if v, ok := optArg(args, i, a, "--command"); ok {
					out = append(out, v)
				}
			}
			return out
		}
		if !has("run-command") {
			return nil
		}
		for i := 0; i < len(args); i++ {
			if args[i] != "--scripts" && args[i] != "--script" {
				if v, ok := strings.CutPrefix(args[i], "--scripts="); ok {
					out = append(out, v)
				}
				continue
			}
			for j := i + 1; j < len(args) && !strings.HasPrefix(args[j], "--"); j++ {
				out = append(out, strings.TrimPrefix(args[j], "@"))
			}
		}
	case "docker", "podman", "nerdctl":
		// docker exec [options] container command …: the command runs in
		// the container, with what the container can reach.
		if len(args) < 3 || args[0] != "exec" {
			return nil
		}
		i := 1
		for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
			switch args[i] {
			case "-e", "--env", "-u", "--user", "-w", "--workdir", "--env-file", "--detach-keys":
				i++
			}
		}
		if i+1 < len(args) {
			out = append(out, joinArgv(args[i+1:]))
		}
	case "kubectl", "oc":
		// kubectl exec/run/create job|cronjob/debug … -- command: it runs
		// in a pod.
		if len(args) == 0 {
			return nil
		}
		switch args[0] {
		case "exec", "run", "create", "debug":
		default:
			return nil
		}
		for i, a := range args {
			if a == "--" && i+1 < len(args) {
				out = append(out, joinArgv(args[i+1:]))
				break
			}
		}
	case "gcloud":
		for i, a := range args {
			if v, ok := optArg(args, i, a, "--command"); ok {
				out = append(out, v)
			}
			if v, ok := optArg(args, i, a, "--metadata"); ok {
				for _, kv := range strings.Split(v, ",startup-script") {
					if _, sc, ok := strings.Cut(kv, "startup-script="); ok {
						out = append(out, sc)
					} else if sc, ok := strings.CutPrefix(kv, "="); ok {
						out = append(out, sc)
					}
				}
			}
		}
	}
	return out
}

// optArg reads --name value or --name=value at args[i].
func optArg(args []string, i int, a, name string) (string, bool) {
	if a == name && i+1 < len(args) {
		return args[i+1], true
	}
	if v, ok := strings.CutPrefix(a, name+"="); ok {
		return v, true
	}
	return "", false
}

// ssmCommandsRe finds the commands of an SSM document's parameters, in the
// shorthand (commands=…, commands=["…","…"]) or JSON ({"commands":[…]}).
var ssmCommandsRe = regexp.MustCompile(`(?i)"?commands"?\s*[=:]\s*(\[[^\]]*\]|"(?:[^"\\]|\\.)*"|'[^']*'|.+)`)

// buildspecCommands returns the lines of a buildspec's commands: lists
// (YAML "- cmd" items after a commands: key; the text may carry its line
// breaks as the two characters \n, as a quoted shell argument does).
func buildspecCommands(v string) []string {
	v = strings.ReplaceAll(v, `\n`, "\n")
	var out []string
	in := false
	for _, line := range strings.Split(v, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasSuffix(t, "commands:"):
			in = true
		case in && strings.HasPrefix(t, "- "):
			out = append(out, strings.Trim(strings.TrimSpace(t[2:]), "\"'"))
		case t != "" && !strings.HasPrefix(t, "#"):
			in = false
		}
		if len(out) >= 64 {
			break
		}
	}
	return out
}

// containerCommandRe finds a container override's command array.
var containerCommandRe = regexp.MustCompile(`"command"\s*:\s*(\[[^\]]*\])`)

// containerCommands returns the commands of an ECS task's container
// overrides, each array joined as an argv.
func containerCommands(v string) []string {
	var out []string
	for _, m := range containerCommandRe.FindAllStringSubmatch(v, 8) {
		var argv []string
		if json.Unmarshal([]byte(m[1]), &argv) != nil || len(argv) == 0 {
			continue
		}
		out = append(out, joinArgv(argv))
	}
	return out
}

func ssmCommands(v string) []string {
	m := ssmCommandsRe.FindStringSubmatch(v)
	if m == nil {
		return nil
	}
	body := strings.TrimSpace(m[1])
	if !strings.HasPrefix(body, "[") {
		return []string{strings.Trim(strings.TrimSuffix(body, "}"), "\"' ")}
	}
	body = strings.Trim(body, "[]")
	var out []string
	for _, part := range strings.Split(body, "\",") {
		if p := strings.Trim(part, "\" '"); p != "" {
			out = append(out, strings.ReplaceAll(p, `\"`, `"`))
		}
	}
	return out
}

// screenCommand returns where the command of a detached screen session
// (screen -dm [-S name] cmd …) starts, or -1.
func screenCommand(argv []string) int {
	detached := false
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") || len(a) < 2 {
			if detached {
				return i
			}
			return -1
		}
		if strings.Contains(a, "d") && strings.Contains(a, "m") || a == "-D" {
			detached = true
		}
		// The last letter of a group may take a value: -dmS name, -c file.
		switch a[len(a)-1] {
		case 'S', 'c', 't', 'p', 'X', 'T', 'e', 'h', 's', 'L':
			if a != "-L" {
				i++
			}
		}
	}
	return -1
}

// tmuxCommand returns where the shell command of tmux new-session /
// new-window / split-window starts, or -1.
func tmuxCommand(argv []string) int {
	i := 1
	for i < len(argv) && strings.HasPrefix(argv[i], "-") {
		if argv[i] == "-L" || argv[i] == "-S" || argv[i] == "-f" {
			i++
		}
		i++
	}
	if i >= len(argv) {
		return -1
	}
	switch argv[i] {
	case "new", "new-session", "neww", "new-window", "splitw", "split-window":
	default:
		return -1
	}
	for i++; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") {
			return i
		}
		if len(a) == 2 && strings.ContainsRune("sntcxyFeBlpt", rune(a[1])) {
			i++
		}
	}
	return -1
}

// commandToExecuteRe finds the command of a custom-script VM extension.
var commandToExecuteRe = regexp.MustCompile(`(?i)"commandToExecute"\s*:\s*"((?:[^"\\]|\\.)*)"`)

// fanoutTools run one command on many machines: configuration-management
// and parallel-shell programs.
var fanoutTools = set("ansible", "salt", "salt-ssh", "pssh", "parallel-ssh", "knife", "pdsh", "clush")

// fanoutCommand returns the index of the command a fan-out tool runs, or -1:
// ansible's -a/--args (for the shell, command and raw modules or none),
// salt's argument after cmd.run / cmd.shell, knife ssh's second operand, and
// the last operand of pssh, pdsh and clush.
func fanoutCommand(name string, argv []string) int {
	switch name {
	case "ansible":
		mod := ""
		at := -1
		for i := 1; i+1 < len(argv); i++ {
			switch argv[i] {
			case "-m", "--module-name":
				mod = argv[i+1]
			case "-a", "--args":
				at = i + 1
			}
		}
		if at >= 0 && (mod == "" || mod == "shell" || mod == "command" || mod == "raw" || mod == "ansible.builtin.shell" || mod == "ansible.builtin.command" || mod == "ansible.builtin.raw") {
			return at
		}
	case "salt", "salt-ssh":
		for i := 1; i+1 < len(argv); i++ {
			if argv[i] == "cmd.run" || argv[i] == "cmd.shell" || argv[i] == "cmd.script" && strings.HasPrefix(argv[i+1], "http") {
				return i + 1
			}
		}
	case "knife":
		if len(argv) > 3 && argv[1] == "ssh" {
			n := 0
			for i := 2; i < len(argv); i++ {
				if strings.HasPrefix(argv[i], "-") {
					continue
				}
				n++
				if n == 2 {
					return i
				}
			}
		}
	default: // pssh, parallel-ssh, pdsh, clush
		last := len(argv) - 1
		if last >= 2 && !strings.HasPrefix(argv[last], "-") && strings.ContainsAny(argv[last], " ;|&") || last >= 2 && !strings.HasPrefix(argv[last], "-") && strings.HasPrefix(argv[last-1], "-") && len(argv[last-1]) == 2 && strings.ContainsAny(argv[last-1], "i") {
			return last
		}
	}
	return -1
}
