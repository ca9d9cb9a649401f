// Package secrets is picket's built-in secrets detector: it finds
// credentials (cloud keys, source-hosting and AI-provider tokens, private
// keys, connection strings with passwords, hard-coded passwords) in every
// kind of item, including inside base64, hex, URL-encoded and escaped text.
//
// Rules are data (rules_*.go), each with examples that must and must not
// match. An Aho-Corasick pass over the text selects which rules run, and
// each selected rule's regular expression runs only in windows around its
// keyword hits, so cost grows with the number of hits, not the number of
// rules times the text size.
package secrets

import (
	"context"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/picketsec/picket/sdk"
)

// ID is the detector id and the Finding.Detector value.
const ID = "secrets"

// Version is the detector's own version.
const Version = "0.1.0"

// Detector implements sdk.Detector. The zero value is not usable; call New.
type Detector struct {
	eng atomic.Pointer[engine]
}

// Interface guard.
var _ sdk.Detector = (*Detector)(nil)

// New returns a secrets detector with the built-in rules and the default
// configuration; Configure may replace the configuration.
func New() sdk.Detector {
	d := &Detector{}
	e, err := engineFor(&Config{})
	if err != nil {
		// The built-in rules are compiled and tested; failing here is a
		// programming error.
		panic(err)
	}
	d.eng.Store(e)
	return d
}

// Info describes the detector.
func (d *Detector) Info() sdk.Info {
	return sdk.Info{
		ID:           ID,
		Version:      Version,
		APIVersion:   sdk.APIVersion,
		Description:  "Finds credentials (API keys, tokens, private keys, passwords, connection strings) in every item, including encoded ones.",
		Kinds:        append([]sdk.Kind(nil), sdk.Kinds...),
		ConfigSchema: configSchema,
	}
}

// Configure parses and validates config (a JSON object) and swaps in the
// new rule set atomically. On error the previous configuration stays.
func (d *Detector) Configure(ctx context.Context, config []byte) error {
	cfg, err := parseConfig(config)
	if err != nil {
		return err
	}
	e, err := engineFor(cfg)
	if err != nil {
		return err
	}
	d.eng.Store(e)
	return nil
}

// defaultEngine is the engine of the default configuration, compiled once
// per process and shared: an engine is never changed once built, and
// compiling 250 rules' gates and automaton is most of a detector's start
// (in a WASM instance, New and the host's Configure with the default
// config would otherwise compile it twice, per instance).
var defaultEngine struct {
	once sync.Once
	e    *engine
	err  error
}

// engineFor returns the engine of cfg: the shared one for the default
// configuration, a new one otherwise.
func engineFor(cfg *Config) (*engine, error) {
	if !reflect.DeepEqual(cfg, &Config{}) {
		return newEngine(cfg)
	}
	defaultEngine.once.Do(func() { defaultEngine.e, defaultEngine.err = newEngine(&Config{}) })
	return defaultEngine.e, defaultEngine.err
}

// Detect scans every item of ev. It is safe for concurrent use and returns
// ctx.Err() when ctx is done before the scan finishes.
func (d *Detector) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	e := d.eng.Load()
	if ev == nil {
		return nil, nil
	}
	var out []sdk.Finding
	for i := range ev.Items {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		it := &ev.Items[i]
		ms, err := e.scanItem(ctx, it)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, m.finding(it.Index))
		}
	}
	return out, nil
}

// match is one rule match, in coordinates of the item's text.
type match struct {
	rule       *compiledRule
	start, end int    // span to redact in the original text
	secret     string // the secret value (decoded)
	severity   sdk.Severity
	confidence float64
	verified   bool
	via        string   // "" or the decoding that exposed it
	also       []string // other rules that matched the same span
	// grade is the per-match grading against the rule's severity: -1 a
	// weak or hand-edited value, +1 a random quoted literal, 0 neither.
	grade int8
}

// originRank orders rule origins for overlapping matches of equal
// severity and specificity: picket's own rules first (their filters and
// checks are the tightest), then gitleaks' defaults, then packs.
func originRank(o string) int {
	switch o {
	case "":
		return 0
	case "gitleaks":
		return 1
	}
	return 2
}

func mergeAlso(list []string, id string) []string {
	for _, x := range list {
		if x == id {
			return list
		}
	}
	if len(list) >= 8 {
		return list
	}
	return append(append([]string(nil), list...), id)
}

func removeID(list []string, id string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func (m *match) finding(item int) sdk.Finding {
	if collectGrade != nil {
		collectGrade(int(m.grade))
	}
	msg := m.rule.Description + " found"
	if m.verified && m.rule.Check != nil && strings.HasPrefix(m.rule.ID, "github") {
		msg += " (checksum valid)"
	}
	if m.via != "" {
		msg += " in " + m.via + " text"
	}
	if len(m.also) > 0 {
		msg += " (also matched by " + strings.Join(m.also, ", ") + ")"
	}
	return sdk.Finding{
		Detector:    ID,
		Rule:        m.rule.ID,
		Category:    "secrets",
		Class:       m.rule.Class,
		Severity:    m.severity,
		Confidence:  m.confidence,
		Item:        item,
		Start:       m.start,
		End:         m.end,
		Message:     msg,
		Redacted:    sdk.Redact(m.secret, 4),
		Fingerprint: sdk.Fingerprint(ID, m.rule.ID, m.secret),
	}
}

// scanItem scans one item's text and applies the allowlists.
func (e *engine) scanItem(ctx context.Context, it *sdk.Item) ([]match, error) {
	text := it.Text
	if text == "" {
		return nil, nil
	}
	budget := e.maxDecodeBytes
	ms, err := e.scanText(ctx, text, 0, &budget)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, nil
	}
	ms = e.dropOffPath(it, text, ms)
	ms = applyRequirements(text, ms)
	ms = resolveOverlaps(ms)
	kept := ms[:0]
	for _, m := range ms {
		if e.allowed(it, text, &m) {
			continue
		}
		kept = append(kept, m)
	}
	return kept, nil
}

