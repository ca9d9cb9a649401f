package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/audit/audittest"
	"github.com/picketsec/picket/sdk"
)

func TestExport(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		now := time.Now().UTC()
		seeded, err := audittest.Seed(ctx, s, "acme", now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audittest.Seed(ctx, s, "globex", now); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := audit.Export(ctx, s, "acme", now.Add(-3*time.Hour), "jsonl", &buf); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != len(seeded.Events) {
			t.Fatalf("%d jsonl lines, want %d", len(lines), len(seeded.Events))
		}
		var prev time.Time
		findings := 0
		for i, l := range lines {
			var r audit.ExportRecord
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
			if r.Tenant != "acme" || r.ReceivedAt.Before(prev) {
				t.Errorf("line %d: tenant %q at %v after %v", i, r.Tenant, r.ReceivedAt, prev)
			}
			prev = r.ReceivedAt
			findings += len(r.Findings)
		}
		if findings != 9 {
			t.Errorf("%d findings exported, want 9", findings)
		}
		if strings.Contains(buf.String(), "Add retries to the upload client") {
			t.Error("jsonl export holds item text")
		}
		// since filters.
		buf.Reset()
		if err := audit.Export(ctx, s, "acme", now.Add(time.Minute), "jsonl", &buf); err != nil || buf.Len() != 0 {
			t.Errorf("export of the future: %q %v", buf.String(), err)
		}
		// CSV: a row per finding, one for an event without.
		buf.Reset()
		if err := audit.Export(ctx, s, "acme", time.Time{}, "csv", &buf); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if rows[0][0] != "event_id" || len(rows) != 1+9+4 {
			t.Errorf("csv has %d rows (header %v), want 14", len(rows), rows[0])
		}
		for _, r := range rows[1:] {
			if r[2] != "acme" || len(r) != len(rows[0]) {
				t.Errorf("csv row %v", r)
			}
		}
		if err := audit.Export(ctx, s, "acme", time.Time{}, "xml", io.Discard); err == nil {
			t.Error("unknown format accepted")
		}
	})
}

func alertEvent(sev sdk.Severity, msg string) (*audit.Event, *audit.Result) {
	ev := &audit.Event{ID: "ev-1", Tenant: "acme", Type: sdk.EventPreRequest, SessionID: "s1", ReceivedAt: t0,
		Identity: sdk.Identity{Login: "alice@example.com"}, Items: []audit.Item{{Text: "item text not for sinks"}}}
	res := &audit.Result{Decision: "block", WouldBlock: true, Mode: "enforce", Category: "secrets", Findings: []audit.Finding{
		{Finding: sdk.Finding{Detector: "secrets", Rule: "aws", Category: "secrets", Severity: sev, Message: msg, Redacted: `AKIA"**]`, Fingerprint: "fp1"}, Action: "block"},
		{Finding: sdk.Finding{Detector: "secrets", Rule: "low", Category: "secrets", Severity: sdk.SeverityLow, Message: "low"}, Action: "alert"},
		{Finding: sdk.Finding{Detector: "secrets", Rule: "allow", Category: "secrets", Severity: sdk.SeverityCritical, Message: "allowlisted"}, Action: "block", Suppressed: "allowlist"},
	}}
	return ev, res
}

