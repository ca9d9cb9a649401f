package secrets

import (
	"testing"

	"github.com/picketsec/picket/sdk"
)

// TestGenericCodeValues: what follows a credential name in logs and code
// is not always its value: the next pair of a logfmt line, a hex integer
// literal, an identifier (a diff's renamed declaration). They give no
// generic-credential finding; a machine-made value in the same places
// still does. Values written for this test.
func TestGenericCodeValues(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for text, want := range map[string]bool{
		`level=warn msg="retrying" component=cacheKey attempt=233 err="connection refused"`: false,
		"const migrationLockKey = 0x7069636b6574 // a lock id":                              false,
		"+var sessionToken ErrNotReady = errors.New(\"not ready\")":                         false,
		"+\t\t\treturn authKeyPair respStreamEvent":                                         false,
		"+// signingKey MaxBodyBytes is the largest body kept":                              false,
		"zorblax_token q8Z3kL0vN5xR2mW7tB4yH9pS6dF1":                                        true,
		"zorblax_token value=q8Z3kL0vN5xR2mW7tB4yH9pS6dF1":                                  true,
	} {
		found := false
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Rule == "generic-credential" {
				found = true
			}
		}
		if found != want {
			t.Errorf("%q: generic-credential %v, want %v", text, found, want)
		}
	}
	for v, want := range map[string]bool{"ErrNotFound": true, "respAnthropicEvent": true, "hX9kQ2mZpL4w": false, "splendidRANDOMWORDS": false, "q8Z3kL0vN5xR2mW7": false} {
		if got := codeName(v); got != want {
			t.Errorf("codeName(%q) = %v, want %v", v, got, want)
		}
	}
}
