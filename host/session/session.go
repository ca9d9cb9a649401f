// Package session makes picket stateful per agent session. Before an event
// is evaluated it recalls, from the store that every replica shares, which
// of the event's items the session has already judged (those are not
// scanned again: their findings are reused), which credentials it has seen
// and what injected content asked for, and whether the session is
// quarantined. After the detectors ran it evaluates the trajectory as
// findings of its own: a credential seen earlier leaving in a tool call
// (exfiltration), a tool call doing what an injected item asked
// (injection-driven action), a request of a quarantined session. Then it
// commits what the event adds: judged items with their findings, new
// fingerprints, findings once per session, and a quarantine when an
// asynchronous event showed a block-level finding.
//
// The store keeps keyed hashes only: item digests, credential fingerprints
// (and fingerprints of their base64, hex and URL encodings, computed when
// the credential is first seen), lead fingerprints. No item text and no
// secret is stored.
package session

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/metrics"
	"github.com/picketsec/picket/sdk"
)

// Options configure a Manager.
type Options struct {
	Store   audit.MemoryStore
	Key     []byte // keys digests and fingerprints; required
	Metrics *metrics.Metrics
	Logger  hclog.Logger
	Now     func() time.Time
	// Writers commit pre_request memory in the background; default 2.
	Writers int
}

// Manager recalls and commits session memory. It is safe for concurrent use.
type Manager struct {
	store   audit.MemoryStore
	key     []byte
	metrics *metrics.Metrics
	log     hclog.Logger
	now     func() time.Time

	commits  chan pending
	wg       sync.WaitGroup
	inflight sync.WaitGroup // commits queued or running
	mu       sync.RWMutex   // held for reading while queueing; Close takes it to close commits
	closed   bool
	once     sync.Once
	stop     chan struct{} // closed by Close: stops the pruning loop

	// judged caches judged items by tenant, session and digest: a judged
	// item's findings never change (another detector set has another
	// signature), so replicas may each cache what the store holds.
	cacheMu sync.Mutex
	judged  map[string]audit.JudgedItem
}

// maxCached bounds the judged items cached in memory; past it the cache
// starts over.
const maxCached = 200000

type pending struct {
	t *Turn
	v *engine.Verdict
}

// New starts a Manager; Close stops it after the commits it holds.
func New(opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Writers <= 0 {
		opts.Writers = 2
	}
	m := &Manager{
		store: opts.Store, key: opts.Key, metrics: opts.Metrics, log: opts.Logger.Named("session"), now: opts.Now,
		commits: make(chan pending, 1024), stop: make(chan struct{}),
	}
	for range opts.Writers {
		m.wg.Add(1)
		go m.writer()
	}
	return m
}

// Close commits what is queued and stops the writers; later commits are
// written in the caller.
func (m *Manager) Close() {
	m.once.Do(func() {
		m.mu.Lock()
		m.closed = true
		close(m.commits)
		close(m.stop)
		m.mu.Unlock()
	})
	m.wg.Wait()
}

// Flush waits for the commits queued so far.
func (m *Manager) Flush() { m.inflight.Wait() }

// Group commits of the background writers: up to maxBatch updates that
// arrive within batchWindow share a transaction.
const (
	maxBatch    = 128
	batchWindow = 2 * time.Millisecond
)

func (m *Manager) writer() {
	defer m.wg.Done()
	batch := make([]pending, 0, maxBatch)
	window := time.NewTimer(batchWindow)
	for p := range m.commits {
		batch = append(batch[:0], p)
		window.Reset(batchWindow)
	fill:
		for len(batch) < maxBatch {
			select {
			case p, ok := <-m.commits:
				if !ok {
					break fill
				}
				batch = append(batch, p)
			case <-window.C:
				break fill
			}
		}
		m.commit(context.Background(), batch)
		for range batch {
			m.inflight.Done()
		}
	}
}

// Turn is one event's view of its session, from Begin to Commit.
type Turn struct {
	m      *Manager
	cfg    *config.Config
	tenant string
	key    string // the session key: the gateway's id, or derived
	ev     *sdk.Event
	now    time.Time

	digests []string                    // per item
	known   map[string]audit.JudgedItem // from the cache, until recalled
	judged  map[int][]sdk.Finding
	state   *audit.MemoryState
	marks   []audit.Mark // recalled, then those this event adds
	fresh   int          // marks[fresh:] are this event's
	cwd     string       // the agent's working directory, when the event says
	// found are the session's own findings of this event.
	found []sdk.Finding
}

func (t *Turn) cacheKey(digest string) string { return digest } // digests are keyed by tenant and session already

