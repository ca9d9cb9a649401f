package secrets

import (
	"hash/crc32"
	"strings"

	"github.com/picketsec/picket/sdk"
)

// The prefixed tier: a token on its own, with no name to say what it is,
// whose shape says it: a short vendor prefix (flp_, tgp_v1_, nvapi-,
// CCDB1_, rzp_live_) and a long machine-made body, the form most
// providers have issued their keys in since GitHub's ghp_. No list of
// prefixes: the rule finds every run of [A-Za-z0-9_-] that starts with
// such a prefix, and the generic tier's fitted model scores it with the
// feature bare (no name) set, so its severity is the measured one. What
// is dropped before scoring: object ids of the APIs agents talk to
// (toolu_, msg_, chatcmpl-, call_, Stripe's cus_ / pi_ …, which are
// machine-made too but name a message or a payment, not a credential),
// digests (sha256-, md5_), counting walks (a placeholder: no name or
// format vouches for it), a token inside a path, URL, domain or base64
// blob, and bodies without two character classes or made of words.

// bareIDPrefixes are prefixes of object ids: public identifiers that
// look like keys (LLM APIs, payment APIs, digests, generic ids).
var bareIDPrefixes = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`toolu tooluse srvtoolu client app msg msgbatch req call chatcmpl cmpl resp run thread asst file batch ftjob ft fc rs ws vs vsfb
		step modr img org proj user usr sess conv item evt event ctx span trace job task ticket
		cus pi ch sub prod price in txn acct src pm seti si po tr re cs ba card tok ii il plan coupon promo cn dp du ds ic inv pyr py fee ipi
		iauth ich txi payout refund dispute order cart sku
		sha sha1 sha224 sha256 sha384 sha512 md5 blake2b blake3 xxh crc32 h1
		id uuid ulid guid ref commit rev build hash digest node pod deploy release version ver tag branch pr issue data test mock fake example`) {
		m[w] = true
	}
	return m
}()

// bareIDParts are words that, as a part of a token's prefix, say it is
// an identifier.
var bareIDParts = map[string]bool{"id": true, "client": true, "user": true, "uid": true, "account": true, "acct": true, "project": true, "org": true, "app": true}

// bareRunByte reports a byte of a prefixed token's run.
func bareRunByte(c byte) bool { return isIdentChar(c) || c == '-' }

// bareTokenOK checks the shape of a bare candidate text[start:end]: a
// whole run, not part of a path, URL, domain or base64 blob; a prefix of
// 2-8 letters and digits (starting with a letter) that names no object
// id; at most eight parts; a body of 16+ bytes after the prefix whose
// longest part has 12+ bytes, two character classes and is no words.
func bareTokenOK(text string, start, end int) bool {
	if start > 0 {
		if c := text[start-1]; bareRunByte(c) || strings.IndexByte("/+.@\\%#&$", c) >= 0 {
			return false
		}
	}
	if end < len(text) {
		c := text[end]
		if bareRunByte(c) || strings.IndexByte("/+@\\%", c) >= 0 {
			return false
		}
		if c == '.' && end+1 < len(text) && !isSpace(text[end+1]) && text[end+1] != '"' && text[end+1] != '\'' {
			return false // a domain, a file name, a JWT's part
		}
	}
	v := text[start:end]
	i := 0
	for i < len(v) && i <= 8 && isAlnum(v[i]) {
		i++
	}
	if i < 2 || i > 8 || i >= len(v) || (v[i] != '_' && v[i] != '-') || !isLetter(v[0]) {
		return false
	}
	if bareIDPrefixes[strings.ToLower(v[:i])] || (i >= 6 && isHexRun(v[:i])) {
		return false // an object id; a hex run (a UUID's or hash's first part)
	}
	if l := strings.ToLower(v); strings.HasPrefix(l, "pk_live") || strings.HasPrefix(l, "pk_test") {
		return false // a publishable key is published on purpose
	}
	body := v[i+1:]
	if len(body) < 16 {
		return false
	}
	parts := strings.FieldsFunc(body, func(r rune) bool { return r == '_' || r == '-' })
	if all := append([]string{v[:i]}, parts...); hasUUIDParts(all) {
		return false // a UUID, or an id around one
	}
	if len(parts) > 8 {
		return false
	}
	long := ""
	for k, p := range parts {
		if k < len(parts)-1 && len(p) <= 8 && bareIDParts[strings.ToLower(p)] {
			return false // AIK_CLIENT_…, mdb_sa_id_…: the id of a client or account
		}
		if len(p) > len(long) {
			long = p
		}
	}
	if len(long) < 12 || charClasses(long) < 2 || wordy(long) || ulidLike(long) {
		return false
	}
	// A counting walk (1234567890…, abcd1234efgh5678…) with no name and
	// no known format to vouch for it is a placeholder.
	return 2*ascendingCover(body) < len(body) && !interleavedWalk(body)
}

// codeIdentifier reports a body that reads as a code identifier or a
// name (Get-DhcpServerv4Lease, GLC_StateBeginUnderwaterAliasModelCaustics,
// about_Remote_Troubleshooting, BGE-Multilingual-Gemma2) rather than a
// machine-made token: its letters come in word-length runs (four or more
// letters per run on average, runs split at digits, joiners and
// lower-to-upper case changes), they cost at most 4.5 bits per letter
// under the letter-trigram model (random letters cost more: measured on
// the corpus's bare tokens, every credential's body costs 3.6 or more
// with runs of under three letters, or 4.9 or more), and it holds at
// most three digits. The named candidates' wordy check misses these
// because most of their words are no dictionary word (Dhcp, Caustics).
// Applied in acceptCredential after the fit's features are collected.
func codeIdentifier(body string) bool { return identifierShaped(body, 1, 4) }

