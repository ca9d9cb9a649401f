// Package loadtest drives real `picket serve` processes with bursts of
// asynchronous events, optionally SIGKILLs one mid-burst, and checks what
// picket promises for an event it answered: recorded, evaluated once
// drained, never duplicated. It measures intake (acknowledged events per
// second) and drain (evaluated events per second, from the first request
// to an empty queue) in the same run.
//
// `go test ./host/internal/loadtest` runs small versions of every scenario;
// `make load` (cmd/picket-load) runs the 20,000-event ones and prints the
// report.
package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/picketsec/picket/host/internal/fixtures"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Scenario is one load run.
type Scenario struct {
	Name string
	// Bin is the picket binary.
	Bin string
	// Driver is "sqlite" or "postgres"; PostgresDSN is the server for the
	// latter (a fresh schema is made for the run and dropped after).
	Driver      string
	PostgresDSN string
	// Events is the burst size; Clients the concurrent senders.
	Events  int
	Clients int
	// Replicas is how many `picket serve` share the store (postgres only
	// when more than one).
	Replicas int
	// KillAfter, when positive, SIGKILLs replica 0 once this many events
	// are acknowledged. Restart starts it again on the same store at once;
	// without it, the other replicas must do all the work.
	KillAfter int
	Restart   bool
	// Lease is the work queue lease the replicas use (limits.queue_lease);
	// 0 leaves the default.
	Lease time.Duration
	// Dir holds data directories and logs; a temp dir when empty.
	Dir string
	// Timeout bounds the whole run; 0 means 10 minutes.
	Timeout time.Duration
	Log     io.Writer
}

// Report is what a run measured and found.
type Report struct {
	Name        string        `json:"name"`
	Driver      string        `json:"driver"`
	Replicas    int           `json:"replicas"`
	Killed      bool          `json:"killed"`
	Sent        int           `json:"sent"`
	Acked       int           `json:"acked"`
	Intake      time.Duration `json:"intake_ns"` // first request to last acknowledgement
	Drain       time.Duration `json:"drain_ns"`  // first request to an empty queue
	IntakeRate  float64       `json:"intake_per_s"`
	DrainRate   float64       `json:"drain_per_s"`
	Ratio       float64       `json:"drain_over_intake"`
	Recorded    int           `json:"recorded"`    // events of the run in the store
	Lost        int           `json:"lost"`        // acknowledged, not in the store
	Unevaluated int           `json:"unevaluated"` // in the store, not evaluated once drained
	Duplicated  int           `json:"duplicated"`  // request IDs recorded more than once
	Queue       int           `json:"queue"`       // rows left in the work queue
}

func (r *Report) String() string {
	kill := ""
	if r.Killed {
		kill = " (one replica SIGKILLed mid-burst)"
	}
	return fmt.Sprintf("%s: %s, %d replica(s)%s: %d events acknowledged in %.2fs (intake %.0f/s), drained in %.2fs (drain %.0f/s, %.0f%% of intake); lost %d, unevaluated %d, duplicated %d, left in queue %d",
		r.Name, r.Driver, r.Replicas, kill, r.Acked, r.Intake.Seconds(), r.IntakeRate, r.Drain.Seconds(), r.DrainRate, 100*r.Ratio,
		r.Lost, r.Unevaluated, r.Duplicated, r.Queue)
}

// OK says whether the run kept every promise.
func (r *Report) OK() bool {
	return r.Acked > 0 && r.Lost == 0 && r.Unevaluated == 0 && r.Duplicated == 0 && r.Queue == 0
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

type run struct {
	sc       Scenario
	dir      string
	cfgFile  string
	key      string
	schema   string
	runID    string
	mu       sync.Mutex
	procs    []*proc
	template map[string]any
}

func newKey() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return "pk_load_" + hex.EncodeToString(b[:])
}

