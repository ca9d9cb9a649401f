package wasmabi

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/picketsec/picket/sdk"
)

// The encoders below write the messages of sdk/proto/detector/v1 field by
// field; the decoders read them, skip unknown fields (so that newer peers
// can add fields) and reject malformed input. Field numbers must match
// detector.proto: codec_test.go checks both directions against the
// generated code.

// Field numbers of detector.proto.
const (
	fErrorMessage = 1

	fInfoResponseInfo = 1

	fInfoID           = 1
	fInfoVersion      = 2
	fInfoAPIVersion   = 3
	fInfoDescription  = 4
	fInfoKinds        = 5
	fInfoConfigSchema = 6

	fConfigureRequestConfig = 1
	fConfigureResponseError = 1
	fDetectRequestEvent     = 1
	fDetectResponseFindings = 1
	fDetectResponseError    = 2
	fIdentityLogin          = 1
	fIdentityTailnet        = 2
	fIdentityNode           = 3
	fIdentityUserAgent      = 4
	fToolName               = 1
	fToolCallID             = 2
	fToolArguments          = 3
	fToolCommand            = 4
	fItemIndex              = 1
	fItemKind               = 2
	fItemText               = 3
	fItemTool               = 4
	fItemOrigin             = 5
	fItemNew                = 6
	fItemUntrusted          = 7
	fItemPointer            = 8
	fEventID                = 1
	fEventType              = 2
	fEventTenant            = 3
	fEventSessionID         = 4
	fEventRequestID         = 5
	fEventIdentity          = 6
	fEventModel             = 7
	fEventProvider          = 8
	fEventAPIFormat         = 9
	fEventItems             = 10
	fFindingDetector        = 1
	fFindingRule            = 2
	fFindingCategory        = 3
	fFindingClass           = 4
	fFindingSeverity        = 5
	fFindingConfidence      = 6
	fFindingItem            = 7
	fFindingStart           = 8
	fFindingEnd             = 9
	fFindingMessage         = 10
	fFindingRedacted        = 11
	fFindingFingerprint     = 12
)

// ErrMalformed is returned (wrapped) for bytes that are not a valid message.
var ErrMalformed = errors.New("malformed message")

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendInt(b []byte, num protowire.Number, v int64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	if !v {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, 1)
}

func appendDouble(b []byte, num protowire.Number, v float64) []byte {
	if v == 0 && !math.Signbit(v) {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}

// appendMessage appends a length-delimited sub-message built by fn. The
// length prefix is written after the body, so the body is built in place
// and shifted by the size of the prefix.
func appendMessage(b []byte, num protowire.Number, fn func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	start := len(b)
	b = fn(b)
	n := len(b) - start
	prefix := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, prefix)...)
	copy(b[start+prefix:], b[start:start+n])
	protowire.AppendVarint(b[start:start], uint64(n))
	return b
}

// AppendInfoResponse appends an InfoResponse holding info.
func AppendInfoResponse(b []byte, info sdk.Info) []byte {
	return appendMessage(b, fInfoResponseInfo, func(b []byte) []byte {
		b = appendString(b, fInfoID, info.ID)
		b = appendString(b, fInfoVersion, info.Version)
		b = appendInt(b, fInfoAPIVersion, int64(int32(info.APIVersion)))
		b = appendString(b, fInfoDescription, info.Description)
		for _, k := range info.Kinds {
			b = protowire.AppendTag(b, fInfoKinds, protowire.BytesType)
			b = protowire.AppendString(b, string(k))
		}
		return appendString(b, fInfoConfigSchema, info.ConfigSchema)
	})
}

// AppendConfigureRequest appends a ConfigureRequest.
func AppendConfigureRequest(b []byte, config []byte) []byte {
	return appendBytes(b, fConfigureRequestConfig, config)
}

// AppendConfigureResponse appends a ConfigureResponse; errMsg "" means success.
func AppendConfigureResponse(b []byte, errMsg string) []byte {
	return appendError(b, fConfigureResponseError, errMsg)
}

func appendError(b []byte, num protowire.Number, msg string) []byte {
	if msg == "" {
		return b
	}
	return appendMessage(b, num, func(b []byte) []byte { return appendString(b, fErrorMessage, msg) })
}

