package secrets

import (
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"

	"github.com/picketsec/picket/sdk"
)

// Rule is one secret pattern with the data that makes it testable. The
// built-in rules live in rules_*.go; users add their own in gitleaks TOML.
type Rule struct {
	ID          string       // stable rule id, e.g. "aws-access-key-id"
	Class       string       // provider or family, e.g. "aws", "generic"
	Description string       // what the secret is, safe to show
	Severity    sdk.Severity // severity of a match
	Confidence  float64      // confidence of a match before checks (0 means 0.8)
	Keywords    []string     // any of these (ASCII case-insensitive) must occur for the rule to run
	Regex       string       // RE2 syntax
	SecretGroup int          // capture group holding the secret; 0 means group 1 if any, else the whole match
	Entropy     float64      // minimum Shannon entropy (bits per byte) of the secret
	MinLen      int          // minimum length of the secret
	Back        int          // bytes before a keyword hit that a match may start (default 64)
	Ahead       int          // bytes after a keyword hit that a match may end (default 256)
	Generic     bool         // a guess from context: apply the reference and word filters
	// AnyGroup takes the secret from the first non-empty group after group
	// 1 (generic rules capture the key name in group 1 and the value in one
	// of several quoting alternatives).
	AnyGroup bool
	// StrongEntropy and StrongLen: a secret below either is reported one
	// severity lower (a weak guess).
	StrongEntropy float64
	StrongLen     int
	// HighEntropy and HighLen: a quoted or header secret at or above both
	// is reported one severity higher (a random-looking literal under a
	// telling name is almost always live).
	HighEntropy float64
	HighLen     int
	// NoRunCheck skips the repeated-character placeholder heuristic for
	// formats that legitimately hold runs (DER padding, fixed prefixes).
	NoRunCheck bool
	// Watermarked marks a format that carries a fixed mark inside the
	// token, past a variable part (OpenAI's T3BlbkFJ, the base64 of
	// "OpenAI"; Azure's JQQJ99): a template has no reason to carry it, so
	// the whole alphabet typed around it is a fixture's body, and the
	// alphabet-walk drop does not apply.
	Watermarked bool
	// Weak, when set, says whether an accepted secret is a well-known
	// default or dictionary value: it is reported one severity lower.
	Weak func(secret string) bool
	// WordStart skips keyword hits glued to a preceding letter or digit
	// (except at a camelCase boundary).
	WordStart bool
	// Float marks a rule whose match may start before its keyword (the
	// keyword sits inside the token, or the regex has leading context): it
	// runs over a window of Back bytes before and Ahead bytes after each
	// keyword hit. Other rules are anchored: the regex is tried once at the
	// start of each keyword hit, which is much cheaper.
	Float bool
	// Check validates the secret's own structure (a checksum, a decodable
	// payload). It returns ok=false to drop the match, and verified=true
	// when a checksum proved the format.
	Check func(secret string) (ok, verified bool)
	// Examples must each yield a finding of this rule; NonExamples must
	// not. In both, {kind:n} stands for n deterministic pseudo-random
	// characters of a kind (see expandExample).
	Examples    []string
	NonExamples []string

	// Match, when set, replaces the regex of an anchored rule: it parses
	// text from start (a keyword hit) up to limit and returns submatch
	// offsets relative to start, shaped like regexp's, or nil.
	Match func(text string, start, limit int) []int

	// Extend, when set, finds the end of a match that the regex only
	// starts (a PEM block's END line); it returns the new end offset in
	// text, or ok=false to drop the match.
	Extend func(text string, end int) (newEnd int, ok bool)

	// Origin says where the rule comes from: "" (picket's own),
	// "gitleaks" (gitleaks' default rules), "custom" (gitleaks_toml /
	// gitleaks_file) or a rule pack's name. It keys the measured-precision
	// severity table together with Class.
	Origin string

	// From gitleaks TOML: values or matches to ignore, and the path a
	// match's file must have (gitleaks' `path` beside a regex: Terraform
	// passwords only in .tf / .hcl files).
	allow     []allowRule
	stopwords []string
	pathRe    *regexp.Regexp
	// From rule packs: Betterleaks filter expressions (true drops),
	// composite requirements, rules that only feed others (skipReport),
	// noseyparker value requirements; packGeneric marks a pack's generic
	// rule (picket's placeholder and reference filters apply);
	// noKeywordOK lets a pack rule without derivable keywords scan whole
	// texts.
	filters     []*exprFilter
	requires    []requirement
	skipReport  bool
	valueReq    *valueRequirement
	packGeneric bool
	noKeywordOK bool
	// scored: the generic tier's rule, graded per match by the fitted
	// model (generic_tier.go), not by the class table.
	scored bool
	// bare: the prefixed tier's rule (prefixed_tier.go): a scored rule
	// whose candidate has no name.
	bare bool
	// boundary: the imported regex began with \b, which anchoring
	// dropped: a keyword hit right after a word character is skipped.
	boundary bool
	// tree: an imported rule's regex as the loader parsed it (and, for an
	// anchored rule, cut to start at its literals, which Regex then
	// prints); compileRule reads it instead of parsing Regex again, and
	// drops it.
	tree *syntax.Regexp
}

