package commands

import (
	"context"
	"path"
	"regexp"
	"strings"

	"github.com/picketsec/picket/sdk"
)

func init() {
	for _, r := range rules {
		if r.ID == "fork-bomb" {
			r.check = checkForkBomb
		}
	}
}

// fetchedBy returns the stage among src that downloads, unless every URL
// it names is on an allowed host.
func fetchedBy(src []*call, cfg *config) (*call, bool) {
	for _, s := range src {
		if f := fetcherIn(s, 0); f != nil {
			if cfg.allAllowed(urls(f)) {
				return nil, false
			}
			return f, true
		}
	}
	return nil, false
}

// fetcherIn returns s when it fetches, or the fetcher a runner it is runs
// (sudo curl … | sudo python3: the stage is sudo, the fetcher its inner call).
func fetcherIn(s *call, depth int) *call {
	if isFetcher(s) {
		return s
	}
	if depth < 3 {
		for _, x := range s.inners {
			if f := fetcherIn(x, depth+1); f != nil {
				return f
			}
		}
	}
	return nil
}

func runnerName(c *call) string {
	if isShell(c.name) || isInterp(c.name) {
		return c.name
	}
	switch c.name {
	case "eval":
		return "eval"
	case "source", ".":
		return "the current shell"
	}
	if strings.HasPrefix(c.argv[0], "$(") || strings.HasPrefix(c.argv[0], "`") {
		return "the shell"
	}
	return c.name
}

func checkDownloadPipe(c *call, cfg *config) *hit {
	if len(c.argv) == 0 {
		return nil
	}
	if c.prev != nil && c.stdin == "" && readsStdinProgram(c) {
		if f, ok := fetchedBy(upstream(c), cfg); ok {
			return &hit{c: c, from: f, msg: "downloads a script with " + f.name + " and runs it with " + runnerName(c)}
		}
	}
	for _, s := range execSubsts(c) {
		chain := append([]*call{s}, upstream(s)...)
		if f, ok := fetchedBy(chain, cfg); ok {
			return hitf(c, 0, "downloads a script with "+f.name+" and runs it with "+runnerName(c))
		}
	}
	// xargs or find handing downloaded content to a shell.
	if (isShell(c.name) || c.name == "eval") && (c.wrapped("xargs") || c.via == "stdin") && c.prev != nil {
		if f, ok := fetchedBy(upstream(c), cfg); ok {
			return hitf(c, 0, "downloads commands with "+f.name+" and runs them with "+c.name)
		}
	}
	return nil
}

// downloadedFile returns the local file a fetcher call writes, or "".
func downloadedFile(c *call) string {
	switch c.name {
	case "curl":
		if v, ok := optValue(c, "-o", "--output"); ok {
			return v
		}
		for _, a := range c.args() {
			if a == "-O" || a == "--remote-name" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "O") && isLetters(a[1:]) {
				if us := urls(c); len(us) > 0 {
					return baseName(us[0])
				}
			}
		}
		// -fsSLo file
		args := c.args()
		for i, a := range args {
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.HasSuffix(a, "o") && isLetters(a[1:]) && i+1 < len(args) {
				return args[i+1]
			}
		}
	case "wget", "wget2":
		if v, ok := optValue(c, "-O", "--output-document"); ok {
			if v == "-" {
				return ""
			}
			return v
		}
		if us := urls(c); len(us) > 0 {
			return baseName(us[0])
		}
		if ops := operands(c, "-P -o -a -t -T -w -U --user-agent --header -e"); len(ops) > 0 {
			return baseName(ops[0])
		}
	case "aria2c", "fetch":
		if v, ok := optValue(c, "-o", "--out"); ok {
			return v
		}
		if us := urls(c); len(us) > 0 {
			return baseName(us[0])
		}
	case "iwr", "invoke-webrequest":
		if v, ok := optValue(c, "-OutFile", "-outfile"); ok {
			return v
		}
	case "lwp-download":
		if ops := operands(c, ""); len(ops) > 1 {
			return ops[1]
		} else if len(ops) == 1 {
			return baseName(ops[0])
		}
	case "tftp":
		// tftp host -c get remote [local]; Windows: tftp -i host GET remote [local]
		args := c.args()
		for i, a := range args {
			if strings.EqualFold(a, "get") && i+1 < len(args) {
				if i+2 < len(args) {
					return args[i+2]
				}
				return baseName(args[i+1])
			}
		}
	case "nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "socat":
		// What the connection receives, written to a file.
		for _, r := range c.redirs {
			if r.op == ">" || r.op == ">>" {
				if r.fd == "" || r.fd == "1" {
					return r.target
				}
			}
		}
	}
	return ""
}

// executes returns the local file c runs as a program or script, or "".
func executes(c *call) string {
	if len(c.argv) == 0 {
		return ""
	}
	if strings.Contains(c.argv[0], "/") {
		return c.argv[0]
	}
	if isShell(c.name) || isInterp(c.name) && !strings.HasSuffix(c.name, "awk") {
		if isShell(c.name) {
			if i := shellOperand(c.argv); i >= 0 {
				return c.argv[i]
			}
			return ""
		}
		if ops := operands(c, "-m -c -e -W -X -I -r"); len(ops) > 0 && !hasFlag(c, "", "-c", "-e") {
			return ops[0]
		}
	}
	if c.name == "source" || c.name == "." {
		return c.arg(1)
	}
	// Package installers run the package's own scripts as root.
	switch c.name {
	case "installer":
		if v, ok := optValue(c, "-pkg", "-package"); ok {
			return v
		}
	case "dpkg", "rpm":
		if hasFlag(c, "iU", "--install", "--upgrade") {
			if ops := operands(c, "--root --admindir --instdir"); len(ops) > 0 {
				return ops[len(ops)-1]
			}
		}
	}
	return ""
}

func checkDownloadThenRun(c *call, cfg *config) *hit {
	f := downloadedFile(c)
	if f == "" || cfg.allAllowed(urls(c)) {
		return nil
	}
	fb := baseName(f)
	if c.a.execs == nil {
		c.a.execs = map[*call]string{}
		for _, o := range c.a.calls {
			if x := executes(o); x != "" {
				c.a.execs[o] = baseName(x)
			}
		}
	}
	for _, o := range c.later() {
		if x := c.a.execs[o]; x != "" && x == fb {
			ext := path.Ext(fb)
			switch ext {
			case ".tgz", ".gz", ".zip", ".tar", ".json", ".txt", ".md", ".csv", ".xml", ".yaml", ".yml":
				return nil
			case ".deb", ".rpm", ".pkg", ".dmg":
				// Packages fetched over HTTPS from a named host are installed
				// the way their vendors document; from a bare address or
				// over plain HTTP they are not.
				if namedHTTPS(urls(c)) {
					return nil
				}
			}
			return hitf(c, 0, "downloads "+fb+" with "+c.name+" and then runs it")
		}
	}
	return nil
}

func checkEncodedExec(c *call, _ *config) *hit {
	if len(c.argv) == 0 {
		return nil
	}
	var src []*call
	if c.prev != nil && c.stdin == "" && readsStdinProgram(c) {
		src = upstream(c)
	}
	for _, s := range execSubsts(c) {
		src = append(src, s)
		src = append(src, upstream(s)...)
	}
	for _, s := range src {
		if isDecoder(s) {
			return hitf(c, 0, "decodes a hidden payload with "+s.name+" and runs it with "+runnerName(c))
		}
		if s.name == "printf" || s.name == "echo" && hasAnyFlag(s, "-e") {
			if p, dec := payload(s, 0); dec && p != "" {
				return hitf(c, 0, "builds a command from escaped bytes and runs it with "+runnerName(c))
			}
		}
	}
	return nil
}

func devTCP(s string) bool {
	return strings.Contains(s, "/dev/tcp/") || strings.Contains(s, "/dev/udp/")
}

func isLocalHost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasPrefix(h, "127.") || h == "0.0.0.0"
}

