package secrets

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/picketsec/picket/sdk"
)

// FuzzDetect checks Detect's invariants on arbitrary text: no panic, spans
// inside the item, redactions that do not reveal the match.
func FuzzDetect(f *testing.F) {
	for _, r := range builtinRules() {
		for i, ex := range r.Examples {
			f.Add(expandExample(ex, fmt.Sprintf("%s/%d", r.ID, i)))
		}
		for _, ex := range r.NonExamples {
			f.Add(ex)
		}
	}
	f.Add(`{"k": "a\u0041\x41%41\\n\"` + "\u00e9\xff")
	f.Add("LS0tLS1CRUdJTiBPUEVOU1NIIFBSSVZBVEUgS0VZLS0tLS0K")
	d := New()
	if err := d.Configure(context.Background(), []byte("{}")); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		ev := &sdk.Event{Items: []sdk.Item{{Index: 0, Kind: sdk.KindToolResult, Text: text}}}
		fs, err := d.Detect(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range fs {
			if fd.Start < 0 || fd.End > len(text) || fd.Start >= fd.End {
				t.Fatalf("%s: span %d:%d outside %d bytes", fd.Rule, fd.Start, fd.End, len(text))
			}
			span := text[fd.Start:fd.End]
			if utf8.RuneCountInString(span) >= 8 && strings.Contains(fd.Redacted, span) {
				t.Fatalf("%s: redaction reveals the match", fd.Rule)
			}
			if !fd.Severity.Valid() || fd.Confidence <= 0 || fd.Confidence > 1 {
				t.Fatalf("%s: severity %v confidence %v", fd.Rule, fd.Severity, fd.Confidence)
			}
		}
	})
}
