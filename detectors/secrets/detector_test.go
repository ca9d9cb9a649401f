package secrets

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/picketsec/picket/sdk"
)

func newDetector(t testing.TB, config string) sdk.Detector {
	t.Helper()
	d := New()
	if err := d.Configure(context.Background(), []byte(config)); err != nil {
		t.Fatalf("configure %s: %v", config, err)
	}
	return d
}

func detect(t testing.TB, d sdk.Detector, items ...sdk.Item) []sdk.Finding {
	t.Helper()
	for i := range items {
		items[i].Index = i
		if items[i].Kind == "" {
			items[i].Kind = sdk.KindPrompt
		}
	}
	fs, err := d.Detect(context.Background(), &sdk.Event{Type: sdk.EventPreRequest, Items: items})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func rulesOf(fs []sdk.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func TestInfo(t *testing.T) {
	t.Parallel()
	info := New().Info()
	if err := info.Validate(); err != nil {
		t.Fatal(err)
	}
	if info.ID != "secrets" || info.APIVersion != sdk.APIVersion {
		t.Errorf("info = %+v", info)
	}
	if diff := cmp.Diff(sdk.Kinds, info.Kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	var schema map[string]any
	if err := json.Unmarshal([]byte(info.ConfigSchema), &schema); err != nil {
		t.Fatalf("schema: %v", err)
	}
}

func TestConfigureErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		config string
		field  string
	}{
		"unknown field":        {`{"allow_regexes": []}`, "allow_regexes"},
		"bad allow regex":      {`{"allow_regex": ["ok", "("]}`, "allow_regex[1]"},
		"bad allow path":       {`{"allow_paths": ["[z-a]"]}`, "allow_paths[0]"},
		"empty fingerprint":    {`{"allow_fingerprints": [""]}`, "allow_fingerprints[0]"},
		"unknown rule":         {`{"disable_rules": ["no-such-rule"]}`, "disable_rules[0]"},
		"depth out of range":   {`{"max_decode_depth": 9}`, "max_decode_depth"},
		"bad severity":         {`{"custom_severity": "urgent"}`, "custom_severity"},
		"toml syntax":          {`{"gitleaks_toml": "[[rules]\nid = 1"}`, "gitleaks_toml"},
		"toml bad regex":       {`{"gitleaks_toml": "[[rules]]\nid = \"x\"\nregex = \"(\""}`, "rules[0] (x): regex"},
		"toml missing id":      {`{"gitleaks_toml": "[[rules]]\nregex = \"abc\""}`, "rules[0]: id"},
		"toml bad group":       {`{"gitleaks_toml": "[[rules]]\nid = \"x\"\nregex = \"a(b)\"\nsecretGroup = 3"}`, "secretGroup"},
		"toml bad target":      {`{"gitleaks_toml": "[[rules]]\nid = \"x\"\nregex = \"ab\"\n[[rules.allowlists]]\nregexTarget = \"file\"\nregexes = [\"a\"]"}`, "regexTarget"},
		"gitleaks file absent": {`{"gitleaks_file": "/nonexistent/gitleaks.toml"}`, "gitleaks_file"},
		"not an object":        {`[1]`, "config"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := New().Configure(context.Background(), []byte(c.config))
			if err == nil || !strings.Contains(err.Error(), c.field) {
				t.Fatalf("error %v, want one naming %q", err, c.field)
			}
		})
	}
	// A failed Configure keeps the previous configuration.
	d := newDetector(t, `{"disable_rules": ["github-pat", "gitleaks.github-pat", "generic-credential", "prefixed-token"]}`)
	if err := d.Configure(context.Background(), []byte(`{"allow_regex": ["("]}`)); err == nil {
		t.Fatal("want error")
	}
	tok := expandExample("token ghp_{ghcrc:30}", "keep")
	if fs := detect(t, d, sdk.Item{Text: tok}); len(fs) != 0 {
		t.Errorf("previous config lost: %v", rulesOf(fs))
	}
}

