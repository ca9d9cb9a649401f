package wasmabi

import (
	"fmt"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/picketsec/picket/sdk"
)

// DecodeDetectRequestShared is DecodeDetectRequest without copying: the
// strings of ev share memory with b, so b must not change while ev is in
// use. A guest copies the request once and decodes the copy with it; that
// is one allocation per call instead of one per string, which matters in
// WebAssembly, where every allocation and function call is costly.
func DecodeDetectRequestShared(b []byte, ev *sdk.Event) error {
	*ev = sdk.Event{}
	d := decoder{b: b, alias: true}
	d.request(ev)
	if d.err != nil {
		return fmt.Errorf("DetectRequest: %w", d.err)
	}
	return nil
}

// decoder is a flat, closure-free reader of a DetectRequest: the hot path of
// every call. It reads the same fields as the walk-based decoders.
type decoder struct {
	b     []byte
	i     int
	alias bool
	err   error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

// varint reads a varint; one-byte values take the inline path.
func (d *decoder) varint() uint64 {
	if d.i < len(d.b) && d.b[d.i] < 0x80 {
		v := uint64(d.b[d.i])
		d.i++
		return v
	}
	v, n := protowire.ConsumeVarint(d.b[d.i:])
	if n < 0 {
		d.fail("varint at %d", d.i)
		d.i = len(d.b)
		return 0
	}
	d.i += n
	return v
}

// field reads a tag; ok is false at the end of b[:end] or on error.
func (d *decoder) field(end int) (num protowire.Number, typ protowire.Type, ok bool) {
	if d.i >= end || d.err != nil {
		return 0, 0, false
	}
	t := d.varint()
	num, typ = protowire.Number(t>>3), protowire.Type(t&7)
	if num < protowire.MinValidNumber || num > protowire.MaxValidNumber {
		d.fail("field number %d", num)
		return 0, 0, false
	}
	return num, typ, d.err == nil
}

// span reads the length of a length-delimited value and returns its end.
func (d *decoder) span(end int) int {
	n := d.varint()
	if d.err != nil {
		return end
	}
	if n > uint64(end-d.i) {
		d.fail("length %d past the end", n)
		return end
	}
	return d.i + int(n)
}

// str reads a length-delimited value of wire type typ as a string.
func (d *decoder) str(typ protowire.Type, end int) string {
	if typ != protowire.BytesType {
		d.fail("string field with wire type %d", typ)
		return ""
	}
	e := d.span(end)
	if d.err != nil {
		return ""
	}
	s := d.b[d.i:e]
	d.i = e
	if len(s) == 0 {
		return ""
	}
	if d.alias {
		return unsafe.String(&s[0], len(s))
	}
	return string(s)
}

func (d *decoder) num(typ protowire.Type) uint64 {
	if typ != protowire.VarintType {
		d.fail("integer field with wire type %d", typ)
		return 0
	}
	return d.varint()
}

// skip skips a value of an unknown field.
func (d *decoder) skip(num protowire.Number, typ protowire.Type, end int) {
	n := protowire.ConsumeFieldValue(num, typ, d.b[d.i:end])
	if n < 0 {
		d.fail("field %d: %v", num, protowire.ParseError(n))
		d.i = end
		return
	}
	d.i += n
}

// sub checks that a sub-message field is length-delimited and returns its end.
func (d *decoder) sub(typ protowire.Type, end int) int {
	if typ != protowire.BytesType {
		d.fail("message field with wire type %d", typ)
		return end
	}
	return d.span(end)
}

func (d *decoder) request(ev *sdk.Event) {
	end := len(d.b)
	for {
		num, typ, ok := d.field(end)
		if !ok {
			return
		}
		if num == fDetectRequestEvent {
			e := d.sub(typ, end)
			d.event(ev, e)
			d.i = e
			continue
		}
		d.skip(num, typ, end)
	}
}

func (d *decoder) event(ev *sdk.Event, end int) {
	for {
		num, typ, ok := d.field(end)
		if !ok {
			return
		}
		switch num {
		case fEventID:
			ev.ID = d.str(typ, end)
		case fEventType:
			ev.Type = d.str(typ, end)
		case fEventTenant:
			ev.Tenant = d.str(typ, end)
		case fEventSessionID:
			ev.SessionID = d.str(typ, end)
		case fEventRequestID:
			ev.RequestID = d.str(typ, end)
		case fEventIdentity:
			e := d.sub(typ, end)
			d.identity(&ev.Identity, e)
			d.i = e
		case fEventModel:
			ev.Model = d.str(typ, end)
		case fEventProvider:
			ev.Provider = d.str(typ, end)
		case fEventAPIFormat:
			ev.APIFormat = d.str(typ, end)
		case fEventItems:
			e := d.sub(typ, end)
			ev.Items = append(ev.Items, sdk.Item{})
			d.item(&ev.Items[len(ev.Items)-1], e)
			d.i = e
		default:
			d.skip(num, typ, end)
		}
	}
}

func (d *decoder) identity(id *sdk.Identity, end int) {
	for {
		num, typ, ok := d.field(end)
		if !ok {
			return
		}
		switch num {
		case fIdentityLogin:
			id.Login = d.str(typ, end)
		case fIdentityTailnet:
			id.Tailnet = d.str(typ, end)
		case fIdentityNode:
			id.Node = d.str(typ, end)
		case fIdentityUserAgent:
			id.UserAgent = d.str(typ, end)
		default:
			d.skip(num, typ, end)
		}
	}
}

func (d *decoder) item(it *sdk.Item, end int) {
	for {
		num, typ, ok := d.field(end)
		if !ok {
			return
		}
		switch num {
		case fItemIndex:
			it.Index = int(int64(d.num(typ)))
		case fItemKind:
			it.Kind = sdk.Kind(d.str(typ, end))
		case fItemText:
			it.Text = d.str(typ, end)
		case fItemTool:
			e := d.sub(typ, end)
			if it.Tool == nil {
				it.Tool = &sdk.ToolCall{}
			}
			d.tool(it.Tool, e)
			d.i = e
		case fItemOrigin:
			it.Origin = sdk.Origin(d.str(typ, end))
		case fItemNew:
			it.New = d.num(typ) != 0
		case fItemUntrusted:
			it.Untrusted = d.num(typ) != 0
		case fItemPointer:
			it.Pointer = d.str(typ, end)
		default:
			d.skip(num, typ, end)
		}
	}
}

func (d *decoder) tool(t *sdk.ToolCall, end int) {
	for {
		num, typ, ok := d.field(end)
		if !ok {
			return
		}
		switch num {
		case fToolName:
			t.Name = d.str(typ, end)
		case fToolCallID:
			t.CallID = d.str(typ, end)
		case fToolArguments:
			t.Arguments = d.str(typ, end)
		case fToolCommand:
			t.Command = d.str(typ, end)
		default:
			d.skip(num, typ, end)
		}
	}
}
