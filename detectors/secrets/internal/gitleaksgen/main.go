// Command gitleaksgen writes gitleaks' default rule set, as the gitleaks Go
// module (the version in go.mod) embeds it in its config package, to
// detectors/secrets/gitleaks_default.toml, which the secrets detector
// embeds. The detector does not import the config package itself: that
// package pulls in viper and pflag, whose package initialisers panic in
// the detector's WASM build (wasip1 c-shared has no os.Args). The file is
// gitleaks' own (MIT, see NOTICE), byte for byte; TestGitleaksDefaultsInSync
// fails when it differs from the module's.
//
//	go run ./detectors/secrets/internal/gitleaksgen
package main

import (
	"fmt"
	"os"

	gitleaksconfig "github.com/zricethezav/gitleaks/v8/config"
)

func main() {
	out := "detectors/secrets/gitleaks_default.toml"
	if len(os.Args) > 1 {
		out = os.Args[1]
	}
	if err := os.WriteFile(out, []byte(gitleaksconfig.DefaultConfig), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gitleaksgen:", err)
		os.Exit(1)
	}
}
