package secrets

import (
	"strings"

	"github.com/picketsec/picket/sdk"
)

const (
	crit = sdk.SeverityCritical
	high = sdk.SeverityHigh
	med  = sdk.SeverityMedium
	low  = sdk.SeverityLow
)

// tok is a rule for a token whose own shape (a distinctive prefix, a fixed
// length) identifies it.
// watermarked marks r's format as carrying a fixed mark inside the token
// (Rule.Watermarked) and sets its structure check.
func watermarked(r *Rule, check func(string) (bool, bool)) *Rule {
	r.Watermarked = true
	if check != nil {
		r.Check = check
	}
	return r
}

// otherVendorPrefixes are token prefixes of other vendors that an OpenAI
// key's loose sk- pattern would take (Anthropic's sk-ant-, OpenRouter's
// sk-or-).
var otherVendorPrefixes = []string{"sk-ant-", "sk-or-"}

// notOtherVendor drops an OpenAI-shaped match that starts with another
// vendor's prefix.
func notOtherVendor(secret string) (bool, bool) {
	for _, p := range otherVendorPrefixes {
		if strings.HasPrefix(secret, p) {
			return false, false
		}
	}
	return true, false
}

func tok(id, class, desc string, sev sdk.Severity, kws []string, re string, ex, non []string) *Rule {
	return &Rule{ID: id, Class: class, Description: desc, Severity: sev, Keywords: kws, Regex: re, Examples: ex, NonExamples: non, Confidence: 0.9}
}

// kvRe matches value (case-sensitive) assigned to, or written right after,
// a name containing one of keys (case-insensitive).
func kvRe(keys, value string) string {
	return `(?i)(?:` + keys + `)[\w.\-]{0,30}?["'\x60\]]{0,2}(?:\s{0,4}(?:=|:|=>|:=|\|\||\?=|,)\s{0,4}|\s{1,4})["'\x60]?(?-i:(` + value + `))`
}

// kv is a rule for a value that is only recognisable next to the provider's
// name: a bare hex string or UUID means nothing on its own.
func kv(id, class, desc string, sev sdk.Severity, keys string, kws []string, value string, ex, non []string) *Rule {
	return &Rule{ID: id, Class: class, Description: desc, Severity: sev, Keywords: kws, Regex: kvRe(keys, value), Examples: ex, NonExamples: non, Confidence: 0.75, Entropy: 2.8, Ahead: 160,
		WordStart: true, Check: kvCheck}
}

// hexMixCheck requires both letters and digits after a two-letter prefix.
func hexMixCheck(v string) (ok, verified bool) {
	h := v[2:]
	return strings.ContainsAny(h, "0123456789") && strings.ContainsAny(h, "abcdefABCDEF"), false
}

// kvCheck requires a context-identified value to contain a digit (random
// keys nearly always do; words and identifiers rarely do), unless it is
// long.
func kvCheck(v string) (ok, verified bool) {
	if len(v) >= 40 {
		return true, false
	}
	return strings.ContainsAny(v, "0123456789"), false
}

func s(v ...string) []string { return v }

// floating marks r as a rule whose match starts before its keyword.
func floating(r *Rule, back, ahead int) *Rule {
	r.Float, r.Back, r.Ahead = true, back, ahead
	return r
}

// twitterBearer checks the random part after the fixed run of A's.
func twitterBearer(r *Rule) *Rule {
	r.Check = func(v string) (bool, bool) {
		rest := strings.TrimLeft(v, "A")
		return len(rest) >= 30 && !isPlaceholder(rest) && charClasses(rest) >= 2, false
	}
	return r
}

const uuidRe = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

