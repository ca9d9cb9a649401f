package shield

import (
	"net/http"
	"testing"

	"github.com/picketsec/picket/host/adapters/adapterstest"
)

// FuzzGuard checks that any body gets a 200 or a 4xx, never a panic or a 5xx.
func FuzzGuard(f *testing.F) {
	for _, s := range []string{`{"content":"hi"}`, `{"content_type":"tool_call","tool":{"name":"shell","arguments":{"command":"ls"},"description":"d"}}`,
		`{"content":"x","content_type":"file","action":"write_file","mode":"monitor","model":{"provider":"p","model":"m"}}`, `{"tool":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := do(&adapterstest.Host{}, http.MethodPost, "/v1/guard", string(b), key)
		if rec.Code >= 500 || (rec.Code != 200 && rec.Code < 400) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
