package metrics

import "github.com/prometheus/client_golang/prometheus"

// Session memory collectors (host/session), registered by New through
// newSessionCollectors.
type sessionCollectors struct {
	items       *prometheus.CounterVec
	dropped     prometheus.Counter
	quarantines *prometheus.CounterVec
	errors      *prometheus.CounterVec
}

func newSessionCollectors(r *prometheus.Registry) *sessionCollectors {
	s := &sessionCollectors{
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_session_items_total", Help: "Items of events in sessions: new (sent to detectors) or reused (judged earlier in the session).",
		}, []string{"state"}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "picket_session_memory_dropped_total", Help: "Session memory rows dropped because a session grew past its bounds (oldest first).",
		}),
		quarantines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_session_quarantines_total", Help: "Session quarantines, by event (set, lifted, blocked, would_block).",
		}, []string{"event"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_session_errors_total", Help: "Session memory operations that failed (the event was judged without memory).",
		}, []string{"op"}),
	}
	r.MustRegister(s.items, s.dropped, s.quarantines, s.errors)
	return s
}

// SessionItems counts the new and reused items of one event.
func (m *Metrics) SessionItems(fresh, reused int) {
	if m == nil {
		return
	}
	m.session.items.WithLabelValues("new").Add(float64(fresh))
	m.session.items.WithLabelValues("reused").Add(float64(reused))
}

// SessionDropped counts memory rows dropped by the per-session bounds.
func (m *Metrics) SessionDropped(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.session.dropped.Add(float64(n))
}

// SessionQuarantine counts a quarantine event: set, lifted, blocked, would_block.
func (m *Metrics) SessionQuarantine(event string) {
	if m == nil {
		return
	}
	m.session.quarantines.WithLabelValues(event).Inc()
}

// SessionError counts a failed session memory operation.
func (m *Metrics) SessionError(op string) {
	if m == nil {
		return
	}
	m.session.errors.WithLabelValues(op).Inc()
}
