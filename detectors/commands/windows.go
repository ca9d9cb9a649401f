package commands

import (
	"strings"

	"github.com/picketsec/picket/detectors/commands/internal/cmdexe"
)

// extraText is a script in another language found in the analysed text: a
// PowerShell -Command or decoded -EncodedCommand, or a cmd.exe /c line.
type extraText struct {
	text       string
	start, end int
	kind       string // "ps" or "cmd"
	encoded    bool
	parsed     bool // already read by the PowerShell parser (a string it decoded or invoked)
}

// windows records the script that a powershell, pwsh or cmd call runs.
func (w *walker) windows(c *call) {
	args := c.args()
	if c.name == "cmd" {
		if t := cmdexe.Inner(args); t != "" {
			w.a.extra = append(w.a.extra, extraText{text: t, start: c.start, end: c.end, kind: "cmd"})
		}
		return
	}
	if t, enc := psInner(args); t != "" {
		w.a.extra = append(w.a.extra, extraText{text: t, start: c.start, end: c.end, kind: "ps", encoded: enc})
	}
}

// psInner returns the script a powershell / pwsh command line runs: the
// -Command text (or the first positional argument onwards), or the decoded
// -EncodedCommand (encoded true). A -File script is not read.
func psInner(args []string) (text string, encoded bool) {
	for i := 0; i < len(args); i++ {
		x := args[i]
		if !strings.HasPrefix(x, "-") && !strings.HasPrefix(x, "/") && !strings.HasPrefix(x, "\u2013") {
			return strings.Join(args[i:], " "), false
		}
		f := strings.ToLower(strings.TrimLeft(x, "-/"))
		if k := strings.IndexByte(f, ':'); k > 0 {
			f = f[:k]
		}
		switch {
		case f == "e" || f == "ec" || len(f) >= 2 && strings.HasPrefix("encodedcommand", f):
			if i+1 < len(args) {
				return utf16le(args[i+1]), true
			}
			return "", false
		case f != "" && strings.HasPrefix("command", f):
			return strings.Join(args[i+1:], " "), false
		case f != "" && (strings.HasPrefix("file", f) || f == "f"):
			return "", false
		case f == "ep" || f == "ex" || strings.HasPrefix("executionpolicy", f) && len(f) > 2,
			f == "w" || strings.HasPrefix("windowstyle", f) && len(f) > 1,
			f == "v" || strings.HasPrefix("version", f) && len(f) > 1,
			f == "wd" || strings.HasPrefix("workingdirectory", f) && len(f) > 2,
			strings.HasPrefix("configurationname", f) && len(f) > 3,
			f == "o" || strings.HasPrefix("outputformat", f) && len(f) > 1,
			f == "if" || strings.HasPrefix("inputformat", f) && len(f) > 2,
			strings.HasPrefix("settingsfile", f) && len(f) > 1,
			f == "psconsolefile", f == "encodedarguments" || f == "ea":
			i++
		}
	}
	return "", false
}

// normWin lowers a Windows command text and removes the quoting tricks
// that PowerShell and cmd.exe ignore: backticks, carets, and string
// concatenation ('Down'+'load').
func normWin(s string) string {
	s = asciiLower(s)
	if strings.ContainsAny(s, "`^") {
		s = escapeChars.Replace(s)
	}
	if strings.Contains(s, "+") {
		s = stringJoins.Replace(s)
	}
	return s
}

// The Replacers normWin uses, built once (they are costly to make and safe
// to share).
var (
	escapeChars = strings.NewReplacer("`", "", "^", "")
	stringJoins = strings.NewReplacer("'+'", "", "\"+\"", "", "' + '", "", "\" + \"", "")
)