func TestFindingContract(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	key := expandExample("AKIA{A27:16}", "contract")
	text := "Привет! мой ключ: " + key + " — не публикуй"
	fs := detect(t, d, sdk.Item{Text: text})
	if len(fs) != 1 {
		t.Fatalf("findings %v", rulesOf(fs))
	}
	f := fs[0]
	if text[f.Start:f.End] != key {
		t.Errorf("span %q, want the key", text[f.Start:f.End])
	}
	if f.Rule != "aws-access-key-id" || f.Class != "aws" || f.Category != "secrets" || f.Detector != "secrets" || f.Severity < sdk.SeverityHigh {
		t.Errorf("finding %+v", f)
	}
	if strings.Contains(f.Message, key) || strings.Contains(f.Redacted, key[4:]) || !strings.HasPrefix(f.Redacted, key[:4]) {
		t.Errorf("unsafe output: message %q redacted %q", f.Message, f.Redacted)
	}
	if f.Fingerprint != sdk.Fingerprint("secrets", "aws-access-key-id", key) {
		t.Errorf("fingerprint not stable")
	}
}

func TestGitHubChecksumConfidence(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	good := expandExample("ghp_{ghcrc:30}", "conf")
	bad := good[:len(good)-6] + "000000"
	fg := detect(t, d, sdk.Item{Text: "t=" + good})
	fb := detect(t, d, sdk.Item{Text: "t=" + bad})
	if len(fg) != 1 || len(fb) != 1 {
		t.Fatalf("findings %v %v", rulesOf(fg), rulesOf(fb))
	}
	if fg[0].Confidence <= fb[0].Confidence || !strings.Contains(fg[0].Message, "checksum valid") {
		t.Errorf("checksum did not raise confidence: %v vs %v (%q)", fg[0].Confidence, fb[0].Confidence, fg[0].Message)
	}
}

// TestDecoded checks that encoded secrets are found and that the reported
// span lies in the original text and covers the encoded secret.
func TestDecoded(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	gh := expandExample("ghp_{ghcrc:30}", "dec")
	slack := expandExample("xoxb-{dig:12}-{dig:13}-{an:24}", "dec")
	pem := expandExample("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{b64:64}\n{b64:64}\n{b64:30}\n-----END OPENSSH PRIVATE KEY-----", "dec")
	b64 := base64.StdEncoding.EncodeToString([]byte("export GITHUB_TOKEN=" + gh + "\n"))
	cred := expandExample("{an:40}", "dec")
	cases := map[string]struct {
		text, rule, covers string
	}{
		"base64":            {"config: " + b64 + " end", "github-pat", b64},
		"url-encoded":       {"https://example.com/cb?t=" + url.QueryEscape("tok "+slack) + "&x=1", "slack-bot-token", slack},
		"json-escaped pem":  {`{"key": "` + strings.ReplaceAll(pem, "\n", `\n`) + `"}`, "private-key", strings.ReplaceAll(pem, "\n", `\n`)},
		"hex":               {"blob=" + hex.EncodeToString([]byte("token: "+slack)), "slack-bot-token", hex.EncodeToString([]byte("token: " + slack))},
		"unicode escapes":   {`"t": "` + strings.ReplaceAll(slack, "-", `\u002d`) + `"`, "slack-bot-token", strings.ReplaceAll(slack, "-", `\u002d`)},
		"base64 of escaped": {"x " + base64.StdEncoding.EncodeToString([]byte(`{"k":"`+strings.ReplaceAll(pem, "\n", `\n`)+`"}`)) + " y", "private-key", ""},
		// JSON in an HTML attribute, as a fetched page carries it.
		// Either generic rule may win the span: which depends on the
		// fitted grades, not on the decoding.
		"html references": {`<div data-config="{&quot;apiSecret&quot;: &quot;` + cred + `&quot;}">`, "generic-credential|generic-api-key", cred},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs := detect(t, d, sdk.Item{Text: c.text})
			var got *sdk.Finding
			for i := range fs {
				for _, r := range strings.Split(c.rule, "|") {
					if fs[i].Rule == r {
						got = &fs[i]
					}
				}
			}
			if got == nil {
				t.Fatalf("no %s finding; got %v", c.rule, rulesOf(fs))
			}
			span := c.text[got.Start:got.End]
			if c.covers != "" && !strings.Contains(span, c.covers) {
				t.Errorf("span %q does not cover %q", span, c.covers)
			}
			if len(span) > len(c.covers)+16 && c.covers != "" {
				t.Errorf("span %q much wider than the secret", span)
			}
		})
	}
}

