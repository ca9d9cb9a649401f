package commands

import (
	"path"
	"regexp"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// normPath turns a path argument into a comparable form: quotes dropped,
// home directories written as ~, duplicate and trailing slashes removed.
func normPath(p string) string {
	p = strings.Trim(p, "\"'")
	for _, h := range []string{"${HOME}", "$HOME", "%USERPROFILE%", "$env:USERPROFILE", "${env:USERPROFILE}", "%userprofile%"} {
		if strings.HasPrefix(p, h) {
			p = "~" + p[len(h):]
		}
	}
	for _, pre := range []string{"/home/", "/Users/"} {
		if strings.HasPrefix(p, pre) {
			rest := p[len(pre):]
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				p = "~" + rest[i:]
			} else {
				p = "~"
			}
		}
	}
	if p == "/root" || strings.HasPrefix(p, "/root/") {
		p = "~" + p[len("/root"):]
	}
	if strings.HasPrefix(p, "~") && len(p) > 1 && p[1] != '/' {
		// ~user/…
		if i := strings.IndexByte(p, '/'); i > 0 {
			p = "~" + p[i:]
		} else {
			p = "~"
		}
	}
	p = strings.ReplaceAll(p, "\\", "/")
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		p = strings.TrimRight(p, "/")
		if p == "" {
			p = "/"
		}
	}
	return p
}

// secret is what a sensitive path holds.
type secret struct {
	what string
	sev  sdk.Severity
}

