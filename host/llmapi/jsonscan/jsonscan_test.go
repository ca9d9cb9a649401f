package jsonscan

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	tests := map[string]struct {
		in    string
		field string
		kind  ErrorKind
		msg   string // substring of Error()
	}{
		"object":            {in: `{"a":[1,-2.5e+3,true,false,null,"x\u00e9\n"]}`},
		"surrounding space": {in: " \t\r\n{} \n"},
		"scalar":            {in: `"just a string"`},
		"empty":             {in: "", kind: ErrEmpty, msg: "body: empty"},
		"only space":        {in: "  \n", kind: ErrEmpty},
		"truncated":         {in: `{"metadata":{"url":"/v1`, field: "metadata", kind: ErrEOF, msg: "metadata: unexpected end of JSON input"},
		"trailing comma":    {in: `{"a":1,}`, kind: ErrSyntax, msg: "body: invalid JSON at byte 7"},
		"trailing data":     {in: `{} {}`, kind: ErrSyntax, msg: "data after the top-level value"},
		"single quotes":     {in: `{'a':1}`, kind: ErrSyntax},
		"comment":           {in: `{/*x*/}`, kind: ErrSyntax},
		"leading zero":      {in: `{"n":01}`, kind: ErrSyntax, msg: "after object member"},
		"bare dot":          {in: `{"n":1.}`, field: "n", kind: ErrSyntax},
		"NaN":               {in: `{"n":NaN}`, field: "n", kind: ErrSyntax},
		"control char":      {in: "{\"s\":\"a\x01b\"}", field: "s", kind: ErrSyntax, msg: "control characters"},
		"bad escape":        {in: `{"s":"\x"}`, field: "s", kind: ErrSyntax, msg: "escape"},
		"bad unicode":       {in: `{"s":"\u12G4"}`, field: "s", kind: ErrSyntax},
		"invalid utf8":      {in: "{\"request_body\":{\"k\":\"ab\xffcd\"}}", field: "request_body", kind: ErrUTF8, msg: "request_body: invalid UTF-8 at byte 24"},
		"invalid utf8 key":  {in: "{\"a\xc3\":1}", kind: ErrUTF8},
		"overlong utf8":     {in: "{\"s\":\"\xc0\xaf\"}", field: "s", kind: ErrUTF8},
		"surrogate utf8":    {in: "{\"s\":\"\xed\xa0\x80\"}", field: "s", kind: ErrUTF8},
		"deep":              {in: `{"request_body":` + deep + `}`, field: "request_body", kind: ErrDepth, msg: "request_body: nesting deeper than 256 levels"},
		"deep root":         {in: deep, kind: ErrDepth, msg: "body: nesting deeper"},
		"missing colon":     {in: `{"a" 1}`, kind: ErrSyntax},
		"lone surrogate ok": {in: `{"s":"\ud800"}`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			err := Validate([]byte(tc.in), DefaultMaxDepth)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.Kind != tc.kind || se.Field != tc.field {
				t.Errorf("kind %d field %q, want %d %q (%v)", se.Kind, se.Field, tc.kind, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
		})
	}
}

