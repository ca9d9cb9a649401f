package observatory_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/picketsec/picket/host/audit"
)

func (f *fixture) post(t *testing.T, key, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, bytes.NewReader([]byte(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Triage over the API: marks with who and when, kept on the event,
// filterable, and a false positive answers the allowlist entry.
func TestTriageAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite")
	ev := f.acme.Events[1] // the AWS key in a prompt: one secrets finding
	code, body := f.post(t, "acme-key", "/v1/events/"+ev+"/triage", `{"finding": 0, "state": "false_positive", "by": "alice@example.com", "note": "a documented example key"}`)
	if code != http.StatusCreated {
		t.Fatalf("mark: %d %s", code, body)
	}
	var ans struct {
		Mark      audit.Triage `json:"mark"`
		Allowlist string       `json:"allowlist"`
		Exact     bool         `json:"allowlist_exact"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatal(err)
	}
	if ans.Mark.Actor != "alice@example.com" || ans.Mark.At.IsZero() || !ans.Exact ||
		!strings.Contains(ans.Allowlist, `detector "secrets" {`) || !strings.Contains(ans.Allowlist, "allow_fingerprints = [\"") ||
		!strings.Contains(ans.Allowlist, "# false positive: secrets/aws-access-key-id in event "+ev+", marked by alice@example.com") {
		t.Fatalf("answer: %+v", ans)
	}
	if code, body := f.post(t, "acme-key", "/v1/events/"+f.acme.Events[3]+"/triage", `{"state": "escalated", "by": "bob"}`); code != http.StatusCreated {
		t.Fatalf("event mark: %d %s", code, body)
	}

	var detail struct {
		ID     string         `json:"id"`
		Triage []audit.Triage `json:"triage"`
	}
	if code, body := f.get(t, "acme-key", "/v1/events/"+ev, &detail); code != 200 || len(detail.Triage) != 1 || detail.Triage[0].State != "false_positive" {
		t.Fatalf("event detail: %d %s", code, body)
	}
	var page audit.FindingPage
	if code, body := f.get(t, "acme-key", "/v1/findings?triage=false_positive", &page); code != 200 || len(page.Findings) != 1 || page.Findings[0].Triage != "false_positive" {
		t.Fatalf("findings?triage=false_positive: %d %s", code, body)
	}
	if code, body := f.get(t, "acme-key", "/v1/findings?triage=escalated", &page); code != 200 || len(page.Findings) != 1 {
		t.Fatalf("findings?triage=escalated: %d %s", code, body)
	}
	var events audit.EventPage
	if code, body := f.get(t, "acme-key", "/v1/events?triage=escalated", &events); code != 200 || len(events.Events) != 1 || events.Events[0].ID != f.acme.Events[3] {
		t.Fatalf("events?triage=escalated: %d %s", code, body)
	}
	var al struct {
		FalsePositives []struct {
			Allowlist string `json:"allowlist"`
		} `json:"false_positives"`
	}
	if code, body := f.get(t, "acme-key", "/v1/allowlist", &al); code != 200 || len(al.FalsePositives) != 1 {
		t.Fatalf("allowlist: %d %s", code, body)
	}
	if code, body := f.get(t, "globex-key", "/v1/allowlist", &al); code != 200 || len(al.FalsePositives) != 0 {
		t.Fatalf("globex allowlist: %d %s", code, body)
	}

	// Bad input is a 400 with a reason; another tenant's event a 404.
	for body, want := range map[string]int{
		`{"state": "ignored", "by": "a"}`:                 400,
		`{"state": "escalated"}`:                          400,
		`{"state": "escalated", "by": "a", "finding": 7}`: 400,
		`{"state": "escalated", "by": "a", "extra": 1}`:   400,
		`not json`: 400,
	} {
		if code, resp := f.post(t, "acme-key", "/v1/events/"+ev+"/triage", body); code != want || !strings.Contains(resp, `"error"`) {
			t.Errorf("%s: %d %s, want %d", body, code, resp, want)
		}
	}
	if code, _ := f.post(t, "globex-key", "/v1/events/"+ev+"/triage", `{"state": "escalated", "by": "a"}`); code != 404 {
		t.Errorf("another tenant's event: %d, want 404", code)
	}
	if code, _ := f.get(t, "acme-key", "/v1/findings?triage=bogus", nil); code != 400 {
		t.Errorf("bad triage filter: %d", code)
	}
}
