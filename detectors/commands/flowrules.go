package commands

import (
	"path"
	"regexp"
	"strings"
)

// flowRules judge what a row of the catalogue cannot see: a manifest fed to
// kubectl on its standard input, security daemons found by name and
// killed, and kernel hardening switched off by writing to /proc/sys.
var flowRules = []*rule{
	{
		ID: "k8s-manifest-escape", Class: "container escape", Sev: high,
		Msg: "applies a pod manifest, given on standard input, that is privileged, shares the node's namespaces or mounts its root filesystem (ATT&CK T1611)",
		Must: []string{
			"kubectl apply -f - <<EOF\napiVersion: v1\nkind: Pod\nmetadata:\n  name: dbg\nspec:\n  hostPID: true\n  containers:\n  - name: x\n    image: alpine\nEOF",
			"cat <<EOF | kubectl create -f -\nkind: Pod\nspec:\n  containers:\n  - name: x\n    image: alpine\n    volumeMounts:\n    - mountPath: /host\n      name: root\n  volumes:\n  - name: root\n    hostPath:\n      path: /\nEOF",
			"echo '{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"alpine\",\"securityContext\":{\"privileged\":true}}]}}' | kubectl apply -f -",
		},
		MustNot: []string{
			"kubectl apply -f - <<EOF\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: prod\nEOF",
			"cat <<EOF | kubectl apply -f -\nkind: Pod\nspec:\n  containers:\n  - name: web\n    image: nginx\n    volumeMounts:\n    - mountPath: /cache\n      name: c\n  volumes:\n  - name: c\n    hostPath:\n      path: /var/cache/web\nEOF",
		},
		check: checkManifestEscape,
	},
	{
		ID: "encrypt-then-delete", Class: "impact", Sev: high,
		Msg: "encrypts a file and then deletes the original (the ransomware technique, ATT&CK T1486)",
		Must: []string{
			"gpg --batch --yes --passphrase x -c /home/bob/notes.db && rm /home/bob/notes.db",
			"for f in $(find /srv/data -type f); do openssl enc -aes-256-cbc -in \"$f\" -out \"$f.enc\" -pass pass:x && rm \"$f\"; done",
		},
		MustNot: []string{
			"gpg -c backup.tar && rm backup.tar.old",
			"openssl enc -d -aes-256-cbc -in a.enc -out a.tar -pass pass:x && rm a.enc",
		},
		check: checkEncryptThenDelete,
	},
	{
		ID: "kill-security-daemon", Class: "defense evasion", Sev: high,
		Msg:  "kills or stops a security or logging daemon found by name (ATT&CK T1562.001)",
		Must: []string{"kill -9 $(pgrep auditd)", "pkill -9 falcon-sensor", "killall -9 osqueryd", "kill $(pidof rsyslogd)", "kill -9 $(ps aux | grep -i '[o]squeryd' | awk '{print $2}')"},
		MustNot: []string{
			"pkill -f 'node server.js'", "kill $(pgrep -f webpack)", "pgrep auditd",
		},
		check: checkKillSecurity,
	},
	{
		ID: "proc-sys-hardening-off", Class: "defense evasion", Sev: high,
		Msg:     "turns off a kernel hardening setting by writing to /proc/sys (ATT&CK T1562.001)",
		Must:    []string{"echo 0 > /proc/sys/kernel/randomize_va_space", "echo 0 | sudo tee /proc/sys/kernel/yama/ptrace_scope"},
		MustNot: []string{"cat /proc/sys/kernel/randomize_va_space", "echo 1 > /proc/sys/net/ipv4/ip_forward"},
		check:   checkProcSys,
	},
	{
		ID: "decode-then-run", Class: "obfuscated execution", Sev: high,
		Msg: "decodes a hidden payload into a file and then runs it (ATT&CK T1140)",
		Must: []string{
			"base64 -d /tmp/p.b64 > /tmp/p && chmod +x /tmp/p && /tmp/p",
			"echo f0VMRgIBAQ | base64 -d > /tmp/x; chmod +x /tmp/x; /tmp/x",
			"xxd -r -p payload.hex > run.sh; bash run.sh",
		},
		MustNot: []string{
			"base64 -d cert.b64 > cert.pem && openssl x509 -in cert.pem -noout -text",
			"base64 -d tool.b64 > tool.tgz && tar xzf tool.tgz",
		},
		check: checkDecodeThenRun,
	},
	{
		ID: "sysrq-trigger", Class: "denial of service", Sev: medium,
		Msg:     "crashes, reboots or powers off the machine through the kernel's SysRq trigger (ATT&CK T1529)",
		Must:    []string{"echo b > /proc/sysrq-trigger", "echo c | sudo tee /proc/sysrq-trigger"},
		MustNot: []string{"cat /proc/sys/kernel/sysrq"},
		check:   checkSysrq,
	},
}