// Run runs sc and reports. An error means the run could not be made (a
// process did not start, the store was unreachable), not a broken promise:
// see Report.OK.
func Run(ctx context.Context, sc Scenario) (*Report, error) {
	if sc.Clients <= 0 {
		sc.Clients = 16
	}
	if sc.Replicas <= 0 {
		sc.Replicas = 1
	}
	if sc.Timeout <= 0 {
		sc.Timeout = 10 * time.Minute
	}
	if sc.Log == nil {
		sc.Log = io.Discard
	}
	if sc.Driver == "" {
		sc.Driver = "sqlite"
	}
	if sc.Replicas > 1 && sc.Driver != "postgres" {
		return nil, errors.New("loadtest: several replicas need postgres")
	}
	ctx, cancel := context.WithTimeout(ctx, sc.Timeout)
	defer cancel()
	r := &run{sc: sc, key: newKey(), runID: hex.EncodeToString([]byte(time.Now().Format("150405.000")))}
	if sc.Dir == "" {
		d, err := os.MkdirTemp("", "picket-load")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		sc.Dir = d
	}
	r.dir = sc.Dir
	if err := r.setup(ctx); err != nil {
		return nil, err
	}
	defer r.teardown()
	for i := range sc.Replicas {
		if err := r.start(ctx, i); err != nil {
			return nil, err
		}
	}
	rep, err := r.burst(ctx)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (r *run) setup(ctx context.Context) error {
	for _, fx := range fixtures.All() {
		if fx.Name == "tool_call_entire_request.anthropic.claude-code-streamed" {
			if err := json.Unmarshal(fx.Body, &r.template); err != nil {
				return err
			}
		}
	}
	if r.template == nil {
		return errors.New("loadtest: fixture missing")
	}
	data := filepath.Join(r.dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	// Replicas share the spool key (each must open the others' spools)
	// and the fingerprint key.
	for _, name := range []string{"spool.key", "fingerprint.key"} {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if err := os.WriteFile(filepath.Join(data, name), b, 0o600); err != nil {
			return err
		}
	}
	store := `driver = "sqlite"` + "\n  dsn = \"picket.db\""
	if r.sc.Driver == "postgres" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		r.schema = "picket_load_" + hex.EncodeToString(b[:])
		c, err := pgx.Connect(ctx, r.sc.PostgresDSN)
		if err != nil {
			return fmt.Errorf("loadtest: postgres: %w", err)
		}
		_, err = c.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{r.schema}.Sanitize())
		c.Close(ctx)
		if err != nil {
			return fmt.Errorf("loadtest: postgres: %w", err)
		}
		store = fmt.Sprintf("driver = \"postgres\"\n  dsn = %q", withSearchPath(r.sc.PostgresDSN, r.schema))
	}
	sum := sha256.Sum256([]byte(r.key))
	cfg := fmt.Sprintf(`listen = "127.0.0.1:0"
mode = "enforce"
data_dir = %q
store {
  %s
}
tenant "load" {
  api_key_sha256 = [%q]
}
`, data, store, hex.EncodeToString(sum[:]))
	if r.sc.Lease > 0 {
		cfg += fmt.Sprintf("limits {\n  queue_lease = %q\n}\n", r.sc.Lease.String())
	}
	r.cfgFile = filepath.Join(r.dir, "picket.hcl")
	return os.WriteFile(r.cfgFile, []byte(cfg), 0o600)
}

// withSearchPath adds search_path to a PostgreSQL URL or key=value DSN.
func withSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	return dsn + " search_path=" + schema
}

var bannerRE = regexp.MustCompile(`serving Aperture hooks on http://([^/\s]+)/`)

// start starts replica i and waits for its address.
func (r *run) start(ctx context.Context, i int) error {
	logf, err := os.OpenFile(filepath.Join(r.dir, fmt.Sprintf("replica-%d.log", i)), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(r.sc.Bin, "serve", "--config", r.cfgFile)
	cmd.Env = append(os.Environ(), "PICKET_LOG_LEVEL=warn")
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := bannerRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	select {
	case a := <-addr:
		p.addr = a
	case <-p.done:
		return fmt.Errorf("loadtest: replica %d exited at start (see %s)", i, logf.Name())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		return fmt.Errorf("loadtest: replica %d did not start in 60s", i)
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return ctx.Err()
	}
	r.mu.Lock()
	for len(r.procs) <= i {
		r.procs = append(r.procs, nil)
	}
	r.procs[i] = p
	r.mu.Unlock()
	fmt.Fprintf(r.sc.Log, "replica %d: pid %d on %s\n", i, cmd.Process.Pid, p.addr)
	return nil
}

// live returns the addresses of replicas that are running.
func (r *run) live() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, p := range r.procs {
		if p == nil {
			continue
		}
		select {
		case <-p.done:
		default:
			out = append(out, p.addr)
		}
	}
	return out
}

func (r *run) kill(i int) {
	r.mu.Lock()
	p := r.procs[i]
	r.mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	fmt.Fprintf(r.sc.Log, "replica %d: SIGKILLed\n", i)
}

func (r *run) teardown() {
	r.mu.Lock()
	procs := append([]*proc(nil), r.procs...)
	r.mu.Unlock()
	for _, p := range procs {
		if p == nil {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if r.schema != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, r.sc.PostgresDSN); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{r.schema}.Sanitize()+" CASCADE")
			c.Close(ctx)
		}
	}
}

func (r *run) body(i int) []byte {
	m := r.template["metadata"].(map[string]any)
	md := make(map[string]any, len(m))
	for k, v := range m {
		md[k] = v
	}
	md["request_id"] = r.reqID(i)
	md["session_id"] = fmt.Sprintf("load-%s-s%d", r.runID, i%50)
	cp := make(map[string]any, len(r.template))
	for k, v := range r.template {
		cp[k] = v
	}
	cp["metadata"] = md
	b, _ := json.Marshal(cp)
	return b
}

func (r *run) reqID(i int) string { return fmt.Sprintf("load-%s-%06d", r.runID, i) }

