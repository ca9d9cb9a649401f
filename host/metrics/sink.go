package metrics

import "github.com/prometheus/client_golang/prometheus"

// SIEM sink collectors (host/sink), registered by New through
// newSinkCollectors. Every series is labelled by the sink's config name.
type sinkCollectors struct {
	spooled   *prometheus.CounterVec
	delivered *prometheus.CounterVec
	retries   *prometheus.CounterVec
	dropped   *prometheus.CounterVec
	depth     *prometheus.GaugeVec
	bytes     *prometheus.GaugeVec
}

func newSinkCollectors(r *prometheus.Registry) *sinkCollectors {
	s := &sinkCollectors{
		spooled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_sink_spooled_total", Help: "Alerts written to a sink's durable spool.",
		}, []string{"sink"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_sink_delivered_total", Help: "Alerts a sink's receiver took.",
		}, []string{"sink"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_sink_retries_total", Help: "Delivery attempts that failed and were retried after a backoff.",
		}, []string{"sink"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "picket_sink_dropped_total", Help: "Alerts a sink dropped, by reason (spool_full: the oldest, to stay in the bound; queue_full, write_error, too_large, corrupt, rejected, closed).",
		}, []string{"sink", "reason"}),
		depth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "picket_sink_spool_depth", Help: "Alerts spooled and not yet delivered.",
		}, []string{"sink"}),
		bytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "picket_sink_spool_bytes", Help: "Bytes of the alerts spooled and not yet delivered.",
		}, []string{"sink"}),
	}
	r.MustRegister(s.spooled, s.delivered, s.retries, s.dropped, s.depth, s.bytes)
	return s
}

// SinkSpooled counts n alerts spooled by sink.
func (m *Metrics) SinkSpooled(sink string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.sinks.spooled.WithLabelValues(sink).Add(float64(n))
}

// SinkDelivered counts one alert delivered by sink.
func (m *Metrics) SinkDelivered(sink string) {
	if m == nil {
		return
	}
	m.sinks.delivered.WithLabelValues(sink).Inc()
}

// SinkRetry counts one failed attempt that sink retries.
func (m *Metrics) SinkRetry(sink string) {
	if m == nil {
		return
	}
	m.sinks.retries.WithLabelValues(sink).Inc()
}

// SinkDropped counts n alerts sink dropped for reason.
func (m *Metrics) SinkDropped(sink, reason string, n int) {
	if m == nil {
		return
	}
	m.sinks.dropped.WithLabelValues(sink, reason).Add(float64(n))
}

// SinkSpool sets the spool gauges of sink.
func (m *Metrics) SinkSpool(sink string, records int, bytes int64) {
	if m == nil {
		return
	}
	m.sinks.depth.WithLabelValues(sink).Set(float64(records))
	m.sinks.bytes.WithLabelValues(sink).Set(float64(bytes))
}
