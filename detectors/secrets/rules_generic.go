package secrets

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// keyRules are private keys and password hashes.
func keyRules() []*Rule {
	return []*Rule{
		{ID: "private-key", Class: "private-key", Description: "private key (PEM)", Severity: crit, Confidence: 0.95,
			Keywords: s("-----begin"), Ahead: 16384,
			Regex: `-----BEGIN[ A-Z0-9_\-]{0,40}PRIVATE KEY-----[\s\S]{20,}?-----END[ A-Z0-9_\-]{0,40}PRIVATE KEY-----`,
			Check: pemBodyCheck,
			Examples: s("-----BEGIN RSA PRIVATE KEY-----\nMIIEow{b64:64}\n{b64:64}\n{b64:40}==\n-----END RSA PRIVATE KEY-----",
				"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA{b64:64}\\n{b64:50}\\n-----END OPENSSH PRIVATE KEY-----",
				"     1→-----BEGIN PRIVATE KEY-----\n     2→MIIEvQ{b64:58}\n     3→{b64:64}\n     4→-----END PRIVATE KEY-----"),
			NonExamples: s("-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----", "-----BEGIN PUBLIC KEY-----\nMIIB{b64:64}\n-----END PUBLIC KEY-----",
				"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----")},
		{ID: "private-key-truncated", Class: "private-key", Description: "private key (PEM, truncated)", Severity: high, Confidence: 0.8,
			Keywords: s("-----begin"), Ahead: 2048,
			Regex:       `-----BEGIN[ A-Z0-9_\-]{0,40}PRIVATE KEY-----(?:\\[rn]|[\s→|:0-9"'+,])+((?:[A-Za-z0-9+/=]|\\[rn]|[\s→|:0-9"'+,]){120,1000})`,
			Check:       pemBodyCheck,
			Examples:    s("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI{b64:55}\n{b64:64}"),
			NonExamples: s("-----BEGIN EC PRIVATE KEY-----\n<your key here>")},
		{ID: "pgp-private-key", Class: "private-key", Description: "PGP private key block", Severity: crit, Confidence: 0.95,
			Keywords: s("-----begin pgp private key block"), Ahead: 16384,
			Regex:       `-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]{40,}?-----END PGP PRIVATE KEY BLOCK-----`,
			Check:       pemBodyCheck,
			Examples:    s("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF{b64:64}\n{b64:64}\n=AbCd\n-----END PGP PRIVATE KEY BLOCK-----"),
			NonExamples: s("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n...\n-----END PGP PRIVATE KEY BLOCK-----")},
		{ID: "putty-private-key", Class: "private-key", Description: "PuTTY private key", Severity: crit, Confidence: 0.9,
			Keywords: s("putty-user-key-file-"), Ahead: 8192,
			Regex:       `PuTTY-User-Key-File-\d: [\s\S]{0,400}?Private-Lines: \d+\r?\n((?:[A-Za-z0-9+/=]{16,}\r?\n?){1,60})`,
			Examples:    s("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: demo\nPublic-Lines: 2\n{b64:64}\n{b64:20}\nPrivate-Lines: 1\n{b64:44}\nPrivate-MAC: {hex:64}"),
			NonExamples: s("PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\n")},
		{ID: "ssh-dss-or-ec-key-json", Class: "private-key", Description: "JSON-embedded private key material", Severity: high, Confidence: 0.8,
			Keywords: s(`"private_key"`, `"privatekey"`), Back: 8, Ahead: 8192,
			Regex: `(?i)"private_?key"\s*:\s*"(?-i:([A-Za-z0-9+/]{60,}={0,2}))"`, Entropy: 4.5,
			Examples: s(`{"privateKey": "{b64:88}=="}`), NonExamples: s(`{"privateKey": "{b64:20}"}`, `{"private_key": "-----BEGIN"}`)},
		{ID: "jwt", Class: "jwt", Description: "JSON Web Token", Severity: med, Confidence: 0.7,
			Keywords: s("eyj"), Back: 8, Ahead: 8192, Check: jwtCheck,
			Regex:       `\b(eyJ[A-Za-z0-9_\-]{10,}={0,2}\.eyJ[A-Za-z0-9_\-]{10,}={0,2}\.[A-Za-z0-9_\-]{16,}={0,2})`,
			Examples:    s("Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ{url:60}.{url:43}"),
			NonExamples: s("eyJhbGciOiJub25lIn0.eyJ{url:40}.{url:20}", "eyJ{url:5}.eyJ{url:5}.{url:5}")},
		{ID: "bcrypt-hash", Class: "password-hash", Description: "bcrypt password hash", Severity: med, Confidence: 0.8,
			Keywords: s("$2a$", "$2b$", "$2y$"), Back: 8, Ahead: 80,
			Regex:    `(\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53})`,
			Examples: s("hash: $2b$12${b64:53}"), NonExamples: s("$2b$12$short")},
		{ID: "sha-crypt-hash", Class: "password-hash", Description: "SHA-crypt password hash", Severity: med, Confidence: 0.8,
			Keywords: s("$5$", "$6$"), Back: 8, Ahead: 160,
			Regex:    `(\$[56]\$(?:rounds=\d{3,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86})`,
			Examples: s("root:$6${an:16}${an:86}:19000:0:99999:7:::"), NonExamples: s("price: $5$ per month")},
		{ID: "md5-crypt-hash", Class: "password-hash", Description: "MD5-crypt / Apache password hash", Severity: med, Confidence: 0.75,
			Keywords: s("$1$", "$apr1$"), Back: 64, Ahead: 64,
			Regex:    `(\$(?:1|apr1)\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22,40})`,
			Examples: s("admin:$apr1${an:8}${an:22}", "deploy:$apr1${an:8}${an:22}{lc:6}"), NonExamples: s("$1$ and $2$ and $3$")},
		{ID: "argon2-hash", Class: "password-hash", Description: "Argon2 password hash", Severity: med, Confidence: 0.8,
			Keywords: s("$argon2"), Ahead: 200,
			Regex:    `(\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{32,})`,
			Examples: s("$argon2id$v=19$m=65536,t=3,p=4${b64:22}${b64:43}"), NonExamples: s("$argon2id$v=19$m=65536")},
		{ID: "kerberos-hash", Class: "password-hash", Description: "Kerberos AS-REP / TGS hash", Severity: med, Confidence: 0.8,
			Keywords: s("$krb5asrep$", "$krb5tgs$"), Ahead: 4096,
			Regex:    `(\$krb5(?:asrep|tgs)\$\d{1,2}\$(?:[^\s$:]{1,200}[:$])?[a-f0-9]{32}\$[a-f0-9]{64,})`,
			Examples: s("$krb5asrep$23$svc@corp.lan:{hex:32}${hex:200}"), NonExamples: s("$krb5asrep$23$")},
		{ID: "cisco-type8-9-hash", Class: "password-hash", Description: "Cisco type 8/9 password hash", Severity: med, Confidence: 0.75,
			Keywords: s("$8$", "$9$"), Ahead: 80,
			Regex:    `(\$[89]\$[./A-Za-z0-9]{14}\$[./A-Za-z0-9]{43})`,
			Examples: s("enable secret 9 $9${an:14}${an:43}"), NonExamples: s("costs $8$ each")},
		{ID: "htpasswd-sha", Float: true, Class: "password-hash", Description: "htpasswd SHA password hash", Severity: med, Confidence: 0.75,
			Keywords: s("{sha}"), Back: 64, Ahead: 40,
			Regex:    `(?m)^[\w.\-@]{1,64}:(\{SHA\}[A-Za-z0-9+/]{27}=)`,
			Examples: s("admin:{SHA}{b64:27}="), NonExamples: s("hash = {SHA}")},
	}
}

