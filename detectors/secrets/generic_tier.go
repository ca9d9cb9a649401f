package secrets

import (
	"context"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/picketsec/picket/sdk"
)

// The generic tier: a machine-made value in a context that names a
// credential, for the many providers no rule knows. One hand-written
// parser (matchCredential) reads every naming style (apiKey, API_KEY,
// x-api-key, client-secret, authToken, "provider KEY value") and every
// assignment form (code, env files, YAML, JSON, TOML, XML, CLI flags,
// HTTP headers, URL query parameters, glued "nameKEY-value"); the value is
// then described by measured signals (credFeatures: length, entropy and
// entropy per character class, character mix, dictionary-word cover and
// the letter language model's cost — lm.go —, sequence walks, a provider
// word nearby, the kind of name and separator) and scored by a logistic
// model fitted on the corpus (generic_fit.go, written by `eval
// -fit-generic`, fitted and reported leave-one-source-out). The score is
// the finding's confidence and sets its severity through fitted
// thresholds: high where the fit measured precision ≥ 0.97.

// credWords are the words that name a credential, longest first.
var credWords = []string{"credentials", "credential", "secret", "token", "creds", "access", "private", "auth", "cred", "key", "tkn", "pat"}

// strongCredWords name a credential on their own; "key", "access",
// "private", "auth" also name many other things.
var strongCredWords = map[string]bool{"secret": true, "token": true, "tkn": true, "credential": true, "credentials": true, "creds": true, "cred": true, "apikey": true}

// credCompounds may precede a credential word glued in the same case
// (apikey, accesstoken, clientsecret): a hit after other letters
// ("monkey", "hockey") is not a name.
var credCompounds = []string{"api", "access", "secret", "private", "auth", "client", "app", "master", "signing", "encryption", "license", "consumer",
	"service", "session", "bearer", "refresh", "oauth", "user", "admin", "deploy", "webhook", "account", "bot", "personal", "project", "team",
	"write", "read", "root", "shared", "integration", "partner", "merchant", "webhooksecret", "x"}

// genericNameWords are name parts that say nothing about a provider. A
// variable with an initializer, not an init function: the built-in rules
// (and the provider names read from them) are built during package
// variable initialization, before init functions run.
var genericNameWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`api app apps my the your our this that new old test tests dev prod production staging default user users admin
		client server service access secret secrets private public key keys token tokens auth value data config conf cfg env local global master main
		primary secondary root session cache signing encryption refresh bearer oauth var string str const let set export get http https header x is
		a an to for of and with in on id url my_ live sandbox base64 hex raw value1 value2 web site account personal project org team bot write read
		sk pk rk api_key apikey license consumer credential credentials creds cred tkn pass password passwd pwd integration external internal v1 v2
		other another some any every each all first second next last current`) {
		m[w] = true
	}
	return m
}()

var (
	providerOnce  sync.Once
	providerWords map[string]bool
)

// providerWordSet is the set of provider names the rule sets know (the
// classes of picket's and gitleaks' provider rules): such a word near a
// credential name raises confidence.
func providerWordSet() map[string]bool {
	providerOnce.Do(func() {
		providerWords = map[string]bool{}
		eachProviderWord(builtinRules(), func(w string) {
			if len(w) >= 3 && !genericNameWords[w] {
				providerWords[w] = true
			}
		})
		for _, w := range []string{"generic", "private", "password", "database", "basic", "http", "jwt", "netrc", "hash", "url"} {
			delete(providerWords, w)
		}
	})
	return providerWords
}

var (
	providerNameOnce sync.Once
	providerNames    map[string]bool
)

// eachProviderWord calls f with each word of the classes of the provider
// rules among own and gitleaks' defaults (lower-case).
func eachProviderWord(own []*Rule, f func(w string)) {
	add := func(r *Rule) {
		if r.Generic {
			return
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(r.Class), func(c rune) bool { return c == '-' || c == '_' || c == ' ' }) {
			f(w)
		}
	}
	for _, r := range own {
		add(r)
	}
	if gl, err := gitleaksDefaultRules(); err == nil {
		for _, r := range gl {
			add(r)
		}
	}
}

// providerNameSet is the set of provider names that name a credential on
// their own when a machine-made value is assigned to them (`mailgun =
// …`, `"launchdarkly": "…"`, TruffleHog's provider keyword before a
// token): the provider words of the rules (picket's, passed in, and
// gitleaks' defaults) of four letters or more that are no dictionary word
// (`vault`, `segment`, `square` name other things too).
func providerNameSet(own []*Rule) map[string]bool {
	providerNameOnce.Do(func() {
		providerNames = map[string]bool{}
		eachProviderWord(own, func(w string) {
			if len(w) >= 4 && isLetter(w[0]) && !genericNameWords[w] && !lmWords[w] && credWordAt(w, 0) == 0 {
				providerNames[w] = true
			}
		})
		// Tools whose names are also configuration sections and package
		// names (docker: image…, django==4.2, terraform { … }).
		for _, w := range []string{"generic", "private", "password", "database", "basic", "http", "netrc", "hash", "webhook", "curl",
			"docker", "kubernetes", "jenkins", "terraform", "django", "vault", "azure", "crates", "particle", "octopus", "kraken"} {
			delete(providerNames, w)
		}
	})
	return providerNames
}

