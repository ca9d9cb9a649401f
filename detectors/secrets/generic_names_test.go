package secrets

import (
	"strings"
	"testing"
)

// The provider names are read from the rules while the package's
// variables are initialized; the word lists that filter them must be
// ready by then (genericNameWords was once filled by an init function,
// which runs later, and filtered nothing).
func TestProviderNamesFiltered(t *testing.T) {
	if len(genericNameWords) == 0 || len(lmWords) == 0 {
		t.Fatal("word lists empty")
	}
	for w := range providerNameSet(builtinRules()) {
		if genericNameWords[w] || lmWords[w] {
			t.Errorf("provider name %q is a generic or dictionary word", w)
		}
	}
}

// A credential name inside a provider's section takes the provider from
// its header, a few lines up, in the config formats that nest.
func TestSectionWords(t *testing.T) {
	for text, want := range map[string]string{
		"[mailgun]\nregion = \"eu\"\napi_key = ":       "mailgun",
		"datadog:\n  site: eu\n  api_key: ":            "datadog",
		"provider \"sentry\" {\n  auth_token = ":       "provider sentry",
		"{\n  \"stripe\": {\n    \"secret\": ":         "stripe",
		"mailgun = 1\nx = 2\ny = 3\nz = 4\napi_key = ": "",
	} {
		i := len(text) - len(text[strings.LastIndexByte(text, '\n')+1:])
		if got := strings.Join(sectionWords(text, i), " "); got != want {
			t.Errorf("%q: sections %q, want %q", text, got, want)
		}
	}
}
