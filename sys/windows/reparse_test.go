package windows

import (
	"encoding/binary"
	"testing"
)

func TestSymlinkReparseRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		target, sub string
		relative    bool
		readlink    string
	}{
		{`x`, `x`, true, `x`},
		{`..\dir\file`, `..\dir\file`, true, `..\dir\file`},
		{`\rooted`, `\rooted`, true, `\rooted`},
		{`C:\Windows`, `\??\C:\Windows`, false, `C:\Windows`},
		{`\\srv\share\x`, `\??\UNC\srv\share\x`, false, `\\srv\share\x`},
		{`\\?\Volume{1}\x`, `\??\Volume{1}\x`, false, `\\?\Volume{1}\x`},
		{"日本語", "日本語", true, "日本語"},
	} {
		b, err := SymlinkReparse(tt.target)
		if err != nil {
			t.Fatalf("SymlinkReparse(%q): %v", tt.target, err)
		}
		tag, l, err := ParseReparse(b)
		if err != nil || tag != TagSymlink || l == nil {
			t.Fatalf("ParseReparse(SymlinkReparse(%q)) = %#x, %+v, %v", tt.target, tag, l, err)
		}
		if l.Target != tt.sub || l.Relative != tt.relative || l.Junction {
			t.Errorf("%q: link %+v, want target %q relative %v", tt.target, *l, tt.sub, tt.relative)
		}
		if got := l.Readlink(); got != tt.readlink {
			t.Errorf("%q: Readlink() = %q, want %q", tt.target, got, tt.readlink)
		}
		// The print name follows the substitute name.
		le := binary.LittleEndian
		printOff, printLen := le.Uint16(b[12:]), le.Uint16(b[14:])
		if got := decodeUTF16(b[20+int(printOff) : 20+int(printOff)+int(printLen)]); got != tt.target {
			t.Errorf("%q: print name %q", tt.target, got)
		}
	}
}

// mountPoint builds the reparse data of a junction to target (an NT path).
func mountPoint(target string) []byte {
	sub := encodeUTF16(target)
	le := binary.LittleEndian
	b := make([]byte, 16+len(sub)+2+2)
	le.PutUint32(b[0:], TagMountPoint)
	le.PutUint16(b[4:], uint16(len(b)-8))
	le.PutUint16(b[10:], uint16(len(sub)))
	le.PutUint16(b[12:], uint16(len(sub)+2))
	copy(b[16:], sub)
	return b
}

func TestParseReparseJunction(t *testing.T) {
	tag, l, err := ParseReparse(mountPoint(`\??\C:\target`))
	if err != nil || tag != TagMountPoint || l == nil {
		t.Fatalf("ParseReparse(junction) = %#x, %v, %v", tag, l, err)
	}
	if !l.Junction || l.Relative || l.Target != `\??\C:\target` || l.Readlink() != `C:\target` {
		t.Errorf("junction parsed as %+v, Readlink %q", *l, l.Readlink())
	}
}

func TestParseReparseOtherTag(t *testing.T) {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, TagDedup)
	tag, l, err := ParseReparse(b)
	if tag != TagDedup || l != nil || err != nil {
		t.Errorf("ParseReparse(dedup) = %#x, %v, %v; want the tag, no link, no error", tag, l, err)
	}
}

func TestParseReparseMalformed(t *testing.T) {
	good, _ := SymlinkReparse(`target`)
	le := binary.LittleEndian
	for name, mutate := range map[string]func([]byte) []byte{
		"empty":            func(b []byte) []byte { return nil },
		"short header":     func(b []byte) []byte { return b[:7] },
		"data past end":    func(b []byte) []byte { le.PutUint16(b[4:], 0xFFFF); return b },
		"short data":       func(b []byte) []byte { le.PutUint16(b[4:], 4); return b[:12] },
		"name past end":    func(b []byte) []byte { le.PutUint16(b[10:], 0x1000); return b },
		"odd name offset":  func(b []byte) []byte { le.PutUint16(b[8:], 1); return b },
		"offset past data": func(b []byte) []byte { le.PutUint16(b[8:], 0xFFFE); return b },
	} {
		b := mutate(append([]byte(nil), good...))
		if _, l, err := ParseReparse(b); err == nil {
			t.Errorf("%s: ParseReparse = %+v, nil; want an error", name, l)
		}
	}
}

func TestWin32Path(t *testing.T) {
	for in, want := range map[string]string{
		`\??\C:\x`:          `C:\x`,
		`\??\UNC\srv\share`: `\\srv\share`,
		`\??\Volume{1}\`:    `\\?\Volume{1}\`,
		`\??\C:`:            `\\?\C:`,
		`relative\x`:        `relative\x`,
	} {
		if got := Win32Path(in); got != want {
			t.Errorf("Win32Path(%q) = %q, want %q", in, got, want)
		}
	}
}
