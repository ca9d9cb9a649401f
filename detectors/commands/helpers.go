package commands

import (
	"path"
	"strings"
)

// fetchers are programs that bring data in from the network.
var fetchers = set("curl", "wget", "fetch", "aria2c", "http", "https", "xh", "lwp-request", "get", "lynx", "links", "w3m",
	"tftp", "ftp", "nc", "ncat", "netcat", "socat", "iwr", "irm", "invoke-webrequest", "invoke-restmethod", "curlie", "wget2", "gh")

// netClients connect to a remote host and move stdin/stdout over it.
var netClients = set("nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "telnet", "socat", "cryptcat", "pwncat", "sbd", "gnutls-cli")

// filters pass data through a pipeline without changing what it is for.
var filters = set("tee", "cat", "sed", "tr", "head", "tail", "gunzip", "zcat", "gzip", "bzcat", "xzcat", "base64", "base32", "xxd",
	"rev", "dos2unix", "iconv", "sudo", "doas", "grep", "awk", "sort", "uniq", "openssl", "bunzip2", "xz", "zstd", "zstdcat", "cut", "perl")

// isFetcher reports whether c downloads something.
func isFetcher(c *call) bool {
	switch c.name {
	case "openssl":
		return c.arg(1) == "s_client"
	case "gh":
		return c.arg(1) == "api" || c.arg(1) == "gist" && c.arg(2) == "view"
	case "nc", "ncat", "netcat", "socat":
		return true
	}
	return fetchers[c.name]
}

// upstream returns the pipeline stages that feed c, nearest first,
// stopping after the first stage that is not a plain filter.
func upstream(c *call) []*call {
	var out []*call
	for p, n := c.prev, 0; p != nil && n < 16; p, n = p.prev, n+1 {
		out = append(out, p)
		if !filters[p.name] || p.name == "cat" && len(p.argv) > 1 {
			break
		}
	}
	return out
}

// downstream returns the pipeline stages that read c's output.
func downstream(c *call) []*call {
	var out []*call
	for p, n := c.next, 0; p != nil && n < 16; p, n = p.next, n+1 {
		out = append(out, p)
	}
	return out
}

// urls returns the URL-looking arguments of c.
func urls(c *call) []string {
	var out []string
	for _, a := range c.args() {
		if isURL(a) {
			out = append(out, a)
		} else if strings.Contains(a, "://") {
			if i := strings.Index(a, "http"); i >= 0 && isURL(a[i:]) {
				out = append(out, a[i:])
			}
		}
	}
	return out
}

// operands returns the arguments of c that are not options, skipping the
// values of the options listed in takes (space separated).
func operands(c *call, takes string) []string {
	var out []string
	args := c.args()
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			if !strings.Contains(a, "=") && takes != "" && strings.Contains(" "+takes+" ", " "+a+" ") {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// hasFlag reports whether c has one of the long options, or a short option
// letter (alone or grouped, as in -rf).
func hasFlag(c *call, letters string, long ...string) bool {
	for _, a := range c.args() {
		if a == "--" {
			return false
		}
		if strings.HasPrefix(a, "--") {
			name := a
			if i := strings.Index(a, "="); i > 0 {
				name = a[:i]
			}
			for _, l := range long {
				if name == l {
					return true
				}
			}
			continue
		}
		if len(a) > 1 && a[0] == '-' && isLetters(a[1:]) && strings.ContainsAny(a[1:], letters) && letters != "" {
			return true
		}
	}
	return false
}

// optValue returns the value of an option given as "-o v", "-ov", "--opt v"
// or "--opt=v".
func optValue(c *call, short string, long ...string) (string, bool) {
	args := c.args()
	for i := 0; i < len(args); i++ {
		a := args[i]
		for _, l := range long {
			if a == l && i+1 < len(args) {
				return args[i+1], true
			}
			if strings.HasPrefix(a, l+"=") {
				return a[len(l)+1:], true
			}
		}
		if short != "" {
			if a == short && i+1 < len(args) {
				return args[i+1], true
			}
			if strings.HasPrefix(a, short) && len(a) > len(short) && !strings.HasPrefix(a, "--") && len(short) == 2 {
				return a[len(short):], true
			}
		}
	}
	return "", false
}

// writes returns the files c writes: output redirections, tee operands,
// the destination of cp/mv/install/ln/dd, the target of sed -i.
func writes(c *call) []string {
	if !c.wrote {
		c.written = computeWrites(c)
		c.wrote = true
	}
	return c.written
}

func computeWrites(c *call) []string {
	var out []string
	for _, r := range c.redirs {
		if (r.op == ">" || r.op == ">>" || r.op == ">|" || r.op == "&>" || r.op == "&>>" || r.op == "<>") && (r.fd == "" || r.fd == "1" || r.fd == "2") {
			out = append(out, r.target)
		}
	}
	switch c.name {
	case "tee":
		out = append(out, operands(c, "")...)
	case "cp", "mv", "install", "ln", "rsync", "scp":
		ops := operands(c, "-m -o -g -t -S --target-directory --mode --owner --group")
		if len(ops) >= 2 {
			out = append(out, ops[len(ops)-1])
		}
		if t, ok := optValue(c, "-t", "--target-directory"); ok {
			out = append(out, t)
		}
	case "dd":
		for _, a := range c.args() {
			if strings.HasPrefix(a, "of=") {
				out = append(out, a[3:])
			}
		}
	case "sed", "perl":
		if hasFlag(c, "i", "--in-place") || hasPrefixArg(c, "-i") {
			ops := operands(c, "-e -f --expression --file")
			if hasFlag(c, "ef", "--expression", "--file") {
				out = append(out, ops...)
			} else if len(ops) > 1 {
				out = append(out, ops[1:]...)
			}
		}
	case "touch", "truncate":
		out = append(out, operands(c, "-r -t -d -s --reference --date --size")...)
	case "curl":
		if v, ok := optValue(c, "-o", "--output"); ok {
			out = append(out, v)
		}
	case "wget":
		if v, ok := optValue(c, "-O", "--output-document"); ok {
			out = append(out, v)
		}
	}
	return out
}

// argv0 returns the program word of c, or "".
func (c *call) argv0() string {
	if len(c.argv) == 0 {
		return ""
	}
	return c.argv[0]
}

func hasPrefixArg(c *call, p string) bool {
	for _, a := range c.args() {
		if strings.HasPrefix(a, p) {
			return true
		}
	}
	return false
}

// written returns the text c writes to a file, when it is known: echo and
// printf arguments, a here-document, or a literal piped into tee.
func written(c *call) string {
	if c.stdin != "" {
		return c.stdin
	}
	if c.name == "echo" || c.name == "printf" {
		p, _ := payload(c, 0)
		return p
	}
	if c.name == "tee" && c.prev != nil {
		p, _ := payload(c.prev, 0)
		if p == "" {
			return strings.Join(c.prev.argv, " ")
		}
		return p
	}
	return strings.Join(c.args(), " ")
}

// nonReaders take paths without reading the file's content out.
var nonReaders = set("ls", "stat", "chmod", "chown", "chgrp", "touch", "mkdir", "rmdir", "ssh", "ssh-add", "ssh-keygen", "ssh-copy-id",
	"git", "cd", "pushd", "ln", "realpath", "readlink", "dirname", "basename", "test", "[", "[[", "echo", "printf", "which", "file",
	"du", "df", "find", "rm", "shred", "mv", "code", "vim", "vi", "nvim", "nano", "emacs", "open", "chattr", "lsattr", "setfacl",
	"getfacl", "wc", "source", ".", "export", "sops", "age", "gpg", "docker", "podman", "kubectl", "helm", "terraform", "aws", "gcloud",
	"az", "stow", "restorecon", "chcon", "ansible", "ansible-playbook", "keychain", "eval", "exec", "unset", "set", "setfattr", "getfattr",
	"sha256sum", "sha1sum", "md5sum", "shasum", "md5", "cksum", "b2sum", "tree", "exa", "eza", "lsd", "mkfs", "watch", "inotifywait",
	"fswatch", "entr", "systemctl", "service", "mount", "umount", "ssh-keyscan", "scp", "sftp", "rsync", "pass", "age-keygen", "openssl")

// reads returns the sensitive files c reads, with what they hold.
func reads(c *call) (string, secret, bool) {
	for _, r := range c.redirs {
		if r.op == "<" || r.op == "<>" {
			if s, ok := sensitive(r.target); ok {
				return r.target, s, true
			}
		}
	}
	if c.name == "" || nonReaders[c.name] && !(c.name == "openssl" && (c.arg(1) == "enc" || c.arg(1) == "base64")) {
		return "", secret{}, false
	}
	if _, run := runners[c.name]; run && len(c.inners) > 0 {
		// sudo chmod 640 /etc/shadow: the command sudo runs is judged.
		return "", secret{}, false
	}
	args := c.args()
	if c.name == "cp" || c.name == "mv" || c.name == "install" || c.name == "ln" {
		if ops := operands(c, "-t -S -m -o -g --target-directory --suffix --mode"); len(ops) >= 2 {
			args = ops[:len(ops)-1]
		}
	}
	// The most sensitive operand speaks for the call: tar of /etc/passwd
	// and /etc/shadow reads the password hashes.
	var bestP string
	var best secret
	found := false
	for _, a := range args {
		p := a
		switch {
		case strings.HasPrefix(a, "if="):
			p = a[3:]
		case strings.HasPrefix(a, "@"):
			p = a[1:]
		case strings.Contains(a, "=@"):
			p = a[strings.Index(a, "=@")+2:]
		case strings.HasPrefix(a, "-") && strings.Contains(a, "="):
			p = a[strings.Index(a, "=")+1:]
		}
		if s, ok := sensitive(p); ok && (!found || s.sev > best.sev) {
			bestP, best, found = p, s, true
		}
	}
	return bestP, best, found
}

// dumpsEnv reports whether c prints the environment (which holds tokens).
func dumpsEnv(c *call) bool {
	switch c.name {
	case "env", "printenv":
		return runnerCommand(c.name, c.argv) < 0
	case "set":
		return len(c.argv) == 1
	case "export", "declare", "typeset":
		return len(c.argv) == 1 || c.arg(1) == "-p" || c.arg(1) == "-x"
	case "get-childitem", "gci", "dir", "ls":
		return strings.HasPrefix(strings.ToLower(c.arg(1)), "env:")
	}
	return false
}

// sendsStdin reports whether c sends its stdin to a remote host.
func sendsStdin(c *call) bool {
	switch c.name {
	case "curl", "curlie":
		for _, a := range c.args() {
			if a == "@-" || strings.HasSuffix(a, "=@-") || a == "-T-" || a == "@/dev/stdin" || strings.HasSuffix(a, "@/dev/stdin") {
				return true
			}
		}
		v, ok := optValue(c, "-T", "--upload-file")
		return ok && (v == "-" || v == ".")
	case "wget":
		v, ok := optValue(c, "", "--post-file", "--body-file")
		return ok && (v == "-" || v == "/dev/stdin")
	case "http", "https", "xh":
		return true
	case "openssl":
		return c.arg(1) == "s_client"
	case "ssh":
		return sshCommand(c.argv) > 0 || len(operands(c, "-p -i -l -o -F -J -b -c -D -E -e -I -L -m -O -Q -R -S -W -w")) > 0
	case "mail", "mailx", "sendmail", "mutt":
		return true
	}
	if netClients[c.name] {
		return !hasFlag(c, "l", "--listen")
	}
	return false
}

// isNetSink reports whether c sends data to the network by any means.
func isNetSink(c *call) bool {
	if sendsStdin(c) {
		return true
	}
	switch c.name {
	case "curl", "wget", "scp", "rsync", "sftp", "ftp", "tftp", "smbclient", "whois", "dig", "nslookup", "host", "drill", "ping",
		"aws", "gsutil", "rclone", "az", "s3cmd", "nc", "ncat", "netcat", "socat", "telnet":
		return true
	}
	for _, r := range c.redirs {
		if strings.HasPrefix(r.target, "/dev/tcp/") || strings.HasPrefix(r.target, "/dev/udp/") {
			return true
		}
	}
	return false
}

// remoteTarget reports whether an scp/rsync operand names a remote host.
func remoteTarget(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	i := strings.IndexByte(s, ':')
	return i > 0 && !strings.ContainsAny(s[:i], "/") && len(s[:i]) > 1
}

func baseName(p string) string {
	p = strings.Trim(p, "\"'")
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return path.Base(p)
}

func lower(s string) string { return strings.ToLower(s) }

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// needles is a set of strings looked for together: each position of the
// text is tried only against the needles that begin with its byte, so a
// long list costs about one pass over the text.
type needles struct {
	by [256][]string
}

func newNeedles(xs ...string) *needles {
	n := &needles{}
	for _, x := range xs {
		if x == "" {
			continue
		}
		n.by[x[0]] = append(n.by[x[0]], x)
	}
	return n
}

// in reports whether s holds one of the needles.
func (n *needles) in(s string) bool {
	for i := 0; i < len(s); i++ {
		for _, x := range n.by[s[i]] {
			if strings.HasPrefix(s[i:], x) {
				return true
			}
		}
	}
	return false
}
