package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/internal/fixtures"
)

// The replay box: a pasted payload gets the current policy's verdict, with
// evidence, and leaves no trace in the trail; a pasted secret is not
// echoed.
func TestReplayEvaluatesWithoutRecording(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "enforce", nil)
	auth := map[string]string{"Authorization": "Bearer " + testKey}
	var body []byte
	for _, f := range fixtures.All() {
		if f.Name == "pre_request.anthropic.claude-code-bash-exfil" {
			body = f.Body
		}
	}
	req, _ := json.Marshal(map[string]any{"payload": json.RawMessage(body)})
	rec := h.do(http.MethodPost, "/v1/replay", req, auth)
	if rec.Code != 200 {
		t.Fatalf("replay: %d %s", rec.Code, rec.Body)
	}
	var res struct {
		Event  string       `json:"event"`
		Mode   string       `json:"mode"`
		Result audit.Result `json:"result"`
		Items  []audit.Item `json:"items"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if res.Event != "pre_request" || res.Mode != "enforce" || res.Result.Decision != "block" || len(res.Items) == 0 {
		t.Fatalf("verdict: %s", rec.Body)
	}
	evidence := false
	for _, f := range res.Result.Findings {
		evidence = evidence || (f.Category == "command" && f.Evidence != "" && f.Taxonomy != nil)
	}
	if !evidence {
		t.Errorf("no command finding with evidence and taxonomy: %s", rec.Body)
	}

	secret := "ghp_R7kLm2Qx9VbN4tY6wZ8cD1fH3jP5sA0eG2uK"
	rec = h.do(http.MethodPost, "/v1/replay", []byte(`{"text": "my token is `+secret+`"}`), auth)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"decision":"block"`) || strings.Contains(rec.Body.String(), secret) {
		t.Fatalf("text replay: %d %s", rec.Code, rec.Body)
	}

	for _, bad := range []string{`{}`, `{"text": "a", "payload": {}}`, `{"payload": {"metadata": 3}}`, `nope`, `{"payload": {}, "x": 1}`} {
		if rec := h.do(http.MethodPost, "/v1/replay", []byte(bad), auth); rec.Code != 400 || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s, want 400", bad, rec.Code, rec.Body)
		}
	}
	if rec := h.do(http.MethodPost, "/v1/replay", []byte(`{"text": "x"}`), nil); rec.Code != 401 {
		t.Errorf("without a key: %d", rec.Code)
	}

	time.Sleep(100 * time.Millisecond) // a record would have been written by now
	page, err := h.store.ListEvents(context.Background(), "alpha", audit.EventFilter{Limit: 10})
	if err != nil || len(page.Events) != 0 {
		t.Fatalf("replay recorded %d events (%v)", len(page.Events), err)
	}
}