// builtinRules returns a fresh copy of the built-in rule table.
func builtinRules() []*Rule {
	rules := []*Rule{
		// --- Cloud: AWS -------------------------------------------------
		tok("aws-access-key-id", "aws", "AWS access key id", high, s("akia", "asia", "abia", "acca", "a3t"),
			`\b((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})\b`,
			s("aws_access_key_id = AKIA{A27:16}", "key=ASIA{AN:16}"),
			s("AKIAIOSFODNN7EXAMPLE", "AKIAXXXXXXXXXXXXXXXX", "AKIA{AN:12}")),
		{ID: "aws-secret-access-key", Class: "aws", Description: "AWS secret access key", Severity: crit, Confidence: 0.9,
			Keywords: s("secret_access_key", "secretaccesskey", "secret-access-key", "aws_secret", "aws-secret", "awssecret", "secret_key"),
			Regex:    `(?i)(?:aws)?[_.\-]?secret[_.\-]?(?:access)?[_.\-]?key["'\x60\]]{0,2}\s{0,4}(?:=|:|=>|:=)\s{0,4}["'\x60]?(?-i:([A-Za-z0-9/+]{40}))(?:[^A-Za-z0-9/+=]|$)`,
			Entropy:  3.5, Back: 16,
			Examples:    s("aws_secret_access_key = {b64:40}", `"SecretAccessKey": "{b64:40}"`),
			NonExamples: s("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key = ${AWS_SECRET}", "aws_secret_access_key = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")},
		{ID: "aws-session-token", Class: "aws", Description: "AWS session token", Severity: high, Confidence: 0.85,
			Keywords: s("session_token", "sessiontoken", "security_token", "session-token"),
			Regex:    `(?i)(?:aws)?[_.\-]?(?:session|security)[_.\-]?token["'\x60\]]{0,2}\s{0,4}(?:=|:|=>)\s{0,4}["'\x60]?(?-i:([A-Za-z0-9/+=]{100,}))`,
			Entropy:  4, Ahead: 1400,
			Examples:    s("aws_session_token = IQoJb3JpZ2luX2Vj{b64:300}"),
			NonExamples: s("aws_session_token = {b64:40}", "aws_session_token = $AWS_SESSION_TOKEN")},
		tok("aws-bedrock-api-key", "aws", "Amazon Bedrock API key", high, s("absk"),
			`\b(ABSK[A-Za-z0-9+/]{100,400}={0,2})`,
			s("BEDROCK_KEY=ABSKQmVkcm9ja0FQSUtleS1{b64:120}"), s("ABSK{b64:20}")),
		tok("aws-mws-auth-token", "aws", "Amazon MWS auth token", high, s("amzn.mws."),
			`\b(amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b`,
			s("mws_token: amzn.mws.{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}"), s("amzn.mws.{hex:8}")),
		// --- Cloud: Google ------------------------------------------------
		tok("gcp-api-key", "gcp", "Google API key", high, s("aiza"),
			`\b(AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)`,
			s("GOOGLE_API_KEY=AIza{url:35}", `var key = 'AIza{url:35}';`),
			s("AIza{url:20}", "AIza{url:42}")),
		{ID: "gcp-service-account", Class: "gcp", Description: "Google Cloud service account key", Severity: crit, Confidence: 0.95,
			Keywords: s(`"private_key_id"`), Ahead: 128,
			Regex:       `"private_key_id"\s*:\s*"([0-9a-f]{40})"`,
			Examples:    s(`{"type": "service_account", "project_id": "demo", "private_key_id": "{hex:40}"}`),
			NonExamples: s(`{"private_key_id": "{hex:12}"}`)},
		tok("gcp-oauth-client-secret", "gcp", "Google OAuth client secret", high, s("gocspx-"),
			`\b(GOCSPX-[A-Za-z0-9_\-]{28})(?:[^A-Za-z0-9_\-]|$)`,
			s(`const CLIENT_SECRET = "GOCSPX-{url:28}"`), s("GOCSPX-{url:10}")),
		tok("gcp-oauth-access-token", "gcp", "Google OAuth access token", high, s("ya29."),
			`\b(ya29\.[0-9A-Za-z_\-]{30,})`,
			s("access_token = 'ya29.{url:60}'"), s("ya29.{url:10}")),
		floating(tok("gcp-oauth-refresh-token", "gcp", "Google OAuth refresh token", high, s("1//0"),
			`(?:^|[^0-9A-Za-z])(1//0[0-9A-Za-z_\-]{40,300})`,
			s("refresh_token: 1//0{url:60}"), s("http://1//0abc")), 2, 320),
		floating(tok("firebase-cloud-messaging-key", "gcp", "Firebase Cloud Messaging server key", high, s(":apa91b"),
			`\b(AAAA[A-Za-z0-9_\-]{7}:APA91b[A-Za-z0-9_\-]{120,200})`,
			s("fcm_key=AAAA{url:7}:APA91b{url:134}"), s("AAAA{url:7}:APA91b{url:20}")), 16, 220),
		// --- Cloud: Azure ---------------------------------------------------
		{ID: "azure-storage-account-key", Class: "azure", Description: "Azure storage account key", Severity: crit, Confidence: 0.9,
			Keywords:    s("accountkey", "account_key", "storage_key", "storagekey"),
			Regex:       `(?i)(?:account|storage)[_\-]?key["']?\s{0,4}[=:]\s{0,4}["']?(?-i:([A-Za-z0-9+/]{86}==))`,
			Entropy:     4,
			Examples:    s("DefaultEndpointsProtocol=https;AccountName=demo;AccountKey={b64:86}==;EndpointSuffix=core.windows.net"),
			NonExamples: s("AccountKey={b64:30}==", "AccountKey=$(STORAGE_KEY)")},
		{ID: "azure-storage-connection-string-key", Class: "azure", Description: "Azure storage connection string key (non-standard length)", Severity: med, Confidence: 0.7,
			Keywords: s("accountkey="), Back: 8, Ahead: 200, Entropy: 4,
			Regex:       `(?i)AccountKey=(?-i:([A-Za-z0-9+/]{40,120}={0,2}))(?:;|\s|$)`,
			Examples:    s("DefaultEndpointsProtocol=https;AccountName=demo;\nAccountKey={b64:70}==;\nBlobEndpoint=http://127.0.0.1:10000/demo;"),
			NonExamples: s("AccountKey={b64:20}==;", "AccountKey=$(STORAGE_KEY);")},
		{ID: "azure-sas-token", Float: true, Class: "azure", Description: "Azure shared access signature", Severity: high, Confidence: 0.85,
			Keywords: s("sig="), Back: 512, Ahead: 128,
			Regex:       `\bsv=\d{4}-\d{2}-\d{2}&[^\s"'<>]{0,400}?\bsig=([A-Za-z0-9%/+]{40,100}(?:%3[dD]|=){0,2})`,
			Examples:    s("https://demo.blob.core.windows.net/c/f?sv=2022-11-02&ss=b&srt=o&sp=r&se=2030-01-01T00:00:00Z&sig={an:44}%3D"),
			NonExamples: s("https://example.net/?sig={an:44}", "sv=2022-11-02&sig=short")},
		{ID: "azure-ad-client-secret", Float: true, Class: "azure", Description: "Azure AD (Entra ID) client secret", Severity: high, Confidence: 0.85,
			Keywords: s("q~"), Back: 8, Ahead: 48,
			Regex:       `(?:^|[^A-Za-z0-9_~.\-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})(?:[^A-Za-z0-9_~.\-]|$)`,
			Entropy:     3.5,
			Examples:    s("client_secret={an:3}8Q~{an:34}", `"the_value": "{an:3}8Q~{url:34}"`),
			NonExamples: s("client_secret=Zr71Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "abc8Q~short")},
		{ID: "azure-service-bus-connection-string", Float: true, Class: "azure", Description: "Azure Service Bus / Event Hubs connection string", Severity: crit, Confidence: 0.9,
			Keywords: s("sharedaccesskey="), Back: 400,
			Regex:       `(?i)Endpoint=sb://[^;\s]+;\s*SharedAccessKeyName=[^;\s]+;\s*SharedAccessKey=(?-i:([A-Za-z0-9+/]{40,60}={0,2}))`,
			Examples:    s("Endpoint=sb://demo.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={b64:43}="),
			NonExamples: s("Endpoint=sb://demo.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=<key>")},
		{ID: "azure-app-configuration-connection-string", Class: "azure", Description: "Azure App Configuration connection string", Severity: high, Confidence: 0.9,
			Keywords: s("azconfig.io"), Back: 16, Ahead: 200,
			Regex:       `(?i)azconfig\.io;\s*Id=[^;\s]{4,60};\s*Secret=(?-i:([A-Za-z0-9+/]{40,60}={0,2}))`,
			Examples:    s(`Endpoint=https://demo.azconfig.io;Id=ab12-c3-s0:{an:20};Secret={b64:43}=`),
			NonExamples: s("Endpoint=https://demo.azconfig.io;Id=x;Secret=")},
		// Azure's 84-character keys (AI services, OpenAI, Container
		// Registry, …) carry the mark JQQJ99 after 52 characters.
		watermarked(floating(tok("azure-84-key", "azure", "Azure service key", high, s("jqqj99"),
			`\b([A-Za-z0-9]{52}JQQJ99[A-Za-z0-9]{26})\b`,
			s("AZURE_OPENAI_KEY={an:52}JQQJ99{an:26}", "{an:52}JQQJ99{an:22}ACOG"), s("{an:40}JQQJ99{an:26}", "{an:52}JQQJ99{an:10}")), 60, 40), nil),
		floating(tok("azure-devops-pat", "azure", "Azure DevOps personal access token", high, s("azdo"),
			`\b([A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4})\b`,
			s("ADO_PAT={an:76}AZDO{an:4}"), s("{an:20}AZDO{an:4}")), 80, 16),
		kv("azure-devops-legacy-pat", "azure", "Azure DevOps personal access token", high, `azure[_\-]?devops|ado[_\-]pat|system[_\-]?accesstoken|vsts`, s("azure_devops", "azuredevops", "azure-devops", "ado_pat", "ado-pat", "accesstoken", "vsts"),
			`[a-z2-7]{52}`, s("AZURE_DEVOPS_PAT={a27:52}"), s("AZURE_DEVOPS_PAT={b32:20}")),
		tok("alibaba-access-key-id", "alibaba", "Alibaba Cloud AccessKey id", high, s("ltai"),
			`\b(LTAI[A-Za-z0-9]{20})\b`, s("access_key_id: LTAI{an:20}"), s("LTAI{an:8}")),
		tok("tencent-secret-id", "tencent", "Tencent Cloud SecretId", high, s("akid"),
			`\b(AKID[A-Za-z0-9]{32})\b`, s("SecretId=AKID{an:32}"), s("AKID{an:10}")),
		tok("ibm-cloud-api-key", "ibm", "IBM Cloud API key", med, s("ibm"),
			`(?i)ibm[\w.\-]{0,20}?(?:api)?[_\-]?key["']?\s{0,4}[=:]\s{0,4}["']?(?-i:([A-Za-z0-9_\-]{44}))(?:[^A-Za-z0-9_\-]|$)`,
			s("IBM_CLOUD_API_KEY={url:44}"), s("IBM_CLOUD_API_KEY={url:10}")),
		// --- Source hosting -------------------------------------------------
		{ID: "github-pat", Class: "github", Description: "GitHub personal access token (classic)", Severity: crit, Confidence: 0.9, Keywords: s("ghp_"),
			Regex: `\b(ghp_[A-Za-z0-9]{36})\b`, Check: githubChecksum,
			Examples: s("GITHUB_TOKEN=ghp_{ghcrc:30}", "https://user:ghp_{an:36}@github.com/org/repo.git"), NonExamples: s("ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ghp_{an:20}")},
		{ID: "github-oauth-token", Class: "github", Description: "GitHub OAuth access token", Severity: crit, Confidence: 0.9, Keywords: s("gho_"),
			Regex: `\b(gho_[A-Za-z0-9]{36})\b`, Check: githubChecksum,
			Examples: s("token gho_{ghcrc:30}"), NonExamples: s("gho_{an:12}")},
		{ID: "github-user-to-server-token", Class: "github", Description: "GitHub App user-to-server token", Severity: crit, Confidence: 0.9, Keywords: s("ghu_"),
			Regex: `\b(ghu_[A-Za-z0-9]{36})\b`, Check: githubChecksum,
			Examples: s("ghu_{ghcrc:30}"), NonExamples: s("ghu_{an:12}")},
		{ID: "github-server-to-server-token", Class: "github", Description: "GitHub App installation token", Severity: crit, Confidence: 0.9, Keywords: s("ghs_"),
			Regex: `\b(ghs_[A-Za-z0-9]{36})\b`, Check: githubChecksum,
			Examples: s("GH_TOKEN: ghs_{ghcrc:30}"), NonExamples: s("ghs_{an:12}")},
		{ID: "github-refresh-token", Class: "github", Description: "GitHub refresh token", Severity: crit, Confidence: 0.9, Keywords: s("ghr_"),
			Regex: `\b(ghr_[A-Za-z0-9]{36,76})\b`, Check: githubChecksum,
			Examples: s("ghr_{ghcrc:30}"), NonExamples: s("ghr_{an:12}")},
		tok("github-fine-grained-pat", "github", "GitHub fine-grained personal access token", crit, s("github_pat_"),
			`\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b`,
			s("github_pat_{an:22}_{an:59}"), s("github_pat_{an:22}")),
		kv("github-oauth-client-secret", "github", "GitHub OAuth app client secret", high, `github[\w.\-]{0,20}client[_\-]?secret|gh[_\-]client[_\-]secret`, s("github", "gh_client", "gh-client"),
			`[0-9a-f]{40}`, s("GITHUB_CLIENT_SECRET={hex:40}"), s("GITHUB_CLIENT_SECRET={hex:20}")),
		tok("gitlab-pat", "gitlab", "GitLab personal access token", crit, s("glpat-"),
			`\b(glpat-[0-9A-Za-z_\-]{20,60}(?:\.[0-9a-z]{2}\.[0-9a-z]{9})?)(?:[^0-9A-Za-z_\-]|$)`,
			s("PRIVATE-TOKEN: glpat-{url:20}"), s("glpat-xxxxxxxxxxxxxxxxxxxx", "glpat-{an:8}")),
		tok("gitlab-runner-registration-token", "gitlab", "GitLab runner registration token", high, s("gr1348941"),
			`\b(GR1348941[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)`,
			s(`--registration-token "GR1348941{url:20}"`), s("GR1348941{an:5}")),
		tok("gitlab-runner-auth-token", "gitlab", "GitLab runner authentication token", high, s("glrt-"),
			`\b(glrt-[0-9A-Za-z_\-]{20,60})(?:[^0-9A-Za-z_\-]|$)`, s("token = glrt-{url:20}"), s("glrt-{an:5}")),
		tok("gitlab-deploy-token", "gitlab", "GitLab deploy token", high, s("gldt-"),
			`\b(gldt-[0-9A-Za-z_\-]{20,60})(?:[^0-9A-Za-z_\-]|$)`, s("gldt-{url:20}"), s("gldt-{an:5}")),
		tok("gitlab-pipeline-trigger-token", "gitlab", "GitLab pipeline trigger token", high, s("glptt-"),
			`\b(glptt-[0-9a-f]{40})\b`, s("TRIGGER=glptt-{hex:40}"), s("glptt-{hex:10}")),
		tok("gitlab-feed-token", "gitlab", "GitLab feed token", med, s("glft-"),
			`\b(glft-[0-9A-Za-z_\-]{20,60})(?:[^0-9A-Za-z_\-]|$)`, s("glft-{url:20}"), s("glft-{an:5}")),
		tok("gitlab-oauth-app-secret", "gitlab", "GitLab OAuth application secret", high, s("gloas-"),
			`\b(gloas-[0-9a-f]{64})\b`, s("gloas-{hex:64}"), s("gloas-{hex:10}")),
		tok("gitlab-scim-token", "gitlab", "GitLab SCIM token", high, s("glsoat-"),
			`\b(glsoat-[0-9A-Za-z_\-]{20,60})(?:[^0-9A-Za-z_\-]|$)`, s("glsoat-{url:20}"), s("glsoat-{an:5}")),
		tok("gitlab-cicd-job-token", "gitlab", "GitLab CI/CD job token", high, s("glcbt-"),
			`\b(glcbt-[0-9a-fA-F]{1,5}_[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)`, s("glcbt-64_{url:20}"), s("glcbt-{an:5}")),
		tok("gitlab-incoming-mail-token", "gitlab", "GitLab incoming mail token", med, s("glimt-"),
			`\b(glimt-[0-9A-Za-z_\-]{25})(?:[^0-9A-Za-z_\-]|$)`, s("glimt-{url:25}"), s("glimt-{an:5}")),
		tok("gitlab-agent-token", "gitlab", "GitLab Kubernetes agent token", high, s("glagent-"),
			`\b(glagent-[0-9A-Za-z_\-]{50})(?:[^0-9A-Za-z_\-]|$)`, s("glagent-{url:50}"), s("glagent-{an:5}")),
		tok("bitbucket-app-password", "bitbucket", "Bitbucket app password", high, s("atbb"),
			`\b(ATBB[A-Za-z0-9_=.\-]{28,40})\b`, s("BITBUCKET_APP_PASSWORD=ATBB{an:32}"), s("ATBB{an:6}")),
		kv("bitbucket-client-secret", "bitbucket", "Bitbucket OAuth client secret", high, `bitbucket[\w.\-]{0,20}secret`, s("bitbucket"),
			`[A-Za-z0-9_=\-]{64}`, s("BITBUCKET_CLIENT_SECRET={url:64}"), s("BITBUCKET_CLIENT_SECRET=${SECRET}")),
		tok("atlassian-api-token", "atlassian", "Atlassian API token", high, s("atatt3"),
			`\b(ATATT3[A-Za-z0-9_\-=]{180,200})`, s("JIRA_TOKEN=ATATT3xFfGF0{url:180}"), s("ATATT3{an:20}")),
		kv("atlassian-legacy-api-token", "atlassian", "Atlassian (Jira / Confluence) API token", high, `atlassian|confluence|jira`, s("atlassian", "confluence", "jira"),
			`[A-Za-z0-9]{24}`, s("JIRA_API_TOKEN={an:24}", `confluence_token: "{an:24}"`), s("JIRA_API_TOKEN=${JIRA_TOKEN}", "jira_url: https://jira.example.com")),
		tok("sourcegraph-access-token", "sourcegraph", "Sourcegraph access token", high, s("sgp_"),
			`\b(sgp_(?:local_|[a-fA-F0-9]{16}_)?[a-fA-F0-9]{40})\b`, s("SRC_ACCESS_TOKEN=sgp_{hex:16}_{hex:40}", "sgp_local_{hex:40}"), s("sgp_{hex:10}")),
		// --- AI providers ---------------------------------------------------
		watermarked(floating(tok("openai-api-key", "openai", "OpenAI API key", crit, s("t3blbkfj"),
			`\b(sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_\-]{20,200}T3BlbkFJ[A-Za-z0-9_\-]{20,200})(?:[^A-Za-z0-9_\-]|$)`,
			s("OPENAI_API_KEY=sk-proj-{url:74}T3BlbkFJ{url:74}", "sk-{an:20}T3BlbkFJ{an:20}", "sk-svcacct-ABCDEFGHIJKLMNOPQRSTUVWXYZT3BlbkFJ{an:20}"),
			s("sk-proj-xxxxxxxxxxxxxxxxxxxxT3BlbkFJxxxxxxxxxxxxxxxxxxxx", "sk-ant-{an:20}T3BlbkFJ{an:20}", "sk-or-v1-{an:20}T3BlbkFJ{an:20}")), 220, 220), notOtherVendor),
		tok("openai-project-key", "openai", "OpenAI project or service-account key", high, s("sk-proj-", "sk-svcacct-", "sk-admin-"),
			`\b(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,250})(?:[^A-Za-z0-9_\-]|$)`,
			s("sk-proj-{url:120}"), s("sk-proj-{an:10}")),
		tok("anthropic-api-key", "anthropic", "Anthropic API key", crit, s("sk-ant-api"),
			`\b(sk-ant-api\d{2}-[A-Za-z0-9_\-]{80,100}AA)(?:[^A-Za-z0-9_\-]|$)`,
			s("ANTHROPIC_API_KEY=sk-ant-api03-{url:93}AA"), s("sk-ant-api03-{url:12}-{url:8}-AA", "sk-ant-api03-{url:20}AA", "sk-ant-api03-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWAA")),
		tok("anthropic-admin-key", "anthropic", "Anthropic admin API key", crit, s("sk-ant-admin"),
			`\b(sk-ant-admin\d{2}-[A-Za-z0-9_\-]{80,100}AA)(?:[^A-Za-z0-9_\-]|$)`,
			s("sk-ant-admin01-{url:93}AA"), s("sk-ant-admin01-{url:20}AA")),
		tok("huggingface-access-token", "huggingface", "Hugging Face access token", high, s("hf_"),
			`\b(hf_[A-Za-z]{34})\b`, s("HF_TOKEN=hf_{al:34}"), s("hf_{al:10}", "hf_{an:34}1")),
		tok("huggingface-org-token", "huggingface", "Hugging Face organization token", high, s("api_org_"),
			`\b(api_org_[A-Za-z]{34})\b`, s("api_org_{al:34}"), s("api_org_{al:10}")),
		kv("cohere-api-key", "cohere", "Cohere API key", high, `cohere|co_api_key`, s("cohere", "co_api_key"),
			`[A-Za-z0-9]{40}`, s("COHERE_API_KEY={an:40}"), s("COHERE_API_KEY={an:12}")),
		kv("mistral-api-key", "mistral", "Mistral AI API key", high, `mistral`, s("mistral"),
			`[A-Za-z0-9]{32}`, s("MISTRAL_API_KEY={an:32}"), s("mistral_model = mistral-large-latest")),
		tok("replicate-api-token", "replicate", "Replicate API token", high, s("r8_"),
			`\b(r8_[A-Za-z0-9]{37})\b`, s("REPLICATE_API_TOKEN=r8_{an:37}"), s("r8_{an:10}")),
		tok("groq-api-key", "groq", "Groq API key", high, s("gsk_"),
			`\b(gsk_[A-Za-z0-9]{52})\b`, s("GROQ_API_KEY=gsk_{an:52}"), s("gsk_{an:10}")),
		tok("perplexity-api-key", "perplexity", "Perplexity API key", high, s("pplx-"),
			`\b(pplx-[A-Za-z0-9]{48})\b`, s("pplx-{an:48}"), s("pplx-{an:10}")),
		tok("xai-api-key", "xai", "xAI API key", high, s("xai-"),
			`\b(xai-[A-Za-z0-9]{80})\b`, s("XAI_API_KEY=xai-{an:80}"), s("xai-{an:10}")),
		kv("deepseek-api-key", "deepseek", "DeepSeek API key", high, `deepseek`, s("deepseek"),
			`sk-[a-f0-9]{32}`, s("DEEPSEEK_API_KEY=sk-{hex:32}"), s("DEEPSEEK_API_KEY=sk-{hex:8}")),
		kv("together-api-key", "together", "Together AI API key", med, `together[_\-]?(?:ai)?[_\-]?api[_\-]?key`, s("together"),
			`[a-f0-9]{64}`, s("TOGETHER_API_KEY={hex:64}"), s("TOGETHER_API_KEY={hex:10}")),
		tok("langsmith-api-key", "langchain", "LangSmith API key", high, s("lsv2_"),
			`\b(lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})\b`, s("LANGCHAIN_API_KEY=lsv2_pt_{hex:32}_{hex:10}"), s("lsv2_pt_{hex:8}")),
		tok("tavily-api-key", "tavily", "Tavily API key", high, s("tvly-"),
			`\b(tvly-(?:dev-|prod-)?[A-Za-z0-9]{32})\b`, s("TAVILY_API_KEY=tvly-{an:32}", "tvly-dev-{an:32}"), s("tvly-{an:8}")),
		tok("firecrawl-api-key", "firecrawl", "Firecrawl API key", high, s("fc-"),
			`\b(fc-[a-f0-9]{32})\b`, s("FIRECRAWL_API_KEY=fc-{hex:32}"), s("fc-{hex:8}")),
		tok("jina-api-key", "jina", "Jina AI API key", high, s("jina_"),
			`\b(jina_[A-Za-z0-9_\-]{56,64})(?:[^A-Za-z0-9_\-]|$)`, s("JINA_API_KEY=jina_{an:60}"), s("jina_{an:10}")),
		tok("pinecone-api-key", "pinecone", "Pinecone API key", high, s("pcsk_"),
			`\b(pcsk_[A-Za-z0-9]{4,8}_[A-Za-z0-9]{40,80})\b`, s("PINECONE_API_KEY=pcsk_{an:5}_{an:63}"), s("pcsk_{an:5}_{an:5}")),
		tok("openrouter-api-key", "openrouter", "OpenRouter API key", high, s("sk-or-v1-"),
			`\b(sk-or-v1-[a-f0-9]{64})\b`, s("sk-or-v1-{hex:64}"), s("sk-or-v1-{hex:10}")),
		{ID: "kagi-session-link", Class: "kagi", Description: "Kagi private session link token", Severity: high, Confidence: 0.85, Keywords: s("kagi.com"),
			Regex:    `kagi\.com/search\?token=([A-Za-z0-9_\-]{8,16}\.[A-Za-z0-9_\-]{20,80})`,
			Examples: s("https://kagi.com/search?token={url:11}.{url:43}"), NonExamples: s("https://kagi.com/search?q=token")},
		// --- Payments ---------------------------------------------------------
		tok("stripe-live-secret-key", "stripe", "Stripe live secret key", crit, s("sk_live_"),
			`\b(sk_live_[A-Za-z0-9]{20,247})\b`, s("STRIPE_KEY=sk_live_{an:24}"), s("sk_live_{an:8}", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx")),
		tok("stripe-restricted-key", "stripe", "Stripe live restricted key", crit, s("rk_live_"),
			`\b(rk_live_[A-Za-z0-9]{20,247})\b`, s("rk_live_{an:24}"), s("rk_live_{an:8}")),
		tok("stripe-test-key", "stripe", "Stripe test-mode secret key", med, s("sk_test_", "rk_test_"),
			`\b((?:sk|rk)_test_[A-Za-z0-9]{20,247})\b`, s(`require("stripe")("sk_test_{an:24}")`), s("sk_test_{an:8}")),
		tok("stripe-webhook-secret", "stripe", "Stripe webhook signing secret", high, s("whsec_"),
			`\b(whsec_[A-Za-z0-9+/]{32,64})\b`, s("STRIPE_WEBHOOK_SECRET=whsec_{an:32}"), s("whsec_{an:8}")),
		tok("square-access-token", "square", "Square access token", high, s("sq0atp-", "eaaa"),
			`\b(sq0atp-[0-9A-Za-z_\-]{22}|EAAA[A-Za-z0-9_\-]{60})(?:[^0-9A-Za-z_\-]|$)`, s("var accessToken = 'sq0atp-{url:22}';", "EAAA{url:60}"), s("sq0atp-{an:5}")),
		tok("square-oauth-secret", "square", "Square OAuth secret", high, s("sq0csp-"),
			`\b(sq0csp-[0-9A-Za-z_\-]{43})(?:[^0-9A-Za-z_\-]|$)`, s("sq0csp-{url:43}"), s("sq0csp-{an:5}")),
		tok("braintree-access-token", "paypal", "PayPal Braintree access token", crit, s("access_token$production$"),
			`\b(access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32})\b`, s("access_token$production${lc:16}${hex:32}"), s("access_token$production$abc$def")),
		tok("shopify-access-token", "shopify", "Shopify access token", high, s("shpat_"),
			`\b(shpat_[a-fA-F0-9]{32})\b`, s("X-Shopify-Access-Token: shpat_{hex:32}"), s("shpat_{hex:8}")),
		tok("shopify-shared-secret", "shopify", "Shopify shared secret", high, s("shpss_"),
			`\b(shpss_[a-fA-F0-9]{32})\b`, s("shpss_{hex:32}"), s("shpss_{hex:8}")),
		tok("shopify-custom-app-token", "shopify", "Shopify custom app access token", high, s("shpca_"),
			`\b(shpca_[a-fA-F0-9]{32})\b`, s("shpca_{hex:32}"), s("shpca_{hex:8}")),
		tok("shopify-private-app-token", "shopify", "Shopify private app access token", high, s("shppa_"),
			`\b(shppa_[a-fA-F0-9]{32})\b`, s("shppa_{hex:32}"), s("shppa_{hex:8}")),
		tok("flutterwave-secret-key", "flutterwave", "Flutterwave secret key", high, s("flwseck"),
			`\b(FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)`, s("FLWSECK-{hex:32}-X"), s("FLWSECK-{hex:8}-X")),
		tok("shippo-api-token", "shippo", "Shippo API token", high, s("shippo_"),
			`\b(shippo_(?:live|test)_[a-f0-9]{40})\b`, s("shippo_live_{hex:40}"), s("shippo_live_{hex:8}")),
		tok("easypost-api-key", "easypost", "EasyPost API key", high, s("ezak", "eztk"),
			`\b(EZ[AT]K[a-zA-Z0-9]{54})\b`, s("EZAK{an:54}"), s("EZAK{an:10}")),
		// --- Messaging ------------------------------------------------------
		tok("slack-bot-token", "slack", "Slack bot token", crit, s("xoxb-"),
			`\b(xoxb-[0-9]{10,13}-(?:[0-9]{10,13}-)?[A-Za-z0-9]{20,34})\b`,
			s("SLACK_BOT_TOKEN=xoxb-{dig:12}-{dig:13}-{an:24}"), s("xoxb-XXXXXXXXXXXX-XXXXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXX", "xoxb-{dig:4}")),
		tok("slack-user-token", "slack", "Slack user or enterprise token", crit, s("xoxp-", "xoxe-"),
			`\b(xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9\-]{28,34})\b`,
			s("xoxp-{dig:12}-{dig:12}-{dig:13}-{hex:32}"), s("xoxp-XXXXXXXXXX-XXXXXXXXXX-XXXXXXXXXXX-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")),
		tok("slack-app-token", "slack", "Slack app-level token", high, s("xapp-"),
			`\b(xapp-\d-[A-Z0-9]{9,12}-\d{10,14}-[a-f0-9]{64})\b`, s("xapp-1-A{AN:10}-{dig:13}-{hex:64}"), s("xapp-1-{AN:4}")),
		tok("slack-config-token", "slack", "Slack configuration token", high, s("xoxe.xox"),
			`\b(xoxe\.xox[bp]-\d-[A-Za-z0-9]{160,170})\b`, s("xoxe.xoxp-1-{an:166}"), s("xoxe.xoxp-1-{an:10}")),
		tok("slack-config-refresh-token", "slack", "Slack configuration refresh token", high, s("xoxe-"),
			`\b(xoxe-\d-[A-Za-z0-9]{140,150})\b`, s("xoxe-1-{an:146}"), s("xoxe-1-{an:10}")),
		tok("slack-legacy-token", "slack", "Slack legacy or workspace token", high, s("xoxa-", "xoxo-", "xoxr-", "xoxs-"),
			`\b(xox[aors]-(?:\d+-)+[a-zA-Z0-9]{20,64})\b`, s("xoxs-{dig:10}-{dig:10}-{an:32}"), s("xoxs-1-abc")),
		tok("slack-webhook-url", "slack", "Slack incoming webhook URL", high, s("hooks.slack.com"),
			`(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/]{43,120})`,
			s("https://hooks.slack.com/services/T{AN:8}/B{AN:8}/{an:24}"), s("https://hooks.slack.com/services/T000/B000/XXXX")),
		// A capability URL: many chat and automation services (Mattermost,
		// Rocket.Chat, self-hosted CI and alerting) take an incoming webhook
		// at /hooks/<random id>: whoever holds the URL can post. The last
		// path segment must be machine-made (letters and digits, no words).
		{ID: "webhook-capability-url", Float: true, Class: "webhook", Description: "incoming webhook URL with a secret path", Severity: high, Confidence: 0.75,
			Keywords: s("/hooks/", "/webhook/", "/webhooks/"), Back: 120, Ahead: 160, Entropy: 3.3,
			Regex: `\bhttps?://[\w.\-]+(?::\d{2,5})?(?:/[\w.\-]+){0,4}?/(?:hooks|webhooks?)/(?:[\w\-]{1,40}/){0,2}?([A-Za-z0-9_\-]{20,100})(?:[/"'\s?#]|$)`,
			Check: func(v string) (bool, bool) {
				return charClasses(v) >= 2 && strings.ContainsAny(v, "0123456789") && !wordy(v) && !isUUID(strings.ToLower(v)), false
			},
			Examples:    s("https://chat.example.org/hooks/{lc:26}", `WEBHOOK = "https://mm.internal:8065/hooks/{an:26}"`),
			NonExamples: s("https://api.github.com/repos/o/r/hooks/{dig:9}", "https://example.com/webhooks/stripe-payment-events", "https://chat.example.org/hooks/{uuid}", "https://hooks.example.org/hooks/incoming")},
		{ID: "discord-bot-token", Float: true, Class: "discord", Description: "Discord bot token", Severity: high, Confidence: 0.8, Keywords: s("discord"), Back: 200, Ahead: 300, Entropy: 3.5,
			Regex:    `\b([MNO][A-Za-z\d_\-]{23,27}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,40})\b`,
			Examples: s("DISCORD_BOT_TOKEN=MT{an:22}.{url:6}.{url:38}"), NonExamples: s("discord token: MT.abc.def")},
		floating(tok("discord-webhook-url", "discord", "Discord webhook URL", high, s("/api/webhooks/"),
			`(?:https?://)?(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d{17,20}/([A-Za-z0-9_\-]{60,80})`,
			s("https://discord.com/api/webhooks/{dig:18}/{url:68}"), s("https://discord.com/api/webhooks/123/abc")), 80, 120),
		{ID: "telegram-bot-token", Float: true, Class: "telegram", Description: "Telegram bot token", Severity: high, Confidence: 0.85, Keywords: s(":aa"), Back: 16, Ahead: 48,
			Regex:    `(?:^|[^0-9])(\d{8,10}:AA[A-Za-z0-9_\-]{30,34})(?:[^A-Za-z0-9_\-]|$)`,
			Examples: s("TELEGRAM_BOT_TOKEN={dig:10}:AA{url:33}"), NonExamples: s("12:AAshort")},
		{ID: "twilio-api-key", Class: "twilio", Description: "Twilio API key", Severity: high, Confidence: 0.8, Keywords: s("sk"), Ahead: 40,
			Regex: `\b(SK[0-9a-fA-F]{32})\b`, Check: hexMixCheck,
			Examples: s("TWILIO_API_KEY=SK{hex:32}", "env('TWILIO_API','SK{hex:32}')"), NonExamples: s("SK{hex:8}", "SK00000000000000000000000000000000")},
		kv("twilio-auth-token", "twilio", "Twilio auth token", high, `twilio[\w.\-]{0,20}(?:auth|token|secret)`, s("twilio"),
			`[a-f0-9]{32}`, s("TWILIO_AUTH_TOKEN={hex:32}"), s("TWILIO_AUTH_TOKEN={hex:12}")),
		tok("sendgrid-api-key", "sendgrid", "SendGrid API key", crit, s("sg."),
			`\b(SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)`, s("SENDGRID_API_KEY=SG.{url:22}.{url:43}"), s("SG.{url:5}.{url:5}")),
		tok("mailgun-api-key", "mailgun", "Mailgun API key", high, s("key-"),
			`\b(key-[0-9a-f]{32})\b`, s("var apiKey = 'key-{hex:32}'"), s("key-{hex:8}", "key-00000000000000000000000000000000")),
		kv("mailgun-signing-key", "mailgun", "Mailgun webhook signing key", high, `mailgun`, s("mailgun"),
			`[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8}`, s("MAILGUN_SIGNING_KEY={hex:32}-{hex:8}-{hex:8}"), s("MAILGUN_DOMAIN=mg.example.com")),
		floating(tok("mailchimp-api-key", "mailchimp", "Mailchimp API key", high, s("-us"),
			`\b([0-9a-f]{32}-us\d{1,2})\b`, s("MAILCHIMP_KEY={hex:32}-us14"), s("{hex:12}-us1")), 40, 8),
		kv("postmark-server-token", "postmark", "Postmark server token", high, `postmark`, s("postmark"),
			uuidRe, s(`postmark: "{uuid}"`, "POSTMARK_API_TOKEN={uuid}"), s("POSTMARK_API_TOKEN=00000000-0000-0000-0000-000000000000")),
		floating(tok("microsoft-teams-webhook", "microsoft", "Microsoft Teams incoming webhook URL", high, s("webhook.office.com", "outlook.office.com/webhook/", "outlook.office365.com/webhook/"),
			`https://(?:[a-z0-9\-]+\.webhook\.office\.com/webhookb2|outlook\.office(?:365)?\.com/webhook)/[a-f0-9\-]{36}@[a-f0-9\-]{36}/IncomingWebhook/([a-f0-9]{32}/[a-f0-9\-]{36}(?:/[A-Za-z0-9_\-]{40,60})?)`,
			s("https://demo.webhook.office.com/webhookb2/{uuid}@{uuid}/IncomingWebhook/{hex:32}/{uuid}"), s("https://demo.webhook.office.com/webhookb2/{uuid}")), 80, 200),
		twitterBearer(tok("twitter-bearer-token", "twitter", "Twitter / X bearer token", high, s("aaaaaaaaaaaaaaaaaaaaa"),
			`\b(AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,150})`, s("TWITTER_BEARER=AAAAAAAAAAAAAAAAAAAAA{an:80}"), s("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))),
		kv("twitter-api-secret", "twitter", "Twitter / X API secret", high, `twitter[\w.\-]{0,20}(?:secret|key)`, s("twitter"),
			`[A-Za-z0-9]{45,50}`, s("TWITTER_API_SECRET={an:50}"), s("TWITTER_API_SECRET={an:10}")),
		tok("facebook-access-token", "facebook", "Facebook / Meta access token", high, s("eaa"),
			`\b(EAA[A-Z][A-Za-z0-9]{90,400})\b`, s("FB_TOKEN=EAAB{an:120}"), s("EAAB{an:20}")),
		kv("facebook-app-secret", "facebook", "Facebook app secret", high, `facebook|fb[_\-]?(?:app)?[_\-]?secret`, s("facebook", "fb_", "fb-"),
			`[a-f0-9]{32}`, s("FACEBOOK_APP_SECRET={hex:32}"), s("FACEBOOK_APP_SECRET={hex:10}")),
		kv("facebook-app-access-token", "facebook", "Facebook app access token", high, `facebook`, s("facebook"),
			`\d{15,16}\|[A-Za-z0-9_\-]{26,28}`, s("facebook {dig:16}|{url:27}"), s("facebook 1234|abc")),
		kv("linkedin-client-secret", "linkedin", "LinkedIn client secret", high, `linkedin|linked[_\-]in`, s("linkedin", "linked_in", "linked-in"),
			`[A-Za-z0-9]{16}`, s("LINKEDIN_CLIENT_SECRET={an:16}"), s("LINKEDIN_PROFILE=https://linkedin.com/in/x")),
		tok("twitch-stream-key", "twitch", "Twitch stream key", high, s("live_"),
			`\b(live_\d{6,12}_[A-Za-z0-9]{30})\b`, s("STREAM_KEY=live_{dig:9}_{an:30}"), s("live_123_abc", "live_demo_stream")),
		kv("twitch-api-token", "twitch", "Twitch API token", high, `twitch`, s("twitch"),
			`(?:oauth:)?[a-z0-9]{30}`, s("TWITCH_OAUTH_TOKEN=oauth:{lc:30}"), s("TWITCH_CHANNEL=demo")),
		// --- Package registries ---------------------------------------------
		tok("npm-access-token", "npm", "npm access token", crit, s("npm_"),
			`\b(npm_[A-Za-z0-9]{36})\b`, s("NPM_TOKEN=npm_{an:36}"), s("npm_{an:8}", "npm_install_packages_for_the_workspace")),
		{ID: "npmrc-auth-token", Class: "npm", Description: "npm registry credential in .npmrc", Severity: high, Confidence: 0.85, Keywords: s("_authtoken", "_auth", "_password"), Entropy: 3, Check: valueCheck,
			Regex:    `(?:_authToken|_auth|_password)\s*=\s*["']?([^\s"'$<>]{16,})`,
			Examples: s("//registry.npmjs.org/:_authToken={uuid}"), NonExamples: s("//registry.npmjs.org/:_authToken=${NPM_TOKEN}", "_authToken=$NPM_TOKEN")},
		tok("pypi-upload-token", "pypi", "PyPI upload token", crit, s("pypi-ageichlwas5vcmc", "pypi-ageicnrlc3quchlwas5vcmc"),
			`\b(pypi-AgE(?:IcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)[A-Za-z0-9_\-]{50,400})`, s("password = pypi-AgEIcHlwaS5vcmc{url:80}"), s("pypi-AgEIcHlwaS5vcmc{url:8}")),
		tok("rubygems-api-key", "rubygems", "RubyGems API key", high, s("rubygems_"),
			`\b(rubygems_[a-f0-9]{48})\b`, s("GEM_HOST_API_KEY=rubygems_{hex:48}"), s("rubygems_{hex:8}")),
		tok("nuget-api-key", "nuget", "NuGet API key", high, s("oy2"),
			`\b(oy2[a-z0-9]{43})\b`, s("dotnet nuget push x.nupkg --api-key oy2{lc:43}"), s("oy2{lc:10}")),
		tok("dockerhub-pat", "docker", "Docker Hub personal access token", high, s("dckr_pat_", "dckr_oat_"),
			`\b(dckr_(?:pat|oat)_[A-Za-z0-9_\-]{27,32})(?:[^A-Za-z0-9_\-]|$)`, s("docker login -u demo -p dckr_pat_{url:27}"), s("dckr_pat_{an:5}")),
		{ID: "jenkins-encrypted-secret", Class: "jenkins", Description: "Jenkins encrypted secret (credentials.xml)", Severity: med, Confidence: 0.75,
			Keywords: s("{aqaaabaaaa"), Ahead: 4096, NoRunCheck: true,
			Regex:       `\{(AQAAABAAAA[A-Za-z0-9+/]{20,}={0,2})\}`,
			Examples:    s("<password>{AQAAABAAAAAQ{b64:43}=}</password>", "<privateKey>{AQAAABAAAAaQ{b64:400}=}</privateKey>"),
			NonExamples: s("<password>{AQAAABAAAAAQ}</password>", "{AQAAABAAAA...}")},
		{ID: "docker-config-auth", Class: "docker", Description: "Docker registry credential (config.json auth)", Severity: high, Confidence: 0.85, Keywords: s(`"auth"`), Back: 8, Ahead: 400,
			Regex: `"auth"\s*:\s*"([A-Za-z0-9+/]{12,}={0,2})"`, Check: basicAuthCheck,
			Examples: s(`{"auths": {"https://index.docker.io/v1/": {"auth": "ZGVtbzpzM2NyM3RQYXNzd29yZDEyMw=="}}}`), NonExamples: s(`{"auths": {"r": {"auth": "{{ AUTH_BASE64 }}"}}}`, `{"auth": "bm9wYXNzd29yZA=="}`)},
		tok("crates-io-api-token", "crates", "crates.io API token", high, s("cio"),
			`\b(cio[a-zA-Z0-9]{32})\b`, s("CARGO_REGISTRY_TOKEN=cio{an:32}"), s("cio{an:10}")),
		tok("artifactory-api-key", "jfrog", "JFrog Artifactory API key", high, s("akcp"),
			`\b(AKCp[A-Za-z0-9]{69})\b`, s("--apikey=AKCp{an:69}"), s("AKCp{an:10}")),
		tok("artifactory-reference-token", "jfrog", "JFrog Artifactory reference token", high, s("cmvmdgtu"),
			`\b(cmVmdGtu[A-Za-z0-9]{56})\b`, s("cmVmdGtu{an:56}"), s("cmVmdGtu{an:10}")),
		tok("clojars-deploy-token", "clojars", "Clojars deploy token", high, s("clojars_"),
			`\b(CLOJARS_[a-z0-9]{60})\b`, s("CLOJARS_{lc:60}"), s("CLOJARS_{lc:10}")),
		tok("pulumi-access-token", "pulumi", "Pulumi access token", high, s("pul-"),
			`\b(pul-[a-f0-9]{40})\b`, s("PULUMI_ACCESS_TOKEN=pul-{hex:40}"), s("pul-{hex:8}")),
		// --- Infrastructure ---------------------------------------------------
		tok("hashicorp-vault-token", "vault", "HashiCorp Vault token", crit, s("hvs.", "hvb.", "hvr."),
			`\b(hv[sbr]\.[A-Za-z0-9_\-]{24,300})(?:[^A-Za-z0-9_\-]|$)`, s("VAULT_TOKEN=hvs.{url:90}"), s("hvs.{an:6}")),
		kv("hashicorp-vault-legacy-token", "vault", "HashiCorp Vault token (legacy format)", high, `vault`, s("vault"),
			`[sbr]\.[A-Za-z0-9_\-]{24,}`, s(`VAULT_CLIENT_TOKEN="s.{an:24}"`, "vault login -vaultToken s.{url:90}"), s("VAULT_ADDR=https://vault.example.com")),
		{ID: "hashicorp-vault-unseal-key", Class: "vault", Description: "HashiCorp Vault unseal key", Severity: crit, Confidence: 0.85, Keywords: s("unseal key", "operator unseal"), Ahead: 140,
			Regex:    `(?i)(?:unseal key \d{1,2}:|operator unseal)\s+(?-i:([A-Za-z0-9+/]{43,44}=?|[a-f0-9]{64}))`,
			Examples: s("Unseal Key 1: {b64:43}=", "vault operator unseal {b64:43}="), NonExamples: s("vault operator unseal", "Unseal Key 1: <key>")},
		floating(tok("terraform-cloud-token", "terraform", "Terraform Cloud / HCP Terraform API token", high, s(".atlasv1."),
			`\b([A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=\-]{60,70})(?:[^A-Za-z0-9_=\-]|$)`, s(`token = "{an:14}.atlasv1.{url:67}"`), s(`token = "xxxxxxxxxxxxxx.atlasv1.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`)), 20, 80),
		kv("heroku-api-key", "heroku", "Heroku API key", high, `heroku`, s("heroku"),
			uuidRe, s("HEROKU_API_KEY={uuid}"), s("HEROKU_APP=demo-app")),
		tok("heroku-api-key-v2", "heroku", "Heroku API key", high, s("hrku-"),
			`\b(HRKU-[A-Za-z0-9_\-]{60})(?:[^A-Za-z0-9_\-]|$)`, s("HRKU-{url:60}"), s("HRKU-{an:10}")),
		tok("digitalocean-pat", "digitalocean", "DigitalOcean personal access token", crit, s("dop_v1_"),
			`\b(dop_v1_[a-f0-9]{64})\b`, s("DIGITALOCEAN_TOKEN=dop_v1_{hex:64}"), s("dop_v1_{hex:8}")),
		tok("digitalocean-oauth-token", "digitalocean", "DigitalOcean OAuth token", high, s("doo_v1_"),
			`\b(doo_v1_[a-f0-9]{64})\b`, s("Authorization: Bearer doo_v1_{hex:64}"), s("doo_v1_{hex:8}")),
		tok("digitalocean-refresh-token", "digitalocean", "DigitalOcean refresh token", high, s("dor_v1_"),
			`\b(dor_v1_[a-f0-9]{64})\b`, s("dor_v1_{hex:64}"), s("dor_v1_{hex:8}")),
		kv("cloudflare-api-token", "cloudflare", "Cloudflare API token", high, `cloudflare|cf[_\-]api[_\-]token`, s("cloudflare", "cf_api", "cf-api"),
			`[A-Za-z0-9_\-]{40}`, s("CLOUDFLARE_API_TOKEN={url:40}"), s("CLOUDFLARE_ZONE=example.com")),
		kv("cloudflare-global-api-key", "cloudflare", "Cloudflare global API key", high, `cloudflare|cf[_\-]api[_\-]key`, s("cloudflare", "cf_api", "cf-api"),
			`[a-f0-9]{37}`, s("CLOUDFLARE_API_KEY={hex:37}"), s("CLOUDFLARE_API_KEY={hex:12}")),
		tok("cloudflare-origin-ca-key", "cloudflare", "Cloudflare Origin CA key", high, s("v1.0-"),
			`\b(v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b`, s("v1.0-{hex:24}-{hex:146}"), s("v1.0-{hex:24}-{hex:10}")),
		kv("datadog-api-key", "datadog", "Datadog API key", high, `datadog|dd[_\-]api[_\-]key|dd[_\-]apikey`, s("datadog", "dd_api", "dd-api", "dd_apikey"),
			`[a-f0-9]{32}`, s("DD_API_KEY={hex:32}"), s("DD_API_KEY={hex:10}")),
		kv("datadog-app-key", "datadog", "Datadog application key", high, `datadog[\w.\-]{0,20}app|dd[_\-]app(?:lication)?[_\-]?key`, s("datadog", "dd_app", "dd-app"),
			`[a-f0-9]{40}`, s("DD_APP_KEY={hex:40}"), s("DD_APP_KEY={hex:10}")),
		tok("newrelic-user-api-key", "newrelic", "New Relic user API key", high, s("nrak-"),
			`\b(NRAK-[A-Z0-9]{27})\b`, s("NEW_RELIC_API_KEY=NRAK-{AN:27}"), s("NRAK-{AN:10}")),
		tok("newrelic-insights-key", "newrelic", "New Relic Insights insert / query key", high, s("nrii-", "nriq-"),
			`\b(NRI[IQ]-[A-Za-z0-9_\-]{32})(?:[^A-Za-z0-9_\-]|$)`, s("NRII-{url:32}"), s("NRII-{an:10}")),
		tok("newrelic-browser-api-key", "newrelic", "New Relic browser API key", med, s("nrjs-"),
			`\b(NRJS-[a-f0-9]{19})\b`, s("NRJS-{hex:19}"), s("NRJS-{hex:5}")),
		tok("newrelic-admin-api-key", "newrelic", "New Relic admin / REST API key", high, s("nraa-", "nrra-"),
			`\b(NR[AR]A-[a-f0-9]{27})\b`, s("admin_access:NRAA-{hex:27}"), s("NRAA-{hex:8}")),
		floating(tok("newrelic-license-key", "newrelic", "New Relic license key", high, s("nral"),
			`\b((?:eu01xx[a-f0-9]{30}|[a-f0-9]{36})NRAL)\b`, s("license_key: {hex:36}NRAL", "license: eu01xx{hex:30}NRAL"), s("{hex:10}NRAL")), 40, 8),
		kv("newrelic-legacy-license-key", "newrelic", "New Relic license key", high, `new[_\-. ]?relic[\w.\-]{0,20}(?:license|key)|nr[_\-]license`, s("newrelic", "new_relic", "new-relic", "new relic", "nr_license"),
			`[a-f0-9]{40}`, s("NEW_RELIC_LICENSE_KEY={hex:40}"), s("NEW_RELIC_LICENSE_KEY={hex:12}")),
		tok("sentry-org-token", "sentry", "Sentry organization token", high, s("sntrys_"),
			`\b(sntrys_eyJ[A-Za-z0-9+/=_\-]{60,300})`, s("SENTRY_AUTH_TOKEN=sntrys_eyJ{b64:120}"), s("sntrys_eyJ{b64:10}")),
		tok("sentry-user-token", "sentry", "Sentry user auth token", high, s("sntryu_"),
			`\b(sntryu_[a-f0-9]{64})\b`, s("sntryu_{hex:64}"), s("sntryu_{hex:10}")),
		kv("sentry-legacy-auth-token", "sentry", "Sentry auth token", high, `sentry[\w.\-]{0,20}(?:auth|token)`, s("sentry"),
			`[a-f0-9]{64}`, s("SENTRY_AUTH_TOKEN={hex:64}"), s("SENTRY_DSN=https://example.com")),
		kv("okta-api-token", "okta", "Okta API token", high, `okta`, s("okta"),
			`00[A-Za-z0-9_\-]{40}`, s("OKTA_API_TOKEN=00{url:40}"), s("okta_api_key: 00ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn", "OKTA_TOKEN=00{url:10}")),
		kv("auth0-client-secret", "auth0", "Auth0 client secret", high, `auth0[\w.\-]{0,20}secret`, s("auth0"),
			`[A-Za-z0-9_\-]{64}`, s("AUTH0_CLIENT_SECRET={url:64}"), s("AUTH0_CLIENT_SECRET={url:10}")),
		tok("grafana-cloud-token", "grafana", "Grafana Cloud API token", high, s("glc_"),
			`\b(glc_[A-Za-z0-9+/]{32,400}={0,2})`, s("GRAFANA_CLOUD_TOKEN=glc_{b64:80}"), s("glc_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "glc_{an:8}")),
		tok("grafana-service-account-token", "grafana", "Grafana service account token", high, s("glsa_"),
			`\b(glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b`, s("glsa_{an:32}_{hex:8}"), s("glsa_{an:8}")),
		tok("grafana-api-key", "grafana", "Grafana API key", high, s("eyjrijoi"),
			`\b(eyJrIjoi[A-Za-z0-9]{60,400}={0,2})`, s("eyJrIjoi{an:72}"), s("eyJrIjoi{an:8}")),
		tok("databricks-token", "databricks", "Databricks access token", high, s("dapi"),
			`\b(dapi[a-f0-9]{32}(?:-\d)?)\b`, s("DATABRICKS_TOKEN: 'dapi{hex:32}-3'"), s("dapi{hex:8}")),
		tok("doppler-token", "doppler", "Doppler token", high, s("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
			`\b(dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_\-]{2,35}\.)?[A-Za-z0-9]{40,44})\b`, s("DOPPLER_TOKEN=dp.st.{an:43}", "dp.st.dev.{an:43}"), s("dp.st.{an:8}")),
		tok("dropbox-access-token", "dropbox", "Dropbox access token", high, s("sl."),
			`\b(sl\.[A-Za-z0-9_\-]{130,152})(?:[^A-Za-z0-9_\-]|$)`, s("DROPBOX_TOKEN=sl.{url:138}"), s("sl.{an:10}")),
		tok("figma-pat", "figma", "Figma personal access token", high, s("figd_"),
			`\b(figd_[A-Za-z0-9_\-]{40})(?:[^A-Za-z0-9_\-]|$)`, s("FIGMA_TOKEN=figd_{url:40}"), s("figd_{an:8}")),
		tok("linear-api-key", "linear", "Linear API key", high, s("lin_api_"),
			`\b(lin_api_[A-Za-z0-9]{40})\b`, s("LINEAR_API_KEY=lin_api_{an:40}"), s("lin_api_{an:8}")),
		tok("notion-integration-token", "notion", "Notion integration token", high, s("ntn_"),
			`\b(ntn_[0-9]{11}[A-Za-z0-9]{32,40})\b`, s("NOTION_TOKEN=ntn_{dig:11}{an:35}"), s("ntn_{an:8}")),
		kv("notion-legacy-token", "notion", "Notion integration token (legacy)", high, `notion`, s("notion"),
			`secret_[A-Za-z0-9]{43}`, s("NOTION_API_KEY=secret_{an:43}"), s("NOTION_API_KEY=secret_{an:8}")),
		tok("postman-api-key", "postman", "Postman API key", high, s("pmak-"),
			`\b(PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b`, s("POSTMAN_API_KEY=PMAK-{hex:24}-{hex:34}"), s("PMAK-{hex:8}")),
		tok("onepassword-service-account-token", "1password", "1Password service account token", crit, s("ops_eyj"),
			`\b(ops_eyJ[A-Za-z0-9+/=_\-]{200,})`, s("OP_SERVICE_ACCOUNT_TOKEN=ops_eyJ{b64:300}"), s("ops_eyJ{b64:20}")),
		tok("onepassword-secret-key", "1password", "1Password account secret key", crit, s("a3-"),
			`\b(A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})\b`,
			s("A3-{AN:6}-{AN:6}-{AN:5}-{AN:5}-{AN:5}-{AN:5}"), s("A3-ABCDEF-123")),
		tok("age-secret-key", "age", "age encryption secret key", crit, s("age-secret-key-1"),
			`\b(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b`, s("AGE-SECRET-KEY-1{B32:58}"), s("AGE-SECRET-KEY-1{B32:10}")),
		tok("mapbox-secret-token", "mapbox", "Mapbox secret access token", high, s("sk.eyj", "tk.eyj"),
			`\b([st]k\.eyJ[A-Za-z0-9_\-]{40,300}\.[A-Za-z0-9_\-]{20,})`, s("export MAPBOX_SECRET_TOKEN=sk.eyJ{url:60}.{url:22}", "tk.eyJ{url:60}.{url:22}"), s("sk.eyJ{an:5}.{an:5}", "pk.eyJ{url:60}.{url:22}")),
		tok("tailscale-key", "tailscale", "Tailscale API or auth key", high, s("tskey-"),
			`\b(tskey-(?:api-|auth-|client-|webhook-|scim-)?[A-Za-z0-9]{8,20}-[A-Za-z0-9]{20,64})\b`, s("TS_AUTHKEY=tskey-auth-{an:12}CNTRL-{an:33}"), s("tskey-auth-{an:5}")),
		tok("flyio-token", "flyio", "Fly.io access token", high, s("fm1_", "fm2_", "flyv1"),
			`\b((?:FlyV1 )?fm[12][ar]?_[A-Za-z0-9+/=_\-]{100,800})`, s("FLY_API_TOKEN=FlyV1 fm2_{b64:200}"), s("fm2_{an:10}")),
		tok("netlify-access-token", "netlify", "Netlify access token", high, s("nfp_"),
			`\b(nfp_[A-Za-z0-9]{36})\b`, s("NETLIFY_AUTH_TOKEN=nfp_{an:36}"), s("nfp_{an:8}")),
		kv("vercel-token", "vercel", "Vercel access token", high, `vercel`, s("vercel"),
			`[A-Za-z0-9]{24}`, s("VERCEL_TOKEN={an:24}"), s("VERCEL_URL=demo.vercel.app")),
		tok("supabase-access-token", "supabase", "Supabase access token", high, s("sbp_"),
			`\b(sbp_[a-f0-9]{40})\b`, s("SUPABASE_ACCESS_TOKEN=sbp_{hex:40}"), s("sbp_{hex:8}")),
		tok("supabase-secret-key", "supabase", "Supabase secret API key", high, s("sb_secret_"),
			`\b(sb_secret_[A-Za-z0-9_\-]{30,})`, s("SUPABASE_SECRET_KEY=sb_secret_{url:40}"), s("sb_secret_{an:5}")),
		tok("planetscale-token", "planetscale", "PlanetScale password or token", high, s("pscale_"),
			`\b(pscale_(?:pw|tkn|oauth)_[A-Za-z0-9_.\-]{32,64})`, s("PLANETSCALE_PASSWORD=pscale_pw_{url:43}"), s("pscale_pw_{an:8}")),
		tok("airtable-pat", "airtable", "Airtable personal access token", high, s("pat"),
			`\b(pat[A-Za-z0-9]{14}\.[a-f0-9]{64})\b`, s("AIRTABLE_TOKEN=pat{an:14}.{hex:64}"), s("pat{an:14}.{hex:10}")),
		tok("contentful-pat", "contentful", "Contentful personal access token", high, s("cfpat-"),
			`\b(CFPAT-[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)`, s("CFPAT-{url:43}"), s("CFPAT-{an:8}")),
		tok("prefect-api-key", "prefect", "Prefect API key", high, s("pnu_"),
			`\b(pnu_[A-Za-z0-9]{36})\b`, s("PREFECT_API_KEY=pnu_{an:36}"), s("pnu_{an:8}")),
		tok("readme-api-key", "readme", "ReadMe API key", high, s("rdme_"),
			`\b(rdme_[a-z0-9]{70})\b`, s("rdme_{lc:70}"), s("rdme_{lc:8}")),
		tok("typeform-pat", "typeform", "Typeform personal access token", high, s("tfp_"),
			`\b(tfp_[A-Za-z0-9_.=\-]{59})`, s("tfp_{url:59}"), s("tfp_{an:8}")),
		tok("harness-pat", "harness", "Harness access token", high, s("pat.", "sat."),
			`\b((?:pat|sat)\.[A-Za-z0-9_\-]{22}\.[a-fA-F0-9]{24}\.[A-Za-z0-9]{20})\b`, s("pat.{url:22}.{hex:24}.{an:20}"), s("pat.abc.def")),
		tok("octopus-deploy-api-key", "octopus", "Octopus Deploy API key", high, s("api-"),
			`\b(API-[A-Z0-9]{26})\b`, s("OCTOPUS_API_KEY=API-{AN:26}"), s("API-{AN:5}", "API-ORG-CREATE")),
		tok("intra42-client-secret", "intra42", "42 Intra API client secret", high, s("s-s4t2"),
			`\b(s-s4t2(?:ud|af)-[a-f0-9]{64})\b`, s("s-s4t2ud-{hex:64}"), s("s-s4t2ud-{hex:8}")),
		tok("frameio-api-token", "frameio", "Frame.io API token", high, s("fio-u-"),
			`\b(fio-u-[A-Za-z0-9_=\-]{64})`, s("fio-u-{url:64}"), s("fio-u-{an:8}")),
		tok("buildkite-api-token", "buildkite", "Buildkite API token", high, s("bkua_"),
			`\b(bkua_[a-f0-9]{40})\b`, s("BUILDKITE_TOKEN=bkua_{hex:40}"), s("bkua_{hex:8}")),
		tok("dynatrace-api-token", "dynatrace", "Dynatrace API token", high, s("dt0c01."),
			`\b(dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})\b`, s("DT_API_TOKEN=dt0c01.{AN:24}.{AN:64}"), s("dt0c01.{AN:5}")),
		tok("adafruit-io-key", "adafruit", "Adafruit IO key", high, s("aio_"),
			`\b(aio_[A-Za-z0-9]{28})\b`, s("ADAFRUIT_IO_KEY=aio_{an:28}"), s("aio_{an:8}")),
		tok("dependency-track-api-key", "dependencytrack", "Dependency-Track API key", high, s("odt_"),
			`\b(odt_[A-Za-z0-9]{32,})\b`, s("X-Api-Key: odt_{an:32}"), s("odt_{an:8}")),
		tok("sonarqube-token", "sonarqube", "SonarQube token", high, s("sqp_", "squ_", "sqa_"),
			`\b(sq[pua]_[a-f0-9]{40})\b`, s("SONAR_TOKEN=squ_{hex:40}"), s("squ_{hex:8}")),
		kv("sonarqube-legacy-token", "sonarqube", "SonarQube token (legacy)", high, `sonar`, s("sonar"),
			`[a-f0-9]{40}`, s(`$sonarLogin = "{hex:40}"`, `property 'sonar.token', '{hex:40}'`), s("sonarlint-core-3.2.1.tgz#{hex:40}")),
		tok("stackhawk-api-key", "stackhawk", "StackHawk API key", high, s("hawk."),
			`\b(hawk\.[0-9A-Za-z_\-]{20}\.[0-9A-Za-z_\-]{20})(?:[^0-9A-Za-z_\-]|$)`, s("HAWK_API_KEY=hawk.{url:20}.{url:20}"), s("hawk.abc.def")),
		floating(tok("thingsboard-access-token", "thingsboard", "ThingsBoard device access token", high, s("/api/v1/"),
			`(?:thingsboard[^\s/]*|/)/api/v1/([a-z0-9]{20})/(?:telemetry|attributes|rpc)`, s("https://thingsboard.cloud/api/v1/{lc:20}/telemetry"), s("https://example.com/api/v1/users/telemetry")), 200, 60),
		kv("particle-access-token", "particle", "Particle.io access token", high, `particle`, s("particle"),
			`[a-f0-9]{40}`, s("PARTICLE_ACCESS_TOKEN={hex:40}"), s("PARTICLE_ACCESS_TOKEN={hex:10}")),
		{ID: "particle-url-token", Float: true, Class: "particle", Description: "Particle.io access token in a URL", Severity: high, Confidence: 0.85, Keywords: s("access_token="), Back: 300,
			Regex:    `api\.particle\.io/[^\s"']{0,200}?access_token=([a-f0-9]{40})`,
			Examples: s("https://api.particle.io/v1/devices?access_token={hex:40}"), NonExamples: s("https://api.particle.io/v1/devices?access_token=abc")},
		kv("blynk-auth-token", "blynk", "Blynk auth token", high, `blynk`, s("blynk"),
			`[A-Za-z0-9_\-]{32}`, s(`#define BLYNK_AUTH_TOKEN "{url:32}"`), s("BLYNK_TEMPLATE_NAME=demo")),
		{ID: "blynk-url-token", Class: "blynk", Description: "Blynk device token in a URL", Severity: high, Confidence: 0.85, Keywords: s("blynk"), Back: 200,
			Regex:    `blynk\.cloud/external/api/[a-z/]{0,40}\?token=([A-Za-z0-9_\-]{32})`,
			Examples: s("https://ny3.blynk.cloud/external/api/update?token={url:32}&v4=1"), NonExamples: s("https://ny3.blynk.cloud/external/api/update?token=abc")},
		kv("codeclimate-reporter-id", "codeclimate", "Code Climate test reporter id", med, `cc[_\-]test[_\-]reporter[_\-]id|codeclimate`, s("cc_test_reporter", "cc-test-reporter", "codeclimate"),
			`[a-f0-9]{64}`, s("CC_TEST_REPORTER_ID={hex:64}"), s("CC_TEST_REPORTER_ID={hex:10}")),
		kv("sauce-access-key", "saucelabs", "Sauce Labs access key", high, `sauce`, s("sauce"),
			uuidRe, s("SAUCE_ACCESS_KEY={uuid}"), s("SAUCE_USERNAME=demo")),
		kv("snyk-api-token", "snyk", "Snyk API token", high, `snyk`, s("snyk"),
			uuidRe, s("SNYK_TOKEN={uuid}"), s("SNYK_ORG=demo")),
		kv("sourcegraph-legacy-token", "sourcegraph", "Sourcegraph access token (legacy)", high, `sourcegraph|src[_\-]access[_\-]token`, s("sourcegraph", "src_access", "src-access"),
			`[a-fA-F0-9]{40}`, s("sourcegraph: {hex:40}"), s("sourcegraph: {hex:12}")),
		tok("segment-public-api-token", "segment", "Segment public API token", high, s("sgp_"),
			`\b(sgp_[A-Za-z0-9]{64})\b`, s("sgp_{an:64}"), s("sgp_{an:8}")),
		kv("algolia-admin-key", "algolia", "Algolia admin API key", high, `algolia[\w.\-]{0,20}(?:admin|write|secret|api)`, s("algolia"),
			`[a-f0-9]{32}`, s("ALGOLIA_ADMIN_KEY={hex:32}"), s("ALGOLIA_APP_ID=ABCDEF")),
		kv("truenas-api-key", "truenas", "TrueNAS API key", high, `truenas|freenas`, s("truenas", "freenas"),
			`\d{1,4}-[A-Za-z0-9]{64}`, s("TRUENAS_API_KEY=1-{an:64}"), s("TRUENAS_HOST=nas.example.com")),
		{ID: "truenas-api-login", Class: "truenas", Description: "TrueNAS API key in a login call", Severity: high, Confidence: 0.85, Keywords: s("login_with_api_key"), Ahead: 140,
			Regex:    `login_with_api_key"[^\[]{0,40}\[\s*"(\d{1,4}-[A-Za-z0-9]{64})"`,
			Examples: s(`{"msg": "method", "method": "auth.login_with_api_key", "params": ["3-{an:64}"]}`), NonExamples: s(`{"method": "auth.login_with_api_key", "params": ["$KEY"]}`)},
		{ID: "truenas-bearer-token", Class: "truenas", Description: "TrueNAS API key in an auth header", Severity: high, Confidence: 0.8, Keywords: s("bearer"), Back: 32, Ahead: 120,
			Regex:    `(?i)bearer\s+(?-i:(\d{1,4}-[A-Za-z0-9]{64}))\b`,
			Examples: s(`curl -H "Authorization: Bearer 1-{an:64}" https://nas.example.com/api/v2.0/system/info`), NonExamples: s("Bearer 1-abc")},
		floating(tok("openshift-user-token", "openshift", "OpenShift user token", high, s("sha256~"),
			`(?:^|[^A-Za-z0-9])(sha256~[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)`, s("oc login --token=sha256~{url:43}"), s("sha256~-xxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxx_xxxxxxx-Z")), 2, 60),
		tok("salesforce-access-token", "salesforce", "Salesforce access token", high, s("00d"),
			`\b(00D[0-9A-Za-z]{12,15}![A-Za-z0-9._]{80,200})`, s("SF_ACCESS_TOKEN=00D{an:15}!{an:96}"), s("00D{an:15}!abc")),
		tok("yandex-api-key", "yandex", "Yandex Cloud API key", high, s("aqvn"),
			`\b(AQVN[A-Za-z0-9_\-]{35,38})(?:[^A-Za-z0-9_\-]|$)`, s("YC_API_KEY=AQVN{url:36}"), s("AQVN{an:5}")),
		kv("kubernetes-bootstrap-token", "kubernetes", "Kubernetes bootstrap token", high, `bootstrap[_\-]?token|kubeadm[^\n]{0,40}--token`, s("bootstrap_token", "bootstraptoken", "bootstrap-token", "kubeadm"),
			`[a-z0-9]{6}\.[a-z0-9]{16}`, s(`BOOTSTRAP_TOKEN: "{lc:6}.{lc:16}"`, "kubeadm join 10.0.0.1:6443 --token {lc:6}.{lc:16}"), s("BOOTSTRAP_TOKEN: abcdef.0123456789abcdef")),
		{ID: "kubeconfig-client-key", Class: "kubernetes", Description: "Kubernetes client key in a kubeconfig", Severity: crit, Confidence: 0.9, Keywords: s("client-key-data"), Back: 8, Ahead: 4096,
			Regex:    `client-key-data:\s*["']?([A-Za-z0-9+/]{60,}={0,2})`,
			Examples: s("users:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ{b64:120}"), NonExamples: s("client-key-data: REDACTED")},
		{ID: "wireguard-private-key", Class: "wireguard", Description: "WireGuard private key", Severity: crit, Confidence: 0.9, Keywords: s("privatekey", "presharedkey"), Ahead: 96, Entropy: 3.5,
			Regex:    `(?i)(?:Private|Preshared)Key\s*=\s*(?-i:([A-Za-z0-9+/]{42}[A-Za-z0-9+/]=))`,
			Examples: s("[Interface]\nAddress = 10.0.0.2/32\nPrivateKey = {b64:43}="), NonExamples: s("PrivateKey = <private key>")},
		tok("django-insecure-secret-key", "django", "Django secret key", med, s("django-insecure-"),
			`(django-insecure-[^\s'"]{40,60})`, s("SECRET_KEY = 'django-insecure-{an:50}'"), s("SECRET_KEY = 'django-insecure-abc'")),
	}
	rules = append(rules, keyRules()...)
	rules = append(rules, connRules()...)
	rules = append(rules, genericRules()...)
	rules = append(rules, credentialRule(rules), prefixedTokenRule())
	for _, r := range rules {
		switch r.ID {
		case "private-key", "private-key-truncated", "pgp-private-key", "putty-private-key", "kubeconfig-client-key",
			"twitter-bearer-token", "ssh-dss-or-ec-key-json", "aws-session-token", "onepassword-service-account-token",
			"flyio-token", "sentry-org-token", "jwt", "aws-bedrock-api-key", "pypi-upload-token":
			r.NoRunCheck = true
		}
	}
	return rules
}