func TestWebhookSink(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		got   []audit.Alert
		calls atomic.Int32
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Header.Get("Authorization") != "Bearer hook-key" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if n <= 2 { // the first two tries fail: the sink retries
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var a audit.Alert
		if err := json.NewDecoder(r.Body).Decode(&a); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, a)
		mu.Unlock()
	}))
	defer srv.Close()
	sink, err := audit.NewWebhookSink(audit.WebhookConfig{URL: srv.URL, Headers: map[string]string{"Authorization": "Bearer hook-key"},
		Backoff: time.Millisecond, MaxRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	ev, res := alertEvent(sdk.SeverityCritical, "AWS key in the prompt")
	sink.Emit(ev, res)
	evLow, resLow := alertEvent(sdk.SeverityMedium, "below the sink's severity")
	evLow.ID = "ev-low"
	resLow.Findings = resLow.Findings[:2]
	sink.Emit(evLow, resLow) // nothing at or above high: not sent
	sink.Emit(nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sink.Close(ctx); err != nil {
		t.Fatal(err)
	}
	sink.Emit(ev, res) // after Close: dropped, no panic
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].EventID != "ev-1" || len(got[0].Findings) != 1 || got[0].Findings[0].Rule != "aws" {
		t.Fatalf("received %+v", got)
	}
	if st := sink.Stats(); st.Sent != 1 || st.Failed != 0 || st.Dropped != 1 || calls.Load() != 3 {
		t.Errorf("stats %+v, %d calls", st, calls.Load())
	}
}

func TestWebhookSinkNeverBlocks(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	sink, err := audit.NewWebhookSink(audit.WebhookConfig{URL: srv.URL, QueueSize: 4, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ev, res := alertEvent(sdk.SeverityHigh, "m")
	start := time.Now()
	for i := 0; i < 100; i++ {
		sink.Emit(ev, res)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 emits against a stuck receiver took %v", d)
	}
	if st := sink.Stats(); st.Dropped < 90 {
		t.Errorf("stats %+v: the bounded queue must drop", st)
	}
	// Close gives up on the stuck receiver when its context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := sink.Close(ctx); err == nil {
		t.Error("close against a stuck receiver should report the deadline")
	}
	if _, err := audit.NewWebhookSink(audit.WebhookConfig{URL: "ftp://x"}); err == nil {
		t.Error("ftp url accepted")
	}
}

var rfc5424 = regexp.MustCompile(`^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) (\[picket@32473 [^\n]*\]) (.*)$`)

func checkSyslog(t *testing.T, msg string) {
	t.Helper()
	m := rfc5424.FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("not RFC 5424: %q", msg)
	}
	if m[1] != strconv.Itoa(10*8+2) || m[3] != "testhost" || m[4] != "picket" || m[6] != "secrets" {
		t.Errorf("header fields %q", m[1:7])
	}
	if _, err := time.Parse(time.RFC3339Nano, m[2]); err != nil {
		t.Errorf("timestamp %q: %v", m[2], err)
	}
	for _, want := range []string{`event_id="ev-1"`, `detector="secrets"`, `severity="critical"`, `redacted="AKIA\"**\]"`, `would_block="true"`} {
		if !strings.Contains(m[7], want) {
			t.Errorf("structured data %s lacks %s", m[7], want)
		}
	}
	if m[8] != "AWS key in the prompt" {
		t.Errorf("msg %q", m[8])
	}
}

func TestSyslogSinkUDP(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sink, err := audit.NewSyslogSink(audit.SyslogConfig{Network: "udp", Address: pc.LocalAddr().String(), Hostname: "testhost"})
	if err != nil {
		t.Fatal(err)
	}
	ev, res := alertEvent(sdk.SeverityCritical, "AWS key in the prompt")
	sink.Emit(ev, res)
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	checkSyslog(t, string(buf[:n]))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sink.Close(ctx); err != nil {
		t.Error(err)
	}
	if st := sink.Stats(); st.Sent != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestSyslogSinkTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	msgs := make(chan string, 10)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			// Octet counting: "LEN SP MSG".
			var n int
			if _, err := fmt.Fscanf(r, "%d ", &n); err != nil {
				return
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return
			}
			msgs <- string(b)
		}
	}()
	sink, err := audit.NewSyslogSink(audit.SyslogConfig{Network: "tcp", Address: ln.Addr().String(), Hostname: "testhost"})
	if err != nil {
		t.Fatal(err)
	}
	ev, res := alertEvent(sdk.SeverityCritical, "AWS key in the prompt")
	sink.Emit(ev, res)
	sink.Emit(ev, res)
	for i := 0; i < 2; i++ {
		select {
		case m := <-msgs:
			checkSyslog(t, m)
		case <-time.After(5 * time.Second):
			t.Fatal("no syslog message over tcp")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = sink.Close(ctx)
	if _, err := audit.NewSyslogSink(audit.SyslogConfig{Network: "unix", Address: "x:1"}); err == nil {
		t.Error("unix network accepted")
	}
	var _ audit.Sink = audit.Sinks{sink}
}

// wrapped hides the SQL store behind the interface, so Export takes its
// generic path (ListEvents + GetEvent).
type wrapped struct{ audit.Store }

func TestExportPages(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, s audit.Store) {
		ctx := testCtx(t)
		const n = 1103 // more than two export pages
		for i := 0; i < n; i++ {
			// Groups of three share a timestamp: the ID orders them.
			id := fmt.Sprintf("x%04d", i)
			mustRecord(t, s, ev("acme", id, sdk.EventPreRequest, "", "s", t0.Add(time.Duration(i/3)*time.Millisecond)))
			if i%100 == 0 {
				mustComplete(t, s, id, result("block", true, time.Millisecond, fnd("secrets", "secrets", sdk.SeverityHigh, "")))
			}
		}
		for _, format := range []string{"jsonl", "csv"} {
			var direct, generic bytes.Buffer
			if err := audit.Export(ctx, s, "acme", t0.Add(time.Millisecond), format, &direct); err != nil {
				t.Fatal(err)
			}
			if err := audit.Export(ctx, wrapped{s}, "acme", t0.Add(time.Millisecond), format, &generic); err != nil {
				t.Fatal(err)
			}
			if direct.String() != generic.String() {
				t.Errorf("%s: the two export paths differ", format)
			}
			lines := strings.Count(direct.String(), "\n")
			want := n - 3
			if format == "csv" {
				want++ // header
			}
			if lines != want {
				t.Errorf("%s: %d lines, want %d", format, lines, want)
			}
		}
	})
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := t0
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2026-11-20T09:00:00Z", t0.Add(-time.Hour), true},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), true},
		{"24h", t0.Add(-24 * time.Hour), true},
		{"-90m", t0.Add(-90 * time.Minute), true},
		{"0", time.Unix(0, 0), true},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	} {
		got, err := audit.ParseTime(c.in, now)
		if (err == nil) != c.ok || !got.Equal(c.want) {
			t.Errorf("ParseTime(%q) = %v, %v", c.in, got, err)
		}
	}
}