// TestNoFindings lists high-entropy and placeholder text that is not a
// secret.
func TestNoFindings(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	raw := make([]byte, 3000)
	for i := range raw {
		raw[i] = byte(i*131 + i/7)
	}
	img := base64.StdEncoding.EncodeToString(raw)
	cases := map[string]string{
		"aws doc example":  "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"image data url":   "![x](data:image/png;base64," + img + ")",
		"anthropic image":  `{"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "` + img + `"}}`,
		"package-lock":     expandExample(`"integrity": "sha512-{b64:86}=="`, "lock"),
		"go.sum":           expandExample("github.com/example/mod v1.2.3 h1:{b64:43}=\ngithub.com/example/mod v1.2.3/go.mod h1:{b64:43}=", "sum"),
		"uuid and hashes":  expandExample("request {uuid} commit {hex:40} sha256:{hex:64}", "ids"),
		"placeholders":     "api_key = \"<your-api-key>\"\nGITHUB_TOKEN=${GITHUB_TOKEN}\npassword: changeme\ntoken: xxxxxxxxxxxxxxxxxxxxxxxx\nSLACK_TOKEN={{ slack_token }}",
		"references":       "password = os.environ[\"DB_PASSWORD\"]\nsecret = config.get_secret()\ntoken = request.headers.token\napi_key: $API_KEY",
		"prose":            "Rotate your API key and token regularly; never commit a password or secret to git.",
		"encrypted blob":   `{"type": "reasoning", "encrypted_content": "gAAAAA` + img[:400] + `"}`,
		"version pins":     "token-bucket = \"0.11.2\"\nsecret_version: v1.4.0",
		"code identifiers": "const tokenizerModelName = \"bert-base-uncased\"\nvar secretManagerClient = newClient(ctx)",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if fs := detect(t, d, sdk.Item{Text: text}); len(fs) > 0 {
				for _, f := range fs {
					t.Errorf("unexpected %s (%s) at %d:%d %q", f.Rule, f.Severity, f.Start, f.End, text[f.Start:f.End])
				}
			}
		})
	}
}