// Key returns the session key of the turn.
func (t *Turn) Key() string { return t.key }

// AutoPrefix starts the session keys that picket derives for conversations
// the gateway sent without a session id.
const AutoPrefix = "auto:"

// DeriveKey derives the session memory key from another secret of the
// host (the spool key), so that it survives restarts and is the same on
// replicas that share that secret.
func DeriveKey(secret []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("picket session memory v1"))
	return h.Sum(nil)
}

// Assign gives ev the session key it is remembered under: the gateway's
// session id, else one derived from the conversation's first items.
func Assign(m *Manager, ev *sdk.Event) {
	if m != nil && ev.SessionID == "" && len(ev.Items) > 0 {
		ev.SessionID = m.derive(ev)
	}
}

// Begin recalls ev's session: it sets ev.SessionID when the gateway sent
// none (to a key derived from the conversation's first items), sets each
// item's New flag (first seen in this session), and returns the turn to
// evaluate with. signature is the engine's current detector set. A nil
// Turn (and nil error) means session memory is off or the event has no
// items. On a store error the event is to be judged without memory.
func (m *Manager) Begin(ctx context.Context, ev *sdk.Event, cfg *config.Config, signature string) (*Turn, error) {
	t, ask := m.prepare(ev, cfg)
	if t == nil {
		return nil, nil
	}
	rc, err := m.store.Recall(ctx, t.tenant, t.key, ask)
	if err != nil {
		m.metrics.SessionError("recall")
		return nil, err
	}
	t.recalled(rc, signature)
	return t, nil
}

// BeginBatch is Begin for several events (an asynchronous worker's
// claimed batch) with one recall from the store for all of them, instead
// of a round trip per event: turns[i] is evs[i]'s turn, or nil. On a store
// error every event is to be judged without memory.
func (m *Manager) BeginBatch(ctx context.Context, evs []*sdk.Event, cfg *config.Config, signature string) ([]*Turn, error) {
	turns := make([]*Turn, len(evs))
	var (
		reqs []audit.RecallRequest
		at   []int
	)
	for i, ev := range evs {
		t, ask := m.prepare(ev, cfg)
		if t == nil {
			continue
		}
		turns[i] = t
		reqs, at = append(reqs, audit.RecallRequest{Tenant: t.tenant, Session: t.key, Digests: ask}), append(at, i)
	}
	if len(reqs) == 0 {
		return turns, nil
	}
	rcs, err := m.store.RecallBatch(ctx, reqs)
	if err != nil {
		m.metrics.SessionError("recall")
		return make([]*Turn, len(evs)), err
	}
	for k, i := range at {
		turns[i].recalled(rcs[k], signature)
	}
	return turns, nil
}

// prepare starts ev's turn (nil when memory is off or ev has no items)
// and returns the digests of its items that the cache does not hold.
func (m *Manager) prepare(ev *sdk.Event, cfg *config.Config) (*Turn, []string) {
	if m == nil || cfg == nil || !cfg.Session.Enabled || len(ev.Items) == 0 {
		return nil, nil
	}
	if ev.SessionID == "" {
		ev.SessionID = m.derive(ev)
	}
	t := &Turn{m: m, cfg: cfg, tenant: ev.Tenant, key: ev.SessionID, ev: ev, now: m.now(), judged: map[int][]sdk.Finding{}}
	t.digests = make([]string, len(ev.Items))
	for i, it := range ev.Items {
		t.digests[i] = m.digest(t.tenant, t.key, it)
	}
	t.known = make(map[string]audit.JudgedItem, len(t.digests))
	var ask []string
	m.cacheMu.Lock()
	for _, d := range t.digests {
		if j, ok := m.judged[t.cacheKey(d)]; ok {
			t.known[d] = j
		} else {
			ask = append(ask, d)
		}
	}
	m.cacheMu.Unlock()
	return t, ask
}

// recalled completes the turn with what the store recalled.
func (t *Turn) recalled(rc *audit.Recall, signature string) {
	m, ev, known := t.m, t.ev, t.known
	t.known = nil
	if rc.State == nil {
		// Forgotten (retention) or new: what the cache holds is stale.
		known = map[string]audit.JudgedItem{}
	}
	m.cacheMu.Lock()
	if m.judged == nil || len(m.judged)+len(rc.Items) > maxCached {
		m.judged = make(map[string]audit.JudgedItem)
	}
	for d, j := range rc.Items {
		m.judged[t.cacheKey(d)] = j
		known[d] = j
	}
	m.cacheMu.Unlock()
	rc.Items = known
	t.state = rc.State
	t.marks = rc.Marks
	t.fresh = len(t.marks)
	reused := 0
	for i := range ev.Items {
		it := &ev.Items[i]
		j, seen := rc.Items[t.digests[i]]
		it.New = !seen
		if seen && j.Signature == signature && it.Index == i {
			t.judged[i] = j.Findings
			reused++
		}
	}
	m.metrics.SessionItems(len(ev.Items)-reused, reused)
	t.cwd = workingDir(ev)
}

