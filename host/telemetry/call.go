package telemetry

import (
	"context"
	"net/http"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	otellog "go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/sdk"
)

// SourceAperture is the source of events that came in by the Aperture
// hook endpoint (the adapters name theirs: host/adapters).
const SourceAperture = "aperture"

// traceContext reads and writes W3C traceparent and tracestate only:
// baggage is the caller's data, which picket neither keeps nor forwards.
var traceContext propagation.TraceContext

// Call is one traced hook call or asynchronous evaluation. The zero Call
// (telemetry off) does nothing; a Call whose trace is sampled out records
// no span but still logs its decision.
type Call struct {
	p      *pipeline
	span   trace.Span
	name   string // the span's name before the event type is known
	source string
}

// StartHook begins the span of a hook call that came in by source: a
// child of the caller's span when hdr (or, with no hdr, the incoming gRPC
// metadata of ctx) carries a traceparent, else the root of a trace
// sampled at the configured ratio. The returned context carries
// the span: the engine's detector spans are its children.
func (t *Telemetry) StartHook(ctx context.Context, source string, hdr http.Header) (context.Context, Call) {
	p := t.pipeline()
	if p == nil {
		return ctx, Call{}
	}
	if hdr != nil {
		ctx = traceContext.Extract(ctx, propagation.HeaderCarrier(hdr))
	} else if md, ok := metadata.FromIncomingContext(ctx); ok && !trace.SpanContextFromContext(ctx).IsValid() {
		// A gRPC caller (Envoy's ext_proc stream) sends its trace context
		// in the stream's metadata.
		ctx = traceContext.Extract(ctx, mdCarrier(md))
	}
	ctx, sp := p.tracer.Start(ctx, "picket.hook", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("picket.source", source)))
	return ctx, Call{p: p, span: sp, name: "picket.hook", source: source}
}

// StartEvaluation begins the span of an asynchronous event's evaluation:
// a child of the hook call that queued it, whose traceparent (Traceparent)
// the event carried, or a new root when it carried none.
func (t *Telemetry) StartEvaluation(ctx context.Context, traceparent string) (context.Context, Call) {
	p := t.pipeline()
	if p == nil {
		return ctx, Call{}
	}
	if traceparent != "" {
		ctx = traceContext.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
	}
	ctx, sp := p.tracer.Start(ctx, "picket.evaluate", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("picket.source", SourceAperture)))
	return ctx, Call{p: p, span: sp, name: "picket.evaluate", source: SourceAperture}
}

// Traceparent is the W3C traceparent of ctx's span, for a queued event to
// carry to its evaluation, which then follows the hook call's sampling
// decision; "" when ctx has no span (telemetry off).
func Traceparent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	m := propagation.MapCarrier{}
	traceContext.Inject(ctx, m)
	return m["traceparent"]
}

func (t *Telemetry) pipeline() *pipeline {
	if t == nil {
		return nil
	}
	return t.cur.Load()
}

// Event names the span after the event's type and records what is known
// once it is parsed: its id, type, tenant, mode and item count.
func (c Call) Event(ev *sdk.Event, mode string) {
	if c.span == nil || !c.span.IsRecording() {
		return
	}
	c.span.SetName(c.name + " " + ev.Type)
	c.span.SetAttributes(
		attribute.String("picket.event.id", ev.ID),
		attribute.String("picket.event.type", ev.Type),
		attribute.String("picket.tenant", ev.Tenant),
		attribute.String("picket.mode", mode),
		attribute.Int("picket.items", len(ev.Items)),
	)
}

// Queued records that the event was queued for asynchronous evaluation
// (dup: it had been already).
func (c Call) Queued(dup bool) {
	if c.span == nil || !c.span.IsRecording() {
		return
	}
	c.span.SetAttributes(attribute.Bool("picket.queued", true), attribute.Bool("picket.duplicate", dup))
}