// connRules are connection strings and URLs that carry a password.
func connRules() []*Rule {
	// userinfo with a non-empty password, stopping at '@'; the user may be
	// empty (redis://:password@host, Redis's own form: AUTH with a password
	// only).
	const creds = `[^\s:@/"'\x60<>]{0,128}:([^\s@/"'\x60<>]{3,128})@`
	url := func(id, desc, schemes string, kws []string, ex, non []string) *Rule {
		return &Rule{ID: id, Class: "database-url", Description: desc, Severity: high, Confidence: 0.85, Keywords: kws, Back: 32, Ahead: 300,
			Regex: `(?i)\b(?:` + schemes + `)://` + creds, Check: urlPasswordCheck, Weak: defaultPassword, Examples: ex, NonExamples: non}
	}
	return []*Rule{
		url("postgres-url", "PostgreSQL connection URL with password", `postgres|postgresql|postgis|pgsql`, s("postgres", "pgsql"),
			s("DATABASE_URL=postgres://app:{an:16}@db.example.com:5432/app", "postgresql://user:{an:12}@localhost:5433", "postgres://app:admin@db.internal:5432/app"),
			s("postgres://user:${DB_PASSWORD}@db/app", "postgres://user:password@localhost/db", "postgres://localhost/db", "postgres://app:admin@[2001:db8::7]:5432/app", "postgres://app:secret@192.0.2.10/app")),
		url("mysql-url", "MySQL connection URL with password", `mysql|mysql2|mariadb|mysql\+pymysql|mysql\+mysqldb`, s("mysql", "mariadb"),
			s("mysql://root:{an:14}@127.0.0.1:3306/shop"), s("mysql://root:<password>@localhost/shop")),
		url("mongodb-url", "MongoDB connection URL with password", `mongodb|mongodb\+srv`, s("mongodb"),
			s("mongodb+srv://admin:{an:16}@cluster0.abcde.mongodb.net/test"), s("mongodb+srv://admin:<db_password>@cluster0.example.net")),
		url("redis-url", "Redis connection URL with password", `rediss?`, s("redis"),
			s("REDIS_URL=redis://default:{an:20}@cache.example.com:6379", "rediss://:{an:40}=@cache-01.redis.internal:6380"), s("redis://localhost:6379/0", "redis://:@localhost:6379")),
		url("amqp-url", "AMQP (RabbitMQ) connection URL with password", `amqps?`, s("amqp"),
			s("amqp://guest:{an:16}@mq.example.com:5672/", "amqp://guest:guest@localhost:5672/"), s("amqp://guest:${RABBITMQ_PASS}@localhost:5672/")),
		url("mssql-url", "SQL Server connection URL with password", `mssql|sqlserver|mssql\+pyodbc`, s("mssql", "sqlserver"),
			s("mssql://sa:{an:16}@db.example.com:1433/app"), s("mssql://sa:${SA_PASSWORD}@db/app")),
		url("ldap-url", "LDAP URL with password", `ldaps?`, s("ldap"),
			s("ldap://cn=admin:{an:16}@ldap.example.com"), s("ldap://ldap.example.com")),
		url("ftp-url", "FTP URL with password", `s?ftp|ftps|sftp`, s("ftp"),
			s("ftp://deploy:{an:14}@ftp.example.com/pub"), s("ftp://anonymous:anonymous@ftp.example.com")),
		url("smtp-url", "SMTP URL with password", `smtps?`, s("smtp"),
			s("SMTP_URL=smtp://mailer:{an:16}@smtp.example.com:587"), s("smtp://smtp.example.com")),
		{ID: "basic-auth-url", Class: "basic-auth", Description: "URL with embedded credentials", Severity: high, Confidence: 0.75, Keywords: s("://"), Back: 32,
			Regex: `://` + creds, Check: urlPasswordCheck, Weak: defaultPassword, Ahead: 260,
			Examples:    s("git clone https://deploy:{an:20}@git.example.com/team/repo.git", "http://username:{lc:30}@example.com"),
			NonExamples: s("https://user:${TOKEN}@example.com", "https://ci:@pkgs.example.org/simple", "https://example.com/a:b@c", "https://user:pass@example.com")},
		{ID: "jdbc-url-password", Class: "database-url", Description: "JDBC URL with password", Severity: high, Confidence: 0.8, Keywords: s("jdbc:"), Back: 8, Ahead: 400,
			Regex: `(?i)jdbc:[a-z0-9]+:[^\s"'<>]{0,200}?[?;&]password=([^\s;&"'<>]{3,128})`,
			Check: urlPasswordCheck, Weak: defaultPassword,
			Examples: s("jdbc:mysql://db.example.com:3306/app?user=app&password={an:16}"), NonExamples: s("jdbc:mysql://localhost/ledger?user=root&password=${LEDGER_PASS}")},
		{ID: "odbc-connection-string", Float: true, Class: "database-url", Description: "ODBC / ADO.NET connection string with password", Severity: high, Confidence: 0.8,
			Keywords: s("pwd=", "password=", "pwd =", "password ="), Back: 300, Ahead: 200,
			Regex: `(?i)(?:server|data source|host|driver|database|initial catalog|uid|user id|user)\s*=[^;\n]{1,120};[^\n]{0,300}?\b(?:pwd|password)\s*=\s*(?-i:([^;\s"'<>]{3,128}))`,
			Check: urlPasswordCheck, Weak: defaultPassword,
			Examples:    s(`Server=tcp:db.example.com,1433;Database=app;User ID=app;Password={an:16};Encrypt=true;`, `"Driver={SQL Server};Server=db;Uid=sa;Pwd={an:12};"`),
			NonExamples: s(`uid=#{datastore['DBUID']};pwd=#{datastore['DBPASSWORD']}`, `Server=db;User Id=sa;Password=$(SA_PASSWORD);`)},
	}
}