// resolveOverlaps keeps, of matches whose spans overlap, the strongest:
// any rule over the prefixed tier (a bare token's guess only adds what
// no rule found), then higher severity, then a specific rule over a
// generic one, then higher confidence, then the longer span.
func resolveOverlaps(ms []match) []match {
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].start != ms[j].start {
			return ms[i].start < ms[j].start
		}
		return ms[i].end > ms[j].end
	})
	better := func(a, b *match) bool {
		if a.rule.bare != b.rule.bare {
			return !a.rule.bare
		}
		if a.severity != b.severity {
			return a.severity > b.severity
		}
		if a.rule.Generic != b.rule.Generic {
			return !a.rule.Generic
		}
		if pa, pb := originRank(a.rule.Origin), originRank(b.rule.Origin); pa != pb {
			return pa < pb
		}
		if a.confidence != b.confidence {
			return a.confidence > b.confidence
		}
		return a.end-a.start > b.end-b.start
	}
	out := ms[:0]
	for _, m := range ms {
		if n := len(out); n > 0 && m.start < out[n-1].end {
			// One finding per span: the strongest rule reports it and
			// names the others that agree.
			also := mergeAlso(out[n-1].also, m.rule.ID)
			if better(&m, &out[n-1]) {
				also = mergeAlso(m.also, out[n-1].rule.ID)
				for _, id := range out[n-1].also {
					also = mergeAlso(also, id)
				}
				out[n-1] = m
			}
			out[n-1].also = removeID(also, out[n-1].rule.ID)
			continue
		}
		out = append(out, m)
	}
	return out
}

func isWordByte(c byte) bool { return isAlnum(c) || c == '_' }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// handleMatch extracts the secret of one regex match found in
// text[ws:we] (loc is relative to ws) and appends it when accepted.
func (e *engine) handleMatch(text string, r *compiledRule, ws, we int, loc []int, ms []match) []match {
	ss, se := loc[0], loc[1]
	key := ""
	if r.AnyGroup {
		if loc[2] != -1 {
			key = text[ws+loc[2] : ws+loc[3]]
		}
		ss, se = -1, -1
		for g := 2; 2*g+1 < len(loc); g++ {
			if loc[2*g] != -1 {
				ss, se = loc[2*g], loc[2*g+1]
				break
			}
		}
		if ss == -1 {
			return ms
		}
	} else if r.group > 0 {
		if r.Generic && r.group > 1 && loc[2] != -1 {
			key = text[ws+loc[2] : ws+loc[3]]
		}
		ss, se = loc[2*r.group], loc[2*r.group+1]
		if ss == -1 {
			return ms
		}
	}
	if r.Generic && key != "" {
		// Widen the name back over identifier characters (the keyword may
		// sit inside db_password, publicToken, process.env.X_TOKEN).
		ks := ws + loc[2]
		for i := 0; i < 48 && ks > 0; i++ {
			c := text[ks-1]
			if !(isIdentChar(c) || c == '.' || c == '-' || c == '>') {
				break
			}
			ks--
		}
		key = text[ks : ws+loc[3]]
	}
	abs, abe := ws+ss, ws+se
	if r.Extend != nil {
		ne, ok := r.Extend(text, abe)
		if !ok {
			return ms
		}
		if r.group == 0 || r.AnyGroup {
			abe = ne
		}
	}
	secret := text[abs:abe]
	if !r.Generic && abe > abs {
		// A fixed-shape token must not be glued to more token text.
		if abs > 0 && isAlnum(secret[0]) && isAlnum(text[abs-1]) {
			return ms
		}
		if abe < len(text) && isAlnum(secret[len(secret)-1]) && isAlnum(text[abe]) {
			return ms
		}
	}
	m, ok := e.accept(r, secret, key, text, abs, abe)
	if !ok {
		return ms
	}
	if len(r.filters) > 0 {
		// Betterleaks filter expressions see the whole regex match.
		ms0, me0 := ws+loc[0], max(ws+loc[1], abe)
		env := exprEnv(findingEnv(r.ID, secret, text, text[ms0:me0], ms0, me0))
		for _, f := range r.filters {
			if f.drops(env) {
				return ms
			}
		}
	}
	ms = append(ms, m)
	return ms
}

