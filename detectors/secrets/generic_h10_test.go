package secrets

import (
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
		"elided, ellipsis":    {"deploy_key = {an:30}… (copy it from the console)", false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			text := expandExample(c.tmpl, "h10-notcred-"+name)
			var generic []string
			for _, f := range detect(t, d, sdk.Item{Text: text}) {
				if GenericRule(f.Rule) {
					generic = append(generic, f.Rule)
				}
			}
			if (len(generic) > 0) != c.found {
				t.Errorf("%q: generic findings %v, want found=%v", text, generic, c.found)
			}
		})
	}
}