func devTCPHost(s string) string {
	i := strings.Index(s, "/dev/tcp/")
	if i < 0 {
		i = strings.Index(s, "/dev/udp/")
	}
	if i < 0 {
		return ""
	}
	rest := s[i+len("/dev/tcp/"):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func checkDevTCP(c *call, _ *config) *hit {
	var target string
	for _, r := range c.redirs {
		if devTCP(r.target) {
			target = r.target
		}
	}
	if target == "" {
		return nil
	}
	if isLocalHost(devTCPHost(target)) {
		return nil
	}
	dup := false
	for _, r := range c.redirs {
		if r.op == ">&" || r.op == "<&" || r.op == "&>" || r.op == "<>" {
			dup = true
		}
	}
	// A shell on the socket, "exec 5<>/dev/tcp/…" (the descriptor then
	// carries commands), or a socket piped into a shell.
	if isShell(c.name) || c.name == "exec" || len(c.argv) == 0 || c.next != nil && isShell(c.next.name) || dup && c.name == "cat" {
		return c.rule()
	}
	return nil
}

// rule is a hit with the rule's own severity and message.
func (c *call) rule() *hit { return &hit{c: c} }

func checkNetcatExec(c *call, _ *config) *hit {
	if !netClients[c.name] && c.name != "nc" {
		return nil
	}
	for _, a := range c.args() {
		if a == "-e" || a == "-c" || strings.HasPrefix(a, "--exec") || strings.HasPrefix(a, "--sh-exec") || strings.HasPrefix(a, "--lua-exec") ||
			len(a) > 2 && a[0] == '-' && a[1] != '-' && isLetters(a[1:]) && strings.HasSuffix(a, "e") {
			if hasFlag(c, "l", "--listen") {
				return &hit{c: c, msg: "opens a bind shell: serves a shell to anyone who connects"}
			}
			return c.rule()
		}
	}
	return nil
}

func checkShellPipeNet(c *call, _ *config) *hit {
	if !isShell(c.name) || shellScript(c.argv) >= 0 || shellOperand(c.argv) >= 0 {
		return nil
	}
	near := func(o *call) bool {
		if netClients[o.name] || o.name == "openssl" && o.arg(1) == "s_client" {
			for _, a := range o.args() {
				if isLocalHost(strings.Split(a, ":")[0]) {
					return false
				}
			}
			return true
		}
		for _, r := range o.redirs {
			if devTCP(r.target) {
				return true
			}
		}
		return false
	}
	for _, o := range upstream(c) {
		if near(o) {
			return c.rule()
		}
	}
	for _, o := range downstream(c) {
		if near(o) {
			return c.rule()
		}
	}
	return nil
}

func checkSocat(c *call, _ *config) *hit {
	if c.name != "socat" {
		return nil
	}
	var ex, net, listen bool
	for _, a := range c.args() {
		l := lower(a)
		if strings.HasPrefix(l, "exec:") || strings.HasPrefix(l, "system:") {
			ex = true
		}
		if strings.HasPrefix(l, "tcp") || strings.HasPrefix(l, "udp") || strings.HasPrefix(l, "openssl") || strings.HasPrefix(l, "ssl") || strings.HasPrefix(l, "sctp") {
			net = true
			if strings.Contains(l, "listen") {
				listen = true
			}
		}
	}
	tty := false
	for _, a := range c.args() {
		l := lower(a)
		if strings.HasPrefix(l, "file:") && (strings.Contains(l, "tty") || strings.Contains(l, "raw,echo=0")) {
			tty = true
		}
	}
	if tty && net {
		return &hit{c: c, msg: "connects the terminal to a network socket (a reverse-shell handler)"}
	}
	if ex && net {
		if listen {
			return &hit{c: c, msg: "opens a bind shell with socat: serves a shell to anyone who connects"}
		}
		return c.rule()
	}
	return nil
}

var (
	sockWords = []string{"socket", "tcpsocket", "fsockopen", "io::socket", "net.connect", "createconnection", "/inet/tcp", "/inet/udp",
		"tcpclient", "java.net.socket", "new socket(", "net.socket", "require(\"net\")", "require('net')", "socket.connect", "udpsocket", "tcpserver", "tcplistener"}
	execWords = []string{"exec", "spawn", "system", "fdopen", "popen", "dup2", "subprocess", "pty", "/bin/sh", "/bin/bash", "\"sh\"", "'sh'", "sh -i",
		"cmd.exe", "child_process", "proc_open", "shell_exec", "os.execute", "getruntime", "getline", "io.popen", "process.start", "%x"}
	bindWords = []string{"bind(", ".bind", "listen", "accept", "tcpserver", "createserver", "tcplistener", "/inet/tcp/1", "/inet/tcp/0/0"}
)

func checkCodeShell(c *call, _ *config) *hit {
	if !isInterp(c.name) {
		return nil
	}
	for _, code := range interpCodeArgs(c) {
		l := lower(code)
		if !containsAny(l, sockWords...) || !containsAny(l, execWords...) {
			continue
		}
		if strings.HasSuffix(c.name, "awk") && !strings.Contains(l, "/inet/") {
			continue
		}
		if containsAny(l, "connect", "peeraddr", "inet->new(", "fsockopen", "tcpsocket.new", "tcpsocket.open", "/inet/tcp/0/", "tcpclient", "new socket(", "s_client") &&
			!containsAny(l, "listen", "accept") {
			return c.rule()
		}
		if containsAny(l, bindWords...) {
			return &hit{c: c, msg: "runs interpreter code that serves a shell on a listening socket (bind shell)"}
		}
	}
	return nil
}

// fileReadWords and sendWords recognize interpreter code that reads a file
// and writes it to a socket.
var (
	fileReadWords = []string{"open(", "io.open", "readfile", "file_get_contents", "createreadstream", "file.read", "read_file", "file.open", "readlines", "slurp"}
	sendWords     = []string{".send", ".write", "sendall", ".print", "print ", ":send", "puts", "pipe(", "syswrite", "fputs", "fwrite"}
)

func checkCodeSend(c *call, _ *config) *hit {
	if !isInterp(c.name) {
		return nil
	}
	for _, code := range interpCodeArgs(c) {
		l := lower(code)
		if containsAny(l, "socket", "tcpsocket", "fsockopen", "io::socket", "net.connect", "createconnection", "/inet/tcp") &&
			containsAny(l, "connect", "peeraddr", "fsockopen", "tcpsocket.new", "tcpsocket.open", "/inet/tcp/0/", ".tcp()") &&
			containsAny(l, fileReadWords...) && containsAny(l, sendWords...) && !containsAny(l, "listen", "accept", "bind(") {
			return hitf(c, 0, "runs interpreter code that reads a local file and sends it over a raw socket")
		}
	}
	return nil
}

// infoOnly are programs that take a shell's path without running it.
var infoOnly = set("ls", "file", "stat", "which", "whereis", "type", "man", "info", "help", "tldr", "whatis", "apropos", "command",
	"hash", "readlink", "realpath", "ldd", "strings", "nm", "objdump", "md5sum", "sha1sum", "sha256sum", "shasum", "cksum", "b2sum",
	"grep", "egrep", "fgrep", "rg", "ag", "ack", "dpkg", "dpkg-query", "rpm", "apt", "apt-get", "apt-cache", "yum", "dnf", "brew",
	"pacman", "apk", "zypper", "port", "snap", "nix-env", "pip", "pip3", "conda", "choco", "winget", "chsh", "usermod", "useradd",
	"adduser", "update-alternatives", "cat", "less", "more", "head", "tail", "xxd", "hexdump", "od", "cmp", "diff", "cp", "ln", "test",
	"[", "[[", "chmod", "chown", "ssh", "docker", "podman", "kubectl", "oc", "nerdctl", "lxc", "vagrant", "toolbox", "distrobox",
	"echo", "printf", "sed", "tee", "du", "wc", "shellcheck", "shfmt", "lsof", "ps", "pgrep", "pkill", "killall", "export", "alias",
	"git", "getent", "code", "touch", "mv", "rm", "tar", "zip", "unzip", "scp", "rsync", "find", "locate", "mlocate", "exec", "set",
	"script", "machinectl", "multipass", "limactl", "colima", "wsl", "systemd-nspawn", "ldconfig", "gcc", "cc", "file-roller", "stow",
	"sha512sum", "md5", "codesign", "otool", "xattr", "spctl", "setcap", "getcap", "install",
	// Container, remote and session tools: a shell there is the point.
	"docker-compose", "podman-compose", "incus", "gcloud", "fly", "flyctl", "heroku", "tmux", "screen", "byobu", "devcontainer",
	"minikube", "kind", "mosh", "sshpass", "gh", "az", "aws", "orb", "orbctl", "railway", "render", "crictl", "dtach", "abduco")

// exemptWrappers run a shell without that being an escape.
var exemptWrappers = set("exec", "command", "builtin", "script", "ssh", "time", "sudo", "doas", "pkexec", "su", "runuser",
	"watch", "xvfb-run", "dbus-launch", "ssh-agent", "unbuffer", "rlwrap", "docker", "kubectl")

// interactiveShell reports whether c starts a shell that reads commands
// from a terminal: no -c script, no script file and nothing piped in.
func interactiveShell(c *call) bool {
	if !isShell(c.name) || c.prev != nil || c.stdin != "" || shellScript(c.argv) >= 0 {
		return false
	}
	if i := shellOperand(c.argv); i >= 0 && c.argv[i] != "/dev/tty" && c.argv[i] != "-" {
		return false
	}
	for _, r := range c.redirs {
		if (r.op == "<" || r.op == "<>") && r.fd != "1" && r.fd != "2" && r.target != "/dev/tty" && !devTCP(r.target) {
			return false
		}
	}
	return true
}

func checkRootShell(c *call, _ *config) *hit {
	switch c.name {
	case "sudo", "doas", "pkexec":
		if runnerCommand(c.name, c.argv) < 0 && hasFlag(c, "is", "--login", "--shell") {
			return c.rule()
		}
	case "su":
		if c.wrapped("sudo") || c.wrapped("doas") || len(c.wrappers) == 0 {
			for _, a := range c.args() {
				if a == "-c" || a == "--command" || a == "-h" || a == "--help" {
					return nil
				}
			}
			var ops []string
			for _, o := range operands(c, "-s -g -G --shell --group -w --whitelist-environment") {
				if o != "-" {
					ops = append(ops, o)
				}
			}
			if len(ops) == 0 || ops[0] == "root" || c.wrapped("sudo") || c.wrapped("doas") {
				return c.rule()
			}
		}
	}
	if interactiveShell(c) && len(c.wrappers) > 0 && c.via != "-c" {
		last := c.wrappers[len(c.wrappers)-1]
		if last == "sudo" || last == "doas" || last == "pkexec" || last == "su" || last == "runuser" {
			return hitf(c, 0, "opens a root shell with "+last)
		}
	}
	return nil
}

func checkRm(c *call, cfg *config) *hit {
	if c.name != "rm" {
		return nil
	}
	rec := hasFlag(c, "rR", "--recursive")
	npr := false
	for _, a := range c.args() {
		if a == "--no-preserve-root" {
			npr = true
		}
	}
	if npr {
		return hitf(c, critical, "recursively deletes the root filesystem (--no-preserve-root)")
	}
	if !rec {
		return nil
	}
	var best *hit
	for _, op := range operands(c, "") {
		if what, sev := rootTarget(op); what != "" {
			if best == nil || sev > best.sev {
				best = hitf(c, sev, "recursively deletes "+what)
			}
		}
		if p := cfg.protectedPath(op); p != "" && (best == nil || best.sev < high) {
			best = hitf(c, high, "recursively deletes the protected path "+p)
		}
	}
	return best
}

func checkFindDelete(c *call, _ *config) *hit {
	if c.name != "find" {
		return nil
	}
	del := false
	args := c.args()
	for i, a := range args {
		if a == "-delete" {
			del = true
		}
		if (a == "-exec" || a == "-execdir") && i+1 < len(args) && (progName(args[i+1]) == "rm" || progName(args[i+1]) == "shred") {
			del = true
		}
	}
	if !del {
		return nil
	}
	filtered := false
	for _, a := range args {
		switch a {
		case "-name", "-iname", "-path", "-ipath", "-regex", "-iregex", "-size", "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin",
			"-newer", "-user", "-uid", "-group", "-empty", "-perm", "-links", "-inum", "-samefile", "-wholename", "-lname":
			filtered = true
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") || a == "(" || a == "!" {
			break
		}
		if what, sev := rootTarget(a); what != "" && a != "." && a != "./" {
			if sev < high {
				sev = high
			}
			if filtered {
				return hitf(c, medium, "deletes matching files across "+what+" with find")
			}
			return hitf(c, sev, "deletes files across "+what+" with find")
		}
	}
	return nil
}

func checkDiskWipe(c *call, _ *config) *hit {
	for _, r := range c.redirs {
		if (r.op == ">" || r.op == ">>" || r.op == ">|") && isDevice(r.target) {
			return hitf(c, 0, "writes directly over the disk "+normPath(r.target))
		}
	}
	ops := func() []string {
		// -F is mke2fs's "force" but the FAT size of mkfs.vfat (-F 32).
		if c.name == "mkfs.vfat" || c.name == "mkfs.fat" || c.name == "mkfs.msdos" || c.name == "mkdosfs" {
			return operands(c, "-t -L -n -b -c -O -E -N -U -m -o -T -F -I")
		}
		return operands(c, "-t -L -n -b -c -O -E -N -U -m -o -T -I")
	}
	switch {
	case c.name == "dd":
		for _, a := range c.args() {
			if strings.HasPrefix(a, "of=") && isDevice(a[3:]) {
				return hitf(c, 0, "overwrites the disk "+normPath(a[3:])+" with dd")
			}
		}
	case c.name == "mkfs" || strings.HasPrefix(c.name, "mkfs.") || c.name == "mke2fs" || c.name == "mkswap" || c.name == "wipefs" ||
		c.name == "fdisk" || c.name == "sfdisk" || c.name == "parted" || c.name == "sgdisk" || c.name == "cfdisk" || c.name == "blkdiscard" ||
		c.name == "shred" || c.name == "badblocks" || c.name == "cryptsetup" || c.name == "hdparm":
		if c.name == "fdisk" && hasFlag(c, "l", "--list") || c.name == "parted" && hasFlag(c, "l", "--list") || c.name == "sgdisk" && hasFlag(c, "p", "--print") || c.name == "badblocks" && !hasFlag(c, "w") || c.name == "cryptsetup" && !cryptsetupErases(c) || c.name == "hdparm" && !hasPrefixArg(c, "--security-erase") && !hasPrefixArg(c, "--trim-sector") {
			return nil
		}
		for _, a := range ops() {
			if isDevice(a) {
				// Encrypting a fresh data disk is how one is set up; on the
				// disk the system boots from it destroys the system.
				if c.name == "cryptsetup" && cryptsetupAction(c) == "luksFormat" && !bootDiskRe.MatchString(normPath(a)) {
					return hitf(c, medium, "formats "+normPath(a)+" as a new encrypted volume (its data is lost)")
				}
				return hitf(c, 0, "erases or reformats the disk "+normPath(a)+" with "+c.name)
			}
		}
	case c.name == "diskutil":
		l := lower(c.arg(1))
		if strings.HasPrefix(l, "erase") || l == "zerodisk" || l == "randomdisk" || l == "secureerase" || l == "reformat" {
			// diskutil eraseVolume APFS Scratch disk4s1: formatting an
			// external disk (disk0–disk3 are the internal disk and, on
			// Apple silicon, its system containers) for use.
			if l == "erasevolume" || l == "erasedisk" {
				args := c.args()
				if t := args[len(args)-1]; externalDiskRe.MatchString(strings.TrimPrefix(t, "/dev/")) {
					return hitf(c, medium, "formats the external disk "+t+" with diskutil "+c.arg(1)+" (its data is lost)")
				}
			}
			return hitf(c, 0, "erases a disk with diskutil "+c.arg(1))
		}
	}
	return nil
}

// externalDiskRe matches macOS disk identifiers past the internal disk's
// (disk4 and up, with their slices).
var externalDiskRe = regexp.MustCompile(`^r?disk([4-9]|[1-9][0-9])(s[0-9]+)?$`)

// cryptsetupAction returns cryptsetup's action, which options may precede
// (cryptsetup --type luks2 luksFormat /dev/sdb).
func cryptsetupAction(c *call) string {
	ops := operands(c, "--type -c --cipher -s --key-size -h --hash -d --key-file -S --key-slot -i --iter-time --pbkdf --label --sector-size --header -M")
	if len(ops) == 0 {
		return ""
	}
	return ops[0]
}

// cryptsetupErases reports the actions that destroy a volume's data or
// its keys: formatting one, erasing its LUKS header key slots.
func cryptsetupErases(c *call) bool {
	a := cryptsetupAction(c)
	return a == "luksFormat" || a == "erase" || a == "luksErase"
}

// bootDiskRe matches the disks a machine usually runs from: the first
// disk of each kind and its partitions, the root and system volumes.
var bootDiskRe = regexp.MustCompile(`^/dev/((sd|hd|vd|xvd)a[0-9]*|nvme0n1(p[0-9]+)?|mmcblk0(p[0-9]+)?|r?disk[01](s[0-9]+)?|root|dm-0|md[0-9]+|mapper/.*(root|system|sys|home|swap|vg|lv).*)$`)

func checkShred(c *call, _ *config) *hit {
	if c.name != "shred" {
		return nil
	}
	for _, a := range operands(c, "-n -s --iterations --size --random-source") {
		if isDevice(a) {
			return nil // disk-wipe
		}
		if what, _ := rootTarget(a); what != "" || strings.HasPrefix(normPath(a), "/etc/") || strings.HasPrefix(normPath(a), "/var/log") {
			return hitf(c, high, "irrecoverably overwrites "+normPath(a))
		}
	}
	if len(operands(c, "-n -s --iterations --size --random-source")) > 0 {
		return c.rule()
	}
	return nil
}

func checkMv(c *call, _ *config) *hit {
	if c.name != "mv" {
		return nil
	}
	ops := operands(c, "-t -S --target-directory --suffix")
	if len(ops) < 2 {
		return nil
	}
	for _, op := range ops[:len(ops)-1] {
		what, sev := rootTarget(op)
		if what == "" || sev < critical {
			continue
		}
		return hitf(c, sev, "moves "+what+" away")
	}
	return nil
}

func checkCredRead(c *call, _ *config) *hit {
	if c.name == "security" {
		switch c.arg(1) {
		case "dump-keychain":
			return hitf(c, high, "dumps the macOS keychain")
		// find-generic-password and find-internet-password: the catalogue
		// rows macos-keychain (high) and macos-keychain-item (medium).
		case "export":
			return hitf(c, high, "exports keys from the macOS keychain")
		}
		return nil
	}
	if c.name == "gpg" && (hasPrefixArg(c, "--export-secret-keys") || hasPrefixArg(c, "--export-secret-subkeys")) {
		return hitf(c, high, "exports GPG private keys")
	}
	if c.name == "getent" && (c.arg(1) == "shadow" || c.arg(1) == "gshadow") {
		return hitf(c, high, "reads the system password hashes (getent "+c.arg(1)+")")
	}
	if c.name == "secret-tool" && c.arg(1) == "lookup" {
		return hitf(c, medium, "reads a secret from the desktop keyring")
	}
	p, s, ok := reads(c)
	if !ok || s.sev < medium {
		return nil
	}
	return hitf(c, s.sev, "reads "+s.what+" ("+normPath(p)+") with "+c.name)
}

// secretSource describes what sensitive data c produces, or "".
func secretSource(c *call) string {
	if dumpsEnv(c) {
		return "the environment (tokens and keys)"
	}
	if c.name == "history" {
		return "the shell history"
	}
	if cloudSecretRead(c) {
		return "a secret from a cloud secret store"
	}
	if readsClipboard(c) {
		return "the clipboard"
	}
	if p, s, ok := reads(c); ok && (s.sev >= medium || s.what == "the system account list") {
		return s.what + " (" + normPath(p) + ")"
	}
	return ""
}

// uploadsPath returns a local file that c sends to the network, if any.
func uploadsPath(c *call) string {
	switch c.name {
	case "curl", "curlie":
		args := c.args()
		for i, a := range args {
			v := ""
			switch {
			case a == "-T" || a == "--upload-file" || a == "-F" || a == "--form" || a == "-d" || a == "--data" || a == "--data-binary" || a == "--data-urlencode" || a == "--json":
				if i+1 < len(args) {
					v = args[i+1]
				}
			case strings.HasPrefix(a, "--upload-file=") || strings.HasPrefix(a, "--data-binary=") || strings.HasPrefix(a, "--form="):
				v = a[strings.Index(a, "=")+1:]
			case strings.HasPrefix(a, "-T") && len(a) > 2:
				v = a[2:]
			}
			if v == "" {
				continue
			}
			if a == "-T" || a == "--upload-file" || strings.HasPrefix(a, "-T") || strings.HasPrefix(a, "--upload-file") {
				if v != "-" && v != "." {
					return v
				}
				if in := pipedFiles(c); in != "" {
					return in
				}
				continue
			}
			if v == "@-" || strings.HasSuffix(v, "=@-") || v == "@/dev/stdin" {
				// tar czf - /var/www | curl --data-binary @- …: what is sent
				// is what the pipeline read.
				if in := pipedFiles(c); in != "" {
					return in
				}
				continue
			}
			if i := strings.Index(v, "@"); i >= 0 && (i == 0 || v[i-1] == '=') {
				f := v[i+1:]
				if j := strings.IndexByte(f, ';'); j >= 0 {
					f = f[:j]
				}
				if f != "-" && f != "/dev/stdin" {
					return f
				}
			}
			if i := strings.Index(v, "<"); i >= 0 && i < len(v)-1 && (i == 0 || v[i-1] == '=') {
				return v[i+1:]
			}
		}
	case "wget", "wget2":
		if v, ok := optValue(c, "", "--post-file", "--body-file"); ok && v != "-" {
			return v
		}
	case "scp", "rsync", "sftp":
		if c.name == "sftp" && strings.Contains(c.stdin, "put ") {
			// sftp host <<< 'put file': the batch comes on standard input.
			f := strings.Fields(c.stdin[strings.Index(c.stdin, "put ")+4:])
			if len(f) > 0 {
				return f[0]
			}
		}
		ops := operands(c, "-P -i -o -F -l -c -J -S -e --rsh --port")
		if len(ops) >= 2 && remoteTarget(ops[len(ops)-1]) {
			for _, o := range ops[:len(ops)-1] {
				if !remoteTarget(o) {
					return o
				}
			}
		}
	case "aws", "gsutil", "s3cmd", "rclone", "az":
		ops := operands(c, "--profile --region --endpoint-url")
		if len(ops) >= 3 && (ops[0] == "s3" || c.name != "aws") {
			for _, o := range ops {
				if sensitiveish(o) {
					return o
				}
			}
		}
	case "smbclient", "ftp", "tftp":
		for _, a := range c.args() {
			if strings.Contains(a, "put ") {
				return strings.TrimSpace(a[strings.Index(a, "put ")+4:])
			}
		}
	}
	if sendsStdin(c) || netClients[c.name] {
		for _, r := range c.redirs {
			if r.op == "<" {
				return r.target
			}
		}
	}
	return ""
}

func sensitiveish(p string) bool {
	_, ok := sensitive(p)
	return ok
}

func checkExfilSecrets(c *call, cfg *config) *hit {
	if !isNetSink(c) {
		return nil
	}
	if us := urls(c); len(us) > 0 && cfg.allAllowed(us) {
		return nil
	}
	if f := uploadsPath(c); f != "" {
		if s, ok := sensitive(f); ok {
			return hitf(c, 0, "sends "+s.what+" ("+normPath(f)+") to a remote host with "+c.name)
		}
	}
	for _, r := range c.redirs {
		if devTCP(r.target) && !isLocalHost(devTCPHost(r.target)) {
			if src := secretSource(c); src != "" {
				return hitf(c, 0, "sends "+src+" to a remote host through /dev/tcp")
			}
		}
	}
	if sendsStdin(c) || c.name == "curl" || c.name == "wget" {
		for _, u := range upstream(c) {
			if src := secretSource(u); src != "" && sendsStdin(c) {
				return hitf(c, 0, "sends "+src+" to a remote host with "+c.name)
			}
			if !filters[u.name] && u.name != "tar" && u.name != "zip" && u.name != "gzip" && u.name != "base64" && u.name != "xxd" {
				break
			}
		}
		// tar/zip of sensitive paths feeding the sink.
		for p, n := c.prev, 0; p != nil && n < 8; p, n = p.prev, n+1 {
			if src := secretSource(p); src != "" && sendsStdin(c) {
				return hitf(c, 0, "sends "+src+" to a remote host with "+c.name)
			}
		}
	}
	for _, s := range c.substs {
		for _, x := range append([]*call{s}, upstream(s)...) {
			if src := secretSource(x); src != "" {
				return hitf(c, 0, "sends "+src+" to a remote host with "+c.name)
			}
		}
	}
	return nil
}

func checkRawSend(c *call, cfg *config) *hit {
	if c.name == "socat" {
		var file, net bool
		for _, a := range c.args() {
			l := lower(a)
			if strings.HasPrefix(l, "file:") || strings.HasPrefix(l, "open:") || strings.HasPrefix(l, "gopen:") {
				file = true
			}
			if (strings.HasPrefix(l, "tcp:") || strings.HasPrefix(l, "tcp4:") || strings.HasPrefix(l, "udp:") || strings.HasPrefix(l, "openssl:") || strings.HasPrefix(l, "tcp-connect:")) && !isLocalHost(urlHost(strings.SplitN(l, ":", 2)[1])) {
				net = true
			}
		}
		if file && net {
			return c.rule()
		}
		return nil
	}
	for _, r := range c.redirs {
		if (r.op == ">" || r.op == ">>") && devTCP(r.target) && !isLocalHost(devTCPHost(r.target)) && c.name != "" && !isShell(c.name) && c.name != "exec" {
			return hitf(c, 0, "sends the output of "+c.name+" to a remote host through /dev/tcp")
		}
	}
	if !(netClients[c.name] || c.name == "openssl" && c.arg(1) == "s_client") || hasFlag(c, "z") {
		return nil
	}
	if hasFlag(c, "l", "--listen") {
		for _, r := range c.redirs {
			if r.op == "<" && r.target != "/dev/null" {
				return hitf(c, 0, "serves a local file to anyone who connects, with "+c.name)
			}
		}
		return nil
	}
	if c.name == "openssl" {
		for _, r := range c.redirs {
			if r.op == "<" && r.target != "/dev/null" {
				return hitf(c, 0, "sends a local file to a remote host with openssl s_client")
			}
		}
		return nil
	}
	ops := operands(c, "-p -w -q -s -i -X -x -O -I -P -T -V")
	if len(ops) == 0 || isLocalHost(ops[0]) {
		return nil
	}
	for _, r := range c.redirs {
		if r.op == "<" && r.target != "/dev/null" {
			return hitf(c, 0, "sends a local file to "+ops[0]+" over a raw socket with "+c.name)
		}
	}
	for _, u := range upstream(c) {
		switch u.name {
		case "cat", "tar", "zip", "gzip", "base64", "xxd", "dd", "find", "ls", "sqlite3", "pg_dump", "mysqldump", "env", "printenv", "ps", "history":
			if u.name == "cat" && len(u.argv) == 1 {
				continue
			}
			return hitf(c, 0, "sends local data from "+u.name+" to "+ops[0]+" over a raw socket with "+c.name)
		}
	}
	return nil
}

func checkDNSExfil(c *call, _ *config) *hit {
	switch c.name {
	case "dig", "nslookup", "host", "drill", "ping", "ping6", "whois", "traceroute", "resolvectl":
	default:
		return nil
	}
	if len(c.substs) == 0 {
		return nil
	}
	for i, a := range c.argv {
		if i == 0 || len(c.argSubst[i]) == 0 {
			continue
		}
		// $(…).domain: the output becomes a name looked up on someone's server.
		if j := strings.LastIndexAny(a, ")`"); j >= 0 && j+1 < len(a) && a[j+1] == '.' && strings.Contains(a[j+1:], ".") {
			return hitf(c, 0, "puts command output into a "+c.name+" lookup, leaking it to whoever answers for the domain")
		}
		if c.name == "ping" && i > 1 && c.argv[i-1] == "-p" || c.name == "whois" && hasFlag(c, "h") {
			return hitf(c, 0, "puts command output into a "+c.name+" request to a chosen server")
		}
		for _, s := range c.argSubst[i] {
			switch s.name {
			case "cat", "xxd", "base64", "od", "hexdump", "head", "tail", "tar", "gzip", "env", "printenv":
				if len(s.argv) > 1 || s.name == "env" || s.name == "printenv" {
					return hitf(c, 0, "puts file or environment content into a "+c.name+" request, leaking it")
				}
			}
		}
	}
	return nil
}

var requestBodyRe = regexp.MustCompile(`(?i)\.(json|jsonl|ndjson|xml|graphql|gql|ya?ml|soap|txt)$`)

func checkUpload(c *call, cfg *config) *hit {
	if c.name != "curl" && c.name != "wget" && c.name != "curlie" {
		return nil
	}
	if us := urls(c); len(us) > 0 && cfg.allAllowed(us) {
		return nil
	}
	f := uploadsPath(c)
	if f == "" {
		return nil
	}
	us := urls(c)
	local := len(us) > 0
	for _, u := range us {
		if !isLocalHost(urlHost(u)) {
			local = false
		}
	}
	if local {
		return nil
	}
	// A JSON or XML document sent as a request body is how APIs are
	// called; any other file sent is an upload.
	if requestBodyRe.MatchString(f) && !hasFlag(c, "T", "--upload-file", "--form") && !hasFlag(c, "F") {
		return hitf(c, medium, "sends the local file "+baseName(f)+" as a request body to a remote host with "+c.name)
	}
	// Uploading a build artifact, a report or a form to a named HTTPS
	// service is everyday work. What marks exfiltration is where it goes
	// (a bare address, plain HTTP, an anonymous drop, paste or
	// request-capture service) or what goes (secrets are exfil-secrets'
	// job; a whole home or system directory, or a file staged in a
	// temporary folder, where collected data is packed, are this rule's).
	if (namedHTTPS(us) || namedFileServer(us)) && !anyDropHost(us) && !inTemp(f) {
		if what, _ := rootTarget(f); what == "" {
			return hitf(c, medium, "uploads the local file "+baseName(f)+" to "+urlHost(us[0])+" with "+c.name)
		}
	}
	return hitf(c, 0, "uploads the local file "+baseName(f)+" to a remote host with "+c.name)
}

// inTemp reports a path in a temporary folder, or a variable named for
// one ($tmp_file, $TMPDIR/x).
func inTemp(p string) bool {
	l := lower(strings.Trim(p, "\"'"))
	if strings.HasPrefix(l, "$") || strings.HasPrefix(l, "${") {
		return strings.Contains(l, "tmp") || strings.Contains(l, "temp")
	}
	for _, d := range []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/private/tmp/"} {
		if strings.HasPrefix(l, d) {
			return true
		}
	}
	return false
}

// dropHosts are services that take a file from anyone and hand back a
// link (or show the request to whoever watches it): where stolen files
// go, and no build's destination. A host matches itself and its
// subdomains.
var dropHosts = []string{"transfer.sh", "0x0.st", "file.io", "bashupload.com", "temp.sh", "oshi.at", "tmpfiles.org", "filebin.net",
	"catbox.moe", "gofile.io", "anonfiles.com", "keep.sh", "termbin.com", "ix.io", "sprunge.us", "paste.rs", "pastebin.com",
	"hastebin.com", "dpaste.com", "dpaste.org", "paste.ee", "ghostbin.co", "webhook.site", "requestbin.com", "requestbin.net",
	"pipedream.net", "m.pipedream.net", "beeceptor.com", "interact.sh", "oast.fun", "oast.pro", "oast.live", "oast.site", "oast.online",
	"burpcollaborator.net", "oastify.com", "ngrok.io", "ngrok-free.app", "ngrok.app", "trycloudflare.com", "serveo.net",
	"loca.lt", "localtunnel.me", "discord.com", "discordapp.com", "api.telegram.org"}

// anyDropHost reports whether one of the URLs goes to a drop service, or
// to a host whose first label says it is one (paste.…, drop.…).
func anyDropHost(us []string) bool {
	for _, u := range us {
		h := urlHost(u)
		if strings.HasPrefix(h, "paste.") || strings.HasPrefix(h, "drop.") || strings.HasPrefix(h, "pastebin.") {
			return true
		}
		for _, d := range dropHosts {
			if h == d || strings.HasSuffix(h, "."+d) {
				return true
			}
		}
	}
	return false
}

var cronPathRe = regexp.MustCompile(`^/(etc/(cron\.(d|hourly|daily|weekly|monthly)(/.*)?|crontab|anacrontab)|var/spool/cron(tabs)?(/.*)?)$`)

func checkCron(c *call, _ *config) *hit {
	if c.name == "crontab" {
		ops := operands(c, "-u")
		if hasFlag(c, "lre", "--list") && !(len(ops) > 0 && ops[0] == "-") {
			return nil
		}
		var content string
		switch {
		case c.stdin != "":
			content = c.stdin
		case c.prev != nil:
			for _, u := range append([]*call{c.prev}, upstream(c.prev)...) {
				p, _ := payload(u, 0)
				content += " " + p + " " + strings.Join(u.args(), " ")
			}
			for p, n := c.prev, 0; p != nil && n < 6; p, n = p.prev, n+1 {
				for _, x := range p.inners {
					content += " " + strings.Join(x.args(), " ")
				}
			}
		case len(ops) > 0 && ops[0] != "-":
			content = ops[0]
		default:
			return nil
		}
		if cronSuspicious(content, c) {
			return hitf(c, 0, "installs a scheduled job that runs a suspicious command")
		}
		return hitf(c, medium, "replaces the user's crontab (scheduled jobs)")
	}
	for _, w := range writes(c) {
		if cronPathRe.MatchString(normPath(w)) {
			if ordinaryCronWrite(c) {
				return hitf(c, medium, "installs a scheduled job in "+normPath(w)+" (an ordinary command at a set time)")
			}
			return hitf(c, 0, "installs a scheduled job in "+normPath(w))
		}
	}
	return nil
}

// ordinaryCronWrite reports a cron file written with a job that can be
// read here (echo … | tee, echo … >, a here-document) and that runs at a
// set time a command that fetches, hides or stages nothing: how backups
// and cleanups are scheduled. A job copied from a file, run every minute
// or at every boot stays high.
func ordinaryCronWrite(c *call) bool {
	job := writtenLines(c)
	// #{command} (an emulation plan's argument, _{command} once parsed)
	// is a job not written yet: unknown, not ordinary.
	if job == "" || strings.Contains(job, "#{") || strings.Contains(job, "_{") || cronSuspicious(job, c) || stagedJobRe.MatchString(job) {
		return false
	}
	for _, line := range strings.Split(job, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") || strings.Contains(f[0], "=") {
			continue
		}
		if strings.HasPrefix(f[0], "@reboot") || len(f) >= 2 && (f[0] == "*" || f[0] == "*/1") && f[1] == "*" {
			return false
		}
	}
	return true
}

// cronSuspicious reports whether the text of a scheduled job fetches,
// hides or runs something from a scratch directory.
func cronSuspicious(content string, c *call) bool {
	l := lower(content)
	if containsAny(l, "curl", "wget", "/dev/tcp", "nc ", "ncat", "base64", "/tmp/", "/dev/shm", "/var/tmp", "python -c", "python3 -c",
		"perl -e", "socat", "bash -i", "sh -i", "/.", "http://", "https://") {
		return true
	}
	// jobs added inside a subshell: (crontab -l; echo …) | crontab -
	for p := c.prev; p != nil; p = p.prev {
		if p.name == "echo" || p.name == "printf" {
			t, _ := payload(p, 0)
			if containsAny(lower(t), "/tmp/", "/dev/shm", "curl", "wget", "/dev/tcp", "base64", "/.") {
				return true
			}
		}
	}
	return false
}

var rcFileRe = regexp.MustCompile(`^(~/\.(bashrc|bash_profile|bash_login|bash_logout|bash_aliases|profile|zshrc|zprofile|zshenv|zlogin|zlogout|kshrc|cshrc|tcshrc|login|config/fish/config\.fish|inputrc|vimrc|exrc|gvimrc|config/nvim/init\.(vim|lua)|xinitrc|xsession|xsessionrc|xprofile)|/etc/(profile|bash\.bashrc|bashrc|zshrc|zsh/zshrc|environment)|/etc/profile\.d/.*)$`)

var suspiciousRC = []string{"curl", "wget", "/dev/tcp", "nc ", "ncat", "base64", "nohup", "&", "/tmp/", "python -c", "python3 -c",
	"perl -e", "eval", "socat", "bash -i", "sh -i", "exec ", "/users/shared/", "/dev/shm", "/var/tmp/", "alias sudo", "alias ssh", "alias ls=", "alias cd=", "trap ", "ld_preload", "$(", "`"}

// toolInitRe matches the lines install guides add to startup files to set
// up a tool's environment: eval "$(brew shellenv)", eval "$(pyenv init -)",
// eval "$(direnv hook zsh)", source <(kubectl completion bash).
var toolInitRe = regexp.MustCompile(`(eval\s+["']?\$\(|source\s+<\()\s*["']?[\w./~-]*\b(brew|pyenv|rbenv|nodenv|goenv|jenv|direnv|starship|zoxide|fnm|mise|rtx|conda|mamba|opam|thefuck|atuin|oh-my-posh|kubectl|helm|gh|rustup|asdf|nvm)\b["']?\s+(shellenv|init|hook|env|activate|completion|shell|shell-hook|alias)\b[^)]*\)["']?`)

// stagedPathRe matches a PATH that puts a hidden or temporary folder
// before the system's: every command typed after it can be replaced.
var stagedPathRe = regexp.MustCompile(`\bpath=["']?[^:\s"']*(/\.|/tmp\b|/var/tmp\b|/dev/shm\b|/users/shared\b)[^:\s"']*:`)

// toolBinRe matches the hidden folders of the home directory that
// installers tell the user to put first in PATH (pip's ~/.local/bin,
// rustup's ~/.cargo/bin, …): the user's own tools, not a staging place.
var toolBinRe = regexp.MustCompile(`(\$home|\$\{home\}|~)/\.(local|cargo|deno|bun|yarn|npm-global|pyenv|rbenv|nodenv|volta|dotnet|krew|poetry|pulumi|tfenv|goenv|ghcup|cabal|sdkman|asdf|fly|foundry|rd|bin)\b`)

func checkShellRC(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		n := normPath(w)
		if !rcFileRe.MatchString(n) {
			continue
		}
		if c.name == "sed" || c.name == "perl" {
			return hitf(c, medium, "edits the shell startup file "+n)
		}
		txt := toolInitRe.ReplaceAllString(lower(written(c)), "")
		if containsAny(txt, suspiciousRC...) || stagedPathRe.MatchString(toolBinRe.ReplaceAllString(txt, "$$home/tools")) || rcRunsUnsafe(c, written(c)) {
			return hitf(c, 0, "adds a command that runs at every login to "+n)
		}
		return hitf(c, medium, "changes the shell startup file "+n)
	}
	return nil
}