// accept applies the value filters to a candidate and grades it.
func (e *engine) accept(r *compiledRule, secret, key, text string, start, end int) (match, bool) {
	if r.scored {
		return e.acceptCredential(r, secret, key, text, start, end)
	}
	if len(secret) < r.MinLen || secret == "" || strings.Trim(secret, "*•") == "" {
		return match{}, false // too short, or masked (user:*****@host)
	}
	if r.Origin != "" && selfNamed(secret) {
		return match{}, false // an imported rule's `password = "password"`
	}
	// edited: a sequence run ("abcdef", "1234567") in a password is a
	// weak human choice, not a placeholder: reported at low severity.
	edited := false
	switch {
	case r.Generic && (passwordRules[r.ID] || cliRules[r.ID]):
		if placeholderMarked(secret, true) || placeholderRun(secret) {
			return match{}, false
		}
		edited = ascendingCover(secret) > 0
	case r.Generic:
		if isPlaceholder(secret) {
			return match{}, false
		}
	default:
		// A provider's token keeps its counting walks (abcdef, 1234567,
		// a1b2c3): rule examples and test fixtures of real providers are
		// full of them, and the rule's own format (prefix, length,
		// alphabet) already says what the value is. Measured
		// leave-one-source-out: 51 more credentials of 2,966 blocked for 2
		// more look-alikes of 2,027. Placeholder words (example, xxxx,
		// your_), runs of one character and the whole alphabet typed out
		// still drop it.
		if placeholderMarked(walkMarks.Replace(strings.ToLower(secret)), false) || (!r.NoRunCheck && placeholderRun(secret)) || (alphabetTyped(secret) && !r.Watermarked) || documentedExamples[secret] || templateMarked(secret) {
			return match{}, false
		}
	}
	ent := shannon(secret)
	quoted := start > 0 && (text[start-1] == '"' || text[start-1] == '\'' || text[start-1] == '`')
	minEnt := r.Entropy
	if r.Generic && quoted && secretName(key) && minEnt > 2.5 {
		// A quoted literal under a name ending in "secret" is often a
		// passphrase (`if req.Secret != "…"`): words, lower entropy.
		minEnt = 2.5
	}
	if minEnt > 0 && ent < minEnt {
		return match{}, false
	}
	lineStart := max(0, start-300)
	if k := strings.LastIndexByte(text[lineStart:start], '\n'); k >= 0 {
		lineStart += k + 1
	}
	if r.ID == "password-in-prose" && !quoted && (!strongBare(secret) || secret[0] == '-') {
		return match{}, false // a word, or the next flag of a command line
	}
	if r.Generic && !quoted && strings.HasSuffix(strings.TrimRight(text[lineStart:start], " \t"), ":") && proseAfter(secret, text[end:min(len(text), end+24)]) {
		return match{}, false
	}
	if r.Generic && !genericValueOK(r, secret, key, text[lineStart:start], ent, quoted) {
		return match{}, false
	}
	if (r.ID == "generic-api-key" || r.packGeneric) && !(quoted && secretName(key)) && failsTokenEfficiency(secret) {
		// Words, not a machine-made token ("AgencyIdentification…",
		// "app_short"): a key is random, a name is not.
		return match{}, false
	}
	for _, a := range r.allow {
		if a.matches(secret, text[start:end], lineAt(text, start)) {
			return match{}, false
		}
	}
	for _, w := range r.stopwords {
		if strings.Contains(strings.ToLower(secret), w) {
			return match{}, false
		}
	}
	if r.valueReq != nil && !r.valueReq.ok(secret) {
		return match{}, false
	}
	m := match{rule: r, start: start, end: end, secret: secret, severity: r.Severity, confidence: r.Confidence}
	if r.Check != nil {
		ok, verified := r.Check(secret)
		if !ok {
			return match{}, false
		}
		m.verified = verified
		if verified {
			m.confidence = 0.99
		} else if strings.HasPrefix(r.ID, "github") {
			m.confidence = 0.7
		}
	}
	weak := r.Weak != nil && r.Weak(secret)
	if r.Generic && weakValue(r, secret, key) {
		weak = true
	}
	if weak && end < len(text) && text[end] == '@' && documentationHost(text[end+1:]) {
		// A default password at a documentation-only address
		// (2001:db8::/32, 192.0.2.0/24, example.com) is an example.
		return match{}, false
	}
	if (passwordRules[r.ID] || cliRules[r.ID]) && anonymousLogin(text, start, secret) {
		return match{}, false
	}
	if edited {
		m.severity, m.confidence, m.grade = sdk.SeverityLow, m.confidence-0.3, -1
		return m, true
	}
	if !weak && r.HighEntropy > 0 && quoted && ent >= r.HighEntropy && len(secret) >= r.HighLen && charClasses(secret) >= 3 {
		m.severity++
		m.confidence += 0.15
		m.grade = 1
	} else if weak || (r.StrongEntropy > 0 && ent < r.StrongEntropy) || (r.StrongLen > 0 && len(secret) < r.StrongLen) {
		m.grade = -1
		if m.severity > sdk.SeverityLow {
			m.severity--
		}
		m.confidence -= 0.15
	}
	return m, true
}

// literalAssigned reports whether line, the text before a quoted value,
// ends in a plain assignment (=, not ==, !=, <=, >=, =>).
func literalAssigned(line string) bool {
	l := strings.TrimRight(line, " \t\"'`")
	if !strings.HasSuffix(l, "=") {
		return false
	}
	l = strings.TrimRight(l[:len(l)-1], " \t")
	return l != "" && strings.IndexByte("=!<>:+-*/", l[len(l)-1]) < 0
}

