package wasmabi_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/picketsec/picket/sdk"
	"github.com/picketsec/picket/sdk/internal/convert"
	pb "github.com/picketsec/picket/sdk/proto/detector/v1"
	"github.com/picketsec/picket/sdk/wasmabi"
)

var testEvent = sdk.Event{
	ID: "ev1", Type: sdk.EventPreRequest, Tenant: "acme", SessionID: "s1", RequestID: "r1",
	Identity: sdk.Identity{Login: "ann@example.com", Tailnet: "example.com", Node: "n1", UserAgent: "ua/1"},
	Model:    "m", Provider: "p", APIFormat: "openai-chat",
	Items: []sdk.Item{
		{Index: 0, Kind: sdk.KindSystem, Text: "be nice", Origin: sdk.OriginRequest},
		{Index: 3, Kind: sdk.KindToolCall, Text: "rm -rf /", Tool: &sdk.ToolCall{Name: "bash", CallID: "c1", Arguments: `{"cmd":"rm -rf /"}`, Command: "rm -rf /"}, New: true, Untrusted: true, Pointer: "/messages/3/content"},
		{Index: 4, Kind: sdk.KindPrompt, Text: "héllo \x00 wörld"},
	},
}

var testFindings = []sdk.Finding{
	{Detector: "d", Rule: "r", Category: "secrets", Class: "aws", Severity: sdk.SeverityHigh, Confidence: 0.75, Item: 3, Start: 2, End: 9, Message: "m", Redacted: "AK***", Fingerprint: "ff"},
	{Detector: "d", Rule: "r2", Severity: sdk.SeverityInfo, Item: 0, Start: 0, End: 0},
}

var testInfo = sdk.Info{ID: "d", Version: "1.2.3", APIVersion: 1, Description: "x", Kinds: []sdk.Kind{sdk.KindPrompt, sdk.KindToolCall}, ConfigSchema: `{"type":"object"}`}

// TestCodecMatchesGenerated checks each message both ways against the
// generated code: what wasmabi writes, proto.Unmarshal reads to the same
// values, and what proto.Marshal writes, wasmabi reads to the same values.
func TestCodecMatchesGenerated(t *testing.T) {
	t.Parallel()

	t.Run("DetectRequest", func(t *testing.T) {
		t.Parallel()
		var m pb.DetectRequest
		if err := proto.Unmarshal(wasmabi.AppendDetectRequest(nil, &testEvent), &m); err != nil {
			t.Fatal(err)
		}
		if got := convert.EventFromProto(m.Event); !reflect.DeepEqual(*got, testEvent) {
			t.Errorf("generated decode:\n got %+v\nwant %+v", *got, testEvent)
		}
		b, err := proto.Marshal(&pb.DetectRequest{Event: convert.EventToProto(&testEvent)})
		if err != nil {
			t.Fatal(err)
		}
		var got sdk.Event
		if err := wasmabi.DecodeDetectRequest(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, testEvent) {
			t.Errorf("wasmabi decode:\n got %+v\nwant %+v", got, testEvent)
		}
	})

	t.Run("DetectResponse", func(t *testing.T) {
		t.Parallel()
		var m pb.DetectResponse
		if err := proto.Unmarshal(wasmabi.AppendDetectResponse(nil, testFindings, "boom"), &m); err != nil {
			t.Fatal(err)
		}
		if got := convert.FindingsFromProto(m.Findings); !reflect.DeepEqual(got, testFindings) {
			t.Errorf("generated decode:\n got %+v\nwant %+v", got, testFindings)
		}
		if m.Error.GetMessage() != "boom" {
			t.Errorf("error = %v, want boom", m.Error)
		}
		b, err := proto.Marshal(&pb.DetectResponse{Findings: convert.FindingsToProto(testFindings), Error: convert.ErrorToProto(errors.New("bang"))})
		if err != nil {
			t.Fatal(err)
		}
		got, msg, err := wasmabi.DecodeDetectResponse(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, testFindings) || msg != "bang" {
			t.Errorf("wasmabi decode: got %+v %q", got, msg)
		}
	})

	t.Run("Info", func(t *testing.T) {
		t.Parallel()
		var m pb.InfoResponse
		if err := proto.Unmarshal(wasmabi.AppendInfoResponse(nil, testInfo), &m); err != nil {
			t.Fatal(err)
		}
		if got := convert.InfoFromProto(m.Info); !reflect.DeepEqual(got, testInfo) {
			t.Errorf("generated decode: got %+v", got)
		}
		b, _ := proto.Marshal(&pb.InfoResponse{Info: convert.InfoToProto(testInfo)})
		got, err := wasmabi.DecodeInfoResponse(b)
		if err != nil || !reflect.DeepEqual(got, testInfo) {
			t.Errorf("wasmabi decode: got %+v, %v", got, err)
		}
	})

	t.Run("Configure", func(t *testing.T) {
		t.Parallel()
		var req pb.ConfigureRequest
		if err := proto.Unmarshal(wasmabi.AppendConfigureRequest(nil, []byte(`{"a":1}`)), &req); err != nil || string(req.Config) != `{"a":1}` {
			t.Errorf("request: %q, %v", req.Config, err)
		}
		b, _ := proto.Marshal(&pb.ConfigureResponse{Error: &pb.Error{Message: "field words: not a list"}})
		msg, err := wasmabi.DecodeConfigureResponse(b)
		if err != nil || msg != "field words: not a list" {
			t.Errorf("response: %q, %v", msg, err)
		}
		msg, err = wasmabi.DecodeConfigureResponse(wasmabi.AppendConfigureResponse(nil, ""))
		if err != nil || msg != "" {
			t.Errorf("empty response: %q, %v", msg, err)
		}
	})
}