// Input is what the engine needs from the turn.
func (t *Turn) Input() *engine.SessionInput {
	if t == nil {
		return nil
	}
	in := &engine.SessionInput{Judged: t.judged, After: t.after}
	if t.ev.Type == sdk.EventPreRequest {
		if f, ok := t.quarantined(); ok {
			in.Before = []sdk.Finding{f}
			in.BeforeMode = t.state.Quarantine.Mode
		}
	}
	return in
}

// quarantined is the finding that blocks a request of a quarantined session.
func (t *Turn) quarantined() (sdk.Finding, bool) {
	if t.state == nil || !t.state.Quarantine.Active(t.now) {
		return sdk.Finding{}, false
	}
	q := t.state.Quarantine
	msg := fmt.Sprintf("Session quarantined since %s: %s (event %s)", q.Since.UTC().Format(time.RFC3339), q.Reason, q.Event)
	if !q.Until.IsZero() {
		msg += fmt.Sprintf("; until %s", q.Until.UTC().Format(time.RFC3339))
	}
	return sdk.Finding{
		Rule: "quarantined", Category: "quarantine", Class: q.Reason, Severity: max(q.Severity, sdk.SeverityHigh), Confidence: 1,
		Item: -1, Message: msg,
	}, true
}

// Commit adds what the evaluated event showed to its session's memory, in
// the background (group commits). Flush waits for it.
func (m *Manager) Commit(ctx context.Context, t *Turn, v *engine.Verdict) {
	if m == nil || t == nil || v == nil {
		return
	}
	m.mu.RLock()
	if !m.closed {
		m.inflight.Add(1)
		select {
		case m.commits <- pending{t, v}:
			m.mu.RUnlock()
			return
		default:
			m.inflight.Done()
		}
	}
	m.mu.RUnlock()
	m.commit(ctx, []pending{{t, v}}) // writers behind (or stopped): wait, never drop memory silently
}

// Update is what the evaluated event adds to its session's memory, for a
// caller that stores it in its own transaction (the async completer, with
// the event's result); Committed reports it stored.
func (m *Manager) Update(t *Turn, v *engine.Verdict) *audit.MemoryUpdate {
	if m == nil || t == nil || v == nil {
		return nil
	}
	return t.update(v)
}

// Committed counts and logs what stored updates did.
func (m *Manager) Committed(ups []*audit.MemoryUpdate, vs []*engine.Verdict) {
	for i, up := range ups {
		if up == nil {
			continue
		}
		m.metrics.SessionDropped(up.Dropped)
		if q := up.Quarantine; q != nil {
			m.metrics.SessionQuarantine("set")
			m.log.Warn("session quarantined", "tenant", up.Tenant, "session", up.Session, "event_id", up.Event, "reason", q.Reason)
		}
		if i >= len(vs) || vs[i] == nil {
			continue
		}
		for _, f := range vs[i].Findings {
			if f.Detector == engine.SessionDetector && f.Category == "quarantine" && f.Suppressed == "" {
				if vs[i].Decision == engine.DecisionBlock {
					m.metrics.SessionQuarantine("blocked")
				} else {
					m.metrics.SessionQuarantine("would_block")
				}
			}
		}
	}
}

func (m *Manager) commit(ctx context.Context, batch []pending) {
	ups := make([]*audit.MemoryUpdate, len(batch))
	for i, p := range batch {
		ups[i] = p.t.update(p.v)
	}
	_, err := m.store.Remember(ctx, ups...)
	if err != nil {
		m.metrics.SessionError("remember")
		m.log.Error("remember sessions", "events", len(batch), "first_event_id", batch[0].t.ev.ID, "error", err)
		return
	}
	vs := make([]*engine.Verdict, len(batch))
	for i, p := range batch {
		vs[i] = p.v
	}
	m.Committed(ups, vs)
}

