package session

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// Bounds on what one item may add or cost.
const (
	minSecret     = 8    // shorter credentials are not tracked: too many chance matches
	maxTokens     = 8000 // candidate substrings checked per tool call
	maxLeadsItem  = 64   // leads taken from one injected item
	maxCommandLen = 512
)

// after is the engine's SessionInput.After: it walks the event's items in
// order, checks each new outbound tool call against the marks seen before
// it, and adds the marks each new item brings.
func (t *Turn) after(ev *sdk.Event, findings []audit.Finding) []sdk.Finding {
	byItem := map[int][]audit.Finding{}
	for _, f := range findings {
		if f.Item >= 0 {
			byItem[f.Item] = append(byItem[f.Item], f)
		}
	}
	var out []sdk.Finding
	for i := range ev.Items {
		it := &ev.Items[i]
		if !it.New {
			continue // judged, and its marks taken, when first seen
		}
		if it.Kind == sdk.KindToolCall {
			out = append(out, t.checkCall(i, it)...)
		}
		t.collect(i, it, byItem[i])
	}
	t.found = out
	return out
}

// collect adds the marks of item i: fingerprints of the credentials its
// findings point at (and of their encodings), and, for an untrusted item
// with an injection finding, of what it asks for.
func (t *Turn) collect(i int, it *sdk.Item, fs []audit.Finding) {
	injected := false
	for _, f := range fs {
		if f.Suppressed == "allowlist" || f.Suppressed == "mode_off" {
			continue
		}
		switch {
		case f.Category == "secrets" && f.Severity >= sdk.SeverityMedium:
			if f.End-f.Start < minSecret || f.End > len(it.Text) {
				continue
			}
			value := it.Text[f.Start:f.End]
			label := f.Detector + "/" + f.Rule
			for enc, v := range encodings(value) {
				lbl := label
				if enc != "" {
					lbl += ", " + enc
				}
				t.addMark(audit.MarkSecret, v, lbl, i, f.Severity)
			}
		case f.Category == "injection" && f.Severity >= sdk.SeverityMedium && (it.Untrusted || it.Kind == sdk.KindToolResult):
			injected = true
		}
	}
	if injected {
		label := "injected " + string(it.Kind)
		if it.Tool != nil && it.Tool.Name != "" {
			label += " of " + it.Tool.Name
		}
		for _, l := range leads(it.Text) {
			t.addMark(l.kind, l.value, label, i, sdk.SeverityHigh)
		}
	}
}

func (t *Turn) addMark(kind, value, label string, item int, sev sdk.Severity) {
	fp := t.m.hash(t.tenant, t.key, kind, value)
	for _, m := range t.marks[t.fresh:] {
		if m.FP == fp {
			return
		}
	}
	t.marks = append(t.marks, audit.Mark{FP: fp, Kind: kind, Label: label, FirstEvent: t.ev.ID, FirstItem: item, FirstSeen: t.now, Severity: sev})
}

// lookup returns the mark of kind for value, if the session has one.
func (t *Turn) lookup(kind, value string, index map[string]*audit.Mark) *audit.Mark {
	return index[t.m.hash(t.tenant, t.key, kind, value)]
}

// encodings are the forms of a credential that count as the credential:
// as is, base64 (standard and URL alphabets, padded or not), hex and URL
// escaping. Their fingerprints are taken when it is first seen, so that
// later only fingerprints are compared.
func encodings(v string) map[string]string {
	b := []byte(v)
	out := map[string]string{"": v}
	add := func(name, s string) {
		if s == v {
			return
		}
		for _, have := range out {
			if have == s {
				return
			}
		}
		out[name] = s
	}
	add("base64", base64.StdEncoding.EncodeToString(b))
	add("base64 unpadded", base64.RawStdEncoding.EncodeToString(b))
	add("base64url", base64.URLEncoding.EncodeToString(b))
	add("base64url unpadded", base64.RawURLEncoding.EncodeToString(b))
	add("hex", hex.EncodeToString(b))
	add("HEX", strings.ToUpper(hex.EncodeToString(b)))
	add("url-escaped", url.QueryEscape(v))
	add("path-escaped", url.PathEscape(v))
	return out
}