// identifierShaped reports a value shaped like a name in code: at least
// minRuns letter runs (split at digits, joiners and lower-to-upper case
// changes) of perRun or more letters on average, at most three digits,
// and at most 4.5 bits per letter under the letter-trigram model.
func identifierShaped(v string, minRuns, perRun int) bool {
	digits := 0
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			if digits++; digits > 3 {
				return false
			}
		}
	}
	runs := 0
	letterRuns(v, func([]byte) { runs++ })
	bits, letters := lmBits(v)
	return runs >= minRuns && letters >= perRun*runs && bits <= 4.5
}

// isHexRun reports a run of hex digits holding a digit.
func isHexRun(s string) bool {
	d := false
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
		d = d || (s[i] >= '0' && s[i] <= '9')
	}
	return d
}

// ulidLike reports a ULID (26 characters of Crockford's base32 in upper
// case, the first 0-7): a sortable id, as in client_01K3A….
func ulidLike(s string) bool {
	if len(s) != 26 || s[0] < '0' || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U')) {
			return false
		}
	}
	return true
}

// prefixedTokenRule is the prefixed tier's rule: no keywords, found by
// the engine's one pass over runs of [A-Za-z0-9_-] (runWindows).
func prefixedTokenRule() *Rule {
	return &Rule{ID: "prefixed-token", Class: "generic", Description: "machine-made token with a vendor prefix", Severity: sdk.SeverityHigh,
		Confidence: 0.6, Generic: true, scored: true, bare: true, MinLen: 20,
		Regex:    `\b[A-Za-z][A-Za-z0-9]{1,7}[_-][A-Za-z0-9_-]{16,200}`,
		Examples: s("{lc:3}_{an:36}", "export X={lc:4}_v1_{an:40}", `"{al:5}-{an:48}"`, "Authorization: Bearer {lc:3}_live_{an:32}"),
		NonExamples: s("toolu_01{an:22}", "msg_01{an:22}", "chatcmpl-{an:29}", "sha256-{an:43}", "https://example.com/abc_{an:32}",
			"get_user_profile_settings_handler", "use_TheLongIdentifierName", "pk_live_{an:24}", "posthog.init('phc_{an:43}')", "Get-NetAdapterAdvancedProperty",
			"Enable-PSRemotingSessionTrace", "about_Preference_Variables", "Map_String_ExcelSheetDataV2Scalar")}
}

// hasUUIDParts reports five consecutive parts of a UUID's shape
// (8-4-4-4-12 hex digits).
func hasUUIDParts(parts []string) bool {
	for i := 0; i+5 <= len(parts); i++ {
		if isUUID(strings.ToLower(strings.Join(parts[i:i+5], "-"))) {
			return true
		}
	}
	return false
}

// bareWindows appends a tight window around each run of [A-Za-z0-9_-]
// that starts with a prefix shape (2-8 letters and digits, the first a
// letter, then _ or -) and is long enough for the prefixed tier's rule.
// It jumps from joiner to joiner (bytes.IndexAny is vectorised), so text
// without them costs next to nothing.
func (e *engine) bareWindows(text string, wins []window) []window {
	// The next _ and the next - at or after pos (two vectorised searches;
	// IndexAny of a set is a byte loop).
	nu, nd := -1, -1
	next := func(c byte, from, cur int) int {
		if cur >= from || cur == len(text) {
			return cur
		}
		if j := strings.IndexByte(text[from:], c); j >= 0 {
			return from + j
		}
		return len(text)
	}
	for pos := 0; pos < len(text); {
		nu, nd = next('_', pos, nu), next('-', pos, nd)
		k := min(nu, nd)
		if k >= len(text) {
			break
		}
		s := k
		for s > 0 && k-s <= 8 && isAlnum(text[s-1]) {
			s--
		}
		end := k + 1
		if k-s < 2 || k-s > 8 || !isLetter(text[s]) || (s > 0 && bareRunByte(text[s-1])) {
			// Not a prefix: skip the rest of this run.
			for end < len(text) && bareRunByte(text[end]) {
				end++
			}
			pos = end
			continue
		}
		for end < len(text) && bareRunByte(text[end]) {
			end++
		}
		// The regex's body takes at most 200 bytes: a longer run is no
		// candidate (a blob, or a token another rule knows).
		// The shape checks first (the same the rule's accept applies to
		// the run): most runs fail them, and then no regex runs.
		if end-s >= 20 && end-k <= 201 && bareTokenOK(text, s, end) {
			wins = append(wins, window{rule: e.bareRule, start: max(0, s-1), end: min(len(text), end+1), tight: true})
		}
		pos = end
	}
	return wins
}

// lowerShort lower-cases a short ASCII word without allocating when it is
// lower case already.
func lowerShort(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] >= 'A' && w[i] <= 'Z' {
			return strings.ToLower(w)
		}
	}
	return w
}

// crcSuffixed reports a token whose last part ends in the base-62 CRC32
// of the rest of that part (six characters), the checksum GitHub
// published for its tokens and other vendors adopted: a random body
// carries one by chance once in 62^6 (5.7e10). Such a token is graded
// high whatever the model's score.
func crcSuffixed(v string) bool {
	i := strings.LastIndexAny(v, "_-")
	last := v[i+1:]
	if len(last) < 22 {
		return false
	}
	for k := 0; k < len(last); k++ {
		if !isAlnum(last[k]) {
			return false
		}
	}
	body := last[:len(last)-6]
	return base62Pad(crc32.ChecksumIEEE([]byte(body)), 6) == last[len(last)-6:]
}
