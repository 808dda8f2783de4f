package windows

import (
	"slices"
	"testing"

	"github.com/extfs/extfs/internal/beneath"
)

func TestIsAbs(t *testing.T) {
	for _, name := range []string{
		`\x`, `/x`, `\`, `/`, `C:`, `C:x`, `c:\x`, `C:/x`, `\\server\share\x`, `//server/share`,
		`\\?\C:\`, `\\.\PhysicalDrive0`, `\??\C:\x`, "a:b",
	} {
		if !IsAbs(name) {
			t.Errorf("IsAbs(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"", "x", `a\b`, "a/b", "..", `..\x`, "1:x", "ab:c", "::x", ".", "CON"} {
		if IsAbs(name) {
			t.Errorf("IsAbs(%q) = true, want false", name)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tt := range []struct {
		name    string
		parts   []string
		dirOnly bool
	}{
		{"a", []string{"a"}, false},
		{`a\b/c`, []string{"a", "b", "c"}, false},
		{`a\\b//c`, []string{"a", "b", "c"}, false},
		{`a\`, []string{"a"}, true},
		{"a/", []string{"a"}, true},
		{".", nil, true},
		{`a\.`, []string{"a"}, true},
		{"a/..", []string{"a", ".."}, true},
		{`.\a\.\b`, []string{"a", "b"}, false},
		{`..\x`, []string{"..", "x"}, false},
	} {
		parts, dirOnly := beneath.Split(&Rules, tt.name)
		if !slices.Equal(parts, tt.parts) || dirOnly != tt.dirOnly {
			t.Errorf("Split(%q) = %q, %v; want %q, %v", tt.name, parts, dirOnly, tt.parts, tt.dirOnly)
		}
	}
}