// AppendDetectRequest appends a DetectRequest holding ev.
func AppendDetectRequest(b []byte, ev *sdk.Event) []byte {
	if ev == nil {
		return b
	}
	return appendMessage(b, fDetectRequestEvent, func(b []byte) []byte {
		b = appendString(b, fEventID, ev.ID)
		b = appendString(b, fEventType, ev.Type)
		b = appendString(b, fEventTenant, ev.Tenant)
		b = appendString(b, fEventSessionID, ev.SessionID)
		b = appendString(b, fEventRequestID, ev.RequestID)
		if id := ev.Identity; id != (sdk.Identity{}) {
			b = appendMessage(b, fEventIdentity, func(b []byte) []byte {
				b = appendString(b, fIdentityLogin, id.Login)
				b = appendString(b, fIdentityTailnet, id.Tailnet)
				b = appendString(b, fIdentityNode, id.Node)
				return appendString(b, fIdentityUserAgent, id.UserAgent)
			})
		}
		b = appendString(b, fEventModel, ev.Model)
		b = appendString(b, fEventProvider, ev.Provider)
		b = appendString(b, fEventAPIFormat, ev.APIFormat)
		for i := range ev.Items {
			it := &ev.Items[i]
			b = appendMessage(b, fEventItems, func(b []byte) []byte { return appendItem(b, it) })
		}
		return b
	})
}

func appendItem(b []byte, it *sdk.Item) []byte {
	b = appendInt(b, fItemIndex, int64(it.Index))
	b = appendString(b, fItemKind, string(it.Kind))
	b = appendString(b, fItemText, it.Text)
	if t := it.Tool; t != nil {
		b = appendMessage(b, fItemTool, func(b []byte) []byte {
			b = appendString(b, fToolName, t.Name)
			b = appendString(b, fToolCallID, t.CallID)
			b = appendString(b, fToolArguments, t.Arguments)
			return appendString(b, fToolCommand, t.Command)
		})
	}
	b = appendString(b, fItemOrigin, string(it.Origin))
	b = appendBool(b, fItemNew, it.New)
	b = appendBool(b, fItemUntrusted, it.Untrusted)
	return appendString(b, fItemPointer, it.Pointer)
}

// AppendDetectResponse appends a DetectResponse; errMsg "" means success.
func AppendDetectResponse(b []byte, findings []sdk.Finding, errMsg string) []byte {
	for i := range findings {
		f := &findings[i]
		b = appendMessage(b, fDetectResponseFindings, func(b []byte) []byte {
			b = appendString(b, fFindingDetector, f.Detector)
			b = appendString(b, fFindingRule, f.Rule)
			b = appendString(b, fFindingCategory, f.Category)
			b = appendString(b, fFindingClass, f.Class)
			b = appendInt(b, fFindingSeverity, int64(int32(f.Severity)))
			b = appendDouble(b, fFindingConfidence, f.Confidence)
			b = appendInt(b, fFindingItem, int64(f.Item))
			b = appendInt(b, fFindingStart, int64(f.Start))
			b = appendInt(b, fFindingEnd, int64(f.End))
			b = appendString(b, fFindingMessage, f.Message)
			b = appendString(b, fFindingRedacted, f.Redacted)
			return appendString(b, fFindingFingerprint, f.Fingerprint)
		})
	}
	return appendError(b, fDetectResponseError, errMsg)
}

// field is one decoded field: its number, wire type, and value (v for
// varint and fixed types, raw for length-delimited ones).
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64
	raw []byte
}