var sensitiveRes = []struct {
	re *litRe
	s  secret
}{
	{mustLitRe(`(^|/)\.ssh/(id_[a-z0-9_*]+|[a-z0-9_.-]*_(rsa|dsa|ecdsa|ed25519))$`), secret{"an SSH private key", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)id_(rsa|dsa|ecdsa|ed25519)(_sk)?$`), secret{"an SSH private key", sdk.SeverityHigh}},
	{mustLitRe(`^~/\.ssh(/\*)?$`), secret{"the SSH key directory", sdk.SeverityHigh}},
	{mustLitRe(`^/etc/ssh/ssh_host_[a-z0-9]+_key$`), secret{"an SSH host private key", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.aws(/(credentials|config|\*))?$`), secret{"AWS credentials", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.config/gcloud(/.*)?$|application_default_credentials\.json$`), secret{"Google Cloud credentials", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.azure(/.*)?$`), secret{"Azure credentials", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.kube/config$|^~/\.kube$`), secret{"Kubernetes credentials", sdk.SeverityHigh}},
	{mustLitRe(`^/var/run/secrets/kubernetes\.io/serviceaccount/token$|^/run/secrets/`), secret{"a service-account token", sdk.SeverityHigh}},
	{mustLitRe(`^/etc/kubernetes/(super-)?admin\.conf$|^/etc/kubernetes/(controller-manager|scheduler|kubelet)\.conf$|^/etc/kubernetes/pki/([^/]+/)?[^/]+\.key$|^/var/lib/kubelet/pki/[^/]+\.(key|pem)$|^/etc/rancher/k3s/k3s\.yaml$`), secret{"Kubernetes cluster credentials", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.docker/config\.json$`), secret{"Docker registry credentials", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.(netrc|git-credentials|pgpass|my\.cnf|vault-token|pypirc)$`), secret{"stored credentials", sdk.SeverityHigh}},
	{mustLitRe(`^~/\.npmrc$`), secret{"a package registry token", sdk.SeverityMedium}},
	{mustLitRe(`^/etc/networkmanager/system-connections(/.*)?$|^/etc/NetworkManager/system-connections(/.*)?$|^(/private)?/etc/kcpassword$|^(/private)?/var/db/systemkey$|^/etc/ldap\.secret$|(^|/)gitlab-secrets\.json$|(^|/)\.s3cfg$|(^|/)rclone/rclone\.conf$|(^|/)\.purple/accounts\.xml$|^/etc/(ppp/chap|ppp/pap)-secrets$|^/etc/ipsec\.secrets$`), secret{"stored service, network or login passwords", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)wpa_supplicant[^/]*\.conf$`), secret{"Wi-Fi passwords", sdk.SeverityMedium}},
	{mustLitRe(`^/dev/k?mem$|^/proc/kcore$|^/dev/crash$`), secret{"the machine's memory", sdk.SeverityHigh}},
	{mustLitRe(`(?i)^~/library/(messages/chat\.db|mail(/.*)?|safari/history\.db|application support/addressbook(/.*)?|group containers/group\.com\.apple\.notes(/.*)?)$`), secret{"the user's messages, mail, history, contacts or notes", sdk.SeverityMedium}},
	{mustLitRe(`(^|/)\.config/gh/hosts\.yml$|(^|/)\.terraform\.d/credentials\.tfrc\.json$|(^|/)\.cargo/credentials(\.toml)?$`), secret{"stored API tokens", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.gnupg(/(private-keys-v1\.d.*|secring\.gpg))?$|(^|/)\.password-store(/.*)?$`), secret{"private keys or a password store", sdk.SeverityHigh}},
	{mustLitRe(`^(/proc/[^/]+/root)?/etc/(shadow|gshadow|master\.passwd)-?$|^/etc/security/opasswd$`), secret{"the system password hashes", sdk.SeverityHigh}},
	{mustLitRe(`^/proc/(self|[0-9]+|\*|\$[^/]+)/environ$`), secret{"a process environment", sdk.SeverityHigh}},
	{mustLitRe(`^/tmp/krb5cc_[^/]*$|(^|/)krb5cc_[0-9a-z_*]+$|^/etc/krb5\.keytab$|(^|/)[^/]+\.keytab$|^/var/lib/sss/secrets(/.*)?$|^/var/lib/sss/db(/.*)?$`), secret{"Kerberos tickets or keys", sdk.SeverityHigh}},
	{mustLitRe(`(?i)(^|/)(login data|cookies|web data)$|(^|/)(logins\.json|key[34]\.db|cookies\.sqlite|signons\.sqlite|cookies\.binarycookies)$`), secret{"a browser credential store", sdk.SeverityHigh}},
	{mustLitRe(`(?i)/library/keychains(/.*)?$|\.keychain(-db)?$|/\.local/share/keyrings(/.*)?$`), secret{"a keychain", sdk.SeverityHigh}},
	{mustLitRe(`(?i)(^|/)(sam|system|security)\.(save|hiv|bak)$|/config/sam$|ntds\.dit$`), secret{"Windows credential hives", sdk.SeverityHigh}},
	{mustLitRe(`(^|/)\.env(\.(local|prod|production|staging|dev|development|test))?$`), secret{"an environment file with secrets", sdk.SeverityMedium}},
	{mustLitRe(`(^|/)\.(bash|zsh|sh|python|mysql|psql)_history$|(^|/)\.histfile$`), secret{"a shell history file", sdk.SeverityMedium}},
	{mustLitRe(`(^|/)[^/]*\.(pem|key|p12|pfx|jks|keystore)$`), secret{"a private key or keystore", sdk.SeverityMedium}},
	{mustLitRe(`^/etc/(passwd|sudoers)$`), secret{"the system account list", sdk.SeverityLow}},
}

// sensitiveKeywords prefilter sensitive: every pattern of sensitiveRes
// contains one of them.
var sensitiveKeywords = []string{"kubernetes", "kubelet", "k3s", ".ssh", "id_", ".aws", "gcloud", ".azure", ".kube", "secrets", ".docker", "netrc", "credentials",
	"pgpass", "my.cnf", "vault-token", "pypirc", "npmrc", "gh/hosts", "terraform.d", "cargo", "gnupg", "password-store", "shadow",
	"passwd", "environ", "login data", "cookies", "web data", "logins.json", "key3", "key4", "signons", "keychain", "keyrings",
	"sam", "system", "security", "ntds", "krb5", "keytab", "sss/", "system-connections", "kcpassword", "ldap.secret", "gitlab-secrets",
	"s3cfg", "rclone", "purple", "chat.db", "/mail", "history.db", "addressbook", "notes", "/dev/mem", "/dev/kmem", "kcore", "/dev/crash", "chap-secrets", "pap-secrets", "ipsec.secrets", "wpa_supplicant", ".env", "hist", ".pem", ".key", ".p12", ".pfx", ".jks", "keystore", "sudoers"}

var sensitiveNeedles = newNeedles(sensitiveKeywords...)

// sensitive classifies a path that holds secrets.
func sensitive(p string) (secret, bool) {
	if len(p) > 1024 || len(p) < 3 {
		return secret{}, false
	}
	if !sensitiveNeedles.in(asciiLower(p)) {
		return secret{}, false
	}
	n := normPath(p)
	if n == "" || strings.HasSuffix(n, ".pub") || strings.Contains(n, "://") {
		return secret{}, false
	}
	b := path.Base(n)
	if strings.HasPrefix(b, ".env.") && (strings.Contains(b, "example") || strings.Contains(b, "sample") || strings.Contains(b, "template") || strings.Contains(b, "dist")) {
		return secret{}, false
	}
	if !strings.ContainsAny(n, "/.") && !strings.HasPrefix(n, "id_") {
		return secret{}, false
	}
	for _, s := range sensitiveRes {
		if s.re.MatchString(n) {
			return s.s, true
		}
	}
	return secret{}, false
}

// systemDirs are top-level directories whose loss breaks the machine.
var systemDirs = set("/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/media", "/mnt", "/opt",
	"/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/usr", "/var", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share",
	"/var/lib", "/var/log", "/System", "/Library", "/Applications", "/Users", "/private", "/Volumes", "/snap", "/nix", "/nix/store",
	"c:", "c:/", "c:/windows", "c:/users", "c:/program files", "c:/windows/system32")

// rootTarget classifies a deletion target: "" for an ordinary path.
func rootTarget(p string) (string, sdk.Severity) {
	raw := strings.Trim(p, "\"'")
	n := normPath(raw)
	ln := strings.ToLower(n)
	switch {
	case n == "/" || n == "/*" || n == "/.*" || ln == "c:" || ln == "c:/" || ln == "c:/*":
		return "the root filesystem", sdk.SeverityCritical
	case n == "~" || n == "~/" || n == "~/*" || n == "~/.*" || n == "$HOME" || n == "${HOME}":
		return "the home directory", sdk.SeverityCritical
	case n == "*" || n == "./*" || n == "." || n == "./" || n == ".*" || n == "..":
		return "everything in the current directory", sdk.SeverityHigh
	case n == ".git" || strings.HasSuffix(n, "/.git"):
		return "the repository's history (.git)", sdk.SeverityHigh
	}
	t := strings.TrimSuffix(strings.TrimSuffix(n, "/*"), "/")
	if systemDirs[t] || systemDirs[strings.ToLower(t)] {
		return "the system directory " + t, sdk.SeverityCritical
	}
	if strings.HasPrefix(n, "~/") {
		rest := n[2:]
		switch strings.TrimSuffix(rest, "/*") {
		case "Documents", "Desktop", "Downloads", "Pictures", "Library", ".config", ".local", "src", "code", "projects", "go", "work", "workspace", "repos", "git":
			return "the home directory's " + strings.TrimSuffix(rest, "/*"), sdk.SeverityHigh
		}
	}
	// $VAR/ or $VAR/* with VAR unknown: deletes / when VAR is empty.
	if strings.HasPrefix(raw, "$") && (strings.HasSuffix(raw, "/") || strings.HasSuffix(raw, "/*")) && !strings.Contains(strings.TrimRight(raw, "/*"), "/") && !strings.Contains(raw, ":?") {
		return "a path built from a variable that may be empty (then /)", sdk.SeverityMedium
	}
	return "", 0
}

// isDevice reports whether p names a block device or raw disk.
func isDevice(p string) bool {
	n := normPath(p)
	return blockDevRe.MatchString(n)
}

var blockDevRe = regexp.MustCompile(`^/dev/(sd[a-z]+[0-9]*|hd[a-z]+[0-9]*|vd[a-z]+[0-9]*|xvd[a-z]+[0-9]*|nvme[0-9]+n[0-9]+(p[0-9]+)?|mmcblk[0-9]+(p[0-9]+)?|r?disk[0-9]+(s[0-9]+)?|md[0-9]+|dm-[0-9]+|mapper/.+|loop[0-9]+|root|mem|kmem|port)$|^\\\\\.\\physicaldrive[0-9]+$`)

// isURL reports whether s looks like a network address to fetch from.
func isURL(s string) bool {
	l := strings.ToLower(strings.Trim(s, "\"'"))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "ftp://") || strings.HasPrefix(l, "tftp://")
}

// urlHost returns the host of a URL or host:port argument.
func urlHost(s string) string {
	s = strings.Trim(s, "\"'")
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ']'); i > 0 {
			return strings.ToLower(s[1:i])
		}
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(s)
}
