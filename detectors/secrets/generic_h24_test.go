package secrets

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/picketsec/picket/sdk"
)

// TestGenericXMLNameAttr: a credential name held by a name or key
// attribute of an XML start tag (Android's strings.xml, Java's XML
// properties, .NET settings) names the element's text. Values written for
// this test.
func TestGenericXMLNameAttr(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for text, want := range map[string]string{
		`<string name="zorblax_api_key">q8s51pm31pXHS3hSVsQYHltl87oHktPZ</string>`:                           "q8s51pm31pXHS3hSVsQYHltl87oHktPZ",
		`<entry key="zorblax.token">kv80o5mqraju3ei6ln601cc8sncs4k9hv66lywrb</entry>`:                        "kv80o5mqraju3ei6ln601cc8sncs4k9hv66lywrb",
		`<setting name="ZorblaxSecret" serializeAs="String"><value>GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGq</value>`: "GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGq",
		`<string name="api_key_hint">Enter your API key</string>`:                                            "",
		`<entry name="zorblax.token"/>`:                                                                      "",
		`<entry name="zorblax.token">${ZORBLAX_TOKEN}</entry>`:                                               "",
		`<entry name="zorblax.token"><ref bean="tokenSource"/></entry>`:                                      "",
	} {
		if got := highSpan(t, d, text); got != want {
			t.Errorf("%q: high finding on %q, want %q", text, got, want)
		}
	}
}

// TestOpenerWords: the word before the object or call a credential name
// opens on its line is read for a provider or brand.
func TestOpenerWords(t *testing.T) {
	t.Parallel()
	for line, want := range map[string][]string{
		`{"zorblax": {"`:           {"zorblax"},
		`const c = new Zorblax({ `: {"zorblax"},
		`config.zorblax = { `:      {"config", "zorblax"},
		`headers = {"`:             {"headers"},
		`export `:                  nil,
		`zorblax_`:                 nil,
	} {
		if got := openerWords(line); !cmp.Equal(got, want) {
			t.Errorf("openerWords(%q) = %q, want %q", line, got, want)
		}
	}
}

// TestGenericNearMiss: a value with a provider rule's vendor prefix that
// the rule refuses (here a Supabase token a byte short, or with letters
// outside its hex body) is a near miss of the format: the generic tier
// alerts on it, it does not block; the well-formed token blocks. (The
// older generic rules keep their grade: capped too, they lost three
// held-out credentials whose provider rules are narrower than the
// vendor's tokens, NRRA-, p8e-, xapp- with a slash, and no look-alike.)
// Values written for this test.
func TestGenericNearMiss(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for text, want := range map[string]string{
		"ZORBLAX_TOKEN=sbp_9c1f0e2d3b4a59687c6d5e4f3a2b1c0d9e8f7a6":  "",
		"ZORBLAX_TOKEN=sbp_q8s51pm31pXHS3hSVsQYHltl87oHktPZx4a1b0c9": "",
		"ZORBLAX_TOKEN=sbp_9c1f0e2d3b4a59687c6d5e4f3a2b1c0d9e8f7a61": "generic-credential",
		"ZORBLAX_TOKEN=zrb_q8s51pm31pXHS3hSVsQYHltl87oHktPZx4a1b0c9": "generic-credential",
		"ZORBLAX_TOKEN=dapi9c1f0e2d3b4a59687c6d5e4f3a2b1c0dxq":       "",
		"ZORBLAX_TOKEN=dapiq8s51pm31pXHS3hSVsQYHltl87oHktPZx4a1b":    "",
	} {
		got := ""
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Severity >= sdk.SeverityHigh && f.Rule == "generic-credential" {
				got = f.Rule
			}
		}
		if got != want {
			t.Errorf("%q: high finding by %q, want %q", text, got, want)
		}
	}
}

