package server

import (
	"context"

	"github.com/picketsec/picket/host/aperture"
	"github.com/picketsec/picket/host/audit"
	"github.com/picketsec/picket/host/engine"
	"github.com/picketsec/picket/host/observatory"
	"github.com/picketsec/picket/sdk"
)

// replay evaluates a pasted payload for tenant with the current engine and
// policy, exactly as the hook would, and records nothing: no event, no
// sink, no event metric. The answer masks secrets as the trail does, so
// that pasting a payload with a secret does not echo it.
func (s *Server) replay(ctx context.Context, tenantName string, req observatory.ReplayRequest) (*observatory.ReplayResult, error) {
	tenant, ok := s.config().Tenant(tenantName)
	if !ok {
		return nil, &observatory.PayloadError{Reason: "the tenant is no longer configured"}
	}
	var (
		ev   *sdk.Event
		body []byte
	)
	if req.Text != "" {
		typ := req.Event
		if typ == "" {
			typ = sdk.EventPreRequest
		}
		ev = &sdk.Event{Type: typ, Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: req.Text, Origin: sdk.OriginRequest, New: true}}}
	} else {
		hook, err := aperture.Parse(req.Payload)
		if err != nil {
			return nil, &observatory.PayloadError{Reason: err.Error()}
		}
		typ, err := aperture.ResolveEvent(req.Event, "", hook)
		if err != nil {
			return nil, &observatory.PayloadError{Reason: err.Error()}
		}
		if ev, err = aperture.Normalize(hook, typ); err != nil {
			return nil, &observatory.PayloadError{Reason: err.Error()}
		}
		body = hook.RequestBody
	}
	ev.Tenant, ev.ID = tenant.Name, "replay"
	v, err := s.eng.Evaluate(ctx, engine.Input{Event: ev, TenantMode: tenant.Mode, RequestBody: body})
	if err != nil {
		return nil, err
	}
	res := v.Result
	res.Findings = append([]audit.Finding(nil), v.Findings...)
	items := s.auditEvent(ev, nil).Items
	for i, it := range ev.Items {
		items[i].Text = engine.Evidence(it.Text, it.Index, res.Findings)
	}
	res.Items = nil
	return &observatory.ReplayResult{Event: ev.Type, APIFormat: ev.APIFormat, Mode: tenant.Mode, Result: &res, Items: items, Detectors: res.Detectors}, nil
}