// providerNameAt returns the length of a provider name at text[i:] that is
// a whole name part (not the start of a longer word), 0 if none.
func providerNameAt(text string, i int) int {
	if i > 0 && isAlnum(text[i-1]) && !(isLowerByte(text[i-1]) && !isLowerByte(text[i]) && isLetter(text[i])) {
		return 0
	}
	j := i
	for j < len(text) && j-i < 24 && (isLetter(text[j]) || (j > i && text[j] >= '0' && text[j] <= '9')) {
		if j > i && isLowerByte(text[j-1]) && isLetter(text[j]) && !isLowerByte(text[j]) {
			break // a camelCase boundary: mailgunApi
		}
		j++
	}
	if j == i || !providerNames[strings.ToLower(text[i:j])] {
		return 0
	}
	return j - i
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

func isLowerByte(c byte) bool { return c >= 'a' && c <= 'z' }

// credWordAt returns the length of the credential word at text[i:]
// (ASCII case-insensitive), 0 if none.
func credWordAt(text string, i int) int {
	for _, w := range credWords {
		if i+len(w) <= len(text) && strings.EqualFold(text[i:i+len(w)], w) {
			return len(w)
		}
	}
	return 0
}

// nameChar is a byte of a credential name (identifier characters and the
// joiners of dotted, kebab and shell names).
func nameChar(c byte) bool { return isIdentChar(c) || c == '.' || c == '-' || c == '$' }

// valueStop ends a bare value.
func valueStop(c byte) bool {
	return c <= ' ' || strings.IndexByte("\"'`;,<>(){}[]&|\\", c) >= 0
}

// sepKind is how a value is tied to its name.
type sepKind int

const (
	sepAssign sepKind = iota // = : := => and the like
	sepSpace                 // blanks only: a flag, "provider KEY value"
	sepGlued                 // one joiner: nameKEY-value
	sepPair                  // quoted call arguments: set("api.token", "…")
	sepXML                   // <apiKey>value</apiKey>
	sepBare                  // no name: a prefixed token on its own (prefixed_tier.go)
)

// matchCredential parses a credential name around the keyword hit at
// start, its separator and its value. Groups: 1 the name, 2 the value
// (offsets relative to start; the name may begin before it).
func matchCredential(text string, start, limit int) []int {
	kw := credWordAt(text, start)
	provider := false
	if kw == 0 {
		// A provider's name alone (mailgun = …): parsed like a credential
		// name, unless the name also holds a credential word (that hit
		// reads it) or says password.
		if kw = providerNameAt(text, start); kw == 0 {
			return nil
		}
		provider = true
	}
	// Left edge: a word boundary, a case change, or a credential compound
	// (apikey, clientSecret is a case change).
	if !provider && start > 0 && isLetter(text[start-1]) && isLowerByte(text[start-1]) == isLowerByte(text[start]) {
		ok := false
		pre := strings.ToLower(text[max(0, start-16):start])
		for _, c := range credCompounds {
			if strings.HasSuffix(pre, c) && (len(pre) == len(c) || !isLetter(pre[len(pre)-len(c)-1]) ||
				isLowerByte(text[start-len(c)-1]) != isLowerByte(text[start-len(c)])) {
				ok = true
				break
			}
		}
		if !ok {
			return nil
		}
	}
	// Right edge of the keyword: not glued to more lower-case letters of
	// the same word ("keyword", "tokenizer"; a plural is fine).
	ke := start + kw
	if kw == 3 && strings.EqualFold(text[start:ke], "pat") && ke < len(text) && isLetter(text[ke]) &&
		!(isLowerByte(text[ke-1]) && !isLowerByte(text[ke])) {
		return nil // path, pattern, PATH: a personal access token is a whole "pat"
	}
	if ke < len(text) && isLowerByte(text[ke]) && isLowerByte(text[ke-1]) {
		if !(text[ke] == 's' && (ke+1 >= len(text) || !isLetter(text[ke+1]))) {
			return nil
		}
	}
	ns := start
	for n := 0; n < 48 && ns > 0 && nameChar(text[ns-1]); n++ {
		ns--
	}
	if ns > 0 && (text[ns-1] == '/' || text[ns-1] == '@') {
		return nil // a path segment or an image name (ghcr.io/org/token@sha256:…)
	}
	ne := ke
	for ne < limit && ne-ns < 80 && nameChar(text[ne]) {
		ne++
	}
	for ne > ke && (text[ne-1] == '.' || text[ne-1] == '-') {
		ne-- // a sentence's full stop, a trailing dash
	}
	if provider {
		l := strings.ToLower(text[ns:ne])
		for i := 0; i < len(l); i++ {
			if credWordAt(l, i) > 0 || strings.HasPrefix(l[i:], "pass") || strings.HasPrefix(l[i:], "pwd") {
				return nil
			}
		}
	}
	// Glued value: nameKEY-ab12…, provider-secret-123e…: split the name
	// run at the first joiner after the keyword whose next segment holds a
	// digit or is long.
	if ne-ke > 10 && !provider {
		for i := ke; i < ne-1; i++ {
			if text[i] != '-' && text[i] != '_' && text[i] != '.' {
				continue
			}
			seg := i + 1
			for seg < ne && text[seg] != '-' && text[seg] != '_' && text[seg] != '.' {
				seg++
			}
			if strings.ContainsAny(text[i+1:seg], "0123456789") || seg-i-1 >= 16 {
				ve := ne
				for ve < limit && ve-ne < 1000 && nameChar(text[ve]) && text[ve] != '$' {
					ve++ // a value longer than the name run's cap
				}
				for ve < limit && ve-ne < 3 && text[ve] == '=' {
					ve++ // base64 padding
				}
				if ve-(i+1) >= 10 && (ve >= limit || valueStop(text[ve])) {
					return []int{ns - start, ve - start, ns - start, i - start, i + 1 - start, ve - start}
				}
				break
			}
		}
	}
	j := ne
	quotedName := false
	for n := 0; n < 2 && j < limit && (text[j] == '"' || text[j] == '\'' || text[j] == '`' || text[j] == ']'); n++ {
		quotedName = quotedName || text[j] != ']'
		j++
	}
	blank := j
	j = skipBlank(text, j, limit, 16)
	sawBlank := j > blank
	if j >= limit {
		return nil
	}
	sepLen, spaceSep, table := 0, false, false
	for _, sep := range []string{":::=", "::=", "===", "!==", ":=", "=>", "->", ".=", "+=", "?=", "==", "!=", "=", ":"} {
		if strings.HasPrefix(text[j:limit], sep) {
			sepLen = len(sep)
			break
		}
	}
	switch {
	case sepLen > 0:
		if sepLen == 1 && text[j] == ':' && j+1 < limit && text[j+1] == ':' {
			return nil // a scope operator
		}
		j = skipBlank(text, j+sepLen, limit, 8)
	case quotedName && text[j] == ',':
		j = skipBlank(text, j+1, limit, 4)
		if j >= limit || (text[j] != '"' && text[j] != '\'') {
			return nil
		}
	case text[j] == '>' && ns > 0 && text[ns-1] == '<':
		j++
	case quotedName && xmlNameAttr(text, ns):
		// <string name="acme_api_key">…</string>, <entry key="acme.token">…:
		// the name is an attribute, the value the element's text.
		if j = xmlElementText(text, j, limit); j < 0 {
			return nil
		}
	case !sawBlank && !quotedName && text[j] == '(' && setterName(text[ns:ne]):
		// setApiKey("…"), Acme.apiKey('…'), client.withToken("…"): the
		// call's one quoted argument.
		j = skipBlank(text, j+1, limit, 4)
		if j >= limit || (text[j] != '"' && text[j] != '\'') {
			return nil
		}
	case text[j] == '|' && tableCell(text, ns):
		// | ACME_API_KEY | … |: a Markdown table's next cell.
		j = skipBlank(text, j+1, limit, 8)
		table = true
	case sawBlank && !quotedName && (hasPrefixFold(text[j:limit], "is ") || hasPrefixFold(text[j:limit], "was ")):
		// "your Acme API key is …": prose, so the value must look like a
		// token (tokenShaped), as after blanks only.
		j = skipBlank(text, j+strings.IndexByte(text[j:limit], ' '), limit, 4)
		if j < limit && text[j] == ':' {
			j = skipBlank(text, j+1, limit, 4)
		}
		spaceSep = true
	case sawBlank && !quotedName:
		// "provider KEY value", --token value: the value on the same line.
		spaceSep = true
	default:
		return nil
	}
	if j >= limit || (text[j] == '-' && sepLen == 0) || (sepLen == 0 && !quotedName && text[ns] == '$') {
		return nil // a flag after a flag, a variable used rather than assigned
	}
	// An auth scheme before the value (Bearer, Token, Basic).
	for _, s := range []string{"bearer ", "token ", "basic ", "apikey ", "key "} {
		if j+len(s) < limit && strings.EqualFold(text[j:j+len(s)], s) {
			j = skipBlank(text, j+len(s), limit, 4)
			break
		}
	}
	if j >= limit {
		return nil
	}
	var vs, ve int
	switch q := text[j]; q {
	case '"', '\'', '`':
		vs = j + 1
		ve = vs
		for ve < limit && ve-vs <= 1000 && text[ve] != q && text[ve] != '\n' && text[ve] != '\\' {
			ve++
		}
		if ve >= limit || text[ve] != q {
			return nil
		}
	default:
		vs = j
		ve = vs
		for ve < limit && ve-vs <= 1000 && !valueStop(text[ve]) {
			ve++
		}
		if ve < limit && (text[ve] == '(' || text[ve] == '[') {
			return nil // a call or an index: a reference
		}
		for ve > vs && strings.IndexByte(".:,", text[ve-1]) >= 0 {
			ve--
		}
	}
	if ve-vs < 8 || ve-vs > 1000 {
		return nil
	}
	if table {
		k := ve
		if k < limit && (text[k] == '`' || text[k] == '"' || text[k] == '\'') {
			k++ // the closing quote of a quoted value
		}
		k = skipBlank(text, k, limit, 8)
		if k >= limit || text[k] != '|' {
			return nil // the cell holds more than the value
		}
	}
	if spaceSep && !tokenShaped(text[vs:ve]) {
		return nil // prose: "the secret credential handler …"
	}
	return []int{ns - start, ve - start, ns - start, ne - start, vs - start, ve - start}
}

// setterName reports a call's name that sets a credential from its
// argument (setApiKey, withToken, Acme.apiKey): the last dotted part
// starts with set or with before a capital or '_', or names an API key
// or token itself. A getter's or loader's argument is a name or path
// (getSecret("db"), loadKey("id_rsa")).
func setterName(name string) bool {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	for _, p := range []string{"set", "with"} {
		if len(name) > len(p) && strings.HasPrefix(name, p) && (name[len(p)] == '_' || name[len(p)] >= 'A' && name[len(p)] <= 'Z') {
			return true
		}
	}
	l := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	return l == "apikey" || l == "apitoken" || l == "accesstoken" || l == "authtoken" || l == "token"
}

// tableCell reports a name that fills a Markdown table cell: '|' and
// blanks (and a backtick) before it.
func tableCell(text string, ns int) bool {
	i := ns
	for i > 0 && (text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '`') {
		i--
	}
	return i > 0 && text[i-1] == '|'
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

// xmlNameAttr reports whether the name starting at ns is the quoted value
// of a name or key attribute of an XML start tag (<string name="…">,
// <entry key="…">, <setting name="…">).
func xmlNameAttr(text string, ns int) bool {
	if ns < 2 || (text[ns-1] != '"' && text[ns-1] != '\'') || text[ns-2] != '=' {
		return false
	}
	a := ns - 2
	for a > 0 && isLetter(text[a-1]) {
		a--
	}
	if attr := strings.ToLower(text[a : ns-2]); attr != "name" && attr != "key" {
		return false
	}
	// The tag opens on the same line: <tag …name=.
	for i := a - 1; i >= 0 && a-i < 120; i-- {
		switch text[i] {
		case '<':
			return i+1 < a && isLetter(text[i+1])
		case '>', '\n':
			return false
		}
	}
	return false
}

// xmlElementText returns where the text of the element whose start tag
// holds the name begins (after the tag's '>', blanks and at most one
// nested start tag such as <value>), or -1: a self-closing tag, an
// element holding markup, no '>' on the line.
func xmlElementText(text string, j, limit int) int {
	for n := 0; j < limit && text[j] != '>'; n++ {
		if text[j] == '\n' || text[j] == '<' || n > 160 {
			return -1
		}
		j++
	}
	if j >= limit || text[j-1] == '/' {
		return -1
	}
	j = skipBlank(text, j+1, limit, 16)
	if j+2 < limit && text[j] == '<' && isLetter(text[j+1]) {
		k := j + 1
		for k < limit && k-j < 24 && isIdentChar(text[k]) {
			k++
		}
		if k >= limit || text[k] != '>' {
			return -1
		}
		j = skipBlank(text, k+1, limit, 16)
	}
	if j >= limit || text[j] == '<' {
		return -1
	}
	return j
}

// tokenShaped reports whether a value that follows its name after blanks
// only (where prose follows such words all the time) looks like a token:
// two character classes and not mostly dictionary words.
func tokenShaped(v string) bool {
	if w := strings.TrimRight(v, "*:.,;!?"); isLetterRun(w) && (w != v || capitalized(w)) {
		return false // a word of prose or a heading: Enhancement, Milestones**, INSIGHT:**
	}
	return charClasses(v) >= 2 && !(wordCover(v) >= 0.6 && !strings.ContainsAny(v, "0123456789"))
}

// capitalized reports a word of one capital and lower-case letters
// (Deployment, Responsibilities).
func capitalized(w string) bool {
	if len(w) < 2 || w[0] < 'A' || w[0] > 'Z' {
		return false
	}
	for i := 1; i < len(w); i++ {
		if !isLowerByte(w[i]) {
			return false
		}
	}
	return true
}

// wordy reports a value made of dictionary words with at most a
// digit or two (management, serverName, application-default).
func wordy(v string) bool {
	digits := 0
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			digits++
		}
	}
	return digits <= 2 && wordCover(v) >= 0.75
}