// checkCall reports the marks that the outbound tool call at item i uses.
func (t *Turn) checkCall(i int, it *sdk.Item) []sdk.Finding {
	if len(t.marks) == 0 {
		return nil
	}
	index := make(map[string]*audit.Mark, len(t.marks))
	for k := range t.marks {
		m := &t.marks[k]
		if _, dup := index[m.FP]; !dup {
			index[m.FP] = m
		}
	}
	call := describeCall(it, t.cwd)
	var out []sdk.Finding
	if call.outbound != "" {
		seen := map[string]bool{}
		for _, tok := range candidates(call.text) {
			m := t.lookup(audit.MarkSecret, tok, index)
			if m == nil || seen[m.Label] {
				continue
			}
			seen[m.Label] = true
			f := sdk.Finding{
				Rule: "exfiltration", Category: "exfiltration", Class: "credential leaves the session", Severity: sdk.SeverityCritical, Confidence: 0.95,
				Item: i, Redacted: "[" + m.Label + "]",
				Message: fmt.Sprintf("Exfiltration: a credential (%s) first seen %s is sent out by this tool call (%s)", m.Label, t.where(m), call.outbound),
			}
			// Point at the value, so that the trail masks it.
			if k := strings.Index(it.Text, tok); k >= 0 {
				f.Start, f.End = k, k+len(tok)
			}
			out = append(out, f)
			if len(out) >= 4 {
				break
			}
		}
	}
	// Injection-driven actions.
	chain := func(what string, m *audit.Mark) {
		out = append(out, sdk.Finding{
			Rule: "injection-driven-" + m.Kind, Category: "injection_chain", Class: "injection-driven action", Severity: sdk.SeverityCritical, Confidence: 0.9,
			Item:    i,
			Message: fmt.Sprintf("Injection-driven action: this tool call %s named by an %s %s", what, m.Label, t.where(m)),
		})
	}
	done := map[string]bool{}
	for _, u := range urlRe.FindAllString(call.text, 32) {
		if m := t.lookup(audit.MarkURL, normURL(u), index); m != nil && !done["url"] {
			done["url"] = true
			chain("fetches the URL", m)
		}
		if h := hostOf(u); h != "" && call.sends {
			if m := t.lookup(audit.MarkHost, h, index); m != nil && !done["host"] && !done["url"] {
				done["host"] = true
				chain("sends data to the host", m)
			}
		}
	}
	for _, a := range emailRe.FindAllString(call.text, 16) {
		if m := t.lookup(audit.MarkAddress, strings.ToLower(a), index); m != nil && !done["address"] {
			done["address"] = true
			chain("sends to the address", m)
		}
	}
	if call.sends && !done["host"] && !done["url"] {
		for _, h := range call.hosts {
			if m := t.lookup(audit.MarkHost, h, index); m != nil {
				done["host"] = true
				chain("sends data to the host", m)
				break
			}
		}
	}
	if call.command != "" {
		for _, c := range commandForms(call.command) {
			if m := t.lookup(audit.MarkCommand, c, index); m != nil {
				chain("runs the command", m)
				break
			}
		}
	}
	return out
}

// where names the step where m was first seen.
func (t *Turn) where(m *audit.Mark) string {
	if m.FirstEvent == t.ev.ID {
		return fmt.Sprintf("earlier in this request (item %d)", m.FirstItem)
	}
	return fmt.Sprintf("in step %d of the session (event %s, item %d)", m.FirstStep, m.FirstEvent, m.FirstItem)
}

// candidates are the substrings of text that may be a tracked value: the
// text cut at blanks, quotes and brackets, and those pieces cut again at
// URL and assignment punctuation, with and without '/'.
func candidates(text string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.Trim(s, ".,;:")
		if len(s) >= minSecret && !seen[s] && len(out) < maxTokens {
			seen[s] = true
			out = append(out, s)
		}
	}
	coarse := strings.FieldsFunc(text, func(r rune) bool {
		return r <= ' ' || strings.ContainsRune("\"'`,;()[]{}<>|\\", r)
	})
	for _, c := range coarse {
		add(c)
		for _, p := range strings.FieldsFunc(c, func(r rune) bool { return strings.ContainsRune("=&?:@#", r) }) {
			add(p)
			// Runs of path segments: a value may hold '/' itself (base64).
			var cuts []int
			for k := 0; k < len(p) && len(cuts) < 16; k++ {
				if p[k] == '/' {
					cuts = append(cuts, k)
				}
			}
			bounds := append(append([]int{-1}, cuts...), len(p))
			for a := 0; a < len(bounds); a++ {
				for b := a + 1; b < len(bounds); b++ {
					add(p[bounds[a]+1 : bounds[b]])
				}
			}
		}
		if len(out) >= maxTokens {
			break
		}
	}
	return out
}

// A lead is something an injected item asks for.
type lead struct{ kind, value string }

