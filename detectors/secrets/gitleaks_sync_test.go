//go:build !wasip1

package secrets

import (
	"testing"

	gitleaksconfig "github.com/zricethezav/gitleaks/v8/config"
)

// The embedded default rules are the gitleaks module's own, unchanged.
func TestGitleaksDefaultsInSync(t *testing.T) {
	if gitleaksDefaultTOML != gitleaksconfig.DefaultConfig {
		t.Fatal("gitleaks_default.toml differs from the gitleaks module's config/gitleaks.toml: run go run ./detectors/secrets/internal/gitleaksgen")
	}
	rs, err := gitleaksDefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) < 200 {
		t.Fatalf("%d gitleaks rules loaded, want over 200", len(rs))
	}
}