// credContext is what the scorer knows of a candidate's surroundings.
type credContext struct {
	sep      sepKind
	quoted   bool
	strong   bool // the name holds a strong credential word
	provider bool // a known provider's name in the name or just before it
	brand    bool // the name (or the word before it) has a part that is not a generic word
	nocred   bool // the name is a provider's name with no credential word
}

// credFeatureNames names the scorer's inputs, in order.
var credFeatureNames = []string{"bias", "len", "loglen", "entropy", "entropy_ratio", "classes", "digit_share", "upper_share", "other_share",
	"lm_bits", "few_letters", "word_cover", "hex", "uuid", "walk", "provider", "brand", "strong_name", "quoted", "sep_assign", "sep_space",
	"sep_glued", "prefixed", "marker", "distinct_ratio", "repeat", "no_cred_word", "bare"}

// credFeatures describes a candidate value for the scorer.
func credFeatures(v string, c credContext) []float64 {
	n := float64(len(v))
	var lo, up, di, ot int
	for i := 0; i < len(v); i++ {
		switch ch := v[i]; {
		case ch >= 'a' && ch <= 'z':
			lo++
		case ch >= 'A' && ch <= 'Z':
			up++
		case ch >= '0' && ch <= '9':
			di++
		default:
			ot++
		}
	}
	alpha := 0
	hex := true
	for i := 0; i < len(v); i++ {
		if !isHex(v[i]) && v[i] != '-' {
			hex = false
			break
		}
	}
	switch {
	case hex:
		alpha = 16
	default:
		if lo > 0 {
			alpha += 26
		}
		if up > 0 {
			alpha += 26
		}
		if di > 0 {
			alpha += 10
		}
		if ot > 0 {
			alpha += 4
		}
	}
	ent := shannon(v)
	ratio := ent / math.Log2(math.Max(2, math.Min(n, float64(alpha))))
	bits, letters := lmBits(v)
	few := 0.0
	if letters < 4 {
		bits, few = 4.5, 1 // no letters to judge: a neutral cost
	}
	walk := float64(ascendingCover(v)) / n
	if l := strings.ToLower(v); interleavedWalk(v) || strings.Contains(l, "a1b2c3") || strings.Contains(l, "1a2b3c") {
		walk = math.Max(walk, 0.5)
	}
	b := func(x bool) float64 {
		if x {
			return 1
		}
		return 0
	}
	prefixed := false
	for i := 1; i < len(v) && i <= 8; i++ {
		if v[i] == '_' || v[i] == '-' {
			prefixed = i >= 2 && isLetterRun(v[:i]) && len(v)-i > 12
			break
		}
		if !isLetter(v[i]) {
			break
		}
	}
	return []float64{1, math.Min(n, 80) / 80, math.Log2(n) / 7, ent / 6, math.Min(ratio, 1.2), float64(charClasses(v)) / 4,
		float64(di) / n, float64(up) / n, float64(ot) / n, bits / 6, few, wordCover(v), b(hex && len(v) >= 16), b(uuidLike(v)), walk,
		b(c.provider), b(c.brand), b(c.strong), b(c.quoted), b(c.sep == sepAssign || c.sep == sepPair || c.sep == sepXML), b(c.sep == sepSpace),
		b(c.sep == sepGlued), b(prefixed), b(markerWord(v)), float64(distinct(v)) / math.Min(n, float64(max(alpha, 16))), repeatShare(v), b(c.nocred), b(c.sep == sepBare)}
}