var (
	urlRe     = regexp.MustCompile(`(?i)\b(?:https?|ftp|wss?)://[^\s"'<>` + "`" + `)\]}]+`)
	emailRe   = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	ipRe      = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	codeRe    = regexp.MustCompile("(?s)```[a-zA-Z]*\\n?(.*?)```|`([^`\\n]{4,})`")
	cmdLineRe = regexp.MustCompile(`(?im)^\s*(?:\$|#|>|run|execute|exec|command)\s*:?\s+(.{4,})$`)
	programRe = regexp.MustCompile(`^[./~]?[A-Za-z0-9_./-]+$`)
	listRe    = regexp.MustCompile(`\s*(?:&&|\|\||;|\n)\s*`)
	segmentRe = regexp.MustCompile(`&&|\|\||[;|\n]|\$\(`)
	cwdRe     = regexp.MustCompile(`(?i)(?:working directory|current directory|cwd)\s*[:=]\s*(\S+)`)
)

// leads extracts from injected text the URLs, hosts, addresses and
// commands it names.
func leads(text string) []lead {
	var out []lead
	seen := map[lead]bool{}
	add := func(kind, v string) {
		l := lead{kind, v}
		if v != "" && !seen[l] && len(out) < maxLeadsItem {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, u := range urlRe.FindAllString(text, maxLeadsItem) {
		add(audit.MarkURL, normURL(u))
		add(audit.MarkHost, hostOf(u))
	}
	for _, a := range emailRe.FindAllString(text, maxLeadsItem) {
		add(audit.MarkAddress, strings.ToLower(a))
		add(audit.MarkHost, strings.ToLower(a[strings.LastIndexByte(a, '@')+1:]))
	}
	for _, ip := range ipRe.FindAllString(text, maxLeadsItem) {
		add(audit.MarkHost, ip)
	}
	for _, m := range codeRe.FindAllStringSubmatch(text, maxLeadsItem) {
		block := m[1] + m[2]
		for _, line := range strings.Split(block, "\n") {
			if c := normCommand(strings.TrimPrefix(strings.TrimSpace(line), "$ ")); looksLikeCommand(c) {
				add(audit.MarkCommand, c)
			}
		}
	}
	for _, m := range cmdLineRe.FindAllStringSubmatch(text, maxLeadsItem) {
		if c := normCommand(m[1]); looksLikeCommand(c) {
			add(audit.MarkCommand, c)
		}
	}
	return out
}

// normURL is a URL without query, fragment, trailing slash or punctuation,
// with scheme and host in lower case: fetching it with other parameters is
// fetching it.
func normURL(raw string) string {
	raw = strings.TrimRight(raw, ".,;:!?'\"")
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.ToLower(raw)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/")
}

func hostOf(raw string) string {
	u, err := url.Parse(strings.TrimRight(raw, ".,;:!?'\""))
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

func normCommand(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxCommandLen {
		return ""
	}
	return s
}

// looksLikeCommand keeps code that starts with a program name and has an
// argument: prose in backticks (`config.yaml`) is not a command.
func looksLikeCommand(c string) bool {
	if len(c) < 4 || !strings.Contains(c, " ") {
		return false
	}
	first := strings.Fields(c)[0]
	return programRe.MatchString(first)
}

// commandForms are the command and each of its pipeline and list parts.
func commandForms(cmd string) []string {
	out := []string{normCommand(cmd)}
	for _, part := range listRe.Split(cmd, 16) {
		if c := normCommand(part); c != "" && c != out[0] {
			out = append(out, c)
		}
	}
	return out
}

// call is what a tool call does, as far as the session cares.
type call struct {
	text     string   // the text to look for values in
	command  string   // the shell command, when it runs one
	outbound string   // how it sends data out ("" when it does not)
	sends    bool     // it carries data to a remote party (not just a fetch)
	hosts    []string // remote hosts named outside URLs (nc host, ssh user@host)
}

// Network programs: a command that runs one sends its arguments out.
var netPrograms = map[string]bool{
	"curl": true, "wget": true, "nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true,
	"ssh": true, "scp": true, "sftp": true, "rsync": true, "ftp": true, "tftp": true, "http": true, "https": true,
	"xh": true, "httpie": true, "aria2c": true, "dig": true, "nslookup": true, "host": true, "ping": true,
	"mail": true, "sendmail": true, "mutt": true, "s3cmd": true, "aws": true, "gsutil": true, "az": true,
	"gh": true, "Invoke-WebRequest": true, "Invoke-RestMethod": true, "iwr": true, "irm": true,
}

// Programs and flags that carry data to the remote side.
var (
	sendPrograms = map[string]bool{"nc": true, "ncat": true, "netcat": true, "socat": true, "telnet": true, "scp": true, "sftp": true,
		"rsync": true, "ftp": true, "tftp": true, "mail": true, "sendmail": true, "mutt": true, "ssh": true}
	sendFlagRe = regexp.MustCompile(`(?:^|\s)(?:-d|--data\S*|-F|--form\S*|-T|--upload-file|--post-data|--post-file|-X\s*(?:POST|PUT|PATCH)|--request\s+(?:POST|PUT|PATCH)|-Method\s+(?:Post|Put))(?:\s|=|$)`)
	methodRe   = regexp.MustCompile(`(?i)"method"\s*:\s*"(?:post|put|patch)"`)
	netToolRe  = regexp.MustCompile(`(?i)fetch|http|request|web|url|browse|curl|download|upload|post|send|mail|slack|webhook|^mcp_|mcp__`)
	sendToolRe = regexp.MustCompile(`(?i)upload|post|send|mail|slack|webhook|publish|message`)
	writeTool  = regexp.MustCompile(`(?i)^(?:write|edit|multiedit|create|str_replace\w*|write_file|create_file|edit_file|save\w*|notebookedit|apply_patch)$`)
	pathArgRe  = regexp.MustCompile(`"(?:file_path|path|filename|file|target_file|notebook_path)"\s*:\s*"([^"]+)"`)
	userHostRe = regexp.MustCompile(`[A-Za-z0-9._-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,}|(?:\d{1,3}\.){3}\d{1,3})`)
)

// Places outside any project an agent works in, for when the working
// directory is not known.
var outsideDirs = []string{"/tmp/", "/var/tmp/", "/dev/shm/", "/mnt/", "/media/", "/Volumes/", "/srv/", "/var/www/", "/etc/", "/root/", "/usr/", "/opt/", "/private/tmp/"}

func describeCall(it *sdk.Item, cwd string) call {
	c := call{text: it.Text}
	name := ""
	if it.Tool != nil {
		name = it.Tool.Name
		c.command = it.Tool.Command
		if it.Tool.Arguments != "" && !strings.Contains(it.Text, it.Tool.Arguments) {
			c.text += "\n" + it.Tool.Arguments
		}
	}
	if c.command != "" {
		for _, seg := range segmentRe.Split(c.command, 32) {
			words := strings.Fields(seg)
			for len(words) > 0 && (strings.Contains(words[0], "=") || words[0] == "sudo" || words[0] == "env" || words[0] == "nohup" || words[0] == "time" || words[0] == "exec") {
				words = words[1:]
			}
			if len(words) == 0 {
				continue
			}
			prog := path.Base(words[0])
			if netPrograms[prog] {
				c.outbound = "network command " + prog
				if sendPrograms[prog] || sendFlagRe.MatchString(seg) {
					c.sends = true
				}
				for _, w := range words[1:] {
					if m := userHostRe.FindStringSubmatch(w); m != nil {
						c.hosts = append(c.hosts, strings.ToLower(m[1]))
					} else if prog == "nc" || prog == "ncat" || prog == "netcat" || prog == "telnet" {
						if !strings.HasPrefix(w, "-") && (ipRe.MatchString(w) || strings.Contains(w, ".")) {
							c.hosts = append(c.hosts, strings.ToLower(w))
						}
					}
				}
			}
		}
		if strings.Contains(c.command, "/dev/tcp/") || strings.Contains(c.command, "/dev/udp/") {
			c.outbound, c.sends = "network redirection /dev/tcp", true
		}
	}
	if c.outbound == "" && name != "" && netToolRe.MatchString(name) {
		c.outbound = "HTTP/MCP tool " + name
	}
	if name != "" && (sendToolRe.MatchString(name) || methodRe.MatchString(it.Text)) {
		c.sends = true
	}
	if c.outbound == "" {
		if u := urlRe.FindString(c.text); u != "" {
			c.outbound = "URL to " + hostOf(u)
		}
	}
	if c.outbound == "" && name != "" && writeTool.MatchString(name) {
		if m := pathArgRe.FindStringSubmatch(it.Text); m != nil && outsideProject(m[1], cwd) {
			c.outbound, c.sends = "file written outside the project", true
		}
	}
	return c
}

// outsideProject reports whether a file path lies outside the working
// directory (when known) or in a shared place (when not).
func outsideProject(p, cwd string) bool {
	if strings.HasPrefix(p, "~") || strings.Contains(p, "/../") || strings.HasPrefix(p, "../") {
		return true
	}
	if !strings.HasPrefix(p, "/") {
		return false
	}
	clean := path.Clean(p)
	if cwd != "" && strings.HasPrefix(cwd, "/") {
		root := path.Clean(cwd)
		return clean != root && !strings.HasPrefix(clean, root+"/")
	}
	for _, d := range outsideDirs {
		if strings.HasPrefix(clean+"/", d) {
			return true
		}
	}
	return false
}