// asciiLower lowers ASCII letters only, so byte offsets do not move.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// winPrograms are Windows programs whose command lines the Windows rules
// read in the top-level text.
var winPrograms = set("powershell", "pwsh", "cmd", "certutil", "bitsadmin", "mshta", "regsvr32", "rundll32", "wmic", "vssadmin",
	"bcdedit", "wbadmin", "wevtutil", "netsh", "schtasks", "reg", "sc", "net", "net1", "procdump", "procdump64", "mimikatz", "cmstp",
	"msiexec", "odbcconf", "installutil", "forfiles", "ntdsutil", "vaultcmd", "cipher", "format", "diskpart", "rd", "del", "iex",
	"invoke-expression", "iwr", "irm", "invoke-webrequest", "invoke-restmethod", "hh", "esentutl", "fsutil", "pcalua", "msxsl",
	"powercat", "lazagne", "start-process", "new-object", "set-mppreference", "add-mppreference", "new-itemproperty",
	"set-itemproperty", "register-scheduledtask", "new-service", "clear-eventlog", "remove-eventlog", "set-netfirewallprofile",
	"add-localgroupmember", "new-localuser", "remove-item", "clear-disk", "format-volume", "get-wmiobject", "gwmi", "invoke-mimikatz",
	// WSL runs a Linux command line that the Windows dispatch hands to the
	// POSIX parser (wsl --exec bash -c '…').
	"wsl")

// windowsish reports whether the analysed text runs Windows programs or
// PowerShell, so that the Windows rules should read it. A POSIX command
// that merely mentions them (grep -r vssadmin, git commit -m "…") does not.
func (a *analysis) windowsish() bool {
	if a.winKnown {
		return a.winIs
	}
	a.winIs = a.isWindowsish()
	a.winKnown = true
	return a.winIs
}

func (a *analysis) isWindowsish() bool {
	if len(a.extra) > 0 || hasWinPath(a.text) || strings.Contains(a.text, ".\\") || containsAny(asciiLower(a.text), ".ps1", ".psm1") || hasMSProtocol(a.text) {
		return true
	}
	for _, c := range a.calls {
		n := c.name
		if strings.IndexByte(n, '^') > 0 {
			// cmd.exe caret escapes in the program's name (c^m^d): no POSIX
			// program is named so.
			n = strings.ReplaceAll(n, "^", "")
			if winPrograms[n] || winCatalogue[n] {
				return true
			}
		}
		if winPrograms[n] || winCatalogue[n] || strings.HasSuffix(strings.ToLower(c.argv0()), ".exe") || strings.HasSuffix(strings.ToLower(c.argv0()), ".dll") || strings.Contains(c.argv0(), "\\") {
			return true
		}
		// Verb-Noun cmdlets, and "(New-Object …)" style expressions.
		if i := strings.IndexByte(n, '-'); i > 0 && i < len(n)-1 && psVerbs[n[:i]] {
			return true
		}
		if n != "[" && n != "[[" && (strings.HasPrefix(n, "(") || strings.HasPrefix(n, "[") || strings.HasPrefix(n, "$")) {
			return true
		}
	}
	if !a.parseErr {
		return false
	}
	// Text the POSIX parser refuses: PowerShell (.NET static calls,
	// cmdlet-style words) or cmd.exe (for /f loops, programs named with
	// .exe).
	low := asciiLower(a.text)
	return strings.Contains(a.text, "]::") || strings.HasPrefix(strings.TrimSpace(low), "for /") ||
		lineStartsWith(low, "@echo off", "for /f ", "for /l ", "for /r ", "for /d ", "setlocal") ||
		containsAny(low, ".exe ", ".exe\"", ".exe'") ||
		strings.ContainsAny(a.text, "$`") && containsAny(low, "-object", "invoke-", "iex", "[system.", "[convert]", "$env:") ||
		// PowerShell with no variable in it: an alias made for
		// Invoke-Expression, a web call run inline (sal x iex; x (iwr …)).
		containsAny(low, "iex", "invoke-expression", "set-alias", "new-alias") && containsAny(low, "iwr", "irm", "invoke-webrequest", "invoke-restmethod", "downloadstring", "net.webclient")
}