// judgeNested is judge, set in init (a rule that judges a text it found
// would otherwise make the rule table refer to itself).
var judgeNested func(ctx context.Context, cmd string, cfg *config) []match

func init() { judgeNested = judge }

var aliasRe = regexp.MustCompile(`alias\s+[\w.:-]+=(?:'([^']*)'|"([^"]*)"|(\S+))`)

// rcRunsUnsafe reports whether text written to a startup file (or an
// alias it defines) is itself an unsafe command: alias ls="rm -rf ~".
func rcRunsUnsafe(c *call, text string) bool {
	if len(text) > 4096 || c.depth >= maxDepth-1 {
		return false
	}
	texts := []string{text}
	for _, m := range aliasRe.FindAllStringSubmatch(text, 8) {
		texts = append(texts, m[1]+m[2]+m[3])
	}
	for _, t := range texts {
		for _, m := range judgeNested(c.a.ctx, t, defaultConfig) {
			if m.sev >= high && m.rule.ID != "persistence-shell-rc" {
				return true
			}
		}
	}
	return false
}

func checkAuthorizedKeys(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		n := normPath(w)
		if strings.HasSuffix(n, "/authorized_keys") || strings.HasSuffix(n, "/authorized_keys2") {
			sev := sdk.Severity(0)
			if n == "~/.ssh/authorized_keys" && strings.HasPrefix(strings.Trim(w, "\"'"), "/root") {
				sev = critical
			} else if c.wrapped("ssh") && c.prev == nil && ownKeyOverSSH(c) {
				return hitf(c, medium, "adds the user's own public key to "+n+" on a remote host (what ssh-copy-id does)")
			}
			return hitf(c, sev, "adds a key to "+n+", granting SSH access")
		}
	}
	return nil
}