// update is the memory update of an evaluated event.
func (t *Turn) update(v *engine.Verdict) *audit.MemoryUpdate {
	s := t.cfg.Session
	up := &audit.MemoryUpdate{
		Tenant: t.tenant, Session: t.key, Event: t.ev.ID, At: t.now,
		MaxItems: s.MaxItems, MaxMarks: s.MaxMarks, MaxFindings: s.MaxFindings,
		Marks: t.marks[t.fresh:],
	}
	byItem := map[int][]sdk.Finding{}
	for _, f := range v.Findings {
		if f.Item >= 0 && !f.Reused && !(f.Detector == engine.SessionDetector && f.Category == "quarantine") {
			byItem[f.Item] = append(byItem[f.Item], f.Finding)
		}
	}
	for _, i := range v.Judged {
		fs := byItem[i]
		if fs == nil {
			fs = []sdk.Finding{}
		}
		up.Items = append(up.Items, audit.JudgedItem{Digest: t.digests[i], Signature: v.Signature, Kind: t.ev.Items[i].Kind, Findings: fs})
	}
	if len(up.Items) > 0 {
		t.m.cacheMu.Lock()
		if t.m.judged == nil || len(t.m.judged)+len(up.Items) > maxCached {
			t.m.judged = make(map[string]audit.JudgedItem)
		}
		for _, j := range up.Items {
			t.m.judged[t.cacheKey(j.Digest)] = j
		}
		t.m.cacheMu.Unlock()
	}
	var top *audit.Finding
	for i := range v.Findings {
		f := &v.Findings[i]
		if f.Suppressed != "" {
			continue
		}
		up.Risk = max(up.Risk, f.Severity)
		up.Findings = append(up.Findings, t.sessionFinding(f))
		if t.ev.Type != sdk.EventPreRequest && !f.Reused && f.Action == config.ActionBlock && f.Category != "quarantine" {
			if lvl := t.quarantineLevel(f.Detector); lvl > 0 && f.Severity >= lvl && t.strongerQuarantine(f, top) {
				top = f
			}
		}
	}
	if top != nil {
		reason := engine.BlockMessage(top)
		if top.Detector == engine.SessionDetector {
			reason = top.Category
		}
		q := &audit.Quarantine{Severity: top.Severity, Reason: fmt.Sprintf("%s (%s %s/%s)", reason, top.Severity, top.Detector, top.Rule),
			Detector: top.Detector, Mode: t.holdBack(top.Detector)}
		if d := t.quarantineFor(); d > 0 {
			q.Until = t.now.Add(d)
		}
		up.Quarantine = q
	}
	return up
}

// sessionFinding is f as the session keeps it, keyed so that the same
// match is one finding however many requests resend it.
func (t *Turn) sessionFinding(f *audit.Finding) audit.SessionFinding {
	key := f.Fingerprint
	if key == "" && f.Item >= 0 && f.Item < len(t.digests) {
		key = fmt.Sprintf("%s@%d", t.digests[f.Item], f.Start)
	}
	if key == "" {
		key = f.Message
	}
	h := sha256.Sum256([]byte(f.Detector + "\x00" + f.Rule + "\x00" + key))
	return audit.SessionFinding{
		Key: hex.EncodeToString(h[:12]), Detector: f.Detector, Rule: f.Rule, Category: f.Category, Class: f.Class,
		Severity: f.Severity, Message: f.Message, Redacted: f.Redacted, Finger: f.Fingerprint, Suppressed: f.Suppressed,
	}
}

// holdBack is "monitor" when detector is held back from enforcing by its
// own mode, else "".
func (t *Turn) holdBack(detector string) string {
	mode := ""
	if detector == engine.SessionDetector {
		mode = t.cfg.Session.Mode
	}
	for _, d := range t.cfg.Detectors {
		if d.Name == detector {
			mode = d.Mode
		}
	}
	if mode == config.ModeMonitor || mode == config.ModeOff {
		return config.ModeMonitor
	}
	return ""
}

// strongerQuarantine prefers, as the reason of a quarantine, findings of
// enforcing detectors, then the more severe.
func (t *Turn) strongerQuarantine(f, top *audit.Finding) bool {
	if top == nil {
		return true
	}
	if a, b := t.holdBack(f.Detector) == "", t.holdBack(top.Detector) == ""; a != b {
		return a
	}
	return f.Severity > top.Severity
}

// quarantineLevel is the lowest severity of detector's block-level
// findings that quarantines: the detector's setting, else the tenant's,
// else the session block's.
func (t *Turn) quarantineLevel(detector string) sdk.Severity {
	for _, d := range t.cfg.Detectors {
		if d.Name == detector && d.Quarantine != "" {
			return config.QuarantineSeverity(d.Quarantine)
		}
	}
	if tn, ok := t.cfg.Tenant(t.tenant); ok && tn.Quarantine != "" {
		return config.QuarantineSeverity(tn.Quarantine)
	}
	return config.QuarantineSeverity(t.cfg.Session.Quarantine)
}

