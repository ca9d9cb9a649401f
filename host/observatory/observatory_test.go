package observatory_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/audit/audittest"
	"github.com/picketsec/picket/host/observatory"
)

// keys maps test API keys to tenants.
var keys = map[string]string{"acme-key": "acme", "globex-key": "globex"}

const tenantKey = "test.tenant"

func testAuth(c *gin.Context) {
	k := strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer ")
	t, ok := keys[k]
	if !ok {
		c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "unauthorized"})
		return
	}
	c.Set(tenantKey, t)
}

type fixture struct {
	srv   *httptest.Server
	store audit.Store
	acme  *audittest.Seeded
	globe *audittest.Seeded
	now   time.Time
}

func detectorsJSON() any {
	return []map[string]any{
		{"id": "secrets", "version": "1.4.0", "runtime": "builtin", "kinds": []string{"prompt", "tool_call", "tool_result", "response"}, "health": "ok", "calls": 1520, "errors": 0, "latency_p50_ns": 180000, "latency_p99_ns": 950000},
		{"id": "injection", "version": "0.9.2", "runtime": "process", "kinds": []string{"tool_result", "prompt"}, "health": "ok", "calls": 1498, "errors": 3, "latency_p50_ns": 420000, "latency_p99_ns": 2900000},
		{"id": "acme-denylist", "version": "0.1.0", "runtime": "wasm", "kinds": []string{"prompt"}, "health": "degraded", "calls": 1511, "errors": 41, "latency_p50_ns": 90000, "latency_p99_ns": 300000},
	}
}

// storeConfig returns a config for a fresh store of driver: SQLite in a
// temporary directory, or PostgreSQL (PICKET_TEST_POSTGRES_DSN) in a fresh
// schema dropped at the end; PostgreSQL skips when unreachable unless
// PICKET_REQUIRE_POSTGRES=1.
func storeConfig(t *testing.T, driver string) audit.Config {
	t.Helper()
	if driver == "sqlite" {
		return audit.Config{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "audit.db")}
	}
	dsn := os.Getenv("PICKET_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("PICKET_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("postgres unreachable and PICKET_REQUIRE_POSTGRES=1: %v", err)
		}
		t.Skipf("PostgreSQL tests skipped: no server at PICKET_TEST_POSTGRES_DSN %s (%v); start one, or set PICKET_REQUIRE_POSTGRES=1 (as CI does) to fail instead", dsn, err)
	}
	_ = c.Close(ctx)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "picket_obs_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, dsn); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			_ = c.Close(ctx)
		}
	})
	return audit.Config{Driver: "postgres", DSN: dsn, Schema: schema, MaxConns: 4}
}

func newFixture(t *testing.T, driver string) *fixture {
	t.Helper()
	gin.SetMode(gin.TestMode)
	cfg := storeConfig(t, driver)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := audit.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	now := time.Now().UTC()
	f := &fixture{store: s, now: now}
	if f.acme, err = audittest.Seed(ctx, s, "acme", now); err != nil {
		t.Fatal(err)
	}
	if f.globe, err = audittest.Seed(ctx, s, "globex", now); err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	observatory.Register(r, testAuth, observatory.Deps{
		Store:     s,
		TenantOf:  func(c *gin.Context) string { return c.GetString(tenantKey) },
		Detectors: detectorsJSON,
		Now:       func() time.Time { return now },
	})
	f.srv = httptest.NewServer(r)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) get(t *testing.T, key, path string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	return resp.StatusCode, string(b)
}

func TestAPI(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			testAPI(t, newFixture(t, driver))
		})
	}
}