// genericRules guess a secret from its context: an assignment to a
// telling name, an auth header, a command-line flag. They run behind their
// keywords and entropy thresholds and report below the blocking severity.
func genericRules() []*Rule {
	// value alternatives: double-quoted, single-quoted, backtick, bare.
	const value = `(?:"([^"\n\\]{4,200})"|'([^'\n\\]{4,200})'|\x60([^\x60\n\\]{4,200})\x60|([^\s"'\x60;,<>(){}\[\]]{4,200}))`
	const sep = `\s{0,4}(?:=|:=|:|=>|==|\|\||\?\?=|\?=)\s{0,4}`
	return []*Rule{
		{ID: "generic-password", Match: matchAssignment, Class: "generic", Description: "hard-coded password", Severity: med, Confidence: 0.55, Generic: true, AnyGroup: true,
			Keywords: s("password", "passwd", "passphrase", "pwd", "pass"), Ahead: 300, MinLen: 6, StrongEntropy: 3, StrongLen: 8,
			Regex:    `(?i)((?:password|passwd|passphrase|pwd)[\w.\-]{0,25})["'\x60\]]{0,2}` + sep + value,
			Examples: s(`DB_PASSWORD="{an:14}"`, "login = zed\npassword = tangerine_sky", `define('DB_PASSWORD', '{an:12}');`, `props.setProperty("mail.password", "{an:12}")`, "PASS = '{an:12}'", ":password       => '{an:8}',", `password: '{an:10}!'`, "SSHpassword = {lc:9}", `"db_password": "{an:12}"`),
			NonExamples: s(`password = os.getenv("DB_PASSWORD")`, `password: ${DB_PASSWORD}`, `password = "password"`, `passwordHint:"Your password:"`,
				`password = ""`, `SMTP_PASSWORD=SMTP_PASSWORD`, "compass = {an:12}", `const password = process.env.APP_PASSWORD || "not-set"`, "password = extra$pepper", "password = hashed_pw", "pwd = user_input", `$password = $request->input('password');`, `check("password", input)`, `os.getenv('DB_PASSWORD', '')`, `flash('Please check your email and password.', 'danger')`, "s_password = newPassword;", "$Password = Read-Host -AsSecureString",
				"Use a strong Wi-Fi password: Create a strong passphrase", "export PASSWORD_REGION=eu-west-{dig:1}", "password: changeme", "password = <PASSWORD_HERE>", "ftp->user = \"anonymous\";\nftp->password = \"{lc:6}@\";")},
		{ID: "generic-password-xml", Float: true, Class: "generic", Description: "hard-coded password (XML element)", Severity: med, Confidence: 0.5, Generic: true,
			Keywords: s("password>", "passwd>", "passphrase>", "pass>", "master>", "secret>", "token>", "apikey>", "api_key>", "<password ", "<pass "), Back: 40, Ahead: 260, MinLen: 6, SecretGroup: 2,
			// <Pass> (FileZilla), <passphrase> and <master> (Maven's settings and
			// settings-security), attributes (<Pass encoding="base64">) and
			// blanks around the value.
			Regex:       `(?i)<([\w.\-]{0,30}(?:password|passwd|passphrase|secret|token|api_?key)[\w.\-]{0,20}|(?:[\w.\-]{0,20}[_.\-])?pass|master)(?:\s[^<>]{0,60})?>[ \t]{0,8}([^<\s]{4,200})[ \t]{0,8}</`,
			Examples:    s("<password>{an:12}</password>", "<ApiKey>{an:32}</ApiKey>", "<Server><Pass>{an:10}!</Pass></Server>", `<Pass encoding="base64">{b64:24}</Pass>`, "<passphrase>  {an:14}  </passphrase>", "<master>{b64:24}</master>"),
			NonExamples: s("<compass>{an:12}</compass>", "<bypass>true</bypass>", "<password>password</password>", "<password>${DB_PASSWORD}</password>", "<MasterUserPassword><PASSWORD_HERE></MasterUserPassword>")},
		{ID: "generic-password-flag", Class: "generic", Description: "password on a command line", Severity: med, Confidence: 0.5, Generic: true,
			Keywords: s("-p ", "--password", "-password", "/p:"), Ahead: 140, MinLen: 6, WordStart: true,
			Regex:    `(?:--?(?i:password)(?:=|\s+)|-p\s+|/p:)["']?([^\s"'$%]{4,128})`,
			Examples: s("xfreerdp /u:admin /p:{an:12} /v:192.0.2.5", "psexec \\\\host -u admin -p {an:12} cmd", "hydra -l admin -p {an:10} ssh://10.0.0.9", "docker login -u ci -p {an:16} registry.example.com", "mysql -u root --password={an:14} shop", "Connect-VIServer -Server 10.0.0.5 -User admin -Password {an:10}!"), NonExamples: s("mkdir -p /tmp/build", "psexec -p $PASS", "ssh -p 2222 host", "sudo tuned -p throughput-performance", "fly -t main unpause-pipeline -p deploy_api",
				"plutil -p Settings.plist", "msfvenom -p linux/x64/exec CMD=id -f elf",
				"msbuild App.sln /t:Build /p:Configuration=Release", "dotnet publish -c Release /p:Version=1.4.2 /p:PublishSingleFile=true")},
		cli("cli-password", "password on a database client's command line", s("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlshow", "mysqlcheck", "redis-cli", "sqlcmd", "bcp", "osql"),
			`(mysql(?:dump|admin|import|show|check)?|redis-cli|sqlcmd|bcp|osql)\b(?:[^\n|;&]{0,120}?\s-p(?-i:(`+cliValue+`))|[^\n|;&]{0,120}?\s-a\s+["']?(`+cliValue+`)|[^\n|;&]{0,120}?\s-P\s*["']?(`+cliValue+`))`,
			s("mysqldump -h db -uroot -p{an:12} shop > dump.sql", "redis-cli -h cache -a '{an:16}' ping", "sqlcmd -S db01 -U sa -P {an:12} -Q \"select 1\""),
			s("mysql -u root -p shop", "mysql -uroot -p$MYSQL_PWD", "redis-cli -a $REDIS_PASSWORD ping", "sqlcmd -S db -U sa -P $(cat pw)")),
		cli("keystore-password", "keystore password on a keytool or jarsigner command line", s("keytool", "jarsigner"),
			`(keytool|jarsigner)\b[^\n|;&]{0,200}?\s-(?:src|dest|new)?(?:storepass|keypass)\s+["']?(`+cliValue+`)`,
			s("keytool -importkeystore -srckeystore a.jks -srcstorepass {an:12} -destkeystore b.p12", "jarsigner -keystore k.jks -storepass {an:10} app.apk key"),
			s("keytool -list -keystore a.jks -storepass:env STORE_PASS", "keytool -list -storepass $STOREPASS")),
		cli("smb-user-password", "password in an SMB-style user%password argument", s("smbclient", "rpcclient", "smbmap", "winexe", "smbcacls"),
			`(smbclient|rpcclient|smbmap|winexe|smbcacls)\b[^\n|;&]{0,200}?\s-U\s+["']?[^\s%"']{1,64}%(`+cliValue+`)`,
			s("smbclient //fs01/share -U backup%{an:12}"), s("smbclient //fs01/share -U backup", "smbclient -U 'svc%$SMB_PASS' //fs/x")),
		cli("htpasswd-batch", "password on an htpasswd -b command line", s("htpasswd"),
			`(htpasswd)\b[^\n|;&]{0,40}?\s-[A-Za-z]*b[A-Za-z]*(?:\s+-[A-Za-z]+)*\s+\S+\s+\S+\s+["']?(`+cliValue+`)`,
			s("htpasswd -b -c /etc/nginx/.htpasswd admin {an:12}", "htpasswd -Bbc .htpasswd ops '{an:14}'"), s("htpasswd -c /etc/nginx/.htpasswd admin", "htpasswd -b .htpasswd admin $PASS")),
		cli("net-user-password", "password set with net user", s("net user"),
			`(net\s+user)\s+["']?[^\s"'/]{1,64}["']?\s+["']?(`+cliValue+`)`,
			s("net user svc_backup {an:12} /add"), s("net user svc_backup * /add", "net user svc_backup /delete", "net user admin /active:yes")),
		cli("sshpass-password", "password glued to sshpass -p", s("sshpass"),
			`(sshpass)\s+-p(`+cliValue+`)`,
			s("sshpass -p{an:12} ssh ops@10.1.2.3"), s("sshpass -e ssh ops@host", "sshpass -p$PASS ssh ops@host")),
		{ID: "securestring-password", Class: "generic", Description: "plain-text password converted to a PowerShell SecureString", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s("convertto-securestring"), Ahead: 240, MinLen: 4,
			Regex:       `(?i)ConvertTo-SecureString\s+(?:-String\s+)?["']([^"'$\n]{4,128})["']\s+-AsPlainText`,
			Examples:    s(`$pw = ConvertTo-SecureString "{an:12}" -AsPlainText -Force`, `ConvertTo-SecureString -String '{an:10}!' -AsPlainText -Force`),
			NonExamples: s(`ConvertTo-SecureString $env:SVC_PASSWORD -AsPlainText -Force`, `ConvertTo-SecureString "$Password" -AsPlainText -Force`)},
		{ID: "piped-password", Float: true, Class: "generic", Description: "password echoed into a login", Severity: med, Confidence: 0.55, Generic: true,
			Keywords: s("--password-stdin", "sudo -s", "chpasswd"), Back: 200, Ahead: 16, MinLen: 6,
			Regex:       `echo\s+(?:-n\s+|-e\s+)?["']?(?:[\w.\-]{1,32}:)?([^\s"'$|:]{4,128})["']?\s*\|[^\n|]{0,120}?(?:--password-stdin|sudo\s+-S|chpasswd)`,
			Examples:    s("echo '{an:14}' | docker login -u ci --password-stdin registry.example.com", "echo {an:12} | sudo -S systemctl restart app", `echo "ops:{an:12}" | sudo chpasswd`),
			NonExamples: s(`echo "$REGISTRY_TOKEN" | docker login -u ci --password-stdin`, "echo password | sudo -S true", `echo "ops:$NEWPASS" | chpasswd`)},
		{ID: "htpasswd-plaintext", Class: "generic", Description: "plain-text password in an htpasswd file", Severity: med, Confidence: 0.55, Generic: true,
			Keywords: s("htpasswd"), Ahead: 2048, MinLen: 4,
			Regex:       `(?m)htpasswd[^\n]*\n(?:[^\n]*\n){0,30}?^[\w.\-@]{1,64}:([^\s:{$*!][^\s:]{3,127})\r?$`,
			Examples:    s("==> /etc/nginx/.htpasswd <==\nops:$apr1${an:8}${an:22}\nadmin:{an:12}"),
			NonExamples: s("htpasswd -c /etc/nginx/.htpasswd admin\nNew password:\nRe-type new password:\nAdding password for user admin", "cat .htpasswd\nadmin:$2y$10${b64:53}")},
		{ID: "pgpass-entry", Float: true, Class: "generic", Description: "password in a .pgpass entry", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s(":5432:", ":6432:", ":5433:"), Back: 320, Ahead: 200, MinLen: 4,
			Regex:       `(?m)^[\w.\-*]{1,253}:(?:\d{1,5}|\*):[^:\s]{1,64}:[^:\s]{1,64}:([^\s]{4,128})\r?$`,
			Examples:    s("db01.example.com:5432:app:app_rw:{an:14}", "*:5432:*:postgres:{an:12}\nreplica:6432:*:repl:{an:12}"),
			NonExamples: s("db01.example.com:5432:app:app_rw:*", "listening on 0.0.0.0:5432:tcp", "db01:5432:app:app_rw:$PGPASS")},
		{ID: "password-in-prose", Class: "generic", Description: "password stated in text", Severity: med, Confidence: 0.5, Generic: true, AnyGroup: true, WordStart: true,
			Keywords: s("password"), Ahead: 120, MinLen: 4,
			Regex: `(?i)(password)(?: for (?:the )?(?:user|account)? ?["']?[\w.@\-]{1,40}["']?)?(?: (?:is|was|will be)(?: set to)?:?)? (?:["']([^"'\s]{4,64})["']|(?-i:([^\s"'<>]{6,64}?))[.,;!?)]*(?:\s|$))`,
			Examples: s("The password is '{an:10}'", `the default password for user "admin" is "{lc:9}"`, "my wifi password is Q{an:10}7, is it strong enough?",
				"ssh root@10.0.0.5 with password Q{an:11}8 and restart nginx"),
			NonExamples: s("the password is stored in the vault", "The password is '${PASSWORD}'", "password reset flow is broken", "the password was hunter2.",
				"password authentication failed for user", "the password is sha256:{hex:64}", "Password must be 12 characters",
				"Get-VaultADPassword -Identity WEBCLIENT07 -AsPlainText", "read the password -Verbose:$true")},
		{ID: "credential-constructor", Class: "generic", Description: "password passed to a credential constructor", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s("networkcredential", "directoryentry", "setbasicauth", "usernamepasswordcredential", "passwordauthentication", "basicauth("), Ahead: 300, MinLen: 4, SecretGroup: 1,
			Regex:    `(?i)(?:NetworkCredential|DirectoryEntry|SetBasicAuth|UsernamePasswordCredentials?|PasswordAuthentication|BasicAuth)\s*\((?:\s*"[^"\n]*"\s*,){1,2}\s*"([^"\n]{4,128})"\s*[,)]`,
			Examples: s(`new NetworkCredential("deploy@example.com", "{an:16}");`, `req.SetBasicAuth("svc", "{an:14}")`), NonExamples: s(`new NetworkCredential(user, password)`, `new NetworkCredential("u", "${PASS}")`)},
		{ID: "terraform-variable-default", Class: "generic", Description: "secret as a Terraform variable default", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s("variable"), Ahead: 400, MinLen: 6, SecretGroup: 2, WordStart: true,
			Regex:    `variable\s+"([\w\-]*(?i:password|passwd|secret|token|api_?key|credential)[\w\-]*)"\s*\{[^}]{0,200}?\bdefault\s*=\s*"([^"\n]{6,200})"`,
			Examples: s("variable \"db_password\" {\n  type    = string\n  default = \"{an:16}\"\n}"), NonExamples: s("variable \"db_password\" {\n  type      = string\n  sensitive = true\n}", "variable \"api_token\" {\n  default = \"\"\n}")},
		{ID: "name-value-secret", Class: "generic", Description: "secret in a name/value pair", Severity: med, Confidence: 0.55, Generic: true,
			Keywords: s("value"), Ahead: 160, MinLen: 4, SecretGroup: 2, Match: matchNameValue,
			Regex:       `(?i)(?:name|key|parameterkey)["']?\s*[:=>]\s*["']?([\w.\-]*(?:password|passwd|secret|token|api_?key)[\w.\-]*)["']?(?:\s*</key>\s*<value>|[\s,]*["']?(?:value|parametervalue)["']?\s*[:=]\s*["']?)([^"'<\s,}]{4,128})`,
			Examples:    s("env:\n  - name: DB_PASSWORD\n    value: {an:14}", `{"key": "api_token", "value": "{an:24}"}`, "<key>smtp.password</key>\n<value>{an:12}</value>"),
			NonExamples: s("- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:", `{"key": "password", "value": "${PASSWORD}"}`)},
		{ID: "generic-api-key", Match: matchAssignment, Class: "generic", Description: "hard-coded API key, token or secret", Severity: med, Confidence: 0.55, Generic: true, AnyGroup: true,
			Keywords: s("secret", "token", "license_key", "licensekey", "license-key", "api_key", "apikey", "api-key", "api.key", "access_key", "accesskey", "access-key", "access.key", "auth_key", "authkey", "auth-key",
				"credential", "private_key", "privatekey", "private-key", "client_key", "clientkey", "client-key", "signing_key", "signingkey", "signing-key",
				"encryption_key", "encryptionkey", "encryption-key", "master_key", "masterkey", "master-key", "app_key", "appkey", "app-key"),
			Back: 40, Ahead: 300, MinLen: 10, Entropy: 3, StrongEntropy: 3.5, StrongLen: 20, HighEntropy: 4.2, HighLen: 32,
			Regex: `(?i)((?:secret|token|license[_.\-]?key|api[_.\-]?key|access[_.\-]?key|auth[_.\-]?key|credentials?|private[_.\-]?key|client[_.\-]?key|signing[_.\-]?key|encryption[_.\-]?key|master[_.\-]?key|app[_.\-]?key)[\w.\-]{0,25})["'\x60\]]{0,2}` + sep + value,
			Examples: s(`API_KEY = "{an:32}"`, `clientSecret:'{hex:40}'`, "export SERVICE_TOKEN={url:40}", `"secret": "{b64:44}"`,
				`if req.Secret != "tulip-{lc:3}ard" {`, `signing_secret: '{an:12}\5]{an:6}(&{an:8}[$_{an:6}'`, `hook_secret = "{an:10}\"<{an:8}>#{an:10}"`),
			NonExamples: s(`secret_name = "prod-db-credentials"`, `token_url = "https://example.com/oauth/token"`, `API_KEY = os.environ["API_KEY"]`,
				`SUPER_SECRET_VALUE = 'this is just a long string, like a user facing error message'`, `access_token = ACCESS_TOKEN`,
				`"integrity": "sha512-{b64:86}=="`, `token: xxxxxxxxxxxxxxxx`, `jobCredentialsId: '{uuid}'`,
				`if req.Secret != "" {`, `client_secret: "${{ secrets.CLIENT_SECRET }}:{an:8}-Xy#"`)},
		{ID: "android-build-config-field", Class: "generic", Description: "secret in an Android build config field", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s("buildconfigfield", "resvalue"), Ahead: 300, MinLen: 8, Entropy: 3, SecretGroup: 2, StrongEntropy: 3.5, StrongLen: 20,
			Regex:       `(?i)(?:buildConfigField|resValue)\s*\(?\s*["']\w+["']\s*,\s*["'](\w*(?:key|secret|token|password|passwd|pwd|auth)\w*)["']\s*,\s*(?:'\\?"|"\\"|["'])(?-i:([^"'\\\s]{8,200}))`,
			Examples:    s(`buildConfigField "String", "MAPS_API_KEY", "\"{hex:32}\""`, `buildConfigField('String', 'CLIENT_SECRET', '"{an:24}"')`),
			NonExamples: s(`buildConfigField "String", "API_KEY", "\"${apiKey}\""`, `buildConfigField "String", "BASE_URL", "\"https://{lc:12}.example.com\""`, `buildConfigField "String", "API_KEY", "\"" + keys.apiKey + "\""`)},
		{ID: "authorization-bearer", Class: "http-auth", Description: "bearer token in an Authorization header", Severity: high, Confidence: 0.7, Generic: true,
			Keywords: s("bearer"), Back: 32, Ahead: 600, MinLen: 16, Entropy: 3, StrongEntropy: 3.5, StrongLen: 24,
			Regex:    `(?i)bearer\s+(?-i:([A-Za-z0-9._~+/=\-]{16,}))`,
			Examples: s(`curl -H "Authorization: Bearer {url:40}" https://api.example.com`), NonExamples: s(`-H "Authorization: Bearer $TOKEN"`, `Authorization: Bearer <token>`, "Authorization: Bearer YOUR_ACCESS_TOKEN")},
		{ID: "authorization-basic", Class: "http-auth", Description: "basic credentials in an Authorization header", Severity: high, Confidence: 0.75,
			Keywords: s("basic "), Back: 32, Ahead: 200, Check: basicAuthCheck,
			Regex:    `(?i)basic\s+(?-i:([A-Za-z0-9+/]{8,300}={0,2}))`,
			Examples: s(`curl -H 'Authorization: Basic ZGVwbG95OnM0cGVyLXMzY3JldC1wYXNz'`), NonExamples: s(`Authorization: Basic dmlld2VyOg==`, "basic usage of the library")},
		{ID: "authorization-token", Class: "http-auth", Description: "credential in an Authorization or API-key header", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s("authorization", "api-key", "apikey", "api-token", "auth-token", "access-token", "private-token", "x-token", "token:"), Ahead: 300, MinLen: 10, Entropy: 2.5, WordStart: true, StrongEntropy: 3.5, StrongLen: 24,
			Regex:    `(?i)(?:authorization|x-api-key|api-?key|x-auth-token|api-token|auth-token|private-token|x-access-token|x-token|access-token|token)["']?\s*:\s*["']?(?:[A-Za-z][A-Za-z\-]{1,19}\s+|sha256~)?(?-i:([A-Za-z0-9._~+/=!@#%^*\-]{10,512}))`,
			Examples: s(`curl -H "apikey: {uuid}" https://api.example.com`, `curl -H "Authorization: Api-Token {hex:40}" https://api.example.com`, `-H "Token: {hex:16}"`, `--header "Api-Token: {an:11}"`), NonExamples: s(`-H "Authorization: Token **********"`, `Authorization: Bearer`, `-H "X-API-Key: $API_KEY"`)},
		{ID: "curl-user-password", Class: "http-auth", Description: "credentials passed to curl with -u/--user", Severity: med, Confidence: 0.6, Generic: true,
			Keywords: s("-u ", "-u=", "--user"), Ahead: 200, MinLen: 4, WordStart: true,
			Regex: `(?:-u|--user)(?:\s+|=)["']?([^\s"':$]*:["']?([^\s"']{4,128}))["']?`, SecretGroup: 2, Match: matchCurlUser,
			Examples: s("curl -u elastic:{an:12} https://localhost:9200", "curl --user kevin:'{an:16}' -X PATCH https://api.example.com", `curl -s --user 'api:{an:14}' https://api.example.com`,
				`curl -u "{an:8}3Xq!z:" https://api.example.com/v1/charges`, `curl --user "{uuid}":"{{an:14}}" https://api.example.com`, "curl -u svc:Q{an:8}$9 https://api.example.com"),
			NonExamples: s(`curl -u "$USER:$PASS" https://example.com`, "curl -i -u 'test:test'", `curl --user "$(cat ./login.txt):$(cat ./password.txt)"`,
				`curl -u "{username}":"{password}" https://api.example.com`, "curl -u deploy: https://api.example.com", "curl -u admin https://api.example.com")},
		{ID: "netrc-credentials", Class: "netrc", Description: "password in a .netrc entry", Severity: med, Confidence: 0.7, Generic: true,
			Keywords: s("machine"), Back: 8, Ahead: 300, MinLen: 4,
			Regex:    `(?s)\bmachine\s+[\w.\-]+\s+login\s+\S+\s+password\s+(\S{4,128})`,
			Examples: s("machine api.example.com\n  login deploy\n  password {an:14}"), NonExamples: s("machine api.example.com login deploy password $NETRC_PASSWORD")},
	}
}