func TestReaders(t *testing.T) {
	t.Parallel()
	doc := []byte(` {"a": {"b": [1, "x", {"c": "d\"}"}]}, "\u0067": "first", "g": "last", "e": "\ud83d\ude00 \u00e9 \ud800"} `)
	if err := Validate(doc, 10); err != nil {
		t.Fatal(err)
	}
	v := Trim(doc)
	if got := v.Get("a").Get("b").Index(2).Get("c").Str(); got != `d"}` {
		t.Errorf("c = %q", got)
	}
	if got := v.Get("a").Str(); got != "" {
		t.Errorf("Str of object = %q", got)
	}
	if got := v.Get("a").Get("b").Len(); got != 3 {
		t.Errorf("len = %d", got)
	}
	// "\u0067" is "g": the last of the repeated keys wins.
	if got := v.Get("g").Str(); got != "last" {
		t.Errorf("g = %q", got)
	}
	var keys []string
	it := v.Object()
	for it.Next() {
		keys = append(keys, it.KeyString())
	}
	if strings.Join(keys, ",") != "a,g,g,e" {
		t.Errorf("keys = %v", keys)
	}
	if got := v.Get("e").Str(); got != "😀 é \ufffd" {
		t.Errorf("e = %q", got)
	}
	n, ok := v.Get("a").Get("b").Index(0).Int()
	if !ok || n != 1 {
		t.Errorf("Int = %d, %v", n, ok)
	}
	s, e, ok := Locate(doc, "/a/b/2/c")
	if !ok || string(doc[s:e]) != `"d\"}"` {
		t.Errorf("Locate = %q %v", doc[s:e], ok)
	}
	for _, p := range []string{"/x", "/a/b/3", "/a/b/-", "/a/b/01", "a", "/a/~2"} {
		if _, _, ok := Locate(doc, p); ok {
			t.Errorf("Locate(%q) found something", p)
		}
	}
}

func TestAppendQuote(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", "q\"b\\s\n\r\t\x00\x1f", "é😀", "bad\xffutf8", "</script>&"} {
		q := AppendQuote(nil, s)
		if err := Validate(q, 1); err != nil {
			t.Fatalf("AppendQuote(%q) = %s: %v", s, q, err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got := Value(q).Str(); got != want {
			t.Errorf("round trip %q → %s → %q", s, q, got)
		}
	}
}

// FuzzValidate checks Validate against encoding/json: on valid UTF-8 they
// agree (at a depth limit as deep as encoding/json's); invalid UTF-8 is
// always refused; decoded strings match encoding/json's; the readers walk
// anything, valid or not, without panicking or looping.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,"b",{"c":null}]}`, `"\ud83d\ude00"`, `{"a":"\u00e9\n"}`,
		`{"a":1,}`, "\"\xff\"", `[[[[]]]]`, `-0.5e+7`, `{"a" "b"}`, `[1,]`, `{"\u0061":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := Validate(b, 10000)
		std := json.Valid(b)
		if !utf8.Valid(b) {
			if err == nil {
				t.Fatalf("accepted invalid UTF-8: %q", b)
			}
		} else if (err == nil) != std {
			t.Fatalf("Validate = %v, encoding/json valid = %v for %q", err, std, b)
		}
		walk(Trim(b), 0)
		if err != nil {
			return
		}
		v := Trim(b)
		if v.IsString() {
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			if got := v.Str(); got != s {
				t.Fatalf("Str = %q, encoding/json %q", got, s)
			}
		}
	})
}

func walk(v Value, depth int) {
	if depth > 10000 {
		return
	}
	_ = v.Str()
	_, _ = v.Int()
	oi := v.Object()
	for oi.Next() {
		_ = oi.KeyString()
		walk(oi.Val, depth+1)
	}
	ai := v.Array()
	for ai.Next() {
		walk(ai.Val, depth+1)
	}
}

func TestValidateMembers(t *testing.T) {
	t.Parallel()
	doc := []byte(`{"m": {"a": 1, "b": {"deep": 2}}, "r" : [ {"x": 1} ], "s": "str", "e": {}}`)
	ms, err := ValidateMembers(doc, 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, string(m.Key)+"="+string(m.Val)+"@"+strconv.Itoa(m.Parent))
	}
	want := []string{`m={"a": 1, "b": {"deep": 2}}@-1`, "a=1@0", `b={"deep": 2}@0`, `r=[ {"x": 1} ]@-1`, `s="str"@-1`, "e={}@-1"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("members:\n got %q\nwant %q", got, want)
	}
	if ms, err := ValidateMembers([]byte(`[{"a":1}]`), 10, nil); err != nil || len(ms) != 0 {
		t.Errorf("array root: %v %v", ms, err)
	}
}
