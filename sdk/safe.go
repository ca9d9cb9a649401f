package sdk

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// Redact masks a matched secret for display: it keeps at most keep leading
// characters (never more than 4, and never more than a quarter of the
// match) and replaces the rest with '*', capped so that the length of long
// secrets is not revealed exactly.
func Redact(match string, keep int) string {
	n := utf8.RuneCountInString(match)
	if keep > 4 {
		keep = 4
	}
	if keep > n/4 {
		keep = n / 4
	}
	if keep < 0 {
		keep = 0
	}
	var b strings.Builder
	i := 0
	for _, r := range match {
		if i >= keep {
			break
		}
		b.WriteRune(r)
		i++
	}
	stars := n - keep
	if stars > 12 {
		stars = 12
	}
	if stars < 3 {
		stars = 3
	}
	b.WriteString(strings.Repeat("*", stars))
	return b.String()
}

// Fingerprint is a stable digest of a match, scoped by detector and rule.
// Hosts key it again (HMAC with an installation secret) before storing it,
// so stored fingerprints cannot be tested against guessed secrets offline.
func Fingerprint(detector, rule, match string) string {
	h := sha256.New()
	h.Write([]byte("picket-fp-v1\x00"))
	h.Write([]byte(detector))
	h.Write([]byte{0})
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write([]byte(match))
	return hex.EncodeToString(h.Sum(nil)[:16])
}