// cliValue is a password argument: not an option, an expansion or a prompt.
const cliValue = `[^\s"'$%*\-:][^\s"'$%]{3,127}`

// cli is a rule for a password given on a program's command line: group 1
// names the program, the first non-empty later group is the password.
func cli(id, desc string, kws []string, re string, ex, non []string) *Rule {
	return &Rule{ID: id, Class: "generic", Description: desc, Severity: med, Confidence: 0.55, Generic: true, AnyGroup: true,
		Keywords: kws, Ahead: 300, MinLen: 6, WordStart: true, Regex: re, Examples: ex, NonExamples: non}
}

// cliRules are the ids of the rules built by cli.
var cliRules = map[string]bool{"cli-password": true, "keystore-password": true, "smb-user-password": true, "htpasswd-batch": true,
	"net-user-password": true, "sshpass-password": true}

// matchAssignment parses `name <sep> value` from a keyword hit at start:
// the name runs on over identifier characters, then optional closing
// quotes or bracket, a separator (= := : => == || ?= ??=) and the value,
// quoted or bare. It is the hand-written equivalent of the generic rules'
// regex, without the regex engine's per-call cost. Groups: 1 the name, 2
// the value.
func matchAssignment(text string, start, limit int) []int {
	j := start
	for j < limit && j-start < 48 && (isIdentChar(text[j]) || text[j] == '.' || text[j] == '-') {
		j++
	}
	keyEnd := j
	closedQuote := false
	for n := 0; n < 2 && j < limit && (text[j] == '"' || text[j] == '\'' || text[j] == '`' || text[j] == ']'); n++ {
		closedQuote = closedQuote || text[j] != ']'
		j++
	}
	j = skipBlank(text, j, limit, 16)
	if j >= limit {
		return nil
	}
	sepLen := 0
	for _, sep := range []string{"??=", "===", "!==", "==", "!=", ":=", "=>", "||", "?=", "=", ":"} {
		if strings.HasPrefix(text[j:limit], sep) {
			sepLen = len(sep)
			break
		}
	}
	// A quoted name and a quoted value as a call's arguments:
	// define('DB_PASSWORD', '…'), setProperty("api.token", "…").
	pair := sepLen == 0 && closedQuote && text[j] == ','
	if pair {
		// The name must be a whole quoted string ('DB_PASSWORD'), not the
		// end of a sentence ("check your password.', …").
		ks := start
		for ks > 0 && start-ks < 48 && (isIdentChar(text[ks-1]) || text[ks-1] == '.' || text[ks-1] == '-') {
			ks--
		}
		if ks == 0 || keyEnd == start || text[ks-1] != text[keyEnd] || text[keyEnd-1] == '.' {
			return nil
		}
		sepLen = 1
	}
	if sepLen == 0 || (sepLen == 1 && text[j] == ':' && j+1 < limit && text[j+1] == ':') {
		return nil
	}
	j = skipBlank(text, j+sepLen, limit, 4)
	if j >= limit || (pair && text[j] != '"' && text[j] != '\'') {
		return nil
	}
	var vs, ve, end int
	switch q := text[j]; q {
	case '"', '\'', '`':
		vs = j + 1
		ve = vs
		for ve < limit && ve-vs <= 200 && text[ve] != q && text[ve] != '\n' {
			if text[ve] == '\\' {
				ve++ // an escape: the next byte is part of the value
				if ve < limit && text[ve] == '\n' {
					return nil
				}
			}
			ve++
		}
		if ve >= limit || text[ve] != q {
			return nil
		}
		end = ve + 1
	default:
		vs = j
		ve = vs
		for ve < limit && ve-vs <= 200 && !strings.ContainsRune(" \t\r\n\"'`;,<>(){}[]", rune(text[ve])) {
			ve++
		}
		if ve < limit && (text[ve] == '(' || text[ve] == '[') {
			return nil // a call or an index: a reference, not a literal
		}
		end = ve
	}
	if ve-vs < 4 || ve-vs > 200 {
		return nil
	}
	return []int{0, end - start, 0, keyEnd - start, vs - start, ve - start}
}