// ownKeyOverSSH reports a remote command fed by cat of the user's own
// public key files (cat id_ed25519.pub | ssh host 'cat >>
// ~/.ssh/authorized_keys'): ssh-copy-id written out by hand. A key typed
// into the command, or one from a temporary or hidden folder, is not.
func ownKeyOverSSH(c *call) bool {
	for _, x := range c.a.calls {
		if x.name != "ssh" || x.prev == nil || x.prev.name != "cat" || x.prev.prev != nil {
			continue
		}
		ops := operands(x.prev, "")
		if len(ops) == 0 {
			return false
		}
		for _, o := range ops {
			n := normPath(o)
			b := path.Base(n)
			if !strings.HasSuffix(b, ".pub") || inTemp(o) || stagedHidden(o) || strings.Contains(strings.TrimPrefix(n, "~/.ssh/"), "/.") {
				return false
			}
		}
		return true
	}
	return false
}

var autostartRe = regexp.MustCompile(`^(/usr/local/etc/periodic/(daily|weekly|monthly)(/.+)?|/etc/systemd/(system|user)(/.+)?|/(usr/)?lib/systemd/(system|user)(/.+)?|~/\.config/systemd/user(/.+)?|/etc/init\.d(/.+)?|/etc/rc\.local|/etc/rc\.common|/etc/rc[0-6S]?\.d/.+|~/library/launchagents(/.*)?|/library/launch(agents|daemons)(/.*)?|/etc/update-motd\.d/.+|/etc/udev/rules\.d/.+|/etc/xdg/autostart/.+|~/\.config/autostart(/.*)?|/etc/apt/apt\.conf\.d/.+|/etc/pam\.d/.+|/etc/ld\.so\.conf\.d/.+|/etc/modules-load\.d/.+|/etc/network/if-up\.d/.+|/etc/dhcp/dhclient-exit-hooks\.d/.+|/etc/ssh/sshrc|~/\.ssh/rc|/etc/inittab|/etc/systemd/system\.conf|/library/security/securityagentplugins(/.*)?|~/library/application support/com\.apple\.backgroundtaskmanagementagent/.+|~/library/scripts/folder action scripts(/.*)?|~/library/application scripts/com\.apple\.mail(/.*)?|(~)?/library/(quicklook|spotlight|internet plug-ins|directoryservices/plugins)(/.*)?|/etc/networkmanager/dispatcher\.d/.+|/(usr/)?lib/systemd/(system|user)-generators/.+|/etc/systemd/(system|user)-generators/.+|/etc/init/.+\.conf|/etc/periodic/(daily|weekly|monthly)/.+)$`)

var unitPathRe = regexp.MustCompile(`^(/etc/systemd/system|~/\.config/systemd/user)(/[^/.][^/]*\.(service|timer|socket|path))?/?$`)

// ordinaryUnitWrite reports a systemd unit installed from the project's
// own unit file (cp app.service /etc/systemd/system/, tee … <
// deploy/app.service) or written here with a program that is not staged,
// hidden or fetched: how a service is deployed. A unit from a temporary
// folder, a hidden or absolute path, or one that runs such a program
// stays high.
func ordinaryUnitWrite(c *call, n string) bool {
	if !unitPathRe.MatchString(n) {
		return false
	}
	projectUnit := func(src string) bool {
		src = strings.TrimPrefix(strings.Trim(src, "\"'"), "./")
		return src != "" && !strings.HasPrefix(src, ".") && !strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "~") && !strings.HasPrefix(src, "$") &&
			!strings.HasPrefix(path.Base(src), ".") && !strings.Contains(src, "/.") && unitNameRe.MatchString(path.Base(src))
	}
	switch c.name {
	case "cp", "install":
		ops := operands(c, "-m -o -g -t -S --mode --owner --group --target-directory --suffix")
		if len(ops) < 2 {
			return false
		}
		for _, o := range ops[:len(ops)-1] {
			if !projectUnit(o) {
				return false
			}
		}
		return true
	case "tee":
		for _, r := range c.redirs {
			if r.op == "<" {
				return projectUnit(r.target)
			}
		}
	}
	if strings.Contains(c.stdin, "[Service]") {
		for _, line := range strings.Split(c.stdin, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "Exec") && stagedJobRe.MatchString(line) {
				return false
			}
		}
		return strings.Contains(c.stdin, "ExecStart=")
	}
	return false
}

var unitNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_@-]*\.(service|timer|socket|path)$`)

func checkAutostart(c *call, _ *config) *hit {
	if c.name == "cat" && c.stdin == "" && len(c.redirs) == 0 {
		return nil
	}
	for _, w := range writes(c) {
		n := normPath(w)
		if autostartRe.MatchString(lower(n)) || autostartRe.MatchString(n) {
			if ordinaryUnitWrite(c, n) {
				return hitf(c, medium, "installs the project's service unit ("+n+")")
			}
			return hitf(c, 0, "installs a program that starts automatically ("+n+")")
		}
	}
	if c.name == "launchctl" && (c.arg(1) == "load" || c.arg(1) == "bootstrap" || c.arg(1) == "submit") {
		for _, a := range c.args() {
			if strings.Contains(a, "/tmp/") {
				return hitf(c, 0, "loads a launch agent from a temporary directory")
			}
		}
	}
	return nil
}

func checkLibInject(c *call, _ *config) *hit {
	for k, v := range c.assigns {
		if (k == "LD_PRELOAD" || k == "DYLD_INSERT_LIBRARIES" || k == "LD_AUDIT") && v != "" {
			n := normPath(v)
			if strings.HasPrefix(n, "/tmp/") || strings.HasPrefix(n, "/dev/shm/") || strings.HasPrefix(n, "/var/tmp/") || strings.Contains(n, "/.") || isSystemPath(c.argv0()) || c.wrapped("sudo") {
				return hitf(c, 0, "injects the library "+baseName(v)+" into "+orShell(c.name)+" with "+k)
			}
			return hitf(c, medium, "preloads the library "+baseName(v)+" into "+orShell(c.name)+" with "+k)
		}
	}
	if c.name == "export" {
		for _, a := range c.args() {
			if strings.HasPrefix(a, "LD_PRELOAD=") || strings.HasPrefix(a, "DYLD_INSERT_LIBRARIES=") {
				return hitf(c, 0, "injects a library into every later command with "+a[:strings.Index(a, "=")])
			}
		}
	}
	for _, w := range writes(c) {
		if normPath(w) == "/etc/ld.so.preload" {
			return hitf(c, critical, "makes every program on the system load a library (/etc/ld.so.preload)")
		}
	}
	if isInterp(c.name) {
		for _, code := range interpCodeArgs(c) {
			l := lower(code)
			if containsAny(l, "cdll", "ctypes.cdll", "loadlibrary", "dlopen", "ffi.load", "ffi_lib", "dynaloader", "fiddle.dlopen", "process.dlopen", "load_extension") && containsAny(l, ".so", ".dylib", ".dll", "lib") {
				return hitf(c, 0, "loads a native library from "+c.name+" code")
			}
		}
	}
	return nil
}

func orShell(n string) string {
	if n == "" {
		return "the shell"
	}
	return n
}

var historyFileRe = regexp.MustCompile(`(^|/)\.(bash|zsh|sh|ksh|python|mysql|psql|node_repl|lesshst|viminfo)_?(history|hst)?$|(^|/)\.histfile$|(^|/)\.zhistory$|(^|/)\.bash_history$`)

func isHistoryFile(p string) bool {
	if !strings.Contains(p, "hist") {
		return false
	}
	n := normPath(p)
	b := path.Base(n)
	if strings.HasPrefix(b, ".") && strings.HasSuffix(b, "history") && strings.Contains(b, "*") {
		return true // ~/.*history, ~/.*_history: every history file at once
	}
	return strings.HasSuffix(b, "_history") || b == ".histfile" || b == ".zhistory" || historyFileRe.MatchString(n) && strings.Contains(b, "hist")
}

func checkHistory(c *call, _ *config) *hit {
	switch c.name {
	case "history":
		if hasFlag(c, "c") || hasFlag(c, "w") && c.arg(2) == "/dev/null" {
			return hitf(c, 0, "clears the shell history")
		}
		if hasFlag(c, "d") {
			if strings.HasPrefix(c.arg(2), "-") {
				return hitf(c, 0, "deletes the most recent commands from the shell history")
			}
			return hitf(c, medium, "deletes entries from the shell history")
		}
	case "unset":
		for _, a := range c.args() {
			if a == "HISTFILE" || a == "HISTORY" {
				return hitf(c, 0, "stops the shell from saving history")
			}
		}
	case "set", "setopt":
		if c.arg(1) == "+o" && c.arg(2) == "history" || c.name == "setopt" && c.arg(1) == "no_hist_save" {
			return hitf(c, 0, "turns shell history off")
		}
	case "export", "declare", "typeset", "":
		for _, a := range c.args() {
			if bad, msg := histAssign(a); bad {
				return hitf(c, 0, msg)
			}
		}
	case "rm", "shred", "truncate", "srm", "wipe", "ln":
		for _, op := range operands(c, "-s -n") {
			if isHistoryFile(op) {
				return hitf(c, 0, "erases the shell history file "+normPath(op))
			}
		}
	case "kill":
		for _, a := range c.args() {
			if a == "$$" && hasFlag(c, "9") {
				return hitf(c, 0, "kills the shell so its history is never saved")
			}
		}
	}
	for k, v := range c.assigns {
		if bad, msg := histAssign(k + "=" + v); bad && len(c.argv) == 0 {
			return hitf(c, 0, msg)
		}
	}
	for _, w := range writes(c) {
		if isHistoryFile(w) && (c.name == "" || c.name == "cat" || c.name == "echo" || c.name == "printf" || c.name == ":" || c.name == "true" || c.name == "truncate") {
			return hitf(c, 0, "erases the shell history file "+normPath(w))
		}
	}
	return nil
}

func histAssign(a string) (bool, string) {
	k, v, ok := strings.Cut(a, "=")
	if !ok {
		return false, ""
	}
	switch k {
	case "HISTFILE":
		if v == "/dev/null" || v == "" {
			return true, "sends the shell history to /dev/null"
		}
	case "HISTSIZE", "HISTFILESIZE", "SAVEHIST":
		if v == "0" {
			return true, "stops the shell from keeping history"
		}
	case "HISTIGNORE":
		if strings.Trim(v, "'\" ") == "*" {
			return true, "stops the shell from saving any command to history"
		}
	case "HISTCONTROL":
		if strings.Contains(v, "ignorespace") || strings.Contains(v, "ignoreboth") {
			return false, ""
		}
	}
	return false, ""
}

func isLogPath(p string) bool {
	n := normPath(p)
	return n == "/var/log" || strings.HasPrefix(n, "/var/log/") || strings.HasPrefix(n, "/var/adm/") || n == "/var/run/utmp" || n == "/run/utmp" || strings.HasPrefix(n, "/private/var/log") ||
		strings.HasPrefix(n, "/var/spool/mail/") || strings.HasPrefix(n, "/var/mail/") || // local mail: cron's and the system's reports
		strings.HasPrefix(n, "/private/var/db/diagnostics") || strings.HasPrefix(n, "/var/db/diagnostics") || // macOS unified log
		strings.HasPrefix(n, "/private/var/db/uuidtext") || strings.HasPrefix(n, "/var/db/uuidtext")
}

// appLog reports a log file one application keeps in its own directory
// under /var/log (/var/log/app/debug.log, /var/log/nginx/access.log):
// emptying it is housekeeping as often as hiding, so it is reported at
// medium. The system's own logs (auth, syslog, messages, wtmp, the audit
// trail, the journal) and whole directories stay high.
func appLog(p string) bool {
	n := normPath(p)
	rest, ok := strings.CutPrefix(n, "/var/log/")
	if !ok || !strings.Contains(rest, "/") || strings.ContainsAny(rest, "*?") {
		return false
	}
	dir := rest[:strings.IndexByte(rest, '/')]
	switch dir {
	case "audit", "journal", "sa", "installer", "apt", "sssd", "samba", "secure", "auth":
		return false
	}
	return strings.Contains(path.Base(rest), ".")
}

func checkLogs(c *call, _ *config) *hit {
	switch c.name {
	case "rm", "shred", "truncate", "srm", "unlink":
		for _, op := range operands(c, "-s -n --size") {
			if isLogPath(op) {
				if appLog(op) && c.name != "shred" && c.name != "srm" {
					return hitf(c, medium, "erases an application's log "+normPath(op))
				}
				return hitf(c, 0, "erases the system logs in "+normPath(op))
			}
		}
	case "journalctl":
		if hasPrefixArg(c, "--vacuum") {
			return hitf(c, medium, "deletes archived journal logs")
		}
	case "utmpdump":
		return nil
	case "wevtutil":
		if lower(c.arg(1)) == "cl" || lower(c.arg(1)) == "clear-log" {
			return hitf(c, 0, "clears a Windows event log")
		}
	}
	for _, w := range writes(c) {
		if isLogPath(w) && (c.name == "" || c.name == "cat" || c.name == "echo" || c.name == "printf" || c.name == ":" || c.name == "true") {
			for _, r := range c.redirs {
				if r.op == ">" && r.target == w {
					if appLog(w) {
						return hitf(c, medium, "empties an application's log "+normPath(w))
					}
					return hitf(c, 0, "empties the system log "+normPath(w))
				}
			}
		}
	}
	return nil
}

var securityServices = set("auditd", "firewalld", "ufw", "apparmor", "iptables", "ip6tables", "nftables", "rsyslog", "syslog", "syslog-ng",
	"systemd-journald", "falco", "osqueryd", "falcon-sensor", "sentinelone", "wazuh-agent", "ossec", "clamav-daemon", "clamd", "selinux",
	"fail2ban", "aide", "crowdstrike", "cbagentd", "mdatp", "sysmon", "auditbeat", "filebeat", "td-agent", "fluentd", "datadog-agent")

func serviceName(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, ".service"), ".socket")
}

func checkSecurityOff(c *call, _ *config) *hit {
	switch c.name {
	case "setenforce":
		if c.arg(1) == "0" || lower(c.arg(1)) == "permissive" {
			return hitf(c, 0, "switches SELinux to permissive mode")
		}
	case "systemctl":
		if sig, ok := optValue(c, "-s", "--signal", "--kill-signal"); ok {
			switch strings.TrimPrefix(strings.ToUpper(sig), "SIG") {
			case "HUP", "USR1", "USR2", "1", "0":
				// systemctl kill -s HUP rsyslog asks the daemon to reload.
				return nil
			}
		}
		verb := ""
		args := c.args()
		for i, a := range args {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if i > 0 && (args[i-1] == "-s" || args[i-1] == "--signal") {
				continue
			}
			if verb == "" {
				verb = a
				if verb != "stop" && verb != "disable" && verb != "mask" && verb != "kill" {
					return nil
				}
				continue
			}
			if securityServices[serviceName(a)] {
				return hitf(c, 0, "stops the "+serviceName(a)+" security service")
			}
		}
	case "service":
		if securityServices[serviceName(c.arg(1))] && (c.arg(2) == "stop") {
			return hitf(c, 0, "stops the "+c.arg(1)+" security service")
		}
	case "ufw":
		if c.arg(1) == "disable" {
			return hitf(c, 0, "turns the firewall off")
		}
	case "iptables", "ip6tables":
		if hasFlag(c, "F", "--flush") {
			return hitf(c, 0, "flushes every firewall rule")
		}
		if v, ok := optValue(c, "-P", "--policy"); ok && v != "" {
			args := c.args()
			if lower(args[len(args)-1]) == "accept" {
				return hitf(c, 0, "sets the firewall to accept everything")
			}
		}
	case "nft":
		if strings.Join(c.args(), " ") == "flush ruleset" {
			return hitf(c, 0, "flushes every firewall rule")
		}
	case "auditctl":
		if c.arg(1) == "-e" && c.arg(2) == "0" {
			return hitf(c, 0, "turns kernel auditing off")
		}
		if hasFlag(c, "D") {
			return hitf(c, medium, "deletes every kernel audit rule")
		}
	case "spctl":
		if hasPrefixArg(c, "--master-disable") || hasPrefixArg(c, "--global-disable") {
			return hitf(c, 0, "turns Gatekeeper off")
		}
	case "csrutil":
		if c.arg(1) == "disable" {
			return hitf(c, 0, "turns System Integrity Protection off")
		}
	case "aa-teardown":
		return hitf(c, 0, "unloads every AppArmor profile")
	case "aa-disable", "aa-complain":
		return hitf(c, medium, "relaxes an AppArmor profile")
	case "pkill", "killall":
		for _, a := range c.args() {
			if securityServices[a] {
				return hitf(c, 0, "kills the "+a+" security service")
			}
		}
	case "sed":
		for _, w := range writes(c) {
			if normPath(w) == "/etc/selinux/config" && strings.Contains(lower(strings.Join(c.args(), " ")), "disabled") {
				return hitf(c, 0, "disables SELinux at the next boot")
			}
		}
	case "defaults":
		if strings.Contains(strings.Join(c.args(), " "), "LSQuarantine") {
			return hitf(c, medium, "turns macOS download quarantine off")
		}
	}
	return nil
}

func checkTimestomp(c *call, _ *config) *hit {
	if c.name != "touch" || !hasFlag(c, "rtd", "--reference", "--date") {
		return nil
	}
	for _, op := range operands(c, "-r -t -d --reference --date") {
		n := normPath(op)
		for _, p := range []string{"/etc/", "/usr/", "/bin/", "/sbin/", "/lib", "/var/log/", "/boot/", "/opt/", "/root/"} {
			if strings.HasPrefix(n, p) {
				return hitf(c, 0, "forges the timestamps of "+n+" to hide a change")
			}
		}
	}
	return nil
}

func checkSudoers(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		n := normPath(w)
		if n == "/etc/sudoers" || strings.HasPrefix(n, "/etc/sudoers.d/") {
			return hitf(c, 0, "grants sudo rights by writing "+n)
		}
	}
	return nil
}

var setuidModeRe = regexp.MustCompile(`^0?[4-7][0-7]{3}$|^([ugoa]*\+[rwxXt]*s[rwxXts]*)$|^u[+=][rwx]*s`)

func checkSetuid(c *call, _ *config) *hit {
	mode := ""
	switch c.name {
	case "chmod":
		for _, a := range c.args() {
			if !strings.HasPrefix(a, "-") || strings.Contains(a, "s") && strings.HasPrefix(a, "-") && !isLetters(a[1:]) {
				mode = a
				break
			}
		}
	case "install":
		mode, _ = optValue(c, "-m", "--mode")
	default:
		return nil
	}
	for _, part := range strings.Split(mode, ",") {
		if !setuidModeRe.MatchString(part) {
			continue
		}
		if strings.HasPrefix(part, "g+s") || len(part) == 4 && part[0] == '2' || len(part) == 5 && part[1] == '2' {
			return nil
		}
		return c.rule()
	}
	return nil
}

func isSystemPath(p string) bool {
	n := normPath(p)
	if n == "/" || systemDirs[n] {
		return true
	}
	for _, pre := range []string{"/etc/", "/usr/", "/bin/", "/sbin/", "/lib/", "/lib64/", "/boot/", "/var/run/docker.sock", "/run/docker.sock", "/System/", "/Library/"} {
		if strings.HasPrefix(n, pre) || n+"/" == pre {
			return true
		}
	}
	return false
}

func checkWorldWritable(c *call, _ *config) *hit {
	switch c.name {
	case "chmod":
		ops := operands(c, "--reference")
		if len(ops) < 2 {
			return nil
		}
		mode := ops[0]
		ww := mode == "777" || mode == "0777" || mode == "666" || mode == "0666" || mode == "a+rwx" || mode == "a+w" || mode == "o+w" || mode == "ugo+rwx" || mode == "o+rw" || mode == "o+rwx" || strings.HasSuffix(mode, "777") || strings.HasSuffix(mode, "766") || strings.HasSuffix(mode, "776")
		if !ww {
			return nil
		}
		for _, t := range ops[1:] {
			if isSystemPath(t) || sensitiveish(t) {
				return hitf(c, 0, "makes "+normPath(t)+" writable by every user")
			}
		}
	case "chown", "chgrp":
		if !hasFlag(c, "R", "--recursive") {
			return nil
		}
		ops := operands(c, "--reference --from")
		for _, t := range ops[min(1, len(ops)):] {
			switch normPath(t) {
			case "/", "/etc", "/usr", "/bin", "/sbin", "/lib", "/boot", "/var", "/usr/bin", "/usr/lib", "/root", "/System":
				return hitf(c, 0, "changes the owner of "+normPath(t)+" recursively")
			}
		}
	}
	return nil
}

func checkSetcap(c *call, _ *config) *hit {
	if c.name != "setcap" || hasFlag(c, "r") {
		return nil
	}
	caps := lower(strings.Join(c.args(), " "))
	if containsAny(caps, "cap_setuid", "cap_setgid", "cap_sys_admin", "cap_dac_override", "cap_dac_read_search", "cap_sys_ptrace", "cap_sys_module", "cap_chown", "cap_fowner", "=ep all", "all=") {
		return c.rule()
	}
	return nil
}

var passwdLineRe = regexp.MustCompile(`^[^:\s]+:[^:]*:0:[0-9]*:`)

func checkAccounts(c *call, _ *config) *hit {
	switch c.name {
	case "useradd", "adduser", "usermod":
		args := strings.Join(c.args(), " ")
		if uid, ok := optValue(c, "-u", "--uid"); ok && uid == "0" || strings.Contains(" "+args+" ", "u 0 ") && hasFlag(c, "o", "--non-unique") {
			return hitf(c, critical, "creates a second root account (uid 0)")
		}
		if g, ok := optValue(c, "-g", "--gid"); ok && (g == "0" || g == "root") {
			// The root group as the primary group: files made as root's.
			return hitf(c, 0, "makes an account whose primary group is root")
		}
		if g, ok := optValue(c, "-G", "--groups"); ok || hasFlag(c, "a") {
			if !ok {
				g, _ = optValue(c, "-aG", "")
			}
			for _, x := range strings.Split(g+","+strings.Join(operands(c, ""), ","), ",") {
				switch x {
				case "sudo", "wheel", "admin", "root", "adm", "disk", "lxd", "shadow":
					return hitf(c, 0, "adds a user to the privileged group "+x)
				case "docker":
					return hitf(c, medium, "adds a user to the docker group (root-equivalent)")
				}
			}
		}
		if c.name != "usermod" {
			return hitf(c, medium, "creates a user account")
		}
	case "gpasswd":
		for _, x := range c.args() {
			switch x {
			case "sudo", "wheel", "admin", "root", "docker":
				return hitf(c, 0, "adds a user to the privileged group "+x)
			}
		}
	case "chpasswd", "passwd":
		if c.name == "chpasswd" || operands(c, "") != nil && c.arg(len(c.argv)-1) == "root" {
			return hitf(c, 0, "changes account passwords")
		}
	case "dscl":
		if strings.Contains(strings.Join(c.args(), " "), "/Groups/admin") {
			return hitf(c, 0, "adds a user to the macOS admin group")
		}
	}
	for _, w := range writes(c) {
		n := normPath(w)
		if n == "/etc/passwd" || n == "/etc/shadow" || n == "/etc/group" || n == "/etc/gshadow" {
			sev := sdk.Severity(0)
			if passwdLineRe.MatchString(strings.TrimSpace(written(c))) {
				sev = critical
			}
			return hitf(c, sev, "writes the system account database "+n)
		}
	}
	return nil
}

func checkKmod(c *call, _ *config) *hit {
	if c.name == "insmod" || c.name == "kldload" || c.name == "kextload" {
		if len(c.argv) > 1 {
			return c.rule()
		}
	}
	return nil
}

func checkGitPush(c *call, cfg *config) *hit {
	if c.name != "git" {
		return nil
	}
	sub, rest := gitSub(c.argv)
	if sub != "push" {
		return nil
	}
	force, lease, mirror, del := false, false, false, false
	var ops []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--force" || a == "-f" || strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "f") && isLetters(a[1:]):
			force = true
		case strings.HasPrefix(a, "--force-with-lease") || a == "--force-if-includes":
			lease = true
		case a == "--mirror":
			mirror = true
		case a == "--delete" || a == "-d":
			del = true
		case a == "--repo" || a == "--receive-pack" || a == "--exec" || a == "-o" || a == "--push-option":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			ops = append(ops, a)
		}
	}
	if mirror {
		return hitf(c, 0, "overwrites every branch and tag on the remote (git push --mirror)")
	}
	var refs []string
	if len(ops) > 1 {
		refs = ops[1:]
	}
	for _, r := range refs {
		plus := strings.HasPrefix(r, "+")
		r = strings.TrimPrefix(r, "+")
		src, dst, colon := strings.Cut(r, ":")
		if !colon {
			dst = src
		}
		dst = strings.TrimPrefix(dst, "refs/heads/")
		prot := cfg.protectedBranch(dst)
		switch {
		case colon && src == "" || del:
			if prot {
				return hitf(c, 0, "deletes the protected branch "+dst+" on the remote")
			}
		case plus || force:
			if prot {
				return hitf(c, 0, "force-pushes over the protected branch "+dst+", rewriting its history")
			}
			if dst == "HEAD" || dst == "@" {
				return hitf(c, medium, "force-pushes the current branch, rewriting remote history")
			}
			return hitf(c, low, "force-pushes the branch "+dst)
		case lease:
			if prot {
				return hitf(c, medium, "force-pushes (with lease) over the protected branch "+dst)
			}
		}
	}
	if len(refs) == 0 && force && !lease {
		return hitf(c, medium, "force-pushes the current branch, rewriting remote history")
	}
	return nil
}

// gitSub returns a git call's subcommand and its arguments, skipping
// git's global options.
func gitSub(argv []string) (string, []string) {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		if a == "-C" || a == "-c" || a == "--git-dir" || a == "--work-tree" || a == "--namespace" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		return a, argv[i+1:]
	}
	return "", nil
}

func checkGitDestroy(c *call, cfg *config) *hit {
	if c.name == "gh" && c.arg(1) == "repo" && c.arg(2) == "delete" {
		return hitf(c, critical, "deletes a GitHub repository")
	}
	if c.name != "git" {
		return nil
	}
	sub, rest := gitSub(c.argv)
	has := func(xs ...string) bool {
		for _, a := range rest {
			for _, x := range xs {
				if a == x {
					return true
				}
			}
		}
		return false
	}
	// git -C / or --work-tree=/ aims a destructive command at a critical tree.
	root := ""
	for i := 1; i < len(c.argv)-1; i++ {
		a := c.argv[i]
		v := ""
		switch {
		case a == "-C" || a == "--work-tree" || a == "--git-dir":
			v = c.argv[i+1]
		case strings.HasPrefix(a, "--work-tree="):
			v = a[len("--work-tree="):]
		}
		if what, sev := rootTarget(v); v != "" && sev >= critical {
			root = what
		}
	}
	switch sub {
	case "reset":
		if has("--hard") {
			if root != "" {
				return hitf(c, high, "discards every change under "+root+" (git reset --hard)")
			}
			return hitf(c, 0, "discards uncommitted changes (git reset --hard)")
		}
	case "clean":
		for _, a := range rest {
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "f") && !strings.Contains(a, "n") {
				if root != "" {
					return hitf(c, high, "deletes every untracked file under "+root+" (git clean "+a+")")
				}
				return hitf(c, 0, "deletes untracked files (git clean "+a+")")
			}
			if a == "--force" {
				return hitf(c, 0, "deletes untracked files (git clean --force)")
			}
		}
	case "branch":
		if has("-D") || has("--delete") && has("--force") {
			for _, a := range rest {
				if !strings.HasPrefix(a, "-") && cfg.protectedBranch(a) {
					return hitf(c, high, "force-deletes the protected branch "+a)
				}
			}
			return hitf(c, low, "force-deletes a branch")
		}
	case "reflog":
		if len(rest) > 0 && rest[0] == "expire" && hasPrefixArg(c, "--expire=now") || len(rest) > 0 && rest[0] == "delete" {
			return hitf(c, high, "destroys the reflog, the last way to recover lost commits")
		}
	case "filter-branch", "filter-repo":
		return hitf(c, 0, "rewrites the repository's history")
	case "stash":
		if len(rest) > 0 && rest[0] == "clear" {
			return hitf(c, 0, "drops every stashed change")
		}
	case "update-ref":
		if has("-d") {
			for _, a := range rest {
				if cfg.protectedBranch(strings.TrimPrefix(a, "refs/heads/")) {
					return hitf(c, high, "deletes the protected branch "+a)
				}
			}
		}
	case "checkout", "restore":
		return nil
	}
	return nil
}

var dbClients = set("psql", "mysql", "mariadb", "sqlite3", "sqlcmd", "mongo", "mongosh", "redis-cli", "clickhouse-client", "clickhouse",
	"cqlsh", "cockroach", "duckdb", "snowsql", "bq", "osql", "isql", "sqlplus", "valkey-cli", "keydb-cli", "memcached-tool", "pgcli", "mycli", "litecli", "usql", "trino", "presto")

func checkDatabase(c *call, _ *config) *hit {
	switch c.name {
	case "dropdb":
		return hitf(c, 0, "drops a PostgreSQL database")
	case "mysqladmin":
		if c.arg(len(c.argv)-2) == "drop" || strings.Contains(strings.Join(c.args(), " "), "drop ") {
			return hitf(c, 0, "drops a MySQL database")
		}
		return nil
	case "rails", "rake", "bin/rails":
		for _, a := range c.args() {
			if a == "db:drop" || a == "db:reset" || a == "db:schema:load" || a == "db:purge" {
				return hitf(c, 0, "drops the application database ("+a+")")
			}
		}
		return nil
	}
	if !dbClients[c.name] {
		return nil
	}
	text := strings.Join(c.args(), " ")
	if c.stdin != "" {
		text += "\n" + c.stdin
	}
	if c.prev != nil {
		if p, _ := payload(c.prev, 0); p != "" {
			text += "\n" + p
		}
	}
	if c.name == "redis-cli" || c.name == "valkey-cli" || c.name == "keydb-cli" {
		for _, a := range append(c.args(), strings.Fields(text)...) {
			if strings.EqualFold(a, "flushall") || strings.EqualFold(a, "flushdb") {
				return hitf(c, 0, "erases every key in Redis ("+strings.ToUpper(a)+")")
			}
		}
		return nil
	}
	m := sqlDropRe.FindString(text)
	if m == "" {
		return nil
	}
	l := lower(m)
	sev := sdk.Severity(0)
	if strings.Contains(l, "database") || strings.Contains(l, "schema") || strings.Contains(l, "dropdatabase") || strings.Contains(l, "keyspace") {
		sev = critical
	}
	verb := strings.ToUpper(strings.Fields(m)[0])
	if strings.HasPrefix(l, "delete") {
		return hitf(c, 0, "deletes every row of a table (DELETE without WHERE)")
	}
	return hitf(c, sev, "runs a destructive "+strings.Trim(verb, "(.")+" statement with "+c.name)
}

func checkMiner(c *call, _ *config) *hit {
	if len(c.argv) == 0 {
		return nil
	}
	if infoOnly[c.name] && c.name != "docker" && c.name != "podman" {
		return nil
	}
	switch c.name {
	case "go", "cargo", "make", "npm", "yarn", "git", "grep", "rg":
		return nil
	}
	if minerRe.MatchString(c.name) {
		return c.rule()
	}
	for _, a := range c.args() {
		if strings.Contains(a, "stratum") && minerRe.MatchString(a) || strings.HasPrefix(a, "--donate-level") {
			return c.rule()
		}
	}
	return nil
}

var forkLoopRe = regexp.MustCompile(`(?i)fork\s+while\s+fork|while\s*\(?\s*(1|true)\s*\)?\s*[:{]?\s*(os\.)?fork\s*\(|while\s+true\s*;?\s*do\s+.*&\s*done|for\s*\(\s*;\s*;\s*\)\s*\{?\s*fork`)

func checkForkBomb(c *call, _ *config) *hit {
	if c.a.hasFork {
		return &hit{c: &call{start: c.a.forkBomb[0], end: c.a.forkBomb[1], a: c.a}}
	}
	if isInterp(c.name) {
		for _, code := range interpCodeArgs(c) {
			if forkLoopRe.MatchString(code) && strings.Contains(lower(code), "fork") {
				return c.rule()
			}
		}
	}
	return nil
}

func checkMassKill(c *call, _ *config) *hit {
	switch c.name {
	case "kill":
		for _, a := range c.args() {
			if a == "1" && !hasFlag(c, "l") && len(operands(c, "-s -n")) == 1 {
				return hitf(c, 0, "kills init (process 1), which brings the machine down")
			}
			if a == "-1" && !hasFlag(c, "l") {
				ops := operands(c, "-s -n")
				for _, o := range ops {
					if o == "-1" {
						return hitf(c, 0, "kills every process the user can signal")
					}
				}
				if len(ops) == 0 && len(c.args()) >= 2 {
					return hitf(c, 0, "kills every process the user can signal")
				}
			}
		}
	case "killall5":
		return hitf(c, 0, "kills every process")
	case "pkill", "killall":
		if hasFlag(c, "u") && strings.Contains(strings.Join(c.args(), " "), "root") && !hasFlag(c, "f") {
			return hitf(c, 0, "kills every root process")
		}
	}
	return nil
}

func checkContainer(c *call, _ *config) *hit {
	switch c.name {
	case "docker", "podman", "nerdctl":
		sub := ""
		gargs := c.args()
		for i := 0; i < len(gargs); i++ {
			a := gargs[i]
			if a == "-H" || a == "--host" || a == "--context" || a == "-c" || a == "--config" || a == "-l" || a == "--log-level" {
				i++ // a global option's value (docker -H tcp://… run …)
				continue
			}
			if !strings.HasPrefix(a, "-") {
				sub = a
				break
			}
		}
		if sub != "run" && sub != "create" && sub != "container" {
			return nil
		}
		args := c.args()
		sock := false
		for i, a := range args {
			next := ""
			if i+1 < len(args) {
				next = args[i+1]
			}
			v := ""
			if a == "-v" || a == "--volume" || a == "--mount" {
				v = next
			} else if strings.HasPrefix(a, "--volume=") || strings.HasPrefix(a, "--mount=") || strings.HasPrefix(a, "-v") && len(a) > 2 {
				v = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(a, "--volume="), "--mount="), "-v"), "=")
			}
			if v != "" {
				src := strings.SplitN(v, ":", 2)[0]
				if strings.Contains(v, "source=") {
					src = strings.SplitN(strings.SplitN(v, "source=", 2)[1], ",", 2)[0]
				}
				n := normPath(src)
				switch {
				case n == "/":
					return hitf(c, critical, "mounts the host's root filesystem into a container")
				case n == "/var/run/docker.sock" || n == "/run/docker.sock" || strings.HasSuffix(n, "/docker.sock"):
					// Monitoring and management agents (Portainer's, Traefik,
					// Watchtower) are documented to run so; the socket is an
					// escape when the container also gets a shell or the host's
					// root, which the rest of the command says.
					sock = true
					for _, b := range args[i+1:] {
						if isShell(b) || b == "chroot" || b == "nsenter" || strings.Contains(b, "docker run") {
							return hitf(c, 0, "gives a container the host's Docker socket (full control of the host) and a shell in it")
						}
					}
					continue
				case sensitiveish(n) && n != "~/.ssh" && (strings.HasSuffix(v, ":ro") || strings.Contains(v, ":ro,") || strings.Contains(v, ",readonly") || strings.Contains(v, ",ro")):
					// docker run -v ~/.aws:/root/.aws:ro amazon/aws-cli …: how
					// cloud CLIs' images are documented to run.
					return hitf(c, medium, "mounts the host's "+n+" into a container, read-only")
				case n == "/etc" || n == "/root" || n == "/dev" || n == "/proc" || n == "/sys" || n == "/boot" || n == "~/.ssh" || sensitiveish(n):
					return hitf(c, 0, "mounts the host's "+n+" into a container")
				}
			}
			switch {
			case a == "--privileged" || a == "--privileged=true":
				return hitf(c, 0, "starts a privileged container (full access to the host's devices)")
			case a == "--pid=host" || a == "--pid" && next == "host" || a == "--ipc=host" || a == "--uts=host" || a == "--userns=host":
				return hitf(c, 0, "starts a container in the host's namespaces")
			case strings.HasPrefix(a, "--cap-add"):
				capv := strings.ToUpper(strings.TrimPrefix(strings.TrimPrefix(a, "--cap-add"), "="))
				if capv == "" {
					capv = strings.ToUpper(next)
				}
				if containsAny(capv, "ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH", "SYS_RAWIO") {
					return hitf(c, 0, "gives a container a host-level capability ("+capv+")")
				}
			case strings.HasPrefix(a, "--security-opt"):
				opt := lower(strings.TrimPrefix(strings.TrimPrefix(a, "--security-opt"), "=") + next)
				if containsAny(opt, "unconfined", "label=disable", "label:disable") {
					return hitf(c, 0, "starts a container without its security profile")
				}
			case strings.HasPrefix(a, "--device") && strings.Contains(a+next, "/dev/sd") || strings.HasPrefix(a, "--device") && strings.Contains(a+next, "/dev/nvme"):
				return hitf(c, 0, "gives a container a host disk")
			}
		}
		if sock {
			return hitf(c, medium, "gives a container the host's Docker socket (full control of the host)")
		}
	case "lxc", "incus":
		j := lower(strings.Join(c.args(), " "))
		if strings.Contains(j, "security.privileged=true") {
			return hitf(c, 0, "creates a privileged system container")
		}
		if strings.Contains(j, "disk") && regexp.MustCompile(`source=/(\s|$)`).MatchString(j) {
			return hitf(c, critical, "mounts the host's root filesystem into a container")
		}
	case "ctr", "crictl":
		j := lower(strings.Join(c.args(), " "))
		if strings.Contains(j, "--privileged") {
			return hitf(c, 0, "starts a privileged container")
		}
		if regexp.MustCompile(`(src|source)=/(,|\s|$)`).MatchString(j) {
			return hitf(c, critical, "mounts the host's root filesystem into a container")
		}
	case "nsenter":
		if t, ok := optValue(c, "-t", "--target"); ok && t == "1" {
			return hitf(c, 0, "enters the namespaces of the host's init process")
		}
		for _, a := range c.args() {
			if a == "--target=1" || a == "-t1" {
				return hitf(c, 0, "enters the namespaces of the host's init process")
			}
		}
	case "kubectl":
		j := lower(strings.Join(c.args(), " "))
		if strings.Contains(j, "\"privileged\":true") || strings.Contains(j, "\"privileged\": true") || strings.Contains(j, "\"hostpid\":true") || strings.Contains(j, "\"hostpid\": true") {
			return hitf(c, 0, "starts a privileged pod with access to its node")
		}
	}
	return nil
}

var (
	fetchAPIRe = regexp.MustCompile(`(?i)datawithcontentsofurl|stringwithcontentsofurl|urlopen|urllib|requests\.get|http\.get|https\.get|net::http|open-uri|uri\.open|lwp::simple|lwp::useragent|file_get_contents\(\s*['"]https?:|curl_exec|fetch\(|downloadstring|webclient|httpclient|invoke-webrequest|socket\.http|requests\.session|session\(\)\.get\(|\.get\(\s*url\b`)
	execAPIRe  = regexp.MustCompile(`(?i)\bexec\s*\(|\beval\s*\(|\beval\b|\bsystem\s*\(|\bload\s*\(|loadstring|new function|\biex\b|invoke-expression|instance_eval|\bdo\s*\(|compile\(`)
)

func checkInterpDownload(c *call, _ *config) *hit {
	if !isInterp(c.name) {
		return nil
	}
	for _, code := range interpCodeArgs(c) {
		// The address may be an emulation plan's #{script_url} argument.
		if fetchAPIRe.MatchString(code) && execAPIRe.MatchString(code) && (strings.Contains(code, "http") || strings.Contains(code, "://") || strings.Contains(code, "#{")) {
			return c.rule()
		}
	}
	return nil
}

var offensiveTools = set("msfvenom", "msfconsole", "msfdb", "meterpreter", "hydra", "hashcat", "john", "sqlmap", "mimikatz", "responder",
	"crackmapexec", "netexec", "nxc", "evil-winrm", "secretsdump.py", "impacket-secretsdump", "psexec.py", "impacket-psexec",
	"wmiexec.py", "smbexec.py", "lazagne", "pwncat", "pwncat-cs", "chisel", "ligolo-proxy", "bloodhound-python", "kerbrute", "rubeus",
	"sharphound", "aircrack-ng", "reaver", "medusa", "ncrack", "patator", "hping3", "slowloris", "t50", "thc-ssl-dos", "linpeas.sh",
	"linpeas", "winpeas", "pspy", "pspy64", "beef-xss", "setoolkit", "weevely", "empire", "powersploit",
	// Scripts run by an interpreter (python3 mimipenguin.py): the tool is the operand.
	"mimipenguin.py", "mimipenguin.sh", "linenum.sh", "linux-exploit-suggester.sh", "linux-exploit-suggester-2.pl",
	"les.sh", "lazagne.py", "getuserspns.py", "impacket-getuserspns", "getnpusers.py", "impacket-getnpusers", "ticketer.py", "impacket-ticketer",
	"ntlmrelayx.py", "impacket-ntlmrelayx", "linuxprivchecker.py", "unix-privesc-check", "swap_digger.sh", "pspy32",
	"atexec.py", "impacket-atexec", "dcomexec.py", "impacket-dcomexec", "lookupsid.py", "impacket-lookupsid", "addcomputer.py",
	"impacket-addcomputer", "rbcd.py", "impacket-rbcd", "dacledit.py", "impacket-dacledit", "owneredit.py", "impacket-owneredit",
	"samrdump.py", "impacket-samrdump", "raisechild.py", "impacket-raisechild", "goldenpac.py", "impacket-goldenpac",
	"sucrack", "crowbar", "roadrecon", "roadtx", "azurehound", "certipy", "certipy-ad", "mitm6", "coercer", "petitpotam.py",
	"bloodyad", "pywhisker.py", "targetedkerberoast.py", "traitor", "pwnkit")

func checkOffensive(c *call, _ *config) *hit {
	n := c.name
	// An interpreter copied to a temporary folder under another name
	// (/tmp/rt psexec.py …) is still an interpreter running the script.
	if interp, moved := isInterp(n), !offensiveTools[n] && inTemp(c.arg(0)); interp || moved {
		for _, a := range c.args() {
			if !strings.HasPrefix(a, "-") {
				if m := progName(a); interp || strings.Contains(m, ".") {
					n = m
				}
				break
			}
		}
	}
	if !offensiveTools[n] {
		return nil
	}
	if hasFlag(c, "", "--help", "--version") || len(c.argv) == 1 && n == c.name {
		if n == "linpeas.sh" || n == "linpeas" || n == "pspy" || n == "pspy64" || n == "winpeas" {
			return hitf(c, 0, "runs the attack tool "+n)
		}
		return nil
	}
	return hitf(c, 0, "runs the attack tool "+n)
}

var libLoadRe = regexp.MustCompile(`\.(so(\.[0-9.]+)?|dylib)$`)

func checkLibraryLoad(c *call, _ *config) *hit {
	lib := func(v string) bool { return libLoadRe.MatchString(strings.Trim(v, "'\"")) }
	switch c.name {
	case "openssl", "curl":
		if v, ok := optValue(c, "", "-engine", "--engine"); ok && (lib(v) || strings.Contains(v, "/")) {
			return hitf(c, 0, "makes "+c.name+" load the native library "+baseName(v))
		}
	case "ssh-keygen", "ssh", "ssh-add":
		flag := map[string]string{"ssh-keygen": "-D", "ssh": "-I", "ssh-add": "-s"}[c.name]
		if v, ok := optValue(c, flag, "-o"); ok && (lib(v) || strings.Contains(v, "PKCS11Provider=") && strings.Contains(v, "/")) {
			return hitf(c, 0, "makes "+c.name+" load the native library "+baseName(v))
		}
	case "ldconfig":
		if v, ok := optValue(c, "-f", ""); ok && v != "/etc/ld.so.conf" {
			return hitf(c, 0, "makes the dynamic linker load libraries from a custom configuration")
		}
	case "load":
		for _, a := range c.args() {
			if lib(a) {
				return hitf(c, 0, "loads the native library "+baseName(a))
			}
		}
	case "enable":
		if v, ok := optValue(c, "-f", ""); ok {
			return hitf(c, 0, "loads the native library "+baseName(v)+" into the shell as a builtin")
		}
	case "zmodload":
		for _, a := range c.args() {
			if strings.Contains(a, "/") && !strings.HasPrefix(a, "zsh/") {
				return hitf(c, 0, "loads a native module into zsh")
			}
		}
	case "ffmpeg", "sox", "gst-launch-1.0", "mysql", "mariadb", "nginx", "php":
		for _, a := range c.args() {
			if i := strings.Index(a, "file="); i >= 0 && lib(a[i+5:]) || strings.HasPrefix(a, "--default-auth") || strings.HasPrefix(a, "--plugin-dir") ||
				strings.HasPrefix(a, "extension=") && strings.Contains(a, "/") {
				return hitf(c, 0, "makes "+c.name+" load a native library from a path")
			}
		}
	}
	return nil
}

func checkZtcp(c *call, _ *config) *hit {
	if c.name != "ztcp" || hasFlag(c, "lac") || len(c.argv) < 2 {
		return nil
	}
	for _, o := range c.a.calls {
		for _, r := range o.redirs {
			if strings.Contains(r.target, "REPLY") && (isShell(o.name) || o.name == "exec") {
				return c.rule()
			}
		}
	}
	return nil
}

var shellOnSocketRe = regexp.MustCompile(`(?i)(/bin/(ba|z|da)?sh|cmd\.exe|powershell)`)

func checkWrittenShell(c *call, _ *config) *hit {
	if c.name != "echo" && c.name != "printf" && c.name != "cat" && c.name != "tee" {
		return nil
	}
	if len(writes(c)) == 0 {
		return nil
	}
	text := c.stdin
	if text == "" && c.name != "cat" {
		text, _ = payload(c, 0)
	}
	l := lower(text)
	if l == "" || !containsAny(l, "socket", "net.dial", "tcpclient", "fsockopen", "tcpsocket", "/dev/tcp/") {
		return nil
	}
	bind := containsAny(l, "listen", "accept")
	if !containsAny(l, "connect", "net.dial", "tcpclient", "fsockopen", "tcpsocket.new", "tcpsocket.open", "/dev/tcp/") && !bind {
		return nil
	}
	if !shellOnSocketRe.MatchString(l) || !containsAny(l, "dup2", "stdin", "stdout", "exec", "spawn", "subprocess", "popen", "fileno", "0>&1", "system") {
		return nil
	}
	if bind && !containsAny(l, "connect", "net.dial", "tcpclient") {
		return hitf(c, 0, "writes a program that serves a shell on a listening socket (bind shell)")
	}
	return c.rule()
}

func checkGitHook(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		n := normPath(w)
		if strings.Contains(n, ".git/hooks/") && !strings.HasSuffix(n, ".sample") {
			if containsAny(lower(written(c)), suspiciousRC...) && c.name != "cp" && c.name != "mv" && c.name != "ln" {
				return hitf(c, high, "installs a git hook that runs a suspicious command ("+n+")")
			}
			return hitf(c, 0, "installs a git hook ("+n+")")
		}
	}
	return nil
}

// abusedHooks are command options that only serve to run a command as a
// side effect of an unrelated program.
func checkCommandHook(c *call, _ *config) *hit {
	hs := hookCommands(c)
	if len(hs) == 0 {
		return nil
	}
	for _, a := range c.args() {
		switch {
		case strings.HasPrefix(a, "--checkpoint-action=exec") || strings.HasPrefix(a, "--to-command") || c.name == "sysctl" && strings.Contains(a, "core_pattern=|"):
			return hitf(c, high, "runs a command as a side effect of "+c.name+" (a hidden execution hook)")
		}
	}
	sudo := c.wrapped("sudo") || c.wrapped("doas") || c.wrapped("pkexec") || c.wrapped("run0")
	for _, h := range hs {
		f := strings.Fields(strings.TrimLeft(h, "| "))
		if len(f) == 0 {
			continue
		}
		if strings.Contains(h, "%h") && strings.Contains(h, "%p") {
			continue // an ssh ProxyCommand template (nc -X 5 -x proxy %h %p, corkscrew …)
		}
		if strings.Contains(progName(f[0]), "askpass") {
			continue
		}
		switch progName(f[0]) {
		case "less", "more", "cat", "most", "bat", "vim", "vi", "nvim", "nano", "emacs", "code", "subl", "ssh", "ssh-askpass",
			"gpg", "gpg2", "git", "diff-so-fancy", "delta", "lesspipe", "lesspipe.sh", "ksshaskpass", "true", "op", "pass", "xdg-open",
			"open", "firefox", "chromium", "google-chrome", "w3m", "lynx", "mate", "micro", "hx", "kak", "ed", "zstd", "pigz", "xz", "gzip", "bzip2", "lz4", "pbzip2":
			continue
		}
		// Hooks exist to run the user's own scripts (./askpass.sh,
		// ./post-download.sh): by themselves they add no effect. They are
		// blocked when the program runs as root (the hook runs as root),
		// or when they point at a program planted outside the project and
		// the system's program directories (/tmp/x, /opt/x/y, ~/x).
		if sudo {
			return hitf(c, 0, "makes "+c.name+", run as root, run another command through an option or environment hook")
		}
		if strings.HasPrefix(f[0], "/") || strings.HasPrefix(f[0], "~") {
			if !systemProgramPath(f[0]) {
				return hitf(c, 0, "makes "+c.name+" run a program from outside the project and the system's program directories through an option or environment hook")
			}
			continue
		}
		if shellLine(f) {
			return hitf(c, high, "makes "+c.name+" run a shell command line through an option or environment hook (indirect execution, ATT&CK T1202)")
		}
		if strings.Contains(f[0], "/") || strings.HasSuffix(f[0], ".sh") {
			return hitf(c, medium, "makes "+c.name+" run a local script through an option or environment hook")
		}
		return hitf(c, medium, "makes "+c.name+" run another command through an option or environment hook")
	}
	return nil
}

// systemProgramPath reports whether p is under a directory where the
// system or its package manager installs programs.
func systemProgramPath(p string) bool {
	for _, d := range []string{"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/", "/usr/local/bin/", "/usr/lib/", "/usr/libexec/", "/usr/share/", "/opt/homebrew/", "/snap/bin/", "/nix/store/", "/run/current-system/"} {
		if strings.HasPrefix(p, d) {
			return true
		}
	}
	return false
}

func checkMetadata(c *call, _ *config) *hit {
	if !isFetcher(c) && c.name != "http" && c.name != "iwr" && c.name != "invoke-webrequest" && c.name != "invoke-restmethod" && c.name != "irm" {
		return nil
	}
	for _, a := range c.args() {
		l := lower(a)
		if !containsAny(l, "169.254.169.254", "metadata.google.internal", "100.100.100.200", "fd00:ec2::254", "169.254.170.2") {
			continue
		}
		if containsAny(l, "security-credentials", "/token", "service-accounts", "identity", "credentials", "api/token", "ram/security", "v2/credentials") {
			return c.rule()
		}
	}
	return nil
}

func checkKubeSecrets(c *call, _ *config) *hit {
	if c.name != "kubectl" && c.name != "oc" {
		return nil
	}
	args := c.args()
	for i, a := range args {
		if a == "get" && i+1 < len(args) && (args[i+1] == "secret" || args[i+1] == "secrets" || strings.HasPrefix(args[i+1], "secret/")) {
			for _, b := range args {
				if strings.HasPrefix(b, "-o") || strings.HasPrefix(b, "--output") {
					return c.rule()
				}
			}
		}
	}
	return nil
}

func checkInfraDestroy(c *call, _ *config) *hit {
	args := c.args()
	has := func(xs ...string) bool {
		for _, a := range args {
			for _, x := range xs {
				if a == x || strings.HasPrefix(a, x+"=") {
					return true
				}
			}
		}
		return false
	}
	switch c.name {
	case "terraform", "tofu", "terragrunt":
		if len(args) > 0 && (args[0] == "destroy" || args[0] == "apply" && has("-destroy")) {
			if has("-target") {
				return hitf(c, low, "destroys targeted infrastructure ("+c.name+" destroy -target)")
			}
			if has("-auto-approve", "--auto-approve") {
				// terraform destroy -auto-approve -var env=pr-77: a preview
				// environment torn down by CI.
				var envs []string
				for i, a := range args {
					for _, o := range []string{"-var", "-var-file", "-chdir", "-state", "--var", "--var-file"} {
						if v, ok := strings.CutPrefix(a, o+"="); ok {
							envs = append(envs, v)
						} else if a == o && i+1 < len(args) {
							envs = append(envs, args[i+1])
						}
					}
				}
				if ws := c.assigns["TF_WORKSPACE"]; ws != "" {
					envs = append(envs, ws)
				}
				if len(envs) > 0 && throwaway(strings.Join(envs, " ")) {
					return hitf(c, medium, "destroys a short-lived "+c.name+" environment ("+strings.Join(envs, " ")+") without confirmation")
				}
				return hitf(c, 0, "destroys every resource of the "+c.name+" state without confirmation")
			}
			return hitf(c, medium, "destroys every resource of the "+c.name+" state")
		}
	case "pulumi":
		if len(args) > 0 && args[0] == "destroy" && has("--yes", "-y") {
			return hitf(c, 0, "destroys every resource of the Pulumi stack without confirmation")
		}
	case "kubectl", "oc":
		if len(args) > 0 && args[0] == "delete" {
			if len(args) > 1 && (args[1] == "namespace" || args[1] == "ns" || strings.HasPrefix(args[1], "namespace/") || strings.HasPrefix(args[1], "ns/")) {
				if has("--all", "-A") {
					return hitf(c, 0, "deletes every Kubernetes namespace")
				}
				// delete namespace a b, delete ns/a ns/b
				var names []string
				for _, o := range operands(c, "-n --namespace --context --cluster -l --selector --grace-period --timeout -o --output")[1:] {
					if _, name, ok := strings.Cut(o, "/"); ok {
						names = append(names, name)
					} else if o != "namespace" && o != "ns" && o != "namespaces" {
						names = append(names, o)
					}
				}
				if throwaway(names...) {
					return hitf(c, medium, "deletes the short-lived Kubernetes namespace "+strings.Join(names, ", ")+" and everything in it")
				}
				return hitf(c, 0, "deletes a Kubernetes namespace and everything in it")
			}
			if has("--all", "--all-namespaces", "-A") {
				return hitf(c, 0, "deletes every matching Kubernetes resource")
			}
		}
	case "aws":
		if len(args) > 2 && args[0] == "s3" && (args[1] == "rm" && has("--recursive") || args[1] == "rb" && has("--force")) {
			// A scratch prefix (s3://builds/tmp/, …/pr-42/) is cleaned
			// after every build; a whole bucket, or a prefix not named
			// as scratch, stays high.
			if args[1] == "rm" {
				for _, o := range operands(c, "--profile --region --endpoint-url --exclude --include") {
					if bucket, prefix, ok := strings.Cut(strings.TrimPrefix(o, "s3://"), "/"); ok && strings.HasPrefix(o, "s3://") && strings.Trim(prefix, "/") != "" && throwaway(prefix) && !prodNamed(bucket) {
						return hitf(c, medium, "deletes the scratch prefix "+prefix+" of an S3 bucket")
					}
				}
			}
			return hitf(c, 0, "deletes an S3 bucket's contents")
		}
		if len(args) > 1 && args[1] == "delete-stack" {
			if name, ok := optValue(c, "", "--stack-name"); ok && throwaway(name) {
				return hitf(c, medium, "deletes the short-lived CloudFormation stack "+name)
			}
		}
		if len(args) > 1 && (args[1] == "delete-db-instance" || args[1] == "delete-db-cluster" || args[1] == "delete-table" || args[1] == "delete-stack" || args[1] == "delete-bucket") {
			return hitf(c, 0, "deletes an AWS resource ("+args[1]+")")
		}
		if len(args) > 1 && args[1] == "terminate-instances" {
			if everyListed(c, "ec2", "describe-instances") {
				return hitf(c, 0, "terminates every EC2 instance the account lists")
			}
			return hitf(c, medium, "terminates EC2 instances")
		}
	case "gcloud":
		j := strings.Join(args, " ")
		if strings.HasPrefix(j, "projects delete") {
			return hitf(c, critical, "deletes a Google Cloud project")
		}
		if strings.Contains(j, " delete") && has("--quiet", "-q") && containsAny(j, "sql instances", "container clusters", "storage buckets", "compute instances") {
			ops := operands(c, "--zone --region --project --location --format --account --configuration")
			for i, o := range ops {
				if o == "delete" && i+1 < len(ops) && throwaway(ops[i+1:]...) {
					return hitf(c, medium, "deletes the short-lived Google Cloud resource "+strings.Join(ops[i+1:], ", "))
				}
			}
			return hitf(c, 0, "deletes Google Cloud resources without confirmation")
		}
	case "gsutil":
		if len(args) > 0 && (args[0] == "rm" && has("-r", "-a") || args[0] == "rb") || has("-m") && strings.Contains(strings.Join(args, " "), "rm -r") {
			return hitf(c, 0, "deletes a Cloud Storage bucket's contents")
		}
	case "az":
		j := strings.Join(args, " ")
		if strings.HasPrefix(j, "group delete") && has("--yes", "-y") {
			if name, ok := optValue(c, "-n", "--name", "--resource-group"); ok && throwaway(name) {
				return hitf(c, medium, "deletes the short-lived Azure resource group "+name)
			}
			if name, ok := optValue(c, "-g", "--resource-group"); ok && throwaway(name) {
				return hitf(c, medium, "deletes the short-lived Azure resource group "+name)
			}
			return hitf(c, 0, "deletes an Azure resource group and everything in it")
		}
	}
	return nil
}

// throwaway reports whether every name is that of a short-lived
// environment: a pull request's or a branch's preview, a test, CI or
// scratch stack (app-dev-pr-42, preview-feature-x, rg-ci-1234), and none
// says production. Tearing those down is what CI does after every merge;
// deleting production, shared or unnamed environments stays high.
func throwaway(names ...string) bool {
	if len(names) == 0 {
		return false
	}
	for _, n := range names {
		short := false
		for _, w := range nameWords(n) {
			short = short || throwawayWords[w] || prNumberRe.MatchString(w)
		}
		if !short || prodNamed(n) {
			return false
		}
	}
	return true
}

// prodNamed reports a name with a word that says production or shared.
func prodNamed(n string) bool {
	for _, w := range nameWords(n) {
		if productionWords[w] {
			return true
		}
	}
	return false
}

// nameWords splits a resource name into its lower-case words
// (app-dev-pr-42 → app dev pr 42).
func nameWords(n string) []string {
	return strings.FieldsFunc(lower(strings.Trim(n, "\"'")), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
}

var (
	throwawayWords  = set("pr", "mr", "preview", "review", "test", "tests", "testing", "e2e", "ci", "tmp", "temp", "scratch", "sandbox", "ephemeral", "dev", "demo", "feature", "feat", "branch", "playground", "experiment")
	productionWords = set("prod", "production", "prd", "live", "main", "master", "shared", "core", "platform", "billing", "payments", "backup", "backups", "data", "db", "kube", "system", "default", "infra", "security", "audit", "logging", "monitoring")
	prNumberRe      = regexp.MustCompile(`^(pr|mr)[0-9]+$`)
)

// checkFakePrompt flags a silent password prompt that imitates sudo's: a
// way to harvest the user's password.
func checkFakePrompt(c *call, _ *config) *hit {
	if c.name != "read" || !hasFlag(c, "s") {
		return nil
	}
	j := lower(strings.Join(c.args(), " "))
	if strings.Contains(j, "[sudo]") || strings.Contains(j, "password for") {
		return c.rule()
	}
	return nil
}

// checkExpose flags a local file server rooted at / or the home directory,
// and tunnels that publish a local login port (SSH, RDP, VNC).
func checkExpose(c *call, _ *config) *hit {
	root := func(d string) bool {
		n := normPath(d)
		return n == "/" || n == "~" || n == "~/.ssh" || n == "/etc" || n == "/root"
	}
	switch {
	case isInterp(c.name) && strings.HasPrefix(c.name, "python"):
		if c.arg(1) == "-m" && (c.arg(2) == "http.server" || c.arg(2) == "SimpleHTTPServer") {
			if d, ok := optValue(c, "-d", "--directory"); ok && root(d) {
				return hitf(c, 0, "serves "+normPath(d)+" to the network over HTTP")
			}
		}
	case c.name == "php":
		if d, ok := optValue(c, "-t", ""); ok && hasFlag(c, "S") && root(d) {
			return hitf(c, 0, "serves "+normPath(d)+" to the network over HTTP")
		}
	case c.name == "ngrok" || c.name == "cloudflared" || c.name == "bore" || c.name == "localtunnel" || c.name == "lt":
		j := strings.Join(c.args(), " ")
		for _, p := range []string{" 22", ":22", " 3389", ":3389", " 5900", ":5900"} {
			if strings.HasSuffix(j, p) || strings.Contains(j, p+" ") {
				return hitf(c, 0, "publishes a local login port (SSH, RDP or VNC) through a public tunnel")
			}
		}
		if c.arg(1) == "tcp" {
			return hitf(c, medium, "publishes a local TCP port through a public tunnel")
		}
	case c.name == "ssh" || c.name == "autossh":
		if v, ok := optValue(c, "-R", ""); ok {
			if strings.HasSuffix(v, ":22") || strings.HasSuffix(v, ":3389") || strings.HasSuffix(v, ":5900") {
				return hitf(c, 0, "opens a reverse tunnel that exposes a local login port on a remote host")
			}
			return hitf(c, medium, "opens a reverse tunnel to a remote host")
		}
	}
	return nil
}

// checkRepartition: diskutil partitionDisk rewrites a disk's partition map
// (its own rule: its measured precision is not that of the wipes).
func checkRepartition(c *call, _ *config) *hit {
	if c.name == "diskutil" && lower(c.arg(1)) == "partitiondisk" {
		return hitf(c, 0, "repartitions a disk with diskutil (its data is lost)")
	}
	return nil
}

// checkShutdown: shutting the machine down or rebooting it (its own rule,
// apart from killing every process).
func checkShutdown(c *call, _ *config) *hit {
	switch c.name {
	case "shutdown", "reboot", "halt", "poweroff":
		if hasFlag(c, "", "--help") || hasFlag(c, "c") && c.name == "shutdown" {
			return nil
		}
		return hitf(c, 0, "shuts the machine down or reboots it ("+c.name+")")
	case "init", "telinit":
		if c.arg(1) == "0" || c.arg(1) == "6" {
			return hitf(c, 0, "shuts the machine down or reboots it")
		}
	case "systemctl":
		for _, a := range c.args() {
			switch a {
			case "poweroff", "reboot", "halt", "kexec", "soft-reboot":
				return hitf(c, 0, "shuts the machine down or reboots it")
			}
		}
	}
	return nil
}

// archivers read files or directories and write them to their output.
var archivers = set("tar", "zip", "7z", "7za", "gzip", "bzip2", "xz", "zstd", "cpio", "cat", "base64", "xxd", "openssl", "gpg", "pax")

// pipedFiles returns the file or directory a pipeline feeding c reads
// (tar czf - /var/www | …), or "".
func pipedFiles(c *call) string {
	for _, u := range upstream(c) {
		if !archivers[u.name] {
			continue
		}
		args := u.args()
		for i := len(args) - 1; i >= 0; i-- {
			a := args[i]
			if a != "-" && (strings.HasPrefix(a, "/") || strings.HasPrefix(a, "~") || strings.HasPrefix(a, "./") || strings.HasPrefix(a, "../") || strings.HasPrefix(a, "$HOME")) {
				return a
			}
		}
	}
	return ""
}

// namedHTTPS reports whether every URL is https:// to a host name (not a
// bare address), and there is at least one.
// namedFileServer reports URLs that all name a file-transfer server
// (ftp://, ftps://, sftp://) by a host name, not an address: publishing a
// file to a named FTP site is how sites and mirrors are updated.
func namedFileServer(us []string) bool {
	for _, u := range us {
		l := lower(strings.Trim(u, "\"'"))
		h := urlHost(u)
		if !strings.HasPrefix(l, "ftp://") && !strings.HasPrefix(l, "ftps://") && !strings.HasPrefix(l, "sftp://") || isIPHost(h) ||
			!strings.Contains(h, ".") || strings.Trim(lower(h), "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
			return false
		}
	}
	return len(us) > 0
}

func namedHTTPS(us []string) bool {
	for _, u := range us {
		if !strings.HasPrefix(lower(strings.Trim(u, "\"'")), "https://") || isIPHost(urlHost(u)) {
			return false
		}
	}
	return len(us) > 0
}

// everyListed reports whether an aws call's operands come from an
// unfiltered listing of the same account (aws <svc> <list>: no --filters,
// no ids, no tag query), through $(…) or through xargs fed by a pipeline:
// the call then acts on everything there is.
func everyListed(c *call, svc, list string) bool {
	unfiltered := func(o *call) bool {
		if o.name != "aws" || !hasWords(o, [][]string{{svc, list}}) {
			return false
		}
		for _, a := range o.args() {
			if strings.HasPrefix(a, "--filter") || strings.HasPrefix(a, "--instance-ids") || strings.Contains(a, "?") || strings.Contains(a, "Tags") {
				return false
			}
		}
		return true
	}
	for _, o := range c.substs {
		if unfiltered(o) {
			return true
		}
	}
	if !c.wrapped("xargs") {
		return false
	}
	for _, p := range c.a.calls {
		for _, in := range p.inners {
			if in != c {
				continue
			}
			for q := p.prev; q != nil; q = q.prev {
				if unfiltered(q) {
					return true
				}
			}
		}
	}
	return false
}

// shellLine reports whether a hook's words hand a command line to a shell
// or a Windows script host (cmd /c, powershell -c, sh -c, mshta …): a hook
// that exists to open a connection or a pager is then a way to run
// anything under another program's name.
func shellLine(f []string) bool {
	n := progName(strings.Trim(f[0], "\"'"))
	switch n {
	case "mshta", "wscript", "cscript", "rundll32", "regsvr32":
		return len(f) > 1
	case "cmd", "powershell", "pwsh", "sh", "bash", "dash", "zsh", "ksh":
	default:
		return false
	}
	for _, a := range f[1:] {
		switch strings.ToLower(strings.Trim(a, "\"'")) {
		case "/c", "/k", "-c", "-command", "-enc", "-encodedcommand", "-e", "-ec":
			return true
		}
	}
	return false
}

// awsAccountRe finds the account id of an ARN (arn:aws:kms:region:ACCOUNT:…,
// arn:aws:iam::ACCOUNT:…).
var awsAccountRe = regexp.MustCompile(`^"?arn:aws[\w-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):`)

// checkKMSGrantForeign: aws kms create-grant whose key is named by an ARN
// of one account and whose grantee is a principal of another (a key shared
// out of the account; with a bare key id the account is unknown).
func checkKMSGrantForeign(c *call, _ *config) *hit {
	if c.name != "aws" {
		return nil
	}
	args := c.args()
	sub := false
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "kms" && args[i+1] == "create-grant" {
			sub = true
			break
		}
	}
	if !sub {
		return nil
	}
	k, ok1 := optValue(c, "", "--key-id")
	g, ok2 := optValue(c, "", "--grantee-principal")
	if !ok1 || !ok2 {
		return nil
	}
	km, gm := awsAccountRe.FindStringSubmatch(k), awsAccountRe.FindStringSubmatch(g)
	if km == nil || gm == nil || km[1] == gm[1] {
		return nil
	}
	return hitf(c, 0, "grants another AWS account's principal the use of a KMS key")
}

// checkESXiMass: vim-cmd's power.off / destroy / unregister /
// snapshot.removeall, or esxcli vm process kill, run for every machine a
// listing gives (through xargs or a loop over getallvms or process list).
func checkESXiMass(c *call, _ *config) *hit {
	var act bool
	switch c.name {
	case "vim-cmd":
		switch c.arg(1) {
		case "vmsvc/power.off", "vmsvc/power.shutdown", "vmsvc/destroy", "vmsvc/unregister", "vmsvc/snapshot.removeall", "vmsvc/power.suspend":
			act = true
		}
	case "esxcli":
		act = c.arg(1) == "vm" && c.arg(2) == "process" && c.arg(3) == "kill"
	}
	if !act {
		return nil
	}
	t := c.a.text
	if c.wrapped("xargs") || strings.Contains(t, "getallvms") && (strings.Contains(t, "for ") || strings.Contains(t, "while ")) ||
		strings.Contains(t, "vm process list") && (strings.Contains(t, "for ") || strings.Contains(t, "while ")) {
		return hitf(c, 0, "stops or strips every virtual machine on the ESXi host")
	}
	return nil
}

// writtenLines returns what an echo, printf or here-string writes, or what
// an echo or printf hands to tee, or "".
func writtenLines(c *call) string {
	job := c.stdin
	if job == "" && (c.name == "echo" || c.name == "printf") {
		job, _ = payload(c, 0)
		if job == "" {
			job = strings.Join(c.args(), " ")
		}
	}
	if job == "" && c.prev != nil && (c.prev.name == "echo" || c.prev.name == "printf") && c.prev.prev == nil {
		job, _ = payload(c.prev, 0)
		if job == "" {
			job = strings.Join(c.prev.args(), " ")
		}
	}
	return strings.TrimSpace(job)
}

var (
	localHostsLineRe = regexp.MustCompile(`^(127\.\d+\.\d+\.\d+|::1)\s+([a-z0-9-]+|[a-z0-9.-]+\.(local|localhost|test|internal|lan|home|example|invalid|docker|dev\.local))(\s+([a-z0-9-]+|[a-z0-9.-]+\.(local|localhost|test|internal|lan|home|example|invalid|docker)))*$`)
	publicResolverRe = regexp.MustCompile(`^nameserver\s+(1\.1\.1\.1|1\.0\.0\.1|8\.8\.8\.8|8\.8\.4\.4|9\.9\.9\.9|149\.112\.112\.112|208\.67\.222\.222|208\.67\.220\.220|127\.0\.0\.53|127\.0\.0\.1)$`)
)

// ordinaryNameWrite reports an append to /etc/hosts of names for this
// machine only (127.0.0.1 api.local), or a resolv.conf that names a
// well-known public resolver: the lines development guides write. Other
// hosts entries (a vendor's update host sent elsewhere) stay system writes.
func ordinaryNameWrite(c *call, w string) bool {
	n := normPath(w)
	if n != "/etc/hosts" && n != "/etc/resolv.conf" {
		return false
	}
	job := asciiLower(writtenLines(c))
	if job == "" {
		return false
	}
	job = strings.ReplaceAll(job, "\\n", "\n")
	for _, line := range strings.Split(job, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if n == "/etc/hosts" && !localHostsLineRe.MatchString(line) {
			return false
		}
		if n == "/etc/resolv.conf" && !publicResolverRe.MatchString(line) && !strings.HasPrefix(line, "search ") && !strings.HasPrefix(line, "options ") {
			return false
		}
	}
	return true
}