// shortAfterPrefix reports a value that starts with a vendor-style
// prefix (2-8 letters and digits, the first a letter, then _ or -) and
// holds fewer than ten letters and digits after it: under 60 bits even if
// random, a truncated or made-up example rather than an issued key.
func shortAfterPrefix(v string) bool {
	i := 0
	for i < len(v) && i <= 8 && isAlnum(v[i]) {
		i++
	}
	if i < 2 || i > 8 || i >= len(v) || (v[i] != '_' && v[i] != '-') || !isLetter(v[0]) {
		return false
	}
	n := 0
	for k := i + 1; k < len(v); k++ {
		if isAlnum(v[k]) {
			n++
		}
	}
	return n < 10
}

// fabricated reports a value typed by hand rather than issued: counting
// walks over half of it, an alphabet walk interleaved with a digit walk
// (abc123def456…), the alphabet typed out, or one block repeated over
// half of it (abcdef0123456789abcdef0123456789).
func fabricated(v string) bool {
	return 2*ascendingCover(v) >= len(v) || interleavedWalk(v) || alphabetTyped(v) || repeatShare(v) >= 0.5
}

// markerWords are words that documentation and tests put in fake keys.
var markerWords = []string{"test", "sandbox", "short", "fake", "sample", "demo", "invalid", "mock", "dummy", "foo", "bar", "xyz", "abc"}