func TestAllowlists(t *testing.T) {
	t.Parallel()
	gh := expandExample("ghp_{ghcrc:30}", "allow")
	text := "GITHUB_TOKEN=" + gh
	fp := sdk.Fingerprint("secrets", "github-pat", gh)
	cases := map[string]struct {
		config string
		item   sdk.Item
		want   int
	}{
		"none":             {`{}`, sdk.Item{Text: text}, 1},
		"regex":            {`{"allow_regex": ["^ghp_` + gh[4:8] + `"]}`, sdk.Item{Text: text}, 0},
		"fingerprint":      {`{"allow_fingerprints": ["` + fp + `"]}`, sdk.Item{Text: text}, 0},
		"rule:fingerprint": {`{"allow_fingerprints": ["github-pat:` + fp + `"]}`, sdk.Item{Text: text}, 0},
		"other fp":         {`{"allow_fingerprints": ["0000"]}`, sdk.Item{Text: text}, 1},
		"disabled":         {`{"disable_rules": ["github-pat", "gitleaks.github-pat", "prefixed-token"]}`, sdk.Item{Text: "remote " + gh}, 0},
		"path in tool args": {`{"allow_paths": ["testdata/"]}`,
			sdk.Item{Kind: sdk.KindToolResult, Text: text, Tool: &sdk.ToolCall{Name: "Read", Arguments: `{"file_path": "/repo/testdata/creds.env"}`}}, 0},
		"path in diff header": {`{"allow_paths": ["^\\+\\+\\+ b/fixtures/"]}`,
			sdk.Item{Text: "diff --git a/fixtures/x b/fixtures/x\n+++ b/fixtures/x\n@@ -0,0 +1 @@\n+" + text}, 0},
		"path elsewhere": {`{"allow_paths": ["testdata/"]}`,
			sdk.Item{Kind: sdk.KindToolResult, Text: text, Tool: &sdk.ToolCall{Name: "Read", Arguments: `{"file_path": "/repo/.env"}`}}, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, c.config)
			if fs := detect(t, d, c.item); len(fs) != c.want {
				t.Errorf("findings %v, want %d", rulesOf(fs), c.want)
			}
		})
	}
}

func TestGitleaksRules(t *testing.T) {
	t.Parallel()
	toml := `
title = "team rules"

[[rules]]
id = "acme-api-key"
description = "ACME API key"
regex = '''(?i)acme[_-]?key\s*[:=]\s*["']?(acme_[a-z0-9]{24})'''
secretGroup = 1
entropy = 3.0
keywords = ["acme"]

  [[rules.allowlists]]
  regexes = ['''acme_0{24}''']
  stopwords = ["sandbox"]

[[rules]]
id = "path-only"
path = '''\.p12$'''

[allowlist]
regexes = ['''acme_globalallow''']
`
	cfg, _ := json.Marshal(map[string]any{"gitleaks_toml": toml, "custom_severity": "critical", "gitleaks_defaults": false,
		"disable_rules": []string{"generic-credential", "prefixed-token"}})
	d := newDetector(t, string(cfg))
	live := expandExample("acme_key = acme_{lc:24}", "gl")
	fs := detect(t, d, sdk.Item{Text: live})
	if len(fs) != 1 || fs[0].Rule != "acme-api-key" || fs[0].Severity != sdk.SeverityCritical || fs[0].Class != "custom" {
		t.Fatalf("findings %+v", fs)
	}
	if got := live[fs[0].Start:fs[0].End]; !strings.HasPrefix(got, "acme_") || strings.Contains(got, "=") {
		t.Errorf("secretGroup span %q", got)
	}
	for _, text := range []string{
		"acme_key = acme_000000000000000000000000",
		"acme_key = acme_sandbox" + expandExample("{lc:17}", "sb"),
		"acme_key = acme_globalallow" + expandExample("{lc:13}", "ga"),
		"ACME_KEY = acme_aaaaaaaaaaaaaaaaaaaaaaaa",
	} {
		if fs := detect(t, d, sdk.Item{Text: text}); len(fs) != 0 {
			t.Errorf("%q: findings %v", text, rulesOf(fs))
		}
	}
	// The keyword gate: without "acme" the rule does not run at all.
	e := d.(*Detector).eng.Load()
	for _, r := range e.noKeyword {
		t.Errorf("rule %s runs without keywords", e.rules[r].ID)
	}
}

