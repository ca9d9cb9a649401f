package litellm

import (
	"testing"

	"github.com/picketsec/picket/host/adapters/adapterstest"
)

// FuzzGuardrail checks that any body gets a 200 or a 4xx, never a panic or a 5xx.
func FuzzGuardrail(f *testing.F) {
	for _, s := range []string{docRequest, responseWithToolCall, `{"input_type":"request","tools":[{"function":{"arguments":"{\"cmd\":1}"}}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rec := serve(&adapterstest.Host{}, string(b), adapterstest.Key)
		if rec.Code >= 500 || (rec.Code != 200 && rec.Code < 400) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
