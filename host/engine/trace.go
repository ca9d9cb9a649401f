package engine

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/picketsec/picket/config"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/sdk"
)

// The engine traces each detector call as a child of the span in the
// context Evaluate is given (host/telemetry starts one per hook call), and
// only when that span records: with telemetry off or the trace sampled
// out, tracing costs one context lookup per evaluation. A span carries
// names, outcomes, counts and durations, never item text, a match or a
// detector's error message (a plugin's message may quote its input).

// TracerName is the instrumentation scope of the detector spans.
const TracerName = "github.com/picketsec/picket/host/engine"

// detectorTracer returns the tracer for detector spans under ctx's span,
// or nil when that span does not record.
func detectorTracer(ctx context.Context) trace.Tracer {
	sp := trace.SpanFromContext(ctx)
	if !sp.IsRecording() {
		return nil
	}
	return sp.TracerProvider().Tracer(TracerName)
}

// severityKeys are the attribute keys of counting findings by severity.
var severityKeys = [...]attribute.Key{
	sdk.SeverityInfo:     "picket.findings.info",
	sdk.SeverityLow:      "picket.findings.low",
	sdk.SeverityMedium:   "picket.findings.medium",
	sdk.SeverityHigh:     "picket.findings.high",
	sdk.SeverityCritical: "picket.findings.critical",
}

// FindingAttributes counts findings for a span or a log record: all of
// them, those that count (not suppressed), those suppressed, and those
// that count by severity (each severity, zero included, so that a query
// need not test for a missing key).
func FindingAttributes(findings []audit.Finding) []attribute.KeyValue {
	var bySev [len(severityKeys)]int64
	counting, suppressed := int64(0), int64(0)
	for i := range findings {
		f := &findings[i]
		if f.Suppressed != "" {
			suppressed++
			continue
		}
		counting++
		if f.Severity.Valid() {
			bySev[f.Severity]++
		}
	}
	out := make([]attribute.KeyValue, 0, 3+len(severityKeys))
	out = append(out,
		attribute.Int64("picket.findings", int64(len(findings))),
		attribute.Int64("picket.findings.counting", counting),
		attribute.Int64("picket.findings.suppressed", suppressed))
	for s := sdk.SeverityInfo; s <= sdk.SeverityCritical; s++ {
		out = append(out, attribute.Int64(string(severityKeys[s]), bySev[s]))
	}
	return out
}

// strongestAction is the strongest action among the counting findings,
// or "none".
func strongestAction(findings []audit.Finding) string {
	top := "none"
	for i := range findings {
		if f := &findings[i]; f.Suppressed == "" && config.ActionRank(f.Action) > config.ActionRank(top) {
			top = f.Action
		}
	}
	return top
}

// traceDetector records one detector's run on ev as a span from start
// to start+run.Duration, with the findings it was judged to (after the
// fact: the findings' policy is known only then).
func traceDetector(ctx context.Context, tr trace.Tracer, ev *sdk.Event, d *detector, run audit.DetectorRun, mode string, items int, start time.Time, findings []audit.Finding) {
	if start.IsZero() {
		start = time.Now()
	}
	_, sp := tr.Start(ctx, "picket.detector "+run.Detector, trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindInternal))
	attrs := []attribute.KeyValue{
		attribute.String("picket.detector", run.Detector),
		attribute.String("picket.detector.runtime", run.Runtime),
		attribute.String("picket.detector.outcome", run.Outcome),
		attribute.String("picket.detector.action", strongestAction(findings)),
		attribute.Float64("picket.detector.duration_ms", float64(run.Duration)/float64(time.Millisecond)),
		attribute.String("picket.mode", mode),
		attribute.Int("picket.items", items),
		attribute.String("picket.tenant", ev.Tenant),
		attribute.String("picket.event.type", ev.Type),
		attribute.String("picket.event.id", ev.ID),
	}
	attrs = append(attrs, FindingAttributes(findings)...)
	if run.Outcome == OutcomeError || run.Outcome == OutcomeTimeout {
		attrs = append(attrs, attribute.String("picket.detector.fail", d.policy.Fail))
		// The outcome, not the error's text: a plugin's message may quote
		// what it was given.
		sp.SetStatus(codes.Error, run.Outcome)
	}
	sp.SetAttributes(attrs...)
	sp.End(trace.WithTimestamp(start.Add(run.Duration)))
}