// requirement is one of a composite rule's required rules: a match of id
// within lines lines and columns columns (negative: any distance).
type requirement struct {
	id             string
	lines, columns int
}

type allowRule struct {
	regexes   []*regexp.Regexp
	target    string // "secret" (default), "match" or "line"
	stopwords []string
	and       bool // condition AND: every set criterion must hold
}

// compiledRule is a Rule ready to run.
type compiledRule struct {
	*Rule
	re *lazyRegexp
	// gate, when set, matches somewhere in a window exactly when re does,
	// more cheaply (gateRegex): a window it finds nothing in is skipped.
	gate *lazyRegexp
	// gates, litGates: necessary conditions checked at a keyword hit
	// before an anchored rule's regex runs (byteGates, litGates).
	gates    []byteGate
	litGates []litGate
	// run, when set, is a run of token bytes every match holds (runGate):
	// a window without one is skipped, and a rule without keywords scans
	// only around such runs.
	run *runGate
	// lits: literals one of which every match holds besides the keywords
	// (secondaryLits); a floating window without one is skipped.
	lits []string
	// tail: a name and a token that every match holds close together
	// (tailGateOf); a floating window without them is skipped.
	tail *tailGate
	// runNeeds: byte sets a run must each hold a byte of for a whole-run
	// rule to match in it.
	runNeeds [][256]bool
	// bounded: back and ahead are the regex's longest match.
	bounded bool
	// runGrouped: a rule without keywords whose windows the engine finds
	// around its runs, with the others', in one pass (engine.runRules).
	runGrouped bool
	group      int
	back       int
	ahead      int
}

// compiledRegexps holds the rule regexes of the process by source, each
// compiled at its first use (lazyRegexp): the packs' copies of one
// pattern (gitleaks' rules and Betterleaks' share many) and the engines
// of successive configurations share one program, and a rule whose
// keywords and gates never let it run costs no program at all (most of
// a 1,000-rule pack on any one workload). A *regexp.Regexp is safe for
// concurrent use.
var compiledRegexps sync.Map // string -> *lazyRegexp

// lazyRegexp is a regex compiled when first asked for.
type lazyRegexp struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
}

// neverMatches stands in for a regex that does not compile.
var neverMatches = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)

// get returns the compiled regex. src is a parsed tree printed by
// printRegex, which always compiles (TestPrintRegexRoundTrip); were it
// not to, the rule would match nothing rather than fail a scan.
func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() {
		re, err := regexp.Compile(l.src)
		if err != nil {
			re = neverMatches
		}
		l.re = re
	})
	return l.re
}

// ruleRegexp returns the process's lazyRegexp of src.
func ruleRegexp(src string) *lazyRegexp {
	if v, ok := compiledRegexps.Load(src); ok {
		return v.(*lazyRegexp)
	}
	v, _ := compiledRegexps.LoadOrStore(src, &lazyRegexp{src: src})
	return v.(*lazyRegexp)
}

