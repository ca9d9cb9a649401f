package secrets

import (
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// TestPrefixedTier: a bare token with a vendor prefix and a machine-made
// body is a candidate of the prefixed tier; object ids, digests, UUIDs,
// ULIDs, walks and tokens inside paths or URLs are not. Values are
// written for this test (expandExample), none from the corpus.
func TestPrefixedTier(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	found := []string{
		"{lc:3}_{an:36}",
		"export X={lc:4}_v1_{an:40}",
		`cfg := "{al:5}-{an:48}"`,
		"Authorization: Bearer qzv_live_{an:32}",
	}
	for i, tmpl := range found {
		text := expandExample(tmpl, "h10-bare-"+string(rune('a'+i)))
		fs := detect(t, d, sdk.Item{Text: text})
		if len(fs) == 0 {
			t.Errorf("%q: no finding", tmpl)
		}
	}
	dropped := []string{
		"toolu_01{an:22}", "tooluse_{an:22}", "msg_01{an:22}", "chatcmpl-{an:29}", "call_{an:24}", "cus_{an:14}{an:10}",
		"sha256-{an:43}", "https://example.com/abc_{an:32}", "/srv/data/qzv_{an:32}/x", "get_user_profile_settings_handler",
		"client_01K3A5415VF6QBQBG3XYCW91", "{hex:8}-{hex:4}-{hex:4}-{hex:4}-{hex:12}", "qzv_1234567890123456789012345678",
		"qzv_abcd1234efgh5678ijkl9012", "pk_live_{an:24}", "APP_CLIENT_{an:24}",
	}
	for i, tmpl := range dropped {
		text := expandExample(tmpl, "h10-drop-"+string(rune('a'+i)))
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Rule == "prefixed-token" {
				t.Errorf("%q: prefixed-token finding (%s)", tmpl, f.Severity)
			}
		}
	}
}

// TestPrefixedTierYields: where a rule finds the span, the prefixed
// tier's guess never reports it, whatever its grade.
func TestPrefixedTierYields(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	text := expandExample("token ghp_{ghcrc:30}", "h10-yield")
	fs := detect(t, d, sdk.Item{Text: text})
	if len(fs) != 1 || fs[0].Rule != "github-pat" || strings.Contains(fs[0].Message, text[6:]) {
		t.Fatalf("findings %v", rulesOf(fs))
	}
}

// TestPrefixedTierChecksum: a bare token whose last part carries the
// base-62 CRC32 of the rest (GitHub's scheme, a vendor prefix picket has
// no rule for) blocks; the same token with its checksum broken is graded
// by the model alone.
func TestPrefixedTierChecksum(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	tok := expandExample("qzvk_{ghcrc:30}", "h10-crc")
	if !crcSuffixed(tok) {
		t.Fatalf("%s: checksum not read", tok[:8])
	}
	fs := detect(t, d, sdk.Item{Text: "deploy with " + tok})
	if len(fs) != 1 || fs[0].Rule != "prefixed-token" || fs[0].Severity < sdk.SeverityHigh || fs[0].Confidence != 0.99 {
		t.Fatalf("findings %v", rulesOf(fs))
	}
	broken := tok[:len(tok)-1] + string("ab"[(tok[len(tok)-1]&1)])
	if crcSuffixed(broken) {
		t.Errorf("broken checksum read as valid")
	}
}

// TestCodeIdentifier: bodies of code identifiers and names (PowerShell
// cmdlets, help topics, CamelCase types) are no tokens; machine-made
// bodies, hex or base62, are. Values written for this test.
func TestCodeIdentifier(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		"NetAdapterAdvancedProperty":       true,
		"PSRemotingSessionTrace":           true,
		"Preference_Variables":             true,
		"String_ExcelSheetDataV2Scalar":    true,
		"Multilingual-Model3":              true,
		"q7Kd2LmZx9VbN4wR8tYp3sHf":         false,
		"w4k9rt2xq8mp3vz7hn6cj5bd":         false,
		"9f2c4e1a7b3d5f8e0c6a4b2d9e7f1a3c": false,
		"LIKkyxJxUHIqNKxAvFrTctmOfOe":      false,
	} {
		if got := codeIdentifier(body); got != want {
			b, _ := lmBits(body)
			t.Errorf("codeIdentifier(%q) = %v, want %v (%.2f bits)", body, got, want, b)
		}
	}
}