func testAPI(t *testing.T, f *fixture) {

	t.Run("events and filters", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			query string
			n     int
		}{
			{"", 13},
			{"?decision=block", 2},
			{"?would_block=true", 5},
			{"?decision=pending", 1},
			{"?category=command", 3},
			{"?detector=secrets&min_severity=critical", 1},
			{"?min_severity=high", 6},
			{"?login=bob@example.com", 4},
			{"?session=acme-sess-codex-bob&type=entire_request", 1},
			{"?type=tool_call_entire_request", 1},
			{"?since=3h&until=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), 13},
			{"?since=1s", 0},
		}
		for _, c := range cases {
			var page audit.EventPage
			code, body := f.get(t, "acme-key", "/v1/events"+c.query, &page)
			if code != http.StatusOK || len(page.Events) != c.n {
				t.Errorf("%s: %d, %d events, want %d: %s", c.query, code, len(page.Events), c.n, body)
			}
		}
	})

	t.Run("pagination", func(t *testing.T) {
		t.Parallel()
		seen := map[string]bool{}
		cursor := ""
		for i := 0; i < 10; i++ {
			var page audit.EventPage
			code, body := f.get(t, "acme-key", "/v1/events?limit=4&cursor="+url.QueryEscape(cursor), &page)
			if code != http.StatusOK {
				t.Fatalf("%d %s", code, body)
			}
			for _, e := range page.Events {
				if seen[e.ID] {
					t.Errorf("%s twice", e.ID)
				}
				seen[e.ID] = true
			}
			if cursor = page.Next; cursor == "" {
				break
			}
		}
		if len(seen) != 13 {
			t.Errorf("paged through %d events", len(seen))
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct{ query, param string }{
			{"/v1/events?limit=0", "limit"},
			{"/v1/events?limit=abc", "limit"},
			{"/v1/events?limit=5000", "limit"},
			{"/v1/events?cursor=zzz", "cursor"},
			{"/v1/events?decision=maybe", "decision"},
			{"/v1/events?would_block=perhaps", "would_block"},
			{"/v1/events?min_severity=severe", "min_severity"},
			{"/v1/events?since=yesterday", "since"},
			{"/v1/events?type=post_response", "type"},
			{"/v1/sessions?until=never", "until"},
			{"/v1/sessions?min_risk=high", "min_risk"},
			{"/v1/sessions?min_risk=-5", "min_risk"},
			{"/v1/findings?tool=" + strings.Repeat("x", 300), "tool"},
			{"/v1/findings?include_suppressed=2x", "include_suppressed"},
			{"/v1/stats?bucket=fortnight", "bucket"},
			{"/v1/stats?bucket=1ms", "bucket"},
			{"/v1/stats?since=1h&bucket=1s&until=" + url.QueryEscape(time.Now().Add(24*time.Hour).Format(time.RFC3339)), "bucket"},
			{"/v1/stats?since=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), "since"},
		} {
			code, body := f.get(t, "acme-key", c.query, nil)
			var e struct{ Error, Param string }
			_ = json.Unmarshal([]byte(body), &e)
			if code != http.StatusBadRequest || e.Param != c.param || !strings.Contains(e.Error, c.param) {
				t.Errorf("%s: %d %s, want 400 naming %s", c.query, code, body, c.param)
			}
		}
	})

	t.Run("event detail", func(t *testing.T) {
		t.Parallel()
		var d audit.EventDetail
		code, body := f.get(t, "acme-key", "/v1/events/"+f.acme.Events[1], &d)
		if code != http.StatusOK || d.Result == nil || d.Result.Decision != "block" || len(d.Items) != 2 || len(d.Result.Detectors) != 3 || len(d.Result.Findings) != 1 {
			t.Fatalf("%d %s", code, body)
		}
		if strings.Contains(body, "spool") || strings.Contains(body, "sealed:v1") {
			t.Errorf("detail exposes the spool: %s", body)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		t.Parallel()
		var page audit.SessionPage
		code, body := f.get(t, "acme-key", "/v1/sessions", &page)
		if code != http.StatusOK || len(page.Sessions) != 3 {
			t.Fatalf("%d %s", code, body)
		}
		var d audit.SessionDetail
		code, body = f.get(t, "acme-key", "/v1/sessions/"+url.PathEscape(page.Sessions[0].ID), &d)
		if code != http.StatusOK || len(d.Events) != d.Requests || d.Requests == 0 {
			t.Fatalf("%d %s", code, body)
		}
		// Filtered by login, agent, risk and time.
		for q, want := range map[string]int{
			"?login=bob@example.com":                1,
			"?agent=claude-cli":                     1,
			"?agent=GeminiCLI&min_risk=40":          1,
			"?min_risk=50":                          1,
			"?min_risk=40&sort=risk":                3,
			"?min_risk=100":                         0,
			"?since=1m":                             0,
			"?since=3h&agent=codex_cli_rs":          1,
			"?until=2000-01-01T00:00:00Z&sort=risk": 0,
		} {
			var p audit.SessionPage
			if code, body := f.get(t, "acme-key", "/v1/sessions"+q, &p); code != http.StatusOK || len(p.Sessions) != want {
				t.Errorf("sessions%s: %d, %d sessions, want %d: %s", q, code, len(p.Sessions), want, body)
			}
		}
	})

	t.Run("findings", func(t *testing.T) {
		t.Parallel()
		var page audit.FindingPage
		if code, body := f.get(t, "acme-key", "/v1/findings?category=secrets", &page); code != http.StatusOK || len(page.Findings) != 3 {
			t.Fatalf("%d %s", code, body)
		}
		if code, body := f.get(t, "acme-key", "/v1/findings?category=secrets&include_suppressed=true", &page); code != http.StatusOK || len(page.Findings) != 4 {
			t.Fatalf("%d %s", code, body)
		}
		if code, body := f.get(t, "acme-key", "/v1/findings?tool=Bash&since=3h", &page); code != http.StatusOK || len(page.Findings) != 2 || page.Findings[0].Tool != "Bash" {
			t.Fatalf("tool facet: %d %s", code, body)
		}
		until := url.QueryEscape(time.Now().Add(-24 * time.Hour).Format(time.RFC3339))
		if code, body := f.get(t, "acme-key", "/v1/findings?since=720h&until="+until, &page); code != http.StatusOK || len(page.Findings) != 0 {
			t.Fatalf("time range before the trail: %d %s", code, body)
		}
	})

	t.Run("stats", func(t *testing.T) {
		t.Parallel()
		var st audit.Stats
		code, body := f.get(t, "acme-key", "/v1/stats?since=3h&bucket=30m", &st)
		if code != http.StatusOK || len(st.Buckets) < 6 || st.Totals.Events != 13 || st.Totals.Blocked != 2 || len(st.Categories) != 3 {
			t.Fatalf("%d %s", code, body)
		}
		if code, _ := f.get(t, "acme-key", "/v1/stats", &st); code != http.StatusOK || len(st.Buckets) != 24 && len(st.Buckets) != 25 {
			t.Errorf("default stats: %d, %d buckets", code, len(st.Buckets))
		}
	})

	t.Run("tenant isolation", func(t *testing.T) {
		t.Parallel()
		// globex cannot read acme's event or session by ID...
		for _, p := range []string{"/v1/events/" + f.acme.Events[1], "/v1/sessions/" + f.acme.Sessions[0], "/v1/events/nope", "/v1/sessions/nope"} {
			if code, body := f.get(t, "globex-key", p, nil); code != http.StatusNotFound || !strings.Contains(body, `"error"`) {
				t.Errorf("globex GET %s: %d %s", p, code, body)
			}
		}
		// ...and sees only its own rows in lists, even when filtering on
		// acme's session.
		var page audit.EventPage
		f.get(t, "globex-key", "/v1/events?limit=1000", &page)
		for _, e := range page.Events {
			if !strings.HasPrefix(e.ID, "globex-") {
				t.Errorf("globex sees %s", e.ID)
			}
		}
		f.get(t, "globex-key", "/v1/events?session="+f.acme.Sessions[0], &page)
		if len(page.Events) != 0 {
			t.Errorf("globex sees acme's session events")
		}
		var sp audit.SessionPage
		f.get(t, "globex-key", "/v1/sessions", &sp)
		for _, s := range sp.Sessions {
			if !strings.HasPrefix(s.ID, "globex-") {
				t.Errorf("globex sees session %s", s.ID)
			}
		}
		var fp audit.FindingPage
		f.get(t, "globex-key", "/v1/findings?include_suppressed=true&limit=1000", &fp)
		for _, x := range fp.Findings {
			if !strings.HasPrefix(x.EventID, "globex-") {
				t.Errorf("globex sees finding of %s", x.EventID)
			}
		}
	})

	t.Run("auth", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{"/v1/events", "/v1/events/x", "/v1/sessions", "/v1/sessions/x", "/v1/findings", "/v1/stats", "/v1/detectors"} {
			if code, _ := f.get(t, "", p, nil); code != http.StatusUnauthorized {
				t.Errorf("GET %s without a key: %d", p, code)
			}
			if code, _ := f.get(t, "wrong", p, nil); code != http.StatusUnauthorized {
				t.Errorf("GET %s with a wrong key: %d", p, code)
			}
		}
	})

	t.Run("export", func(t *testing.T) {
		t.Parallel()
		code, body := f.get(t, "acme-key", "/v1/export?since=3h", nil)
		if code != http.StatusOK || strings.Count(body, "\n") != 13 || strings.Contains(body, "globex") {
			t.Errorf("jsonl export: %d\n%s", code, body)
		}
		code, body = f.get(t, "globex-key", "/v1/export?since=3h&format=csv", nil)
		if code != http.StatusOK || !strings.HasPrefix(body, "event_id,") || strings.Contains(body, "acme") {
			t.Errorf("csv export: %d\n%s", code, body)
		}
		if code, body := f.get(t, "acme-key", "/v1/export?format=xml", nil); code != http.StatusBadRequest || !strings.Contains(body, "format") {
			t.Errorf("bad format: %d %s", code, body)
		}
		if code, _ := f.get(t, "", "/v1/export", nil); code != http.StatusUnauthorized {
			t.Errorf("export without a key: %d", code)
		}
	})

	t.Run("detectors", func(t *testing.T) {
		t.Parallel()
		var ds []map[string]any
		if code, body := f.get(t, "acme-key", "/v1/detectors", &ds); code != http.StatusOK || len(ds) != 3 {
			t.Errorf("%d %s", code, body)
		}
	})

	t.Run("ui", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			path, ctype, want string
			code              int
		}{
			{"/ui/", "text/html", "picket Observatory", 200},
			{"/ui/app.js", "javascript", "Bearer", 200},
			{"/ui/app.css", "text/css", "--block", 200},
			{"/ui/favicon.svg", "image/svg+xml", "<svg", 200},
			{"/ui/nope.js", "", "", 404},
		} {
			resp, err := http.Get(f.srv.URL + c.path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.code || !strings.Contains(resp.Header.Get("Content-Type"), c.ctype) || !strings.Contains(string(b), c.want) {
				t.Errorf("GET %s: %d %q", c.path, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if c.code == 200 && !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("GET %s: no CSP", c.path)
			}
		}
		// /ui redirects to /ui/.
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(f.srv.URL + "/ui")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 3 || resp.Header.Get("Location") != "/ui/" {
			t.Errorf("/ui: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