func markerWord(v string) bool {
	l := strings.ToLower(v)
	for _, w := range markerWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// repeatShare is the share of v covered by the repeats of its most
// repeated block of 3 to 12 bytes (abc123abc123…, 0123456789abcdef twice):
// a random token barely repeats itself.
func repeatShare(v string) float64 {
	best := 0
	for l := 3; l <= 12 && 2*l <= len(v); l++ {
		for i := 0; i+l <= len(v) && i < 16; i++ {
			blk := v[i : i+l]
			if n := strings.Count(v, blk); n >= 2 && n*l > best {
				best = n * l
			}
		}
	}
	return float64(best) / float64(len(v))
}

func isLetterRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return s != ""
}

// uuidLike reports an 8-4-4-4-12 shape of hex digits in any case.
func uuidLike(v string) bool {
	return isUUID(strings.ToLower(v))
}

// CredentialModel is the generic tier's fitted scorer: logistic weights
// over credFeatureNames and the score thresholds of each severity
// (below Low a candidate is dropped).
type CredentialModel struct {
	Weights           []float64
	High, Medium, Low float64
	// Bare scores the prefixed tier's candidates (tokens with no name),
	// fitted on them alone; nil drops them.
	Bare *CredentialModel
}

func (m *CredentialModel) score(f []float64) float64 {
	z := 0.0
	for i, w := range m.Weights {
		if i < len(f) {
			z += w * f[i]
		}
	}
	return 1 / (1 + math.Exp(-z))
}

// Score returns the model's probability for a feature vector.
func (m CredentialModel) Score(f []float64) float64 { return m.score(f) }

// CredentialFeatureNames returns the names of the scorer's inputs.
func CredentialFeatureNames() []string { return append([]string(nil), credFeatureNames...) }

// SetCredentialModel replaces the generic tier's model for detectors
// configured after the call and returns the previous one (for the
// evaluation's leave-one-source-out refits; not safe concurrently with
// Configure or Detect).
func SetCredentialModel(m CredentialModel) CredentialModel {
	old := credentialModel
	credentialModel = m
	return old
}

// collectCredential, when set, receives the features of every candidate
// that passes the generic tier's filters (evaluation only).
var collectCredential func(f []float64)

// CollectCredentialFeatures runs d over text and returns the features of
// the generic tier's candidates (for fitting the model; not safe
// concurrently with Detect).
func CollectCredentialFeatures(d sdk.Detector, ev *sdk.Event) ([][]float64, error) {
	var out [][]float64
	collectCredential = func(f []float64) { out = append(out, f) }
	defer func() { collectCredential = nil }()
	_, err := d.Detect(context.Background(), ev)
	return out, err
}

