package safetext

import "testing"

func TestLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Ana Díaz", "Ana Díaz"},
		{"osc52 clipboard", "Eve\x1b]52;c;cm0gLXJmIH4=\x07 Smith", "Eve Smith"},
		{"osc8 link st", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"csi colour", "\x1b[31mred\x1b[0m", "red"},
		{"c1 csi", "a\u009b2Jb", "ab"},
		{"newline and tab", "a\nb\tc", "a b c"},
		{"bell and nul", "a\x07b\x00c", "a b c"},
		{"carriage return", "safe\rEVIL", "safe EVIL"},
		{"bidi override", "abc\u202Egpj.exe", "abcgpj.exe"},
		{"invalid utf8", "a\xffb", "a\uFFFDb"},
		{"unterminated osc", "x\x1b]0;title", "x"},
		{"lone esc", "x\x1b", "x"},
	}
	for _, c := range cases {
		if got := Line(c.in); got != c.want {
			t.Errorf("%s: Line(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestTextKeepsLines(t *testing.T) {
	if got := Text("one\r\ntwo\t\x1b[2Jthree"); got != "one\ntwo\tthree" {
		t.Errorf("Text = %q", got)
	}
}

func FuzzLine(f *testing.F) {
	f.Add("Ana\x1b]52;c;x\x07")
	f.Fuzz(func(t *testing.T, s string) {
		out := Line(s)
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) {
				t.Fatalf("Line(%q) kept control %U", s, r)
			}
		}
	})
}