// walk calls fn for each field of the message in b.
func walk(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.v = uint64(v)
		case protowire.BytesType:
			f.raw, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("%w: field %d: %v", ErrMalformed, num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// want checks that a known field has the wire type the schema gives it.
func (f field) want(t protowire.Type) error {
	if f.typ != t {
		return fmt.Errorf("%w: field %d has wire type %d, want %d", ErrMalformed, f.num, f.typ, t)
	}
	return nil
}

func (f field) str(dst *string) error {
	if err := f.want(protowire.BytesType); err != nil {
		return err
	}
	*dst = string(f.raw)
	return nil
}

func (f field) int(dst *int) error {
	if err := f.want(protowire.VarintType); err != nil {
		return err
	}
	*dst = int(int64(f.v))
	return nil
}

func (f field) int32(dst *int) error {
	if err := f.want(protowire.VarintType); err != nil {
		return err
	}
	*dst = int(int32(f.v))
	return nil
}

func (f field) bool(dst *bool) error {
	if err := f.want(protowire.VarintType); err != nil {
		return err
	}
	*dst = f.v != 0
	return nil
}

// DecodeInfoResponse reads an InfoResponse.
func DecodeInfoResponse(b []byte) (sdk.Info, error) {
	var info sdk.Info
	err := walk(b, func(f field) error {
		if f.num != fInfoResponseInfo {
			return nil
		}
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		return walk(f.raw, func(f field) error {
			switch f.num {
			case fInfoID:
				return f.str(&info.ID)
			case fInfoVersion:
				return f.str(&info.Version)
			case fInfoAPIVersion:
				return f.int32(&info.APIVersion)
			case fInfoDescription:
				return f.str(&info.Description)
			case fInfoKinds:
				var k string
				if err := f.str(&k); err != nil {
					return err
				}
				info.Kinds = append(info.Kinds, sdk.Kind(k))
			case fInfoConfigSchema:
				return f.str(&info.ConfigSchema)
			}
			return nil
		})
	})
	if err != nil {
		return sdk.Info{}, fmt.Errorf("InfoResponse: %w", err)
	}
	return info, nil
}

// DecodeConfigureRequest reads a ConfigureRequest. The result aliases b.
func DecodeConfigureRequest(b []byte) ([]byte, error) {
	var config []byte
	err := walk(b, func(f field) error {
		if f.num == fConfigureRequestConfig {
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			config = f.raw
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ConfigureRequest: %w", err)
	}
	return config, nil
}

// DecodeConfigureResponse reads a ConfigureResponse: the detector's error
// message ("" for success), or an error when b is malformed.
func DecodeConfigureResponse(b []byte) (string, error) {
	var msg string
	err := walk(b, func(f field) error {
		if f.num == fConfigureResponseError {
			return decodeError(f, &msg)
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("ConfigureResponse: %w", err)
	}
	return msg, nil
}

func decodeError(f field, msg *string) error {
	if err := f.want(protowire.BytesType); err != nil {
		return err
	}
	*msg = "detector error" // an Error message without text is still an error
	return walk(f.raw, func(f field) error {
		if f.num == fErrorMessage {
			return f.str(msg)
		}
		return nil
	})
}

// DecodeDetectRequest reads a DetectRequest into ev (which it resets).
func DecodeDetectRequest(b []byte, ev *sdk.Event) error {
	*ev = sdk.Event{}
	d := decoder{b: b}
	d.request(ev)
	if d.err != nil {
		return fmt.Errorf("DetectRequest: %w", d.err)
	}
	return nil
}

// DecodeDetectResponse reads a DetectResponse: the findings and the
// detector's error message ("" for success), or an error when b is
// malformed.
func DecodeDetectResponse(b []byte) ([]sdk.Finding, string, error) {
	var (
		findings []sdk.Finding
		msg      string
	)
	err := walk(b, func(f field) error {
		switch f.num {
		case fDetectResponseFindings:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			var fd sdk.Finding
			if err := decodeFinding(f.raw, &fd); err != nil {
				return err
			}
			findings = append(findings, fd)
		case fDetectResponseError:
			return decodeError(f, &msg)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("DetectResponse: %w", err)
	}
	return findings, msg, nil
}

func decodeFinding(b []byte, fd *sdk.Finding) error {
	return walk(b, func(f field) error {
		switch f.num {
		case fFindingDetector:
			return f.str(&fd.Detector)
		case fFindingRule:
			return f.str(&fd.Rule)
		case fFindingCategory:
			return f.str(&fd.Category)
		case fFindingClass:
			return f.str(&fd.Class)
		case fFindingSeverity:
			var s int
			err := f.int32(&s)
			fd.Severity = sdk.Severity(s)
			return err
		case fFindingConfidence:
			if err := f.want(protowire.Fixed64Type); err != nil {
				return err
			}
			fd.Confidence = math.Float64frombits(f.v)
		case fFindingItem:
			return f.int(&fd.Item)
		case fFindingStart:
			return f.int(&fd.Start)
		case fFindingEnd:
			return f.int(&fd.End)
		case fFindingMessage:
			return f.str(&fd.Message)
		case fFindingRedacted:
			return f.str(&fd.Redacted)
		case fFindingFingerprint:
			return f.str(&fd.Fingerprint)
		}
		return nil
	})
}