// acceptCredential filters and scores a generic-tier candidate.
func (e *engine) acceptCredential(r *compiledRule, secret, key, text string, start, end int) (match, bool) {
	if len(secret) < r.MinLen {
		return match{}, false
	}
	if r.bare && !bareTokenOK(text, start, end) {
		return match{}, false // first: most runs of token bytes are no token
	}
	// The placeholder words and marks drop a candidate, except the
	// counting walks (a1b2c3): those are a measured feature (walk) the
	// model weighs, since rule examples of real providers are full of them.
	if placeholderMarked(walkMarks.Replace(strings.ToLower(secret)), true) || strings.Contains(secret, "://") {
		return match{}, false
	}
	if len(secret) >= 12 && distinct(secret) <= 4 {
		return match{}, false
	}
	if shortAfterPrefix(secret) {
		return match{}, false // ucat_01DQE3, lsv2_sk_short: a vendor prefix and too little after it
	}
	if rest := text[end:]; strings.HasPrefix(rest, "...") || strings.HasPrefix(rest, "…") {
		return match{}, false // an elided value (ops_eyJzaWdu…): shown cut short, not usable
	}
	run, best := 1, 1
	for i := 1; i < len(secret); i++ {
		if secret[i] == secret[i-1] {
			run++
			best = max(best, run)
		} else {
			run = 1
		}
	}
	if best >= 8 || best*3 >= len(secret) {
		return match{}, false
	}
	quoted := start > 0 && (text[start-1] == '"' || text[start-1] == '\'' || text[start-1] == '`')
	if wordy(secret) || credWordAt(strings.ToLower(secret), 0) == len(secret) {
		return match{}, false // words, not a machine-made value
	}
	ent := shannon(secret)
	lineStart := max(0, start-300)
	if k := strings.LastIndexByte(text[lineStart:start], '\n'); k >= 0 {
		lineStart += k + 1
	}
	if !genericValueOK(r, secret, key, text[lineStart:start], ent, quoted) {
		return match{}, false
	}
	if looksLikeImageData(text, start, secret) {
		return match{}, false
	}
	c := credContext{quoted: quoted}
	if r.bare {
		c.sep = sepBare
	} else if !e.nameContext(&c, secret, key, text, lineStart, start) {
		return match{}, false
	}
	f := credFeatures(secret, c)
	if collectCredential != nil {
		collectCredential(f)
	}
	// A bare code identifier (Get-DhcpServerv4Lease) is dropped after its
	// features are collected: the prefixed tier's fit keeps them as
	// look-alikes, which is what teaches its few-sample model that a
	// cheap, word-like body is no token (dropped from the fit too, the
	// model of a held-out source moved and its near misses of a vendor's
	// format scored higher: leave-one-source-out FPR 1.68 -> 1.92 %).
	if r.bare && codeIdentifier(secret[strings.IndexAny(secret, "_-")+1:]) {
		return match{}, false
	}
	// Another assignment, a number or a name in code (tokenByte
	// ErrNotFound, a diff's renamed declaration) is no value. Dropped after the
	// features are collected, like the identifiers, so the fit is the same.
	if otherPair(secret, c.sep) || hexNumber(secret) || !r.bare && codeName(secret) {
		return match{}, false
	}
	// PostHog's project key (phc_) is publishable, like pk_live_: it is
	// in every page that loads PostHog's snippet (its personal key, phx_,
	// is a secret). Dropped after the features are collected for the same
	// reason as the identifiers: the corpus's two phc_ rows are the only
	// bare look-alikes outside Betterleaks, and without them in the fit
	// the model of Betterleaks held out blocks its near misses
	// (leave-one-source-out 80.24 % / 1.23 % -> 80.71 % / 1.43 %). Named
	// ones too since h24 (posthog_client_key = 'phc_…': held out 80.68 % /
	// 1.04 % -> 80.68 % / 0.94 %); Stripe's pk_live_/pk_test_ here as well
	// cost a credential row (80.65 % / 0.94 %) and are left to the model.
	if strings.HasPrefix(strings.ToLower(secret), "phc_") {
		return match{}, false
	}
	if collectCredential != nil {
		return match{rule: r, start: start, end: end, secret: secret, severity: sdk.SeverityLow, confidence: 0.5}, true
	}
	model := &credentialModel
	if r.bare {
		if model = credentialModel.Bare; model == nil {
			return match{}, false
		}
	}
	p := model.score(f)
	if r.bare && crcSuffixed(secret) {
		p = 0.99 // a checksum the token carries: no guess
	}
	if p < model.Low {
		return match{}, false
	}
	sev := sdk.SeverityLow
	switch {
	case p >= model.High:
		sev = sdk.SeverityHigh
	case p >= model.Medium:
		sev = sdk.SeverityMedium
	}
	if sev == sdk.SeverityHigh && !r.bare && !c.brand && !c.provider && fabricated(secret) {
		// A hand-typed value under a name that names no provider
		// (API_KEY=abcdef0123456789…) is what documentation writes: it
		// alerts, it does not block. Under a provider's or a brand's name
		// (rule examples, fixtures) the model's grade stands.
		sev = sdk.SeverityMedium
	}
	if sev == sdk.SeverityHigh && e.nearMiss(text[tokenStart(text, start):end]) {
		// A provider's own prefix on a value its rule refuses (a body one
		// byte short, a letter outside its alphabet): a rule's near miss,
		// what scanners' false-positive examples are made of. A real token
		// of that provider is the rule's to report.
		sev = sdk.SeverityMedium
	}
	if sev > r.Severity {
		sev = r.Severity // an operator's rule_severity caps the model's grade
	}
	for _, a := range r.allow {
		if a.matches(secret, text[start:end], lineAt(text, start)) {
			return match{}, false
		}
	}
	return match{rule: r, start: start, end: end, secret: secret, severity: sev, confidence: math.Round(p*100) / 100}, true
}

// nameContext fills c from the candidate's name and surroundings; false
// drops the candidate (a public key's name).
func (e *engine) nameContext(c *credContext, secret, key, text string, lineStart, start int) bool {
	// The separator: what lies between the name and the value.
	mid := ""
	if k := strings.LastIndex(text[max(0, start-120):start], key); k >= 0 {
		mid = text[max(0, start-120)+k+len(key) : start]
	}
	switch t := strings.Trim(mid, "\"'`] \t"); {
	case t == "" && strings.TrimSpace(mid) == "" && mid != "":
		c.sep = sepSpace
	case t == "-" || t == "_" || t == ".":
		c.sep = sepGlued
	case t == ">":
		c.sep = sepXML
	case t == ",":
		c.sep = sepPair
	default:
		c.sep = sepAssign
	}
	// The name's parts, and the word before it on the line.
	parts := append(nameParts(key), wordsBefore(text[lineStart:max(lineStart, start-len(mid)-len(key))])...)
	c.nocred = true
	for i, lk := 0, strings.ToLower(key); i < len(lk); i++ {
		if credWordAt(lk, i) > 0 {
			c.nocred = false
			break
		}
	}
	pw := providerWordSet()
	for _, p := range nameParts(key) {
		if p == "pub" || strings.HasPrefix(p, "pubkey") || p == "public" || p == "publishable" {
			return false // a public key is published on purpose
		}
	}
	for _, p := range parts {
		if strongCredWords[p] || strings.HasSuffix(p, "token") || strings.HasSuffix(p, "secret") {
			c.strong = true
		}
		if pw[p] {
			c.provider = true
		}
		if len(p) >= 3 && !genericNameWords[p] && credWordAt(p, 0) != len(p) {
			c.brand = true
		}
	}
	// The object or call the name opens on its line ({"acme": {"apiKey":
	// …, new Acme({ apiKey: …, config.acme = { token: …): a provider, or
	// a brand if no dictionary word (headers, options, params are not).
	// The hosts named on the line (curl -H "x-api-key: …" https://api.acme.io/…,
	// ?token=… after https://hooks.acme.com/…) likewise.
	for _, p := range append(openerWords(text[lineStart:max(lineStart, start-len(mid)-len(key))]), hostWords(text, lineStart, start)...) {
		if pw[p] {
			c.provider, c.brand = true, true
		} else if brandWord(p) {
			c.brand = true
		}
	}
	if !c.provider {
		// A provider named by the section the name sits in, a few lines
		// up: [algolia], datadog:, provider "datadog" {, "mailgun": {.
		for _, w := range sectionWords(text, lineStart) {
			if pw[w] {
				c.provider, c.brand = true, true
			}
		}
	}
	return true
}

