package commands

import "strings"

// extraText is a script in another language found in the analysed text: a
// PowerShell -Command or decoded -EncodedCommand, or a cmd.exe /c line.
type extraText struct {
	text       string
	start, end int
	kind       string // "ps" or "cmd"
	encoded    bool
}

// windows records the script that a powershell, pwsh or cmd call runs.
func (w *walker) windows(c *call) {
	args := c.args()
	if c.name == "cmd" {
		for i, x := range args {
			switch strings.ToLower(x) {
			case "/c", "/k", "/r":
				w.a.extra = append(w.a.extra, extraText{text: strings.Join(args[i+1:], " "), start: c.start, end: c.end, kind: "cmd"})
				return
			}
		}
		return
	}
	for i := 0; i < len(args); i++ {
		x := args[i]
		if !strings.HasPrefix(x, "-") && !strings.HasPrefix(x, "/") {
			w.a.extra = append(w.a.extra, extraText{text: strings.Join(args[i:], " "), start: c.start, end: c.end, kind: "ps"})
			return
		}
		f := strings.ToLower(strings.TrimLeft(x, "-/"))
		switch {
		case f == "e" || f == "ec" || len(f) >= 2 && strings.HasPrefix("encodedcommand", f):
			if i+1 < len(args) {
				dec := utf16le(args[i+1])
				w.a.extra = append(w.a.extra, extraText{text: dec, start: c.start, end: c.end, kind: "ps", encoded: true})
			}
			return
		case f != "" && strings.HasPrefix("command", f):
			w.a.extra = append(w.a.extra, extraText{text: strings.Join(args[i+1:], " "), start: c.start, end: c.end, kind: "ps"})
			return
		case f != "" && (strings.HasPrefix("file", f) || f == "f"):
			return
		case f == "ep" || f == "ex" || strings.HasPrefix("executionpolicy", f) && len(f) > 2,
			f == "w" || strings.HasPrefix("windowstyle", f) && len(f) > 1,
			f == "v" || strings.HasPrefix("version", f) && len(f) > 1,
			f == "wd" || strings.HasPrefix("workingdirectory", f) && len(f) > 2,
			strings.HasPrefix("configurationname", f) && len(f) > 3,
			f == "o" || strings.HasPrefix("outputformat", f) && len(f) > 1,
			f == "if" || strings.HasPrefix("inputformat", f) && len(f) > 2,
			strings.HasPrefix("settingsfile", f) && len(f) > 1:
			i++
		}
	}
}

// normWin lowers a Windows command text and removes the quoting tricks
// that PowerShell and cmd.exe ignore: backticks, carets, and string
// concatenation ('Down'+'load').
func normWin(s string) string {
	s = asciiLower(s)
	if strings.ContainsAny(s, "`^") {
		s = strings.NewReplacer("`", "", "^", "").Replace(s)
	}
	if strings.Contains(s, "+") {
		s = strings.NewReplacer("'+'", "", "\"+\"", "", "' + '", "", "\" + \"", "").Replace(s)
	}
	return s
}

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
	"add-localgroupmember", "new-localuser", "remove-item", "clear-disk", "format-volume", "get-wmiobject", "gwmi", "invoke-mimikatz")

// windowsish reports whether the analysed text runs Windows programs or
// PowerShell, so that the Windows rules should read it. A POSIX command
// that merely mentions them (grep -r vssadmin, git commit -m "…") does not.
func (a *analysis) windowsish() bool {
	if len(a.extra) > 0 {
		return true
	}
	for _, c := range a.calls {
		n := c.name
		if winPrograms[n] || strings.HasSuffix(strings.ToLower(c.argv0()), ".exe") || strings.Contains(c.argv0(), "\\") {
			return true
		}
		// Verb-Noun cmdlets, and "(New-Object …)" style expressions.
		if i := strings.IndexByte(n, '-'); i > 0 && i < len(n)-1 && psVerbs[n[:i]] {
			return true
		}
		if strings.HasPrefix(n, "(") || strings.HasPrefix(n, "[") || strings.HasPrefix(n, "$") {
			return true
		}
	}
	return a.parseErr && strings.ContainsAny(a.text, "$`") && containsAny(asciiLower(a.text), "-object", "invoke-", "iex", "[system.", "[convert]", "$env:")
}

var psVerbs = set("get", "set", "new", "add", "remove", "invoke", "start", "stop", "clear", "register", "import", "export", "out",
	"write", "read", "test", "enable", "disable", "install", "uninstall", "expand", "compress", "copy", "move", "rename", "select",
	"where", "foreach", "measure", "convertto", "convertfrom", "resolve", "restart", "update", "format", "mount", "dismount", "wait", "use")