// TestGenericRandomDigits: an all-digit value drawn at random (20 digits
// or more, no counting run, no repeated block) under a provider's
// credential name is scored like any other value; counted, repeated and
// short digit runs (ids, phone numbers, timestamps) are not. Values
// written for this test.
func TestGenericRandomDigits(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for text, wantHigh := range map[string]bool{
		`ZORBLAX_API_KEY = "58580531489680846918955768591128"`:                       true,
		"zorblax_token: 855787775571109882052550":                                    true,
		`<add key="ZorblaxApiKey" value="4807986257180861843330" />`:                 true,
		"env:\n  - name: ZORBLAX_TOKEN\n    value: 70381291855787775571109882052550": true,
		`<add key="ZorblaxApiKey" value="1234567890123456789012" />`:                 false,
		`ZORBLAX_API_KEY = "12345678901234567890123456789012"`:                       false,
		`ZORBLAX_API_KEY = "98765432109876543210987654321098"`:                       false,
		`ZORBLAX_API_KEY = "8557877755711098820"`:                                    false,
		`ZORBLAX_API_KEY = "855785578557855785578557"`:                               false,
	} {
		high := false
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Severity >= sdk.SeverityHigh {
				high = true
			}
		}
		if high != wantHigh {
			t.Errorf("%q: high %v, want %v", text, high, wantHigh)
		}
	}
	for v, want := range map[string]bool{
		"58580531489680846918955768591128": true, "1234567890123456789012": false, "8557877755711098820": false,
		"11112222333344445555": false, "90876543210555512399": false,
	} {
		if got := randomDigits(v); got != want {
			t.Errorf("randomDigits(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestHostWords: the vendor label of each host on a candidate's line.
func TestHostWords(t *testing.T) {
	t.Parallel()
	for text, want := range map[string][]string{
		`curl -H "x-api-key: V" https://api.zorblax.io/v1/items`:                         {"zorblax"},
		"GET https://hooks.zorblax.com/in?token=V\nnext line https://other.example.org/": {"zorblax"},
		"token=V": nil,
		"see https://localhost/ and ftp://files.acme-cloud.net/x token=V": {"acme", "cloud"},
	} {
		i := strings.Index(text, "V")
		if got := hostWords(text, 0, i); !cmp.Equal(got, want) {
			t.Errorf("hostWords(%q) = %q, want %q", text, got, want)
		}
	}
}

// TestRegexStartsWith: a keyword with no joiner is a vendor prefix only
// where a case-sensitive regex starts with it.
func TestRegexStartsWith(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		src, k string
		want   bool
	}{
		{`\b(dapi[a-f0-9]{32}(?:-\d)?)\b`, "dapi", true},
		{`(AIza[\-0-9A-Z_a-z]{35})`, "aiza", true},
		{`(?i)(?:datadog[\w.\-]{0,20}app)`, "datadog", false},
		{`blynk\.cloud/external`, "blynk", false},
		{`\b(dapi[a-f0-9]{32})`, "dap", false},
	} {
		if got := regexStartsWith(c.src, c.k); got != c.want {
			t.Errorf("regexStartsWith(%q, %q) = %v, want %v", c.src, c.k, got, c.want)
		}
	}
}

// TestPublishableValues: PostHog's project key and Stripe's publishable
// keys are published on purpose; no generic rule blocks them under a
// key's name. Values written for this test.
func TestPublishableValues(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for _, text := range []string{
		`posthog_client_key = 'phc_q8s51pm31pXHS3hSVsQYHltl87oHktPZkv80o5mqraj'`,
		`"POSTHOG_KEY": "phc_GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGqIUHVnp0B04d"`,
		`api_key = "pk_live_q8s51pm31pXHS3hSVsQYHltl"`,
	} {
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Severity >= sdk.SeverityHigh {
				t.Errorf("%q: %s at %s", text, f.Rule, f.Severity)
			}
		}
	}
}

// TestGenericSetterTableProse: a credential passed to a setter call, in
// a Markdown table's next cell, or after "is" in prose (token-shaped
// there, as after blanks). Values written for this test.
func TestGenericSetterTableProse(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for text, want := range map[string]string{
		`Zorblax.setApiKey('q8s51pm31pXHS3hSVsQYHltl87oHktPZ');`:         "q8s51pm31pXHS3hSVsQYHltl87oHktPZ",
		`client = Zorblax.apiKey("GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGq")`:    "GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGq",
		"| ZORBLAX_API_KEY | kv80o5mqraju3ei6ln601cc8sncs4k9hv66lywrb |": "kv80o5mqraju3ei6ln601cc8sncs4k9hv66lywrb",
		"| `ZORBLAX_TOKEN` | `R0Per6fEOuibgV3l7vPeBKTzHLbF2UH9` |":       "R0Per6fEOuibgV3l7vPeBKTzHLbF2UH9",
		"Your Zorblax API key is XJx3uzgbHOnJEv5VMtOvizwZ8rrQGD4I":       "XJx3uzgbHOnJEv5VMtOvizwZ8rrQGD4I",
		`secret := vault.getSecret("zorblax-prod-api-key-2024")`:         "",
		"| ZORBLAX_API_KEY | your Zorblax key, from the dashboard |":     "",
		"The Zorblax API key is required for every request.":             "",
		`key := cache.getKey("q8s51pm31pXHS3hSVsQYHltl87oHktPZ")`:        "",
	} {
		if got := highSpan(t, d, text); got != want {
			t.Errorf("%q: high finding on %q, want %q", text, got, want)
		}
	}
}

// TestBase64Token: a base64 value may start with '/'; a path may not be
// read as one.
func TestBase64Token(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"/OHgb5GlWYVPRYl8wiNKhSsSQ+lamP+PN9IskWhCXJM=": true,
		"/usr/local/lib/node_modules":                  false,
		"/api/v1/Tokens/Refresh2024":                   false,
		"/tyKuMiVYwhXkgymZ9r36+BJtpxYomYcdodMc2eYgDr=": true,
	} {
		if got := base64Token(v); got != want {
			t.Errorf("base64Token(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestGenericFormsCutShort: the new forms' parsers at the end of the text.
func TestGenericFormsCutShort(t *testing.T) {
	t.Parallel()
	d := newDetector(t, `{}`)
	for _, base := range []string{
		`<entry name="zorblax.token">q8s51pm31pXHS3hSVsQYHltl87oHktPZ</entry>`,
		"| ZORBLAX_API_KEY | kv80o5mqraju3ei6ln601cc8sncs4k9hv66lywrb |",
		`Zorblax.setApiKey('q8s51pm31pXHS3hSVsQYHltl87oHktPZ');`,
		"Your Zorblax API key is XJx3uzgbHOnJEv5VMtOvizwZ8rrQGD4I",
		`{"zorblax": {"apiKey": "GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGq"}}`,
		"curl -H \"x-api-key: GmP9p6GQBXX4KpRzzNfHmwu2WzRMvqGq\" https://api.zorblax.io",
	} {
		for i := 0; i <= len(base); i++ {
			detect(t, d, sdk.Item{Text: base[:i]}) // no panic
		}
	}
}

// highSpan is the text of the last finding at high or above in text, or "".
func highSpan(t *testing.T, d sdk.Detector, text string) string {
	t.Helper()
	got := ""
	for _, f := range detect(t, d, sdk.Item{Text: text}) {
		if f.Severity >= sdk.SeverityHigh {
			got = text[f.Start:f.End]
		}
	}
	return got
}
