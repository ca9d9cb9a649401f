package secrets

import (
	_ "embed"
	"sync"

	"github.com/picketsec/picket/sdk"
)

// gitleaks' default rule set (MIT, see NOTICE): the gitleaks Go module's
// config/gitleaks.toml, byte for byte, written by `go run
// ./detectors/secrets/internal/gitleaksgen` from the module version in
// go.mod (TestGitleaksDefaultsInSync checks it) — not retyped. The
// detector cannot import gitleaks' config package directly: it pulls in
// viper and pflag, whose initialisers panic in the WASM build. The TOML is
// parsed with picket's own gitleaks reader rather than gitleaks'
// viper-based loader: picket needs the raw regexes, keywords and
// allowlists to compile into its own engine (one keyword automaton,
// windows around hits, picket's filters), and viper's global state and
// key folding would add nothing. Rule ids are prefixed "gitleaks.".
//
//go:embed gitleaks_default.toml
var gitleaksDefaultTOML string

var (
	gitleaksOnce  sync.Once
	gitleaksRules []*Rule
	gitleaksErr   error
)

// GitleaksVersion is the gitleaks module whose default rules are loaded.
const GitleaksVersion = "v8.30.1"

func gitleaksDefaultRules() ([]*Rule, error) {
	gitleaksOnce.Do(func() {
		gitleaksRules, gitleaksErr = parseGitleaksPack(gitleaksDefaultTOML,
			packSource{Origin: "gitleaks", Prefix: "gitleaks.", File: "gitleaks " + GitleaksVersion + " config/gitleaks.toml", Severity: sdk.SeverityHigh})
	})
	if gitleaksErr != nil {
		return nil, gitleaksErr
	}
	// Callers may adjust severities: hand out copies.
	out := make([]*Rule, 0, len(gitleaksRules))
	for _, r := range gitleaksRules {
		if gitleaksSuperseded[r.ID] {
			continue
		}
		c := *r
		out = append(out, &c)
	}
	return out, nil
}

// gitleaksSuperseded are gitleaks default rules that picket's own rules
// replace (README: "which rule wins where"): gitleaks' generic-api-key
// gave 27 of the 48 false positives on the corpus with the defaults loaded
// and cost most of the scan time (its keywords — key, token, api, auth —
// occur everywhere), while picket's generic tier covers the same
// assignments with its reference, placeholder and machine-made filters.
var gitleaksSuperseded = map[string]bool{
	"gitleaks.generic-api-key": true,
}