func TestDecodeMalformed(t *testing.T) {
	t.Parallel()
	tests := map[string][]byte{
		"truncated tag":    {0x80},
		"truncated length": {0x0a, 0x05, 'a'},
		"wrong wire type":  {0x0a, 0x02, 0x10, 0x01}, // event.type (2) as varint
		"bad group":        {0x0b},
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var ev sdk.Event
			if err := wasmabi.DecodeDetectRequest(b, &ev); !errors.Is(err, wasmabi.ErrMalformed) {
				t.Errorf("DetectRequest: err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestPack(t *testing.T) {
	t.Parallel()
	p, n := wasmabi.Unpack(wasmabi.Pack(0xdeadbeef, 0x01020304))
	if p != 0xdeadbeef || n != 0x01020304 {
		t.Errorf("Unpack(Pack()) = %#x, %#x", p, n)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(wasmabi.AppendDetectRequest(nil, &testEvent))
	f.Add(wasmabi.AppendDetectResponse(nil, testFindings, "e"))
	f.Add(wasmabi.AppendInfoResponse(nil, testInfo))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev, shared sdk.Event
		errShared := wasmabi.DecodeDetectRequestShared(bytes.Clone(b), &shared)
		err := wasmabi.DecodeDetectRequest(b, &ev)
		if (err == nil) != (errShared == nil) || (err == nil && !reflect.DeepEqual(ev, shared)) {
			t.Fatalf("shared decode differs: %v / %v", err, errShared)
		}
		if err == nil {
			// What decodes must survive a round trip.
			var ev2 sdk.Event
			if err := wasmabi.DecodeDetectRequest(wasmabi.AppendDetectRequest(nil, &ev), &ev2); err != nil {
				t.Fatalf("round trip: %v", err)
			}
		}
		wasmabi.DecodeDetectResponse(b)
		wasmabi.DecodeInfoResponse(b)
		wasmabi.DecodeConfigureResponse(b)
		wasmabi.DecodeConfigureRequest(b)
	})
}
