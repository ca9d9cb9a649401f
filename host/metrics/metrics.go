// Package metrics holds picket's Prometheus collectors. One Metrics value is
// made per process and passed down; a nil *Metrics records nothing, so tests
// and the offline scanner need not care.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors picket exports on /metrics.
type Metrics struct {
	Registry *prometheus.Registry

	events           *prometheus.CounterVec
	findings         *prometheus.CounterVec
	detectorDuration *prometheus.HistogramVec
	detectorOutcomes *prometheus.CounterVec
	failOpen         *prometheus.CounterVec
	verdictDuration  *prometheus.HistogramVec
	storeDuration    *prometheus.HistogramVec
	storeErrors      *prometheus.CounterVec
	queueDepth       prometheus.Gauge
	queueClaimed     prometheus.Gauge
	queueDead        prometheus.Gauge
	queueOldest      prometheus.Gauge
	httpRequests     *prometheus.CounterVec
	reloads          *prometheus.CounterVec
	session          *sessionCollectors
	sinks            *sinkCollectors
}

// New registers picket's collectors (and the Go and process collectors) on a
// fresh registry.
func New() *Metrics {
	r := prometheus.NewRegistry()
	latency := []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	m := &Metrics{
		Registry: r,
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_events_total", Help: "Hook events evaluated, by event type, tenant and decision.",
		}, []string{"type", "tenant", "decision", "would_block"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_findings_total", Help: "Detector findings, by detector, category and severity.",
		}, []string{"detector", "category", "severity"}),
		detectorDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "picket_detector_duration_seconds", Help: "Time a detector took per event.", Buckets: latency,
		}, []string{"detector", "runtime"}),
		detectorOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_detector_calls_total", Help: "Detector calls by outcome (ok, error, timeout, canceled).",
		}, []string{"detector", "outcome"}),
		failOpen: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_detector_fail_open_total", Help: "Detector failures that were let through by fail = \"open\".",
		}, []string{"detector"}),
		verdictDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "picket_verdict_duration_seconds", Help: "Time from request to verdict.", Buckets: latency,
		}, []string{"type"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "picket_store_duration_seconds", Help: "Audit store operation latency.", Buckets: latency,
		}, []string{"op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_store_errors_total", Help: "Audit store operations that failed.",
		}, []string{"op"}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "picket_async_queue_depth", Help: "Asynchronous events recorded and waiting for evaluation (the store's work queue, all replicas).",
		}),
		queueClaimed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "picket_async_queue_claimed", Help: "Queued events under a live claim of some replica.",
		}),
		queueDead: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "picket_async_queue_dead", Help: "Queued events claimed too many times without a result; claimed again after a redelivery.",
		}),
		queueOldest: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "picket_async_queue_oldest_seconds", Help: "Age of the oldest event waiting for evaluation; 0 when none.",
		}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_config_reloads_total", Help: "Config reloads by result (ok, error).",
		}, []string{"result"}),
	}
	r.MustRegister(m.events, m.findings, m.detectorDuration, m.detectorOutcomes, m.failOpen,
		m.verdictDuration, m.storeDuration, m.storeErrors, m.queueDepth, m.queueClaimed, m.queueDead, m.queueOldest, m.httpRequests, m.reloads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.session = newSessionCollectors(r)
	m.sinks = newSinkCollectors(r)
	return m
}

// Event counts one evaluated event.
func (m *Metrics) Event(typ, tenant, decision string, wouldBlock bool) {
	if m == nil {
		return
	}
	wb := "false"
	if wouldBlock {
		wb = "true"
	}
	m.events.WithLabelValues(typ, tenant, decision, wb).Inc()
}

// Finding counts one finding.
func (m *Metrics) Finding(detector, category, severity string) {
	if m == nil {
		return
	}
	m.findings.WithLabelValues(detector, category, severity).Inc()
}

// DetectorCall records one detector call.
func (m *Metrics) DetectorCall(detector, runtime, outcome string, d time.Duration, failedOpen bool) {
	if m == nil {
		return
	}
	m.detectorDuration.WithLabelValues(detector, runtime).Observe(d.Seconds())
	m.detectorOutcomes.WithLabelValues(detector, outcome).Inc()
	if failedOpen {
		m.failOpen.WithLabelValues(detector).Inc()
	}
}

// Verdict records the time to a verdict.
func (m *Metrics) Verdict(typ string, d time.Duration) {
	if m == nil {
		return
	}
	m.verdictDuration.WithLabelValues(typ).Observe(d.Seconds())
}

// Store records one store operation.
func (m *Metrics) Store(op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	m.storeDuration.WithLabelValues(op).Observe(d.Seconds())
	if err != nil {
		m.storeErrors.WithLabelValues(op).Inc()
	}
}

// Backlog sets the work queue gauges.
func (m *Metrics) Backlog(depth, claimed, dead int64, oldest time.Duration) {
	if m == nil {
		return
	}
	m.queueDepth.Set(float64(depth))
	m.queueClaimed.Set(float64(claimed))
	m.queueDead.Set(float64(dead))
	m.queueOldest.Set(oldest.Seconds())
}

// HTTP counts one HTTP request.
func (m *Metrics) HTTP(route string, code int) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(route, itoa(code)).Inc()
}

// Reload counts one config reload.
func (m *Metrics) Reload(ok bool) {
	if m == nil {
		return
	}
	if ok {
		m.reloads.WithLabelValues("ok").Inc()
	} else {
		m.reloads.WithLabelValues("error").Inc()
	}
}

func itoa(n int) string {
	if n >= 100 && n < 600 {
		return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
	}
	return "other"
}