// passwordRules are the generic rules whose values are passwords: any
// literal counts (weak ones are graded down), not only random-looking ones.
var passwordRules = map[string]bool{
	"generic-password": true, "generic-password-xml": true, "generic-password-flag": true, "netrc-credentials": true, "piped-password": true, "htpasswd-plaintext": true, "securestring-password": true, "pgpass-entry": true,
	"curl-user-password": true, "password-in-prose": true, "credential-constructor": true, "name-value-secret": true,
	"terraform-variable-default": true,
}

// hasVersion reports whether v holds a dotted version number (1.2, 0.11.2)
// delimited like package coordinates and file names, which are not
// secrets.
func hasVersion(v string) bool {
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) || (i > 0 && isDigit(v[i-1])) {
			continue
		}
		if i > 0 && !strings.ContainsRune("-_.:@v", rune(v[i-1])) {
			continue
		}
		j := i
		for j < len(v) && j-i < 3 && isDigit(v[j]) {
			j++
		}
		if j >= len(v) || v[j] != '.' || j+1 >= len(v) || !isDigit(v[j+1]) {
			continue
		}
		k := j + 1
		for k < len(v) && k-j <= 4 && isDigit(v[k]) {
			k++
		}
		if k == len(v) || strings.ContainsRune("-_.+", rune(v[k])) {
			return true
		}
	}
	return false
}

// weakValue reports whether a generic rule's accepted value is a weak
// guess: a UUID (often an id, sometimes a key), a dictionary-like password
// or one that repeats the key's own word.
func weakValue(r *compiledRule, v, key string) bool {
	if isUUID(v) {
		return true
	}
	lv := strings.ToLower(v)
	if strings.Contains(lv, "password") || strings.Contains(lv, "passwd") || defaultPassword(v) {
		return true
	}
	if dl := deleet.Replace(lv); strings.Contains(dl, "password") || strings.Contains(dl, "passwd") {
		return true // P@s$w0rd!, pa55word: the word everyone tries first
	}
	// A default word padded with digits and symbols (Test@123, admin#2024).
	var letters []byte
	for i := 0; i < len(lv); i++ {
		if isLetter(lv[i]) {
			letters = append(letters, lv[i])
		}
	}
	if len(letters) >= 4 && len(letters) < len(lv) && defaultPassword(string(letters)) {
		return true
	}
	return charClasses(v) == 1 && len(v) < 16
}

// selfNamed reports a value that is only the name of what it stands
// for (password, secret, token): a template, not a credential.
func selfNamed(v string) bool {
	switch strings.ToLower(strings.Trim(v, "<>[]{}_")) {
	case "password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key", "api-key", "key", "credentials":
		return true
	}
	return false
}

// deleet undoes the usual letter-for-symbol swaps of hand-made passwords.
var deleet = strings.NewReplacer("@", "a", "4", "a", "$", "s", "5", "s", "0", "o", "3", "e", "1", "i", "!", "i", "7", "t")

// cmdletCall reports a bare PowerShell cmdlet name (Verb-Noun:
// Read-Host, Get-Credential): `$Password = Read-Host …` reads a password,
// it does not hold one.
func cmdletCall(v string) bool {
	i := strings.IndexByte(v, '-')
	if i < 2 || i == len(v)-1 || v[0] < 'A' || v[0] > 'Z' || v[i+1] < 'A' || v[i+1] > 'Z' {
		return false
	}
	for j := 1; j < len(v); j++ {
		if j != i && !isLetter(v[j]) {
			return false
		}
	}
	return isLowerByte(v[1])
}

// placeholderRun reports a long run of one character or a value made of
// very few distinct characters.
func placeholderRun(v string) bool {
	if len(v) >= 12 && distinct(v) <= 4 {
		return true
	}
	run := 1
	for i := 1; i < len(v); i++ {
		if v[i] == v[i-1] {
			run++
			if run >= 8 {
				return true
			}
		} else {
			run = 1
		}
	}
	return false
}

// lineAt returns the line of text holding offset i.
func lineAt(text string, i int) string {
	s := strings.LastIndexByte(text[:i], '\n') + 1
	e := strings.IndexByte(text[i:], '\n')
	if e < 0 {
		return text[s:]
	}
	return text[s : i+e]
}

// genericKeyStops are name endings that make an assignment about a secret
// rather than of one (secret_name, token_url, api_key_header, ...).
var genericKeyStops = []string{"id", "ids", "name", "names", "url", "uri", "urls", "path", "file", "filename", "dir", "type", "label", "header",
	"length", "len", "size", "count", "endpoint", "version", "format", "field", "param", "prefix", "policy", "hash", "digest", "expiry",
	"expires", "expiration", "ttl", "timeout", "mode", "provider", "manager", "store", "ref", "env", "var", "key_id", "arn", "location",
	"question", "hint", "label", "placeholder", "message", "msg", "error", "regex", "pattern", "field", "input", "policy", "rotation",
	"enabled", "required", "min", "max", "reset", "confirm", "confirmation", "strength", "validation", "lifetime", "limit", "index", "idx", "generator", "class", "spec", "template",
	"level", "port", "host", "hostname", "region", "zone", "domain", "server", "user", "username", "login", "email"}