func init() { rules = append(rules, flowRules...) }

// checkDecodeThenRun: a decoder writes a file (a redirection or -o) that a
// later command of the same text runs.
func checkDecodeThenRun(c *call, _ *config) *hit {
	if !isDecoder(c) && !(c.next == nil && c.prev != nil && isDecoder(c.prev) && c.name == "tee") {
		return nil
	}
	var out []string
	for _, w := range writes(c) {
		if !isDevice(w) && w != "/dev/null" {
			out = append(out, baseName(w))
		}
	}
	if v, ok := optValue(c, "-o", "--output"); ok {
		out = append(out, baseName(v))
	}
	if v, ok := optValue(c, "", "-out"); ok && c.name == "openssl" {
		out = append(out, baseName(v))
	}
	if len(out) == 0 {
		return nil
	}
	for _, o := range c.later() {
		x := executes(o)
		if x == "" {
			continue
		}
		for _, f := range out {
			if baseName(x) == f {
				switch path.Ext(f) {
				case ".tgz", ".gz", ".zip", ".tar", ".json", ".txt", ".pem", ".crt", ".key", ".csv", ".xml", ".yaml", ".yml":
					return nil
				}
				return c.rule()
			}
		}
	}
	return nil
}

func checkSysrq(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		if normPath(w) == "/proc/sysrq-trigger" {
			return c.rule()
		}
	}
	return nil
}

var (
	// manifestEscapeRe finds the pod settings that reach the node, in YAML
	// or JSON, in lower case.
	manifestEscapeRe = regexp.MustCompile(`"?(privileged|hostpid|hostnetwork|hostipc|allowprivilegeescalation)"?\s*:\s*true\b|"?add"?\s*:\s*\[?\s*-?\s*"?(sys_admin|all|sys_ptrace|sys_module)\b`)
	hostPathRe       = regexp.MustCompile(`hostpath"?\s*:\s*\{?\s*"?path"?\s*:\s*"?(/|/etc|/root|/var/run/docker\.sock|/run/containerd/containerd\.sock|/var/lib/kubelet|/proc|/dev|/var/run|/home)"?\s*(\n|,|\}|$)`)
)

func checkManifestEscape(c *call, _ *config) *hit {
	if c.name != "kubectl" && c.name != "oc" {
		return nil
	}
	sub := c.arg(1)
	if sub != "apply" && sub != "create" && sub != "replace" && sub != "run" {
		return nil
	}
	stdin := false
	for i, a := range c.args() {
		if a == "-f=-" || a == "--filename=-" || (a == "-f" || a == "--filename") && c.arg(i+2) == "-" {
			stdin = true
		}
	}
	if !stdin {
		return nil
	}
	body := c.stdin
	for _, p := range upstream(c) {
		if p.stdin != "" {
			body += "\n" + p.stdin
		}
		if p.name == "echo" || p.name == "printf" {
			body += "\n" + strings.Join(p.args(), " ")
		}
	}
	if body == "" {
		return nil
	}
	l := strings.ToLower(body)
	if manifestEscapeRe.MatchString(l) || hostPathRe.MatchString(l) {
		return c.rule()
	}
	return nil
}

