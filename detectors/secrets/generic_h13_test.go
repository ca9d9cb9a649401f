package secrets

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/picketsec/picket/sdk"
)

// TestWordsBefore: the words read before a credential name walk back over
// the words that only qualify the credential (private, secret, access,
// API) to the provider a phrase names first, and stop at any other word.
func TestWordsBefore(t *testing.T) {
	t.Parallel()
	for line, want := range map[string][]string{
		"zorblax ":                       {"zorblax"},
		"zorblax PRIVATE ":               {"private", "zorblax"},
		"Zorblax secret access ":         {"access", "secret", "zorblax"},
		"the secret access ":             {"access", "secret", "the"},
		"Use the ":                       {"the"},
		"export ZORBLAX_API ":            {"zorblax", "api"},
		`config = "`:                     nil,
		"a b c d private secret api ":    {"api", "secret", "private", "d"},
		"one private secret api access ": {"access", "api", "secret", "private"},
	} {
		if got := wordsBefore(line); !cmp.Equal(got, want) {
			t.Errorf("wordsBefore(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestGenericPhraseNamesBrand: a fabricated value under a name written
// as a phrase that starts with a provider ("zorblax PRIVATE TOKEN …")
// keeps the model's grade, like the same value under zorblax_token; under
// the bare phrase it alerts at most. Values written for this test.
func TestGenericPhraseNamesBrand(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for text, wantHigh := range map[string]bool{
		"zorblax PRIVATE TOKEN q1r2s3t4u5v6w7x8y9z0a1b2c3d4e5f6": true,
		"zorblax_token = q1r2s3t4u5v6w7x8y9z0a1b2c3d4e5f6":       true,
		"the PRIVATE TOKEN q1r2s3t4u5v6w7x8y9z0a1b2c3d4e5f6":     false,
	} {
		high := false
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Rule == "generic-credential" && f.Severity >= sdk.SeverityHigh {
				high = true
			}
		}
		if high != wantHigh {
			t.Errorf("%q: generic-credential high %v, want %v", text, high, wantHigh)
		}
	}
}