// secretName reports whether an assigned name ends in "secret" (or
// "secret_key"): its value is a passphrase as often as a random key.
func secretName(key string) bool {
	k := strings.ToLower(strings.Trim(key, `"'`+"`]"))
	return strings.HasSuffix(k, "secret") || strings.HasSuffix(k, "secret_key") || strings.HasSuffix(k, "secretkey")
}

// randomLiteral reports whether a quoted value is a long random string of
// all four character classes: brackets, "$" and "#" in it are characters
// of the secret, not code or template syntax.
func randomLiteral(v string, ent float64, quoted bool) bool {
	return quoted && len(v) >= 24 && charClasses(v) == 4 && ent >= 4.5 &&
		!strings.Contains(v, "${") && !strings.Contains(v, "{{") && !strings.Contains(v, "$(") && !strings.Contains(v, "#{")
}

// variableWords are parts of identifiers that name a variable holding a
// password (`password = hashed_pw`, `pwd = user_input`).
var variableWords = []string{"pass", "pwd", "secret", "key", "token", "cred", "auth", "hash", "input", "value", "val", "var", "arg", "param",
	"data", "env", "conf", "setting", "default", "new", "old", "plain", "raw", "user", "login", "get", "field", "str", "text", "result", "tmp",
	"temp", "enc", "dec", "cipher", "salt", "form", "req", "res", "obj", "opt", "ctx", "self", "this", "db", "sql", "cfg"}

// passphraseWords reports whether a bare value made of lower-case words
// joined by "_" or "-" reads as a passphrase (`open_sesame`) rather than a
// variable: none of its words names a variable holding a credential.
func passphraseWords(v string) bool {
	if len(v) < 8 || strings.ToLower(v) != v || !strings.ContainsAny(v, "_-") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !(c >= 'a' && c <= 'z') && c != '_' && c != '-' {
			return false
		}
	}
	for _, w := range variableWords {
		if strings.Contains(v, w) {
			return false
		}
	}
	return true
}

