package audit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// BenchmarkRecordComplete measures one durable Record and its Complete
// (two committed transactions), per driver.
func BenchmarkRecordComplete(b *testing.B) {
	for _, d := range drivers(b) {
		b.Run(d.name, func(b *testing.B) {
			s, err := audit.Open(b.Context(), d.config(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			res := result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, ""))
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("b%d", i)
				if _, _, err := s.Record(b.Context(), ev("acme", id, sdk.EventPreRequest, id, "s", t0)); err != nil {
					b.Fatal(err)
				}
				if err := s.Complete(b.Context(), id, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
