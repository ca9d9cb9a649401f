package secrets

import "testing"

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