// brandWord reports a name part that may name a vendor: three letters or
// more, no generic name word, no dictionary word, no credential word.
func brandWord(p string) bool {
	return len(p) >= 3 && !genericNameWords[p] && !lmWords[p] && credWordAt(p, 0) != len(p)
}

// hostWords returns the vendor label of each host named on the
// candidate's line (https://api.acme.io/…, hooks.acme.com: acme), the
// label before the top-level domain.
func hostWords(text string, lineStart, start int) []string {
	end := strings.IndexByte(text[start:], '\n')
	if end < 0 {
		end = len(text)
	} else {
		end += start
	}
	line := text[lineStart:end]
	var out []string
	for i := 0; i < len(line); {
		k := strings.Index(line[i:], "://")
		if k < 0 {
			break
		}
		h := i + k + 3
		e := h
		for e < len(line) && (isAlnum(line[e]) || line[e] == '.' || line[e] == '-') {
			e++
		}
		labels := strings.Split(strings.ToLower(line[h:e]), ".")
		if len(labels) >= 2 {
			out = append(out, nameParts(labels[len(labels)-2])...)
		}
		i = e
	}
	return out
}

// wordsBefore returns the name parts of the words before a credential
// name on its line (line is the text up to the name): the word just
// before it, and, while that word only qualifies the credential (private,
// secret, access, API: a credential word or compound), the word before
// that, up to four words back. A name written as a phrase puts the
// provider first ("loadmill PRIVATE TOKEN …", "Acme secret access
// token …"); an article or any other word ends the walk
// ("the secret access token": no brand).
func wordsBefore(line string) []string {
	var out []string
	for n := 0; n < 4; n++ {
		line = strings.TrimRight(line, " \t\"'")
		i := strings.LastIndexAny(line, " \t\"'(=:,")
		w := line[i+1:]
		line = line[:i+1]
		if w == "" || len(w) > 32 {
			break
		}
		ps := nameParts(w)
		out = append(out, ps...)
		qualifier := len(ps) > 0
		for _, p := range ps {
			if !credQualifier(p) {
				qualifier = false
			}
		}
		if !qualifier {
			break
		}
	}
	return out
}

// openerWords returns the name parts of the word before the object or
// call that a credential name opens on its line (line is the text up to
// the name): {"acme": {"  -> acme, new Acme({  -> acme; nil when the
// name does not directly follow an opening brace or parenthesis.
func openerWords(line string) []string {
	line = strings.TrimRight(line, " \t\"'`")
	t := strings.TrimRight(line, "{([")
	if len(t) == len(line) {
		return nil
	}
	t = strings.TrimRight(t, " \t\"'`=:")
	i := strings.LastIndexAny(t, " \t\"'`(=:,{[")
	if w := t[i+1:]; w != "" && len(w) <= 48 {
		return nameParts(w)
	}
	return nil
}

// credQualifier reports a name part that only qualifies a credential
// (secret, private, access, api, client): a credential word or compound.
func credQualifier(p string) bool {
	if credWordAt(p, 0) == len(p) || p == "keys" || p == "tokens" || p == "secrets" {
		return true
	}
	for _, c := range credCompounds {
		if p == c {
			return true
		}
	}
	return false
}

// nameParts splits a name into lower-case words (camelCase, snake_case,
// kebab-case, dotted).
func nameParts(name string) []string {
	var out []string
	letterRuns(name, func(run []byte) { out = append(out, string(run)) })
	return out
}

// credentialRule is the generic tier's rule.
func credentialRule(own []*Rule) *Rule {
	kws := append([]string(nil), credWords...)
	var names []string
	for w := range providerNameSet(own) {
		names = append(names, w)
	}
	sort.Strings(names)
	kws = append(kws, names...)
	return &Rule{ID: "generic-credential", Class: "generic", Description: "machine-made value under a credential name", Severity: sdk.SeverityHigh,
		Confidence: 0.6, Generic: true, scored: true, SecretGroup: 2, MinLen: 10, Ahead: 420, Match: matchCredential,
		Keywords: kws,
		// The regex documents the shape; matchCredential parses it.
		Regex: `(?i)([\w.\-]*(?:key|secret|token|auth|access|private|cred)[\w.\-]*)["'\]]*\s*[:=]?\s*["']?([^\s"']{8,300})`,
		Examples: s(`planyo_api_key = "{an:40}"`, "ZENDESK_SECRET_TOKEN={url:48}", "mailjet KEY {hex:32}", `--auth-token {an:36}`, `"apiKey": "{an:32}"`,
			"GET /v1/items?access_token={an:40}&page=2", "<ApiSecret>{an:32}</ApiSecret>", `x-api-key: {an:40}`, `acmeKEY-{lc:40}`, `tavily = "{an:40}"`,
			`process.env.ACME_API_TOKEN = "{an:40}";`),
		NonExamples: s(`api_key = "${API_KEY}"`, "the key is important for performance", `token_url = "https://example.com/oauth/token"`,
			`secret_name = "prod-db-credentials"`, `primary key (user_id, created_at)`, "monkey business as usual", `api_key: xxxxxxxxxxxxxxxxxxxx`,
			`accessibilityLabel = "SubmitButtonLabel"`, `key = "configuration_management_settings"`, `tavily_url = "https://api.example.com/v1"`,
			"stripe==12.1.0", `"stripe": "^14.2.0"`, `if (process.env.ACME_TOKEN === "{an:32}") {`, `const k = process.env.ACME_KEY || "{an:32}";`)}
}