// securityDaemons are security agents and logging daemons.
var securityDaemons = set("auditd", "auditbeat", "falcon-sensor", "falcond", "falcon", "osqueryd", "osquery", "wazuh-agentd", "ossec-agentd",
	"sysmon", "sysmonforlinux", "rsyslogd", "syslog-ng", "systemd-journald", "filebeat", "elastic-agent", "elastic-endpoint",
	"cbagentd", "cbdaemon", "sentinelone", "sentineld", "mdatp", "wdavdaemon", "clamd", "freshclam", "aide", "tripwire", "snort",
	"suricata", "zeek", "apparmor", "splunkd", "td-agent", "fluentd", "fluent-bit", "amazon-ssm-agent", "google_osconfig_agent", "qualys-cloud-agent",
	"little snitch", "littlesnitch", "little snitch daemon", "lulu", "blockblock", "santad", "xprotect", "xprotectservice", "mrt", "syspolicyd",
	"jamf", "jamfdaemon", "sophosscand", "sophosantivirus", "com.crowdstrike.falcon.agent")

func checkKillSecurity(c *call, _ *config) *hit {
	names := func(args []string) bool {
		for _, a := range args {
			if securityDaemons[strings.ToLower(strings.NewReplacer("[", "", "]", "").Replace(strings.Trim(a, "'\"")))] {
				return true
			}
		}
		return false
	}
	switch c.name {
	case "pkill", "killall":
		if names(c.args()) {
			return c.rule()
		}
	case "kill":
		for _, s := range c.substs {
			if (s.name == "pgrep" || s.name == "pidof") && names(s.args()) {
				return c.rule()
			}
			// kill $(ps aux | grep -i falcon | awk '{print $2}')
			for _, u := range append([]*call{s}, upstream(s)...) {
				if u.name == "grep" || u.name == "egrep" || u.name == "pgrep" {
					for _, a := range u.args() {
						if daemonPrefix(strings.ToLower(strings.NewReplacer("[", "", "]", "").Replace(strings.Trim(a, "'\"")))) {
							return c.rule()
						}
					}
				}
			}
		}
	}
	return nil
}

var procSysHardening = set("/proc/sys/kernel/randomize_va_space", "/proc/sys/kernel/yama/ptrace_scope", "/proc/sys/kernel/kptr_restrict",
	"/proc/sys/kernel/dmesg_restrict", "/proc/sys/kernel/unprivileged_bpf_disabled", "/proc/sys/fs/protected_symlinks", "/proc/sys/fs/protected_hardlinks")

func checkProcSys(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		if procSysHardening[normPath(w)] {
			return c.rule()
		}
	}
	return nil
}

// daemonPrefix reports whether a grep pattern names a security daemon: the
// name itself or a prefix of it of five letters or more (falcon, osquery).
func daemonPrefix(p string) bool {
	if len(p) < 5 || strings.HasPrefix(p, "-") {
		return false
	}
	for d := range securityDaemons {
		if strings.HasPrefix(d, p) {
			return true
		}
	}
	return false
}

// encryptedInput returns the file an encrypting call reads (openssl enc
// -in F, gpg -c F, ccrypt F, age … F), or "".
func encryptedInput(c *call) string {
	args := c.args()
	switch c.name {
	case "openssl":
		if c.arg(1) != "enc" && !strings.HasPrefix(c.arg(1), "aes") && !strings.HasPrefix(c.arg(1), "des") || hasFlag(c, "d") {
			return ""
		}
		if v, ok := optValue(c, "-in", ""); ok {
			return v
		}
	case "gpg", "gpg2":
		if !hasFlag(c, "c", "--symmetric") && !hasFlag(c, "e", "--encrypt") {
			return ""
		}
		if len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-") {
			return args[len(args)-1]
		}
	case "ccrypt", "ccencrypt", "age":
		if hasFlag(c, "d", "--decrypt") {
			return ""
		}
		if len(args) > 0 && !strings.HasPrefix(args[len(args)-1], "-") {
			return args[len(args)-1]
		}
	}
	return ""
}

func checkEncryptThenDelete(c *call, _ *config) *hit {
	if c.name != "rm" && c.name != "shred" && c.name != "unlink" && c.name != "srm" {
		return nil
	}
	del := map[string]bool{}
	for _, a := range c.args() {
		if !strings.HasPrefix(a, "-") {
			del[a] = true
		}
	}
	for _, o := range c.a.calls {
		if o == c {
			return nil // only encryptions before the deletion count
		}
		if in := encryptedInput(o); in != "" && del[in] {
			return c.rule()
		}
	}
	return nil
}
