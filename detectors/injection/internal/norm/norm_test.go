package norm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		in, want string
		hidden   []HiddenKind
	}{
		"ascii lower":      {in: "Ignore ALL", want: "ignore all"},
		"fullwidth":        {in: "ＩＧＮＯＲＥ", want: "ignore"},
		"math bold":        {in: "𝐢𝐠𝐧𝐨𝐫𝐞", want: "ignore"},
		"diacritics":       {in: "Ignorez les instructions précédentes", want: "ignorez les instructions precedentes"},
		"homoglyph word":   {in: "іgnоrе", want: "ignore"},
		"russian kept":     {in: "Игнорируй все", want: "игнорируй все"},
		"quotes":           {in: "don’t", want: "don't"},
		"zero width":       {in: "ig\u200bn\u200bo\u200bre", want: "ignore", hidden: []HiddenKind{HiddenZeroWidth, HiddenZeroWidth, HiddenZeroWidth}},
		"zwj emoji":        {in: "👨\u200d👩", want: "👨👩"},
		"zwnj persian":     {in: "می\u200cخواهم می\u200cروم می\u200cشود", want: "میخواهم میروم میشود"},
		"rtl marks":        {in: "שלום\u200f abc\u200e", want: "שלום abc"},
		"tags decoded":     {in: "ok" + "\U000E0048\U000E0069", want: "okhi", hidden: []HiddenKind{HiddenTags}},
		"flag tags kept":   {in: "🏴\U000E0067\U000E0062\U000E007F", want: "🏴"},
		"bidi":             {in: "abc\u202Edcba\u202C", want: "abcdcba", hidden: []HiddenKind{HiddenBidi, HiddenBidi}},
		"invalid utf8":     {in: "a\xffb", want: "a b"},
		"japanese kept":    {in: "システムプロンプト", want: "システムプロンプト"},
		"halfwidth kana":   {in: "ｼｽﾃﾑ", want: "システム"},
		"variation select": {in: "❤\uFE0F", want: "❤"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := Normalize(c.in)
			if string(n.B) != c.want {
				t.Errorf("Normalize(%q) = %q, want %q", c.in, n.B, c.want)
			}
			if !utf8.Valid(n.B) {
				t.Errorf("invalid UTF-8 output %q", n.B)
			}
			var kinds []HiddenKind
			for _, h := range n.Hidden {
				kinds = append(kinds, h.Kind)
				if h.Start < 0 || h.End > len(c.in) || h.Start >= h.End {
					t.Errorf("hidden span %+v", h)
				}
			}
			if len(kinds) != len(c.hidden) {
				t.Errorf("hidden %v, want %v", kinds, c.hidden)
			}
			// Offsets are monotonic and inside the input.
			prev := 0
			for i := 0; i <= len(n.B); i++ {
				o := n.Orig(i)
				if o < prev || o > len(c.in) {
					t.Fatalf("Orig(%d) = %d after %d (input %d bytes)", i, o, prev, len(c.in))
				}
				prev = o
			}
			if n.Orig(len(n.B)) != len(c.in) && len(n.B) > 0 && !strings.HasSuffix(c.in, "\U000E007F") && !strings.HasSuffix(c.in, "\u202C") && !strings.HasSuffix(c.in, "\uFE0F") {
				t.Errorf("end maps to %d, want %d", n.Orig(len(n.B)), len(c.in))
			}
		})
	}
}

func TestNormPosRoundTrip(t *testing.T) {
	t.Parallel()
	in := "Héllo wörld іgnоrе ＡＢＣ end"
	n := Normalize(in)
	for i := 0; i <= len(in); i++ {
		p := n.NormPos(i)
		if p < 0 || p > len(n.B) {
			t.Fatalf("NormPos(%d) = %d", i, p)
		}
		if p < len(n.B) && n.Orig(p) < i {
			t.Fatalf("NormPos(%d) = %d maps back to %d", i, p, n.Orig(p))
		}
	}
}

func TestLeet(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"1gn0r3 pr3v10u5":   "ignore previous",
		"version 1.2.3":     "",
		"sha256 and utf8":   "",
		"hello!":            "",
		"$home and 4ll y0u": "$home and all you",
	}
	for in, want := range cases {
		got := Leet([]byte(in))
		if string(got) != want {
			t.Errorf("Leet(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRot13(t *testing.T) {
	t.Parallel()
	if got := string(Rot13([]byte("vtaber 123"))); got != "ignore 123" {
		t.Fatalf("Rot13 = %q", got)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "abc", "ＩＧＮ", "ig\u200bn", "\U000E0048", "\xff", "🏴\U000E0067\U000E007F", "іgnоrе"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.Valid(n.B) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
		prev := 0
		for i := 0; i <= len(n.B); i++ {
			o := n.Orig(i)
			if o < prev || o > len(s) {
				t.Fatalf("Orig(%d) = %d after %d", i, o, prev)
			}
			prev = o
		}
		for i := 0; i <= len(s); i++ {
			if p := n.NormPos(i); p < 0 || p > len(n.B) {
				t.Fatalf("NormPos(%d) = %d", i, p)
			}
		}
	})
}