// hasWinPath reports what only Windows command lines hold: drive paths
// (C:\), UNC paths (\\host\), %VARIABLES% and $env: references.
func hasWinPath(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ':':
			// C:\ after a word boundary.
			if i >= 1 && i+1 < len(s) && s[i+1] == '\\' && isLetter(s[i-1]) && (i == 1 || strings.IndexByte(" \t\n\"'=(", s[i-2]) >= 0) {
				return true
			}
		case '\\':
			if i+3 < len(s) && s[i+1] == '\\' && (s[i+2] == '?' || s[i+2] == '.') && s[i+3] == '\\' {
				return true // \\?\ and \\.\ device paths
			}
			if i+2 < len(s) && s[i+1] == '\\' && (isLetter(s[i+2]) || s[i+2] >= '0' && s[i+2] <= '9') && (i == 0 || strings.IndexByte(" \t\n\"'", s[i-1]) >= 0) {
				if j := strings.IndexByte(s[i+2:], '\\'); j > 0 && !strings.ContainsAny(s[i+2:i+2+j], " \t\n") {
					return true
				}
			}
		case '%':
			j := i + 1
			for j < len(s) && (isLetter(s[j]) || s[j] == '_' || j > i+1 && s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j > i+1 && j < len(s) && (s[j] == '%' || s[j] == ':' && j+1 < len(s) && (s[j+1] == '~' || strings.IndexByte(s[j+1:], '=') > 0 && strings.IndexByte(s[j+1:], '%') > strings.IndexByte(s[j+1:], '='))) {
				return true // %VAR%, %VAR:~1,3%, %VAR:a=b%
			}
		case '$':
			if i+5 <= len(s) && strings.EqualFold(s[i+1:i+5], "env:") {
				return true
			}
		}
	}
	return false
}

// hasMSProtocol reports a Windows protocol-handler address (ms-msdt:,
// ms-settings:, search-ms:) as a word of its own.
func hasMSProtocol(s string) bool {
	for off := 0; off < len(s); {
		i := strings.Index(s[off:], "ms")
		if i < 0 {
			return false
		}
		i += off
		off = i + 2
		j, k := i, i+2
		if strings.HasPrefix(s[i:], "ms-") {
			k = i + 3
			for k < len(s) && (isLetter(s[k]) || s[k] == '-') {
				k++
			}
			if k == i+3 {
				continue
			}
		} else if i >= 7 && strings.EqualFold(s[i-7:i], "search-") {
			j = i - 7
		} else {
			continue
		}
		if k < len(s) && s[k] == ':' && (j == 0 || strings.IndexByte(" \t\n\"'=", s[j-1]) >= 0) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// winCatalogue holds the Windows programs of the catalogue whose names are
// not also POSIX programs or shell built-ins. It is made by the catalogue's
// init (a package-level initializer would run before the catalogue is
// loaded and see no row).
var winCatalogue map[string]bool

func winCatalogueNames() map[string]bool {
	posixToo := set("expand", "more", "replace", "route", "arp", "netstat", "curl", "finger", "ftp", "tftp", "print", "at", "format",
		"type", "start", "where", "query", "cat", "cp", "tar", "zip", "rsync", "scp", "copy", "move", "control", "explorer", "hostname",
		"sqlite3", "whoami", "security", "w", "id", "ip", "ss", "wsl", "find", "sort", "tree", "mkdir", "echo", "set", "more", "dir",
		"klist", "query", "print", "ping", "tracert", "nslookup", "mklink", "install", "driverquery", "fsutil",
		// POSIX programs that some Windows rows also name (WSL, Git Bash,
		// PowerShell aliases): a POSIX script running them is not Windows.
		"rm", "mv", "bash", "sh", "ssh", "wget", "tee", "ln", "chmod", "touch", "sed", "awk", "kill", "rmdir", "mount", "dd",
		"shred", "grep", "ls", "python", "python3", "node", "perl", "ruby", "git", "docker", "kubectl", "gcloud", "aws", "az",
		"unzip", "openssl", "gpg", "xxd", "base64", "strings", "head", "tail", "less", "vim", "sftp", "plink", "tor", "socat",
		"date", "sleep", "env", "export", "kill", "ps", "tcpdump", "nc", "ncat", "telnet", "scp", "rsync", "code", "npm", "pip")
	m := map[string]bool{}
	for _, e := range catalogue {
		if e.Platform != "windows" {
			continue
		}
		for _, p := range e.Programs {
			if k := progKey(p); !posixToo[k] && !strings.Contains(k, "::") && !strings.HasPrefix(k, ".") {
				m[k] = true
			}
		}
	}
	return m
}

var psVerbs = set("get", "set", "new", "add", "remove", "invoke", "start", "stop", "clear", "register", "import", "export", "out",
	"write", "read", "test", "enable", "disable", "install", "uninstall", "expand", "compress", "copy", "move", "rename", "select",
	"where", "foreach", "measure", "convertto", "convertfrom", "resolve", "restart", "update", "format", "mount", "dismount", "wait", "use")
