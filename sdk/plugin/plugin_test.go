package plugin

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/picketsec/picket/sdk"
)

// fake is a detector that echoes its config and finds "x".
type fake struct{ config string }

func (f *fake) Info() sdk.Info {
	return sdk.Info{ID: "fake", Version: "1", APIVersion: sdk.APIVersion, Kinds: []sdk.Kind{sdk.KindPrompt}}
}

func (f *fake) Configure(_ context.Context, config []byte) error {
	if string(config) == `{"bad":true}` {
		return errors.New("field bad: not allowed")
	}
	f.config = string(config)
	return nil
}

func (f *fake) Detect(ctx context.Context, ev *sdk.Event) ([]sdk.Finding, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []sdk.Finding
	for _, it := range ev.Items {
		switch it.Text {
		case "panic":
			panic("boom")
		case "fail":
			return nil, errors.New("cannot scan this")
		}
		if i := strings.Index(it.Text, "x"); i >= 0 {
			out = append(out, sdk.Finding{Detector: "fake", Rule: "x", Category: "test", Severity: sdk.SeverityHigh, Confidence: 0.5, Item: it.Index, Start: i, End: i + 1, Message: f.config})
		}
	}
	return out, nil
}

// client connects a host-side client to a fake served in-process over gRPC.
func client(t *testing.T) sdk.Detector {
	t.Helper()
	sets := PluginSets(func() sdk.Detector { return &fake{} })
	c, _ := goplugin.TestPluginGRPCConn(t, false, sets[ProtocolVersion])
	t.Cleanup(func() { c.Close() })
	raw, err := c.Dispense(Name)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(sdk.Detector)
}

func TestGRPCRoundTrip(t *testing.T) {
	t.Parallel()
	d := client(t)
	ctx := context.Background()
	if got := d.Info(); got.ID != "fake" || !got.Wants(sdk.KindPrompt) {
		t.Errorf("Info = %+v", got)
	}
	if err := d.Configure(ctx, []byte(`{"bad":true}`)); err == nil || err.Error() != "field bad: not allowed" {
		t.Errorf("bad Configure = %v, want the detector's error unchanged", err)
	}
	if err := d.Configure(ctx, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	ev := &sdk.Event{Type: sdk.EventPreRequest, Items: []sdk.Item{{Index: 0, Kind: sdk.KindPrompt, Text: "ab"}, {Index: 7, Kind: sdk.KindPrompt, Text: "yx", Tool: &sdk.ToolCall{Name: "t"}}}}
	got, err := d.Detect(ctx, ev)
	want := []sdk.Finding{{Detector: "fake", Rule: "x", Category: "test", Severity: sdk.SeverityHigh, Confidence: 0.5, Item: 7, Start: 1, End: 2, Message: "{}"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Detect = %+v, %v; want %+v", got, err, want)
	}
	if _, err := d.Detect(ctx, &sdk.Event{Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: "fail"}}}); err == nil || err.Error() != "cannot scan this" {
		t.Errorf("failing Detect = %v", err)
	}
	if _, err := d.Detect(ctx, &sdk.Event{Items: []sdk.Item{{Kind: sdk.KindPrompt, Text: "panic"}}}); err == nil || !strings.Contains(err.Error(), "panicked") {
		t.Errorf("panicking Detect = %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Detect(cctx, ev); err == nil {
		t.Error("Detect with a cancelled context succeeded")
	}
	// The plugin survives all of that.
	if _, err := d.Detect(ctx, ev); err != nil {
		t.Errorf("Detect after faults: %v", err)
	}
}