// isIdentifier reports whether v is a programming-language identifier: a
// letter or "_" and then letters, digits and "_".
func isIdentifier(v string) bool {
	if v == "" || !(v[0] == '_' || (v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isIdentChar(v[i]) {
			return false
		}
	}
	return true
}

// camelCase reports whether v has a lower-case letter followed by an
// upper-case one (newPassword).
func camelCase(v string) bool {
	for i := 1; i < len(v); i++ {
		if v[i-1] >= 'a' && v[i-1] <= 'z' && v[i] >= 'A' && v[i] <= 'Z' {
			return true
		}
	}
	return false
}

// passwordPrograms are commands whose bare -p option takes a password;
// elsewhere -p is a port, a path, a pid, a profile, a payload, a prompt.
var passwordPrograms = []string{"psexec", "paexec", "sshpass", "login", "mongo", "mongosh", "mongodump", "mongorestore", "mongoexport",
	"mongoimport", "mongostat", "mongotop", "hydra", "crackmapexec", "netexec", "nxc", "evil-winrm", "smbmap", "rdesktop", "winexe",
	"wmiexec", "smbexec", "psexec.py", "atexec", "dcomexec", "impacket", "medusa", "ncrack", "vmrun", "sqlmap", "pscp", "plink",
	"ovftool", "ipmitool", "racadm", "sqlplus"}

// shortFlag reports whether the flag before the value (the text of the
// line up to the value, trimmed) is a bare "-p".
func shortFlag(before string) bool {
	t := strings.TrimRight(before, " \t\"'")
	return strings.HasSuffix(t, " -p") || t == "-p"
}

// buildProperty reports whether the value of a /p: option is MSBuild's
// Name=Value (msbuild, dotnet build): a build property, not the password
// that xfreerdp's /p: takes, unless the property's name says it holds one.
func buildProperty(v string) bool {
	eq := strings.IndexByte(v, '=')
	if eq <= 0 || !isIdentifier(strings.ReplaceAll(v[:eq], ".", "_")) {
		return false
	}
	name := strings.ToLower(v[:eq])
	for _, w := range []string{"pass", "pwd", "secret", "token", "key", "cred"} {
		if strings.Contains(name, w) {
			return false
		}
	}
	return true
}

// passwordProgram reports whether the command line before a -p option runs
// a program whose -p takes a password.
func passwordProgram(before string) bool {
	l := strings.ToLower(before)
	for _, p := range passwordPrograms {
		i := strings.Index(l, p)
		for i >= 0 {
			if (i == 0 || !isAlnum(l[i-1])) && (i+len(p) == len(l) || !isAlnum(l[i+len(p)])) {
				return true
			}
			j := strings.Index(l[i+1:], p)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

// genericValueOK filters a generic rule's value. line is the text of the
// value's line up to the value.
func genericValueOK(r *compiledRule, v, key, line string, ent float64, quoted bool) bool {
	k := strings.ToLower(strings.Trim(key, `"'`+"`]"))
	if cliRules[r.ID] {
		k = "" // group 1 names the program, not the value
	}
	for _, stop := range genericKeyStops {
		if k == stop || strings.HasSuffix(k, "_"+stop) || strings.HasSuffix(k, "-"+stop) || strings.HasSuffix(k, "."+stop) ||
			(len(stop) > 2 && strings.HasSuffix(k, stop)) || (stop == "id" && strings.HasSuffix(key, "Id")) {
			return false
		}
	}
	if notWorkingName(key) {
		return false // invalidToken, fakeApiKey, nonMatchingSecret: a test's wrong value
	}
	if !r.scored && publishableValue(v) {
		// Stripe's pk_live_/pk_test_ and PostHog's phc_ are published on
		// purpose (in every page that loads the vendor's script). The
		// generic tier keeps them as candidates: they are the look-alikes
		// its fit learns a client key's random value from (dropped there
		// after scoring, see acceptCredential).
		return false
	}
	if strings.Contains(k, "public") || strings.Contains(k, "publishable") || strings.HasPrefix(k, "no_") || strings.HasPrefix(k, "tokeni") ||
		strings.HasPrefix(k, "is_") || strings.HasPrefix(k, "has_") || strings.Contains(k, "->get") {
		return false
	}
	if (strings.Contains(k, "env.") || strings.HasPrefix(k, "process.") || strings.HasPrefix(k, "os.")) && !(quoted && literalAssigned(line)) {
		// An environment lookup compared or defaulted (process.env.KEY ===
		// "…", os.getenv.KEY || "…"); setting one to a quoted literal
		// (process.env.API_KEY = "…", in a test's setup) hard-codes it.
		return false
	}
	isPassword := passwordRules[r.ID] || cliRules[r.ID]
	if r.ID == "generic-password" && !(strings.Contains(k, "password") || strings.Contains(k, "passwd") || strings.Contains(k, "passphrase") ||
		strings.Contains(k, "pwd") || k == "pass" || strings.HasSuffix(k, "_pass") || strings.HasSuffix(k, "-pass") || strings.HasSuffix(k, ".pass") ||
		(len(key) > 4 && strings.HasSuffix(key, "Pass") && key[len(key)-5] >= 'a' && key[len(key)-5] <= 'z')) {
		return false
	}
	if randomDigits(v) {
		// All digits drawn at random: a key or a password (the generic
		// tier's model weighs it), not a reference (an ENV_NAME has no
		// lower case either), a PIN or an id (randomDigits).
		return true
	}
	if !quoted && cmdletCall(v) {
		return false
	}
	flag := r.ID == "generic-password-flag" || cliRules[r.ID] || r.ID == "piped-password" || r.ID == "securestring-password"
	random := randomLiteral(v, ent, quoted) || (isPassword && !quoted && passphraseWords(v))
	if !flag && !random && isCodeReference(v, key) {
		return false
	}
	if flag && (valueWords[strings.ToLower(v)] || isPlaceholder(v) || strings.ContainsAny(v[:1], "/-.~\\")) {
		return false
	}
	if r.ID == "generic-password-flag" && shortFlag(line) && !passwordProgram(line) {
		return false
	}
	if r.ID == "generic-password-flag" && strings.HasSuffix(line, "/p:") && buildProperty(v) {
		return false
	}
	if !quoted && isIdentifier(v) && (strings.Contains(v, "_") || camelCase(v)) {
		// A bare camelCase or snake_case identifier naming a credential
		// is a variable (`s_password = newPassword;`).
		lv := strings.ToLower(v)
		for _, w := range []string{"pass", "pwd", "secret", "token", "key", "cred"} {
			if strings.Contains(lv, w) {
				return false
			}
		}
	}
	if sp := strings.Count(v, " "); strings.ContainsAny(v, "\t") || sp > 1 || (sp == 1 && (!isPassword || len(v) > 32)) {
		return false
	}
	// Interpolation ($var, ${var}): in a bare value, or at the start or
	// after a separator of a quoted one, a "$" starts a variable; inside a
	// quoted word it is taken as a character.
	for i := 0; i+1 < len(v) && !random; i++ {
		if v[i] == '$' && (v[i+1] == '{' || v[i+1] == '(' || ((i == 0 || !quoted || !isAlnum(v[i-1])) &&
			(v[i+1] == '_' || (v[i+1] >= 'a' && v[i+1] <= 'z') || (v[i+1] >= 'A' && v[i+1] <= 'Z')))) {
			return false
		}
	}
	// Paths and routes (a/b/c) are not secrets.
	if strings.Count(v, "/") >= 2 && !strings.ContainsAny(v, "+=") && strings.ToLower(v) == v {
		return false
	}
	if strings.Contains(v, "..") || strings.Contains(v, "…") {
		return false
	}
	lv := strings.ToLower(v)
	if !isPassword {
		for _, w := range []string{"password", "passwd", "secret", "token", "api_key", "apikey"} {
			if strings.Contains(lv, w) {
				return false
			}
		}
	}
	for _, w := range []string{"redacted", "masked", "hidden", "none", "null", "test123"} {
		if strings.Contains(lv, w) {
			return false
		}
	}
	if strings.HasSuffix(v, ":") || strings.HasSuffix(v, ".") || hasVersion(v) {
		return false
	}
	digits := 0
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			digits++
		}
	}
	if digits == len(v) || (!isPassword && digitBody(v)) {
		return false
	}
	if isPassword {
		return ent >= 2
	}
	// A quoted literal assigned to (or compared with) a name ending in
	// "secret" is a passphrase as often as a random key.
	if quoted && secretName(key) && ent >= 2.5 && len(v) >= 8 {
		return true
	}
	if r.scored {
		return true // the generic tier's model weighs the value's shape
	}
	// Tokens and keys: random-looking, not an identifier.
	if charClasses(v) < 2 {
		return false
	}
	if digits == 0 && charClasses(v) < 3 && len(v) < 32 {
		return false
	}
	return true
}

// digitBody reports a value of digits and joiners after at most a short
// letter prefix (xoxp-1234567890, 12345678-1234-1234-1234-123456789012,
// sk_0000…): like an all-digit value, a phone number, an id or a counting
// walk as often as a key.
func digitBody(v string) bool {
	i := 0
	if j := strings.IndexAny(v, "-_"); j > 0 && j <= 8 && isLetter(v[0]) {
		i = j + 1
	}
	digits := 0
	for ; i < len(v); i++ {
		switch c := v[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '_' || c == '.':
		default:
			return false
		}
	}
	return digits >= 8
}

// notWorkingNames are name parts that say the value assigned is not a
// working credential: a test's or a document's wrong value.
var notWorkingNames = map[string]bool{"invalid": true, "fake": true, "dummy": true, "bogus": true, "wrong": true, "bad": true,
	"revoked": true, "expired": true, "nonmatching": true, "mismatched": true}

// notWorkingName reports a name with such a part (invalidToken,
// FAKE_API_KEY, nonMatchingToken: non and matching are joined).
func notWorkingName(key string) bool {
	parts := nameParts(key)
	for i, p := range parts {
		if notWorkingNames[p] || ((p == "non" || p == "not") && i+1 < len(parts) && strings.HasPrefix(parts[i+1], "match")) {
			return true
		}
	}
	return false
}

// allowed applies the configured allowlists and the built-in lock-file
// context to a match.
func (e *engine) allowed(it *sdk.Item, text string, m *match) bool {
	if len(e.allowFP) > 0 {
		fp := fingerprintOf(m)
		if e.allowFP[fp] || e.allowFP[m.rule.ID+":"+fp] {
			return true
		}
	}
	for _, re := range e.allowRegex {
		if re.MatchString(m.secret) || re.MatchString(text[m.start:m.end]) {
			return true
		}
	}
	if len(e.allowPaths) == 0 && !m.rule.Generic {
		return false
	}
	ctxs := pathContexts(it, text, m.start)
	for _, c := range ctxs {
		for _, re := range e.allowPaths {
			if re.MatchString(c) {
				return true
			}
		}
		if m.rule.Generic && mayNameLockfile(c) && lockfileRe.MatchString(c) {
			return true
		}
	}
	return false
}

// mayNameLockfile is a cheap necessary condition for lockfileRe: every
// name it lists holds "lock", "go.sum" or "shrinkwrap" (in any case).
func mayNameLockfile(c string) bool {
	return containsFoldASCII(c, "lock") || containsFoldASCII(c, "go.sum") || containsFoldASCII(c, "shrinkwrap")
}

// containsFoldASCII reports whether s contains sub (lower-case ASCII),
// ignoring ASCII case, without allocating.
func containsFoldASCII(s, sub string) bool { return indexFoldASCII(s, sub) >= 0 }

func fingerprintOf(m *match) string { return sdk.Fingerprint(ID, m.rule.ID, m.secret) }

// pathContexts returns path-like strings that say where the text around
// offset came from: the tool call's arguments and command, the nearest
// preceding file header (diff, patch, "==> file <==" or "File:" lines) and
// the current line up to the offset.
func pathContexts(it *sdk.Item, text string, offset int) []string {
	var out []string
	if it != nil && it.Tool != nil {
		if it.Tool.Arguments != "" {
			out = append(out, it.Tool.Arguments)
		}
		if it.Tool.Command != "" {
			out = append(out, it.Tool.Command)
		}
	}
	lo := offset - 16384
	if lo < 0 {
		lo = 0
	}
	region := text[lo:offset]
	for {
		i := strings.LastIndexByte(region, '\n')
		line := region[i+1:]
		t := strings.TrimSpace(line)
		for _, p := range []string{"+++ ", "--- ", "diff --git ", "*** Update File: ", "*** Add File: ", "==> ", "File: ", "file: ", "# file: "} {
			if strings.HasPrefix(t, p) {
				out = append(out, t)
				return appendLine(out, text, offset)
			}
		}
		if i < 0 {
			break
		}
		region = region[:i]
	}
	return appendLine(out, text, offset)
}

// dropOffPath removes the matches of path-restricted rules (gitleaks'
// `path` beside a regex) whose text names no file of that path, before
// they can hide another rule's finding of the same span.
func (e *engine) dropOffPath(it *sdk.Item, text string, ms []match) []match {
	kept := ms[:0]
	for _, m := range ms {
		if m.rule.pathRe == nil || pathApplies(m.rule.pathRe, it, text, m.start) {
			kept = append(kept, m)
		}
	}
	return kept
}

// pathApplies reports whether a path-like word of the path context at
// offset (pathContexts: the tool's arguments and command, the nearest file
// header, the line so far) matches re: gitleaks matches a rule's path
// against a file's path, picket against the words that may be one
// (`+++ b/main.tf`, `{"file_path":"infra/db.tf"}`).
func pathApplies(re *regexp.Regexp, it *sdk.Item, text string, offset int) bool {
	for _, c := range pathContexts(it, text, offset) {
		for _, w := range strings.FieldsFunc(c, notPathByte) {
			if re.MatchString(w) {
				return true
			}
		}
	}
	return false
}

// notPathByte separates path-like words: blanks, quotes and the
// punctuation of JSON, shells and headers (a colon too: `main.tf:12`;
// a Windows path keeps its tail, `C:\infra\main.tf` → `\infra\main.tf`).
func notPathByte(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '"' || r == '\'' || r == '`' ||
		r == ',' || r == '{' || r == '}' || r == '[' || r == ']' || r == '(' || r == ')' || r == '=' ||
		r == '<' || r == '>' || r == '|' || r == ';' || r == ':'
}

func appendLine(out []string, text string, offset int) []string {
	s := strings.LastIndexByte(text[:offset], '\n') + 1
	return append(out, text[s:offset])
}

func (a allowRule) matches(secret, match, line string) bool {
	hasRe, hasSw := len(a.regexes) > 0, len(a.stopwords) > 0
	if !hasRe && !hasSw {
		return false
	}
	target := secret
	switch a.target {
	case "match":
		target = match
	case "line":
		target = line
	}
	reHit, swHit := false, false
	for _, re := range a.regexes {
		if re.MatchString(target) {
			reHit = true
			break
		}
	}
	ls := strings.ToLower(secret)
	for _, w := range a.stopwords {
		if strings.Contains(ls, w) {
			swHit = true
			break
		}
	}
	if a.and {
		return (!hasRe || reHit) && (!hasSw || swHit)
	}
	return (hasRe && reHit) || (hasSw && swHit)
}

// documentationHost reports whether the host at the start of rest (after
// a URL's "@") is reserved for documentation: the IPv6 prefix 2001:db8::/32
// (RFC 3849), the IPv4 blocks of RFC 5737, example.com/.net/.org and the
// .example, .test and .invalid names (RFC 2606).
func documentationHost(rest string) bool {
	rest = strings.TrimPrefix(rest, "[")
	end := 0
	for end < len(rest) && end < 256 && !strings.ContainsRune("/?#]\"' \t\r\n,;", rune(rest[end])) {
		end++
	}
	host := strings.ToLower(rest[:end])
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "2001:") {
		host = h // drop a port
	}
	if strings.HasPrefix(host, "2001:db8:") || strings.HasPrefix(host, "192.0.2.") || strings.HasPrefix(host, "198.51.100.") || strings.HasPrefix(host, "203.0.113.") {
		return true
	}
	for _, d := range []string{"example.com", "example.net", "example.org"} {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return strings.HasSuffix(host, ".example") || strings.HasSuffix(host, ".test") || strings.HasSuffix(host, ".invalid")
}

// anonymousLogin reports whether a password follows, within a few lines, a
// login of "anonymous" and is an e-mail-like value ("guest@", "me@host"):
// the anonymous-FTP convention, which is not a credential.
func anonymousLogin(text string, start int, secret string) bool {
	if !strings.Contains(secret, "@") {
		return false
	}
	lo := max(0, start-240)
	before := strings.ToLower(text[lo:start])
	i := strings.LastIndex(before, "anonymous")
	if i < 0 {
		return false
	}
	// The name before the value must name a user or login.
	head := before[max(0, i-40):i]
	return strings.Contains(head, "user") || strings.Contains(head, "login")
}

// proseAfter reports whether a bare, letters-only value after a colon is
// followed on its line by more words ("password: Create a strong one"): a
// sentence, not an assignment.
func proseAfter(v, after string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return len(after) >= 2 && after[0] == ' ' && after[1] >= 'a' && after[1] <= 'z'
}

// strongBare reports whether an unquoted word in prose looks like a
// password rather than a word: at least six characters of three classes,
// or eight with both letters and digits.
func strongBare(v string) bool {
	if len(v) < 6 {
		return false
	}
	letters, digits := false, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		letters = letters || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		digits = digits || (c >= '0' && c <= '9')
	}
	return charClasses(v) >= 3 || (letters && digits && len(v) >= 8)
}

// randomDigits reports an all-digit value that reads as drawn at random
// rather than typed or counted: at least 20 digits (66 bits; the longest
// numeric ids in common use, snowflake ids and nanosecond timestamps, have
// 19, phone numbers at most 15), no run of seven ascending or descending
// digits (odds about 1e-6 per place at random; 1234567890… is a
// placeholder), no block repeated over a third of it, and seven or more
// distinct digits.
func randomDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	if len(v) < 20 || ascendingCover(v) > 0 || repeatShare(v) >= 0.34 || distinct(v) < 7 {
		return false
	}
	run := 1
	for i := 1; i < len(v); i++ {
		if v[i]+1 == v[i-1] {
			if run++; run >= 7 {
				return false
			}
		} else {
			run = 1
		}
	}
	return true
}

// publishableValue reports a vendor's publishable key: pk_live_, pk_test_
// (Stripe and the vendors that copied its scheme), phc_ (PostHog's
// project key).
func publishableValue(v string) bool {
	l := strings.ToLower(v)
	return strings.HasPrefix(l, "pk_live_") || strings.HasPrefix(l, "pk_test_") || strings.HasPrefix(l, "phc_")
}