func skipBlank(text string, j, limit, max int) int {
	for n := 0; n < max && j < limit && (text[j] == ' ' || text[j] == '\t'); n++ {
		j++
	}
	return j
}

// pemEnd returns an Extend function that finds the END line of a PEM
// block (within 16 KiB) and ends the match after its trailer.
func pemEnd(trailer string) func(text string, end int) (int, bool) {
	return func(text string, end int) (int, bool) {
		limit := end + 16384
		if limit > len(text) {
			limit = len(text)
		}
		i := strings.Index(text[end:limit], "-----END")
		if i < 0 {
			return 0, false
		}
		j := strings.Index(text[end+i:limit], trailer)
		if j < 0 || j > 64 {
			return 0, false
		}
		return end + i + j + len(trailer), true
	}
}

// pemBodyCheck requires a private key's body to hold enough base64 to be a
// key rather than a placeholder.
func pemBodyCheck(block string) (ok, verified bool) {
	body := block
	if i := strings.Index(body, "-----BEGIN"); i >= 0 {
		if j := strings.Index(body[i+10:], "-----"); j >= 0 {
			body = body[i+10+j+5:]
		}
	}
	if i := strings.Index(body, "-----END"); i >= 0 {
		body = body[:i]
	}
	// Drop headers like "Proc-Type:" and escaped newlines, count base64.
	body = strings.NewReplacer(`\n`, " ", `\r`, " ").Replace(body)
	n := 0
	var b strings.Builder
	for _, line := range strings.Split(body, "\n") {
		if strings.Contains(line, ": ") && !strings.Contains(line, "→") {
			continue
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/' {
				n++
				b.WriteByte(c)
			}
		}
	}
	if n < 40 {
		return false, false
	}
	t := b.String()
	if isPlaceholderWords(t, false) || shannon(t) < 3.5 {
		return false, false
	}
	return true, n >= 200
}