// sectionWords returns the name parts of the section headers among the
// three lines above lineStart: a TOML or INI table ([algolia]), a YAML
// or JSON key that opens a block (datadog:, "mailgun": {), an HCL block
// (provider "datadog" {).
func sectionWords(text string, lineStart int) []string {
	var out []string
	end := lineStart
	for n := 0; n < 3 && end > 0; n++ {
		s := strings.LastIndexByte(text[:end-1], '\n') + 1
		line := strings.TrimSpace(text[s : end-1])
		end = s
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
		case strings.HasSuffix(line, ":"), strings.HasSuffix(line, "{"):
		default:
			continue
		}
		if len(line) <= 64 {
			out = append(out, nameParts(line)...)
		}
	}
	return out
}

// otherPair reports whether a value read after a name and blanks is the
// next pair of a key=value line (logfmt: component=newKey attempt=233),
// not the name's value: an identifier of up to 24 characters, '=', and
// under 12 characters that start with a letter or digit.
func otherPair(v string, sep sepKind) bool {
	if sep != sepSpace {
		return false
	}
	i := strings.IndexByte(v, '=')
	if i <= 0 || i > 24 || i+1 >= len(v) || !isAlnum(v[i+1]) || len(v)-i-1 >= 12 {
		return false // a long value after the '=' may be the secret itself: judged whole, as before
	}
	for j := 0; j < i; j++ {
		c := v[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-')) {
			return false
		}
	}
	return true
}

// hexNumber reports whether v is an integer literal in hex that fits 64
// bits (const lockKey = 0x7069636b6574): a number in code, not a key
// (a 0x-prefixed private key has 64 digits).
func hexNumber(v string) bool {
	if len(v) < 3 || len(v) > 18 || v[0] != '0' || v[1] != 'x' && v[1] != 'X' {
		return false
	}
	for i := 2; i < len(v); i++ {
		if !isHex(v[i]) {
			return false
		}
	}
	return true
}

// codeName reports a named candidate that is an identifier of code
// (ErrNotFound, respAnthropicEvent, MaxLogLine): identifierShaped with at
// least two letter runs of three or more letters on average, and no run
// of five capitals (ID, HTTP, JSON are short; a value's capitals are not).
// Random letters and digits of a machine-made value make short runs
// (hX9kQ2mZ: six runs of six letters) or cost more.
func codeName(v string) bool {
	upper := 0
	for i := 0; i < len(v); i++ {
		if v[i] >= 'A' && v[i] <= 'Z' {
			if upper++; upper >= 5 {
				return false
			}
		} else {
			upper = 0
		}
	}
	return identifierShaped(v, 2, 3)
}

// vendorPrefixRules maps each vendor prefix a provider rule keys on (a
// keyword of letters and digits ending in '_' or '-', at least four bytes,
// whose first part is no generic or dictionary word: sbp_, tskey-,
// glpat-, sk-ant-api03-; not api-, key-, live_) to the rules that own it.
func vendorPrefixRules(rules []*compiledRule) map[string][]*compiledRule {
	m := map[string][]*compiledRule{}
	for _, r := range rules {
		if r.Generic || r.scored || r.Match != nil || r.re == nil {
			continue
		}
		for _, k := range r.Keywords {
			k = strings.ToLower(k)
			if len(k) < 4 || len(k) > 16 {
				continue
			}
			if k[len(k)-1] != '_' && k[len(k)-1] != '-' && !regexStartsWith(r.Regex, k) {
				continue // a keyword with no joiner is a prefix only where the regex starts with it (dapi[a-f0-9]{32})
			}
			first := k
			if i := strings.IndexAny(k, "_-"); i >= 0 {
				first = k[:i]
			}
			if first == "" || !isLetter(first[0]) || genericNameWords[first] || lmWords[first] || !vendorPrefixBytes(k[:len(k)-1]) {
				continue
			}
			m[k] = append(m[k], r)
		}
	}
	return m
}

// regexStartsWith reports whether every match of the regex src starts
// with the literal k, matched case-sensitively, followed by a character
// class or group: a token's fixed prefix (\b(dapi[a-f0-9]{32}),
// (AIza[0-9A-Za-z_\-]{35})), not a name a case-insensitive rule reads
// (?i)(?:datadog[\w.\-]{0,20}app….
func regexStartsWith(src, k string) bool {
	for {
		n := len(src)
		for _, p := range []string{"(?:", `\b`, "("} {
			src = strings.TrimPrefix(src, p)
		}
		if len(src) == n {
			break
		}
	}
	if len(src) <= len(k) || !strings.EqualFold(src[:len(k)], k) {
		return false
	}
	return src[len(k)] == '[' || src[len(k)] == '('
}

// vendorPrefixBytes reports a prefix of letters, digits and joiners.
func vendorPrefixBytes(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' && s[i] != '-' {
			return false
		}
	}
	return true
}

// tokenStart returns where the run of token bytes ([A-Za-z0-9_-]) that
// holds text[start] begins: the value itself after '=' or a quote, the
// whole token when the parser split a glued one (tskey-auth-…: the name
// run was read as ending at the first joiner).
func tokenStart(text string, start int) int {
	for start > 0 && (isAlnum(text[start-1]) || text[start-1] == '_' || text[start-1] == '-') {
		start--
	}
	return start
}

// nearMiss reports a value that starts with a provider rule's vendor
// prefix (vendorPrefixRules) and that none of the rules owning the prefix
// matches.
func (e *engine) nearMiss(v string) bool {
	found := false
	for i := 3; i < len(v) && i < 16; i++ {
		rs := e.prefixRules[strings.ToLower(v[:i+1])]
		for _, r := range rs {
			if r.re.get().MatchString(v) {
				return false
			}
		}
		found = found || len(rs) > 0
	}
	return found
}
