package config

import (
	"strings"
	"testing"
	"time"
)

const sessionTenant = `tenant "t" {
  api_key_sha256 = ["1111111111111111111111111111111111111111111111111111111111111111"]
  quarantine = "high"
  quarantine_for = "30m"
}
`

func TestSessionConfig(t *testing.T) {
	cfg, err := Parse("s.hcl", []byte(sessionTenant+`session {
  retention = "2h"
  max_items = 100
  quarantine = "off"
  quarantine_for = "1h"
}
detector "commands" { quarantine = "critical" }
`))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Session
	if !s.Enabled || s.Retention != 2*time.Hour || s.MaxItems != 100 || s.MaxMarks != DefaultSession().MaxMarks || s.Quarantine != QuarantineOff || s.QuarantineFor != time.Hour {
		t.Fatalf("session %+v", s)
	}
	if tn := cfg.Tenants[0]; tn.Quarantine != QuarantineHigh || tn.QuarantineFor == nil || *tn.QuarantineFor != 30*time.Minute {
		t.Fatalf("tenant %+v", tn)
	}
	if cfg.Detectors[0].Quarantine != QuarantineCritical {
		t.Fatalf("detector %+v", cfg.Detectors[0])
	}
	if d := Default().Session; !d.Enabled || d.Quarantine != QuarantineCritical {
		t.Fatalf("default %+v", d)
	}
	for _, bad := range []string{`session { max_items = 0 }`, `session { quarantine = "always" }`, `session { retention = "soon" }`} {
		_, err := Parse("s.hcl", []byte(sessionTenant+bad))
		if err == nil || !strings.Contains(err.Error(), "session.") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
