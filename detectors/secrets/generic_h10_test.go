package secrets

import (
	"strings"
	"testing"

	"github.com/picketsec/picket/sdk"
)

// TestGenericNotCredentials: a name that says the value does not work
// (a test's wrong value), a value of digits after a short prefix, and a
// value shown cut short are no credentials for the generic rules; the
// same value under a plain name is. Values are written for this test
// (expandExample), none from the corpus.
func TestGenericNotCredentials(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	cases := map[string]struct {
		tmpl  string
		found bool
	}{
		"plain name":          {`service_token = "{an:32}"`, true},
		"invalid name":        {`invalidToken := "{an:32}"`, false},
		"fake name":           {`FAKE_API_KEY={an:32}`, false},
		"non-matching name":   {`nonMatchingSecret = "{an:32}"`, false},
		"wrong password name": {`wrong_password = "{an:16}"`, false},
		"digits after prefix": {`api_token = "qzx-4821736590"`, false},
		"digits and joiners":  {`scw_token = "48217365-9012-3456-7890-123456789012"`, false},
		"elided":              {"export SERVICE_TOKEN=ops_{an:30}...", false},
		"heading word":        {"## Auth Enhancement\n\nThe login flow now …", false},
		"bold heading":        {"**KEY INSIGHT:** the cache is cold", false},
		// The generic tier only: the older generic rules take such a
		// value as a passphrase (tulip-garden).
		"short after prefix": {`deploy_token = "qzv_{an:8}"`, false},
		"long after prefix":  {`deploy_token = "qzv_{an:32}"`, true},
		"elided, ellipsis":   {"deploy_key = {an:30}… (copy it from the console)", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			text := expandExample(c.tmpl, "h10-notcred-"+name)
			var generic []string
			for _, f := range detect(t, d, sdk.Item{Text: text}) {
				if GenericRule(f.Rule) && (f.Rule == "generic-credential" || !strings.Contains(name, "short after")) {
					generic = append(generic, f.Rule)
				}
			}
			if (len(generic) > 0) != c.found {
				t.Errorf("%q: generic findings %v, want found=%v", text, generic, c.found)
			}
		})
	}
}

// TestGenericFabricatedUnnamed: a hand-typed value (walks, the alphabet,
// repeated blocks) under a name that names no provider alerts at medium
// at most; the same shape under a provider's name keeps the model's
// grade, and a machine-made value under the plain name still blocks.
func TestGenericFabricatedUnnamed(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for _, c := range []struct {
		text    string
		maxHigh bool // the tier grades it high
	}{
		{"SERVICE_KEY=fedcba9876543210fedcba9876543210", false},
		{"AUTH_TOKEN=aBcDeFgHiJkLmNoPqRsTuVwXyZ987654", false},
		{`client_secret = "q1r2s3t4u5v6w7x8y9z0a1b2c3d4e5f6"`, false},
		{expandExample("ACCESS_TOKEN={an:40}", "h10-fab-plain"), true},
	} {
		high := false
		for _, f := range detect(t, d, sdk.Item{Text: c.text}) {
			if f.Rule == "generic-credential" && f.Severity >= sdk.SeverityHigh {
				high = true
			}
		}
		if high != c.maxHigh {
			t.Errorf("%q: generic-credential high %v, want %v", c.text, high, c.maxHigh)
		}
	}
	for v, want := range map[string]bool{
		"abcdef0123456789abcdef0123456789": true,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ98":     true,
		"abc123def456ghi789jkl012":         true,
		"xq7Kd2LmZx9VbN4wR8tYp3sHfW2e":     false,
	} {
		if got := fabricated(v); got != want {
			t.Errorf("fabricated(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestShortAfterPrefix: a vendor-style prefix with fewer than ten letters
// and digits after it; values written for this test.
func TestShortAfterPrefix(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"qzv_K7d2Lm9x":                   true,
		"lsv2_pt_short":                  true,
		"qzv_K7d2Lm9xQw":                 false,
		"K7d2Lm9x":                       false,
		"qzv_Rhp1Kxj4jbUuorm5nTSUHExtWp": false,
	} {
		if got := shortAfterPrefix(v); got != want {
			t.Errorf("shortAfterPrefix(%q) = %v, want %v", v, got, want)
		}
	}
}