// basicAuthCheck requires base64 that decodes to "user:password" with a
// non-empty password that is not a placeholder.
func basicAuthCheck(v string) (ok, verified bool) {
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "="))
		if err != nil {
			return false, false
		}
	}
	if !mostlyText(raw) {
		return false, false
	}
	str := string(raw)
	_, pass, found := strings.Cut(str, ":")
	if !found || len(pass) < 4 || isPlaceholder(pass) || isCodeReference(pass, "") {
		return false, false
	}
	l := strings.ToLower(pass)
	if l == "password" || l == "nopassword" || l == "pass" || l == "secret" {
		return false, false
	}
	return true, true
}

// urlPasswordCheck drops URL passwords that are templates or well-known
// defaults.
func urlPasswordCheck(pass string) (ok, verified bool) {
	l := strings.ToLower(pass)
	switch l {
	case "password", "pass", "passwd", "anonymous", "pwd", "token", "xxx", "x-oauth-basic", "null", "none":
		return false, false
	}
	if isTemplate(pass) || strings.HasPrefix(l, "password") || strings.HasPrefix(l, "your") {
		return false, false
	}
	if strings.Count(pass, "%") > 0 && strings.Contains(l, "%(") {
		return false, false
	}
	return true, false
}

// isTemplate reports whether a literal position holds a template or
// variable reference rather than a value: $VAR, ${VAR}, %VAR%, {{ x }},
// <placeholder>, #{x}.
func isTemplate(v string) bool {
	if v == "" {
		return true
	}
	switch v[0] {
	case '$', '%', '{', '<', '#':
		return true
	}
	return strings.Contains(v, "${") || strings.Contains(v, "{{") || strings.Contains(v, "$(") || strings.Contains(v, "#{")
}

// defaultPassword reports whether a password is a well-known default or a
// dictionary word, which is reported at a lower severity.
func defaultPassword(pass string) bool {
	switch strings.ToLower(pass) {
	case "secret", "guest", "user", "username", "changeme", "root", "admin", "administrator", "test", "postgres", "mysql", "example",
		"letmein", "welcome", "default", "qwerty", "123456", "12345678", "password1", "passw0rd", "p@ssw0rd", "demo", "sample", "toor":
		return true
	}
	return false
}

// valueCheck drops template or reference values.
func valueCheck(v string) (ok, verified bool) {
	if isCodeReference(v, "") || strings.HasPrefix(v, "#{") {
		return false, false
	}
	return true, false
}

// jwtCheck requires a JWT whose header decodes to JSON with an "alg".
func jwtCheck(tok string) (ok, verified bool) {
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return false, false
	}
	var h map[string]any
	if json.Unmarshal(raw, &h) != nil {
		return false, false
	}
	alg, _ := h["alg"].(string)
	if alg == "" || strings.EqualFold(alg, "none") {
		return false, false
	}
	return true, true
}