func (t *Turn) quarantineFor() time.Duration {
	if tn, ok := t.cfg.Tenant(t.tenant); ok && tn.QuarantineFor != nil {
		return *tn.QuarantineFor
	}
	return t.cfg.Session.QuarantineFor
}

// Lift ends a session's quarantine on an operator's word.
func (m *Manager) Lift(ctx context.Context, tenant, session, by, reason string) (*audit.MemoryState, error) {
	st, err := m.store.LiftQuarantine(ctx, tenant, session, by, reason, m.now())
	if err == nil {
		m.metrics.SessionQuarantine("lifted")
		m.log.Info("session quarantine lifted", "tenant", tenant, "session", session, "by", by)
	}
	return st, err
}

// Prune forgets the sessions idle longer than the retention.
func (m *Manager) Prune(ctx context.Context, cfg *config.Config) (int64, error) {
	if cfg == nil || cfg.Session.Retention <= 0 {
		return 0, nil
	}
	return m.store.PruneMemory(ctx, m.now().Add(-cfg.Session.Retention))
}

// PruneEvery is how often StartPruning enforces the retention.
const PruneEvery = 10 * time.Minute

// StartPruning enforces the session retention of the running config (cfg
// is called each time) at once and then every PruneEvery, until Close.
func (m *Manager) StartPruning(cfg func() *config.Config) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(PruneEvery)
		defer tick.Stop()
		for {
			if n, err := m.Prune(context.Background(), cfg()); err != nil {
				m.metrics.SessionError("prune")
				m.log.Error("prune session memory", "error", err)
			} else if n > 0 {
				m.log.Info("forgot idle sessions", "sessions", n)
			}
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
}

// hash is the keyed hash of parts within one tenant's session.
func (m *Manager) hash(tenant, session string, parts ...string) string {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(tenant))
	h.Write([]byte{0})
	h.Write([]byte(session))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (m *Manager) digest(tenant, session string, it sdk.Item) string {
	tool := ""
	if it.Tool != nil {
		tool = it.Tool.Name
	}
	return m.hash(tenant, session, "item", string(it.Kind), tool, it.Text)
}

// derive makes a session key for a conversation sent without a session
// id, from its first system and first prompt items: they stay the same as
// the conversation grows, so every request of it gets the same key.
func (m *Manager) derive(ev *sdk.Event) string {
	var system, prompt string
	for _, it := range ev.Items {
		switch {
		case it.Kind == sdk.KindSystem && system == "":
			system = it.Text
		case it.Kind == sdk.KindPrompt && prompt == "":
			prompt = it.Text
		}
	}
	if prompt == "" && system == "" {
		prompt = ev.Items[0].Text
	}
	return AutoPrefix + m.hash(ev.Tenant, "", "conversation", ev.Identity.Login, system, prompt)[:24]
}

// workingDir is the agent's working directory, when a system or prompt
// item states it (Claude Code, Codex and others do).
func workingDir(ev *sdk.Event) string {
	for _, it := range ev.Items {
		if it.Kind != sdk.KindSystem && it.Kind != sdk.KindPrompt {
			continue
		}
		if m := cwdRe.FindStringSubmatch(it.Text); m != nil {
			return strings.TrimRight(strings.Trim(m[1], "`'\"<>"), "/.,;")
		}
	}
	return ""
}

// View is a session's memory for the API and the Observatory: labels,
// counts and redacted findings, never a value.
type View struct {
	State       *audit.MemoryState     `json:"state"`
	Quarantined bool                   `json:"quarantined"` // the quarantine holds now
	Findings    []audit.SessionFinding `json:"findings"`    // once per session, most severe first
	Marks       []audit.Mark           `json:"marks"`       // credentials and injected leads seen, oldest first
}

// View returns the session's memory (audit.ErrNotFound without any).
func (m *Manager) View(ctx context.Context, tenant, session string) (*View, error) {
	st, err := m.store.MemoryState(ctx, tenant, session)
	if err != nil {
		return nil, err
	}
	fs, err := m.store.SessionFindings(ctx, tenant, session, 0)
	if err != nil {
		return nil, err
	}
	marks, err := m.store.SessionMarks(ctx, tenant, session, 0)
	if err != nil {
		return nil, err
	}
	return &View{State: st, Quarantined: st.Quarantine.Active(m.now()), Findings: fs, Marks: marks}, nil
}
