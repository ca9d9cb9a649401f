package audit

import (
	"testing"
	"time"
)

// FuzzDecodeCursor checks that any cursor a client sends is either refused
// with a QueryError or decoded, and never panics.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(cursor{At: 1, ID: "e1"}.encode())
	f.Add(cursor{At: -5, ID: "x", Seq: 3}.encode())
	f.Add("")
	f.Add("e30")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			if _, ok := err.(*QueryError); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		if s != "" && (c == nil || c.ID == "") {
			t.Fatalf("decoded %q to %+v", s, c)
		}
	})
}

// FuzzParseTime checks that ParseTime never panics and that what it
// accepts is a real time.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-20T10:00:00Z", "2026-11-20", "24h", "-90m", "0", "yesterday", "9999999999999999999", "1e3h"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := ParseTime(s, now); err == nil && got.IsZero() && s != "0001-01-01T00:00:00Z" && s != "0001-01-01" {
			t.Logf("%q parsed to the zero time", s)
		}
	})
}
