package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/adapters/claudecode"
	"github.com/picketsec/picket/host/adapters/litellm"
	"github.com/picketsec/picket/host/adapters/shield"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/internal/fixtures"
	"github.com/picketsec/picket/host/llmapi"
	"github.com/picketsec/picket/sdk"
)

// noop is a detector that wants every kind and finds nothing: the pipeline
// benchmark measures the host, not detectors.
type noop struct{ id string }

func (n noop) Info() sdk.Info {
	return sdk.Info{ID: n.id, Version: "0", APIVersion: sdk.APIVersion, Kinds: sdk.Kinds}
}
func (noop) Configure(context.Context, []byte) error                   { return nil }
func (noop) Detect(context.Context, *sdk.Event) ([]sdk.Finding, error) { return nil, nil }

func benchServer(b *testing.B, firstParty bool, more ...func(*Options)) (*Server, func()) {
	b.Helper()
	dir := b.TempDir()
	cfg := config.Default()
	cfg.Mode = config.ModeEnforce
	cfg.Tenants = []config.Tenant{{Name: "alpha", Mode: config.ModeEnforce, APIKeySHA256: []string{HashKey(testKey)}}}
	builtins := map[string]sdk.Factory{}
	cfg.Detectors = nil
	if firstParty {
		cfg.Detectors = config.Default().Detectors
	} else {
		for _, id := range []string{"noop-a", "noop-b", "noop-c"} {
			builtins[id] = func() sdk.Detector { return noop{id} }
			cfg.Detectors = append(cfg.Detectors, config.Detector{Name: id, Source: "builtin", Enabled: true, MinSeverity: sdk.SeverityHigh, Action: "block", Fail: "open", Config: []byte("{}")})
		}
	}
	ctx := context.Background()
	store, err := audit.Open(ctx, audit.Config{Driver: "sqlite", DSN: filepath.Join(dir, "picket.db")})
	if err != nil {
		b.Fatal(err)
	}
	eng := engine.New(engine.Options{FingerprintKey: []byte("fp"), Rewrite: llmapi.ReplaceString, Builtins: builtins})
	if _, err := eng.Load(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	opts := Options{Engine: eng, Store: store, SpoolKey: bytes.Repeat([]byte{7}, 32),
		Adapters: []HTTPAdapter{shield.New(), litellm.New(), claudecode.New(claudecode.Options{})}}
	for _, m := range more {
		m(&opts)
	}
	srv, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	return srv, func() {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		eng.Close()
		store.Close()
	}
}

// BenchmarkPreRequest is the end-to-end cost of one pre_request for the
// ~4 KB Codex-style fixture: read, decode, normalize, engine with no-op
// detectors, record in SQLite, answer. The "baseline" sub-benchmark only
// decodes the same body with encoding/json into a generic value, in the same
// run; "x-baseline" is the pipeline's cost as a multiple of it.
func BenchmarkPreRequest(b *testing.B) {
	var body []byte
	for _, f := range fixtures.All() {
		if f.Name == "pre_request.openai-responses.codex-exec-command-curl-sh" {
			body = f.Body
		}
	}
	var baseline float64
	b.Run("baseline-json-decode", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
		baseline = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, tc := range []struct {
		name       string
		firstParty bool
	}{{"pipeline-noop-detectors", false}, {"pipeline-first-party-detectors", true}} {
		b.Run(tc.name, func(b *testing.B) {
			srv, done := benchServer(b, tc.firstParty)
			defer done()
			h := srv.Handler()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			postFreshHooks(b, h, body, "bench")
			if baseline > 0 {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/baseline, "x-baseline")
			}
		})
	}
}

// postFreshHooks posts body to the hook endpoint once per b.Loop, each
// time with a fresh request_id (prefix and a counter): a delivery that
// repeated one would be a duplicate and skip the write.
func postFreshHooks(b *testing.B, h http.Handler, body []byte, prefix string) {
	b.Helper()
	var reqID struct {
		Metadata struct {
			RequestID string `json:"request_id"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &reqID); err != nil {
		b.Fatal(err)
	}
	old := []byte(`"` + reqID.Metadata.RequestID + `"`)
	i := 0
	for b.Loop() {
		nb := bytes.Replace(body, old, []byte(fmt.Sprintf(`"%s-%09d"`, prefix, i)), 1)
		req := httptest.NewRequest(http.MethodPost, "/v1/agent/events", bytes.NewReader(nb))
		req.Header.Set("Authorization", "Bearer "+testKey)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		i++
	}
}
