package server

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/internal/fixtures"
)

// TestFixtureVerdicts posts every Aperture fixture to a server in enforce
// mode with the default detectors and checks the verdicts of expected.json:
// the answer of pre_request events, and the recorded findings of the
// asynchronous ones.
func TestFixtureVerdicts(t *testing.T) {
	t.Parallel()
	h := verdictHarness(t)
	q := h.store.(audit.Querier)
	for _, fx := range fixtures.All() {
		rec := h.post(fx.Body)
		if rec.Code != 200 {
			t.Errorf("%s: status %d: %s", fx.Name, rec.Code, rec.Body)
			continue
		}
		if fx.Expected.Event == "pre_request" {
			var resp map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Errorf("%s: answer is not JSON: %s", fx.Name, rec.Body)
				continue
			}
			want := *fx.Expected.PreRequestAction
			if resp["action"] != want {
				t.Errorf("%s: action %v, want %s (category %v; headers %v)", fx.Name, resp["action"], want, deref(fx.Expected.Category), rec.Header())
				continue
			}
			if want == "block" {
				checkBlock(t, fx.Name, resp, deref(fx.Expected.Category))
			}
			continue
		}
		if rec.Body.String() != "{}" {
			t.Errorf("%s: async answer %s, want {}", fx.Name, rec.Body)
		}
	}
	h.waitCompleted()
	for _, fx := range fixtures.All() {
		if fx.Expected.Event == "pre_request" {
			continue
		}
		page, err := q.ListEvents(context.Background(), "alpha", audit.EventFilter{Type: fx.Expected.Event, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var reqID string
		var meta struct {
			Metadata struct {
				RequestID string `json:"request_id"`
			} `json:"metadata"`
		}
		json.Unmarshal(fx.Body, &meta)
		reqID = meta.Metadata.RequestID
		var found *audit.EventDetail
		for _, e := range page.Events {
			if e.RequestID == reqID {
				if found, err = q.GetEvent(context.Background(), "alpha", e.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if found == nil {
			t.Errorf("%s: not recorded", fx.Name)
			continue
		}
		if found.Result == nil {
			t.Errorf("%s: recorded but not evaluated", fx.Name)
			continue
		}
		cats := map[string]bool{}
		for _, f := range found.Result.Findings {
			if f.Suppressed == "" {
				cats[f.Category] = true
			}
		}
		if want := deref(fx.Expected.Category); want != "" {
			if !cats[want] {
				t.Errorf("%s: recorded findings %v, want category %s", fx.Name, cats, want)
			}
		} else if len(cats) > 0 {
			t.Errorf("%s: recorded findings %v, want none", fx.Name, cats)
		}
	}
}

func checkBlock(t *testing.T, name string, resp map[string]any, category string) {
	t.Helper()
	if len(resp) != 3 || resp["status_code"] != float64(403) {
		t.Errorf("%s: block answer %v, want exactly action, status_code 403, message", name, resp)
	}
	msg, _ := resp["message"].(string)
	wantMsg := map[string]string{"secrets": "Secrets Leaked in Prompts", "injection": "Prompt Injection Detected", "command": "Unsafe Command: "}[category]
	if !strings.HasPrefix(msg, wantMsg) {
		t.Errorf("%s: message %q, want one starting %q", name, msg, wantMsg)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestNoSecretInTheTrail feeds every fixture, then dumps the database and
// checks that no secret value from the fixtures appears anywhere in it.
func TestNoSecretInTheTrail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "monitor", nil)
	for _, fx := range fixtures.All() {
		if rec := h.post(fx.Body); rec.Code != 200 {
			t.Fatalf("%s: %d %s", fx.Name, rec.Code, rec.Body)
		}
	}
	h.waitCompleted()
	dump, err := audit.DumpAll(context.Background(), h.store)
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	for _, fx := range fixtures.All() {
		all.Write(fx.Body)
	}
	secrets := fixtureSecrets(all.String())
	if len(secrets) < 8 {
		t.Fatalf("found only %d secrets in the fixtures: the pattern list is stale", len(secrets))
	}
	for _, s := range secrets {
		if bytes.Contains(dump, []byte(s)) {
			t.Errorf("the trail holds a secret from the fixtures: %s…", s[:6])
		}
	}
}

// fixtureSecrets lists the credential values planted in the fixtures, by
// their documented shapes (independent of the secrets detector's rules).
func fixtureSecrets(s string) []string {
	pats := []string{
		`AKIA[0-9A-Z]{16}`,
		`ghp_[0-9A-Za-z]{36}`,
		`xoxb-[0-9A-Za-z-]{20,}`,
		`sk-proj-[0-9A-Za-z_-]{20,}`,
		`postgres(?:ql)?://[^:\s"]+:([^@\s"]+)@`,
		`MII[0-9A-Za-z+/]{60}`, // the body of a PEM private key
		`(?:aws_secret_access_key|secret)[" =:]+([0-9A-Za-z/+]{40})`,
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range pats {
		re := regexp.MustCompile(p)
		for _, m := range re.FindAllStringSubmatch(s, -1) {
			v := m[0]
			if len(m) > 1 && m[1] != "" {
				v = m[1]
			}
			if !seen[v] && len(v) >= 8 {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}
