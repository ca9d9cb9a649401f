package runtime

import (
	"errors"
	"math"
	"testing"

	"github.com/picketsec/picket/sdk"
)

func TestValidateFindings(t *testing.T) {
	t.Parallel()
	ev := &sdk.Event{Items: []sdk.Item{{Index: 0, Text: "abcdef"}, {Index: 5, Text: "xyz"}}}
	tests := map[string]struct {
		f  sdk.Finding
		ok bool
	}{
		"whole item":         {sdk.Finding{Item: 0, Start: 0, End: 6, Severity: sdk.SeverityHigh, Confidence: 1}, true},
		"empty span":         {sdk.Finding{Item: 5, Start: 3, End: 3}, true},
		"by index":           {sdk.Finding{Item: 5, Start: 0, End: 3}, true},
		"unknown item":       {sdk.Finding{Item: 1, Start: 0, End: 1}, false},
		"negative start":     {sdk.Finding{Item: 0, Start: -1, End: 1}, false},
		"end past text":      {sdk.Finding{Item: 5, Start: 0, End: 4}, false},
		"reversed":           {sdk.Finding{Item: 0, Start: 3, End: 2}, false},
		"unknown severity":   {sdk.Finding{Item: 0, Severity: 9}, false},
		"confidence too big": {sdk.Finding{Item: 0, Confidence: 1.5}, false},
		"confidence NaN":     {sdk.Finding{Item: 0, Confidence: math.NaN()}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := ValidateFindings(ev, []sdk.Finding{tt.f})
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrBadFindings)) {
				t.Errorf("ValidateFindings(%+v) = %v, want ok=%v", tt.f, err, tt.ok)
			}
		})
	}
}
