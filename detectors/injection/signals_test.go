package injection

import (
	"testing"

	"github.com/picketsec/picket/detectors/injection/internal/norm"
)

// TestSignalExamples checks every signal against its own examples: each
// Match input must fire it, each NoMatch input must not.
func TestSignalExamples(t *testing.T) {
	t.Parallel()
	_, m, err := shared()
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, s := range m.all {
		if ids[s.ID] {
			t.Errorf("duplicate signal id %s", s.ID)
		}
		ids[s.ID] = true
		if s.Direct <= 0 || s.Direct >= 1 || s.Untrusted <= 0 || s.Untrusted >= 1 {
			t.Errorf("%s: weights %v/%v not in (0, 1)", s.ID, s.Direct, s.Untrusted)
		}
		if len(s.Match) == 0 {
			t.Errorf("%s: no Match examples", s.ID)
		}
		if len(s.Keywords) == 0 {
			t.Errorf("%s: no keywords", s.ID)
		}
		t.Logf("%s keywords %q", s.ID, s.Keywords)
		fired := func(in string) bool {
			hs, _ := m.find(norm.Normalize(in).B)
			for _, h := range hs {
				if h.sig == s {
					return true
				}
			}
			return false
		}
		for _, in := range s.Match {
			if !fired(in) {
				t.Errorf("%s: does not fire on %q", s.ID, in)
			}
		}
		for _, in := range s.NoMatch {
			if fired(in) {
				t.Errorf("%s: fires on %q", s.ID, in)
			}
		}
	}
}
