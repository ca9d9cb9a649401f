package secrets

import (
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
		got := ""
		for _, f := range detect(t, d, sdk.Item{Text: text}) {
			if f.Severity >= sdk.SeverityHigh {
				got = text[f.Start:f.End]
			}
		}
		if got != want {
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