// TestPathRestrictedRules: a gitleaks rule with a regex and a path (the
// defaults' hashicorp-tf-password, kubernetes-secret-yaml, …) reports
// only where the text names a file of that path: a diff or file header
// above the match, the line before it, or the tool call's arguments or
// command.
func TestPathRestrictedRules(t *testing.T) {
	t.Parallel()
	toml := "[[rules]]\nid = \"tf-pass\"\nregex = '''tfpass\\s*=\\s*\"(tp_[a-z0-9]{16})\"'''\n" +
		"path = '''(?i)\\.(?:tf|hcl)$'''\nkeywords = [\"tfpass\"]\n"
	cfg, _ := json.Marshal(map[string]any{"gitleaks_toml": toml, "gitleaks_defaults": false,
		"disable_rules": []string{"generic-credential", "generic-password", "generic-api-key"}})
	d := newDetector(t, string(cfg))
	line := expandExample(`tfpass = "tp_{lc:16}"`, "tfpass")
	cases := map[string]struct {
		item sdk.Item
		want bool
	}{
		"no path":          {sdk.Item{Text: line}, false},
		"diff header":      {sdk.Item{Text: "+++ b/infra/main.tf\n@@ -1 +1 @@\n+" + line}, true},
		"file header hcl":  {sdk.Item{Text: "==> vault.HCL <==\n" + line}, true},
		"other file":       {sdk.Item{Text: "+++ b/main.tfvars\n+" + line}, false},
		"tool arguments":   {sdk.Item{Kind: sdk.KindToolCall, Text: line, Tool: &sdk.ToolCall{Name: "Write", Arguments: `{"file_path":"db.tf","content":"…"}`}}, true},
		"tool other file":  {sdk.Item{Kind: sdk.KindToolCall, Text: line, Tool: &sdk.ToolCall{Name: "Write", Arguments: `{"file_path":"db.tf.md"}`}}, false},
		"path in the line": {sdk.Item{Text: "cat main.tf: " + line}, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fs := detect(t, d, c.item)
			if got := len(fs) == 1 && fs[0].Rule == "tf-pass"; got != c.want || (!c.want && len(fs) != 0) {
				t.Errorf("findings %v, want a tf-pass finding: %v", rulesOf(fs), c.want)
			}
		})
	}
	// The defaults carry gitleaks' paths.
	gl, err := gitleaksDefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range gl {
		if r.ID == "gitleaks.hashicorp-tf-password" && r.pathRe == nil {
			t.Error("gitleaks.hashicorp-tf-password has no path restriction")
		}
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := d.Detect(ctx, &sdk.Event{Items: []sdk.Item{{Text: "password = hunter2hunter2"}}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestConcurrent runs Detect from many goroutines (run it with -race) and
// compares with the serial results.
func TestConcurrent(t *testing.T) {
	t.Parallel()
	d := newDetector(t, "{}")
	var texts []string
	for _, r := range builtinRules() {
		for i, ex := range r.Examples {
			texts = append(texts, expandExample(ex, fmt.Sprintf("%s/%d", r.ID, i)))
		}
	}
	want := make([][]sdk.Finding, len(texts))
	for i, tx := range texts {
		want[i] = detect(t, d, sdk.Item{Text: tx})
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < len(texts); i += 3 {
				fs, err := d.Detect(context.Background(), &sdk.Event{Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: texts[i]}}})
				if err != nil || !cmp.Equal(fs, want[i]) {
					select {
					case errs <- fmt.Sprintf("text %d differs under concurrency (err %v)", i, err):
					default:
					}
				}
			}
		}(g)
	}
	// Reconfigure concurrently: scans in flight keep their engine.
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		t.Error(err)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestCredentialSeverityOverride(t *testing.T) {
	t.Parallel()
	text := expandExample(`planyo_api_key = "{an:40}"`, "override")
	d := newDetector(t, `{}`)
	fs := detect(t, d, sdk.Item{Text: text})
	if len(fs) == 0 {
		t.Fatalf("no finding for %q", text)
	}
	d = newDetector(t, `{"rule_severity": {"generic-credential": "low"}}`)
	for _, f := range detect(t, d, sdk.Item{Text: text}) {
		if f.Rule == "generic-credential" && f.Severity > sdk.SeverityLow {
			t.Errorf("severity %v above the operator's cap", f.Severity)
		}
	}
}