// Decided records v on the span and logs the decision: one record per
// decision, whether or not the trace is sampled.
func (c Call) Decided(ctx context.Context, ev *sdk.Event, v *engine.Verdict) {
	if c.p == nil {
		return
	}
	if c.span.IsRecording() {
		attrs := append(verdictAttributes(v),
			attribute.Float64("picket.latency_ms", float64(v.Latency)/float64(time.Millisecond)),
			attribute.Int("picket.detectors.run", len(v.Detectors)))
		c.span.SetAttributes(attrs...)
	}
	if c.p.logger != nil {
		c.p.logger.Emit(ctx, decisionRecord(ev, c.source, v))
	}
}

// End ends the span; status, when not 0, is the HTTP status answered (a
// 5xx marks the span as failed; a 4xx is the caller's error, not picket's).
func (c Call) End(status int) {
	if c.span == nil {
		return
	}
	if status != 0 && c.span.IsRecording() {
		c.span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			c.span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
	c.span.End()
}

func verdictAttributes(v *engine.Verdict) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("picket.decision", v.Decision),
		attribute.Bool("picket.would_block", v.WouldBlock),
		attribute.String("picket.mode", v.Mode),
	}
	if v.Category != "" {
		attrs = append(attrs, attribute.String("picket.category", v.Category))
	}
	if v.MaxSeverity.Valid() {
		attrs = append(attrs, attribute.String("picket.max_severity", v.MaxSeverity.String()))
	}
	return append(attrs, engine.FindingAttributes(v.Findings)...)
}

// decisionRecord is the log record of one decision: ids, policy and
// counts, no text.
func decisionRecord(ev *sdk.Event, source string, v *engine.Verdict) otellog.Record {
	var cats, ran, failed []string
	for i := range v.Findings {
		if f := &v.Findings[i]; f.Suppressed == "" && f.Category != "" && !slices.Contains(cats, f.Category) {
			cats = append(cats, f.Category)
		}
	}
	slices.Sort(cats)
	for _, d := range v.Detectors {
		ran = append(ran, d.Detector)
		if d.Outcome == engine.OutcomeError || d.Outcome == engine.OutcomeTimeout {
			failed = append(failed, d.Detector)
		}
	}
	var r otellog.Record
	r.SetEventName("picket.decision")
	r.SetTimestamp(v.EvaluatedAt)
	r.SetObservedTimestamp(time.Now())
	sev, text := otellog.SeverityInfo, "INFO"
	if v.WouldBlock || v.Decision != engine.DecisionAllow {
		sev, text = otellog.SeverityWarn, "WARN"
	}
	r.SetSeverity(sev)
	r.SetSeverityText(text)
	r.SetBody(attribute.StringValue("picket decision: " + v.Decision))
	r.AddAttributes(
		attribute.String("picket.event.id", ev.ID),
		attribute.String("picket.event.type", ev.Type),
		attribute.String("picket.tenant", ev.Tenant),
		attribute.String("picket.source", source),
		attribute.Int("picket.items", len(ev.Items)),
		attribute.StringSlice("picket.categories", cats),
		attribute.StringSlice("picket.detectors", ran),
		attribute.StringSlice("picket.detectors.failed", failed),
		attribute.Float64("picket.latency_ms", float64(v.Latency)/float64(time.Millisecond)),
	)
	r.AddAttributes(verdictAttributes(v)...)
	return r
}

// WithRemoteParent returns r with the caller's span (its traceparent
// header) in its context, for a handler that starts its span later; r
// itself when telemetry is off or the header is absent.
func (t *Telemetry) WithRemoteParent(r *http.Request) *http.Request {
	if t.pipeline() == nil || r.Header.Get("Traceparent") == "" {
		return r
	}
	return r.WithContext(traceContext.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
}

// mdCarrier reads W3C trace context from gRPC metadata (keys are lower
// case there, as propagation asks for them).
type mdCarrier metadata.MD

func (c mdCarrier) Get(key string) string {
	if v := metadata.MD(c).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c mdCarrier) Set(key, value string) { metadata.MD(c).Set(key, value) }

func (c mdCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
