// Package convert translates between the sdk types and the generated wire
// messages of sdk/proto/detector/v1, so that detector authors never see
// generated code.
package convert

import (
	"errors"

	"github.com/picketsec/picket/sdk"
	pb "github.com/picketsec/picket/sdk/proto/detector/v1"
)

// InfoToProto converts an Info.
func InfoToProto(i sdk.Info) *pb.Info {
	kinds := make([]string, len(i.Kinds))
	for n, k := range i.Kinds {
		kinds[n] = string(k)
	}
	return &pb.Info{
		Id:           i.ID,
		Version:      i.Version,
		ApiVersion:   int32(i.APIVersion),
		Description:  i.Description,
		Kinds:        kinds,
		ConfigSchema: i.ConfigSchema,
	}
}

// InfoFromProto converts an Info; nil gives the zero Info.
func InfoFromProto(p *pb.Info) sdk.Info {
	if p == nil {
		return sdk.Info{}
	}
	var kinds []sdk.Kind
	if len(p.Kinds) > 0 {
		kinds = make([]sdk.Kind, len(p.Kinds))
		for n, k := range p.Kinds {
			kinds[n] = sdk.Kind(k)
		}
	}
	return sdk.Info{
		ID:           p.Id,
		Version:      p.Version,
		APIVersion:   int(p.ApiVersion),
		Description:  p.Description,
		Kinds:        kinds,
		ConfigSchema: p.ConfigSchema,
	}
}

// EventToProto converts an Event; nil gives nil.
func EventToProto(e *sdk.Event) *pb.Event {
	if e == nil {
		return nil
	}
	items := make([]*pb.Item, len(e.Items))
	for n, it := range e.Items {
		items[n] = itemToProto(it)
	}
	return &pb.Event{
		Id:        e.ID,
		Type:      e.Type,
		Tenant:    e.Tenant,
		SessionId: e.SessionID,
		RequestId: e.RequestID,
		Identity: &pb.Identity{
			Login:     e.Identity.Login,
			Tailnet:   e.Identity.Tailnet,
			Node:      e.Identity.Node,
			UserAgent: e.Identity.UserAgent,
		},
		Model:     e.Model,
		Provider:  e.Provider,
		ApiFormat: e.APIFormat,
		Items:     items,
	}
}

func itemToProto(it sdk.Item) *pb.Item {
	p := &pb.Item{
		Index:     int64(it.Index),
		Kind:      string(it.Kind),
		Text:      it.Text,
		Origin:    string(it.Origin),
		New:       it.New,
		Untrusted: it.Untrusted,
		Pointer:   it.Pointer,
	}
	if it.Tool != nil {
		p.Tool = &pb.ToolCall{
			Name:      it.Tool.Name,
			CallId:    it.Tool.CallID,
			Arguments: it.Tool.Arguments,
			Command:   it.Tool.Command,
		}
	}
	return p
}

// EventFromProto converts an Event; nil gives an empty event.
func EventFromProto(p *pb.Event) *sdk.Event {
	e := &sdk.Event{}
	if p == nil {
		return e
	}
	e.ID = p.Id
	e.Type = p.Type
	e.Tenant = p.Tenant
	e.SessionID = p.SessionId
	e.RequestID = p.RequestId
	if id := p.Identity; id != nil {
		e.Identity = sdk.Identity{Login: id.Login, Tailnet: id.Tailnet, Node: id.Node, UserAgent: id.UserAgent}
	}
	e.Model = p.Model
	e.Provider = p.Provider
	e.APIFormat = p.ApiFormat
	if len(p.Items) > 0 {
		e.Items = make([]sdk.Item, len(p.Items))
		for n, it := range p.Items {
			e.Items[n] = itemFromProto(it)
		}
	}
	return e
}

func itemFromProto(p *pb.Item) sdk.Item {
	if p == nil {
		return sdk.Item{}
	}
	it := sdk.Item{
		Index:     int(p.Index),
		Kind:      sdk.Kind(p.Kind),
		Text:      p.Text,
		Origin:    sdk.Origin(p.Origin),
		New:       p.New,
		Untrusted: p.Untrusted,
		Pointer:   p.Pointer,
	}
	if t := p.Tool; t != nil {
		it.Tool = &sdk.ToolCall{Name: t.Name, CallID: t.CallId, Arguments: t.Arguments, Command: t.Command}
	}
	return it
}

// FindingsToProto converts findings.
func FindingsToProto(fs []sdk.Finding) []*pb.Finding {
	if len(fs) == 0 {
		return nil
	}
	out := make([]*pb.Finding, len(fs))
	for n, f := range fs {
		out[n] = &pb.Finding{
			Detector:    f.Detector,
			Rule:        f.Rule,
			Category:    f.Category,
			Class:       f.Class,
			Severity:    int32(f.Severity),
			Confidence:  f.Confidence,
			Item:        int64(f.Item),
			Start:       int64(f.Start),
			End:         int64(f.End),
			Message:     f.Message,
			Redacted:    f.Redacted,
			Fingerprint: f.Fingerprint,
		}
	}
	return out
}

// FindingsFromProto converts findings; none gives nil.
func FindingsFromProto(ps []*pb.Finding) []sdk.Finding {
	if len(ps) == 0 {
		return nil
	}
	out := make([]sdk.Finding, 0, len(ps))
	for _, p := range ps {
		if p == nil {
			continue
		}
		out = append(out, sdk.Finding{
			Detector:    p.Detector,
			Rule:        p.Rule,
			Category:    p.Category,
			Class:       p.Class,
			Severity:    sdk.Severity(p.Severity),
			Confidence:  p.Confidence,
			Item:        int(p.Item),
			Start:       int(p.Start),
			End:         int(p.End),
			Message:     p.Message,
			Redacted:    p.Redacted,
			Fingerprint: p.Fingerprint,
		})
	}
	return out
}

// ErrorToProto converts a detector error; nil gives nil.
func ErrorToProto(err error) *pb.Error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if msg == "" {
		msg = "detector error"
	}
	return &pb.Error{Message: msg}
}

// ErrorFromProto converts a detector error; nil gives nil.
func ErrorFromProto(p *pb.Error) error {
	if p == nil {
		return nil
	}
	if p.Message == "" {
		return errors.New("detector error")
	}
	return errors.New(p.Message)
}