// compileRule compiles a rule: its regex parsed once (the tree the
// loader parsed, or Regex), every gate derived from that tree, and the
// tree printed back for the regexp package.
func compileRule(r *Rule) (*compiledRule, error) {
	t := r.tree
	if t == nil {
		var err error
		if t, err = parseRegex(r.Regex); err != nil {
			return nil, fmt.Errorf("secrets: rule %q: regex: %w", r.ID, err)
		}
	}
	t = capRepeats(t)
	src := printRegex(t)
	var gates []byteGate
	var lgates []litGate
	var run *runGate
	if r.Match == nil {
		run = runGateOf(t)
	}
	if !r.Float && len(r.Keywords) > 0 {
		if r.Match == nil {
			gates = byteGates(t)
			lgates = litGates(t, r.Keywords)
		}
		src = `^(?:` + src + `)`
	}
	maxLen := -1
	if r.Origin != "" {
		maxLen = maxMatchLen(t, 2048)
	}
	re := ruleRegexp(src)
	g, groups := r.SecretGroup, t.MaxCap()
	if g == 0 && groups > 0 {
		g = 1
	}
	if g > groups {
		return nil, fmt.Errorf("secrets: rule %q: secretGroup %d but regex has %d groups", r.ID, g, groups)
	}
	c := &compiledRule{Rule: r, re: re, gates: gates, litGates: lgates, run: run, group: g, back: r.Back, ahead: r.Ahead}
	if r.Float && len(r.Keywords) > 0 {
		c.lits = secondaryLits(t, r.Keywords)
		c.tail = tailGateOf(t, run)
	}
	if run != nil && run.whole && len(r.Keywords) == 0 {
		// A run that can hold a match also holds the bytes of the
		// regex's punctuation parts (the dots of a Discord token).
		c.runNeeds = runNeedsOf(t)
	}
	if r.Float || len(r.Keywords) == 0 {
		if gt := gateRegex(t); gt != nil {
			c.gate = ruleRegexp(printRegex(gt))
		}
	}
	if c.back == 0 {
		c.back = 64
	}
	if c.ahead == 0 {
		c.ahead = 256
	}
	if r.Origin != "" {
		// Imported rules: a bounded regex needs a window of its longest
		// match on either side of a keyword hit, no more. Character
		// classes count 4 bytes (UTF-8), so ASCII matches fit with room.
		if maxLen >= 0 {
			c.back, c.ahead, c.bounded = maxLen, maxLen, true
		}
	}
	if r.Confidence == 0 {
		r.Confidence = 0.8
	}
	// Nothing reads the tree once the rule is compiled; a 1,000-rule
	// pack's trees would otherwise stay in the heap (2.6 MiB).
	r.tree = nil
	return c, nil
}

// expandExample replaces {kind:n} markers with n pseudo-random characters
// chosen deterministically from seed, so rule examples are synthetic and
// stable. Kinds: an (A-Za-z0-9), AN (A-Z0-9), lc (a-z0-9), al (A-Za-z),
// hex, HEX, dig, b64 (A-Za-z0-9+/), url (A-Za-z0-9_-), b32 (bech32),
// uuid (n ignored), ghcrc (n chars plus GitHub's 6-char CRC32 suffix).
func expandExample(tmpl, seed string) string {
	h := crc32.ChecksumIEEE([]byte(seed))
	rng := rand.New(rand.NewPCG(uint64(h), 0x9e3779b97f4a7c15))
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "{")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.Index(tmpl[i:], "}")
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		spec := tmpl[i+1 : i+j]
		kind, num, ok := strings.Cut(spec, ":")
		n := 0
		if ok {
			fmt.Sscanf(num, "%d", &n)
		}
		alpha, known := exampleAlphabets[kind]
		if !known && kind != "uuid" && kind != "ghcrc" {
			b.WriteString(tmpl[:i+1])
			tmpl = tmpl[i+1:]
			continue
		}
		b.WriteString(tmpl[:i])
		switch kind {
		case "uuid":
			u := randFrom(rng, exampleAlphabets["hex"], 32)
			b.WriteString(u[:8] + "-" + u[8:12] + "-4" + u[13:16] + "-a" + u[17:20] + "-" + u[20:])
		case "ghcrc":
			body := randFrom(rng, exampleAlphabets["an"], n)
			b.WriteString(body + base62Pad(crc32.ChecksumIEEE([]byte(body)), 6))
		default:
			b.WriteString(randFrom(rng, alpha, n))
		}
		tmpl = tmpl[i+j+1:]
	}
}

var exampleAlphabets = map[string]string{
	"an":  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	"AN":  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
	"lc":  "abcdefghijklmnopqrstuvwxyz0123456789",
	"al":  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	"hex": "0123456789abcdef",
	"HEX": "0123456789ABCDEF",
	"dig": "0123456789",
	"b64": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	"url": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
	"b32": "qpzry9x8gf2tvdw0s3jn54khce6mua7l",
	"B32": "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
	"A27": "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
	"a27": "abcdefghijklmnopqrstuvwxyz234567",
}

func randFrom(rng *rand.Rand, alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return string(b)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62Pad encodes v in base 62, left-padded with '0' to width.
func base62Pad(v uint32, width int) string {
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = base62[v%62]
		v /= 62
	}
	return string(b)
}

// githubChecksum checks the CRC32 suffix of GitHub's prefixed tokens
// (ghp_, gho_, ghu_, ghs_, ghr_): the last six characters are the base-62
// CRC32 of the 30 random characters before them. A token whose checksum
// fails is kept (it may be a typo or a truncated copy) but not verified.
func githubChecksum(tok string) (ok, verified bool) {
	i := strings.IndexByte(tok, '_')
	if i < 0 || len(tok)-i-1 != 36 {
		return true, false
	}
	body := tok[i+1 : len(tok)-6]
	return true, base62Pad(crc32.ChecksumIEEE([]byte(body)), 6) == tok[len(tok)-6:]
}