// burst sends the events, kills and restarts as the scenario says, waits
// for the queue to drain and checks the store.
func (r *run) burst(ctx context.Context) (*Report, error) {
	sc := r.sc
	rep := &Report{Name: sc.Name, Driver: sc.Driver, Replicas: sc.Replicas, Sent: sc.Events}
	bodies := make([][]byte, sc.Events)
	for i := range bodies {
		bodies[i] = r.body(i)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: sc.Clients}}
	var (
		next    atomic.Int64
		acked   atomic.Int64
		killed  atomic.Bool
		wg      sync.WaitGroup
		lastAck atomic.Int64
		errMu   sync.Mutex
		sendErr error
	)
	ackedIDs := make([]bool, sc.Events)
	start := time.Now()
	for c := range sc.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= sc.Events {
					return
				}
				// A gateway retries a request whose connection died (the
				// replica was killed): same request ID, another replica.
				for attempt := 0; ; attempt++ {
					addrs := r.live()
					if len(addrs) == 0 {
						time.Sleep(20 * time.Millisecond)
						if ctx.Err() != nil {
							return
						}
						continue
					}
					err := post(ctx, client, addrs[(c+attempt)%len(addrs)], r.key, bodies[i])
					if err == nil {
						ackedIDs[i] = true
						n := acked.Add(1)
						lastAck.Store(int64(time.Since(start)))
						if sc.KillAfter > 0 && int(n) == sc.KillAfter && killed.CompareAndSwap(false, true) {
							go func() {
								r.kill(0)
								if sc.Restart {
									if err := r.start(ctx, 0); err != nil {
										errMu.Lock()
										sendErr = err
										errMu.Unlock()
									}
								}
							}()
						}
						break
					}
					if ctx.Err() != nil || attempt > 200 {
						errMu.Lock()
						sendErr = fmt.Errorf("event %d: %w", i, err)
						errMu.Unlock()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	if sendErr != nil {
		return nil, sendErr
	}
	rep.Killed = killed.Load()
	rep.Acked = int(acked.Load())
	rep.Intake = time.Duration(lastAck.Load())
	// Wait for the restart, if any, before looking at the queue.
	for sc.Restart && rep.Killed && len(r.live()) < sc.Replicas && ctx.Err() == nil {
		time.Sleep(20 * time.Millisecond)
	}
	db, closeDB, err := r.open(ctx)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	for {
		var depth int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM work_queue`).Scan(&depth); err != nil {
			return nil, fmt.Errorf("loadtest: queue depth: %w", err)
		}
		if depth == 0 {
			rep.Drain = time.Since(start)
			break
		}
		select {
		case <-ctx.Done():
			rep.Drain = time.Since(start)
			rep.Queue = depth
			fmt.Fprintf(sc.Log, "not drained: %d queued\n", depth)
			return r.check(ctx, db, rep, ackedIDs)
		case <-time.After(25 * time.Millisecond):
		}
	}
	return r.check(ctx, db, rep, ackedIDs)
}

func post(ctx context.Context, c *http.Client, addr, key string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/agent/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(b) != "{}" {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	return nil
}

// open opens the run's store read-only for checks.
func (r *run) open(ctx context.Context) (*sql.DB, func(), error) {
	if r.sc.Driver == "postgres" {
		db, err := sql.Open("pgx", withSearchPath(r.sc.PostgresDSN, r.schema))
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, db.PingContext(ctx)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(r.dir, "data", "picket.db")+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, nil, err
	}
	return db, func() { db.Close() }, db.PingContext(ctx)
}

func (r *run) check(ctx context.Context, db *sql.DB, rep *Report, acked []bool) (*Report, error) {
	q := `SELECT request_id, COUNT(*), SUM(CASE WHEN evaluated_ns IS NULL THEN 1 ELSE 0 END) FROM events WHERE request_id LIKE ? GROUP BY request_id`
	if r.sc.Driver == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	rows, err := db.QueryContext(ctx, q, "load-"+r.runID+"-%")
	if err != nil {
		return nil, fmt.Errorf("loadtest: check: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		var n, pending int
		if err := rows.Scan(&id, &n, &pending); err != nil {
			return nil, err
		}
		seen[id] = true
		rep.Recorded++
		if n > 1 {
			rep.Duplicated += n - 1
		}
		rep.Unevaluated += pending
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, ok := range acked {
		if ok && !seen[r.reqID(i)] {
			rep.Lost++
		}
	}
	if rep.Queue == 0 {
		_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM work_queue`).Scan(&rep.Queue)
	}
	if rep.Intake > 0 {
		rep.IntakeRate = float64(rep.Acked) / rep.Intake.Seconds()
	}
	if rep.Drain > 0 {
		rep.DrainRate = float64(rep.Recorded) / rep.Drain.Seconds()
	}
	if rep.IntakeRate > 0 {
		rep.Ratio = rep.DrainRate / rep.IntakeRate
	}
	return rep, nil
}
